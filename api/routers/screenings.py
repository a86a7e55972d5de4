"""Screening records from the field, coverage by cadence, disputes turned into cases."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import (
    AsyncDbDep,
    Db,
    IdempotencyKey,
    Policy,
    ScreeningPolicyDep,
    SettingsDep,
    async_db_lifespan,
    audit,
    client_address,
    permit,
    permit_async,
)
from api.idempotent import once
from api.openapi import Responses
from gridrisk.access import service as access
from gridrisk.access.errors import NotYours
from gridrisk.access.roles import Action
from gridrisk.access.schemas import Caller
from gridrisk.cases.schemas import CaseOut, PlausibleDay
from gridrisk.db.writes import AsyncExecutor
from gridrisk.screening import service
from gridrisk.screening.schemas import (
    CoverageOut,
    DisputeToCase,
    ScreeningIn,
    ScreeningOut,
    ScreeningPage,
)
from gridrisk.vocab import Role

router = APIRouter(tags=["screenings"], lifespan=async_db_lifespan)
UNKNOWN_RECORD: Responses = {404: {"description": "no such record in the caller's scope"}}
Readers = Annotated[Caller, permit(Action.read_screenings)]


@router.post("/screenings", status_code=201, summary="上报排查记录", response_model=ScreeningOut,
             responses={
                 409: {"description": "the record id is taken by a record with other content"},
                 422: {"description": "invalid input, a point outside every cell, or a cell "
                                      "or case outside the caller's scope"}})
async def record_screening(
        body: ScreeningIn, request: Request, db: AsyncDbDep,
        caller: Annotated[Caller, permit_async(Action.record_screening)]) -> Response:
    """Sending the same record again (same record_id, same content) returns the stored one
    and writes nothing. A grid worker records their own screenings, in their cells."""
    if caller.role == Role.worker and body.worker != caller.name:
        raise NotYours(f"worker: a grid worker records their own screenings, as {caller.name}")
    address = client_address(request)

    async def write(executor: AsyncExecutor, record: ScreeningIn) -> ScreeningOut:
        stored, new = await service.record_screening(executor, record, caller.scope)
        if new:
            await access.audit_async(executor, actor=caller.name,
                                     action=Action.record_screening.value,
                                     target=record.record_id, address=address)
        return stored

    record = await db.run(write, body)
    return Response(record.model_dump_json(), 201, media_type="application/json")


@router.get("/screenings/{record_id}", summary="排查记录", responses=UNKNOWN_RECORD)
def get_screening(record_id: str, db: Db, caller: Readers) -> ScreeningOut:
    return service.get_screening(db, record_id, scope=caller.scope)


@router.get("/cells/{code}/screenings", summary="网格的排查记录")
def list_screenings(code: str, db: Db, settings: SettingsDep, caller: Readers,
                    start: PlausibleDay | None = None, end: PlausibleDay | None = None,
                    limit: Annotated[int, Query(ge=1, le=500)] = 50,
                    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> ScreeningPage:
    """A cell outside the caller's scope has no records for them."""
    return service.list_screenings(db, cell=code, start=start, end=end,
                                   timezone=settings.timezone, limit=limit, offset=offset,
                                   scope=caller.scope)


@router.get("/regions/{code}/coverage", summary="排查覆盖情况",
            responses={404: {"description": "no such region in the caller's scope"}})
def coverage(code: str, start: PlausibleDay, end: PlausibleDay, db: Db,
             settings: SettingsDep, policy: ScreeningPolicyDep,
             caller: Annotated[Caller, permit(Action.read_regions)]) -> CoverageOut:
    """Each cell's due and done screenings in the period: weekly, or daily in the designated
    periods of the policy file; and the cells that missed."""
    return service.coverage(db, region_code=code, start=start, end=end, policy=policy,
                            timezone=settings.timezone, scope=caller.scope)


@router.post("/screenings/{record_id}/case", status_code=201, summary="排查发现转为信访事项",
             responses={**UNKNOWN_RECORD,
                        409: {"description": "the record became a case already"}},
             response_model=CaseOut)
def dispute_to_case(record_id: str, body: DisputeToCase, request: Request, db: Db,
                    settings: SettingsDep, policy: Policy, key: IdempotencyKey,
                    caller: Annotated[Caller, permit(Action.dispute_to_case)]
                    ) -> CaseOut | Response:
    def write() -> CaseOut:
        case = service.dispute_to_case(db, record_id, body, policy=policy,
                                       timezone=settings.timezone, scope=caller.scope)
        audit(db, request, caller, Action.dispute_to_case, case.case_id,
              {"record_id": record_id})
        return case
    return once(db, key, f"{caller.name} POST /screenings/{record_id}/case", body, write)
