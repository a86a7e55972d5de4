"""BulkUpsert writes frames in a thread while the caller goes on: parts add up to what one
write gives, a stored row is updated only when it differs, and a part that fails stops the
block in the caller, and a rollback to a savepoint restores the table (its indexes and keys,
dropped for the load) as it was."""

from __future__ import annotations

import pandas as pd
import psycopg
import pytest
from sqlalchemy import Connection, text

from gridrisk.db.bulk import BulkUpsert

TABLE = "screening_records"


def part(ids: list[str], worker: str = "W1") -> pd.DataFrame:
    return pd.DataFrame({
        "record_id": ids, "screened_at": pd.Timestamp("2025-03-03T01:00:00Z"),
        "worker": worker, "cell_code": "no-such-cell", "found": False})


def table_shape(conn: Connection) -> set[tuple[str, str]]:
    found = conn.execute(text(
        "SELECT indexdef, '' FROM pg_indexes WHERE tablename = :t UNION ALL "
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = CAST(:t AS regclass)"), {"t": TABLE}).all()
    return {tuple(row) for row in found}


@pytest.fixture
def bulk_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bulk-load path from one new row: the foreign keys are dropped while the parts
    are written (their cell does not exist), and re-checked at the end."""
    monkeypatch.setattr("gridrisk.db.bulk.BULK_ROWS", 1)


def test_parts_add_up_and_a_second_write_changes_only_what_differs(
        conn: Connection, bulk_path: None) -> None:
    parts = [part(["R1", "R2"]), part(["R3"]), part(["R4", "R5"])]
    keys = pd.concat(parts)[["record_id"]]
    savepoint = conn.begin_nested()
    with (pytest.raises(psycopg.errors.ForeignKeyViolation),
          BulkUpsert(conn, TABLE, keys, on_change="") as upsert):
        for frame in parts:
            upsert.write(frame)
    savepoint.rollback()
    square = "ST_GeomFromText('MULTIPOLYGON(((114 34, 115 34, 115 35, 114 34)))', 4326)"
    conn.execute(text("INSERT INTO regions (code, name, level, geom) VALUES "
                      f"('410000000000', '县', 'county', {square})"))
    conn.execute(text("INSERT INTO cells (code, name, region_code, geom) VALUES "
                      f"('no-such-cell', '格', '410000000000', {square})"))

    with BulkUpsert(conn, TABLE, keys, on_change="") as upsert:
        for frame in parts:
            upsert.write(frame)
    assert upsert.written == {"inserted": 5, "updated": 0, "unchanged": 0}
    with BulkUpsert(conn, TABLE, keys, on_change="") as again:
        again.write(parts[0])
        again.write(part(["R3"], worker="W2"))
    assert again.written == {"inserted": 0, "updated": 1, "unchanged": 2}
    workers = conn.execute(text(f"SELECT record_id, worker FROM {TABLE} ORDER BY 1")).all()
    assert [tuple(r) for r in workers] == [("R1", "W1"), ("R2", "W1"), ("R3", "W2"),
                                           ("R4", "W1"), ("R5", "W1")]


def test_a_failed_part_stops_the_block_and_a_savepoint_restores_the_table(
        conn: Connection, bulk_path: None) -> None:
    before = table_shape(conn)
    parts = [part(["R1", "R2"]), part(["", "R4"]), part(["R5"])]
    savepoint = conn.begin_nested()

    with (pytest.raises(psycopg.errors.CheckViolation, match="record_id"),
          BulkUpsert(conn, TABLE, pd.concat(parts)[["record_id"]], on_change="") as upsert):
        for frame in parts:
            upsert.write(frame)

    savepoint.rollback()
    assert table_shape(conn) == before
    assert conn.execute(text(f"SELECT count(*) FROM {TABLE}")).scalar_one() == 0
