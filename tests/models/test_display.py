"""Probabilities as people read them: never 0% or 100%."""

from __future__ import annotations

import pytest

from models.display import shown_probability


@pytest.mark.parametrize(("p", "shown"), [
    (0.0, "< 1%"), (0.0049, "< 1%"), (0.005, "1%"), (0.37, "37%"), (0.994, "99%"),
    (0.995, "> 99%"), (1.0, "> 99%"), (float("nan"), "—"), (None, "—"),
])
def test_a_probability_reads_as_a_whole_percent_short_of_certainty(p: float | None,
                                                                    shown: str) -> None:
    assert shown_probability(p) == shown
