"""Features of every case open at an as-of day, from what was known at the end of that day.

Everything reads `History.prepared` rows at or before the as-of day, events and screenings
dated on or before it, and deadline passings and met deadlines dated on or before it; nothing
later. The test that proves it computes each feature from the full history and from the
history truncated at the as-of day and finds them equal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.history import EVENT_TYPES, History, day_number

#: counted features of the case file so far
EVENT_COUNTS = {f"n_{t}": t for t in EVENT_TYPES if t not in ("accepted", "not_accepted")}

CASE_NUMERIC = [
    "age_days", "days_overdue", "days_left", "accepted", "days_since_accepted",
    "days_since_last_event", "extended", *EVENT_COUNTS,
    "escalations_so_far", "escalations_30d", "refiled_30d", "met_complainant",
    "days_unmet", "site_visited", "days_without_site_visit", "mediated", "opinion_issued",
    "days_since_opinion", "review_pending", "rereview_pending", "n_unsatisfied",
    "highest_level", "parties", "collective", "complex",
]
CONTEXT_NUMERIC = [
    "unit_overdue_share", "unit_open_cases", "cell_open_cases", "cell_escalations_90d",
    "neighbour_escalations_90d", "cell_high_disputes_60d", "cell_missed_screenings_8w",
    "month",
]
NUMERIC = CASE_NUMERIC + CONTEXT_NUMERIC
CATEGORICAL = ["category", "channel", "last_closure"]
TEXT = "summary"
FEATURES = NUMERIC + CATEGORICAL + [TEXT]

RECENT_DAYS = 30
CONTEXT_DAYS = 90
DISPUTE_DAYS = 60
UNIT_RECORD_DAYS = 365
SCREENING_WEEKS = 8
#: pseudo-count pulling a unit with few deadlines towards the overall overdue share
UNIT_PRIOR_WEIGHT = 5.0


def features_at(history: History, as_of: pd.Timestamp | str) -> pd.DataFrame:
    """One row per case open at the end of `as_of` (index case_id), columns FEATURES."""
    day = day_number(as_of)
    p = history.prepared
    rows = p.rows_at(day)
    open_now = rows >= 0
    open_now[open_now] = p.is_open[rows[open_now]]
    r = rows[open_now]
    cases = {name: values[open_now] for name, values in p.case_columns.items()}

    accepted = p.accepted_on[r] != -1
    deadline = np.where(accepted, p.handle_by[r], p.accept_by[r])
    to_deadline = np.where(deadline != -1, deadline - day, 0)
    since_accepted = np.where(accepted, day - p.accepted_on[r], 0)
    met = p.count("met_complainant", r, this_round=True) > 0
    visited = p.count("site_visit", r, this_round=True) > 0
    opinion = p.count("opinion_issued", r, this_round=True) > 0
    month_ago = p.rows_at(day - RECENT_DAYS)[open_now]
    refiled = EVENT_TYPES.index("refiled")
    parties = np.maximum(cases["parties"].astype(np.int64), p.most_parties[r])

    frame = pd.DataFrame({
        "age_days": day - p.received[open_now],
        "days_overdue": np.maximum(-to_deadline, 0),
        "days_left": np.maximum(to_deadline, 0),
        "accepted": accepted.astype(int),
        "days_since_accepted": since_accepted,
        "days_since_last_event": day - p.row_day[r],
        "extended": p.extended[r].astype(int),
        **{name: p.count(kind, r) for name, kind in EVENT_COUNTS.items()},
        "escalations_so_far": p.escalation_count(r),
        "escalations_30d": p.escalation_count(r) - p.escalation_count(month_ago),
        "refiled_30d": p.counts[r, refiled] - np.where(
            month_ago >= 0, p.counts[np.maximum(month_ago, 0), refiled], 0),
        "met_complainant": met.astype(int),
        "days_unmet": np.where(accepted & ~met, since_accepted, 0),
        "site_visited": visited.astype(int),
        "days_without_site_visit": np.where(accepted & ~visited, since_accepted, 0),
        "mediated": (p.count("mediation", r, this_round=True) > 0).astype(int),
        "opinion_issued": opinion.astype(int),
        "days_since_opinion": np.where(opinion, day - p.last_opinion_on[r], 0),
        "review_pending": (p.count("review_requested", r, this_round=True)
                           > p.count("review_decided", r, this_round=True)).astype(int),
        "rereview_pending": (p.count("rereview_requested", r, this_round=True)
                             > p.count("rereview_decided", r, this_round=True)).astype(int),
        "n_unsatisfied": p.unsatisfied[r],
        "highest_level": p.highest_level[r],
        "parties": parties,
        "collective": (parties >= 5).astype(int),
        "complex": cases["complex"].astype(bool).astype(int),
        **_context(history, day, cases, open_now),
        "month": pd.Timestamp(as_of).month,
        "category": cases["category"],
        "channel": cases["channel"],
        "last_closure": np.where(p.last_closure[r] == "", "none", p.last_closure[r]),
        TEXT: cases["summary"],
    }, index=pd.Index(p.case_ids[open_now], name="case_id"))
    return frame[FEATURES]


def _context(history: History, day: int, cases: dict[str, np.ndarray], open_now: np.ndarray
             ) -> dict[str, np.ndarray]:
    """The unit's record and load, the cell's load, escalations nearby and screenings."""
    p = history.prepared
    unit, cell = p.case_columns["responsible_unit"], p.case_columns["cell_code"]

    outcomes = pd.concat([p.passings.assign(overdue=1), p.met_deadlines.assign(overdue=0)])
    outcomes = outcomes.loc[(outcomes["day"] > day - UNIT_RECORD_DAYS) & (outcomes["day"] <= day)]
    record = outcomes.groupby(unit[outcomes["case"].to_numpy()])["overdue"].agg(["sum", "size"])
    prior = outcomes["overdue"].mean() if len(outcomes) else 0.0
    share = (record["sum"] + UNIT_PRIOR_WEIGHT * prior) / (record["size"] + UNIT_PRIOR_WEIGHT)

    open_unit = pd.Series(unit[open_now]).value_counts()
    open_cell = pd.Series(cell[open_now]).value_counts()
    escalations = _cell_escalations(history, day, cell)
    neighbours = history.neighbours.assign(
        n=history.neighbours["neighbour_code"].map(escalations).fillna(0))
    nearby = neighbours.groupby("cell_code")["n"].sum()
    disputes, missed = _screening_context(history, day)

    here_unit = pd.Series(cases["responsible_unit"])
    here_cell = pd.Series(cases["cell_code"])
    known_cell = (here_cell != "").to_numpy()

    def per_cell(values: pd.Series) -> np.ndarray:
        found = here_cell.map(values).fillna(0).to_numpy(float)
        return np.where(known_cell, found, np.nan)

    return {
        "unit_overdue_share": here_unit.map(share).fillna(prior).to_numpy(float),
        "unit_open_cases": here_unit.map(open_unit).fillna(0).to_numpy(int),
        "cell_open_cases": per_cell(open_cell),
        "cell_escalations_90d": per_cell(escalations),
        "neighbour_escalations_90d": per_cell(nearby),
        "cell_high_disputes_60d": per_cell(disputes),
        "cell_missed_screenings_8w": per_cell(missed),
    }


def _cell_escalations(history: History, day: int, cell: np.ndarray) -> pd.Series:
    """Escalation events and deadline passings of each cell's cases in the last 90 days."""
    p = history.prepared
    recent = p.rows_at(day)
    before = p.rows_at(day - CONTEXT_DAYS)
    events = p.escalation_count(recent) - p.escalation_count(before)
    passings = p.passings.loc[(p.passings["day"] > day - CONTEXT_DAYS)
                              & (p.passings["day"] <= day), "case"].to_numpy()
    total = events + np.bincount(passings, minlength=len(cell))
    counts = pd.Series(total).groupby(cell).sum()
    return counts.drop("", errors="ignore")


def _screening_context(history: History, day: int) -> tuple[pd.Series, pd.Series]:
    """Per cell: high-severity disputes found in the last 60 days and not resolved on the
    spot; weekly screenings missed over the last 8 full weeks (weeks before the data's first
    screening are not counted as missed)."""
    p = history.prepared
    known = p.screened_day <= day
    cell, screened = p.screened_cell[known], p.screened_day[known]
    disputes = pd.Series(cell[p.screened_high[known] & (screened > day - DISPUTE_DAYS)]
                         ).value_counts()

    # weeks start on Monday; day 0 (1970-01-01) was a Thursday
    week = (screened + 3) // 7
    this_week = (day + 3) // 7
    first_week = int(week.min()) if len(week) else this_week
    weeks = np.arange(max(this_week - SCREENING_WEEKS, first_week), this_week)
    in_window = np.isin(week, weeks)
    done = pd.DataFrame({"cell_code": cell[in_window], "week": week[in_window]}
                        ).drop_duplicates().groupby("cell_code").size()
    cells = history.cells["cell_code"].astype(str)
    missed = pd.Series(len(weeks) - cells.map(done).fillna(0).to_numpy(int),
                       index=cells.to_numpy(dtype=object))
    return disputes, missed
