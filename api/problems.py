"""Every error becomes an RFC 9457 problem+json naming the field and the reason."""

from __future__ import annotations

import logging
import re
import traceback
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from gridrisk.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    GridriskError,
    InvalidInput,
    NotFound,
    NotSignedIn,
    PreconditionRequired,
    StaleVersion,
    TooManyAttempts,
    Unavailable,
)

logger = logging.getLogger("gridrisk.api")
STATUS = {BadRequest: 400, NotSignedIn: 401, Forbidden: 403, StaleVersion: 412, NotFound: 404,
          Conflict: 409, InvalidInput: 422, PreconditionRequired: 428, TooManyAttempts: 429,
          Unavailable: 503}
RETRY_AFTER_SECONDS = 5
MEDIA_TYPE = "application/problem+json"
FIELD_IN_REASON = re.compile(r"^([a-z_]+): (.+)$")


def problem_body(status: int, slug: str, title: str, detail: str,
                 errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail,
            "errors": errors}


class FieldError(BaseModel):
    field: str
    reason: str


class Problem(BaseModel):
    """RFC 9457 problem details, as every error is answered."""

    type: str = Field(examples=["/problems/invalid-input"])
    title: str
    status: int
    detail: str
    errors: list[FieldError] = Field(description="the fields at fault, each with its reason")


def status_of(exc: GridriskError) -> int:
    return next(STATUS[k] for k in type(exc).__mro__ if k in STATUS)


def gridrisk_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GridriskError)
    status = status_of(exc)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None
    if isinstance(exc, TooManyAttempts):
        headers = {"Retry-After": str(exc.retry_after)}
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return JSONResponse(problem_body(status, exc.slug, exc.title, str(exc), exc.fields()),
                        status, headers=headers, media_type=MEDIA_TYPE)


def status_problem(status: int, detail: str) -> dict[str, Any]:
    """A problem named after its HTTP status alone."""
    phrase = HTTPStatus(status).phrase
    return problem_body(status, phrase.lower().replace(" ", "-"), phrase, detail, [])


def http_problem(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own refusals (no such route, method not allowed, a body that is not
    UTF-8 or too large) in the same shape. A 405 lists every method of the path (Starlette
    names only those of the first route it tried)."""
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        methods = _methods(request.app, request.url.path)
        if methods:
            headers["Allow"] = ", ".join(methods)
    return JSONResponse(status_problem(exc.status_code, str(exc.detail)), exc.status_code,
                        headers=headers, media_type=MEDIA_TYPE)


def _methods(app: FastAPI, path: str) -> list[str]:
    for template, operations in app.openapi()["paths"].items():
        if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)), path):
            return sorted(method.upper() for method in operations)
    return []


def log_unexpected(method: str, path: str, exc: BaseException) -> None:
    """A fault of ours, logged with where it happened but not its message, which may quote
    what the caller sent (a name, a phone number)."""
    logger.error("unexpected %s on %s %s\n%s", type(exc).__name__, method, path,
                 "".join(traceback.format_tb(exc.__traceback__)))


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
        logger.error("database error on %s %s: %s (SQLSTATE %s) in %s", request.method,
                     request.url.path, type(exc.orig).__name__,
                     getattr(exc.orig, "sqlstate", None), _first_line(exc.statement))
        body = problem_body(500, "database-error", "Database error",
                            "the database refused the request", [])
        return JSONResponse(body, 500, media_type=MEDIA_TYPE)
    body = problem_body(503, "database-unavailable", "Database unavailable",
                        "the database cannot be reached; try again shortly", [])
    return JSONResponse(body, 503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                        media_type=MEDIA_TYPE)


def _first_line(statement: str | None) -> str:
    """Where a database error came from, without its parameters or the server's message
    (which quotes the values it refused)."""
    lines = [line.strip() for line in (statement or "").splitlines() if line.strip()]
    return lines[0][:120] if lines else "?"


def install(app: FastAPI) -> None:
    app.add_exception_handler(GridriskError, gridrisk_problem)
    app.add_exception_handler(HTTPException, http_problem)
    app.add_exception_handler(RequestValidationError, validation_problem)
    app.add_exception_handler(OperationalError, database_problem)
    app.add_exception_handler(DBAPIError, database_problem)
    app.add_exception_handler(PoolTimeout, database_problem)
