"""The small demo county in a database of its own (generated and imported once per session),
its history, and a model trained on it into a session registry, on the data up to TRAINED_TO
so that the three months after it can evaluate it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from gridrisk.bundle.service import import_bundle
from gridrisk.cases.policy import DeadlinePolicy
from gridrisk.db.embedded import EmbeddedCluster
from gridrisk.db.engine import upgrade_to_head
from gridrisk.scoring.history import load_history
from gridrisk.scoring.service import Trained, train_model
from gridrisk.synthetic import generate_bundle
from models.history import History

from ..bundle.conftest import tiny_bundle  # noqa: F401  (a fixture)

TIMEZONE = "Asia/Shanghai"
POLICY = DeadlinePolicy()
TRAINED_TO = date(2026, 7, 31)


@pytest.fixture(scope="session")
def county_url(cluster: EmbeddedCluster, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[str]:
    admin = create_engine(cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS model_county WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE model_county"))
    url = make_url(cluster.url).set(database="model_county").render_as_string(
        hide_password=False)
    bundle = tmp_path_factory.mktemp("county") / "small"
    generate_bundle(bundle, seed=5, scale="small")
    engine = create_engine(url)
    try:
        upgrade_to_head(engine)
        with engine.begin() as conn:
            import_bundle(conn, bundle, timezone=TIMEZONE, policy=POLICY)
    finally:
        engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE model_county WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(scope="session")
def county(county_url: str) -> Iterator[Engine]:
    engine = create_engine(county_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def county_history(county: Engine) -> History:
    with county.connect() as conn:
        return load_history(conn, policy=POLICY, timezone=TIMEZONE)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def trained(county: Engine, data_dir: Path) -> Trained:
    with county.connect() as conn:
        return train_model(conn, registry_root=data_dir / "models", horizon_days=30,
                           as_of=TRAINED_TO, policy=POLICY, timezone=TIMEZONE, threads=1)
