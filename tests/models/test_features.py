"""Features use only what was known at the as-of day: computed from the full history and from
the history cut at that day, every feature is the same."""

from __future__ import annotations

import pandas as pd
import pytest

from gridrisk.policy import DeadlinePolicy
from gridrisk.scoring.history import replayed_timeline
from models.columns import PERSONAL_DETAIL_MARKERS, personal_detail_columns
from models.features import FEATURES, features_at
from models.history import History

from .conftest import day, history_of, random_history


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_feature_is_the_same_from_the_history_cut_at_the_as_of_day(seed: int) -> None:
    history = random_history(seed)
    seen = []
    for n in range(20, 240, 17):
        full = features_at(history, day(n))
        cut = features_at(history.truncated(day(n)), day(n))
        pd.testing.assert_frame_equal(full, cut, check_exact=True)
        assert list(full.columns) == FEATURES
        seen.append(full)
    together = pd.concat(seen)
    constant = [c for c in FEATURES if together[c].nunique(dropna=False) < 2]
    assert constant == [], "a feature that never varies proves nothing here"


def test_features_describe_the_case_file_so_far() -> None:
    history = history_of(
        {"X": 0}, [("X", 1, "accepted"), ("X", 5, "site_visit"),
                   ("X", 12, "escalated", None, "province", 25),
                   ("X", 20, "opinion_issued"), ("X", 25, "review_requested", None, "county")],
        known_until=100,
        screenings=[("A", 38, True, "high", "mediating"), ("A", 39, True, "high",
                                                           "resolved_on_site")])
    row = features_at(history, day(40)).loc["X"]
    assert (row["days_overdue"], row["days_left"]) == (9, 0)  # handle_by day 31
    assert (row["met_complainant"], row["days_unmet"]) == (0, 39)
    assert (row["site_visited"], row["days_without_site_visit"]) == (1, 0)
    assert (row["n_escalated"], row["highest_level"], row["parties"], row["collective"]) == (
        1, 5, 25, 1)
    assert (row["opinion_issued"], row["days_since_opinion"], row["review_pending"]) == (
        1, 20, 1)
    assert row["escalations_30d"] == 2  # the escalation and the review request
    assert row["cell_escalations_90d"] == 3  # … and the deadline that passed on day 31
    assert row["cell_high_disputes_60d"] == 1


def test_no_feature_holds_personal_details() -> None:
    assert personal_detail_columns(FEATURES) == []
    assert personal_detail_columns(["complainant_name", "phone", "id_card_no", "住址"]) == [
        "complainant_name", "phone", "id_card_no", "住址"]
    assert {"name", "phone", "id_card", "address"} <= set(PERSONAL_DETAIL_MARKERS)


def test_features_of_repeats_waves_nearby_and_the_units_pace() -> None:
    """X came in on day 0; Y repeats it on day 20 and Z on day 50; W, another matter of X's
    category, came in on day 45 in the neighbouring cell B; V, of the same unit, had its
    opinion 12 days after acceptance."""
    history = history_of(
        {"X": 0, "Y": 20, "Z": 50, "W": 45, "V": 30},
        [("X", 1, "accepted"), ("X", 4, "site_visit"), ("X", 10, "refiled", None, "county", 1),
         ("Y", 21, "accepted"), ("Y", 22, "closed", "resolved"),
         ("V", 31, "accepted"), ("V", 43, "opinion_issued")],
        known_until=100, repeats=[("Y", "X"), ("Z", "X")],
        attributes={"W": {"cell_code": "B"}})
    x, z = features_at(history, day(55)).loc[["X", "Z"]].to_dict("index").values()
    assert (x["repeats_earlier"], x["repeated"], x["repeated_30d"]) == (0, 2, 1)
    assert (z["repeats_earlier"], z["matter_returns"]) == (1, 1)  # X was refiled once
    assert x["site_visit_after_days"] == 3 and x["days_allowed"] == 30
    # Z itself and V in A, W in the neighbouring B
    assert (z["cell_same_category_30d"], z["neighbour_same_category_30d"]) == (2, 1)
    assert x["unit_days_to_opinion"] == pytest.approx(12.0)
    before = features_at(history, day(19)).loc["X"]
    assert (before["repeated"], before["repeated_30d"]) == (0, 0)


def test_a_source_deadline_shortens_the_handling_period() -> None:
    history = history_of({"H": 0}, [("H", 2, "accepted")], known_until=100)
    cases = history.cases.assign(received_on=history.cases["received_on"].dt.date,
                                 due_on=[day(15)])
    timeline = replayed_timeline(cases, history.timeline.loc[
        history.timeline["type"] != "received", ["case_id", "on", "type", "level", "parties",
                                                "detail"]].assign(
        on=lambda f: f["on"].dt.date), DeadlinePolicy())
    hotline = History(cases=history.cases, timeline=timeline, screenings=history.screenings,
                      cells=history.cells, neighbours=history.neighbours,
                      known_until=history.known_until)
    row = features_at(hotline, day(10)).loc["H"]
    assert (row["days_allowed"], row["days_left"]) == (13, 5)


def _deadline_history(c_opinion_on: int) -> History:
    """A, B and C, of X's unit, had their opinions 10, 40 and c_opinion_on − 1 days after
    acceptance; X, accepted on day 21 (deadline day 51), was extended by 15 days on day 48."""
    return history_of(
        {"A": 0, "B": 0, "C": 0, "X": 20},
        [("A", 1, "accepted"), ("A", 11, "opinion_issued"),
         ("B", 1, "accepted"), ("B", 41, "opinion_issued"),
         ("C", 1, "accepted"), ("C", c_opinion_on, "opinion_issued"),
         ("X", 21, "accepted"), ("X", 48, "extended", "延期15日")],
        known_until=100)


def test_an_extension_asked_late_and_the_units_record_on_cases_as_old() -> None:
    x = features_at(_deadline_history(51), day(55)).loc["X"]
    assert (x["days_left"], x["days_since_accepted"]) == (11, 34)
    assert (x["extension_days"], x["extension_days_before_deadline"]) == (15, 3)
    # of the unit's opinions that took ≥ 34 days (B's 40, C's 50), C's came after 34 + 11
    assert x["unit_late_share"] == pytest.approx(0.5)
    assert x["unit_days_to_opinion"] == pytest.approx(45.0)  # B and C in the last 30 days
    assert x["pace_overrun_days"] == pytest.approx(45.0 - 34 - 11)
    # had C's opinion come within 45 days, none of the unit's cases as old came so late
    sooner = features_at(_deadline_history(45), day(55)).loc["X"]
    assert sooner["unit_late_share"] == 0.0
    # before the extension: none; once the opinion is out, no share or overrun
    assert features_at(_deadline_history(51), day(40)).loc["X", "extension_days"] == 0
    done = history_of({"X": 20}, [("X", 21, "accepted"), ("X", 30, "opinion_issued")],
                      known_until=100)
    assert features_at(done, day(35)).loc["X", ["unit_late_share", "pace_overrun_days"]
                                          ].tolist() == [0.0, 0.0]
    # a round reopened after an extended one starts without an extension
    again = history_of({"X": 20}, [
        ("X", 21, "accepted"), ("X", 48, "extended", "延期15日"), ("X", 60, "opinion_issued"),
        ("X", 62, "closed", "resolved"), ("X", 70, "reopened"), ("X", 71, "accepted")],
        known_until=150)
    assert features_at(again, day(80)).loc["X", [
        "extended", "extension_days", "extension_days_before_deadline"]].tolist() == [0, 0, 0]


def test_a_matters_filings_quicken_and_fade() -> None:
    """X came in on day 0 and was refiled on day 10; Y repeats it on day 20; a screening in
    the neighbouring cell B found a dispute on day 22."""
    history = history_of(
        {"X": 0, "Y": 20}, [("X", 1, "accepted"), ("X", 10, "refiled", None, "county", 1),
                            ("Y", 21, "accepted")],
        known_until=200, repeats=[("Y", "X")],
        screenings=[("B", 22, True, "low", "mediating")])
    at_25 = features_at(history, day(25))
    # X's receipt and refiling and Y's receipt, counted on both case files of the matter
    assert at_25["matter_filings_30d"].tolist() == [3, 3]
    assert at_25.loc["X", "neighbour_disputes_30d"] == 1
    at_45 = features_at(history, day(45))
    assert at_45["matter_filings_30d"].tolist() == [1, 1]  # Y's receipt alone
    assert at_45["matter_filings_90d"].tolist() == [3, 3]
    assert features_at(history, day(60)).loc["X", "neighbour_disputes_30d"] == 0
