"""POST /screenings on its production path: asyncpg on the event loop, real commits, under
uvicorn on 127.0.0.1 (test_screenings.py runs the same service in the test's transaction)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from gridrisk.bundle.service import import_bundle
from gridrisk.db.embedded import EmbeddedCluster, reachable_scratch
from gridrisk.db.engine import upgrade_to_head
from gridrisk.db.writes import positional

from ..bundle.conftest import CELL_AS, write_tiny_bundle
from .conftest import problem
from .test_live import live
from .test_screenings import DISPUTE, NOTHING


@pytest.fixture
def database(scratch_url: str, tmp_path: Path) -> Iterator[Engine]:
    """A database of its own holding the tiny bundle, committed."""
    engine = create_engine(scratch_url)
    upgrade_to_head(engine)
    with engine.begin() as conn:
        import_bundle(conn, write_tiny_bundle(tmp_path / "tiny"))
    yield engine
    engine.dispose()


def stored(engine: Engine, record_id: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM screening_records WHERE record_id = :r"),
                            {"r": record_id}).scalar_one()


def test_a_record_is_committed_before_its_201(database: Engine, tmp_path: Path) -> None:
    with live(database, tmp_path) as client:
        nothing = client.post("/screenings", json=NOTHING)
        assert nothing.status_code == 201, nothing.text
        assert stored(database, "R1") == 1  # another connection sees it: committed
        dispute = client.post("/screenings", json=DISPUTE)
        read_back = client.get("/screenings/R2")

    assert dispute.status_code == 201, dispute.text
    assert dispute.headers["content-type"] == "application/json"
    assert dispute.json() == read_back.json()
    assert (dispute.json()["lon"], dispute.json()["lat"]) == (114.04, 34.03)
    assert nothing.json()["found"] is False and nothing.json()["lon"] is None


def test_retries_and_reused_ids(database: Engine, tmp_path: Path) -> None:
    with live(database, tmp_path) as client:
        first = client.post("/screenings", json=DISPUTE)
        again = client.post("/screenings", json=DISPUTE)
        other = client.post("/screenings", json={**DISPUTE, "severity": "low"})

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert "needs a new id" in problem(other, 409)["detail"]
    assert stored(database, "R2") == 1


@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"lon": 116.0, "lat": 39.9}, "lon", "outside every cell"),
    ({"cell_code": "999"}, "cell_code", "unknown cell 999"),
    ({"case_id": "nope"}, "case_id", "unknown case nope"),
    ({"found": False}, "category", "only when a dispute was found"),
    ({"screened_at": "2025-03-11T10:00:00"}, "screened_at", "timezone"),
])
def test_refusals_name_the_field_and_write_nothing(database: Engine, tmp_path: Path,
                                                   changes: dict, field: str,
                                                   reason: str) -> None:
    with live(database, tmp_path) as client:
        body = problem(client.post("/screenings", json={**DISPUTE, **changes}), 422)
        after = client.post("/screenings", json=DISPUTE)  # the connection is still good

    assert any(e["field"] == field and reason in e["reason"] for e in body["errors"]), body
    assert after.status_code == 201, after.text


def test_a_phone_map_point_is_stored_in_wgs84(database: Engine, tmp_path: Path) -> None:
    record = {**DISPUTE, "record_id": "R3", "lon": 114.05, "lat": 34.025, "crs": "gcj02"}
    with live(database, tmp_path) as client:
        made = client.post("/screenings", json=record)
        again = client.post("/screenings", json=record)

    assert made.status_code == again.status_code == 201, made.text
    assert made.json() == again.json() and made.json()["cell_code"] == CELL_AS
    assert 0.001 < abs(made.json()["lon"] - 114.05) < 0.01  # GCJ-02 is shifted a few 100 m


@pytest.mark.slow
def test_database_outage_is_a_503_and_writes_resume_by_themselves(
        tmp_path: Path) -> None:
    root = reachable_scratch("gridrisk-outage-")
    cluster = EmbeddedCluster(root, durable=False)
    try:
        cluster.start()
        engine = create_engine(cluster.url)
        upgrade_to_head(engine)
        with engine.begin() as conn:
            import_bundle(conn, write_tiny_bundle(tmp_path / "tiny"))
        send = {f"P{i}": {**NOTHING, "record_id": f"P{i}"} for i in range(4)}
        with live(engine, tmp_path) as client:
            before = client.post("/screenings", json=send["P0"])
            cluster.stop()
            down = client.post("/screenings", json=send["P1"])
            cluster.start()  # on the same port (embedded.port_is_free sees TIME_WAIT as free)
            back = client.post("/screenings", json=send["P1"])
            cluster.stop()  # and straight back, with no request meanwhile: the pool's
            cluster.start()  # connections are all stale
            after_restart = [client.post("/screenings", json=send[k]) for k in ("P2", "P3")]
        engine.dispose()  # its pooled connection went with the restart
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT count(*) FROM screening_records "
                                     "WHERE record_id LIKE 'P_'")).scalar_one()
        engine.dispose()
    finally:
        cluster.destroy()
        shutil.rmtree(root, ignore_errors=True)

    assert before.status_code == 201, before.text
    assert problem(down, 503)["type"] == "/problems/database-unavailable"
    assert down.headers["Retry-After"] == "5"
    assert back.status_code == 201, back.text
    assert [r.status_code for r in after_restart] == [201, 201]
    assert rows == 4


def test_named_parameters_become_positional() -> None:
    sql, names = positional("SELECT :a, CAST(:b AS float8), x::text, :a, '12:30'")
    assert sql == "SELECT $1, CAST($2 AS float8), x::text, $1, '12:30'"
    assert names == ("a", "b")
