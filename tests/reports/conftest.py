"""The hand-built county (tests/reports/county.py) imported into the test's transaction, with
its policy (a daily period on 1–3 October)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection

from api.app import create_app
from gridrisk.bundle.service import import_bundle
from gridrisk.policy import Policy, load_policy
from gridrisk.settings import Settings

from ..accounts import FormClient, bearer, grant, sign_in
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
def county_app(county_db: Connection, tmp_path: Path, policy_file: Path) -> FastAPI:
    settings = Settings(data_dir=tmp_path, policy_file=policy_file, timezone=TIMEZONE)
    return create_app(settings, bind=county_db)


def signed_in(app: FastAPI, db: Connection, role: str, *codes: str) -> FormClient:
    """A client of `role` holding `codes`: its token for the API, its session for pages."""
    name = f"reports-{role}-{'-'.join(codes)}"
    client = FormClient(app, headers=bearer(grant(db, role, codes, name=name)))
    client.__enter__()
    sign_in(client, name)
    return client


@pytest.fixture
def county_api(county_app: FastAPI, county_db: Connection) -> Iterator[TestClient]:
    """A supervisor of the whole county K."""
    client = signed_in(county_app, county_db, "supervisor", "K")
    yield client
    client.__exit__(None, None, None)
