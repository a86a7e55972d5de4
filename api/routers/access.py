"""Who is signed in, and the audit log for administrators. Signing in and out are pages
(api/routers/pages.py): the API takes tokens from `gridrisk user token`."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AfterValidator

from api.deps import Db, current_caller, permit
from gridrisk.access import service
from gridrisk.access.roles import Action
from gridrisk.access.schemas import AuditPage, Caller, CallerOut
from gridrisk.cases.schemas import Code, plausible_time

router = APIRouter(tags=["access"])


@router.get("/me", summary="当前登录用户")
def me(caller: Annotated[Caller, Depends(current_caller)]) -> CallerOut:
    """The caller's name, role and the regions or cells they hold."""
    return CallerOut.of(caller)


@router.get("/audit", summary="审计日志（管理员）")
def audit_log(db: Db, caller: Annotated[Caller, permit(Action.read_audit)],
              actor: Code | None = None, action: Code | None = None,
              since: Annotated[datetime | None, AfterValidator(plausible_time)] = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100,
              offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> AuditPage:
    """Every write, sign-in, failed sign-in and export: who, when, what, from which address;
    newest first."""
    return service.list_audit(db, actor=actor, action=action, since=since, limit=limit,
                              offset=offset)
