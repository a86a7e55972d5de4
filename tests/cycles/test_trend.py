"""Emerging hot-spot classes on crafted sequences of cycles."""

from __future__ import annotations

import pandas as pd
import pytest

from gridrisk.cycles.trend import trend_classes

HOT, NO = "hot_95", "none"


def history(cells: dict[str, list[tuple[float, str]]]) -> pd.DataFrame:
    return pd.DataFrame([(seq, cell, z, hot) for cell, steps in cells.items()
                         for seq, (z, hot) in enumerate(steps)],
                        columns=["cycle_seq", "cell_code", "gi_z", "hotspot"])


@pytest.mark.parametrize(("steps", "expected"), [
    ([(0.1, NO)] * 5 + [(3.0, HOT)], "new"),
    ([(3.0, HOT)], "new"),                                       # a first cycle
    ([(3.0, HOT), (3.1, HOT), (2.9, HOT), (3.0, HOT), (3.05, HOT), (2.95, HOT)],
     "persistent"),
    ([(2.0, HOT), (2.4, HOT), (2.9, HOT), (3.3, HOT), (3.8, HOT), (4.5, HOT)], "intensifying"),
    ([(5.0, HOT), (4.4, HOT), (3.9, HOT), (3.1, HOT), (2.8, HOT), (2.2, HOT)], "diminishing"),
    ([(3.0, HOT), (0.2, NO), (2.9, HOT), (0.5, NO), (3.1, HOT)], "sporadic"),
    ([(3.0, HOT), (3.2, HOT), (0.5, NO)], ""),                    # not hot now: no class
    ([(3.0, HOT), (3.1, HOT)], "persistent"),                     # too short for a trend
])
def test_classes(steps: list[tuple[float, str]], expected: str) -> None:
    assert trend_classes(history({"c1": steps})).to_dict() == {"c1": expected}


def test_a_cell_missing_from_earlier_cycles_counts_as_not_hot_there() -> None:
    frame = history({"old": [(3.0, HOT), (3.0, HOT)], "added": [(3.0, HOT)]})
    frame.loc[frame["cell_code"] == "added", "cycle_seq"] = 1
    assert trend_classes(frame).to_dict() == {"old": "persistent", "added": "new"}


def test_hot_at_any_confidence_counts() -> None:
    steps = [(2.0, "hot_90"), (2.5, "hot_95"), (3.0, "hot_99"), (3.5, "hot_99")]
    assert trend_classes(history({"c": steps})).iloc[0] == "persistent"
