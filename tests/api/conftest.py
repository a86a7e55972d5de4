"""The service over HTTP on the session's PostGIS: the tiny bundle imported in the test's
transaction, each request a savepoint inside it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection

from api.app import create_app
from gridrisk.bundle.service import import_bundle
from gridrisk.settings import Settings

from ..accounts import ClientAs, clients_for
from ..bundle.conftest import COUNTY, write_tiny_bundle
from ..reports.conftest import (  # noqa: F401  (fixtures of tests/api/test_reports.py)
    county_api,
    county_app,
    county_db,
    policy,
    policy_file,
)


@pytest.fixture
def client_as(conn: Connection, tmp_path: Path) -> Iterator[ClientAs]:
    """`client_as(role, *codes)`: the service on the tiny bundle, signed in as a new account
    of that role holding those regions or cells."""
    import_bundle(conn, write_tiny_bundle(tmp_path / "tiny"))
    app = create_app(Settings(data_dir=tmp_path), bind=conn)
    opened: list[TestClient] = []
    yield clients_for(app, conn, opened)
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(client_as: ClientAs) -> TestClient:
    """A supervisor of the whole tiny county: reads everything, registers and handles cases,
    records screenings, decides assignments."""
    return client_as("supervisor", COUNTY)


def problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    """The response is an RFC 9457 problem with this status; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body  # type: ignore[no-any-return]
