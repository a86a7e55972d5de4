"""Assignments after a cycle proposes them: a supervisor accepts, reassigns or drops each; the
assignee records the outcome. Proposed → accepted → done, or proposed/accepted → dropped;
a decision on an assignment that has moved on is refused (409), never applied twice."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from gridrisk.access.errors import NotYours
from gridrisk.access.scope import EVERYTHING, Scope
from gridrisk.cycles.schemas import AssignmentDecision, AssignmentOut, AssignmentOutcome
from gridrisk.db.base import Db
from gridrisk.errors import Conflict, InvalidInput, NotFound
from gridrisk.privacy.masking import mask_text
from gridrisk.regions.sql import REGIONS_UNDER
from gridrisk.vocab import AssignmentStatus

ASSIGNMENT = """SELECT *, (status = 'accepted' AND due_on < :today) AS overdue
                FROM assignments"""
#: which statuses each decision may start from
DECISIONS = {"accept": {AssignmentStatus.proposed},
             "reassign": {AssignmentStatus.proposed, AssignmentStatus.accepted},
             "drop": {AssignmentStatus.proposed, AssignmentStatus.accepted}}


def _today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


def list_assignments(db: Db, *, cycle_id: int | None = None, cell_code: str | None = None,
                     region_code: str | None = None, assignee: str | None = None,
                     status: str | None = None, overdue: bool | None = None,
                     timezone: str = "Asia/Shanghai", limit: int = 500,
                     scope: Scope = EVERYTHING) -> list[AssignmentOut]:
    """Filtered assignments in priority order; `region_code` keeps those in cells under the
    region; `assignee` also matches proposals made to that worker and not yet decided."""
    if status is not None and status not in AssignmentStatus.__members__:
        raise InvalidInput("status", f"'{status}' is not one of "
                           f"{', '.join(AssignmentStatus.__members__)}")
    rows = db.execute(text(ASSIGNMENT + f"""
        WHERE (CAST(:cycle AS int) IS NULL OR cycle_id = :cycle)
          AND (CAST(:cell AS text) IS NULL OR cell_code = :cell)
          AND (CAST(:region AS text) IS NULL OR cell_code IN (
               SELECT code FROM cells WHERE region_code IN {REGIONS_UNDER}))
          AND (CAST(:who AS text) IS NULL OR assignee = :who
               OR (assignee IS NULL AND status = 'proposed' AND proposed_to = :who))
          AND (CAST(:status AS text) IS NULL OR status = :status)
          AND (CAST(:overdue AS bool) IS NULL
               OR (status = 'accepted' AND due_on < :today) = :overdue)
          AND {scope.holds_cell("cell_code")}
        ORDER BY cycle_id DESC, priority LIMIT :limit"""), {
        "cycle": cycle_id, "cell": cell_code, "region": region_code, "who": assignee,
        "status": status, "overdue": overdue, "today": _today(timezone), "limit": limit,
        **scope.params}).mappings().all()
    return [_assignment_out(row) for row in rows]


def _assignment_out(row: Any) -> AssignmentOut:
    """An assignment as it leaves: the numbers typed into its note and outcome masked."""
    return AssignmentOut(**{**row, "note": mask_text(row["note"]),
                            "outcome": mask_text(row["outcome"])})


def get_assignment(db: Db, assignment_id: int, *, timezone: str = "Asia/Shanghai",
                   lock: bool = False, scope: Scope = EVERYTHING) -> AssignmentOut:
    row = db.execute(text(ASSIGNMENT + f" WHERE id = :id AND {scope.holds_cell('cell_code')}"
                          + (" FOR UPDATE" if lock else "")),
                     {"id": assignment_id, "today": _today(timezone), **scope.params}
                     ).mappings().first()
    if row is None:
        raise NotFound(f"no assignment {assignment_id}")
    return _assignment_out(row)


def decide(db: Db, assignment_id: int, decision: AssignmentDecision, *,
           timezone: str = "Asia/Shanghai", scope: Scope = EVERYTHING) -> AssignmentOut:
    current = get_assignment(db, assignment_id, timezone=timezone, lock=True, scope=scope)
    if current.status not in DECISIONS[decision.action]:
        raise Conflict(f"assignment {assignment_id} is {current.status.value}: it cannot be "
                       f"{decision.action}ed now")
    changes: dict[str, Any] = {"note": decision.note}
    if decision.action == "drop":
        changes["status"] = AssignmentStatus.dropped.value
    else:
        assignee = decision.assignee or (current.proposed_to if decision.action == "accept"
                                         else None)
        if assignee is None:
            raise InvalidInput("assignee", "name the grid worker who takes it on" + (
                "" if decision.action == "reassign" else
                ": the cycle found no worker for this cell"))
        changes.update(status=AssignmentStatus.accepted.value, assignee=assignee)
    return _update(db, assignment_id, changes, timezone)


def record_outcome(db: Db, assignment_id: int, outcome: AssignmentOutcome, *,
                   timezone: str = "Asia/Shanghai", scope: Scope = EVERYTHING,
                   by_assignee: str | None = None) -> AssignmentOut:
    """With `by_assignee` (a grid worker recording their own), only their assignment."""
    current = get_assignment(db, assignment_id, timezone=timezone, lock=True, scope=scope)
    if by_assignee is not None and current.assignee != by_assignee:
        raise NotYours(f"assignment {assignment_id} is not assigned to {by_assignee}: only "
                       "its assignee records its outcome")
    if current.status != AssignmentStatus.accepted:
        raise Conflict(f"assignment {assignment_id} is {current.status.value}: only an "
                       "accepted assignment gets an outcome")
    changes = {"status": AssignmentStatus.done.value, "outcome": outcome.outcome}
    if outcome.note is not None:  # else the decision's note stays, as typed
        changes["note"] = outcome.note
    return _update(db, assignment_id, changes, timezone, done=True)


def _update(db: Db, assignment_id: int, changes: dict[str, Any], timezone: str, *,
            done: bool = False) -> AssignmentOut:
    columns = ", ".join(f"{k} = :{k}" for k in changes)
    stamp = "done_at = now()" if done else "decided_at = now()"
    db.execute(text(f"UPDATE assignments SET {columns}, {stamp}"
                    " WHERE id = :id"), {**changes, "id": assignment_id})
    return get_assignment(db, assignment_id, timezone=timezone)
