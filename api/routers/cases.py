"""Cases and their case files."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from api.deps import Db, IdempotencyKey, IfMatch, Policy, SettingsDep, VaultDep
from api.idempotent import once
from gridrisk.cases import service
from gridrisk.cases.schemas import CaseEventIn, CaseFileOut, CaseIn, CaseOut, CasePage
from gridrisk.privacy import service as contacts
from gridrisk.privacy.schemas import ContactView
from gridrisk.vocab import Category

router = APIRouter(prefix="/cases", tags=["cases"])
PROBLEMS = {404: {"description": "unknown case"},
            409: {"description": "the id or Idempotency-Key is taken by another request"},
            412: {"description": "If-Match names a version that is no longer current"},
            422: {"description": "invalid input or refused by the case workflow"}}


@router.post("", status_code=201, summary="登记信访事项", responses=PROBLEMS,
             response_model=CaseOut)
def create_case(body: CaseIn, db: Db, settings: SettingsDep, policy: Policy, vault: VaultDep,
                key: IdempotencyKey) -> CaseOut | Response:
    """A contact in the body is sealed in the same transaction as the case."""
    return once(db, key, "POST /cases", body, lambda: service.open_case(
        db, body, policy=policy, timezone=settings.timezone, vault=vault))


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


@router.get("/{case_id}", summary="信访事项及其状态", responses=PROBLEMS)
def get_case(case_id: str, db: Db, settings: SettingsDep, policy: Policy,
             response: Response) -> CaseOut:
    case = service.get_case(db, case_id, policy=policy, timezone=settings.timezone)
    response.headers["ETag"] = f'"{case.version}"'
    return case


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


@router.get("/{case_id}/contact", summary="诉求人联系方式（明文）", responses={
    404: {"description": "unknown case"},
    503: {"description": "the secret key file is missing or is not the contacts' key"}})
def get_contact(case_id: str, db: Db, vault: VaultDep, response: Response) -> ContactView:
    """The complainant's contact and the case's free text in clear. Everywhere else they are
    masked."""
    # issue 14 (access): authorise the caller here (a handler or supervisor whose scope holds
    # the case; anyone else gets the same 404 as an unknown case), then audit-log the
    # showing (who, when, which case, from which address) before revealing
    response.headers["Cache-Control"] = "no-store"
    return contacts.reveal_contact(db, vault, case_id)
