"""A stored cycle read back: the cycles, their cells, a cell's worklist, the cycle before
one. Each read takes the caller's scope into its SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from gridrisk.access.scope import EVERYTHING, Scope
from gridrisk.cycles.assignments import list_assignments
from gridrisk.cycles.schemas import (
    CycleCellOut,
    CycleOut,
    Worklist,
    WorklistCase,
)
from gridrisk.db.base import Db
from gridrisk.errors import NotFound
from gridrisk.regions.service import get_region
from gridrisk.regions.sql import REGIONS_UNDER

CYCLES = """SELECT id, cadence, as_of, region_code, horizon_days, model_id, engine,
                     input_fingerprint, started_at, seconds, n_cells, n_cases, notes
              FROM cycles"""


def _visible(scope: Scope) -> str:
    """A cycle is visible to a caller holding at least one of its cells."""
    if scope.everything:
        return "TRUE"
    return ("EXISTS (SELECT 1 FROM cycle_cells k JOIN cells s ON s.code = k.cell_code "
            f"WHERE k.cycle_id = cycles.id AND {scope.holds('s.region_code', 's.code')})")


def get_cycle(db: Db, cycle_id: int, *, scope: Scope = EVERYTHING) -> CycleOut:
    row = db.execute(text(CYCLES + f" WHERE id = :id AND {_visible(scope)}"),
                     {"id": cycle_id, **scope.params}).mappings().first()
    if row is None:
        raise NotFound(f"no screening cycle {cycle_id}")
    return CycleOut(**row)


def list_cycles(db: Db, *, region_code: str | None = None, cadence: str | None = None,
                limit: int = 50, scope: Scope = EVERYTHING) -> list[CycleOut]:
    """The latest cycles first (by as-of day, then by run)."""
    rows = db.execute(text(
        CYCLES + " WHERE (CAST(:region AS text) IS NULL OR region_code = :region)"
        f" AND (CAST(:cadence AS text) IS NULL OR cadence = :cadence) AND {_visible(scope)}"
        " ORDER BY as_of DESC, id DESC LIMIT :limit"),
        {"region": region_code, "cadence": cadence, "limit": limit, **scope.params}
    ).mappings().all()
    return [CycleOut(**row) for row in rows]


def latest_cycle(db: Db, *, cadence: str | None = None, scope: Scope = EVERYTHING
                 ) -> CycleOut:
    found = list_cycles(db, cadence=cadence, limit=1, scope=scope)
    if not found:
        raise NotFound("no screening cycle has run yet: gridrisk cycle run --cadence weekly")
    return found[0]


CYCLE_CELLS = """
    SELECT c.*, l.name AS cell_name, t.name AS township
    FROM cycle_cells c JOIN cells l ON l.code = c.cell_code
    JOIN regions v ON v.code = l.region_code
    LEFT JOIN regions t ON t.code = v.parent_code AND t.level = 'township'
    WHERE c.cycle_id = :id"""


def cycle_cells(db: Db, cycle_id: int, *, region_code: str | None = None,
                limit: int | None = None, scope: Scope = EVERYTHING) -> list[CycleCellOut]:
    """The cycle's cells (those under `region_code`, when given) in the caller's scope, most
    expected escalations first."""
    get_cycle(db, cycle_id, scope=scope)
    under = ""
    params: dict[str, Any] = {"id": cycle_id, "limit": limit, **scope.params}
    if region_code is not None:
        get_region(db, region_code, scope=scope)
        under = f" AND l.region_code IN {REGIONS_UNDER}"
        params["region"] = region_code
    rows = db.execute(text(CYCLE_CELLS + under + f" AND {scope.holds('l.region_code', 'l.code')}"
                           " ORDER BY c.expected_escalations DESC, c.cell_code LIMIT :limit"),
                      params).mappings().all()
    return [CycleCellOut(**row) for row in rows]


def worklist(db: Db, cycle_id: int, cell_code: str, *, scope: Scope = EVERYTHING
             ) -> Worklist:
    row = db.execute(text(CYCLE_CELLS + " AND c.cell_code = :cell AND "
                          + scope.holds("l.region_code", "l.code")),
                     {"id": cycle_id, "cell": cell_code, **scope.params}).mappings().first()
    if row is None:
        get_cycle(db, cycle_id, scope=scope)
        raise NotFound(f"cell {cell_code} is not in screening cycle {cycle_id}")
    cases = db.execute(text(
        "SELECT * FROM cycle_cases WHERE cycle_id = :id AND cell_code = :cell"
        " ORDER BY rank_in_cell"), {"id": cycle_id, "cell": cell_code}).mappings().all()
    return Worklist(
        cycle_id=cycle_id, cell=CycleCellOut(**row),
        cases=[worklist_case(c) for c in cases],
        assignments=list_assignments(db, cycle_id=cycle_id, cell_code=cell_code))


def worklist_case(row: Any) -> WorklistCase:
    """A stored worklist row as the API and pages show it: the ranked outcome's reasons and
    each risk's probability and reasons apart (none in cycles from before them)."""
    by_outcome = row["reasons"] or {}
    return WorklistCase(**{k: v for k, v in row.items() if k != "reasons"},
                        reasons=[r for r in (row["reason_1"], row["reason_2"], row["reason_3"])
                                 if r],
                        deadline_reasons=by_outcome.get("deadline", []),
                        return_reasons=by_outcome.get("return", []))


def previous_cycle(db: Db, cycle_id: int, *, scope: Scope = EVERYTHING) -> CycleOut:
    """The latest cycle of the same region and cadence before this one (by as-of day, then
    by run)."""
    cycle = get_cycle(db, cycle_id, scope=scope)
    found = db.execute(text(
        "SELECT id FROM cycles WHERE region_code = :region AND cadence = :cadence"
        f" AND (as_of, id) < (:as_of, :id) AND {_visible(scope)}"
        " ORDER BY as_of DESC, id DESC LIMIT 1"),
        {"region": cycle.region_code, "cadence": cycle.cadence.value, "as_of": cycle.as_of,
         "id": cycle.id, **scope.params}).scalar()
    if found is None:
        raise NotFound(f"no {cycle.cadence.value} cycle of {cycle.region_code} ran before "
                       f"cycle {cycle_id}")
    return get_cycle(db, found, scope=scope)
