"""The declarative base every domain's tables.py builds on."""

from sqlalchemy import Connection, MetaData
from sqlalchemy.orm import DeclarativeBase, Session

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: what a service function reads through: the request's session, or a plain connection (the
#: CLI's, a cycle run's)
Db = Session | Connection


def connection_of(db: Db) -> Connection:
    """The connection under `db`, for what reads through a Connection only (pandas, COPY)."""
    return db.connection() if isinstance(db, Session) else db


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def in_check(column: str, values: type) -> str:
    """SQL CHECK text admitting exactly the values of a StrEnum."""
    listed = ", ".join(f"'{v.value}'" for v in values)  # type: ignore[attr-defined]
    return f"{column} IN ({listed})"
