"""Screening cycles: run one, read its cells, worklists and changes."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Db, SettingsDep
from gridrisk.cycles import service
from gridrisk.cycles.schemas import (
    CycleCellOut,
    CycleComparison,
    CycleIn,
    CycleOut,
    Worklist,
)
from gridrisk.vocab import Cadence

router = APIRouter(prefix="/cycles", tags=["cycles"])
PROBLEMS = {404: {"description": "unknown cycle, cell, region or no promoted model"},
            422: {"description": "invalid input"}}


@router.post("", status_code=201, summary="运行排查周期", responses=PROBLEMS)
def run_cycle(body: CycleIn, db: Db, settings: SettingsDep) -> CycleOut:
    """Scores every open case with the promoted model for the cadence's horizon (daily 7,
    weekly 30, monthly 90 days), totals per cell, finds hotspots and proposes assignments.
    Takes seconds to a minute on a county."""
    return service.run_cycle(db, service.CycleInputs.of(settings), cadence=body.cadence,
                             as_of=body.as_of, region_code=body.region_code,
                             engine=body.engine)


@router.get("", summary="排查周期列表")
def list_cycles(db: Db, region: str | None = None, cadence: Cadence | None = None,
                limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[CycleOut]:
    return service.list_cycles(db, region_code=region, cadence=cadence, limit=limit)


@router.get("/{cycle_id}", summary="排查周期", responses=PROBLEMS)
def get_cycle(cycle_id: int, db: Db) -> CycleOut:
    return service.get_cycle(db, cycle_id)


@router.get("/{cycle_id}/cells", summary="各网格结果（预计升级最多在前）", responses=PROBLEMS)
def cycle_cells(cycle_id: int, db: Db, region: Annotated[str | None, Query(
        description="only the cells under this region")] = None,
                limit: Annotated[int | None, Query(ge=1, le=100000)] = None
                ) -> list[CycleCellOut]:
    return service.cycle_cells(db, cycle_id, region_code=region, limit=limit)


@router.get("/{cycle_id}/cells/{cell_code}", summary="网格工作清单", responses=PROBLEMS)
def worklist(cycle_id: int, cell_code: str, db: Db) -> Worklist:
    """The cell's open cases ranked by score, with reasons, deadlines and the responsible
    official, and the assignments the cycle proposed for the cell."""
    return service.worklist(db, cycle_id, cell_code)


@router.get("/{cycle_id}/compare", summary="与同类型的上一周期比较", responses=PROBLEMS)
def compare_with_previous(cycle_id: int, db: Db) -> CycleComparison:
    """What changed since the previous cycle of the same region and cadence."""
    return service.compare_cycles(db, service.previous_cycle(db, cycle_id).id, cycle_id)


@router.get("/{cycle_id}/compare/{before_id}", summary="与较早周期比较", responses=PROBLEMS)
def compare(cycle_id: int, before_id: int, db: Db) -> CycleComparison:
    return service.compare_cycles(db, before_id, cycle_id)
