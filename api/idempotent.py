"""Running a write at most once per client-generated key."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from gridrisk.idempotency.service import claim, remember, request_hash

Out = TypeVar("Out", bound=BaseModel)


def once(db: Session, key: str | None, scope: str, body: BaseModel, write: Callable[[], Out],
         status: int = 201) -> Out | JSONResponse:
    """`write()` unless this key was seen: then the first answer again, byte for byte."""
    if key is None:
        return write()
    stored_key = f"{scope}:{key}"
    replay = claim(db, stored_key, request_hash(scope, body.model_dump(mode="json")))
    if replay is not None:
        return JSONResponse(replay[1], replay[0], headers={"Idempotent-Replay": "true"})
    result = write()
    remember(db, stored_key, status, result.model_dump(mode="json"))
    return result
