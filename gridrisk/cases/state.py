"""A case's state and deadlines, derived from its case file exactly as the bundle spec says.

Open from receipt until `closed` or `not_accepted`; `reopened` or `refiled` after closing opens
it again and counts as a new acceptance. The handling deadline counts from the latest
acceptance: 30 days, 60 when complex, plus one extension (its detail may name fewer days,
e.g. 延期15日; never more than the policy's maximum). A review does not stop the clock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import NamedTuple

from gridrisk.cases.policy import DeadlinePolicy
from gridrisk.cases.vocab import EventType

EXTENSION_DAYS = re.compile(r"(\d+)")


class EventFacts(NamedTuple):
    """What derivation needs of an event: its local date, type and detail."""

    on: date
    type: str
    detail: str | None = None


@dataclass(frozen=True)
class CaseState:
    is_open: bool
    #: the day by which a (re)received case must be accepted; None once accepted or closed
    accept_by: date | None
    accepted_on: date | None
    #: the last day of the handling period; None before the first acceptance
    handle_by: date | None
    extended: bool
    closed_on: date | None
    closure_type: str | None

    def overdue_days(self, on: date) -> int:
        """Days past the acceptance or handling deadline on `on`; 0 when not overdue."""
        if not self.is_open:
            return 0
        deadline = self.handle_by if self.accepted_on else self.accept_by
        return max(0, (on - deadline).days) if deadline else 0

    def after(self, event: EventFacts, *, is_complex: bool, policy: DeadlinePolicy
              ) -> CaseState:
        handle_days = policy.complex_handle_days if is_complex else policy.handle_days
        kind = event.type
        if kind == EventType.accepted or (
            kind in (EventType.reopened, EventType.refiled) and not self.is_open
        ):
            return replace(self, is_open=True, accept_by=None, accepted_on=event.on,
                           handle_by=event.on + timedelta(days=handle_days), extended=False,
                           closed_on=None, closure_type=None)
        if kind == EventType.extended and self.handle_by and not self.extended:
            return replace(self, extended=True,
                           handle_by=self.handle_by + timedelta(
                               days=extension_days(event.detail, policy)))
        if kind in (EventType.closed, EventType.not_accepted) and self.is_open:
            return replace(self, is_open=False, accept_by=None, closed_on=event.on,
                           closure_type=event.detail if kind == EventType.closed
                           else EventType.not_accepted.value)
        return self


def extension_days(detail: str | None, policy: DeadlinePolicy) -> int:
    """Days an extension adds: the number its detail names (延期15日), capped by the policy."""
    found = EXTENSION_DAYS.search(detail or "")
    asked = int(found.group(1)) if found else policy.max_extension_days
    return min(asked, policy.max_extension_days)


def derive_state(received_on: date, events: Sequence[EventFacts], *, is_complex: bool,
                 policy: DeadlinePolicy) -> CaseState:
    """Replay a case file (events in time order); importer, API and model all call this."""
    state = CaseState(is_open=True, accept_by=received_on + timedelta(days=policy.accept_days),
                      accepted_on=None, handle_by=None, extended=False, closed_on=None,
                      closure_type=None)
    for event in events:
        state = state.after(event, is_complex=is_complex, policy=policy)
    return state
