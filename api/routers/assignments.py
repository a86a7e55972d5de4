"""Assignments proposed by cycles: decisions by supervisors, outcomes by assignees."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import MAX_ID, Db, Id, SettingsDep, audit, permit
from api.openapi import Responses
from gridrisk.access.roles import Action
from gridrisk.access.schemas import Caller
from gridrisk.cases.schemas import Code
from gridrisk.cycles import assignments as service
from gridrisk.cycles.schemas import AssignmentDecision, AssignmentOut, AssignmentOutcome
from gridrisk.vocab import AssignmentStatus, Role

router = APIRouter(prefix="/assignments", tags=["assignments"])
PROBLEMS: Responses = {
    404: {"description": "no such assignment in the caller's scope"},
    409: {"description": "the assignment has moved on (decided, dropped or done)"},
    422: {"description": "invalid input"}}
Readers = Annotated[Caller, permit(Action.read_assignments)]


@router.get("", summary="分派列表")
def list_assignments(
    db: Db, settings: SettingsDep, caller: Readers,
    cycle: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None, cell: Code | None = None,
    region: Annotated[Code | None, Query(description="only cells under this region")] = None,
    assignee: Annotated[Code | None, Query(description=(
        "a grid worker: assigned to them, or proposed to them and not yet decided"))] = None,
    status: AssignmentStatus | None = None,
    overdue: Annotated[bool | None, Query(description="accepted and past the due day")]
    = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> list[AssignmentOut]:
    """The assignments in the caller's cells."""
    return service.list_assignments(db, cycle_id=cycle, cell_code=cell, region_code=region,
                                    assignee=assignee, status=status, overdue=overdue,
                                    limit=limit, timezone=settings.timezone,
                                    scope=caller.scope)


@router.get("/{assignment_id}", summary="分派", responses={404: PROBLEMS[404]})
def get_assignment(assignment_id: Id, db: Db, settings: SettingsDep, caller: Readers
                   ) -> AssignmentOut:
    return service.get_assignment(db, assignment_id, timezone=settings.timezone,
                                  scope=caller.scope)


@router.post("/{assignment_id}/decision", summary="接受、改派或撤销", responses=PROBLEMS)
def decide(assignment_id: Id, body: AssignmentDecision, request: Request, db: Db,
           settings: SettingsDep,
           caller: Annotated[Caller, permit(Action.decide_assignment)]) -> AssignmentOut:
    decided = service.decide(db, assignment_id, body, timezone=settings.timezone,
                             scope=caller.scope)
    audit(db, request, caller, Action.decide_assignment, str(assignment_id),
          {"action": body.action, "assignee": decided.assignee})
    return decided


@router.post("/{assignment_id}/outcome", summary="登记办理结果",
             responses={**PROBLEMS, 403: {"description": "a grid worker records only the "
                                                         "outcome of their own assignments"}})
def record_outcome(assignment_id: Id, body: AssignmentOutcome, request: Request, db: Db,
                   settings: SettingsDep,
                   caller: Annotated[Caller, permit(Action.record_outcome)]) -> AssignmentOut:
    done = service.record_outcome(
        db, assignment_id, body, timezone=settings.timezone, scope=caller.scope,
        by_assignee=caller.name if caller.role == Role.worker else None)
    audit(db, request, caller, Action.record_outcome, str(assignment_id))
    return done
