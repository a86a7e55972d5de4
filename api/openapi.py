"""The OpenAPI document says what the service answers: every problem as
application/problem+json with its schema, and the statuses every route shares (not signed
in, forbidden, too large, invalid, database down) on the routes that can answer them."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from api.problems import MEDIA_TYPE, Problem

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
SHARED = {
    "401": "not signed in: no live session or API token",
    "403": "the caller's role may not do this (the problem says why), or a write made with "
           "the session cookie lacks its CSRF token",
    "422": "invalid input: the problem names the field and the reason",
    "503": "the database cannot be reached; Retry-After says when to try again",
}
BODY_TOO_LARGE = "the body is larger than the service reads (GRIDRISK_MAX_BODY_BYTES)"


def problem_media_types(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = build()
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
        for methods in spec["paths"].values():
            for operation in methods.values():
                _document_problems(operation)
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def _document_problems(operation: dict[str, Any]) -> None:
    if "health" in operation.get("tags", []):  # its 503 is its own JSON, not a problem
        return
    responses = operation["responses"]
    shared = dict(SHARED)
    if "security" not in operation:
        shared.pop("401")
        shared.pop("403")
    if "requestBody" in operation:
        shared["413"] = BODY_TOO_LARGE
    for status, description in shared.items():
        responses.setdefault(status, {"description": description})
    for status, response in responses.items():
        if status[0] in "45":
            response["content"] = {MEDIA_TYPE: {"schema": PROBLEM_REF}}
