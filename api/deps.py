"""What routers take: a database session whose transaction the request owns, the settings,
the policy, and the headers that make writes safe to retry and to race."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, TypeVar

from fastapi import Depends, FastAPI, Header, Request
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from gridrisk.db.writes import AsyncDatabase, AsyncExecutor, ConnectionExecutor
from gridrisk.errors import InvalidInput
from gridrisk.policy import DeadlinePolicy, RepeatPolicy, ScreeningPolicy
from gridrisk.settings import Settings

In = TypeVar("In")
Out = TypeVar("Out")


def get_db(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response leaves (scope="function");
    on a test connection it is a savepoint the test rolls back."""
    with Session(bind=request.app.state.bind, join_transaction_mode="create_savepoint",
                 expire_on_commit=False) as session, session.begin():
        yield session


class AsyncDb:
    """Writes served on the event loop, each in a transaction of its own (asyncpg), committed
    before `run` returns, so before the response leaves. Under the tests' Connection bind:
    a savepoint of it, run in place, that the test rolls back."""

    def __init__(self, bind: Engine | Connection) -> None:
        self.bind = bind
        self.database = (AsyncDatabase(bind.url.render_as_string(hide_password=False))
                         if isinstance(bind, Engine) else None)

    async def run(self, write: Callable[[AsyncExecutor, In], Awaitable[Out]], arg: In) -> Out:
        """`write(executor, arg)`, committed; `write` must be safe to repeat (see
        `AsyncDatabase.transaction`)."""
        if self.database is not None:
            return await self.database.transaction(write, arg)
        assert isinstance(self.bind, Connection)
        with self.bind.begin_nested():
            return await write(ConnectionExecutor(self.bind), arg)

    async def close(self) -> None:
        if self.database is not None:
            await self.database.close()


async def get_async_db(request: Request) -> AsyncDb:
    """A coroutine: FastAPI runs a plain function dependency in the threadpool."""
    state = request.app.state
    db: AsyncDb | None = getattr(state, "async_db", None)
    if db is None:
        db = state.async_db = AsyncDb(state.bind)
    return db


@asynccontextmanager
async def async_db_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Closes the async pool when the app stops (a router's lifespan: the app factory need
    not know)."""
    try:
        yield
    finally:
        db: AsyncDb | None = getattr(app.state, "async_db", None)
        if db is not None:
            app.state.async_db = None
            await db.close()


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_policy(request: Request) -> DeadlinePolicy:
    return request.app.state.policy.deadlines  # type: ignore[no-any-return]


def get_screening_policy(request: Request) -> ScreeningPolicy:
    return request.app.state.policy.screening  # type: ignore[no-any-return]


def get_repeat_policy(request: Request) -> RepeatPolicy:
    return request.app.state.policy.repeats  # type: ignore[no-any-return]


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
AsyncDbDep = Annotated[AsyncDb, Depends(get_async_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
Policy = Annotated[DeadlinePolicy, Depends(get_policy)]
ScreeningPolicyDep = Annotated[ScreeningPolicy, Depends(get_screening_policy)]
RepeatPolicyDep = Annotated[RepeatPolicy, Depends(get_repeat_policy)]
IfMatch = Annotated[int | None, Depends(if_match)]
IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]
