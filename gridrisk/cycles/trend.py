"""How each cell's hotspot has moved across cycles of one cadence: the categories of emerging
hot-spot analysis, for the cells that are hot in the latest cycle.

With n cycles in the window (the latest last) and a cell hot in the latest one:
- new: hot in no earlier cycle of the window;
- intensifying / diminishing: hot in at least 90 % of the cycles, and its Gi* z-score rises /
  falls across them with a Mann-Kendall test (Kendall's tau against time) at p < 0.05;
- persistent: hot in at least 90 % of at least two cycles, with no such trend;
- sporadic: hot now and before, but in fewer than 90 % of the cycles (on and off).
A cell not hot in the latest cycle gets "" (no trend class)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from gridrisk.vocab import Trend

#: share of the window's cycles a cell must be hot in to count as a standing hotspot
STANDING_SHARE = 0.9
TREND_ALPHA = 0.05
#: the history frame: one row per cycle and cell; cycle_seq orders the cycles, the latest last
TREND_COLUMNS = ["cycle_seq", "cell_code", "gi_z", "hotspot"]


def is_hot(hotspot: pd.Series) -> pd.Series:
    return hotspot.astype(str).str.startswith("hot_")


def trend_class(z: np.ndarray, hot: np.ndarray) -> Trend:
    """One cell's class from its z-scores and hot flags over the window, oldest first."""
    if not len(hot) or not hot[-1]:
        return Trend.none
    if not hot[:-1].any():
        return Trend.new
    if hot.mean() < STANDING_SHARE:
        return Trend.sporadic
    if len(z) >= 4 and np.ptp(z) > 0:
        tau, p = stats.kendalltau(np.arange(len(z)), z)
        if p < TREND_ALPHA:
            return Trend.intensifying if tau > 0 else Trend.diminishing
    return Trend.persistent


def trend_classes(history: pd.DataFrame) -> pd.Series:
    """Per cell of the latest cycle (index cell_code): its Trend value. A cell missing from
    an earlier cycle counts as not hot there, with z 0."""
    latest = history["cycle_seq"].max()
    z = history.pivot_table(index="cell_code", columns="cycle_seq", values="gi_z",
                            aggfunc="first").sort_index(axis=1)
    hot = history.assign(hot=is_hot(history["hotspot"])).pivot_table(
        index="cell_code", columns="cycle_seq", values="hot", aggfunc="first").sort_index(
        axis=1)
    cells = history.loc[history["cycle_seq"] == latest, "cell_code"]
    z = z.reindex(cells).fillna(0.0)
    hot = hot.reindex(cells).fillna(False).astype(bool)
    return pd.Series([trend_class(zs, hs).value for zs, hs in zip(
        z.to_numpy(), hot.to_numpy(), strict=True)], index=pd.Index(cells, name="cell_code"),
        dtype=object)
