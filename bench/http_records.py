"""The HTTP ingest bench's side of the database: the caller its requests sign in as, and
the rows its runs write (record ids starting with ID_ROOT)."""

from __future__ import annotations

from typing import Any

#: record ids of this bench start with this (warm-ups with HB-w…)
ID_ROOT = "HB-"


def bench_token(engine: Any) -> str:
    """A supervisor of the whole county, who may record any grid worker's screenings."""
    from datetime import timedelta

    from sqlalchemy import text

    from gridrisk.access.service import add_user, issue_token
    from gridrisk.vocab import Role, TokenKind

    with engine.begin() as conn:
        top = conn.execute(text("SELECT code FROM regions WHERE parent_code IS NULL")
                           ).scalar_one()
        add_user(conn, "bench-supervisor", role=Role.supervisor, codes=[top],
                 password="bench password, never used")
        return issue_token(conn, "bench-supervisor", kind=TokenKind.api,
                           lifetime=timedelta(days=1))


def reset_records(engine: Any) -> None:
    """Remove the bench's rows so that each run starts from the county's table, vacuumed,
    right after a checkpoint."""
    from sqlalchemy import text

    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DELETE FROM screening_records WHERE record_id LIKE '{ID_ROOT}%'"))
        conn.execute(text("VACUUM ANALYZE screening_records"))
        conn.execute(text("CHECKPOINT"))


def sessions(engine: Any) -> int:
    """Sessions established to the database so far (PostgreSQL 14+): new connections."""
    from sqlalchemy import text

    with engine.connect() as conn:
        return int(conn.execute(text("SELECT sessions FROM pg_stat_database "
                                     "WHERE datname = current_database()")).scalar_one())


def stored_ids(engine: Any, prefix: str) -> tuple[set[str], int, int]:
    """The record ids stored with this prefix, how many found a dispute, how many have a
    point."""
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT record_id, found, geom IS NOT NULL "
                                 "FROM screening_records WHERE record_id LIKE :p"),
                            {"p": prefix + "%"}).all()
    return ({r[0] for r in rows}, sum(1 for r in rows if r[1]),
            sum(1 for r in rows if r[2]))
