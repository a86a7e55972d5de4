"""The small demo county, shared by the scoring, cycle, API and page tests: a database of its
own (generated and imported once per session), its history, a model trained on it into a
session registry on the data up to TRAINED_TO (so the months after it can evaluate it), and
that model promoted in a data directory of its own for the cycles. Loaded once by the root
conftest (pytest_plugins), so every test directory shares the same session fixtures."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

from api.app import create_app
from gridrisk.bundle.service import import_bundle
from gridrisk.cycles.run import CycleInputs
from gridrisk.db.embedded import EmbeddedCluster
from gridrisk.db.engine import upgrade_to_head
from gridrisk.policy import Policy
from gridrisk.privacy.vault import Vault
from gridrisk.scoring.history import load_history
from gridrisk.scoring.service import Trained, promote_model, train_model
from gridrisk.settings import Settings
from gridrisk.synthetic import generate_bundle
from models.history import History

from .accounts import ClientAs, clients_for
from .conftest import rolled_back

TIMEZONE = "Asia/Shanghai"
POLICY = Policy()
TRAINED_TO = date(2026, 7, 31)


@pytest.fixture(scope="session")
def county_vault(tmp_path_factory: pytest.TempPathFactory) -> Vault:
    """The key that seals the demo counties' contacts (the databases of this module and
    tests/pages/pages_county.py)."""
    return Vault(tmp_path_factory.mktemp("county-key") / "secret.key")


@pytest.fixture(scope="session")
def county_url(cluster: EmbeddedCluster, tmp_path_factory: pytest.TempPathFactory,
               county_vault: Vault) -> Iterator[str]:
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
            import_bundle(conn, bundle, timezone=TIMEZONE, policy=POLICY.deadlines,
                          vault=county_vault)
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


@pytest.fixture(scope="session")
def cycle_data_dir(tmp_path_factory: pytest.TempPathFactory, trained: Trained) -> Path:
    """A data directory whose registry holds the trained model, promoted for 30 days."""
    root = tmp_path_factory.mktemp("cycle-data")
    shutil.copytree(trained.folder, root / "models" / trained.model_id)
    promote_model(root / "models", trained.model_id, force=True)
    return root


@pytest.fixture
def county_conn(county: Engine) -> Iterator[Connection]:
    """The county in a transaction rolled back after the test."""
    yield from rolled_back(county)


@pytest.fixture
def inputs(cycle_data_dir: Path) -> CycleInputs:
    return CycleInputs(registry_root=cycle_data_dir / "models", policy_file=None,
                       timezone=TIMEZONE, threads=1)


@pytest.fixture
def county_client_as(county_conn: Connection, cycle_data_dir: Path, county_vault: Vault
                     ) -> Iterator[ClientAs]:
    """`county_client_as(role, *codes)`: the service on the county (in the test's
    transaction), signed in as a new account of that role and scope (default: the county)."""
    settings = Settings(data_dir=cycle_data_dir, model_threads=1,
                        secret_key_file=county_vault.path)
    app = create_app(settings, bind=county_conn)
    opened: list[TestClient] = []
    client_as = clients_for(app, county_conn, opened)
    top = county_conn.execute(text("SELECT code FROM regions WHERE parent_code IS NULL")
                              ).scalar_one()
    yield lambda role, *codes, **kw: client_as(role, *(codes or (top,)), **kw)
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def county_client(county_client_as: ClientAs) -> TestClient:
    """A planner of the whole county: runs cycles and reads everything."""
    return county_client_as("planner")
