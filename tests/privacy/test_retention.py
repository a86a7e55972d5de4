"""Erasing contacts once their case has been closed, with nothing happening on it, for the
retention period."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from gridrisk.bundle.service import import_bundle
from gridrisk.cases.schemas import CaseEventIn
from gridrisk.cases.service import append_event
from gridrisk.policy import DeadlinePolicy
from gridrisk.privacy.retention import purge_contacts, years_before
from gridrisk.privacy.vault import Vault

from ..bundle.conftest import write_contacts, write_tiny_bundle

POLICY = DeadlinePolicy()
TIMEZONE = "Asia/Shanghai"


@pytest.fixture
def imported(conn: Connection, tmp_path: Path) -> Connection:
    """C2 closed on 2025-03-20 and was followed up on 2025-04-01; C1 and C3 are open."""
    bundle = write_contacts(write_tiny_bundle(tmp_path / "tiny"))
    import_bundle(conn, bundle, vault=Vault(tmp_path / "secret.key"))
    return conn


def held(conn: Connection) -> list[str]:
    return conn.execute(text("SELECT case_id FROM contacts ORDER BY case_id")).scalars().all()


def purge(conn: Connection, today: date, **options: bool):  # type: ignore[no-untyped-def]
    return purge_contacts(conn, today=today, retention_years=3, policy=POLICY,
                          timezone=TIMEZONE, **options)


def test_the_last_event_starts_the_retention(imported: Connection) -> None:
    assert purge(imported, date(2028, 4, 1)).case_ids == []  # followed up 3 years ago today
    done = purge(imported, date(2028, 4, 2))
    assert (done.case_ids, done.cutoff) == (["C2"], date(2025, 4, 2))
    assert held(imported) == ["C1", "C3"]


def test_a_dry_run_counts_and_erases_nothing(imported: Connection) -> None:
    done = purge(imported, date(2030, 1, 1), dry_run=True)
    assert done.case_ids == ["C2"] and done.dry_run
    assert held(imported) == ["C1", "C2", "C3"]


def test_open_cases_keep_their_contacts_however_old(imported: Connection) -> None:
    purge(imported, date(2060, 1, 1))
    assert held(imported) == ["C1", "C3"]


def test_a_reopened_case_keeps_its_contact(imported: Connection) -> None:
    with Session(bind=imported, join_transaction_mode="create_savepoint") as session:
        append_event(session, "C2", CaseEventIn(at=date(2025, 6, 1), type="reopened"),
                     expected=None, policy=POLICY, timezone=TIMEZONE)
        session.commit()  # the savepoint, inside the test's transaction
    assert purge(imported, date(2060, 1, 1)).case_ids == []


def test_a_leap_day_counts_back_to_the_28th() -> None:
    assert years_before(date(2028, 2, 29), 3) == date(2025, 2, 28)
    assert years_before(date(2028, 3, 1), 3) == date(2025, 3, 1)
