"""A case's state and deadlines, derived from its case file exactly as the bundle spec says,
and the workflow that decides which event may follow which.

Open from receipt until `closed` or `not_accepted`; `reopened` or `refiled` after closing opens
it again, to be accepted again. The handling deadline counts from the latest acceptance: 30
days, 60 when complex, plus one extension (its detail may name fewer days, e.g. 延期15日; never
more than the policy's maximum); a deadline the source system set (the case's `due_at`)
replaces the 30/60 days of the first acceptance, and an extension still adds to it. A review
does not stop the clock. Events are replayed in the order of their local day, then the order
they were recorded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import NamedTuple

from gridrisk.cases.errors import TransitionRefused
from gridrisk.policy import DeadlinePolicy
from gridrisk.vocab import EventType

EXTENSION_DAYS = re.compile(r"(\d+)")
#: work on the matter itself, which a closed case must be reopened for
CASEWORK = {EventType.site_visit, EventType.met_complainant, EventType.mediation,
            EventType.hearing}


class EventFacts(NamedTuple):
    """What derivation needs of an event: its local day, type and detail."""

    on: date
    type: str
    detail: str | None = None


@dataclass(frozen=True)
class CaseState:
    received_on: date
    is_open: bool
    #: the day by which a (re)opened case must be accepted; None once accepted or closed
    accept_by: date | None
    #: latest acceptance since the case was last (re)opened
    accepted_on: date | None
    #: the last day of the handling period; None until accepted
    handle_by: date | None
    extended: bool
    closed_on: date | None
    closure_type: str | None
    opinion_issued: bool = False
    review_decided: bool = False
    #: the source's own handling deadline (local day of due_at), until the first acceptance
    #: takes it as its deadline
    source_due_on: date | None = None

    def overdue_days(self, on: date) -> int:
        """Days past the acceptance or handling deadline on `on`; 0 when not overdue."""
        if not self.is_open:
            return 0
        deadline = self.handle_by if self.accepted_on else self.accept_by
        return max(0, (on - deadline).days) if deadline else 0

    def refusal(self, event: EventFacts, policy: DeadlinePolicy) -> TransitionRefused | None:
        """Why the workflow does not allow `event` now, or None when it does."""
        if event.on < self.received_on:
            return TransitionRefused(event.type, f"dated {event.on}, before the case was "
                                     f"received on {self.received_on}", field="at")
        reason = self._refused_type(event, policy)
        return TransitionRefused(event.type, reason) if reason else None

    def _refused_type(self, event: EventFacts, policy: DeadlinePolicy) -> str | None:
        kind, accepted = event.type, self.is_open and self.accepted_on is not None
        if kind == EventType.accepted and accepted:
            return "the case is already accepted"
        if kind in (EventType.accepted, EventType.not_accepted, EventType.closed,
                    EventType.extended, EventType.reopened) or kind in CASEWORK:
            if kind == EventType.reopened and self.is_open:
                return "the case is open; only a closed case is reopened"
            if kind != EventType.reopened and not self.is_open:
                return "the case is closed; reopen it first"
        if kind == EventType.not_accepted and accepted:
            return "the case is already accepted"
        if kind == EventType.closed and not accepted:
            return "a case is closed only after it was accepted"
        if kind == EventType.extended:
            if not accepted:
                return "only an accepted case is extended"
            if self.extended:
                return "a case is extended once per acceptance"
            if requested_extension_days(event.detail, policy) > policy.max_extension_days:
                return f"an extension is at most {policy.max_extension_days} days"
        if kind == EventType.review_requested and not self.opinion_issued:
            return "a review is requested only after a written opinion (opinion_issued)"
        if kind == EventType.rereview_requested and not self.review_decided:
            return "a re-review is requested only after the review decision (review_decided)"
        if kind == EventType.followed_up and self.is_open:
            return "a follow-up comes after the case is closed"
        return None

    def after(self, event: EventFacts, policy: DeadlinePolicy, *, is_complex: bool
              ) -> CaseState:
        """The state once `event` happened; raises TransitionRefused when it may not."""
        refused = self.refusal(event, policy)
        if refused:
            raise refused
        kind = event.type
        if kind == EventType.accepted:
            days = policy.complex_handle_days if is_complex else policy.handle_days
            return replace(self, accept_by=None, accepted_on=event.on,
                           handle_by=self.source_due_on or event.on + timedelta(days=days),
                           extended=False, source_due_on=None)
        if kind in (EventType.reopened, EventType.refiled) and not self.is_open:
            return replace(self, is_open=True, accepted_on=None, handle_by=None,
                           accept_by=event.on + timedelta(days=policy.accept_days),
                           extended=False, closed_on=None, closure_type=None)
        if kind == EventType.extended:
            return replace(self, extended=True, handle_by=self.handle_by + timedelta(
                days=requested_extension_days(event.detail, policy)))
        if kind in (EventType.closed, EventType.not_accepted):
            return replace(self, is_open=False, accept_by=None, closed_on=event.on,
                           closure_type=event.detail if kind == EventType.closed
                           else EventType.not_accepted.value)
        if kind == EventType.opinion_issued:
            return replace(self, opinion_issued=True)
        if kind == EventType.review_decided:
            return replace(self, review_decided=True)
        return self


def requested_extension_days(detail: str | None, policy: DeadlinePolicy) -> int:
    """Days an extension asks for: the number its detail names (延期15日), else the maximum."""
    found = EXTENSION_DAYS.search(detail or "")
    return int(found.group(1)) if found else policy.max_extension_days


def received(received_on: date, policy: DeadlinePolicy, due_on: date | None = None
             ) -> CaseState:
    return CaseState(received_on=received_on, is_open=True,
                     accept_by=received_on + timedelta(days=policy.accept_days),
                     accepted_on=None, handle_by=None, extended=False, closed_on=None,
                     closure_type=None, source_due_on=due_on)


def derive_state(received_on: date, events: Sequence[EventFacts], *, is_complex: bool,
                 policy: DeadlinePolicy, due_on: date | None = None) -> CaseState:
    """Replay a case file in order; importer, API and model all call this. `due_on` is the
    local day of the case's due_at, when the source gave one."""
    state = received(received_on, policy, due_on)
    for event in events:
        state = state.after(event, policy, is_complex=is_complex)
    return state
