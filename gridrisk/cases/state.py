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

import numpy as np
import pandas as pd

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
            assert self.handle_by is not None  # refusal() admits accepted cases, which have one
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


# -- the same replay over many case files at once -------------------------------------------

#: what replay_frame needs of each case and of each event
REPLAY_CASE_COLUMNS = ["case_id", "received_on", "complex", "due_on"]
REPLAY_EVENT_COLUMNS = ["case_id", "on", "type", "detail"]
#: the state after each row, named as CaseState names it, and `acceptance`: the position (in
#: the replayed frame) of the acceptance in force, -1 when none
REPLAYED_COLUMNS = ["is_open", "accept_by", "accepted_on", "handle_by", "extended",
                    "closed_on", "closure_type", "opinion_issued", "review_decided",
                    "acceptance"]
RECEIVED = "received"
#: the `type` of a replayed row: its receipt, then the event types (a categorical's codes)
ROW_TYPES = [RECEIVED, *(kind.value for kind in EventType)]
NO_DAY = np.datetime64("NaT", "ns")


def last_where(mask: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """For every row, the position of the latest row at or before it where `mask` holds, in
    the same group (rows of a group are contiguous; `starts` is each row's group's first
    position); -1 when there is none."""
    positions = np.maximum.accumulate(np.where(mask, np.arange(len(mask), dtype=np.int64), -1))
    positions[positions < starts] = -1
    return positions


def case_positions(case_ids: pd.Series, among: pd.Series) -> np.ndarray:
    """The position in `among` of each of `case_ids` (-1 when absent); quick when
    `case_ids` is a categorical, as bulk reads give them."""
    index = pd.Index(among)
    if isinstance(case_ids.dtype, pd.CategoricalDtype):
        codes = case_ids.cat.codes.to_numpy()
        if case_ids.cat.categories.equals(index):
            return codes
        found = index.get_indexer(case_ids.cat.categories)
        positions: np.ndarray = np.where(codes >= 0, found[codes], -1)
        return positions
    located: np.ndarray = index.get_indexer(pd.Index(case_ids))
    return located


def replay_frame(cases: pd.DataFrame, events: pd.DataFrame, policy: DeadlinePolicy
                 ) -> pd.DataFrame:
    """derive_state after every event of every case file at once, for reports over hundreds
    of thousands of cases: the rules of CaseState.after as array operations (the tests replay
    every case file both ways and compare).

    `cases`: REPLAY_CASE_COLUMNS, days as datetime64 (due_on NaT when the source set none).
    `events`: REPLAY_EVENT_COLUMNS, each case's file in replay order (local day, then as
    recorded), as stored (the workflow held when they were written); events that change
    nothing derived (site visits, say) may be left out; a `case` column, the position of
    each event's case in `cases`, spares looking the ids up; other columns of `events` are
    carried along. Returns one row per case for its receipt (type "received", on =
    received_on, missing in the carried columns) followed by one per event, each with
    REPLAYED_COLUMNS, `case` (the case's position in `cases`, in whose order the rows come)
    and `type` as a categorical of ROW_TYPES."""
    n_cases = len(cases)
    event_case = events["case"].to_numpy() if "case" in events else case_positions(
        events["case_id"], cases["case_id"])
    if (event_case < 0).any():
        raise ValueError("events: case_id not in cases")
    event_kind = pd.Categorical(events["type"], categories=ROW_TYPES[1:]).codes
    if (event_kind < 0).any():
        raise ValueError("events: a type that is not an event type")
    case = np.concatenate([np.arange(n_cases), event_case])
    order = np.argsort(case, kind="stable")  # receipt first, then the file in its order
    case = case[order]
    received_on = cases["received_on"].to_numpy("datetime64[ns]")
    on = np.concatenate([received_on, events["on"].to_numpy("datetime64[ns]")])[order]
    kind = np.concatenate([np.zeros(n_cases, dtype=np.int8),
                           event_kind.astype(np.int8) + 1])[order]

    def carried(column: str) -> np.ndarray:
        return np.concatenate([np.full(n_cases, None, dtype=object),
                               events[column].to_numpy(object)])[order]

    detail = carried("detail")
    position = np.arange(len(case))
    starts = np.maximum.accumulate(np.where(np.r_[True, case[1:] != case[:-1]], position, 0)
                                   ) if len(case) else position

    def code(*kinds: str) -> np.ndarray:
        of_kinds: np.ndarray = np.logical_or.reduce([kind == ROW_TYPES.index(k) for k in kinds])
        return of_kinds

    def last(*kinds: str) -> np.ndarray:
        return last_where(code(*kinds), starts)

    last_end = last(EventType.closed, EventType.not_accepted)
    last_return = last(EventType.reopened, EventType.refiled)
    is_open = (last_return > last_end) | (last_end < 0)  # the receipt is neither
    was_open = np.concatenate([[True], is_open[:-1]]) | (starts == position)
    opening = code(RECEIVED, EventType.reopened) | (code(EventType.refiled) & ~was_open)
    last_opening = last_where(opening, starts)
    last_accept = last(EventType.accepted)
    accepted = last_accept > last_opening
    acceptance = np.where(accepted, last_accept, -1)
    last_extension = last(EventType.extended)
    extended = accepted & (last_extension > last_accept)

    handle_days = np.where(cases["complex"].to_numpy(bool)[case], policy.complex_handle_days,
                           policy.handle_days).astype("timedelta64[D]")
    due_on = cases["due_on"].to_numpy("datetime64[ns]")[case]
    accept_rows = np.flatnonzero(code(EventType.accepted))
    first_accept = np.full(n_cases, -1)
    found, at_first = np.unique(case[accept_rows], return_index=True)
    first_accept[found] = accept_rows[at_first]
    at = np.maximum(acceptance, 0)
    from_source = (acceptance == first_accept[case]) & ~np.isnat(due_on)
    handle_base = np.where(from_source, due_on, on[at] + handle_days)
    extension_days = np.zeros(len(case), dtype="int64")
    extension_rows = np.flatnonzero(code(EventType.extended))
    extension_days[extension_rows] = [requested_extension_days(d, policy)
                                      for d in detail[extension_rows]]
    handle_by = handle_base + np.where(extended, extension_days[np.maximum(last_extension, 0)],
                                       0).astype("timedelta64[D]")
    accept_by = on[last_opening] + np.timedelta64(policy.accept_days, "D")
    end = np.maximum(last_end, 0)
    closure = np.where(kind[end] == ROW_TYPES.index(EventType.closed), detail[end],
                       EventType.not_accepted.value)
    closure_type: np.ndarray = np.where(is_open, None, closure)  # type: ignore[call-overload]
    return pd.DataFrame({
        "case": case, "on": on,
        "type": pd.Categorical.from_codes(kind, categories=ROW_TYPES),  # type: ignore[call-overload]
        "detail": pd.Series(detail, dtype=object),
        **{column: pd.Series(carried(column), dtype=object) for column in events.columns
           if column not in (*REPLAY_EVENT_COLUMNS, "case")},
        "is_open": is_open,
        "accept_by": np.where(is_open & ~accepted, accept_by, NO_DAY),
        "accepted_on": np.where(accepted, on[at], NO_DAY),
        "handle_by": np.where(accepted, handle_by, NO_DAY),
        "extended": extended,
        "closed_on": np.where(is_open, NO_DAY, on[end]),
        "closure_type": pd.Series(closure_type, dtype=object),
        "opinion_issued": last(EventType.opinion_issued) >= 0,
        "review_decided": last(EventType.review_decided) >= 0,
        "acceptance": acceptance,
    }, copy=False)
