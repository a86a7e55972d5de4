"""Running a write at most once per client-generated key."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from gridrisk.idempotency.service import claim, remember, request_hash

Answer = TypeVar("Answer", bound=BaseModel)


def once(db: Session, key: str | None, scope: str, body: BaseModel,
         write: Callable[[], Answer], status: int = 201) -> Answer | Response:
    """`write()` unless this key was seen: then the first answer again, byte for byte."""
    if key is None:
        return write()
    stored_key = f"{scope}:{key}"
    replay = claim(db, stored_key, request_hash(scope, body.model_dump(mode="json")))
    if replay is not None:
        return Response(replay[1], replay[0], media_type="application/json",
                        headers={"Idempotent-Replay": "true"})
    answer = write().model_dump_json()
    remember(db, stored_key, status, answer)
    return Response(answer, status, media_type="application/json")
