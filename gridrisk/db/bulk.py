"""Bulk writes with COPY: new rows straight into the table, changed rows updated, and
PostgreSQL's bulk-load path (drop and rebuild secondary indexes and foreign keys) when a
write adds a large share of a table. Geometries travel as EWKB (its hex digits in CSV).
Bulk reads the other way:
a query's rows through COPY … TO STDOUT into a frame."""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Connection

#: rows per CSV chunk handed to COPY: small enough that the server parses one chunk while
#: Python formats the next (the chunks go through a queue and a sender thread)
COPY_CHUNK_ROWS = 50_000
#: a write takes the bulk-load path from this many new rows, and only when they are at least
#: this share of the rows the table holds (rebuilding a large table's indexes for a few new
#: rows would cost more than it saves)
BULK_ROWS = 100_000
BULK_SHARE = 0.25
#: frames shaped or being sent while the caller prepares the next: two keep the server busy
#: through the jitter of both sides, and bound what waits in memory
IN_FLIGHT = 2
_HEX = np.array([f"{i:02x}" for i in range(256)], dtype="S2")
#: little-endian EWKB point header with SRID 4326
_POINT_HEADER = np.frombuffer(bytes.fromhex("0101000020e6100000"), dtype="u1")


def points_ewkb(lon: np.ndarray, lat: np.ndarray, index: pd.Index) -> pd.Series:
    """EWKB of WGS84 points, built in NumPy (shapely's encoder is 20× slower on a million
    points); missing where lon is NaN."""
    n = len(lon)
    records = np.zeros(n, dtype=[("head", "u1", 9), ("x", "<f8"), ("y", "<f8")])
    records["head"] = _POINT_HEADER
    records["x"], records["y"] = lon, lat
    present = ~np.isnan(np.asarray(lon, dtype=float))
    offsets = np.arange(0, 25 * (n + 1), 25, dtype=np.int64)
    validity = pa.array(present).buffers()[1] if n else None
    array = pa.LargeBinaryArray.from_buffers(pa.large_binary(), n, [
        validity, pa.py_buffer(offsets), pa.py_buffer(records.tobytes())],
        null_count=int(n - present.sum()))
    return pd.Series(pd.arrays.ArrowExtensionArray(array), index=index)


def polygons_ewkb(geoms: np.ndarray, index: pd.Index) -> pd.Series:
    wkb = shapely.to_wkb(shapely.set_srid(geoms, 4326), include_srid=True)
    return pd.Series(pd.arrays.ArrowExtensionArray(pa.array(wkb, type=pa.large_binary())),
                     index=index)


def copy_upsert(conn: Connection, table: str, frame: pd.DataFrame, key: list[str], *,
                on_change: str | None) -> dict[str, int]:
    """Write `frame` by its `key` (see `BulkUpsert`)."""
    with BulkUpsert(conn, table, frame[key], on_change=on_change) as upsert:
        upsert.write(frame)
    return upsert.written


class BulkUpsert:
    """Write frames by their key: new rows are COPYed straight into the table; a stored row
    that differs is updated (plus `on_change`), one that does not is left alone, so
    re-importing the same bundle writes nothing. `on_change=None` never updates.

    `keys` holds the keys of every row to come (the key columns, by name): which of them
    the table holds is looked up once, on entry. Writes run in two threads of their own while
    the caller goes on (say, to check the next rows): one shapes a frame (`prepare`, then
    its COPY data, `copy_data`), the other sends the frame before it, so the server is never
    left waiting for Python to format the rows it is to parse. At
    most `IN_FLIGHT` frames wait; nothing else may use the connection until the block ends.

    When many of the rows are new, PostgreSQL's bulk-load path: the table's secondary indexes
    and foreign keys are dropped on entry, the rows copied, then the indexes rebuilt and the
    keys re-checked in one pass each when the block ends without an error; all inside the
    caller's transaction, so a failure (or a rollback to a savepoint) restores them. The
    table is locked against concurrent writers for the transaction."""

    def __init__(self, conn: Connection, table: str, keys: pd.DataFrame, *,
                 on_change: str | None,
                 prepare: Callable[[pd.DataFrame], pd.DataFrame] = lambda frame: frame) -> None:
        raw = conn.connection.driver_connection
        assert raw is not None
        self.raw, self.table, self.keys, self.on_change = raw, table, keys, on_change
        self.key = list(keys.columns)
        self.prepare = prepare
        self.written = {"inserted": 0, "updated": 0, "unchanged": 0}
        self._shaper = ThreadPoolExecutor(1, thread_name_prefix=f"shape-{table}")
        self._sender = ThreadPoolExecutor(1, thread_name_prefix=f"copy-{table}")
        self._sending: deque[Future[None]] = deque()
        self._stored = _key_index(pd.DataFrame(columns=self.key))
        self._kinds: dict[str, str] = {}
        self._rebuild: list[str] = []

    def __enter__(self) -> BulkUpsert:
        with self.raw.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {self.table} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute("SELECT greatest(reltuples, 0) FROM pg_class "
                           "WHERE oid = %s::regclass", [self.table])
            held = (cursor.fetchone() or (0,))[0]
            self._kinds = _column_kinds(cursor, self.table)
            stored = _stored_keys(cursor, self.table, self.keys, held=held)
            self._stored = _key_index(stored)
            # at least this many are new (exactly, unless the table's own keys travelled)
            fresh = len(self.keys) - len(stored)
            if fresh >= BULK_ROWS and fresh >= BULK_SHARE * held:
                self._rebuild = _drop_secondary(cursor, self.table)
        return self

    def write(self, frame: pd.DataFrame) -> None:
        while len(self._sending) >= IN_FLIGHT:
            self._sending.popleft().result()
        shaped = self._shaper.submit(self._shape, frame)
        self._sending.append(self._sender.submit(lambda: self._send(*shaped.result())))

    def abandon(self) -> None:
        """The caller will roll back what was written: no indexes to rebuild."""
        self._rebuild = []

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            while self._sending:
                self._sending.popleft().result()
        except Exception:
            if kind is None:
                raise
            # the block's own error is the one to report; the transaction is lost either way
        finally:
            self._close()
        if kind is None and self._rebuild:
            with self.raw.cursor() as cursor:
                # sorts for the indexes in memory, and btree builds in parallel workers
                # (the importer's own process is idle meanwhile); for this transaction only
                cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
                cursor.execute("SET LOCAL max_parallel_maintenance_workers = 2")
                for statement in self._rebuild:
                    cursor.execute(statement)

    def _close(self) -> None:
        """The threads stopped; after a failed write, what still waits is never sent (the
        transaction is lost)."""
        for pending in self._sending:
            pending.cancel()
        self._sending.clear()
        self._sender.shutdown()
        self._shaper.shutdown()

    def _shape(self, frame: pd.DataFrame) -> tuple[CopyData, pd.DataFrame]:
        """The new rows as COPY data, and the stored rows as a frame."""
        frame = self.prepare(frame)
        if len(self._stored):
            stored = self._stored.get_indexer(_key_index(frame[self.key])) >= 0
            fresh, known = frame.loc[~stored], frame.loc[stored]
        else:
            fresh, known = frame, frame.iloc[:0]
        return copy_data(fresh, self._kinds), known

    def _send(self, fresh: CopyData, known: pd.DataFrame) -> None:
        with self.raw.cursor() as cursor:
            if fresh.rows:
                _copy(cursor, self.table, fresh)
            updated = 0
            if self.on_change is not None and len(known):
                updated = _update_changed(cursor, self.table, known, self.key,
                                          self.on_change)
        self.written["inserted"] += fresh.rows
        self.written["updated"] += updated
        self.written["unchanged"] += len(known) - updated


def _copy(cursor: psycopg.Cursor, table: str, data: CopyData) -> None:
    """COPY `data` into its columns of `table`; timestamps in CSV travel as naive UTC (the
    session reads them in UTC), which Arrow writes ten times faster than with an offset."""
    cursor.execute("SET LOCAL TimeZone = 'UTC'")
    with cursor.copy(f"COPY {table} ({', '.join(data.columns)}) FROM STDIN {data.options}",
                     writer=QueuedLibpqWriter(cursor)) as copy:
        for chunk in data.chunks:
            copy.write(chunk)


@dataclass(frozen=True)
class CopyData:
    """A frame's rows for COPY: its columns, how many rows, and the data in the form
    `options` names."""

    columns: list[str]
    rows: int
    options: str
    chunks: list[bytes]

    @classmethod
    def csv(cls, frame: pd.DataFrame) -> CopyData:
        return cls(list(frame.columns), len(frame), "(FORMAT csv, NULL '')",
                   list(_csv_chunks(frame)))


def copy_data(frame: pd.DataFrame, kinds: Mapping[str, str]) -> CopyData:
    """The frame in PostgreSQL's binary COPY form when each of its columns has one here
    (`kinds`: each column's type as the server names it), else as CSV. The server parses
    binary rows a third faster: no text to turn into timestamps, numbers and geometries."""
    forms = [_binary_form(frame[c], kinds.get(c, "")) for c in frame.columns]
    if all(form is not None for form in forms):
        return CopyData(list(frame.columns), len(frame), "(FORMAT binary)",
                        list(_binary_chunks(frame, forms)))
    return CopyData.csv(frame)


def _stored_keys(cursor: psycopg.Cursor, table: str, keys: pd.DataFrame, *, held: float
                 ) -> pd.DataFrame:
    """Those of `keys` the table holds. The smaller side travels: the table's keys when it
    holds fewer rows than half of `keys` (a first large import into a small table), else
    `keys`, joined on the server."""
    key = list(keys.columns)
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
    if not len(keys) or not (cursor.fetchone() or (False,))[0]:
        return pd.DataFrame(columns=key)
    if held < len(keys) / 2:
        cursor.execute(f"SELECT {', '.join(key)} FROM {table}")
    else:
        cursor.execute(f"DROP TABLE IF EXISTS keys_{table}")
        cursor.execute(f"CREATE TEMP TABLE keys_{table} AS SELECT {', '.join(key)} "
                       f"FROM {table} WITH NO DATA")
        _copy(cursor, f"keys_{table}", CopyData.csv(keys))
        cursor.execute(f"SELECT {', '.join(f'k.{c}' for c in key)} FROM keys_{table} k "
                       f"JOIN {table} t USING ({', '.join(key)})")
    stored = pd.DataFrame(cursor.fetchall(), columns=key)
    cursor.execute(f"DROP TABLE IF EXISTS keys_{table}")
    return stored


def _key_index(keys: pd.DataFrame) -> pd.Index:
    """The keys as an index, whose hash table is built once and kept for every lookup."""
    values = keys.astype(object)
    index: pd.Index = (pd.Index(values.iloc[:, 0]) if len(keys.columns) == 1
                       else pd.MultiIndex.from_frame(values))
    return index


def _update_changed(cursor: psycopg.Cursor, table: str, known: pd.DataFrame, key: list[str],
                    on_change: str) -> int:
    """Update the stored rows whose values differ; the number updated."""
    stage = f"stage_{table}"
    columns = list(known.columns)
    others = [c for c in columns if c not in key]
    cursor.execute(f"DROP TABLE IF EXISTS {stage}")
    cursor.execute(f"CREATE TEMP TABLE {stage} AS SELECT {', '.join(columns)} FROM {table} "
                   "WITH NO DATA")
    _copy(cursor, stage, CopyData.csv(known))
    sets = ", ".join([f"{c} = s.{c}" for c in others] + ([on_change] if on_change else []))
    cursor.execute(
        f"UPDATE {table} SET {sets} FROM {stage} s "
        f"WHERE {' AND '.join(f'{table}.{c} = s.{c}' for c in key)} "
        f"AND ({', '.join(f'{table}.{c}' for c in others)}) IS DISTINCT FROM "
        f"({', '.join(f's.{c}' for c in others)})")
    updated = cursor.rowcount
    cursor.execute(f"DROP TABLE {stage}")
    return updated


def _drop_secondary(cursor: psycopg.Cursor, table: str) -> list[str]:
    """Drop `table`'s foreign keys, the keys and indexes no other table's foreign key needs;
    return the statements that recreate them, keys first."""
    foreign_keys = _drop_constraints(cursor, table, "contype = 'f'")
    keys = _drop_constraints(
        cursor, table, "contype IN ('p', 'u') AND NOT EXISTS (SELECT 1 FROM pg_constraint f "
        "WHERE f.contype = 'f' AND f.confrelid = c.conrelid)")
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = %s::regclass AND NOT i.indisunique", [table])
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return [*keys, *(definition for _, definition in indexes), *foreign_keys]


def _drop_constraints(cursor: psycopg.Cursor, table: str, which: str) -> list[str]:
    """Drop the table's constraints matching `which`; the statements that add them back."""
    cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint c "
                   f"WHERE conrelid = %s::regclass AND {which}", [table])
    dropped = cursor.fetchall()
    for name, _ in dropped:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
            for name, definition in dropped]


def _column_kinds(cursor: psycopg.Cursor, table: str) -> dict[str, str]:
    cursor.execute("SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
                   "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                   [table])
    return dict(cursor.fetchall())


#: binary COPY's signature, flags and header extension; its end marker
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_BINARY_TRAILER = b"\xff\xff"
#: PostgreSQL counts time from 2000-01-01 UTC
_POSTGRES_EPOCH = np.datetime64("2000-01-01T00:00:00", "us")
_INTEGERS = {"smallint": ">i2", "integer": ">i4", "bigint": ">i8"}
#: a column in binary form: each value's bytes, and whether it is there (else NULL)
Field = tuple[pa.Array, np.ndarray]


def _binary_form(values: pd.Series, kind: str) -> Callable[[pd.Series], Field] | None:
    """How to put a column of this server type and these values in binary form; None when
    there is no way here (the frame then travels as CSV)."""
    dtype = values.dtype
    if kind in ("text", "character varying") and _is_text(values):
        return _text_field
    if kind == "geometry" and _is_bytes(values):
        return _bytes_field
    if kind == "boolean" and pd.api.types.is_bool_dtype(dtype):
        return lambda v: _fixed_field(v.to_numpy(dtype="u1", na_value=0), v.notna())
    if kind in _INTEGERS and pd.api.types.is_integer_dtype(dtype):
        if not _fits(values, np.iinfo(_INTEGERS[kind])):
            return None  # as CSV, which the server refuses with its own error
        return lambda v: _fixed_field(
            v.to_numpy(dtype="int64", na_value=0).astype(_INTEGERS[kind]), v.notna())
    if kind == "double precision" and pd.api.types.is_float_dtype(dtype):
        return lambda v: _fixed_field(
            v.to_numpy(dtype="float64", na_value=np.nan).astype(">f8"), v.notna())
    if kind == "timestamp with time zone" and isinstance(dtype, pd.DatetimeTZDtype):
        return _instant_field
    return None


def _is_text(values: pd.Series) -> bool:
    """Strings or missing values; an object column is asked what it holds."""
    if values.dtype != object:
        return pd.api.types.is_string_dtype(values.dtype)
    return pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")


def _is_bytes(values: pd.Series) -> bool:
    return pd.api.types.infer_dtype(values, skipna=True) in ("bytes", "empty")


def _fits(values: pd.Series, limits: np.iinfo) -> bool:
    known = values.dropna()
    return not len(known) or bool(limits.min <= known.min() and known.max() <= limits.max)


def _binary_chunks(frame: pd.DataFrame, forms: list[Callable[[pd.Series], Field] | None]
                   ) -> Iterator[bytes]:
    """The frame as binary COPY data (`forms`: each column's `_binary_form`), a chunk of
    rows at a time: each row its field count, then per field its length (-1 for NULL) and
    bytes, all big-endian, joined by Arrow."""
    yield _BINARY_HEADER
    for start in range(0, len(frame), COPY_CHUNK_ROWS):
        part = frame.iloc[start:start + COPY_CHUNK_ROWS]
        count = np.full(len(part), len(frame.columns), dtype=">i2")
        pieces = [_fixed_binary(count.view(np.uint8).reshape(len(part), 2))]
        for column, form in zip(frame.columns, forms, strict=True):
            assert form is not None
            data, present = form(part[column])
            if not present.all():
                # a missing value: no bytes, whatever its slot held (a copy of the column)
                data = pc.if_else(pa.array(present), data, pa.scalar(b"", pa.large_binary()))
            width = np.where(present, pc.binary_length(data).to_numpy(), -1)
            pieces += [_fixed_binary(width.astype(">i4").view(np.uint8).reshape(-1, 4)), data]
        rows = pc.binary_join_element_wise(*pieces, pa.scalar(b"", pa.large_binary()))
        # the rows' values lie end to end in the array's data buffer: that is the chunk
        offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)
        start, end = int(offsets[rows.offset]), int(offsets[rows.offset + len(rows)])
        yield rows.buffers()[2].slice(start, end - start).to_pybytes()
    yield _BINARY_TRAILER


def _fixed_binary(raw: np.ndarray) -> pa.Array:
    """Rows of a 2-D byte array as large_binary values of its width."""
    n, width = raw.shape
    fixed = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(width), n, [None, pa.py_buffer(np.ascontiguousarray(raw).tobytes())])
    return fixed.cast(pa.large_binary())


def _fixed_field(values: np.ndarray, present: pd.Series) -> Field:
    raw = values.view(np.uint8).reshape(len(values), values.dtype.itemsize)
    return _fixed_binary(raw), present.to_numpy(dtype=bool)


def _text(values: pd.Series) -> pa.Array:
    text = pa.array(values, type=pa.large_string(), from_pandas=True)
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def _text_field(values: pd.Series) -> Field:
    return _text(values).cast(pa.large_binary()), values.notna().to_numpy(dtype=bool)


def _bytes_field(values: pd.Series) -> Field:
    data = pa.array(values, type=pa.large_binary(), from_pandas=True)
    data = data.combine_chunks() if isinstance(data, pa.ChunkedArray) else data
    return data, values.notna().to_numpy(dtype=bool)


def _hex_text(values: pd.Series) -> pd.Series:
    """Bytes as their hex digits (how the server reads a geometry in CSV), in one pass."""
    data, present = _bytes_field(values)
    data = data.fill_null(b"")
    offsets = np.frombuffer(data.buffers()[1], dtype=np.int64)[data.offset:
                                                               data.offset + len(data) + 1]
    raw = np.frombuffer(data.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    text = pa.LargeStringArray.from_buffers(
        len(data), pa.py_buffer((offsets - offsets[0]) * 2), pa.py_buffer(_HEX[raw].tobytes()),
        pa.array(present).buffers()[1], null_count=int((~present).sum()))
    return pd.Series(pd.arrays.ArrowExtensionArray(text), index=values.index)


def _instant_field(values: pd.Series) -> Field:
    utc = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    present = values.notna().to_numpy(dtype=bool)
    micros = np.where(present, (utc - _POSTGRES_EPOCH).astype(np.int64), 0).astype(">i8")
    return _fixed_field(micros, pd.Series(present))


def _csv_chunks(frame: pd.DataFrame) -> Iterator[bytes]:
    """The frame as CSV for COPY (no header; a missing value is an empty, unquoted field),
    written by Arrow's C++ writer a chunk at a time."""
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    naive = frame.assign(**{
        column: frame[column].dt.tz_convert("UTC").dt.tz_localize(None)
        for column in frame.columns
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype)}, **{
        column: _hex_text(frame[column]) for column in frame.columns
        if pd.api.types.infer_dtype(frame[column], skipna=True) == "bytes"})
    for start in range(0, len(naive), COPY_CHUNK_ROWS):
        chunk = pa.Table.from_pandas(naive.iloc[start:start + COPY_CHUNK_ROWS],
                                     preserve_index=False)
        buffer = io.BytesIO()
        pacsv.write_csv(chunk, buffer, write_options=options)
        yield buffer.getvalue()


def read_rows(conn: Connection, query: str, params: Mapping[str, Any],
              columns: Mapping[str, pa.DataType]) -> pa.Table:
    """The rows of `query` (psycopg's %(name)s parameters) as an Arrow table with `columns`,
    in order, of these types. For reads of a million rows: the server writes them as one CSV
    text (string_agg) that Arrow's reader parses, because fetching rows one at a time, as
    Row objects or through COPY, costs about 2 µs a row in Python (a second and more per
    million); inside the caller's transaction, so a report reads what the request sees."""
    raw = conn.connection.driver_connection
    assert raw is not None
    fields = ", ".join(f'"{name}"' for name in columns)
    line = " || ',' || ".join(
        f"""coalesce('"' || replace(q."{name}"::text, '"', '""') || '"', '')"""
        if pa.types.is_string(kind) or pa.types.is_dictionary(kind)
        else f"""coalesce(q."{name}"::text, '')""" for name, kind in columns.items())
    with raw.cursor(binary=True) as cursor:  # the text as bytes: no decoding, no copy
        cursor.execute(f"SELECT convert_to(string_agg({line}, E'\\n'), 'UTF8') "
                       f"FROM ({query}) AS q({fields})", params)
        found = cursor.fetchone()
    data = found[0] if found else None
    if not data:
        return pa.table({name: pa.array([], type=kind) for name, kind in columns.items()})
    return pacsv.read_csv(
        pa.BufferReader(data), read_options=pacsv.ReadOptions(column_names=list(columns)),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=dict(columns), strings_can_be_null=True, true_values=["t", "true"],
            false_values=["f", "false"]))
