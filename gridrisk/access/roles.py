"""What each role may do: the one table that the API's checks, docs/access.md and the
scope-matrix test all read. Where it may do it is the account's scope (service.Scope)."""

from __future__ import annotations

from enum import StrEnum

from gridrisk.vocab import Role


class Action(StrEnum):
    read_regions = "read_regions"
    read_cells = "read_cells"
    read_cases = "read_cases"
    open_case = "open_case"
    append_event = "append_event"
    show_contact = "show_contact"
    read_screenings = "read_screenings"
    record_screening = "record_screening"
    dispute_to_case = "dispute_to_case"
    read_cycles = "read_cycles"
    run_cycle = "run_cycle"
    read_assignments = "read_assignments"
    decide_assignment = "decide_assignment"
    record_outcome = "record_outcome"
    read_tiles = "read_tiles"
    read_audit = "read_audit"


#: what each action is, in the words of a refusal: "a worker may not <this>"
DOES = {
    Action.read_regions: "read regions, their outlines and coverage",
    Action.read_cells: "read grid cells",
    Action.read_cases: "read cases and case files",
    Action.open_case: "register a case",
    Action.append_event: "append to a case file",
    Action.show_contact: "see a complainant's contact details",
    Action.read_screenings: "read screening records",
    Action.record_screening: "record a screening",
    Action.dispute_to_case: "turn a found dispute into a case",
    Action.read_cycles: "read screening cycles, worklists and maps",
    Action.run_cycle: "run a screening cycle",
    Action.read_assignments: "read assignments",
    Action.decide_assignment: "accept, reassign or drop an assignment",
    Action.record_outcome: "record an assignment's outcome",
    Action.read_tiles: "read map tiles",
    Action.read_audit: "read the audit log",
}

_READ_PLACES = {Action.read_regions, Action.read_cells, Action.read_tiles}
_READ_WORK = {Action.read_cases, Action.read_screenings, Action.read_cycles,
              Action.read_assignments}

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.worker: frozenset({Action.read_cells, Action.read_cases, Action.read_screenings,
                            Action.record_screening, Action.read_cycles,
                            Action.read_assignments, Action.record_outcome,
                            Action.read_tiles}),
    Role.handler: frozenset({*_READ_PLACES, *_READ_WORK, Action.open_case,
                             Action.append_event, Action.show_contact,
                             Action.dispute_to_case, Action.record_outcome}),
    Role.supervisor: frozenset({*_READ_PLACES, *_READ_WORK, Action.open_case,
                                Action.append_event, Action.show_contact,
                                Action.record_screening, Action.dispute_to_case,
                                Action.decide_assignment, Action.record_outcome}),
    Role.planner: frozenset({*_READ_PLACES, *_READ_WORK, Action.run_cycle}),
    Role.admin: frozenset({*_READ_PLACES, *_READ_WORK, Action.run_cycle,
                           Action.read_audit}),
}


def may(role: Role | str, action: Action) -> bool:
    return action in ROLE_ACTIONS[Role(role)]


def role_table() -> str:
    """ROLE_ACTIONS as the Markdown table docs/access.md carries (a test keeps them equal)."""
    rows = ["| action | what | " + " | ".join(role.value for role in Role) + " |",
            "|---|---|" + "---|" * len(Role)]
    for action in Action:
        marks = " | ".join("✓" if action in ROLE_ACTIONS[role] else "—" for role in Role)
        rows.append(f"| `{action.value}` | {DOES[action]} | {marks} |")
    return "\n".join(rows)
