"""The labels: did a case open at the as-of day meet each outcome within the horizon?

Within (as_of, as_of + horizon]: `return`, an `escalated`, `refiled`, `review_requested`,
`rereview_requested` or `reopened` event; `deadline`, the case passing its handling deadline
without a `closed` event; `any`, either (an escalation as the bundle spec defines it). The
deadline is the one derived from the real history, so an extension granted after the as-of
day moves it; a deadline that had already passed by the as-of day is not a new passing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.columns import ESCALATION_EVENTS, OUTCOMES
from models.history import EVENT_TYPES, History, day_number

LABEL_KINDS = [*ESCALATION_EVENTS, "deadline_passed"]


class LabelWindowOpen(ValueError):
    """The horizon reaches past the data: the label is not known yet."""


def labels_at(history: History, as_of: pd.Timestamp | str, horizon_days: int) -> pd.DataFrame:
    """One row per case open at the end of `as_of` (index case_id): a 0/1 column per kind of
    escalation (LABEL_KINDS) and per outcome (OUTCOMES)."""
    day = day_number(as_of)
    end = day + horizon_days
    if end > day_number(history.known_until):
        raise LabelWindowOpen(
            f"the {horizon_days}-day window after {pd.Timestamp(as_of).date()} ends after the "
            f"data's last day {history.known_until.date()}")
    p = history.prepared
    now = p.rows_at(day)
    later = p.rows_at(end)
    open_now = now >= 0
    open_now[open_now] = p.is_open[now[open_now]]
    safe_now, safe_later = np.maximum(now, 0), np.maximum(later, 0)
    frame = pd.DataFrame(index=pd.Index(p.case_ids[open_now], name="case_id"))
    for kind in ESCALATION_EVENTS:
        k = EVENT_TYPES.index(kind)
        happened = p.counts[safe_later, k] - p.counts[safe_now, k]
        frame[kind] = (happened[open_now] > 0).astype(int)
    passed = p.passings.loc[(p.passings["day"] > day) & (p.passings["day"] <= end), "case"]
    frame["deadline_passed"] = np.isin(np.flatnonzero(open_now), passed.to_numpy()).astype(int)
    frame["deadline"] = frame["deadline_passed"]
    frame["return"] = frame[list(ESCALATION_EVENTS)].max(axis=1).astype(int)
    frame["any"] = frame[LABEL_KINDS].max(axis=1).astype(int)
    return frame[[*LABEL_KINDS, *OUTCOMES]]
