"""The labels, exactly as the bundle spec defines an escalation and its two parts (the
handling deadline passing, the complainant coming back), on hand-made case files.

As-of day 10, horizon 30 days: the window is days 11..40. Every case is accepted on day 0, so
its handling deadline is day 30 (day 60 when extended by 30 days)."""

from __future__ import annotations

import pytest

from models.labels import LABEL_KINDS, LabelWindowOpen, labels_at

from .conftest import day, history_of

AS_OF, HORIZON = 10, 30


def label_of(*events: tuple, known_until: int = 200) -> dict[str, int]:  # type: ignore[type-arg]
    history = history_of({"X": 0}, [("X", 0, "accepted"), *events], known_until=known_until)
    labels = labels_at(history, day(AS_OF), HORIZON)
    return labels.loc["X"].to_dict()


def closed_on(n: int) -> tuple:  # type: ignore[type-arg]
    return ("X", n, "closed", "resolved")


@pytest.mark.parametrize(("kind", "events"), [
    ("escalated", [("X", 20, "escalated", None, "city", 8), closed_on(25)]),
    ("refiled", [("X", 20, "refiled", None, "county", 1), closed_on(25)]),
    ("review_requested", [("X", 5, "opinion_issued"), ("X", 20, "review_requested", None,
                                                         "county"), closed_on(28)]),
    ("rereview_requested", [("X", 3, "opinion_issued"), ("X", 5, "review_requested"),
                            ("X", 9, "review_decided"), ("X", 20, "rereview_requested"),
                            closed_on(29)]),
    ("reopened", [closed_on(15), ("X", 25, "reopened"), ("X", 26, "accepted"), closed_on(30)]),
])
def test_each_escalation_event_in_the_window_is_a_return(kind: str, events: list) -> None:  # type: ignore[type-arg]
    label = label_of(*events)
    assert label[kind] == 1 and label["return"] == 1 and label["any"] == 1
    assert sum(label[k] for k in LABEL_KINDS) == 1 and label["deadline"] == 0


@pytest.mark.parametrize("on", [AS_OF, AS_OF + HORIZON + 1])
def test_escalations_outside_the_window_do_not_count(on: int) -> None:
    extended = ("X", 5, "extended", "延期30日")  # deadline day 60: outside the window
    label = label_of(extended, ("X", on, "escalated", None, "city"), closed_on(45))
    assert label["escalated"] == 0 and label["any"] == 0


def test_passing_the_handling_deadline_unclosed_is_a_deadline_outcome() -> None:
    label = label_of(closed_on(33))
    assert label["deadline_passed"] == 1 and label["deadline"] == 1 and label["any"] == 1
    assert label["return"] == 0


def test_still_open_at_the_data_end_after_the_deadline_is_a_positive() -> None:
    assert label_of()["deadline_passed"] == 1


@pytest.mark.parametrize("closing_day", [12, 30])
def test_closed_by_the_deadline_day_is_not(closing_day: int) -> None:
    assert label_of(closed_on(closing_day))["any"] == 0


def test_an_extension_granted_after_the_as_of_day_moves_the_deadline_out() -> None:
    label = label_of(("X", 20, "extended", "延期30日"), closed_on(55))
    assert label["deadline_passed"] == 0 and label["any"] == 0


def test_a_shorter_extension_after_the_as_of_day_keeps_the_deadline_in() -> None:
    label = label_of(("X", 20, "extended", "延期5日"), closed_on(38))  # deadline day 35
    assert label["deadline_passed"] == 1


def test_an_extension_granted_after_the_deadline_passed_does_not_undo_the_passing() -> None:
    label = label_of(("X", 33, "extended", "延期30日"), closed_on(50))
    assert label["deadline_passed"] == 1


def test_a_deadline_passed_before_the_as_of_day_is_not_a_new_escalation() -> None:
    history = history_of({"X": 0}, [("X", 0, "accepted")], known_until=200)
    labels = labels_at(history, day(35), HORIZON)
    assert labels.loc["X", "deadline_passed"] == 0


def test_the_acceptance_deadline_is_not_the_handling_deadline() -> None:
    history = history_of({"X": 0}, [("X", 25, "accepted"), ("X", 40, "closed", "resolved")],
                         known_until=200)
    assert labels_at(history, day(5), HORIZON).loc["X", "any"] == 0


def test_only_cases_open_at_the_as_of_day_are_labelled() -> None:
    history = history_of({"X": 0, "Y": 0, "Z": 15},
                         [("X", 0, "accepted"), ("Y", 0, "accepted"),
                          ("Y", 8, "closed", "resolved")], known_until=200)
    assert list(labels_at(history, day(AS_OF), HORIZON).index) == ["X"]


def test_a_window_reaching_past_the_data_has_no_label() -> None:
    history = history_of({"X": 0}, [("X", 0, "accepted")], known_until=30)
    with pytest.raises(LabelWindowOpen):
        labels_at(history, day(AS_OF), HORIZON)
