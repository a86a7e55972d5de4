"""Reads the web pages need that the domain services do not offer: a region's overdue
worklist rows and overdue assignments, a case's risks in a cycle, and a grid worker's cells.
Nothing here writes."""

from __future__ import annotations

import json

from sqlalchemy import text

from gridrisk.access.scope import EVERYTHING, Scope
from gridrisk.cycles.assignments import list_assignments
from gridrisk.cycles.results import get_cycle, worklist_case
from gridrisk.cycles.schemas import AssignmentOut
from gridrisk.db.base import Db
from gridrisk.pages.schemas import CaseRisk, OverdueCase, WorkerCell
from gridrisk.regions.service import get_region
from gridrisk.regions.sql import REGIONS_UNDER

#: about 10 m: enough to tap a position on a phone's map, small enough to send
SIMPLIFY_DEGREES = 0.0001
CELLS_UNDER = f" l.region_code IN {REGIONS_UNDER}"


def overdue_cases(db: Db, cycle_id: int, region_code: str, *, limit: int = 50,
                  scope: Scope = EVERYTHING) -> list[OverdueCase]:
    """The cycle's worklist rows past their deadline in cells under the region, most
    overdue first."""
    get_cycle(db, cycle_id, scope=scope)
    get_region(db, region_code, scope=scope)
    rows = db.execute(text(
        "SELECT k.*, l.name AS cell_name FROM cycle_cases k JOIN cells l ON l.code = k.cell_code"
        " WHERE k.cycle_id = :id AND k.overdue AND" + CELLS_UNDER
        + f" AND {scope.holds('l.region_code', 'l.code')}"
        + " ORDER BY k.days_left, k.rank LIMIT :limit"),
        {"id": cycle_id, "region": region_code, "limit": limit, **scope.params}
    ).mappings().all()
    return [OverdueCase(**worklist_case(row).model_dump(), cell_name=row["cell_name"])
            for row in rows]


def case_risk(db: Db, case_id: str, *, cycle_id: int | None = None) -> CaseRisk | None:
    """The case's worklist row in the cycle (the latest cycle that scored it when None);
    None when no such cycle scored it."""
    row = db.execute(text(
        "SELECT k.*, c.as_of, c.horizon_days FROM cycle_cases k JOIN cycles c"
        " ON c.id = k.cycle_id WHERE k.case_id = :case"
        " AND (CAST(:cycle AS integer) IS NULL OR k.cycle_id = :cycle)"
        " ORDER BY c.as_of DESC, c.id DESC LIMIT 1"),
        {"case": case_id, "cycle": cycle_id}).mappings().first()
    if row is None:
        return None
    return CaseRisk(cycle_id=row["cycle_id"], as_of=row["as_of"],
                    horizon_days=row["horizon_days"], case=worklist_case(row))


def overdue_assignments(db: Db, cycle_id: int, region_code: str, *, timezone: str,
                        scope: Scope = EVERYTHING) -> list[AssignmentOut]:
    """The cycle's accepted assignments past their due day in cells under the region,
    the longest overdue first."""
    get_region(db, region_code, scope=scope)
    late = list_assignments(db, cycle_id=cycle_id, region_code=region_code, overdue=True,
                            timezone=timezone, scope=scope)
    return sorted(late, key=lambda a: (a.due_on, a.id))


def worker_cells(db: Db, worker: str, scope: Scope) -> list[WorkerCell]:
    """The cells a grid worker looks after (their scope), with their latest screening of
    each and their accepted or proposed tasks in it; by code."""
    rows = db.execute(text(f"""
        WITH screened AS (
            SELECT cell_code, max(screened_at) AS last_screened_at FROM screening_records
            WHERE worker = :w GROUP BY cell_code),
        tasked AS (
            SELECT cell_code, count(*) AS n_tasks FROM assignments
            WHERE (assignee = :w AND status = 'accepted')
               OR (assignee IS NULL AND status = 'proposed' AND proposed_to = :w)
            GROUP BY cell_code)
        SELECT l.code AS cell_code, l.name AS cell_name, v.name AS village,
               s.last_screened_at, COALESCE(t.n_tasks, 0) AS n_tasks,
               ST_X(ST_PointOnSurface(l.geom)) AS lon, ST_Y(ST_PointOnSurface(l.geom)) AS lat,
               ST_AsGeoJSON(ST_SimplifyPreserveTopology(l.geom, :tolerance), 6) AS geometry
        FROM cells l JOIN regions v ON v.code = l.region_code
        LEFT JOIN screened s ON s.cell_code = l.code LEFT JOIN tasked t ON t.cell_code = l.code
        WHERE {scope.holds('l.region_code', 'l.code')}
        ORDER BY l.code"""), {"w": worker, "tolerance": SIMPLIFY_DEGREES, **scope.params}
        ).mappings().all()
    return [WorkerCell(**{**row, "geometry": json.loads(row["geometry"])}) for row in rows]
