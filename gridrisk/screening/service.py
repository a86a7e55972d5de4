"""Screening records: recording them from the field, listing them, coverage by cadence, and
turning a found dispute into a case."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from typing import Any, cast
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from gridrisk.access.scope import EVERYTHING, Scope
from gridrisk.cases.schemas import CaseIn, CaseOut
from gridrisk.cases.service import open_case
from gridrisk.db.base import Db
from gridrisk.db.writes import AsyncExecutor, MissingReference
from gridrisk.errors import Conflict, InvalidInput, NotFound
from gridrisk.policy import DeadlinePolicy, ScreeningPolicy
from gridrisk.privacy.masking import mask_text
from gridrisk.regions.errors import PointOutsideCells
from gridrisk.regions.service import get_region, wgs84_point
from gridrisk.regions.sql import REGIONS_UNDER
from gridrisk.screening.schemas import (
    CellCoverage,
    CoverageOut,
    DisputeToCase,
    ScreeningIn,
    ScreeningOut,
    ScreeningPage,
)
from gridrisk.vocab import Outcome

RECORD_COLUMNS = """record_id, screened_at, worker, cell_code, found, category, severity,
    parties, ST_X(geom) AS lon, ST_Y(geom) AS lat, outcome, case_id, summary"""
SELECT_RECORD = f"SELECT {RECORD_COLUMNS} FROM screening_records WHERE record_id = :id"


def _insert(scope: Scope, *, at_point: bool) -> str:
    """One INSERT … RETURNING a record: nothing when its record_id is stored, when its cell
    (or the case it names) is outside the writer's scope, or, with a point, when the point
    lies outside every cell; the foreign keys refuse an unknown cell or case. Cached per
    scope shape, so that each keeps one prepared plan."""
    return _insert_statement(scope.everything, bool(scope.regions), bool(scope.cells), at_point)


@cache
def _insert_statement(everything: bool, regions: bool, cells: bool, at_point: bool) -> str:
    shape = Scope(regions=("r",) if regions else (), cells=("c",) if cells else (),
                  everything=everything)
    point = ("ST_SetSRID(ST_MakePoint(CAST(:lon AS float8), CAST(:lat AS float8)), 4326)"
             if at_point else "NULL::geometry")
    conditions = [shape.holds_cell("CAST(:cell_code AS text)")]
    if not everything:
        conditions.append("(CAST(:case_id AS text) IS NULL OR EXISTS (SELECT FROM cases k "
                          "WHERE k.case_id = :case_id AND "
                          f"{shape.holds('k.region_code', 'k.cell_code')}))")
    if at_point:
        conditions.append("EXISTS (SELECT FROM cells WHERE ST_Intersects(cells.geom, "
                          "point.geom))")
    return f"""INSERT INTO screening_records (record_id, screened_at, worker, cell_code,
        found, category, severity, parties, geom, outcome, case_id, summary)
    SELECT :record_id, :screened_at, :worker, :cell_code, :found, :category, :severity,
        :parties, point.geom, :outcome, :case_id, :summary
    FROM (SELECT {point} AS geom) AS point
    WHERE {" AND ".join(conditions)}
    ON CONFLICT (record_id) DO NOTHING RETURNING {RECORD_COLUMNS}"""


class RecordIdTaken(Conflict):
    slug = "record-id-taken"
    title = "Record id used for another record"


def _leaving(record: ScreeningOut) -> ScreeningOut:
    """A record as it leaves: the numbers typed into its summary masked."""
    return record.model_copy(update={"summary": mask_text(record.summary)})


def _stored_record(db: Session, record_id: str, *, scope: Scope = EVERYTHING) -> ScreeningOut:
    row = db.execute(text(SELECT_RECORD + f" AND {scope.holds_cell('cell_code')}"),
                     {"id": record_id, **scope.params}).mappings().first()
    if row is None:
        raise NotFound(f"no screening record {record_id}")
    return ScreeningOut(**row)


def get_screening(db: Session, record_id: str, *, scope: Scope = EVERYTHING) -> ScreeningOut:
    return _leaving(_stored_record(db, record_id, scope=scope))


async def record_screening(db: AsyncExecutor, record: ScreeningIn,
                           scope: Scope = EVERYTHING) -> tuple[ScreeningOut, bool]:
    """Store a record; returns it and whether it is new. The same record sent again returns
    the stored one; the same id with other content is a conflict; a point must lie in some
    cell (a dispute may lie in a neighbouring cell); a cell or case outside the writer's
    scope is unknown to them. One INSERT … RETURNING on the common path. Safe to repeat (a
    retry after a dropped connection finds its own row)."""
    values = {**record.model_dump(exclude={"lon", "lat", "crs"}), **scope.params}
    at_point = record.lon is not None and record.lat is not None
    if record.lon is not None and record.lat is not None:
        values["lon"], values["lat"] = wgs84_point(record.lon, record.lat, record.crs)
    else:
        values["lon"] = values["lat"] = None
    try:
        inserted = await db.fetchrow(_insert(scope, at_point=at_point), values)
    except MissingReference as exc:
        raise _unknown_reference(exc.constraint, record) from exc
    if inserted is not None:
        return _leaving(ScreeningOut(**inserted)), True
    stored = await db.fetchrow(SELECT_RECORD, {"id": record.record_id})
    if stored is None:
        raise await _why_not_stored(db, record, scope)
    found = ScreeningOut(**stored)
    if found != ScreeningOut(**values):
        raise RecordIdTaken(f"record {record.record_id} exists with other content; a new "
                            "record needs a new id")
    return _leaving(found), False


async def _why_not_stored(db: AsyncExecutor, record: ScreeningIn, scope: Scope
                          ) -> InvalidInput:
    """Nothing inserted, nothing stored: a cell or case outside the scope (told as unknown),
    or a point outside every cell."""
    held = await db.fetchrow(
        f"SELECT {scope.holds_cell('CAST(:cell_code AS text)')} AS cell, "
        "(CAST(:case_id AS text) IS NULL OR EXISTS (SELECT FROM cases k WHERE "
        f"k.case_id = :case_id AND {scope.holds('k.region_code', 'k.cell_code')})) AS case",
        {"cell_code": record.cell_code, "case_id": record.case_id, **scope.params})
    assert held is not None
    if not held["cell"]:
        return _unknown_reference("fk_screening_records_cell_code_cells", record)
    if not held["case"]:
        return _unknown_reference("fk_screening_records_case_id_cases", record)
    assert record.lon is not None and record.lat is not None
    return PointOutsideCells(record.lon, record.lat)


def _unknown_reference(constraint: str, record: ScreeningIn) -> InvalidInput:
    if constraint.endswith("_cases"):
        return InvalidInput("case_id", f"unknown case {record.case_id}")
    return InvalidInput("cell_code", f"unknown cell {record.cell_code}")


def list_screenings(db: Session, *, cell: str, start: date | None, end: date | None,
                    timezone: str, limit: int, offset: int, scope: Scope = EVERYTHING
                    ) -> ScreeningPage:
    where = ["cell_code = :cell", scope.holds_cell("cell_code")]
    if start:
        where.append("(screened_at AT TIME ZONE :tz)::date >= :start")
    if end:
        where.append("(screened_at AT TIME ZONE :tz)::date <= :end")
    params = {"cell": cell, "start": start, "end": end, "tz": timezone, "limit": limit,
              "offset": offset, **scope.params}
    condition = " AND ".join(where)
    total = db.execute(text(f"SELECT count(*) FROM screening_records WHERE {condition}"),
                       params).scalar_one()
    rows = db.execute(text(f"SELECT {RECORD_COLUMNS} FROM screening_records WHERE "
                           f"{condition} ORDER BY screened_at DESC, record_id "
                           "LIMIT :limit OFFSET :offset"), params).mappings()
    return ScreeningPage(items=[_leaving(ScreeningOut(**r)) for r in rows], total=total,
                         limit=limit, offset=offset)


def dispute_to_case(db: Session, record_id: str, request: DisputeToCase, *,
                    policy: DeadlinePolicy, timezone: str, scope: Scope = EVERYTHING
                    ) -> CaseOut:
    """Open a case from a found dispute and mark the record as having become that case; the
    case's summary is the record's, as typed."""
    record = _stored_record(db, record_id, scope=scope)
    if not record.found:
        raise InvalidInput("record_id", f"record {record_id} found no dispute")
    if record.case_id:
        raise Conflict(f"record {record_id} became case {record.case_id} already")
    assert record.category is not None
    case = open_case(db, CaseIn(
        case_id=request.case_id,
        received_on=record.screened_at.astimezone(ZoneInfo(timezone)).date(),
        channel=request.channel, category=record.category, parties=record.parties or 1,
        lon=record.lon, lat=record.lat, cell_code=record.cell_code, complex=request.complex,
        responsible_unit=request.responsible_unit,
        responsible_official=request.responsible_official, summary=record.summary,
    ), policy=policy, timezone=timezone, scope=scope)
    db.execute(text("UPDATE screening_records SET outcome = :outcome, case_id = :case "
                    "WHERE record_id = :id"),
               {"outcome": Outcome.became_case.value, "case": case.case_id, "id": record_id})
    return case


# -- coverage -----------------------------------------------------------------------------


def screening_slots(start: date, end: date, policy: ScreeningPolicy) -> pd.DataFrame:
    """Each day of the period and the slot a screening on it fills: the day itself in a
    designated daily period, else its week (Monday to Sunday)."""
    days = pd.date_range(start, end, freq="D")
    daily = pd.Series(False, index=days)
    for period in policy.daily_periods:
        daily |= (days >= pd.Timestamp(period.start)) & (days <= pd.Timestamp(period.end))
    mondays = days - pd.to_timedelta(days.day_of_week, unit="D")
    slot = pd.Series("W" + mondays.strftime("%Y-%m-%d"), index=days).where(
        ~daily, "D" + days.strftime("%Y-%m-%d"))  # type: ignore[call-overload]
    return pd.DataFrame({"day": days.date, "slot": slot.to_numpy()})


def coverage_frame(db: Db, *, region_code: str | None, start: date,
                   end: date, policy: ScreeningPolicy, timezone: str) -> pd.DataFrame:
    """Per cell (of the region, or all): columns cell_code, region_code, due, done, missed
    (the slots without a screening)."""
    slots = screening_slots(start, end, policy)
    scope = f"region_code IN {REGIONS_UNDER}" if region_code else "TRUE"
    params = {"region": region_code, "start": start, "end": end, "tz": timezone}
    cells = pd.DataFrame(db.execute(text(
        f"SELECT code, region_code FROM cells WHERE {scope} ORDER BY code"), params).all(),
        columns=["cell_code", "region_code"])
    screened = pd.DataFrame(db.execute(text(f"""
        SELECT DISTINCT cell_code, (screened_at AT TIME ZONE :tz)::date AS day
        FROM screening_records
        WHERE cell_code IN (SELECT code FROM cells WHERE {scope})
          AND (screened_at AT TIME ZONE :tz)::date BETWEEN :start AND :end"""),
        params).all(), columns=["cell_code", "day"])
    filled = screened.merge(slots, on="day")[["cell_code", "slot"]].drop_duplicates()
    due = list(dict.fromkeys(slots["slot"]))
    done = filled.groupby("cell_code")["slot"].agg(set)
    cells["done"] = cells["cell_code"].map(done.map(len)).fillna(0).astype(int)
    cells["due"] = len(due)
    cells["missed"] = [[s for s in due if s not in done.get(code, set())]
                       for code in cells["cell_code"]]
    return cells


def coverage(db: Session, *, region_code: str, start: date, end: date,
             policy: ScreeningPolicy, timezone: str, scope: Scope = EVERYTHING) -> CoverageOut:
    if end < start:
        raise InvalidInput("end", "the period ends before it starts")
    if end - start > timedelta(days=366):
        raise InvalidInput("end", "a coverage period is at most a year")
    get_region(db, region_code, scope=scope)
    cells = coverage_frame(db, region_code=region_code, start=start, end=end, policy=policy,
                           timezone=timezone)
    due, done = int(cells["due"].sum()), int(cells["done"].sum())
    return CoverageOut(
        region_code=region_code, start=start, end=end, due=due, done=done,
        rate=done / due if due else None,
        cells=[CellCoverage(**row)
               for row in cast(list[dict[str, Any]], cells.to_dict("records"))],
        missed_cells=cells.loc[cells["done"] < cells["due"], "cell_code"].tolist())
