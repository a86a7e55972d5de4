"""The service under uvicorn on 127.0.0.1 with real commits: concurrent retries, racing
edits, and the database going away and coming back."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import Engine, create_engine, text

from api.app import create_app
from gridrisk.bundle.service import import_bundle
from gridrisk.db.embedded import EmbeddedCluster, reachable_scratch
from gridrisk.db.engine import upgrade_to_head
from gridrisk.settings import Settings

from ..accounts import bearer, grant
from ..bundle.conftest import COUNTY, write_tiny_bundle
from ..live import serving
from .test_cases import NEW_CASE


@contextmanager
def live(engine: Engine, tmp_path: Path, role: str = "supervisor") -> Iterator[httpx.Client]:
    """The service under uvicorn, and a client signed in as a new account of `role` holding
    the whole tiny county (which the database must hold)."""
    token = grant(engine, role, [COUNTY])
    with serving(create_app(Settings(data_dir=tmp_path), bind=engine)) as base, \
            httpx.Client(base_url=base, timeout=30, headers=bearer(token)) as client:
        yield client


@pytest.fixture
def committed(scratch_url: str, tmp_path: Path) -> Iterator[Engine]:
    """A database of its own holding the tiny bundle, committed."""
    engine = create_engine(scratch_url, pool_size=20)
    upgrade_to_head(engine)
    with engine.begin() as conn:
        import_bundle(conn, write_tiny_bundle(tmp_path / "tiny"))
    yield engine
    engine.dispose()


def race(calls: int, call) -> list[httpx.Response]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(calls)

    def go(_: int) -> httpx.Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(calls) as pool:
        return list(pool.map(go, range(calls)))


def test_concurrent_retries_with_one_key_make_one_case(committed: Engine,
                                                       tmp_path: Path) -> None:
    with live(committed, tmp_path) as client:
        responses = race(8, lambda: client.post(
            "/cases", json={**NEW_CASE, "case_id": None},
            headers={"Idempotency-Key": "retry-storm"}))

    assert {r.status_code for r in responses} == {201}
    assert len({r.text for r in responses}) == 1
    with committed.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM cases WHERE case_id LIKE 'XF%'")
                            ).scalar() == 1


def test_concurrent_sends_of_one_record_store_it_once(committed: Engine,
                                                      tmp_path: Path) -> None:
    record = {"record_id": "PHONE-1", "screened_at": "2025-03-11T09:00:00+08:00",
              "worker": "W1", "cell_code": "41100000120101", "found": False}
    with live(committed, tmp_path) as client:
        responses = race(8, lambda: client.post("/screenings", json=record))

    assert {r.status_code for r in responses} == {201}
    with committed.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM screening_records "
                                 "WHERE record_id = 'PHONE-1'")).scalar() == 1


def test_racing_edits_with_one_version_let_exactly_one_through(committed: Engine,
                                                               tmp_path: Path) -> None:
    with live(committed, tmp_path) as client:
        client.post("/cases", json=NEW_CASE)
        responses = race(6, lambda: client.post(
            "/cases/N1/events", json={"type": "accepted", "at": "2026-10-02"},
            headers={"If-Match": '"1"'}))

    assert sorted(r.status_code for r in responses) == [201, 412, 412, 412, 412, 412]
    with committed.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM case_events WHERE case_id = 'N1'")
                            ).scalar() == 1


@pytest.mark.slow
def test_database_down_is_a_503_and_the_service_recovers_by_itself(tmp_path: Path) -> None:
    root = reachable_scratch("gridrisk-outage-")
    cluster = EmbeddedCluster(root, durable=False)
    try:
        cluster.start()
        engine = create_engine(cluster.url, pool_pre_ping=True)
        upgrade_to_head(engine)
        with engine.begin() as conn:
            import_bundle(conn, write_tiny_bundle(tmp_path / "tiny"))
        with live(engine, tmp_path) as client:
            assert client.get("/health").json() == {"status": "ok", "database": "ok"}

            cluster.stop()
            down = client.get("/health")
            failed = client.get("/cases")

            cluster.start()
            back = client.get("/health")
            cases = client.get("/cases")
        engine.dispose()
    finally:
        cluster.destroy()
        shutil.rmtree(root, ignore_errors=True)

    assert down.status_code == 503 and down.headers["Retry-After"] == "5"
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "5"
    assert failed.headers["content-type"] == "application/problem+json"
    assert failed.json()["type"] == "/problems/database-unavailable"
    assert back.status_code == 200 and cases.status_code == 200


def test_docs_work_offline(committed: Engine, tmp_path: Path) -> None:
    with live(committed, tmp_path) as client:
        page = client.get("/docs").text
        spec = client.get("/openapi.json").json()
        assets = [client.get(f"/assets/docs/{name}") for name in
                  ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js")]
        redoc = client.get("/redoc").text

    for html in (page, redoc):
        assert "cdn." not in html and "https://" not in html.split("<body>")[0]
    assert "/assets/docs/swagger-ui-bundle.js" in page
    assert all(a.status_code == 200 and len(a.content) > 10_000 for a in assets)
    assert "/cases/{case_id}/events" in spec["paths"]
