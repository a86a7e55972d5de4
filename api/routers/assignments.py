"""Assignments proposed by cycles: decisions by supervisors, outcomes by assignees."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Db, SettingsDep
from gridrisk.cycles import assignments as service
from gridrisk.cycles.schemas import AssignmentDecision, AssignmentOut, AssignmentOutcome
from gridrisk.vocab import AssignmentStatus

router = APIRouter(prefix="/assignments", tags=["assignments"])
PROBLEMS = {404: {"description": "unknown assignment"},
            409: {"description": "the assignment has moved on (decided, dropped or done)"},
            422: {"description": "invalid input"}}


@router.get("", summary="分派列表")
def list_assignments(
    db: Db, settings: SettingsDep, cycle: int | None = None, cell: str | None = None,
    region: Annotated[str | None, Query(description="only cells under this region")] = None,
    assignee: Annotated[str | None, Query(description=(
        "a grid worker: assigned to them, or proposed to them and not yet decided"))] = None,
    status: AssignmentStatus | None = None,
    overdue: Annotated[bool | None, Query(description="accepted and past the due day")]
    = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> list[AssignmentOut]:
    return service.list_assignments(db, cycle_id=cycle, cell_code=cell, region_code=region,
                                    assignee=assignee,
                                    status=status, overdue=overdue, limit=limit,
                                    timezone=settings.timezone)


@router.get("/{assignment_id}", summary="分派", responses=PROBLEMS)
def get_assignment(assignment_id: int, db: Db, settings: SettingsDep) -> AssignmentOut:
    return service.get_assignment(db, assignment_id, timezone=settings.timezone)


@router.post("/{assignment_id}/decision", summary="接受、改派或撤销", responses=PROBLEMS)
def decide(assignment_id: int, body: AssignmentDecision, db: Db, settings: SettingsDep
           ) -> AssignmentOut:
    return service.decide(db, assignment_id, body, timezone=settings.timezone)


@router.post("/{assignment_id}/outcome", summary="登记办理结果", responses=PROBLEMS)
def record_outcome(assignment_id: int, body: AssignmentOutcome, db: Db,
                   settings: SettingsDep) -> AssignmentOut:
    return service.record_outcome(db, assignment_id, body, timezone=settings.timezone)
