"""Features use only what was known at the as-of day: computed from the full history and from
the history cut at that day, every feature is the same."""

from __future__ import annotations

import pandas as pd
import pytest

from models.columns import PERSONAL_DETAIL_MARKERS, personal_detail_columns
from models.features import FEATURES, features_at

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
