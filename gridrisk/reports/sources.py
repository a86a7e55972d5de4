"""What the reports read from the database, as the frames reports/indicators.py counts
(its CASE_COLUMNS, EVENT_COLUMNS, CELL_COLUMNS and SCREENING_COLUMNS). Cases and case files
travel as CSV text (db/bulk.read_rows): the large demo county's million events in about a
second and a half. Nothing here reads a complainant's contact details."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from sqlalchemy import text

from gridrisk.db.base import Db, connection_of
from gridrisk.db.bulk import read_rows
from gridrisk.errors import InvalidInput
from gridrisk.policy import DeadlinePolicy
from gridrisk.regions.errors import UnknownRegion
from gridrisk.regions.service import REGIONS_ABOVE
from gridrisk.regions.sql import REGIONS_UNDER
from gridrisk.reports.indicators import COUNTED_EVENTS, CaseFiles
from gridrisk.vocab import CELL_HOLDERS, RegionLevel

BY = ("township", "village")
#: each region at or under :region with its level and its township (NULL above townships)
REGIONS_WITH_TOWNSHIP = """
    WITH RECURSIVE below AS (
        SELECT code, name, level, CASE WHEN level = 'township' THEN code END AS township
        FROM regions WHERE code = :region
        UNION ALL SELECT r.code, r.name, r.level,
                         COALESCE(b.township, CASE WHEN r.level = 'township' THEN r.code END)
        FROM regions r JOIN below b ON r.parent_code = b.code)
    SELECT code, name, level, township FROM below ORDER BY code"""
CASES = """
    SELECT case_id, region_code, received_on, complex, (due_at AT TIME ZONE %(tz)s)::date
    FROM cases WHERE region_code = ANY(%(villages)s)"""
#: … with the attributes reports group by and campaigns choose by
CASES_WITH_DETAILS = """
    SELECT case_id, region_code, received_on, complex, (due_at AT TIME ZONE %(tz)s)::date,
           category, responsible_unit, responsible_official, channel, parties
    FROM cases WHERE region_code = ANY(%(villages)s)"""
DETAIL_COLUMNS = ["region_code", "category", "responsible_unit", "responsible_official",
                  "channel", "parties"]
#: what a report's list of cases shows of each (never a complainant's details)
LISTED_CASES = """
    SELECT case_id, region_code, category, responsible_unit, responsible_official, summary
    FROM cases WHERE case_id = ANY(:ids)"""
#: the events some figure reads, corrected ones left out (as cases.service.CASE_FILES);
#: sorted in Python (cheaper than the server's sort on text keys)
EVENTS = """
    SELECT e.case_id, (e.at AT TIME ZONE %(tz)s)::date - DATE '1970-01-01', e.type,
           CASE WHEN e.type IN ('followed_up', 'extended') THEN e.detail END,
           CASE WHEN e.type = 'escalated' THEN e.level END, e.id
    FROM case_events e
    WHERE e.type = ANY(%(types)s)
      AND e.id NOT IN (SELECT corrects FROM case_events WHERE corrects IS NOT NULL)"""
#: … of the region's cases, when it does not hold every case
EVENTS_OF_REGION = EVENTS + """
      AND e.case_id IN (SELECT case_id FROM cases WHERE region_code = ANY(%(villages)s))"""
SCREENINGS = """
    SELECT s.cell_code, s.screened_at AT TIME ZONE %(tz)s
    FROM screening_records s
    WHERE s.cell_code IN (SELECT code FROM cells WHERE region_code = ANY(%(villages)s))
      AND (s.screened_at AT TIME ZONE %(tz)s)::date BETWEEN %(first)s AND %(last)s"""
TEXT = pa.dictionary(pa.int32(), pa.string())


@dataclass(frozen=True)
class Units:
    """The groups a region's figures are broken down by, and where each village belongs."""

    region_code: str
    region_name: str
    region_level: str
    #: township, village, or None for the region as a whole
    by: str | None
    #: code → name, in code order
    names: dict[str, str]
    #: village or community code → unit code
    village_unit: dict[str, str]

    @property
    def codes(self) -> list[str]:
        return list(self.names)

    @property
    def villages(self) -> list[str]:
        return list(self.village_unit)


def region_units(db: Db, region_code: str, by: str | None) -> Units:
    """The region's units for `by` (raises UnknownRegion; InvalidInput when the region has
    no units of that level under it)."""
    rows = db.execute(text(REGIONS_WITH_TOWNSHIP), {"region": region_code}).all()
    if not rows:
        raise UnknownRegion(region_code)
    top = next(r for r in rows if r.code == region_code)
    if by is not None and by not in BY:
        raise InvalidInput("by", f"'{by}' is not one of {', '.join(BY)}")
    below = {"township": (RegionLevel.county,),
             "village": (RegionLevel.county, RegionLevel.township)}
    if by is not None and top.level not in below[by]:
        raise InvalidInput("by", f"{region_code} is a {top.level}: it has no {by} under it")
    holders = [r for r in rows if r.level in CELL_HOLDERS]
    names = {r.code: r.name for r in rows}
    if by is None:
        units, village_unit = {region_code: top.name}, {r.code: region_code for r in holders}
    elif by == "township":
        units = {r.code: r.name for r in rows if r.level == RegionLevel.township}
        village_unit = {r.code: r.township for r in holders if r.township}
    else:
        units = {r.code: r.name for r in holders}
        village_unit = {r.code: r.code for r in holders}
    return Units(region_code=region_code, region_name=names[region_code],
                 region_level=top.level, by=by, names=units, village_unit=village_unit)


def load_case_files(db: Db, units: Units, *, timezone: str, deadlines: DeadlinePolicy,
                    details: bool = False) -> tuple[CaseFiles, pd.DataFrame | None]:
    """Every case of the region with the events of its file that some figure reads; with
    `details`, also a frame of DETAIL_COLUMNS in the files' case order."""
    conn = connection_of(db)
    params = {"villages": units.villages, "tz": timezone,
              "types": [t.value for t in COUNTED_EVENTS]}
    columns = {"case_id": pa.string(), "region_code": TEXT, "received_on": pa.date32(),
               "complex": pa.bool_(), "due_on": pa.date32()}
    if details:
        columns |= {"category": TEXT, "responsible_unit": TEXT,
                    "responsible_official": TEXT, "channel": TEXT, "parties": pa.int32()}
    cases = read_rows(conn, CASES_WITH_DETAILS if details else CASES, params, columns)
    every_case = conn.execute(text("SELECT count(*) FROM cases")).scalar_one() == len(cases)
    events = read_rows(conn, EVENTS if every_case else EVENTS_OF_REGION, params, {
        "case_id": TEXT, "day": pa.int32(), "type": TEXT, "detail": pa.string(),
        "level": TEXT, "id": pa.int64()})
    case_ids = pd.Series(cases["case_id"].to_numpy(zero_copy_only=False), dtype=object)
    frame = pd.DataFrame({
        "case_id": case_ids,
        "unit": pd.Series(_dictionary(cases["region_code"]), dtype=object).map(
            units.village_unit),
        "received_on": _days(cases["received_on"]),
        "complex": cases["complex"].to_numpy(zero_copy_only=False),
        "due_on": _days(cases["due_on"])})
    case = _dictionary(events["case_id"], positions_in=cases["case_id"])
    day = events["day"].to_numpy().astype("datetime64[D]")
    order = np.lexsort((events["id"].to_numpy(), day, case))
    files = pd.DataFrame({
        "case_id": pd.Series(case_ids.to_numpy()[case[order]], dtype=object),
        "case": case[order], "on": day[order],
        "type": _categorical(events["type"])[order],
        "detail": pd.Series(events["detail"].to_numpy(zero_copy_only=False)[order],
                            dtype=object),
        "level": pd.Series(_dictionary(events["level"])[order], dtype=object)})
    attributes = pd.DataFrame({
        "case_id": case_ids,
        **{c: pd.Series(_dictionary(cases[c]) if pa.types.is_dictionary(cases[c].type)
                        else cases[c].to_numpy(zero_copy_only=False), dtype=object)
           for c in DETAIL_COLUMNS}}) if details else None
    return CaseFiles(frame, files, units=units.codes, deadlines=deadlines), attributes


def listed_cases(db: Db, case_ids: list[str]) -> pd.DataFrame:
    """What a report lists of each of `case_ids`, in that order."""
    rows = {r.case_id: r for r in db.execute(text(LISTED_CASES), {"ids": case_ids})}
    return pd.DataFrame([tuple(rows[c]) for c in case_ids],
                        columns=["case_id", "region_code", "category", "responsible_unit",
                                 "responsible_official", "summary"])


def latest_hotspots(db: Db, region_code: str, first: date, last: date
                    ) -> tuple[int, date, gpd.GeoDataFrame, gpd.GeoDataFrame] | None:
    """The latest screening cycle with an as-of day from `first` to `last` run for the region
    or one above it: its id, as-of day, the region's cells with their hotspot class
    (maps/static.py's columns) and the township outlines; None when there is none."""
    found = db.execute(text(f"""
        SELECT id, as_of FROM cycles WHERE as_of BETWEEN :first AND :last
          AND region_code IN {REGIONS_ABOVE} ORDER BY as_of DESC, id DESC LIMIT 1"""),
        {"first": first, "last": last, "region": region_code}).first()
    if found is None:
        return None
    params = {"id": found.id, "region": region_code}
    cells = db.execute(text(f"""
        SELECT c.cell_code, c.hotspot, ST_AsBinary(l.geom) FROM cycle_cells c
        JOIN cells l ON l.code = c.cell_code
        WHERE c.cycle_id = :id AND l.region_code IN {REGIONS_UNDER}"""), params).all()
    outlines = db.execute(text(f"""
        SELECT code, name, level, ST_AsBinary(geom) FROM regions
        WHERE code IN {REGIONS_UNDER} AND level IN ('county', 'township')"""), params).all()

    def frame(rows: Sequence[Any], columns: list[str]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame({c: [r[i] for r in rows] for i, c in enumerate(columns)},
                                geometry=shapely.from_wkb([bytes(r[-1]) for r in rows]),
                                crs=4326)

    return (found.id, found.as_of, frame(cells, ["cell_code", "hotspot"]),
            frame(outlines, ["region_code", "name", "level"]))


def _dictionary(column: pa.ChunkedArray, positions_in: pa.ChunkedArray | None = None
                ) -> np.ndarray:
    """A dictionary column's values (object array, None for null), or with `positions_in`
    each value's position there (-1 when absent): one lookup per distinct value."""
    encoded = column.unify_dictionaries().combine_chunks() if column.num_chunks else (
        pa.array([], type=column.type))
    values = (pc.index_in(encoded.dictionary, value_set=positions_in.combine_chunks())
              .fill_null(-1).to_numpy() if positions_in is not None
              else encoded.dictionary.to_numpy(zero_copy_only=False))
    indices = encoded.indices.fill_null(-1).to_numpy()
    found = values[np.maximum(indices, 0)] if len(values) else np.full(len(indices), None)
    absent = -1 if positions_in is not None else None
    # numpy's stubs take neither None nor an int as the fill
    looked_up: np.ndarray = np.where(indices >= 0, found, absent)  # type: ignore[arg-type, assignment]
    return looked_up


def _categorical(column: pa.ChunkedArray) -> pd.Categorical:
    """A dictionary column of no nulls as a pandas categorical, without touching its rows'
    strings."""
    encoded = column.unify_dictionaries().combine_chunks() if column.num_chunks else (
        pa.array([], type=column.type))
    return pd.Categorical.from_codes(encoded.indices.to_numpy(),
                                     categories=encoded.dictionary.to_pylist())


def _days(column: pa.ChunkedArray) -> np.ndarray:
    days: np.ndarray = column.to_numpy().astype("datetime64[ns]")
    return days


def load_screenings(db: Db, units: Units, first: date, last: date, *, timezone: str
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The region's cells (cell_code, unit, cell_name) and their screenings in the days from
    `first` to `last` (cell_code, screened_at on the local clock)."""
    conn = connection_of(db)
    cells = pd.DataFrame(conn.execute(text(
        "SELECT code, region_code, name FROM cells WHERE region_code = ANY(:villages) "
        "ORDER BY code"), {"villages": units.villages}).all(),
        columns=["cell_code", "region_code", "cell_name"])
    cells = pd.DataFrame({"cell_code": cells["cell_code"].to_numpy(object),
                          "unit": cells["region_code"].map(units.village_unit).to_numpy(object),
                          "cell_name": cells["cell_name"].to_numpy(object)})
    screenings = read_rows(conn, SCREENINGS, {"villages": units.villages, "tz": timezone,
                                              "first": first, "last": last},
                           {"cell_code": TEXT, "screened_at": pa.timestamp("us")})
    return cells, pd.DataFrame({
        "cell_code": pd.Series(_dictionary(screenings["cell_code"]), dtype=object),
        "screened_at": screenings["screened_at"].to_numpy().astype("datetime64[ns]")})


