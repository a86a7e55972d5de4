"""State and deadlines derived from a case file, as the bundle spec defines them."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from gridrisk.cases.errors import TransitionRefused
from gridrisk.cases.state import EventFacts, derive_state
from gridrisk.policy import DeadlinePolicy, load_policy

POLICY = DeadlinePolicy()
RECEIVED = date(2025, 3, 1)


def day(n: int) -> date:
    return RECEIVED + timedelta(days=n)


def state_of(*events: tuple[int, str, str | None], is_complex: bool = False):  # type: ignore[no-untyped-def]
    facts = [EventFacts(day(n), kind, detail) for n, kind, detail in events]
    return derive_state(RECEIVED, facts, is_complex=is_complex, policy=POLICY)


def test_new_case_must_be_accepted_within_15_days() -> None:
    state = state_of()
    assert state.is_open and state.accept_by == day(15) and state.handle_by is None
    assert state.overdue_days(day(15)) == 0
    assert state.overdue_days(day(18)) == 3


def test_handling_deadline_counts_from_acceptance() -> None:
    assert state_of((2, "accepted", None)).handle_by == day(32)
    assert state_of((2, "accepted", None), is_complex=True).handle_by == day(62)


@pytest.mark.parametrize(("detail", "days"), [("延期15日", 15), ("延期30日", 30),
                                              ("情况复杂，申请延期", 30)])
def test_one_extension_adds_what_it_names_up_to_30_days(detail: str, days: int) -> None:
    state = state_of((2, "accepted", None), (20, "extended", detail))
    assert state.handle_by == day(32 + days)


def test_review_does_not_stop_the_clock() -> None:
    state = state_of((2, "accepted", None), (10, "opinion_issued", None),
                     (12, "review_requested", None))
    assert state.is_open and state.overdue_days(day(40)) == 8


@pytest.mark.parametrize("closure", ["resolved", "agreement_signed",
                                     "terminated_after_review", "withdrawn"])
def test_each_closure_closes(closure: str) -> None:
    state = state_of((2, "accepted", None), (20, "closed", closure),
                     (30, "followed_up", "satisfied"))
    assert not state.is_open
    assert (state.closed_on, state.closure_type) == (day(20), closure)
    assert state.overdue_days(day(200)) == 0


def test_not_accepted_closes() -> None:
    state = state_of((5, "not_accepted", "应通过诉讼途径解决"))
    assert not state.is_open and state.closure_type == "not_accepted"


@pytest.mark.parametrize("kind", ["reopened", "refiled"])
def test_reopened_or_refiled_after_closing_awaits_acceptance_again(kind: str) -> None:
    state = state_of((2, "accepted", None), (20, "closed", "resolved"), (50, kind, None))
    assert state.is_open and state.accepted_on is None and state.handle_by is None
    assert state.accept_by == day(65)
    again = state_of((2, "accepted", None), (20, "closed", "resolved"), (50, kind, None),
                     (53, "accepted", None))
    assert again.handle_by == day(83)


def test_refiled_while_open_keeps_the_deadline() -> None:
    state = state_of((2, "accepted", None), (20, "refiled", None))
    assert state.handle_by == day(32)


def test_policy_file_changes_derived_deadlines(tmp_path: Path) -> None:
    custom = tmp_path / "policy.toml"
    custom.write_text("[deadlines]\nhandle_days = 20\n", encoding="utf-8")
    policy = load_policy(custom).deadlines
    state = derive_state(RECEIVED, [EventFacts(day(1), "accepted")], is_complex=False,
                         policy=policy)
    assert state.handle_by == day(21)
    assert load_policy().deadlines == DeadlinePolicy()


@pytest.mark.parametrize(("events", "reason"), [
    ([(5, "closed", "resolved")], "closed only after it was accepted"),
    ([(2, "accepted", None), (3, "extended", "延期10日"), (9, "extended", "延期10日")],
     "extended once per acceptance"),
    ([(2, "accepted", None), (3, "extended", "延期45日")], "at most 30 days"),
    ([(2, "accepted", None), (3, "review_requested", None)], "only after a written opinion"),
    ([(2, "accepted", None), (3, "opinion_issued", None), (4, "rereview_requested", None)],
     "only after the review decision"),
    ([(-1, "accepted", None)], "before the case was received on 2025-03-01"),
    ([(2, "accepted", None), (3, "accepted", None)], "already accepted"),
    ([(2, "accepted", None), (9, "closed", "resolved"), (12, "site_visit", None)],
     "closed; reopen it first"),
    ([(2, "accepted", None), (9, "closed", "resolved"), (12, "closed", "resolved")],
     "closed; reopen it first"),
    ([(2, "accepted", None), (3, "reopened", None)], "only a closed case is reopened"),
    ([(2, "accepted", None), (3, "followed_up", "satisfied")], "after the case is closed"),
    ([(2, "accepted", None), (3, "not_accepted", None)], "already accepted"),
])
def test_workflow_refuses(events: list[tuple[int, str, str | None]], reason: str) -> None:
    with pytest.raises(TransitionRefused) as refused:
        state_of(*events)
    assert reason in refused.value.reason
    assert refused.value.field == ("at" if "received" in reason else "type")


def test_a_second_extension_after_a_new_acceptance_is_allowed() -> None:
    state = state_of((2, "accepted", None), (3, "extended", "延期10日"),
                     (9, "closed", "resolved"), (20, "reopened", None), (21, "accepted", None),
                     (30, "extended", "延期10日"))
    assert state.handle_by == day(61)


def test_a_source_deadline_replaces_the_first_acceptances_handling_period() -> None:
    facts = [EventFacts(day(2), "accepted")]
    state = derive_state(RECEIVED, facts, is_complex=True, policy=POLICY, due_on=day(10))
    assert state.handle_by == day(10)
    extended = derive_state(RECEIVED, [*facts, EventFacts(day(5), "extended", "延期15日")],
                            is_complex=False, policy=POLICY, due_on=day(10))
    assert extended.handle_by == day(25)


def test_a_reopened_case_gets_the_policys_deadline_not_the_sources_again() -> None:
    facts = [EventFacts(day(2), "accepted"), EventFacts(day(6), "closed", "resolved"),
             EventFacts(day(40), "reopened"), EventFacts(day(41), "accepted")]
    state = derive_state(RECEIVED, facts, is_complex=False, policy=POLICY, due_on=day(10))
    assert state.handle_by == day(71)


def test_a_source_deadline_does_not_move_the_acceptance_deadline() -> None:
    state = derive_state(RECEIVED, [], is_complex=False, policy=POLICY, due_on=day(5))
    assert state.accept_by == day(15) and state.handle_by is None
