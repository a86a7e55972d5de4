"""Screening records from the field, coverage by cadence, disputes turned into cases."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import (
    AsyncDbDep,
    Db,
    IdempotencyKey,
    Policy,
    ScreeningPolicyDep,
    SettingsDep,
    async_db_lifespan,
)
from api.idempotent import once
from gridrisk.cases.schemas import CaseOut
from gridrisk.screening import service
from gridrisk.screening.schemas import (
    CoverageOut,
    DisputeToCase,
    ScreeningIn,
    ScreeningOut,
    ScreeningPage,
)

router = APIRouter(tags=["screenings"], lifespan=async_db_lifespan)


@router.post("/screenings", status_code=201, summary="上报排查记录", response_model=ScreeningOut,
             responses={
                 409: {"description": "the record id is taken by a record with other content"},
                 422: {"description": "invalid input, or a point outside every cell"}})
async def record_screening(body: ScreeningIn, db: AsyncDbDep) -> Response:
    """Sending the same record again (same record_id, same content) returns the stored one
    and writes nothing."""
    record, _ = await db.run(service.record_screening, body)
    return Response(record.model_dump_json(), 201, media_type="application/json")


@router.get("/screenings/{record_id}", summary="排查记录")
def get_screening(record_id: str, db: Db) -> ScreeningOut:
    return service.get_screening(db, record_id)


@router.get("/cells/{code}/screenings", summary="网格的排查记录")
def list_screenings(code: str, db: Db, settings: SettingsDep,
                    start: date | None = None, end: date | None = None,
                    limit: Annotated[int, Query(ge=1, le=500)] = 50,
                    offset: Annotated[int, Query(ge=0)] = 0) -> ScreeningPage:
    return service.list_screenings(db, cell=code, start=start, end=end,
                                   timezone=settings.timezone, limit=limit, offset=offset)


@router.get("/regions/{code}/coverage", summary="排查覆盖情况")
def coverage(code: str, start: date, end: date, db: Db, settings: SettingsDep,
             policy: ScreeningPolicyDep) -> CoverageOut:
    """Each cell's due and done screenings in the period: weekly, or daily in the designated
    periods of the policy file; and the cells that missed."""
    return service.coverage(db, region_code=code, start=start, end=end, policy=policy,
                            timezone=settings.timezone)


@router.post("/screenings/{record_id}/case", status_code=201, summary="排查发现转为信访事项",
             responses={409: {"description": "the record became a case already"}},
             response_model=CaseOut)
def dispute_to_case(record_id: str, body: DisputeToCase, db: Db, settings: SettingsDep,
                    policy: Policy, key: IdempotencyKey) -> CaseOut | Response:
    return once(db, key, f"POST /screenings/{record_id}/case", body,
                lambda: service.dispute_to_case(db, record_id, body, policy=policy,
                                                timezone=settings.timezone))
