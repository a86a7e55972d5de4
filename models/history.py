"""What is known about a region's cases, and the same cut at any earlier day.

Every feature is computed from a `History`; `History.truncated(t)` is what was known at the end
of day t, so "features at t from the full history" and "features at t from the history cut at
t" can be compared (tests/models/test_features.py does, for every feature)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import numpy as np
import pandas as pd

from models.columns import (
    CASE_COLUMNS,
    CELL_COLUMNS,
    ESCALATION_EVENTS,
    NEIGHBOUR_COLUMNS,
    REPEAT_COLUMNS,
    SCREENING_COLUMNS,
    TIMELINE_COLUMNS,
    require_columns,
)

#: event types counted per case, in the order of Prepared.counts' columns
EVENT_TYPES = ("accepted", "not_accepted", "site_visit", "met_complainant", "mediation",
               "hearing", "opinion_issued", "review_requested", "review_decided",
               "rereview_requested", "rereview_decided", "extended", "closed", "followed_up",
               "reopened", "refiled", "escalated")
LEVELS = ("village", "township", "county", "city", "province", "national")
NO_DAY = -1


def day_numbers(values: pd.Series | pd.Index) -> np.ndarray:
    """Days since 1970-01-01 as int64; NO_DAY for a missing date."""
    days = pd.to_datetime(values).to_numpy().astype("datetime64[D]")
    out = days.astype(np.int64)
    out[np.isnat(days)] = NO_DAY
    return out


def day_number(on: pd.Timestamp | date | str) -> int:
    return int(np.datetime64(pd.Timestamp(on).date(), "D").astype(np.int64))


@dataclass(frozen=True)
class History:
    """A region's cases, replayed case files, screenings, cell neighbours and repeat links,
    complete up to the end of local day `known_until` (columns: models.columns)."""

    cases: pd.DataFrame
    timeline: pd.DataFrame
    screenings: pd.DataFrame
    cells: pd.DataFrame
    neighbours: pd.DataFrame
    known_until: pd.Timestamp
    repeats: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REPEAT_COLUMNS))

    def __post_init__(self) -> None:
        require_columns(self.cases, CASE_COLUMNS, frame_name="cases")
        require_columns(self.timeline, TIMELINE_COLUMNS, frame_name="timeline")
        require_columns(self.screenings, SCREENING_COLUMNS, frame_name="screenings")
        require_columns(self.cells, CELL_COLUMNS, frame_name="cells")
        require_columns(self.neighbours, NEIGHBOUR_COLUMNS, frame_name="neighbours")
        require_columns(self.repeats, REPEAT_COLUMNS, frame_name="repeats")

    def truncated(self, as_of: pd.Timestamp | str) -> History:
        """What was known at the end of local day `as_of`."""
        day = pd.Timestamp(as_of).normalize()
        cases = self.cases.loc[self.cases["received_on"] <= day]
        return History(
            cases=cases, timeline=self.timeline.loc[self.timeline["on"] <= day],
            screenings=self.screenings.loc[self.screenings["screened_on"] <= day],
            cells=self.cells, neighbours=self.neighbours,
            known_until=min(self.known_until, day),
            repeats=self.repeats.loc[self.repeats["case_id"].isin(cases["case_id"])])

    @cached_property
    def first_day(self) -> pd.Timestamp | None:
        """The earliest receipt: the start of the data."""
        return self.cases["received_on"].min() if len(self.cases) else None

    @cached_property
    def prepared(self) -> Prepared:
        return Prepared.of(self)


@dataclass(frozen=True)
class Prepared:
    """The timeline as arrays, rows sorted by (case, day, seq), with per-row running values
    that depend only on the rows before and at that row: a truncated history gives the same
    values for the rows it keeps."""

    case_ids: pd.Index  # sorted; case k is case_ids[k]
    #: per case: the cases frame's columns as arrays ("" for a missing text)
    case_columns: dict[str, np.ndarray]
    received: np.ndarray  # day of receipt, per case
    row_case: np.ndarray
    row_day: np.ndarray
    #: key = row_case * span + row_day - base, non-decreasing: finds a case's row at a day
    key: np.ndarray
    span: int
    base: int
    #: running count of each EVENT_TYPES type, per row (rows × types)
    counts: np.ndarray
    #: the counts at the row that opened the current handling round (0 before acceptance)
    round_counts: np.ndarray
    is_open: np.ndarray
    accepted_on: np.ndarray
    accept_by: np.ndarray
    handle_by: np.ndarray
    #: the handling deadline set when the current round was accepted (NO_DAY before)
    round_handle_by: np.ndarray
    extended: np.ndarray
    #: the day of the latest extension so far (NO_DAY when none)
    last_extended_on: np.ndarray
    last_opinion_on: np.ndarray
    #: the latest site visit's and mediation's day so far (NO_DAY when none)
    last_site_visit_on: np.ndarray
    last_mediation_on: np.ndarray
    unsatisfied: np.ndarray  # follow-ups so far that recorded "unsatisfied"
    highest_level: np.ndarray  # 0 none, 1 village … 6 national
    most_parties: np.ndarray  # most people seen at a refiling or escalation so far
    last_closure: np.ndarray  # closure type of the latest closing, "" when never closed
    #: deadline passings: case, day (the handling deadline's last day, the case still open)
    passings: pd.DataFrame
    #: deadlines met: case, day closed on or before its handling deadline
    met_deadlines: pd.DataFrame
    #: written opinions: case, day, and the days since the acceptance they answered
    opinions: pd.DataFrame
    #: screenings: cell code, day, whether a dispute was found, and whether a high-severity
    #: one was found and not resolved on the spot
    screened_cell: np.ndarray
    screened_day: np.ndarray
    screened_found: np.ndarray
    screened_high: np.ndarray

    @classmethod
    def of(cls, history: History) -> Prepared:
        cases = history.cases.sort_values("case_id")
        case_ids = pd.Index(cases["case_id"].to_numpy(dtype=object))
        timeline = history.timeline.assign(
            case=case_ids.get_indexer(history.timeline["case_id"].to_numpy(dtype=object)),
            day=day_numbers(history.timeline["on"]))
        timeline = timeline.loc[timeline["case"] >= 0].sort_values(["case", "day", "seq"],
                                                                  kind="stable")
        row_case = timeline["case"].to_numpy(np.int64)
        row_day = timeline["day"].to_numpy(np.int64)
        base = int(row_day.min()) if len(row_day) else 0
        span = int(row_day.max()) - base + 2 if len(row_day) else 1
        types = timeline["type"].to_numpy(dtype=object)
        first = np.r_[True, row_case[1:] != row_case[:-1]] if len(row_case) else np.array(
            [], dtype=bool)
        group = np.cumsum(first) - 1

        counts = np.stack([_running_sum(types == t, group) for t in EVENT_TYPES], axis=1) \
            if len(types) else np.zeros((0, len(EVENT_TYPES)), dtype=np.int64)
        accepted_on = day_numbers(timeline["accepted_on"])
        new_round = (accepted_on != NO_DAY) & (
            first | (accepted_on != np.r_[NO_DAY, accepted_on[:-1]]))
        round_start = _carried(np.where(new_round, np.arange(len(types)), -1), group)
        round_counts = np.where((round_start >= 0)[:, None], counts[np.maximum(round_start, 0)],
                                0)
        detail = timeline["detail"].fillna("").astype(str).to_numpy(dtype=object)
        level = pd.Categorical(timeline["level"], categories=LEVELS).codes + 1
        parties = pd.to_numeric(timeline["parties"]).fillna(0).to_numpy(np.int64)
        is_open = timeline["is_open"].to_numpy(bool)
        handle_by = day_numbers(timeline["handle_by"])
        closures = detail.copy()
        closures[types != "closed"] = None
        screenings = history.screenings
        prepared = cls(
            case_ids=case_ids, received=day_numbers(cases["received_on"]),
            case_columns={c: _array(cases[c]) for c in (
                "channel", "category", "parties", "complex", "cell_code", "responsible_unit",
                "summary")},
            row_case=row_case, row_day=row_day, key=row_case * span + row_day - base,
            span=span, base=base, counts=counts, round_counts=round_counts,
            is_open=is_open, accepted_on=accepted_on,
            accept_by=day_numbers(timeline["accept_by"]), handle_by=handle_by,
            round_handle_by=np.where(round_start >= 0, handle_by[np.maximum(round_start, 0)],
                                     NO_DAY),
            extended=timeline["extended"].to_numpy(bool),
            last_extended_on=_carried(np.where(types == "extended", row_day, NO_DAY), group),
            last_opinion_on=_carried(np.where(types == "opinion_issued", row_day, NO_DAY),
                                     group),
            last_site_visit_on=_carried(np.where(types == "site_visit", row_day, NO_DAY), group),
            last_mediation_on=_carried(np.where(types == "mediation", row_day, NO_DAY), group),
            unsatisfied=_running_sum((types == "followed_up") & (detail == "unsatisfied"),
                                     group),
            highest_level=_running_max(level.astype(np.int64), group),
            most_parties=_running_max(parties, group),
            last_closure=pd.Series(closures).groupby(group).ffill().fillna("").to_numpy(
                dtype=object),
            passings=_passings(row_case, row_day, is_open, handle_by,
                               day_number(history.known_until)),
            met_deadlines=_met_deadlines(row_case, row_day, types, is_open, handle_by, first),
            opinions=_opinions(row_case, row_day, types, accepted_on),
            screened_cell=_array(screenings["cell_code"]),
            screened_day=day_numbers(screenings["screened_on"]),
            screened_found=screenings["found"].to_numpy(bool),
            screened_high=(screenings["found"].to_numpy(bool)
                           & (_array(screenings["severity"]) == "high")
                           & (_array(screenings["outcome"]) != "resolved_on_site")))
        return prepared

    def rows_at(self, day: int) -> np.ndarray:
        """Per case, its timeline row at the end of `day` (the last row on or before it);
        -1 for a case not yet received."""
        n = len(self.case_ids)
        if not len(self.key):
            return np.full(n, -1)
        clipped = min(max(day - self.base, -1), self.span - 1)
        wanted = np.arange(n, dtype=np.int64) * self.span + clipped
        rows = np.searchsorted(self.key, wanted, side="right") - 1
        valid = (rows >= 0) & (self.row_case[np.maximum(rows, 0)] == np.arange(n))
        return np.where(valid, rows, -1)

    def escalation_count(self, rows: np.ndarray) -> np.ndarray:
        """Escalation events (models.columns.ESCALATION_EVENTS) up to each row; 0 for -1."""
        idx = [EVENT_TYPES.index(t) for t in ESCALATION_EVENTS]
        return np.where(rows >= 0, self.counts[np.maximum(rows, 0)][:, idx].sum(axis=1), 0)

    def count(self, event_type: str, rows: np.ndarray, *, this_round: bool = False
              ) -> np.ndarray:
        """Events of one type up to each row (in the current handling round only, when
        asked); 0 for -1."""
        k = EVENT_TYPES.index(event_type)
        safe = np.maximum(rows, 0)
        value = self.counts[safe, k] - (self.round_counts[safe, k] if this_round else 0)
        return np.where(rows >= 0, value, 0)


def _array(column: pd.Series) -> np.ndarray:
    """Text columns as object arrays ("" for missing), others as they are."""
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return column.to_numpy()
    return column.fillna("").astype(str).to_numpy(dtype=object)


def _running_sum(flags: np.ndarray, group: np.ndarray) -> np.ndarray:
    return pd.Series(flags.astype(np.int64)).groupby(group).cumsum().to_numpy(np.int64)


def _running_max(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    return pd.Series(values).groupby(group).cummax().to_numpy(np.int64)


def _carried(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Each row's latest non-negative value so far within its group (-1 when none)."""
    return _running_max(values, group) if len(values) else values


def _passings(row_case: np.ndarray, row_day: np.ndarray, is_open: np.ndarray,
              handle_by: np.ndarray, known_until: int) -> pd.DataFrame:
    """Every handling deadline that ended with the case still open: the state at the end of
    a day holds until the case's next event day; if its deadline falls in that stretch (and
    not after the data's end), the deadline passed unclosed on that day."""
    last_of_day = np.r_[(row_case[1:] != row_case[:-1]) | (row_day[1:] != row_day[:-1]), True] \
        if len(row_case) else np.array([], dtype=bool)
    case, day = row_case[last_of_day], row_day[last_of_day]
    is_open, deadline = is_open[last_of_day], handle_by[last_of_day]
    same_case_next = np.r_[case[1:] == case[:-1], False] if len(case) else case.astype(bool)
    until = np.where(same_case_next, np.r_[day[1:], 0] - 1, known_until)
    passed = is_open & (deadline != NO_DAY) & (deadline >= day) & (deadline <= until) & (
        deadline <= known_until)
    return pd.DataFrame({"case": case[passed], "day": deadline[passed]})


def _opinions(row_case: np.ndarray, row_day: np.ndarray, types: np.ndarray,
              accepted_on: np.ndarray) -> pd.DataFrame:
    given = (types == "opinion_issued") & (accepted_on != NO_DAY)
    return pd.DataFrame({"case": row_case[given], "day": row_day[given],
                         "took": row_day[given] - accepted_on[given]})


def _met_deadlines(row_case: np.ndarray, row_day: np.ndarray, types: np.ndarray,
                   is_open: np.ndarray, handle_by: np.ndarray, first: np.ndarray
                   ) -> pd.DataFrame:
    """Closings of an accepted, open case on or before its handling deadline."""
    before = np.r_[0, np.arange(len(types) - 1)] if len(types) else np.array([], dtype=int)
    was_open = np.where(first, False, is_open[before])
    deadline = np.where(first, NO_DAY, handle_by[before])
    met = (types == "closed") & was_open & (deadline != NO_DAY) & (row_day <= deadline)
    return pd.DataFrame({"case": row_case[met], "day": row_day[met]})
