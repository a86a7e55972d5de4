"""Accounts, callers and audit entries as the API and the CLI give them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from gridrisk.access.scope import Scope
from gridrisk.vocab import Role, TokenKind


class UserOut(BaseModel):
    name: str
    role: Role
    regions: list[str] = Field(description="regions held, with everything under them")
    cells: list[str] = Field(description="cells held besides (a grid worker's)")
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True)
class Caller:
    """Who is asking, through which kind of credential, and where they may look."""

    user_id: int
    name: str
    role: Role
    scope: Scope
    via: TokenKind
    token_id: int


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    address: str | None
    detail: dict[str, Any] | None


class AuditPage(BaseModel):
    items: list[AuditOut]
    total: int
    limit: int
    offset: int


class CallerOut(BaseModel):
    """The signed-in caller as they see themselves."""

    name: str
    role: Role
    regions: list[str]
    cells: list[str]
    via: TokenKind

    @classmethod
    def of(cls, caller: Caller) -> CallerOut:
        return cls(name=caller.name, role=caller.role, regions=list(caller.scope.regions),
                   cells=list(caller.scope.cells), via=caller.via)
