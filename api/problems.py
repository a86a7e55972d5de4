"""Every error becomes an RFC 9457 problem+json naming the field and the reason."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from gridrisk.errors import (
    Conflict,
    GridriskError,
    InvalidInput,
    NotFound,
    StaleVersion,
    Unavailable,
)

logger = logging.getLogger("gridrisk.api")
STATUS = {StaleVersion: 412, NotFound: 404, Conflict: 409, InvalidInput: 422,
          Unavailable: 503}
RETRY_AFTER_SECONDS = 5
MEDIA_TYPE = "application/problem+json"
FIELD_IN_REASON = re.compile(r"^([a-z_]+): (.+)$")


def problem_body(status: int, slug: str, title: str, detail: str,
                 errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail,
            "errors": errors}


def gridrisk_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GridriskError)
    status = next(STATUS[k] for k in type(exc).__mro__ if k in STATUS)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None
    return JSONResponse(problem_body(status, exc.slug, exc.title, str(exc), exc.fields()),
                        status, headers=headers, media_type=MEDIA_TYPE)


def validation_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [_field_error(e) for e in exc.errors()]
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return JSONResponse(problem_body(422, "invalid-input", "Invalid input", detail, errors),
                        422, media_type=MEDIA_TYPE)


def _field_error(error: dict[str, Any]) -> dict[str, str]:
    """A model-level check names its field as 'field: reason'; report it on that field."""
    field = ".".join(str(p) for p in error["loc"] if p != "body")
    reason = error["msg"].removeprefix("Value error, ")
    named = FIELD_IN_REASON.match(reason)
    if named and not field:
        field, reason = named.group(1), named.group(2)
    return {"field": field or "body", "reason": reason}


def database_problem(request: Request, exc: Exception) -> JSONResponse:
    """The database is down or unreachable: say so, and when to try again."""
    if isinstance(exc, DBAPIError) and not isinstance(exc, OperationalError) and (
            not exc.connection_invalidated):
        logger.error("database error on %s %s", request.method, request.url.path,
                     exc_info=exc)
        body = problem_body(500, "database-error", "Database error",
                            "the database refused the request", [])
        return JSONResponse(body, 500, media_type=MEDIA_TYPE)
    body = problem_body(503, "database-unavailable", "Database unavailable",
                        "the database cannot be reached; try again shortly", [])
    return JSONResponse(body, 503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                        media_type=MEDIA_TYPE)


def install(app: FastAPI) -> None:
    app.add_exception_handler(GridriskError, gridrisk_problem)
    app.add_exception_handler(RequestValidationError, validation_problem)
    app.add_exception_handler(OperationalError, database_problem)
    app.add_exception_handler(DBAPIError, database_problem)
    app.add_exception_handler(PoolTimeout, database_problem)
