"""Screening cycles: run one, read its cells, worklists and changes."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import Db, Id, SettingsDep, audit, permit
from api.openapi import Responses
from gridrisk.access.roles import Action
from gridrisk.access.schemas import Caller
from gridrisk.cases.schemas import Code
from gridrisk.cycles import compare as cycle_compare
from gridrisk.cycles import results as cycle_results
from gridrisk.cycles import run as cycle_run
from gridrisk.cycles.schemas import (
    CycleCellOut,
    CycleComparison,
    CycleIn,
    CycleOut,
    Worklist,
)
from gridrisk.vocab import Cadence

router = APIRouter(prefix="/cycles", tags=["cycles"])
PROBLEMS: Responses = {
    404: {"description": "no such cycle, cell or region in the caller's scope, or "
                         "no promoted model"},
    422: {"description": "invalid input"}}
Readers = Annotated[Caller, permit(Action.read_cycles)]


@router.post("", status_code=201, summary="运行排查周期", responses=PROBLEMS)
def run_cycle(body: CycleIn, request: Request, db: Db, settings: SettingsDep,
              caller: Annotated[Caller, permit(Action.run_cycle)]) -> CycleOut:
    """Scores every open case with the promoted model for the cadence's horizon (daily 7,
    weekly 30, monthly 90 days), totals per cell, finds hotspots and proposes assignments.
    Takes seconds to a minute on a county. The region defaults to the caller's."""
    cycle = cycle_run.run_cycle(db, cycle_run.CycleInputs.of(settings), cadence=body.cadence,
                              as_of=body.as_of, region_code=body.region_code,
                              engine=body.engine, scope=caller.scope)
    audit(db, request, caller, Action.run_cycle, str(cycle.id),
          {"cadence": cycle.cadence.value, "region": cycle.region_code})
    return cycle


@router.get("", summary="排查周期列表")
def list_cycles(db: Db, caller: Readers, region: Code | None = None,
                cadence: Cadence | None = None,
                limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[CycleOut]:
    """The cycles holding at least one of the caller's cells."""
    return cycle_results.list_cycles(db, region_code=region, cadence=cadence, limit=limit,
                               scope=caller.scope)


@router.get("/{cycle_id}", summary="排查周期", responses=PROBLEMS)
def get_cycle(cycle_id: Id, db: Db, caller: Readers) -> CycleOut:
    return cycle_results.get_cycle(db, cycle_id, scope=caller.scope)


@router.get("/{cycle_id}/cells", summary="各网格结果（预计升级最多在前）", responses=PROBLEMS)
def cycle_cells(cycle_id: Id, db: Db, caller: Readers, region: Annotated[Code | None, Query(
        description="only the cells under this region")] = None,
                limit: Annotated[int | None, Query(ge=1, le=100000)] = None
                ) -> list[CycleCellOut]:
    """The cycle's cells in the caller's scope."""
    return cycle_results.cycle_cells(db, cycle_id, region_code=region, limit=limit,
                               scope=caller.scope)


@router.get("/{cycle_id}/cells/{cell_code}", summary="网格工作清单", responses=PROBLEMS)
def worklist(cycle_id: Id, cell_code: str, db: Db, caller: Readers) -> Worklist:
    """The cell's open cases ranked by score, with reasons, deadlines and the responsible
    official, and the assignments the cycle proposed for the cell."""
    return cycle_results.worklist(db, cycle_id, cell_code, scope=caller.scope)


@router.get("/{cycle_id}/compare", summary="与同类型的上一周期比较", responses=PROBLEMS)
def compare_with_previous(cycle_id: Id, db: Db, caller: Readers) -> CycleComparison:
    """What changed in the caller's cells since the previous cycle of the same region and
    cadence."""
    previous = cycle_results.previous_cycle(db, cycle_id, scope=caller.scope)
    return cycle_compare.compare_cycles(db, previous.id, cycle_id, scope=caller.scope)


@router.get("/{cycle_id}/compare/{before_id}", summary="与较早周期比较", responses=PROBLEMS)
def compare(cycle_id: Id, before_id: Id, db: Db, caller: Readers) -> CycleComparison:
    return cycle_compare.compare_cycles(db, before_id, cycle_id, scope=caller.scope)
