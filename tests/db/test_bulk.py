"""BulkUpsert writes frames in a thread while the caller goes on: parts add up to what one
write gives, a stored row is updated only when it differs, and a part that fails stops the
block in the caller, and a rollback to a savepoint restores the table (its indexes and keys,
dropped for the load) as it was."""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
import pytest
import shapely
from sqlalchemy import Connection, text

from gridrisk.db.bulk import (
    BulkUpsert,
    CopyData,
    _column_kinds,
    _copy,
    copy_data,
    points_ewkb,
    polygons_ewkb,
)

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


KINDS = {"t": "text", "v": "varchar(20)", "b": "boolean", "s": "smallint", "i": "integer",
         "n": "bigint", "f": "double precision", "at": "timestamptz",
         "g": "geometry(Geometry, 4326)"}


def every_kind() -> pd.DataFrame:
    """Each type binary COPY is built for, with missing values, empty and awkward text."""
    point = "0101000020E61000000000000000405C400000000000004240"  # POINT(113 36), SRID 4326
    square = ("0103000020E610000001000000040000000000000000405C40000000000000424000000000"
              "00805C4000000000000042400000000000405C4000000000008042400000000000405C40000"
              "0000000004240")
    return pd.DataFrame({
        "t": pd.Series(["网格", "", None, 'a "quoted",\nline'], dtype="str"),
        "v": pd.Series(["x", None, "y", "z"], dtype=object),
        "b": pd.Series([True, False, None, True], dtype="boolean"),
        "s": pd.Series([1, -2, None, 32767], dtype="Int64"),
        "i": pd.Series([2**31 - 1, None, 0, -5], dtype="Int64"),
        "n": pd.Series([2**62, -1, 0, 7], dtype="int64"),
        "f": [1.5, float("nan"), -0.0, 1e300],
        "at": pd.to_datetime(["2025-03-14T09:30:00.123456+08:00", None,
                              "1999-12-31T23:59:59Z", "2000-01-01T00:00:00Z"], utc=True,
                             format="ISO8601"),
        "g": pd.Series([bytes.fromhex(point), None, bytes.fromhex(square), bytes.fromhex(point)],
                       dtype=object),
    })


def stored(conn: Connection, table: str) -> list[tuple]:
    return [tuple(r) for r in conn.execute(text(
        f"SELECT t, v, b, s, i, n, f, at, ST_AsEWKT(g) FROM {table} ORDER BY n"))]


def test_binary_copy_stores_what_csv_stores(conn: Connection) -> None:
    raw = conn.connection.driver_connection
    frame = every_kind()
    columns = ", ".join(f"{name} {kind}" for name, kind in KINDS.items())
    with raw.cursor() as cursor:
        for table in ("as_csv", "as_binary"):
            cursor.execute(f"CREATE TEMP TABLE {table} ({columns})")
        kinds = _column_kinds(cursor, "as_binary")
        binary = copy_data(frame, kinds)
        assert binary.options == "(FORMAT binary)"
        _copy(cursor, "as_binary", binary)
        _copy(cursor, "as_csv", CopyData.csv(frame))

    rows = stored(conn, "as_binary")
    assert rows == stored(conn, "as_csv")
    assert [r[0] for r in rows] == ["", None, 'a "quoted",\nline', "网格"]  # by n
    assert rows[0][6] is None and rows[0][7] is None  # NaN and NaT are missing


def test_a_column_without_a_binary_form_sends_the_frame_as_csv(conn: Connection) -> None:
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE dated (d date, t text)")
        kinds = _column_kinds(cursor, "dated")
    frame = pd.DataFrame({"d": ["2025-03-14"], "t": ["x"]})
    assert copy_data(frame, kinds).options == CopyData.csv(frame).options
    numbers_as_objects = pd.DataFrame({"t": pd.Series([1, None], dtype=object)})
    assert copy_data(numbers_as_objects, kinds).options == CopyData.csv(frame).options


def test_an_integer_too_large_for_its_column_is_refused_by_the_server(
        conn: Connection) -> None:
    """Never wrapped into 4 bytes: the frame goes as CSV and the server names the type."""
    raw = conn.connection.driver_connection
    frame = pd.DataFrame({"i": pd.Series([1, 3_000_000_000], dtype="Int64")})
    with raw.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE counted (i integer)")
        data = copy_data(frame, _column_kinds(cursor, "counted"))
        assert data.options == CopyData.csv(frame).options
        with pytest.raises(psycopg.errors.NumericValueOutOfRange, match="integer"):
            _copy(cursor, "counted", data)


def test_points_and_polygons_travel_as_ewkb_in_either_form(conn: Connection) -> None:
    square = shapely.Polygon([(113, 36), (114, 36), (114, 37), (113, 36)])
    frame = pd.DataFrame({
        "n": [1, 2, 3],
        "g": pd.concat([points_ewkb(np.array([113.5, np.nan]), np.array([36.25, np.nan]),
                                    pd.RangeIndex(2)),
                        polygons_ewkb(np.array([square]), pd.RangeIndex(2, 3))]),
    })
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:
        for table in ("as_csv", "as_binary"):
            cursor.execute(f"CREATE TEMP TABLE {table} (n bigint, g geometry(Geometry, 4326))")
        binary = copy_data(frame, _column_kinds(cursor, "as_binary"))
        assert binary.options == "(FORMAT binary)"
        _copy(cursor, "as_binary", binary)
        _copy(cursor, "as_csv", CopyData.csv(frame))

    for table in ("as_csv", "as_binary"):
        assert conn.execute(text(f"SELECT ST_AsEWKT(g) FROM {table} ORDER BY n")).scalars(
            ).all() == ["SRID=4326;POINT(113.5 36.25)", None,
                        "SRID=4326;POLYGON((113 36,114 36,114 37,113 36))"]
