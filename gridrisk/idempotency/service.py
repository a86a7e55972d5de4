"""Retried writes: the first request with a key does the work and its answer is stored; a
retry with the same key and body gets that answer; the same key with another body is a
conflict. Concurrent retries queue on the key's row until the first commits."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from gridrisk.errors import Conflict


class KeyReused(Conflict):
    slug = "idempotency-key-reused"
    title = "Idempotency key reused for another request"


def request_hash(scope: str, body: Any) -> str:
    canonical = json.dumps([scope, body], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim(db: Session, key: str, digest: str) -> tuple[int, str] | None:
    """None when this request may do the work (the key is now ours until commit); else the
    stored (status, response) of the first request."""
    claimed = db.execute(text(
        "INSERT INTO idempotent_writes (key, request_hash, status, response) "
        "VALUES (:key, :hash, 0, '') ON CONFLICT (key) DO NOTHING RETURNING key"),
        {"key": key, "hash": digest}).scalar()
    if claimed is not None:
        return None
    stored = db.execute(text("SELECT request_hash, status, response FROM idempotent_writes "
                             "WHERE key = :key"), {"key": key}).one()
    if stored.request_hash != digest:
        raise KeyReused(f"Idempotency-Key {key} was used for a different request")
    return stored.status, stored.response


def remember(db: Session, key: str, status: int, response: str) -> None:
    db.execute(text("UPDATE idempotent_writes SET status = :status, response = :response "
                    "WHERE key = :key"), {"key": key, "status": status, "response": response})
