"""What routers take: a database session whose transaction the request owns, the settings,
the policy, the signed-in caller with what their role permits, and the headers that make
writes safe to retry and to race.

Authorization in one line per endpoint: `caller: Annotated[Caller, permit(Action.x)]` signs
the caller in (401 without a live session or token), refuses what the role may not do (403
with the reason), and hands the route the caller, whose `scope` the service puts into its SQL
(a record outside it is not found, exactly like one that does not exist)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Header, Path, Request
from fastapi.routing import APIRoute
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from gridrisk.access import service as access
from gridrisk.access.errors import RoleForbids
from gridrisk.access.roles import Action, may
from gridrisk.access.schemas import Caller
from gridrisk.db.writes import AsyncDatabase, AsyncExecutor, ConnectionExecutor
from gridrisk.errors import Forbidden, InvalidInput, NotSignedIn, PreconditionRequired
from gridrisk.policy import AccessPolicy, DeadlinePolicy, ScreeningPolicy
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

    async def read(self, read: Callable[[AsyncExecutor, In], Awaitable[Out]], arg: In) -> Out:
        """`read(executor, arg)`: one statement, outside any transaction of its own."""
        if self.database is not None:
            return await self.database.read(read, arg)
        assert isinstance(self.bind, Connection)
        return await read(ConnectionExecutor(self.bind), arg)

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


def get_access_policy(request: Request) -> AccessPolicy:
    return request.app.state.policy.access  # type: ignore[no-any-return]


def if_match(if_match: Annotated[str | None, Header(
        description='required: the case version you read (its ETag, e.g. "3"); without it '
        "428, a stale one 412")] = None) -> int:
    if if_match is None:
        raise PreconditionRequired("If-Match: send the version of the case you read (its "
                                   'ETag, e.g. If-Match: "3"); a change without it could '
                                   "overwrite someone else's")
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit() or len(value) > 9:
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
AccessPolicyDep = Annotated[AccessPolicy, Depends(get_access_policy)]
IfMatch = Annotated[int, Depends(if_match)]
IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]


# -- who is asking -----------------------------------------------------------------------

SESSION_COOKIE = "gridrisk_session"
CSRF_COOKIE = "gridrisk_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
bearer = HTTPBearer(auto_error=False, scheme_name="token",
                    description="an API token: `gridrisk user token NAME` prints one")
session_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, scheme_name="session",
                              description="the pages' session, set by signing in at /sign-in")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
SessionCookie = Annotated[str | None, Depends(session_cookie)]
NOT_SIGNED_IN = ("sign in first: send Authorization: Bearer TOKEN (gridrisk user token NAME), "
                 "or sign in at /sign-in")


def client_address(request: Request) -> str | None:
    """The client's address; behind a proxy, the one it forwarded (uvicorn's proxy headers,
    trusted from GRIDRISK_FORWARDED_ALLOW_IPS)."""
    return request.client.host if request.client else None


def check_csrf(request: Request, sent: str | None) -> None:
    """A write made with the session cookie carries the CSRF cookie's value back (a form
    field or the X-CSRF-Token header): another site's page can send the cookie but cannot
    read it."""
    expected = request.cookies.get(CSRF_COOKIE)
    if not expected or not sent or not secrets.compare_digest(expected, sent):
        raise Forbidden("the form or request lacks this site's CSRF token: reload the page "
                        "and try again")


def _token(request: Request, credentials: HTTPAuthorizationCredentials | None,
           cookie: str | None) -> str:
    if credentials is not None:
        return credentials.credentials
    if cookie is None:
        raise NotSignedIn(NOT_SIGNED_IN)
    if request.method not in SAFE_METHODS:
        check_csrf(request, request.headers.get(CSRF_HEADER))
    return cookie


def current_caller(request: Request, db: Db, credentials: Bearer, cookie: SessionCookie
                   ) -> Caller:
    """The signed-in caller (a Bearer token first, else the session cookie)."""
    caller = access.find_caller(db, _token(request, credentials, cookie))
    if caller is None:
        raise NotSignedIn(NOT_SIGNED_IN)
    return caller


async def current_caller_async(request: Request, db: AsyncDbDep, credentials: Bearer,
                               cookie: SessionCookie) -> Caller:
    """The same, for routes served on the event loop (one read on the async pool)."""
    caller = await db.read(access.find_caller_async, _token(request, credentials, cookie))
    if caller is None:
        raise NotSignedIn(NOT_SIGNED_IN)
    return caller


def permitting(action: Action, caller: Caller) -> Caller:
    if not may(caller.role, action):
        raise RoleForbids(caller.role, action)
    return caller


def audit(db: Session, request: Request, caller: Caller, action: Action | str,
          target: str | None, detail: dict[str, Any] | None = None) -> None:
    """An audit entry for what the caller did, in the request's transaction."""
    access.audit(db, actor=caller.name, action=str(action), target=target,
                 address=client_address(request), detail=detail)


#: the largest id a path or query names (PostgreSQL's integer)
MAX_ID = 2_147_483_647
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def required_action(route: APIRoute) -> Action | None:
    """The action a route's `permit` asks for (None: any signed-in caller, or public)."""
    for dependency in route.dependant.dependencies:
        action = getattr(dependency.call, "action", None)
        if action is not None:
            return action  # type: ignore[no-any-return]
    return None


@cache
def permit(action: Action) -> Any:
    """`Depends(...)` giving the signed-in caller, refusing a role that may not `action`."""
    def check(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        return permitting(action, caller)
    check.action = action  # type: ignore[attr-defined]  # what the route needs, for docs/tests
    return Depends(check)


@cache
def permit_async(action: Action) -> Any:
    """`permit` for routes served on the event loop."""
    async def check(caller: Annotated[Caller, Depends(current_caller_async)]) -> Caller:
        return permitting(action, caller)
    check.action = action  # type: ignore[attr-defined]
    return Depends(check)
