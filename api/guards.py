"""What every request passes before any route reads it: a size limit on the body (413 before
it is parsed), no NUL character in the path or query (PostgreSQL refuses them in text), and
the last word on a fault of ours (a 500 problem, logged without the request's values)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import MEDIA_TYPE, log_unexpected, problem_body, status_problem

#: headers on every answer: no sniffing of types, no framing by other sites
SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"SAMEORIGIN"),
                    (b"referrer-policy", b"same-origin")]


class BodyTooLarge(HTTPException):
    """Raised while a body is read (an HTTPException, which FastAPI's body parsing lets
    through as it is): a 413 problem."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large(limit))


def too_large(limit: int) -> str:
    return f"the body is larger than {limit} bytes"


class Guard:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await _problem(send, refusal)
            return
        started = False
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        async def marked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []),
                                                  *SECURITY_HEADERS]}
            await send(message)

        try:
            await self.app(scope, counted, marked)
        except BodyTooLarge as exc:
            if not started:
                await _problem(send, status_problem(413, str(exc.detail)))
        except Exception as exc:
            log_unexpected(scope["method"], scope["path"], exc)
            if not started:
                await _problem(send, problem_body(500, "internal-error", "Internal error",
                                                  "the service failed; the fault is logged",
                                                  []))

    def _refusal(self, scope: Scope) -> dict[str, Any] | None:
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_body_bytes:
            return status_problem(413, too_large(self.max_body_bytes))
        for where, raw in (("path", scope.get("raw_path") or scope["path"].encode()),
                           ("query", scope.get("query_string", b""))):
            if b"\x00" in unquote_to_bytes(raw):
                return problem_body(422, "invalid-input", "Invalid input",
                                    f"{where}: contains a NUL character",
                                    [{"field": where, "reason": "contains a NUL character"}])
        return None


async def _problem(send: Send, problem: dict[str, Any]) -> None:
    status = problem["status"]
    body = json.dumps(problem, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})
