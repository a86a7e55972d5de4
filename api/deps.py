"""What routers take: a database session whose transaction the request owns, the settings,
the policy, and the headers that make writes safe to retry and to race."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from gridrisk.cases.policy import DeadlinePolicy, ScreeningPolicy
from gridrisk.errors import InvalidInput
from gridrisk.settings import Settings


def get_db(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response leaves (scope="function");
    on a test connection it is a savepoint the test rolls back."""
    with Session(bind=request.app.state.bind, join_transaction_mode="create_savepoint",
                 expire_on_commit=False) as session, session.begin():
        yield session


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_policy(request: Request) -> DeadlinePolicy:
    return request.app.state.policy  # type: ignore[no-any-return]


def get_screening_policy(request: Request) -> ScreeningPolicy:
    return request.app.state.screening_policy  # type: ignore[no-any-return]


def if_match(if_match: Annotated[str | None, Header(
        description='the case version you read (its ETag, e.g. "3"); a stale one is refused '
        "with 412")] = None) -> int | None:
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidInput("If-Match", f"expected a case version such as \"3\", got {if_match}")
    return int(value)


def idempotency_key(idempotency_key: Annotated[str | None, Header(
        description="a client-generated id for this write: retrying with the same key "
        "returns the first result", max_length=200)] = None) -> str | None:
    return idempotency_key


Db = Annotated[Session, Depends(get_db, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
Policy = Annotated[DeadlinePolicy, Depends(get_policy)]
ScreeningPolicyDep = Annotated[ScreeningPolicy, Depends(get_screening_policy)]
IfMatch = Annotated[int | None, Depends(if_match)]
IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]
