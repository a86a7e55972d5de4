"""Open311 GeoReport v2 under /open311/v2, in JSON and XML, and the receipt a handler hands a
complainant. The status lookup is public (the receipt token is the key); the services list
and filing a request need a signed-in caller (a Bearer token, or GeoReport's api_key field).

A request's errors here are GeoReport's shape ([{"code", "description"}]) in the format asked
for, so a GeoReport client reads them; an unknown request and another case's token give the
same bytes. Not being signed in (401) and a role's refusal (403) are problems, as on every
other route."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from api.deps import (
    Bearer,
    Db,
    Policy,
    SettingsDep,
    VaultDep,
    audit,
    client_address,
    current_caller,
    permit,
    permitting,
)
from api.openapi import ACTION_KEY, Responses
from api.problems import status_of
from gridrisk.access import service as access
from gridrisk.access.roles import Action
from gridrisk.access.schemas import Caller
from gridrisk.errors import (
    BadRequest,
    GridriskError,
    InvalidInput,
    NotSignedIn,
    TooManyAttempts,
)
from gridrisk.open311 import service
from gridrisk.open311.schemas import ReceiptOut, RequestIn

router = APIRouter(tags=["open311"])
Format = Annotated[Literal["json", "xml"], Path(description="json or xml")]
MEDIA_TYPES = {"json": "application/json", "xml": "text/xml; charset=utf-8"}
RequestId = Annotated[str, Path(max_length=64, description="the case id on the receipt")]
Token = Annotated[str, Query(min_length=1, max_length=100,
                             description="the receipt token handed out with the case")]
GEOREPORT: dict[str, Any] = {"description": "a GeoReport v2 answer (JSON array or XML)",
             "content": {"application/json": {}, "text/xml": {}}}
UNKNOWN: Responses = {
    404: {**GEOREPORT, "description": "no request with that id and token: an "
          "unknown id, an unknown token and another case's token answer alike"},
    429: {**GEOREPORT, "description": "too many lookups from this address"}}


def _xml(root: str, item: str, rows: Sequence[dict[str, Any]]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        element = ET.SubElement(top, item)
        for key, value in row.items():
            ET.SubElement(element, key).text = (
                "" if value is None else str(value).lower() if isinstance(value, bool)
                else str(value))
    document: bytes = ET.tostring(top, encoding="utf-8", xml_declaration=True)
    return document


def _answer(fmt: str, root: str, item: str, rows: Sequence[BaseModel], status: int = 200
            ) -> Response:
    plain = [row.model_dump() for row in rows]
    if fmt == "xml":
        return Response(_xml(root, item, plain), status, media_type=MEDIA_TYPES["xml"])
    return Response(json.dumps(plain, ensure_ascii=False), status,
                    media_type=MEDIA_TYPES["json"])


class GeoReportError(BaseModel):
    code: int
    description: str


def _error(fmt: str, exc: GridriskError) -> Response:
    """GeoReport's error list; bad input is a 400, as GeoReport clients expect."""
    status = 400 if isinstance(exc, InvalidInput) else status_of(exc)
    response = _answer(fmt, "errors", "error",
                       [GeoReportError(code=status, description=str(exc))], status)
    if isinstance(exc, TooManyAttempts):
        response.headers["Retry-After"] = str(exc.retry_after)
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def _georeport(fmt: str, answer: Callable[[], Response]) -> Response:
    try:
        return answer()
    except GridriskError as exc:
        return _error(fmt, exc)


@router.get("/open311/v2/services.{fmt}", summary="Open311：服务类别（事项类别）",
            response_class=Response, responses={200: GEOREPORT})
def services(fmt: Format, settings: SettingsDep,
             caller: Annotated[Caller, Depends(current_caller)]) -> Response:
    """For partner systems filing requests: any signed-in caller."""
    return _answer(fmt, "services", "service", service.services(settings.lang))


@router.get("/open311/v2/requests/{service_request_id}.{fmt}",
            summary="Open311：凭回执码查询办理进度（公开）", response_class=Response,
            responses={200: GEOREPORT, **UNKNOWN})
def request_status(service_request_id: RequestId, fmt: Format, token: Token,
                   request: Request, db: Db, settings: SettingsDep, policy: Policy
                   ) -> Response:
    """The request's state and the date of its next step, for whoever holds its receipt
    token; no internal notes, no names, no place. Limited per address (policy [open311])."""
    limits = request.app.state.policy.open311
    return _georeport(fmt, lambda: _answer(fmt, "service_requests", "request", [
        service.request_status(db, service_request_id, token,
                               address=client_address(request), limits=limits,
                               policy=policy, timezone=settings.timezone,
                               lang=settings.lang)]))


async def georeport_form(request: Request) -> dict[str, str]:
    """A GeoReport POST's urlencoded fields (the last of a repeated field wins)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {k: v.strip() for k, v in parse_qsl(body, keep_blank_values=True)}


GeoReportForm = Annotated[dict[str, str], Depends(georeport_form)]


def filer(db: Db, credentials: Bearer, form: GeoReportForm) -> Caller:
    """The caller filing a request, by a Bearer token or GeoReport's api_key field (an API
    token), if their role registers cases; refusals are problems like everywhere else."""
    token = credentials.credentials if credentials else form.pop("api_key", None)
    caller = access.find_caller(db, token) if token else None
    if caller is None:
        raise NotSignedIn("send an API token as Authorization: Bearer TOKEN, or as api_key")
    return permitting(Action.open_case, caller)


@router.post("/open311/v2/requests.{fmt}", status_code=201,
             summary="Open311：提交诉求（登记为待受理的信访事项）", response_class=Response,
             responses={201: GEOREPORT, 400: {**GEOREPORT, "description": "a field is "
                                                   "missing or wrong: the error names it"},
                        429: {**GEOREPORT, "description": "too many requests from this "
                                        "address"}},
             openapi_extra={ACTION_KEY: Action.open_case.value,
                            "requestBody": {"required": True, "content": {
                 "application/x-www-form-urlencoded": {"schema": {
                     **RequestIn.model_json_schema(),
                     "properties": {**RequestIn.model_json_schema()["properties"],
                                    "api_key": {"type": "string", "description":
                                                "an API token, if not sent as Bearer"}}}}}}})
def file_request(fmt: Format, request: Request, db: Db, settings: SettingsDep,
                 policy: Policy, vault: VaultDep, form: GeoReportForm,
                 caller: Annotated[Caller, Depends(filer)]) -> Response:
    """A complaint filed by a partner system (a hotline, a portal) with an API token of a
    handler or supervisor: it lands as a received case (channel online) in their scope,
    awaiting acceptance, and the answer carries its receipt token for the complainant. A
    name and phone become the case's contact, sealed like every other (docs/privacy.md)."""
    def filed() -> Response:
        try:
            body = RequestIn.model_validate({k: v for k, v in form.items() if v != ""})
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "body"
            reason = first["msg"].removeprefix("Value error, ")
            if ": " in reason and not first["loc"]:
                field, reason = reason.split(": ", 1)
            raise BadRequest(field, reason) from None
        created = service.file_request(
            db, body, scope=caller.scope, actor=caller.name, address=client_address(request),
            limits=request.app.state.policy.open311, policy=policy,
            timezone=settings.timezone, lang=settings.lang, vault=vault)
        return _answer(fmt, "service_requests", "request", [created], 201)
    return _georeport(fmt, filed)


@router.post("/cases/{case_id}/receipt", status_code=201, tags=["cases"],
             summary="为信访事项开具回执码", response_model=ReceiptOut,
             responses={404: {"description": "no such case in the caller's scope"}})
def issue_receipt(case_id: str, request: Request, db: Db,
                  caller: Annotated[Caller, permit(Action.open_case)]) -> ReceiptOut:
    """A receipt token for the complainant (shown once): with the case id it opens the
    case's status at /open311/v2/requests/{case_id}.json?token=…; any earlier token of the
    case stops working."""
    receipt = service.issue_receipt(db, case_id, scope=caller.scope)
    audit(db, request, caller, "issue_receipt", case_id)
    return receipt
