"""Labelled examples: the cases open at a series of as-of days, their features then and their
labels over the horizon after."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from models.columns import OUTCOMES
from models.features import FEATURES, features_at
from models.history import History
from models.labels import LABEL_KINDS, labels_at

#: days between training snapshots
SNAPSHOT_STEP_DAYS = 14
#: the first snapshot comes this long after the data's first day, so context has a history
WARMUP_DAYS = 60


def snapshot_days(history: History, *, horizon_days: int, step_days: int = SNAPSHOT_STEP_DAYS,
                  warmup_days: int = WARMUP_DAYS) -> list[pd.Timestamp]:
    """As-of days whose label windows have closed, every `step_days` back from the last one."""
    if history.first_day is None:
        return []
    last = history.known_until - pd.Timedelta(days=horizon_days)
    first = history.first_day + pd.Timedelta(days=warmup_days)
    if last < first:
        return []
    n = (last - first).days // step_days
    return list(pd.date_range(end=last, periods=n + 1, freq=f"{step_days}D"))


def examples_at(history: History, days: list[pd.Timestamp], horizon_days: int, *,
                progress: Callable[[float], None] | None = None) -> pd.DataFrame:
    """Features, label kinds and outcomes of the cases open at each day; columns as_of,
    case_id, FEATURES, LABEL_KINDS, OUTCOMES."""
    parts = []
    for i, day in enumerate(days):
        part = features_at(history, day).join(labels_at(history, day, horizon_days))
        parts.append(part.reset_index().assign(as_of=day))
        if progress:
            progress((i + 1) / len(days))
    if not parts:
        return pd.DataFrame(columns=["as_of", "case_id", *FEATURES, *LABEL_KINDS, *OUTCOMES])
    return pd.concat(parts, ignore_index=True)[["as_of", "case_id", *FEATURES, *LABEL_KINDS,
                                                *OUTCOMES]]
