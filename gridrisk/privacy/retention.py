"""How long a contact is kept: until its case has been closed, with nothing happening on it,
for the policy's retention period ([privacy] contact_retention_years); then
`gridrisk privacy purge` erases it, and an import does not store it again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text

from gridrisk.cases.service import case_files
from gridrisk.cases.state import derive_state
from gridrisk.db.base import Db
from gridrisk.policy import DeadlinePolicy


def years_before(day: date, years: int) -> date:
    """The same day `years` earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def closed_before(db: Db, case_ids: Iterable[str], cutoff: date, *, policy: DeadlinePolicy,
                  timezone: str) -> list[str]:
    """Of `case_ids`, the cases closed (derived from their files) whose closing and every
    later event lie before `cutoff`: a review or follow-up after closing keeps the contact."""
    ids = sorted(set(case_ids))
    cases = db.execute(text("SELECT case_id, received_on, complex FROM cases "
                            "WHERE case_id = ANY(:ids) ORDER BY case_id"), {"ids": ids}).all()
    files = case_files(db, ids, timezone=timezone)
    expired = []
    for case in cases:
        events = files.get(case.case_id, [])
        state = derive_state(case.received_on, events, is_complex=case.complex, policy=policy)
        if not state.is_open and max(e.on for e in events) < cutoff:
            expired.append(case.case_id)
    return expired


@dataclass(frozen=True)
class Purge:
    cutoff: date
    #: the cases whose contacts were erased (or would be, on a dry run)
    case_ids: list[str]
    dry_run: bool


def purge_contacts(db: Db, *, today: date, retention_years: int, policy: DeadlinePolicy,
                   timezone: str, dry_run: bool = False) -> Purge:
    """Erase the contacts of cases closed longer ago than the retention period."""
    cutoff = years_before(today, retention_years)
    held = db.execute(text("SELECT case_id FROM contacts")).scalars().all()
    expired = closed_before(db, held, cutoff, policy=policy, timezone=timezone)
    if expired and not dry_run:
        db.execute(text("DELETE FROM contacts WHERE case_id = ANY(:ids)"), {"ids": expired})
    return Purge(cutoff=cutoff, case_ids=expired, dry_run=dry_run)
