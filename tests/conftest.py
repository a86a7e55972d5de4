"""One real PostGIS cluster per test session (the product's own embedded cluster); each test
runs in a transaction that is rolled back, so nothing survives it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

from gridrisk.db.embedded import EmbeddedCluster, reachable_scratch
from gridrisk.db.engine import upgrade_to_head

#: shared by several test directories: the small demo county with its trained model, and
#: headless Chromium
pytest_plugins = ["tests.county", "tests.browser"]


@pytest.fixture(scope="session")
def cluster() -> Iterator[EmbeddedCluster]:
    root = reachable_scratch("gridrisk-test-")
    cluster = EmbeddedCluster(root, durable=False)
    cluster.start()
    yield cluster
    cluster.destroy()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def engine(cluster: EmbeddedCluster) -> Iterator[Engine]:
    engine = create_engine(cluster.url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


def rolled_back(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back afterwards: nothing survives."""
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    yield from rolled_back(engine)


@pytest.fixture
def scratch_url(cluster: EmbeddedCluster) -> Iterator[str]:
    """An empty database of its own, for code that commits for real (CLI, migrations)."""
    admin = create_engine(cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS scratch WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE scratch"))
    yield make_url(cluster.url).set(database="scratch").render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE scratch WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(autouse=True)
def _no_user_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's GRIDRISK_* settings."""
    for name in list(os.environ):
        if name.startswith("GRIDRISK_"):
            monkeypatch.delenv(name)
