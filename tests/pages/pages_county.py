"""The small demo county for the page tests in a database of its own (pages_county) with one
weekly cycle run and committed: the browser tests run against a live server that commits, so
they must not write into the model_county database other tests read. The cycle uses the
session's promoted model (`cycle_data_dir`, tests/county.py), trained on the same generated
county. tests/pages/conftest.py imports the fixture, so one database serves both page test
modules."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from gridrisk.bundle.service import import_bundle
from gridrisk.cycles.run import CycleInputs, run_cycle
from gridrisk.db.embedded import EmbeddedCluster
from gridrisk.db.engine import upgrade_to_head
from gridrisk.policy import DeadlinePolicy
from gridrisk.privacy.vault import Vault
from gridrisk.settings import Settings
from gridrisk.synthetic import generate_bundle

TIMEZONE = "Asia/Shanghai"
AS_OF = date(2026, 8, 31)  # a Monday, a month after the model's training data ends
DATABASE = "pages_county"


@dataclass(frozen=True)
class PagesCounty:
    """The committed database and what the page tests need to know about it."""

    engine: Engine
    data_dir: Path
    cycle_id: int
    region_code: str
    vault: Vault

    def settings(self) -> Settings:
        return Settings(data_dir=self.data_dir, model_threads=1, timezone=TIMEZONE,
                        secret_key_file=self.vault.path)


@pytest.fixture(scope="session")
def pages_county(cluster: EmbeddedCluster, tmp_path_factory: pytest.TempPathFactory,
                 cycle_data_dir: Path, county_vault: Vault) -> Iterator[PagesCounty]:
    admin = create_engine(cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {DATABASE}"))
    url = make_url(cluster.url).set(database=DATABASE).render_as_string(hide_password=False)
    bundle = tmp_path_factory.mktemp("pages-county") / "small"
    generate_bundle(bundle, seed=5, scale="small")
    engine = create_engine(url, pool_size=10)
    upgrade_to_head(engine)
    with engine.begin() as conn:
        import_bundle(conn, bundle, timezone=TIMEZONE, policy=DeadlinePolicy(),
                      vault=county_vault)
    inputs = CycleInputs(registry_root=cycle_data_dir / "models", policy_file=None,
                         timezone=TIMEZONE, threads=1)
    with engine.begin() as conn:
        cycle = run_cycle(conn, inputs, cadence="weekly", as_of=AS_OF)
    yield PagesCounty(engine=engine, data_dir=cycle_data_dir, cycle_id=cycle.id,
                      region_code=cycle.region_code, vault=county_vault)
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {DATABASE} WITH (FORCE)"))
    admin.dispose()
