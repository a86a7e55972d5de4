"""The async write path: asyncpg, raising the sync path's errors, for the writes the API
serves on the event loop (POST /screenings)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from functools import lru_cache
from typing import Any, Protocol, TypeVar, cast

import asyncpg
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

#: asyncpg connections per process for the writes served on the event loop: enough to keep a
#: worker's statements in flight; more only lengthen PostgreSQL's run queue on a small machine
ASYNC_POOL_SIZE = 10
#: seconds to wait for a connection (to the server, or from a busy pool) before a 503
ASYNC_CONNECT_TIMEOUT = 10.0

Out = TypeVar("Out")
In = TypeVar("In")
#: a bind parameter as SQLAlchemy's text() reads it: ``:name``, not ``::type``
_NAMED = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")
#: the server or the network dropped the connection: a fresh one may work
_DROPPED = (asyncpg.ConnectionDoesNotExistError, asyncpg.AdminShutdownError,
            asyncpg.CrashShutdownError, ConnectionResetError, ConnectionAbortedError,
            BrokenPipeError)
#: the server cannot be reached or will not take the connection now
_UNREACHABLE = (asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError,
                asyncpg.TooManyConnectionsError, OSError, asyncio.TimeoutError)


class MissingReference(Exception):
    """A foreign key refused the row; `constraint` is its name (``fk_<table>_<column>_<to>``)."""

    def __init__(self, constraint: str) -> None:
        super().__init__(constraint)
        self.constraint = constraint


class AsyncExecutor(Protocol):
    """What an async service needs of its connection, in a transaction its caller owns. SQL
    is written as for SQLAlchemy's text(), ``:name`` parameters; a foreign key's refusal is a
    `MissingReference`."""

    async def fetchrow(self, sql: str, params: Mapping[str, Any]
                       ) -> Mapping[str, Any] | None: ...


@lru_cache(maxsize=64)
def positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """asyncpg's form of a text() statement: ``:name`` → ``$n``, and the names in order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return _NAMED.sub(number, sql), tuple(names)


class AsyncpgExecutor:
    """An asyncpg connection as an `AsyncExecutor`: each statement prepared once per
    connection (asyncpg's statement cache)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def fetchrow(self, sql: str, params: Mapping[str, Any]
                       ) -> Mapping[str, Any] | None:
        query, names = positional(sql)
        try:
            row: Mapping[str, Any] | None = await self.conn.fetchrow(
                query, *[params[name] for name in names])
        except asyncpg.ForeignKeyViolationError as exc:
            raise MissingReference(exc.constraint_name or "") from exc
        return row


class ConnectionExecutor:
    """A SQLAlchemy Connection as an `AsyncExecutor`, run in place (it blocks): the API's
    tests, whose data lives in a transaction of their own connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def fetchrow(self, sql: str, params: Mapping[str, Any]
                       ) -> Mapping[str, Any] | None:
        try:
            # a RowMapping's keys are the statement's column names: strings
            return cast("Mapping[str, Any] | None",
                        self.conn.execute(text(sql), dict(params)).mappings().first())
        except IntegrityError as exc:
            diag = getattr(exc.orig, "diag", None)
            constraint = getattr(diag, "constraint_name", None)
            if getattr(diag, "sqlstate", None) != "23503" or not constraint:
                raise
            raise MissingReference(constraint) from exc


class AsyncDatabase:
    """An asyncpg pool on the database, for the writes the API serves on the event loop.

    Opened at first use, so a database that is down when the service starts (or at that
    request) is a 503 for that request, not a dead worker. No pre-ping: asyncpg notices a
    closed connection as soon as the server closes it, and a statement that meets a
    dropped connection anyway is retried once on a fresh one. Errors come out as the sync
    path's: `OperationalError` when the database cannot be reached (503 with Retry-After),
    `DBAPIError` for anything else the server refuses (500)."""

    def __init__(self, url: str, *, pool_size: int = ASYNC_POOL_SIZE) -> None:
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(
            hide_password=False)
        self.pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def transaction(self, write: Callable[[AsyncExecutor, In], Awaitable[Out]],
                          arg: In) -> Out:
        """`write(executor, arg)` in one transaction, committed when this returns. `write`
        must be safe to repeat: after a dropped connection it runs again on a fresh one, and
        may find what its first attempt committed."""
        return await self._run(write, arg, transactional=True)

    async def read(self, read: Callable[[AsyncExecutor, In], Awaitable[Out]], arg: In) -> Out:
        """`read(executor, arg)`: a single statement needs no transaction of its own (one
        round trip instead of three), with the same retry and errors."""
        return await self._run(read, arg, transactional=False)

    async def _run(self, call: Callable[[AsyncExecutor, In], Awaitable[Out]], arg: In, *,
                   transactional: bool) -> Out:
        for attempt in (1, 2):
            try:
                pool = self._pool or await self._open()
                async with pool.acquire(timeout=ASYNC_CONNECT_TIMEOUT) as conn:
                    if not transactional:
                        return await call(AsyncpgExecutor(conn), arg)
                    async with conn.transaction():
                        return await call(AsyncpgExecutor(conn), arg)
            except (*_DROPPED, asyncpg.InterfaceError, asyncpg.InternalClientError) as exc:
                if not _dropped(exc):
                    raise
                if self._pool is not None:  # the others are likely gone as well
                    await self._pool.expire_connections()
                if attempt == 2:
                    raise OperationalError("(asyncpg)", None, exc) from exc
            except _UNREACHABLE as exc:
                raise OperationalError("(asyncpg)", None, exc) from exc
            except asyncpg.PostgresError as exc:
                raise DBAPIError("(asyncpg)", None, exc) from exc
        raise AssertionError("unreachable")

    async def _open(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self.dsn, min_size=0, max_size=self.pool_size, reset=_rollback_if_open,
                    timeout=ASYNC_CONNECT_TIMEOUT)
            return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()


def _dropped(exc: Exception) -> bool:
    """asyncpg says "connection is closed" (an InterfaceError) when it found out before
    sending, and "another operation is in progress" (an InternalClientError or an
    InterfaceError) for a connection left mid-statement when the server went away (seen
    during a PostgreSQL restart); its other InterfaceErrors are the caller's mistakes."""
    return isinstance(exc, (*_DROPPED, asyncpg.InternalClientError)) or any(
        sign in str(exc) for sign in ("connection is closed", "another operation is in progress"))


async def _rollback_if_open(conn: asyncpg.Connection) -> None:
    """The pool's reset on release, instead of asyncpg's (a round trip with RESET ALL,
    UNLISTEN *, …): our connections change no session state, so only a transaction left
    open by an interrupted request needs undoing."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")
