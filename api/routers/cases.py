"""Cases and their case files."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from api.deps import (
    Db,
    IdempotencyKey,
    IfMatch,
    Policy,
    RepeatPolicyDep,
    SettingsDep,
    VaultDep,
    audit,
    permit,
)
from api.idempotent import once
from api.openapi import Responses
from gridrisk.access.roles import Action
from gridrisk.access.schemas import Caller
from gridrisk.cases import service
from gridrisk.cases.repeats import case_repeats
from gridrisk.cases.schemas import (
    CaseDetailOut,
    CaseEventIn,
    CaseFileOut,
    CaseIn,
    CaseOut,
    CasePage,
    Code,
)
from gridrisk.privacy import service as contacts
from gridrisk.privacy.schemas import ContactView
from gridrisk.vocab import Category

router = APIRouter(prefix="/cases", tags=["cases"])
PROBLEMS: Responses = {
    404: {"description": "no such case in the caller's scope"},
    409: {"description": "the id or Idempotency-Key is taken by another request"},
    412: {"description": "If-Match names a version that is no longer current"},
    422: {"description": "invalid input or refused by the case workflow"}}
CREATED: Responses = {409: PROBLEMS[409], 422: PROBLEMS[422]}
READ: Responses = {404: PROBLEMS[404]}
APPENDED: Responses = {
    **PROBLEMS, 428: {"description": "If-Match is missing: send the version you read"}}
Readers = Annotated[Caller, permit(Action.read_cases)]


@router.post("", status_code=201, summary="登记信访事项", responses=CREATED,
             response_model=CaseOut)
def create_case(body: CaseIn, request: Request, db: Db, settings: SettingsDep,
                policy: Policy, vault: VaultDep, key: IdempotencyKey,
                caller: Annotated[Caller, permit(Action.open_case)]) -> CaseOut | Response:
    """The case is placed in a cell of the caller's regions; others are unknown to them. A
    contact in the body is sealed in the same transaction as the case."""
    def write() -> CaseOut:
        case = service.open_case(db, body, policy=policy, timezone=settings.timezone,
                                 vault=vault, scope=caller.scope)
        audit(db, request, caller, Action.open_case, case.case_id)
        return case
    return once(db, key, f"{caller.name} POST /cases", body, write)


@router.get("", summary="查询信访事项")
def list_cases(
    db: Db, settings: SettingsDep, policy: Policy, caller: Readers,
    region: Annotated[Code | None, Query(description="a region code: cases anywhere under "
                                         "it")] = None,
    cell: Code | None = None,
    category: Category | None = None,
    state: Literal["open", "closed"] | None = None,
    overdue: bool | None = None,
    due_within_days: Annotated[int | None, Query(ge=0, le=365, description=(
        "open cases whose current deadline falls within this many days"))] = None,
    responsible_unit: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CasePage:
    """The cases in the caller's regions."""
    return service.list_cases(
        db, policy=policy, timezone=settings.timezone, region=region, cell=cell,
        category=category, state=state, overdue=overdue, due_within_days=due_within_days,
        responsible_unit=responsible_unit, limit=limit, offset=offset, scope=caller.scope)


@router.get("/{case_id}", summary="信访事项及其状态、重复件", responses=READ)
def get_case(case_id: str, db: Db, settings: SettingsDep, policy: Policy,
             repeat_policy: RepeatPolicyDep, response: Response, caller: Readers
             ) -> CaseDetailOut:
    case = service.get_case(db, case_id, policy=policy, timezone=settings.timezone,
                            scope=caller.scope)
    response.headers["ETag"] = f'"{case.version}"'
    return CaseDetailOut(**case.model_dump(),
                         repeat_links=case_repeats(db, case_id, rules=repeat_policy,
                                                      scope=caller.scope))


@router.get("/{case_id}/events", summary="办理记录（卷宗）", responses=READ)
def get_case_file(case_id: str, db: Db, caller: Readers) -> CaseFileOut:
    return service.get_case_file(db, case_id, scope=caller.scope)


@router.post("/{case_id}/events", status_code=201, summary="追加办理记录",
             responses=APPENDED, response_model=CaseOut)
def append_event(case_id: str, body: CaseEventIn, request: Request, db: Db,
                 caller: Annotated[Caller, permit(Action.append_event)],
                 settings: SettingsDep, policy: Policy, version: IfMatch, key: IdempotencyKey
                 ) -> CaseOut | Response:
    def write() -> CaseOut:
        case = service.append_event(db, case_id, body, expected=version, policy=policy,
                                    timezone=settings.timezone, scope=caller.scope)
        audit(db, request, caller, Action.append_event, case_id,
              {"type": body.type.value, "version": case.version})
        return case
    return once(db, key, f"{caller.name} POST /cases/{case_id}/events", body, write)


@router.get("/{case_id}/contact", summary="诉求人联系方式（明文）", responses={
    **READ, 503: {"description": "the secret key file is missing or is not the contacts' key"}})
def get_contact(case_id: str, request: Request, db: Db, vault: VaultDep, response: Response,
                caller: Annotated[Caller, permit(Action.show_contact)]) -> ContactView:
    """The complainant's contact and the case's free text in clear, for a handler or
    supervisor whose scope holds the case; everywhere else they are masked. Every showing is
    in the audit log."""
    shown = contacts.reveal_contact(db, vault, case_id, scope=caller.scope)
    audit(db, request, caller, Action.show_contact, case_id)
    response.headers["Cache-Control"] = "no-store"
    return shown
