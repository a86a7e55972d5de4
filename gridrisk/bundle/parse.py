"""Vectorised column parsers that collect every problem with its line, column and reason.

Each parser takes a frame of text values ('' = missing, as read by ``read_csv_file``) and
returns the parsed column; rows it cannot parse are recorded in ``Problems`` and get a
missing value, so later checks run on what could be parsed and report everything at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from gridrisk.bundle.errors import REJECT_COLUMNS
from gridrisk.privacy.masking import mask_value

TRUE_WORDS = ("true", "1", "yes", "t", "y", "是")
FALSE_WORDS = ("false", "0", "no", "f", "n", "否")
HAS_OFFSET = r"(?:Z|[+-]\d{2}(?::?\d{2})?)$"
GEOMETRY_KINDS = {-1: "", 0: "point", 1: "line", 2: "ring", 3: "polygon", 4: "multipoint",
                  5: "multiline", 6: "multipolygon", 7: "collection"}

#: the largest value of PostgreSQL's integer, the type of every whole-number column
INTEGER_MAX = 2**31 - 1


class Problems:
    """The rejects of one file: one entry per problem, several per row if need be. The values
    of `personal` columns are recorded masked: rejects files and messages are no place for a
    complainant's details."""

    def __init__(self, file: str, *, personal: tuple[str, ...] = ()) -> None:
        self.file = file
        self.personal = personal
        self._parts: list[pd.DataFrame] = []

    def add(self, rows: pd.DataFrame, mask: pd.Series | np.ndarray, column: str,
            reason: str | pd.Series, value: pd.Series | None = None,
            cause: str | pd.Series = "") -> None:
        """Record the rows under `mask`; `value` defaults to the column's own text; `cause`
        names the root problem when the row is rejected for another's. Rows with an `origin`
        column (a ledger's event rows: which of its columns a row came from) keep it."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        if value is None and column == "geometry":
            # a polygon's text can run to megabytes: the value shown is its kind
            value = pd.Series(shapely.get_type_id(rows[column].to_numpy()), index=rows.index
                              ).map(GEOMETRY_KINDS).fillna("")
        if value is None:
            value = rows[column] if column in rows else pd.Series("", index=rows.index)
        reasons = reason.to_numpy()[mask] if isinstance(reason, pd.Series) else reason
        values = value.astype(str)[mask]
        if column in self.personal:
            values = values.map(mask_value)
        causes = cause.to_numpy()[mask] if isinstance(cause, pd.Series) else cause
        part = pd.DataFrame({
            "file": self.file,
            "line": rows["line"].to_numpy()[mask],
            "column": column,
            "value": values.to_numpy(),
            "reason": reasons,
            "cause": causes,
        })
        if "origin" in rows:
            part["origin"] = rows["origin"].to_numpy()[mask]
        self._parts.append(part)

    def extend(self, other: Problems) -> None:
        """Record another's problems after this one's (checks run out of order keep the
        report's order)."""
        self._parts.extend(other._parts)

    def __bool__(self) -> bool:
        """Whether any problem was recorded."""
        return bool(self._parts)

    def frame(self) -> pd.DataFrame:
        if not self._parts:
            return pd.DataFrame(columns=REJECT_COLUMNS)
        return pd.concat(self._parts, ignore_index=True)

    def bad_lines(self) -> set[int]:
        return set(self.frame()["line"].astype(int))


def present(values: pd.Series) -> pd.Series:
    return values.ne("")


def arrow_text(values: pd.Series | pd.Index | Sequence[str]) -> pa.Array | pa.ChunkedArray:
    """Text as Arrow's large_string: no copy when pandas already holds it in Arrow."""
    return pa.array(values, type=pa.large_string(), from_pandas=True)


def is_in(text: pd.Series, allowed: pd.Index | Sequence[str]) -> pd.Series:
    """Whether each value of a text column is one of `allowed`: Arrow's lookup, which on a
    file's column is nine times as fast as pandas' isin (it turns Arrow text into objects)."""
    found = pc.is_in(arrow_text(text), value_set=arrow_text(allowed)).fill_null(False)
    return pd.Series(found.to_numpy(zero_copy_only=False), index=text.index)


def require(rows: pd.DataFrame, column: str, problems: Problems) -> pd.Series:
    problems.add(rows, ~present(rows[column]), column, "required: the value is empty")
    return rows[column]


def parse_int(rows: pd.DataFrame, column: str, problems: Problems, *, minimum: int,
              required: bool) -> pd.Series:
    """Whole numbers from `minimum` up to what the database's integer columns hold."""
    text = rows[column]
    number = _numbers(text)
    given = present(text)
    not_whole = given & (number.isna() | (number.mod(1) != 0))
    problems.add(rows, not_whole, column, "not a whole number")
    too_small = given & ~not_whole & (number < minimum)
    problems.add(rows, too_small, column, f"must be at least {minimum}")
    too_large = given & ~not_whole & (number > INTEGER_MAX)
    problems.add(rows, too_large, column, f"must be at most {INTEGER_MAX}")
    if required:
        problems.add(rows, ~given, column, "required: the value is empty")
    return number.where(given & ~not_whole & ~too_small & ~too_large).astype("Int64")


def parse_float(rows: pd.DataFrame, column: str, problems: Problems) -> pd.Series:
    text = rows[column]
    number = _numbers(text)
    problems.add(rows, present(text) & number.isna(), column, "not a number")
    return number


def _numbers(text: pd.Series) -> pd.Series:
    """Floats (NaN where empty or not a number): Arrow's cast when every value is a number,
    pandas' slower one, which marks the bad values, when some are not."""
    values = arrow_text(text.where(present(text), None))
    try:
        cast = pc.cast(values, pa.float64())
    except pa.ArrowInvalid:
        return pd.to_numeric(text.where(present(text)), errors="coerce").astype(float)
    return pd.Series(cast.to_numpy(zero_copy_only=False), index=text.index)


def parse_enum(rows: pd.DataFrame, column: str, codes: type[StrEnum], problems: Problems, *,
               required: bool, default: str | None = None) -> pd.Series:
    text = rows[column].str.lower()
    if default is not None:
        text = text.where(present(text), default)
    allowed = [c.value for c in codes]
    unknown = present(text) & ~is_in(text, allowed)
    problems.add(rows, unknown, column,
                 f"unknown value: expected one of {', '.join(allowed)}", rows[column])
    if required:
        problems.add(rows, ~present(text), column, "required: the value is empty")
    return text.where(present(text) & ~unknown, None)


def parse_bool(rows: pd.DataFrame, column: str, problems: Problems, *,
               default: bool | None) -> pd.Series:
    text = rows[column].str.lower()
    truth = is_in(text, TRUE_WORDS)
    falsity = is_in(text, FALSE_WORDS)
    problems.add(rows, present(text) & ~truth & ~falsity, column, "expected true or false")
    if default is None:
        problems.add(rows, ~present(text), column, "required: the value is empty")
    else:
        truth = truth | (~present(text) & default)
    return truth


def parse_date(rows: pd.DataFrame, column: str, problems: Problems) -> pd.Series:
    text = rows[column]
    dates = pd.to_datetime(text.where(present(text)), format="%Y-%m-%d", errors="coerce")
    problems.add(rows, present(text) & dates.isna(), column,
                 "not an ISO date (expected e.g. 2025-03-14)")
    problems.add(rows, ~present(text), column, "required: the value is empty")
    return dates.dt.date


def parse_moment(rows: pd.DataFrame, column: str, problems: Problems, *, timezone: str,
                 dates_allowed: bool, required: bool = True) -> tuple[pd.Series, pd.Series]:
    """UTC instants, and whether the source gave only a date (midnight in `timezone`).
    A time without an offset is read as local time in `timezone`."""
    text = rows[column]
    given = present(text)
    instants = _with_offsets(text, given)
    if instants is None:
        instants, is_date = _mixed_moments(text, given, timezone=timezone,
                                           dates_allowed=dates_allowed)
    else:
        is_date = pd.Series(False, index=text.index)
    expected = "an ISO date or time (e.g. 2025-03-14 or 2025-03-14T09:30:00+08:00)" if (
        dates_allowed) else "an ISO time with its offset (e.g. 2025-03-14T09:30:00+08:00)"
    problems.add(rows, given & instants.isna(), column, f"not {expected}")
    if required:
        problems.add(rows, ~given, column, "required: the value is empty")
    return instants, is_date & dates_allowed


def _with_offsets(text: pd.Series, given: pd.Series) -> pd.Series | None:
    """The instants when every value given is an ISO time with its offset (the usual file),
    else None. Arrow's cast refuses a value without an offset: one pass, where telling the
    forms apart first takes ten times as long."""
    values = arrow_text(text.where(given, None))
    try:
        cast = pc.cast(values, pa.timestamp("us", tz="UTC"))
    except pa.ArrowInvalid:
        return None
    instants: pd.Series = cast.to_pandas().set_axis(text.index)
    return instants


def _mixed_moments(text: pd.Series, given: pd.Series, *, timezone: str, dates_allowed: bool
                   ) -> tuple[pd.Series, pd.Series]:
    """Instants (NaT where a value is no ISO date or time) from values with an offset,
    without one (local time in `timezone`), or dates; and which values are dates."""
    is_date = given & text.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    with_offset = given & ~is_date & text.str.contains(HAS_OFFSET, regex=True)
    local = given & ~is_date & ~with_offset
    instants = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    if with_offset.any():
        instants[with_offset] = pd.to_datetime(text[with_offset], format="ISO8601", utc=True,
                                               errors="coerce")
    naive = is_date | local if dates_allowed else local
    if naive.any():
        parsed = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
        instants[naive] = parsed.dt.tz_localize(timezone, ambiguous="NaT",
                                                nonexistent="NaT").dt.tz_convert("UTC")
    return instants, is_date


def flag_duplicates(rows: pd.DataFrame, column: str, problems: Problems) -> pd.Series:
    """Marks every repeat of an id after its first line, naming that line. Found by a stable
    sort (Arrow's), which puts equal ids side by side in file order: on a million ids five
    times as fast as hashing them (pandas' factorize)."""
    ids = rows[column]
    values = arrow_text(ids)
    order = pc.sort_indices(values)
    ordered = values.take(order)
    n = len(ids)
    # same[k]: the k-th id in sorted order is the one before it again (and not empty)
    same = np.zeros(n, dtype=bool)
    if n > 1:
        same[1:] = pc.equal(ordered.slice(1), ordered.slice(0, n - 1)).to_numpy(
            zero_copy_only=False)
    same &= pc.not_equal(ordered, "").to_numpy(zero_copy_only=False)
    positions = order.to_numpy()
    repeated = np.zeros(n, dtype=bool)
    repeated[positions[same]] = True
    if repeated.any():
        run_start = np.maximum.accumulate(np.where(same, 0, np.arange(n)))
        first = np.empty(n, dtype=np.int64)
        first[positions] = positions[run_start]
        lines = rows["line"].to_numpy()
        reason = np.full(n, "", dtype=object)
        reason[repeated] = [f"duplicate id: first on line {line}"
                            for line in lines[first[repeated]]]
        problems.add(rows, repeated, column, pd.Series(reason, index=rows.index))
    return pd.Series(repeated, index=rows.index)


def flag_only_when(rows: pd.DataFrame, columns: list[str], when: pd.Series, why: str,
                   problems: Problems) -> None:
    for column in columns:
        problems.add(rows, present(rows[column]) & ~when, column, f"only {why}")
