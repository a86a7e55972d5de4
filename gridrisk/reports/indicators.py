"""The figures of the indicator spec (docs/indicators.md) counted over frames: case files and
screenings in, counts out. Nothing here reads the database (reports/sources.py does), so the
definitions can be tested on hand-built frames and run on a county's 300k case files in a
second: every figure is array arithmetic over the case files replayed once (replay_frame, the
vectorised derive_state).

Each figure is a function of one period's facts returning its items: a Share (items in a
rate's denominator, those of them in its numerator), a Tally (items counted) or Days (a
mean). Items belong to a case or a cell; `count` adds them up per group (townships,
villages, responsible units, …) and for all groups together. A new figure is one more
function in FIGURES (and its code and names in gridrisk.vocab.Indicator): a count of linked
repeat cases (重复件), say, would be a Tally over the cases linked in the period, added beside
`repeat`, which stays the spec's refiled-event rate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta

import numpy as np
import pandas as pd

from gridrisk.cases.state import ROW_TYPES, last_where, replay_frame
from gridrisk.policy import DeadlinePolicy, ScreeningPolicy
from gridrisk.vocab import ESCALATION_LEVELS, EventType, Indicator, Satisfaction

#: one row per case of the region; `unit` names the group it is counted in; days datetime64
CASE_COLUMNS = ["case_id", "unit", "received_on", "complex", "due_on"]
#: the case files in replay order (local day, then as recorded), cases contiguous; `detail`
#: is read for followed_up (the satisfaction) and extended (the days), `level` for escalated;
#: a `case` column (the case's position in the cases frame) may spare the id lookups
EVENT_COLUMNS = ["case_id", "on", "type", "detail", "level"]
#: the events some figure reads; the others (casework, review decisions) may be left out
COUNTED_EVENTS = (EventType.accepted, EventType.not_accepted, EventType.extended,
                  EventType.closed, EventType.followed_up, EventType.reopened,
                  EventType.refiled, EventType.escalated, EventType.review_requested,
                  EventType.rereview_requested)
#: every cell of the region and its group
CELL_COLUMNS = ["cell_code", "unit"]
#: screening records of those cells in the period: `screened_at` on the local clock (naive)
SCREENING_COLUMNS = ["cell_code", "screened_at"]
RETURNS = (EventType.refiled, EventType.reopened, EventType.escalated,
           EventType.review_requested, EventType.rereview_requested)
SATISFIED = (Satisfaction.satisfied, Satisfaction.basically_satisfied)
KINDS = ROW_TYPES
CASE, CELL = "case", "cell"


def kind_code(kind: str) -> int:
    return KINDS.index(kind)


def kind_codes(kinds: Sequence[str]) -> list[int]:
    return [kind_code(k) for k in kinds]


def day_numbers(values: pd.Series | np.ndarray) -> np.ndarray:
    """Local days as days since 1970-01-01 (float; NaN for none), the unit of every
    comparison below."""
    days = np.asarray(values, dtype="datetime64[ns]").astype("datetime64[D]")
    return np.where(np.isnat(days), np.nan, days.astype("int64").astype(float))


def day_number(day: date) -> int:
    return (day - date(1970, 1, 1)).days


@dataclass(frozen=True)
class Share:
    """A rate's items: each belongs to `owner[i]` (a case or a cell), counts `due[i]` in the
    denominator and `done[i]` in the numerator."""

    owners: str
    owner: np.ndarray
    due: np.ndarray
    done: np.ndarray


@dataclass(frozen=True)
class Tally:
    """Counted items of a count, each of a case; `level` per item for escalations, and `base`:
    the cases a rate per 1,000 is taken over."""

    owner: np.ndarray
    level: np.ndarray | None = None
    base: np.ndarray | None = None


@dataclass(frozen=True)
class Days:
    """Days per item (a case) for a mean and a median."""

    owner: np.ndarray
    days: np.ndarray


Items = Share | Tally | Days


class CaseFiles:
    """A region's case files replayed once, for as many periods as a report asks about."""

    def __init__(self, cases: pd.DataFrame, events: pd.DataFrame, *, units: Sequence[str],
                 deadlines: DeadlinePolicy) -> None:
        _require(cases, CASE_COLUMNS, "cases")
        _require(events, EVENT_COLUMNS, "events")
        self.units = list(units)
        self.case_ids = cases["case_id"].to_numpy()
        self.case_unit = pd.Index(self.units).get_indexer(pd.Index(cases["unit"].to_numpy(object)))
        if (self.case_unit < 0).any():
            raise ValueError("cases: a unit that is not in units")
        replayed = replay_frame(cases, events[[*EVENT_COLUMNS, *(
            ["case"] if "case" in events else [])]], deadlines)
        self.level = replayed["level"].to_numpy(object)
        self.case = replayed["case"].to_numpy()
        self.day = day_numbers(replayed["on"])
        self.kind = replayed["type"].cat.codes.to_numpy()
        self.detail = replayed["detail"].to_numpy(object)
        self.is_open = replayed["is_open"].to_numpy(bool)
        self.acceptance = replayed["acceptance"].to_numpy()
        self.handle_by = day_numbers(replayed["handle_by"])
        self.accept_by = day_numbers(replayed["accept_by"])
        self.declined = (~self.is_open) & (replayed["closure_type"].to_numpy(object)
                                           == EventType.not_accepted.value)
        self.first_row = np.flatnonzero(self.kind == kind_code("received"))
        starts = self.first_row[self.case]
        self.position = np.arange(len(self.case))
        self.last_closing = last_where(self.kind == kind_code(EventType.closed), starts)
        self.last_return = last_where(self.is_(RETURNS), starts)
        self.last_decision = last_where(self.is_((EventType.accepted,
                                                  EventType.not_accepted)), starts)
        self.received = self.day[self.first_row]

    @property
    def n_cases(self) -> int:
        return len(self.first_row)

    def is_(self, kinds: Sequence[str]) -> np.ndarray:
        of_kinds: np.ndarray = np.logical_or.reduce(
            [self.kind == code for code in kind_codes(kinds)])
        return of_kinds

    def rows_until(self, day: float) -> np.ndarray:
        """Per case, its last row on or before `day` (a case file is ordered by day), -1 for
        a case received after it."""
        counts = np.add.reduceat((self.day <= day).astype(np.int64), self.first_row) if len(
            self.first_row) else np.zeros(0, dtype=np.int64)
        return np.where(counts > 0, self.first_row + counts - 1, -1)

    def first_per_case(self, rows: np.ndarray) -> np.ndarray:
        """Per case, the first of `rows` (ascending positions) it holds, -1 for none."""
        return first_of(self.case[rows], rows, self.n_cases)


def first_of(keys: np.ndarray, values: np.ndarray, n_keys: int) -> np.ndarray:
    """Per key 0 … n_keys - 1, the value of its first item, -1 for a key with none."""
    first = np.full(n_keys, -1)
    found, at = np.unique(keys, return_index=True)
    first[found] = values[at]
    return first


def _require(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing columns {', '.join(missing)}")


@dataclass(frozen=True)
class PeriodFacts:
    """What several figures of one period share."""

    files: CaseFiles
    first: float
    last: float
    window_days: int
    #: per case: its last row the day before the period and on its last day (-1: not received)
    before: np.ndarray
    at_end: np.ndarray
    #: per case: open at any time in the period (spec: open the day before it starts, or
    #: received, reopened or refiled in it)
    open_any: np.ndarray
    #: per row: dated in the period
    in_period: np.ndarray

    @classmethod
    def of(cls, files: CaseFiles, first: date, last: date, *, window_days: int
           ) -> PeriodFacts:
        f, lst = float(day_number(first)), float(day_number(last))
        before, at_end = files.rows_until(f - 1), files.rows_until(lst)
        in_period = (files.day >= f) & (files.day <= lst)
        entered = np.zeros(files.n_cases, dtype=bool)
        entered[files.case[in_period & files.is_(("received", EventType.reopened,
                                                  EventType.refiled))]] = True
        open_before = (before >= 0) & files.is_open[np.maximum(before, 0)]
        return cls(files, f, lst, window_days, before, at_end, open_before | entered,
                   in_period)

    def state_at_end(self, values: np.ndarray) -> np.ndarray:
        at_end: np.ndarray = values[np.maximum(self.at_end, 0)]
        return at_end

    def closings(self) -> tuple[np.ndarray, np.ndarray]:
        """Every closing's row, and for every row the closing whose window holds it (-1 for
        none): after the closing in file order, dated up to C + W, before the next closing."""
        files = self.files
        rows = np.flatnonzero(files.kind == kind_code(EventType.closed))
        owner = files.last_closing
        held = (owner >= 0) & (files.position > owner) & (
            files.day <= files.day[np.maximum(owner, 0)] + self.window_days)
        return rows, np.where(held, owner, -1)


def accept_on_time(facts: PeriodFacts) -> Share:
    """Cases whose accept-by day (the first decision's) is in P; decided by it."""
    files = facts.files
    accept_by = files.accept_by[files.first_row]
    decided = files.first_per_case(np.flatnonzero(files.is_((EventType.accepted,
                                                             EventType.not_accepted))))
    decided_on = np.where(decided >= 0, files.day[np.maximum(decided, 0)], np.nan)
    due = (accept_by >= facts.first) & (accept_by <= facts.last)
    return Share(CASE, np.arange(files.n_cases), due, due & (decided_on <= accept_by))


def handle_on_time(facts: PeriodFacts) -> Share:
    """Acceptances whose handling deadline (with its extension) is in P; closed by it."""
    files = facts.files
    held = np.flatnonzero(files.acceptance >= 0)
    acceptance = files.acceptance[held]
    run_ends = held[np.r_[acceptance[1:] != acceptance[:-1], True]] if len(held) else held
    accepted = files.acceptance[run_ends]
    deadline = files.handle_by[run_ends]  # the last state of each acceptance: its extension
    closings = held[files.kind[held] == kind_code(EventType.closed)]
    closed_on = np.full(len(files.case), np.nan)
    closed_on[files.acceptance[closings]] = files.day[closings]
    due = (deadline >= facts.first) & (deadline <= facts.last)
    return Share(CASE, files.case[accepted], due, due & (closed_on[accepted] <= deadline))


def resolved_at(files: CaseFiles, rows: np.ndarray) -> np.ndarray:
    """Per case, whether at its row `rows` (-1: not received) it is closed with no return
    since the closing: the numerator of 化解率."""
    row = np.maximum(rows, 0)
    closed = (rows >= 0) & ~files.is_open[row] & ~files.declined[row]
    kept_closed: np.ndarray = closed & (files.last_return[row] < files.last_closing[row])
    return kept_closed


def resolution(facts: PeriodFacts) -> Share:
    """Cases open at any time in P and not declined by its end; closed at its end with no
    return since the closing."""
    files = facts.files
    declined = (facts.at_end >= 0) & facts.state_at_end(files.declined)
    due = facts.open_any & ~declined
    return Share(CASE, np.arange(files.n_cases), due, due & resolved_at(files, facts.at_end))


def _windows(facts: PeriodFacts) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Closings whose window ends in P, whether a return, a follow-up, and a satisfied first
    follow-up lie in their window."""
    files = facts.files
    rows, window = facts.closings()
    held = window >= 0
    returned = np.zeros(len(files.case), dtype=bool)
    returned[window[held & files.is_(RETURNS)]] = True
    follow_ups = np.flatnonzero(held & (files.kind == kind_code(EventType.followed_up)))
    first_follow_up = first_of(window[follow_ups], follow_ups, len(files.case))
    ends = files.day[rows] + facts.window_days
    in_p = (ends >= facts.first) & (ends <= facts.last)
    rated = first_follow_up[rows] >= 0
    satisfied = rated & np.isin(files.detail[np.maximum(first_follow_up[rows], 0)],
                                [s.value for s in SATISFIED])
    return rows[in_p], returned[rows][in_p], rated[in_p], satisfied[in_p]


def no_return(facts: PeriodFacts) -> Share:
    """Closings whose window ends in P; no return in the window."""
    rows, returned, _, _ = _windows(facts)
    return Share(CASE, facts.files.case[rows], np.ones(len(rows), bool), ~returned)


def rated(facts: PeriodFacts) -> Share:
    """Closings whose window ends in P; a follow-up in the window."""
    rows, _, was_rated, _ = _windows(facts)
    return Share(CASE, facts.files.case[rows], np.ones(len(rows), bool), was_rated)


def satisfied(facts: PeriodFacts) -> Share:
    """Closings whose window ends in P and holds a follow-up; the first of them satisfied or
    basically satisfied."""
    rows, _, was_rated, was_satisfied = _windows(facts)
    return Share(CASE, facts.files.case[rows], was_rated, was_satisfied)


def one_time(facts: PeriodFacts) -> Share:
    """Cases whose first closing's window ends in P; exactly one acceptance and no return
    from receipt to the end of that window."""
    files = facts.files
    first = files.first_per_case(np.flatnonzero(files.kind == kind_code(EventType.closed)))
    ends = np.where(first >= 0, files.day[np.maximum(first, 0)] + facts.window_days, np.nan)
    due = (ends >= facts.first) & (ends <= facts.last)
    until = ends[files.case]
    acceptances = np.bincount(files.case[(files.kind == kind_code(EventType.accepted))
                                         & (files.day <= until)], minlength=files.n_cases)
    returns = np.bincount(files.case[files.is_(RETURNS) & (files.day <= until)],
                          minlength=files.n_cases)
    return Share(CASE, np.arange(files.n_cases), due, due & (acceptances == 1) & (returns == 0))


def repeat(facts: PeriodFacts) -> Share:
    """Cases open at any time in P; refiled in P (the spec's definition: a refiled event)."""
    files = facts.files
    refiled = np.zeros(files.n_cases, dtype=bool)
    refiled[files.case[facts.in_period & (files.kind == kind_code(EventType.refiled))]] = True
    return Share(CASE, np.arange(files.n_cases), facts.open_any, facts.open_any & refiled)


def escalations(facts: PeriodFacts) -> Tally:
    """Escalated events in P, by level; per 1,000 cases open at any time in P."""
    files = facts.files
    rows = np.flatnonzero(facts.in_period & (files.kind == kind_code(EventType.escalated)))
    return Tally(files.case[rows], level=files.level[rows],
                 base=np.flatnonzero(facts.open_any))


def overdue_open(facts: PeriodFacts) -> Tally:
    """Cases open at the end of P past a deadline before P's last day: the handling deadline
    while accepted, the accept-by day while awaiting the first decision."""
    files = facts.files
    received = facts.at_end >= 0
    is_open = received & facts.state_at_end(files.is_open)
    accepted = facts.state_at_end(files.acceptance) >= 0
    undecided = facts.state_at_end(files.last_decision) < 0
    late = np.where(accepted, facts.state_at_end(files.handle_by),
                    np.where(undecided, facts.state_at_end(files.accept_by), np.nan)
                    ) < facts.last
    return Tally(np.flatnonzero(is_open & late))


def days_to_close(facts: PeriodFacts) -> Days:
    """Cases first closed in P; days from receipt to that closing."""
    files = facts.files
    first = files.first_per_case(np.flatnonzero(files.kind == kind_code(EventType.closed)))
    cases = np.flatnonzero(first >= 0)
    on = files.day[first[cases]]
    in_p = (on >= facts.first) & (on <= facts.last)
    return Days(cases[in_p], (on - files.received[cases])[in_p])


def deadlines_at(files: CaseFiles, day: date) -> pd.DataFrame:
    """Per case at the end of `day`, by the spec's deadlines: open or not, its deadline (the
    handling deadline while accepted, the accept-by day while awaiting the first decision,
    none while awaiting re-acceptance; a day number) and which ("handle", "accept", "")."""
    at = files.rows_until(float(day_number(day)))
    row = np.maximum(at, 0)
    is_open = (at >= 0) & files.is_open[row]
    accepted = files.acceptance[row] >= 0
    undecided = files.last_decision[row] < 0
    deadline = np.where(accepted, files.handle_by[row],
                        np.where(undecided, files.accept_by[row], np.nan))
    deadline = np.where(is_open, deadline, np.nan)
    kind = np.where(np.isnan(deadline), "", np.where(accepted, "handle", "accept"))
    return pd.DataFrame({"is_open": is_open, "deadline": deadline, "deadline_kind": kind})


#: the case figures in the order of gridrisk.vocab.Indicator
CASE_FIGURES: dict[Indicator, Callable[[PeriodFacts], Items]] = {
    Indicator.accept_on_time: accept_on_time,
    Indicator.handle_on_time: handle_on_time,
    Indicator.resolution: resolution,
    Indicator.no_return: no_return,
    Indicator.rated: rated,
    Indicator.satisfied: satisfied,
    Indicator.one_time: one_time,
    Indicator.repeat: repeat,
    Indicator.escalations: escalations,
    Indicator.overdue_open: overdue_open,
    Indicator.days_to_close: days_to_close,
}


def case_figures(files: CaseFiles, first: date, last: date, *, window_days: int,
                 only: Sequence[Indicator] | None = None) -> dict[Indicator, Items]:
    facts = PeriodFacts.of(files, first, last, window_days=window_days)
    return {code: figure(facts) for code, figure in CASE_FIGURES.items()
            if only is None or code in only}


# -- screenings --------------------------------------------------------------------------


def due_slots(first: date, last: date, policy: ScreeningPolicy
              ) -> tuple[list[date], list[date]]:
    """The slots due in P: the Mondays of the weeks lying wholly in it, and its days in the
    policy's daily periods."""
    days = pd.date_range(first, last, freq="D").date
    mondays = [d for d in days if d.weekday() == 0 and d + timedelta(days=6) <= last]
    daily = [d for d in days if policy.daily_period(d)]
    return mondays, daily


def screening_figures(cells: pd.DataFrame, screenings: pd.DataFrame, first: date, last: date,
                      *, policy: ScreeningPolicy) -> dict[Indicator, Share]:
    """coverage: (cell, slot) pairs due in P, screened in the slot; zero_report: (cell, day)
    pairs of daily-period days, screened that day by the report time."""
    _require(cells, CELL_COLUMNS, "cells")
    _require(screenings, SCREENING_COLUMNS, "screenings")
    mondays, daily = due_slots(first, last, policy)
    cell = pd.Index(cells["cell_code"]).get_indexer(screenings["cell_code"])
    at = screenings["screened_at"].to_numpy("datetime64[ns]")
    known = cell >= 0
    cell, at = cell[known], at[known]
    day = at.astype("datetime64[D]")
    n_cells = len(cells)
    week = np.full(len(day), -1)
    if mondays:
        offset = (day - np.datetime64(mondays[0], "D")).astype(np.int64)
        week = np.where((offset >= 0) & (offset < 7 * len(mondays)), offset // 7, -1)
    in_daily = np.isin(day, np.array(daily, dtype="datetime64[D]"))
    by_time = at <= (day + _seconds(policy.report_time()))

    def filled(mask: np.ndarray, slot: np.ndarray) -> np.ndarray:
        pairs = np.unique(np.stack([cell[mask], slot[mask]]), axis=1) if mask.any() else (
            np.zeros((2, 0), dtype=np.int64))
        return np.bincount(pairs[0], minlength=n_cells)

    slot_day = (day - np.datetime64(first, "D")).astype(np.int64)
    covered = filled(week >= 0, week) + filled(in_daily, slot_day)
    on_time = filled(in_daily & by_time, slot_day)
    owner = np.arange(n_cells)
    return {
        Indicator.coverage: Share(CELL, owner, np.full(n_cells, len(mondays) + len(daily)),
                                  covered),
        Indicator.zero_report: Share(CELL, owner, np.full(n_cells, len(daily)), on_time),
    }


def daily_reports(cells: pd.DataFrame, screenings: pd.DataFrame, days: Sequence[date], *,
                  report_by: time) -> pd.DataFrame:
    """The zero report (零报告) of each cell on each of `days`: cell_code, unit, day, status —
    on_time (a record of the cell that day at or before the report time), late (only after
    it) or missing — and first_at, the day's first record."""
    _require(cells, CELL_COLUMNS, "cells")
    _require(screenings, SCREENING_COLUMNS, "screenings")
    grid = pd.MultiIndex.from_product([cells["cell_code"], pd.to_datetime(list(days))],
                                      names=["cell_code", "day"]).to_frame(index=False)
    at = pd.to_datetime(screenings["screened_at"])
    first = pd.DataFrame({"cell_code": screenings["cell_code"], "day": at.dt.normalize(),
                          "at": at}).groupby(["cell_code", "day"], as_index=False)["at"].min()
    merged = grid.merge(first, on=["cell_code", "day"], how="left").merge(
        cells, on="cell_code")
    cutoff = merged["day"] + pd.Timedelta(_seconds(report_by))
    merged["status"] = np.where(merged["at"].isna(), "missing",
                                np.where(merged["at"] <= cutoff, "on_time", "late"))
    return pd.DataFrame({"cell_code": merged["cell_code"], "unit": merged["unit"],
                         "day": merged["day"].dt.date, "status": merged["status"],
                         "first_at": merged["at"]})


def _seconds(at: time) -> np.timedelta64:
    return np.timedelta64(at.hour * 3600 + at.minute * 60 + at.second, "s")


# -- adding up ---------------------------------------------------------------------------


def count(figures: Mapping[Indicator, Items], *, groups: Mapping[str, np.ndarray],
          n_groups: int) -> pd.DataFrame:
    """Every figure added up per group: `groups` maps each owner kind (case, cell) to the
    group of each owner (-1: left out). Columns `<code>.n` and `<code>.d` for a rate,
    `<code>.count` (escalations also `.county` … `.national` and `.base`, the cases open in
    P) for a count, `<code>.sum`, `.count` and `.median` for days."""
    columns: dict[str, np.ndarray] = {}

    def add(group: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        keep = group >= 0
        w = None if weights is None else np.asarray(weights, dtype=float)[keep]
        return np.bincount(group[keep], weights=w, minlength=n_groups)[:n_groups]

    for code, items in figures.items():
        if isinstance(items, Share):
            group = groups[items.owners][items.owner]
            columns[f"{code}.d"] = add(group, items.due)
            columns[f"{code}.n"] = add(group, np.where(items.due > 0, items.done, 0))
        elif isinstance(items, Tally):
            group = groups[CASE][items.owner]
            columns[f"{code}.count"] = add(group)
            if items.level is not None:
                for level in ESCALATION_LEVELS:
                    columns[f"{code}.{level}"] = add(group[items.level == level.value])
            if items.base is not None:
                columns[f"{code}.base"] = add(groups[CASE][items.base])
        else:
            group = groups[CASE][items.owner]
            columns[f"{code}.sum"] = add(group, items.days)
            columns[f"{code}.count"] = add(group)
            medians = pd.Series(items.days[group >= 0]).groupby(group[group >= 0]).median()
            columns[f"{code}.median"] = medians.reindex(range(n_groups)).to_numpy(float)
    return pd.DataFrame({name: values for name, values in columns.items()})

