"""Cycles run on the small demo county with the session's trained 30-day model, copied into a
registry of their own and promoted there; each test runs in a transaction rolled back."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine

from api.app import create_app
from gridrisk.cycles.service import CycleInputs
from gridrisk.scoring.service import Trained, promote_model
from gridrisk.settings import Settings

from ..bundle.conftest import tiny_bundle  # noqa: F401  (fixtures)
from ..scoring.conftest import TIMEZONE, county, county_url, data_dir, trained  # noqa: F401


@pytest.fixture(scope="session")
def cycle_data_dir(tmp_path_factory: pytest.TempPathFactory, trained: Trained  # noqa: F811
                   ) -> Path:
    """A data directory whose registry holds the trained model, promoted for 30 days."""
    root = tmp_path_factory.mktemp("cycle-data")
    shutil.copytree(trained.folder, root / "models" / trained.model_id)
    promote_model(root / "models", trained.model_id, force=True)
    return root


@pytest.fixture
def county_conn(county: Engine) -> Iterator[Connection]:  # noqa: F811
    with county.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def inputs(cycle_data_dir: Path) -> CycleInputs:
    return CycleInputs(registry_root=cycle_data_dir / "models", policy_file=None,
                       timezone=TIMEZONE, threads=1)


@pytest.fixture
def county_client(county_conn: Connection, cycle_data_dir: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=cycle_data_dir, model_threads=1)
    with TestClient(create_app(settings, bind=county_conn)) as client:
        yield client
