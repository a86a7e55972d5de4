"""The OpenAPI document says what the service answers: every problem as
application/problem+json with its schema, and the statuses every route shares (not signed
in, forbidden, too large, invalid, database down) on the routes that can answer them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from api.deps import required_action
from api.problems import MEDIA_TYPE, Problem
from gridrisk.access.roles import ROLE_ACTIONS

#: a route's documented answers beside its success (FastAPI's `responses=`)
Responses = dict[int | str, dict[str, Any]]

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
SHARED = {
    "401": "not signed in: no live session or API token",
    "403": "the caller's role may not do this (the problem says why), or a write made with "
           "the session cookie lacks its CSRF token",
    "422": "invalid input: the problem names the field and the reason",
    "503": "the database cannot be reached; Retry-After says when to try again",
}
BODY_TOO_LARGE = "the body is larger than the service reads (GRIDRISK_MAX_BODY_BYTES)"
BODY_UNREADABLE = "the body cannot be read as JSON (it is not UTF-8)"


#: the operation's extension naming the action its caller's role must permit
ACTION_KEY = "x-required-action"


def document_actions(routers: list[APIRouter]) -> None:
    """Each operation names the action it needs and the roles that have it (from the one
    role table, gridrisk.access.roles)."""
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute) or (action := required_action(route)) is None:
                continue
            roles = [role.value for role, actions in ROLE_ACTIONS.items() if action in actions]
            route.openapi_extra = {**(route.openapi_extra or {}), ACTION_KEY: action.value}
            route.description = (route.description or "").rstrip() + (
                f"\n\nNeeds `{action.value}`: {', '.join(roles)}.")


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
        shared["400"] = BODY_UNREADABLE
        shared["413"] = BODY_TOO_LARGE
    for status, description in shared.items():
        responses.setdefault(status, {"description": description})
    for status, response in responses.items():
        declared = response.get("content")
        # a route that declares its own error bodies (Open311's GeoReport errors) keeps them
        if status[0] in "45" and (not declared or "HTTPValidationError" in str(declared)):
            response["content"] = {MEDIA_TYPE: {"schema": PROBLEM_REF}}
