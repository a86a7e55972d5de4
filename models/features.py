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
    "days_allowed", "days_since_last_event", "extended", "extension_days",
    "extension_days_before_deadline", "pace_overrun_days", "unit_late_share",
    *EVENT_COUNTS,
    "escalations_so_far", "escalations_30d", "refiled_30d", "met_complainant",
    "days_unmet", "site_visited", "days_without_site_visit", "site_visit_after_days",
    "mediated", "mediation_after_days", "opinion_issued",
    "days_since_opinion", "review_pending", "rereview_pending", "n_unsatisfied",
    "highest_level", "parties", "collective", "complex",
    "repeats_earlier", "matter_returns", "repeated", "repeated_30d",
    "matter_filings_30d", "matter_filings_90d",
]
CONTEXT_NUMERIC = [
    "unit_overdue_share", "unit_overdue_share_90d", "unit_return_share",
    "unit_days_to_opinion", "unit_open_cases", "unit_closed_30d", "unit_backlog_days",
    "category_return_share", "cell_open_cases", "cell_same_category_30d",
    "neighbour_same_category_30d", "cell_escalations_90d", "neighbour_escalations_90d",
    "cell_disputes_30d", "neighbour_disputes_30d", "cell_high_disputes_60d",
    "cell_missed_screenings_8w", "month",
]
NUMERIC = CASE_NUMERIC + CONTEXT_NUMERIC
CATEGORICAL = ["category", "channel", "last_closure"]
TEXT = "summary"
FEATURES = NUMERIC + CATEGORICAL + [TEXT]

RECENT_DAYS = 30
CONTEXT_DAYS = 90
DISPUTE_DAYS = 60
UNIT_RECORD_DAYS = 365
#: a unit's recent record: its load changes within weeks, its quality does not
UNIT_RECENT_DAYS = 90
SCREENING_WEEKS = 8
#: pseudo-count pulling a unit with few deadlines towards the overall overdue share
UNIT_PRIOR_WEIGHT = 5.0
#: a unit's pace: its written opinions of the last 30 days, smoothed by this many of the
#: county's
PACE_DAYS = 30
PACE_PRIOR_WEIGHT = 5.0
#: how late a unit's written opinions came, over the last half year
LATE_RECORD_DAYS = 182
LATE_PRIOR_WEIGHT = 5.0
#: a return record counts cases received in the year before the as-of day, but not in its
#: last RECENT_DAYS (those have had no time to come back)
RETURN_PRIOR_WEIGHT = 20.0


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
    mediated = p.count("mediation", r, this_round=True) > 0
    month_ago = p.rows_at(day - RECENT_DAYS)[open_now]
    refiled = EVENT_TYPES.index("refiled")
    parties = np.maximum(cases["parties"].astype(np.int64), p.most_parties[r])

    extended = p.extended[r]  # in this handling round
    context = _context(history, day, cases, open_now)
    opinion_pending = accepted & ~opinion

    frame = pd.DataFrame({
        "age_days": day - p.received[open_now],
        "days_overdue": np.maximum(-to_deadline, 0),
        "days_left": np.maximum(to_deadline, 0),
        "accepted": accepted.astype(int),
        "days_since_accepted": since_accepted,
        # the handling period granted (a hotline's own deadline is often shorter)
        "days_allowed": np.where(accepted, p.handle_by[r] - p.accepted_on[r], 0),
        "days_since_last_event": day - p.row_day[r],
        "extended": extended.astype(int),
        # how much time the extension bought, and how late it was asked for: a unit asking
        # days before the deadline has seen it will not make it
        "extension_days": np.where(accepted & extended, p.handle_by[r] - p.round_handle_by[r],
                                   0),
        "extension_days_before_deadline": np.where(
            accepted & extended, p.round_handle_by[r] - p.last_extended_on[r], 0),
        # the days by which the unit's current pace (its days to a written opinion) would
        # overrun this case's deadline; 0 once the opinion is out
        "pace_overrun_days": np.where(
            opinion_pending, context["unit_days_to_opinion"] - since_accepted - to_deadline,
            0.0),
        "unit_late_share": np.where(opinion_pending, _unit_late_share(
            history, day, cases["responsible_unit"], since_accepted, np.maximum(to_deadline, 0)),
            0.0),
        **{name: p.count(kind, r) for name, kind in EVENT_COUNTS.items()},
        "escalations_so_far": p.escalation_count(r),
        "escalations_30d": p.escalation_count(r) - p.escalation_count(month_ago),
        "refiled_30d": p.counts[r, refiled] - np.where(
            month_ago >= 0, p.counts[np.maximum(month_ago, 0), refiled], 0),
        "met_complainant": met.astype(int),
        "days_unmet": np.where(accepted & ~met, since_accepted, 0),
        "site_visited": visited.astype(int),
        "days_without_site_visit": np.where(accepted & ~visited, since_accepted, 0),
        # how far into the round the steps came: how fast the work moves
        "site_visit_after_days": np.where(visited, p.last_site_visit_on[r] - p.accepted_on[r],
                                          0),
        "mediated": mediated.astype(int),
        "mediation_after_days": np.where(mediated, p.last_mediation_on[r] - p.accepted_on[r],
                                         0),
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
        **_repeats(history, day, open_now),
        **context,
        "month": pd.Timestamp(as_of).month,
        "category": cases["category"],
        "channel": cases["channel"],
        "last_closure": np.where(p.last_closure[r] == "", "none", p.last_closure[r]),
        TEXT: cases["summary"],
    }, index=pd.Index(p.case_ids[open_now], name="case_id"))
    return frame[FEATURES]


def _repeats(history: History, day: int, open_now: np.ndarray) -> dict[str, np.ndarray]:
    """Repeat links (models.repeats): the earlier cases this one repeats and the returns on
    them so far; the later cases that repeat it, received by the as-of day (a complainant
    calling again and again), all of them and those of the last 30 days."""
    p = history.prepared
    n = len(p.case_ids)
    later = p.case_ids.get_indexer(pd.Index(history.repeats["case_id"].to_numpy(dtype=object)))
    earlier = p.case_ids.get_indexer(
        pd.Index(history.repeats["repeats_case_id"].to_numpy(dtype=object)))
    known = (later >= 0) & (earlier >= 0)
    later, earlier = later[known], earlier[known]
    came = p.received[later]
    known = came <= day
    later, earlier, came = later[known], earlier[known], came[known]
    now = p.rows_at(day)
    returns = p.escalation_count(now)
    filings = {days: _filings(history, day, now, days) for days in (RECENT_DAYS, CONTEXT_DAYS)}

    def on_matter(own: np.ndarray) -> np.ndarray:
        """A case's own filings and those of the cases linked to it either way."""
        linked = (own + np.bincount(later, weights=own[earlier], minlength=n)
                  + np.bincount(earlier, weights=own[later], minlength=n))
        on_open: np.ndarray = linked[open_now].astype(int)
        return on_open

    return {
        "repeats_earlier": np.bincount(later, minlength=n)[open_now],
        "matter_returns": np.bincount(later, weights=returns[earlier], minlength=n
                                      )[open_now].astype(int),
        "repeated": np.bincount(earlier, minlength=n)[open_now],
        "repeated_30d": np.bincount(earlier[came > day - RECENT_DAYS], minlength=n)[open_now],
        "matter_filings_30d": on_matter(filings[RECENT_DAYS]),
        "matter_filings_90d": on_matter(filings[CONTEXT_DAYS]),
    }


def _filings(history: History, day: int, now: np.ndarray, days: int) -> np.ndarray:
    """Per case, its filings in the `days` up to the as-of day: its receipt and its returns
    (escalations, refilings, reviews, reopenings). How often a matter comes to the office,
    counted per case file, never per person."""
    p = history.prepared
    returns = p.escalation_count(now) - p.escalation_count(p.rows_at(day - days))
    received = (p.received > day - days) & (p.received <= day)
    filings: np.ndarray = returns + received
    return filings


def _smoothed_mean(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray,
                   weight: float) -> np.ndarray:
    """Per wanted key, the mean of its values, smoothed towards the mean of all of them by
    `weight` pseudo-counts (a unit or category with few records says little on its own)."""
    values = np.asarray(values, dtype=float)
    prior = float(values.mean()) if len(values) else 0.0
    record = pd.Series(values).groupby(np.asarray(keys)).agg(["sum", "size"])
    smoothed = (record["sum"] + weight * prior) / (record["size"] + weight)
    return pd.Series(np.asarray(wanted)).map(smoothed).fillna(prior).to_numpy(float)


def _context(history: History, day: int, cases: dict[str, np.ndarray], open_now: np.ndarray
             ) -> dict[str, np.ndarray]:
    """The unit's record and load, the category's record, the cell's load, waves of the
    same matters and escalations nearby, and screenings."""
    p = history.prepared
    unit, cell = p.case_columns["responsible_unit"], p.case_columns["cell_code"]
    category = p.case_columns["category"]

    in_record = (p.received > day - UNIT_RECORD_DAYS) & (p.received <= day - RECENT_DAYS)
    returned = p.escalation_count(p.rows_at(day))[in_record] > 0

    open_unit = pd.Series(unit[open_now]).value_counts()
    closed_unit = _unit_closings(history, day, unit)
    open_cell = pd.Series(cell[open_now]).value_counts()
    escalations = _cell_escalations(history, day, cell)
    disputes, high_disputes, missed = _screening_context(history, day)
    recent = (p.received > day - RECENT_DAYS) & (p.received <= day) & (cell != "")
    same = pd.Series(1, index=pd.MultiIndex.from_arrays(
        [cell[recent], category[recent]])).groupby(level=[0, 1]).sum()

    here_unit = pd.Series(cases["responsible_unit"])
    here_cell = pd.Series(cases["cell_code"])
    known_cell = (here_cell != "").to_numpy()
    here_same = pd.MultiIndex.from_arrays([cases["cell_code"], cases["category"]])
    near_same = history.neighbours.merge(
        same.rename("n").reset_index().set_axis(["neighbour_code", "category", "n"], axis=1),
        on="neighbour_code").groupby(["cell_code", "category"])["n"].sum()

    def per_cell(values: pd.Series) -> np.ndarray:
        found = here_cell.map(values).fillna(0).to_numpy(float)
        return np.where(known_cell, found, np.nan)

    def per_cell_category(values: pd.Series) -> np.ndarray:
        found = values.reindex(here_same).fillna(0).to_numpy(float)
        return np.where(known_cell, found, np.nan)

    deadlines = pd.concat([p.passings.assign(overdue=1), p.met_deadlines.assign(overdue=0)])

    def overdue_share(days: int) -> np.ndarray:
        """The share of the unit's handling deadlines of the last `days` that passed
        unclosed."""
        window = deadlines.loc[(deadlines["day"] > day - days) & (deadlines["day"] <= day)]
        return _smoothed_mean(unit[window["case"].to_numpy()], window["overdue"].to_numpy(),
                              cases["responsible_unit"], UNIT_PRIOR_WEIGHT)

    open_here = here_unit.map(open_unit).fillna(0).to_numpy(int)
    closed_here = here_unit.map(closed_unit).fillna(0).to_numpy(int)
    return {
        "unit_overdue_share": overdue_share(UNIT_RECORD_DAYS),
        "unit_overdue_share_90d": overdue_share(UNIT_RECENT_DAYS),
        "unit_return_share": _smoothed_mean(unit[in_record], returned,
                                            cases["responsible_unit"], RETURN_PRIOR_WEIGHT),
        "unit_days_to_opinion": _unit_pace(history, day, unit, cases["responsible_unit"]),
        "unit_open_cases": open_here,
        "unit_closed_30d": closed_here,
        # its open cases over its closings per day of the last 30: the days of work on its
        # desk at its current pace
        "unit_backlog_days": open_here / ((closed_here + 1) / RECENT_DAYS),
        "category_return_share": _smoothed_mean(category[in_record], returned,
                                                cases["category"], RETURN_PRIOR_WEIGHT),
        "cell_open_cases": per_cell(open_cell),
        # the case itself is one of its cell's recent cases of its category when it is new
        "cell_same_category_30d": per_cell_category(same),
        "neighbour_same_category_30d": per_cell_category(near_same),
        "cell_escalations_90d": per_cell(escalations),
        "neighbour_escalations_90d": per_cell(_nearby(history, escalations)),
        "cell_disputes_30d": per_cell(disputes),
        "neighbour_disputes_30d": per_cell(_nearby(history, disputes)),
        "cell_high_disputes_60d": per_cell(high_disputes),
        "cell_missed_screenings_8w": per_cell(missed),
    }


def _nearby(history: History, per_cell: pd.Series) -> pd.Series:
    """A cell's figure summed over the cells it touches."""
    neighbours = history.neighbours.assign(
        n=history.neighbours["neighbour_code"].map(per_cell).fillna(0))
    return neighbours.groupby("cell_code")["n"].sum()


def _unit_pace(history: History, day: int, unit: np.ndarray, wanted: np.ndarray
               ) -> np.ndarray:
    """Per wanted unit, the mean days from acceptance to written opinion of its opinions in
    the last 30 days, smoothed towards the county's: how fast it works now."""
    opinions = history.prepared.opinions
    recent = opinions.loc[(opinions["day"] > day - PACE_DAYS) & (opinions["day"] <= day)]
    return _smoothed_mean(unit[recent["case"].to_numpy()], recent["took"].to_numpy(), wanted,
                          PACE_PRIOR_WEIGHT)


def _unit_late_share(history: History, day: int, wanted: np.ndarray, waited: np.ndarray,
                     left: np.ndarray) -> np.ndarray:
    """Per case still without its written opinion: of the unit's opinions of the last half
    year that came no sooner than this case has waited since acceptance, the share that came
    later than this case's deadline (smoothed towards the county's): the unit's own record
    on cases that have taken this long."""
    p = history.prepared
    opinions = p.opinions.loc[(p.opinions["day"] > day - LATE_RECORD_DAYS)
                              & (p.opinions["day"] <= day)]
    took = opinions["took"].to_numpy(np.int64)
    codes, units = pd.factorize(p.case_columns["responsible_unit"][
        opinions["case"].to_numpy()])
    here = pd.Index(units).get_indexer(pd.Index(wanted))
    span = int(max(took.max(initial=0), (waited + left).max(initial=0))) + 2
    key = np.sort(codes.astype(np.int64) * span + took)
    county = np.sort(took)
    waited_long = len(county) - np.searchsorted(county, waited, side="left")
    came_late = len(county) - np.searchsorted(county, waited + left, side="right")
    prior = np.where(waited_long > 0, came_late / np.maximum(waited_long, 1), 0.0)
    unit = np.maximum(here, 0) * span
    end = np.searchsorted(key, unit + span, side="left")
    own_long = np.where(here >= 0, end - np.searchsorted(key, unit + waited, side="left"), 0)
    own_late = np.where(here >= 0, end - np.searchsorted(key, unit + waited + left,
                                                         side="right"), 0)
    share: np.ndarray = (own_late + LATE_PRIOR_WEIGHT * prior) / (own_long + LATE_PRIOR_WEIGHT)
    return share


def _unit_closings(history: History, day: int, unit: np.ndarray) -> pd.Series:
    """Each unit's closings in the last 30 days: how much it gets through."""
    p = history.prepared
    closed = EVENT_TYPES.index("closed")
    now, before = p.rows_at(day), p.rows_at(day - RECENT_DAYS)
    count = np.where(now >= 0, p.counts[np.maximum(now, 0), closed], 0) - np.where(
        before >= 0, p.counts[np.maximum(before, 0), closed], 0)
    return pd.Series(count).groupby(unit).sum()


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


def _screening_context(history: History, day: int) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per cell: disputes found in the last 30 days; high-severity disputes found in the
    last 60 days and not resolved on the spot; weekly screenings missed over the last 8 full
    weeks (weeks before the data's first screening are not counted as missed)."""
    p = history.prepared
    known = p.screened_day <= day
    cell, screened = p.screened_cell[known], p.screened_day[known]
    found = pd.Series(cell[p.screened_found[known] & (screened > day - RECENT_DAYS)]
                      ).value_counts()
    high = pd.Series(cell[p.screened_high[known] & (screened > day - DISPUTE_DAYS)]
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
    return found, high, missed
