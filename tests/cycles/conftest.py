"""Cycles run on the small demo county with the session's trained 30-day model; each test
runs in a transaction that is rolled back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine

from gridrisk.cycles.service import CycleInputs
from gridrisk.scoring.service import Trained

from ..bundle.conftest import tiny_bundle  # noqa: F401  (fixtures)
from ..scoring.conftest import county, county_url, data_dir, trained  # noqa: F401
from ..scoring.conftest import TIMEZONE


@pytest.fixture
def county_conn(county: Engine) -> Iterator[Connection]:  # noqa: F811
    with county.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def inputs(data_dir: Path, trained: Trained) -> CycleInputs:  # noqa: F811
    return CycleInputs(registry_root=data_dir / "models", policy_file=None,
                       timezone=TIMEZONE, threads=1)
