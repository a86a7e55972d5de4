"""The hand-built county (tests/reports/county.py) imported into the test's transaction, with
its policy (a daily period on 1–3 October)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection

from api.app import create_app
from gridrisk.bundle.service import import_bundle
from gridrisk.policy import Policy, load_policy
from gridrisk.settings import Settings

from .county import write_county, write_policy

TIMEZONE = "Asia/Shanghai"


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    return write_policy(tmp_path)


@pytest.fixture
def policy(policy_file: Path) -> Policy:
    return load_policy(policy_file)


@pytest.fixture
def county_db(conn: Connection, tmp_path: Path, policy: Policy) -> Connection:
    report = import_bundle(conn, write_county(tmp_path / "county"), timezone=TIMEZONE,
                           policy=policy.deadlines)
    assert report.written["cases"]["inserted"] == 10, report
    return conn


@pytest.fixture
def county_api(county_db: Connection, tmp_path: Path, policy_file: Path
               ) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path, policy_file=policy_file, timezone=TIMEZONE)
    with TestClient(create_app(settings, bind=county_db)) as client:
        yield client
