"""Cases and their case files."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from api.deps import Db, IdempotencyKey, IfMatch, Policy, RepeatPolicyDep, SettingsDep
from api.idempotent import once
from gridrisk.cases import service
from gridrisk.cases.repeats import case_repeats
from gridrisk.cases.schemas import (
    CaseDetailOut,
    CaseEventIn,
    CaseFileOut,
    CaseIn,
    CaseOut,
    CasePage,
)
from gridrisk.vocab import Category

router = APIRouter(prefix="/cases", tags=["cases"])
PROBLEMS = {404: {"description": "unknown case"},
            409: {"description": "the id or Idempotency-Key is taken by another request"},
            412: {"description": "If-Match names a version that is no longer current"},
            422: {"description": "invalid input or refused by the case workflow"}}


@router.post("", status_code=201, summary="登记信访事项", responses=PROBLEMS,
             response_model=CaseOut)
def create_case(body: CaseIn, db: Db, settings: SettingsDep, policy: Policy,
                key: IdempotencyKey) -> CaseOut | Response:
    return once(db, key, "POST /cases", body, lambda: service.open_case(
        db, body, policy=policy, timezone=settings.timezone))


@router.get("", summary="查询信访事项")
def list_cases(
    db: Db, settings: SettingsDep, policy: Policy,
    region: Annotated[str | None, Query(description="a region code: cases anywhere under it")]
    = None,
    cell: str | None = None,
    category: Category | None = None,
    state: Literal["open", "closed"] | None = None,
    overdue: bool | None = None,
    due_within_days: Annotated[int | None, Query(ge=0, le=365, description=(
        "open cases whose current deadline falls within this many days"))] = None,
    responsible_unit: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CasePage:
    return service.list_cases(
        db, policy=policy, timezone=settings.timezone, region=region, cell=cell,
        category=category, state=state, overdue=overdue, due_within_days=due_within_days,
        responsible_unit=responsible_unit, limit=limit, offset=offset)


@router.get("/{case_id}", summary="信访事项及其状态、重复件", responses=PROBLEMS)
def get_case(case_id: str, db: Db, settings: SettingsDep, policy: Policy,
             repeat_policy: RepeatPolicyDep, response: Response) -> CaseDetailOut:
    case = service.get_case(db, case_id, policy=policy, timezone=settings.timezone)
    response.headers["ETag"] = f'"{case.version}"'
    return CaseDetailOut(**case.model_dump(),
                         repeat_links=case_repeats(db, case_id, rules=repeat_policy))


@router.get("/{case_id}/events", summary="办理记录（卷宗）", responses=PROBLEMS)
def get_case_file(case_id: str, db: Db) -> CaseFileOut:
    return service.get_case_file(db, case_id)


@router.post("/{case_id}/events", status_code=201, summary="追加办理记录",
             responses=PROBLEMS, response_model=CaseOut)
def append_event(case_id: str, body: CaseEventIn, db: Db, settings: SettingsDep,
                 policy: Policy, version: IfMatch, key: IdempotencyKey
                 ) -> CaseOut | Response:
    return once(db, key, f"POST /cases/{case_id}/events", body, lambda: service.append_event(
        db, case_id, body, expected=version, policy=policy, timezone=settings.timezone))
