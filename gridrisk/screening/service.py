"""Screening records: recording them from the field, listing them, coverage by cadence, and
turning a found dispute into a case."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from gridrisk.cases.schemas import CaseIn, CaseOut
from gridrisk.cases.service import open_case
from gridrisk.db.writes import AsyncExecutor, MissingReference
from gridrisk.errors import Conflict, InvalidInput, NotFound
from gridrisk.policy import DeadlinePolicy, ScreeningPolicy
from gridrisk.privacy.masking import mask_text
from gridrisk.regions.errors import PointOutsideCells
from gridrisk.regions.service import REGIONS_UNDER, get_region, wgs84_point
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
_INSERT_INTO = """INSERT INTO screening_records (record_id, screened_at, worker, cell_code,
    found, category, severity, parties, geom, outcome, case_id, summary)"""
#: a record without a point; nothing when its record_id is stored; the foreign keys refuse an
#: unknown cell or case
INSERT_RECORD = f"""{_INSERT_INTO}
    VALUES (:record_id, :screened_at, :worker, :cell_code, :found, :category, :severity,
        :parties, NULL, :outcome, :case_id, :summary)
    ON CONFLICT (record_id) DO NOTHING RETURNING {RECORD_COLUMNS}"""
#: the same with a WGS84 point, and nothing when the point lies outside every cell (a separate
#: statement, so that each keeps one cached plan)
INSERT_RECORD_AT_POINT = f"""{_INSERT_INTO}
    SELECT :record_id, :screened_at, :worker, :cell_code, :found, :category, :severity,
        :parties, point.geom, :outcome, :case_id, :summary
    FROM (SELECT ST_SetSRID(ST_MakePoint(CAST(:lon AS float8), CAST(:lat AS float8)), 4326)
          AS geom) AS point
    WHERE EXISTS (SELECT FROM cells WHERE ST_Intersects(cells.geom, point.geom))
    ON CONFLICT (record_id) DO NOTHING RETURNING {RECORD_COLUMNS}"""


class RecordIdTaken(Conflict):
    slug = "record-id-taken"
    title = "Record id used for another record"


def _leaving(record: ScreeningOut) -> ScreeningOut:
    """A record as it leaves: the numbers typed into its summary masked."""
    return record.model_copy(update={"summary": mask_text(record.summary)})


def _stored_record(db: Session, record_id: str) -> ScreeningOut:
    row = db.execute(text(SELECT_RECORD), {"id": record_id}).mappings().first()
    if row is None:
        raise NotFound(f"no screening record {record_id}")
    return ScreeningOut(**row)


def get_screening(db: Session, record_id: str) -> ScreeningOut:
    return _leaving(_stored_record(db, record_id))


async def record_screening(db: AsyncExecutor, record: ScreeningIn
                           ) -> tuple[ScreeningOut, bool]:
    """Store a record; returns it and whether it is new. The same record sent again returns
    the stored one; the same id with other content is a conflict; a point must lie in some
    cell (a dispute may lie in a neighbouring cell). One INSERT … RETURNING on the common
    path: the foreign keys name an unknown cell or case. Safe to repeat (a retry after a
    dropped connection finds its own row)."""
    values = record.model_dump(exclude={"lon", "lat", "crs"})
    if record.lon is not None and record.lat is not None:
        values["lon"], values["lat"] = wgs84_point(record.lon, record.lat, record.crs)
        insert = INSERT_RECORD_AT_POINT
    else:
        values["lon"] = values["lat"] = None
        insert = INSERT_RECORD
    try:
        inserted = await db.fetchrow(insert, values)
    except MissingReference as exc:
        raise _unknown_reference(exc.constraint, record) from exc
    if inserted is not None:
        return _leaving(ScreeningOut(**inserted)), True
    stored = await db.fetchrow(SELECT_RECORD, {"id": record.record_id})
    if stored is None:  # nothing inserted, nothing stored: the point is outside every cell
        assert record.lon is not None and record.lat is not None
        raise PointOutsideCells(record.lon, record.lat)
    found = ScreeningOut(**stored)
    if found != ScreeningOut(**values):
        raise RecordIdTaken(f"record {record.record_id} exists with other content; a new "
                            "record needs a new id")
    return _leaving(found), False


def _unknown_reference(constraint: str, record: ScreeningIn) -> InvalidInput:
    if constraint.endswith("_cases"):
        return InvalidInput("case_id", f"unknown case {record.case_id}")
    return InvalidInput("cell_code", f"unknown cell {record.cell_code}")


def list_screenings(db: Session, *, cell: str, start: date | None, end: date | None,
                    timezone: str, limit: int, offset: int) -> ScreeningPage:
    where = ["cell_code = :cell"]
    if start:
        where.append("(screened_at AT TIME ZONE :tz)::date >= :start")
    if end:
        where.append("(screened_at AT TIME ZONE :tz)::date <= :end")
    params = {"cell": cell, "start": start, "end": end, "tz": timezone, "limit": limit,
              "offset": offset}
    condition = " AND ".join(where)
    total = db.execute(text(f"SELECT count(*) FROM screening_records WHERE {condition}"),
                       params).scalar_one()
    rows = db.execute(text(f"SELECT {RECORD_COLUMNS} FROM screening_records WHERE "
                           f"{condition} ORDER BY screened_at DESC, record_id "
                           "LIMIT :limit OFFSET :offset"), params).mappings()
    return ScreeningPage(items=[_leaving(ScreeningOut(**r)) for r in rows], total=total,
                         limit=limit, offset=offset)


def dispute_to_case(db: Session, record_id: str, request: DisputeToCase, *,
                    policy: DeadlinePolicy, timezone: str) -> CaseOut:
    """Open a case from a found dispute and mark the record as having become that case; the
    case's summary is the record's, as typed."""
    record = _stored_record(db, record_id)
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
    ), policy=policy, timezone=timezone)
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
        ~daily, "D" + days.strftime("%Y-%m-%d"))
    return pd.DataFrame({"day": days.date, "slot": slot.to_numpy()})


def coverage_frame(db: Session | Connection, *, region_code: str | None, start: date,
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
             policy: ScreeningPolicy, timezone: str) -> CoverageOut:
    if end < start:
        raise InvalidInput("end", "the period ends before it starts")
    if end - start > timedelta(days=366):
        raise InvalidInput("end", "a coverage period is at most a year")
    get_region(db, region_code)
    cells = coverage_frame(db, region_code=region_code, start=start, end=end, policy=policy,
                           timezone=timezone)
    due, done = int(cells["due"].sum()), int(cells["done"].sum())
    return CoverageOut(
        region_code=region_code, start=start, end=end, due=due, done=done,
        rate=done / due if due else None,
        cells=[CellCoverage(**row) for row in cells.to_dict("records")],
        missed_cells=cells.loc[cells["done"] < cells["due"], "cell_code"].tolist())
