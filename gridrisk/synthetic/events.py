"""Case files (case_events.csv), simulated day by day from hidden causes.

Every case belongs to a *matter*: the grievance of one complainant (or group). A matter's
determination (log-odds) drifts around its own level (category, crowd, the person; wage claims
press harder before Spring Festival) and moves with the handling: a meeting, a site visit,
early mediation or an agreement calm it; an unfavourable opinion, an unsatisfying follow-up
and a case left overdue harden it. A determined complainant, in a tense cell, escalates,
asks for reviews, comes back after closing and calls the hotline again (a repeat case: a new
case on the same matter).

A unit works a case at its hidden quality less its hidden load (hidden.py), meets the
complainant early or not at all, visits the site, mediates and holds a hearing as the work
advances (the steps of the handling, in order), asks for an extension when it sees it will
not make the deadline (good units more than slow ones), and closes the case after its
written opinion and any review.

Each day runs the same steps in the same order (`Simulation.step`), for the county itself and
for the oracle's re-simulated futures (oracle.py): only a matter's original case moves its
determination, and units' load and cells' tension are exogenous, so the cases open on a day
have a future that depends on that day's state alone."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from gridrisk.synthetic.calendar import Calendar
from gridrisk.synthetic.draws import choose_rows, per_category
from gridrisk.synthetic.hidden import World
from gridrisk.synthetic.intake import CATEGORIES, Units
from gridrisk.synthetic.texts import (
    ESCALATED_TO,
    EVENT_DETAILS,
    NOT_ACCEPTED,
    NOT_ACCEPTED_OTHERWISE,
)
from gridrisk.vocab import Category, Channel, ClosureType, EventLevel, EventType

C, E = Category, EventType

MAX_ROUNDS = 3
HANDLING_DAYS, COMPLEX_HANDLING_DAYS = 30, 60
EXTENSIONS = {30: 0.7, 15: 0.2, 20: 0.1}
TIMED_CASE_RATE = 0.2
#: days after closing a case is watched for follow-up, reviews and returns
WATCH_DAYS = 180
REVIEW_WINDOW_DAYS = 30
MAX_REPEATS = 4

#: a matter's determination: its level by category (log-odds)
CATEGORY_PRESSURE: dict[str, float] = {
    C.land_requisition: 0.8, C.financial_loss: 0.9, C.wages_labour: 0.5,
    C.housing_property: 0.5, C.court_related: 0.4, C.veterans: 0.3, C.medical: 0.2,
    C.environment: 0.2, C.social_security: 0.1, C.property_management: 0.0, C.other: -0.4,
}
#: determination: pull towards its level per day, daily noise, spread of persons and start
PULL, DRIFT, PERSON_SPREAD, START_SPREAD = 0.04, 0.1, 0.8, 0.4
#: wage claims in the weeks before Spring Festival
FESTIVAL_PRESSURE = 0.7
#: how much a cell's tension adds to what a complainant does
TENSION_WEIGHT = 0.5
#: how much of a written opinion goes the complainant's way, by category (else unfavourable)
FAVOURABLE: dict[str, float] = {
    C.land_requisition: 0.35, C.financial_loss: 0.3, C.court_related: 0.3,
    C.housing_property: 0.45, C.wages_labour: 0.55,
}
SITE_VISIT_RATE: dict[str, float] = {
    C.land_requisition: 0.85, C.environment: 0.8, C.housing_property: 0.7,
    C.property_management: 0.6, C.wages_labour: 0.5,
}
MEDIATION_RATE: dict[str, float] = {
    C.wages_labour: 0.6, C.property_management: 0.6, C.land_requisition: 0.5, C.medical: 0.5,
    C.housing_property: 0.4,
}
#: the matter's work, in days of an average unit, as a share of the handling limit
WORK_SHARE = 0.55
#: units put hotline cases with the platform's own deadline first
SOURCE_DEADLINE_PRIORITY = 1.7
#: a repeat case is mostly answered by pointing to the case in hand (合并办理)
REPEAT_WORK = 0.35

LEVELS = tuple(level.value for level in EventLevel)
TOWNSHIP, COUNTY = LEVELS.index(EventLevel.township), LEVELS.index(EventLevel.county)
#: where complainants take a matter above its handling level, by that level
ESCALATION_LEVELS = {
    EventLevel.township: {EventLevel.county: 0.5, EventLevel.city: 0.35,
                          EventLevel.province: 0.12, EventLevel.national: 0.03},
    EventLevel.county: {EventLevel.city: 0.65, EventLevel.province: 0.28,
                        EventLevel.national: 0.07},
}
#: where a complainant comes back on the same matter
REFILING_LEVELS = {
    EventLevel.township: {EventLevel.township: 0.5, EventLevel.county: 0.4, EventLevel.city: 0.1},
    EventLevel.county: {EventLevel.county: 0.7, EventLevel.city: 0.25, EventLevel.province: 0.05},
}
#: review at the level above the handling unit, re-review one above that
REVIEW_LEVEL = {EventLevel.township: EventLevel.county, EventLevel.county: EventLevel.city}
REREVIEW_LEVEL = {EventLevel.township: EventLevel.city, EventLevel.county: EventLevel.province}
#: the event types that are a return in the model's sense (models.columns.ESCALATION_EVENTS)
RETURN_TYPES = (E.escalated, E.refiled, E.review_requested, E.rereview_requested, E.reopened)

#: review states: none, requested, decided, re-review requested, re-review decided
NO_REVIEW, REVIEW_PENDING, REVIEWED, REREVIEW_PENDING, REREVIEWED = range(5)
#: satisfaction at follow-up
NOT_ASKED, SATISFIED, BASICALLY, UNSATISFIED = range(4)
SATISFACTION = ("", "satisfied", "basically_satisfied", "unsatisfied")


def _by_category(values: Mapping[str, float], otherwise: float) -> np.ndarray:
    """A category's value by its position in CATEGORIES."""
    return np.array([values.get(c, otherwise) for c in CATEGORIES])


SITE_VISIT_BY_CATEGORY = _by_category(SITE_VISIT_RATE, 0.35)
MEDIATION_BY_CATEGORY = _by_category(MEDIATION_RATE, 0.25)
FAVOURABLE_BY_CATEGORY = _by_category(FAVOURABLE, 0.6)
DECLINE_BY_CATEGORY = np.where(np.isin(CATEGORIES, list(NOT_ACCEPTED)), 0.06, 0.022)
DECLINE_REASONS = np.array([NOT_ACCEPTED.get(c, NOT_ACCEPTED_OTHERWISE) for c in CATEGORIES],
                           dtype=object)


class Log(Protocol):
    """Where the steps report what happened: every event, every deadline passing."""

    def event(self, step: int, slots: np.ndarray, day: int, kind: EventType, *,
              level: np.ndarray | None = None, parties: np.ndarray | None = None,
              detail: np.ndarray | str | None = None) -> None: ...

    def passed(self, slots: np.ndarray, day: int) -> None: ...


@dataclass
class CaseFileLog:
    """The county's case files, gathered in chunks of columns (case slot, day, step, type,
    level, parties, detail), and the deadline passings (slot, day)."""

    columns: dict[str, list[np.ndarray]] = field(default_factory=lambda: {
        c: [] for c in ("case", "day", "step", "type", "level", "parties", "detail")})
    passings: list[tuple[np.ndarray, int]] = field(default_factory=list)

    def event(self, step: int, slots: np.ndarray, day: int, kind: EventType, *,
              level: np.ndarray | None = None, parties: np.ndarray | None = None,
              detail: np.ndarray | str | None = None) -> None:
        n = len(slots)
        if not n:
            return
        for name, values in (
                ("case", slots), ("day", np.full(n, day)), ("step", np.full(n, step)),
                ("type", np.full(n, kind.value, dtype=object)),
                ("level", np.full(n, None, dtype=object) if level is None else level),
                ("parties", np.full(n, np.nan) if parties is None else parties.astype(float)),
                ("detail", np.broadcast_to(np.asarray(detail, dtype=object), (n,)))):
            self.columns[name].append(values)

    def passed(self, slots: np.ndarray, day: int) -> None:
        if len(slots):
            self.passings.append((slots, day))

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({name: np.concatenate(parts) for name, parts in self.columns.items()})

    def passing_frame(self) -> pd.DataFrame:
        if not self.passings:
            return pd.DataFrame({"case": np.empty(0, int), "day": np.empty(0, int)})
        return pd.DataFrame({"case": np.concatenate([s for s, _ in self.passings]),
                             "day": np.concatenate([np.full(len(s), d)
                                                    for s, d in self.passings])})


@dataclass(frozen=True)
class Matters:
    """The fixed side of each matter: its determination's level and the category's."""

    level: np.ndarray  # determination level (log-odds), without the season
    wages: np.ndarray  # bool: a wage claim (presses harder before Spring Festival)


#: the Simulation arrays that hold one value per case slot (besides matter and replicate)
PER_CASE = (
    "received", "category", "cell", "unit", "level", "complex", "parties", "channel_screening",
    "due", "original", "difficulty", "active", "open", "accepted", "accepted_on", "deadline",
    "extended", "rounds", "work", "planned", "will_meet", "met", "site_needed", "site_at",
    "site", "will_mediate", "mediation_at", "mediated", "will_hear", "hearing_at", "heard",
    "opinion", "opinion_on", "review", "review_on", "closed_on", "terminated", "satisfaction",
    "reopen_on")


@dataclass
class Simulation:
    """Every case's state (arrays by slot; slots past `n` are free for repeat cases) and
    every matter's determination. The county is one replicate; the oracle runs many."""

    n: int
    # fixed per case
    received: np.ndarray
    category: np.ndarray  # position in CATEGORIES
    cell: np.ndarray
    unit: np.ndarray
    level: np.ndarray  # position in LEVELS of the unit's handling level
    complex: np.ndarray
    parties: np.ndarray
    channel_screening: np.ndarray
    due: np.ndarray  # day of the source's deadline, −1 for none
    matter: np.ndarray
    original: np.ndarray  # the matter's first case: only its handling moves determination
    difficulty: np.ndarray
    replicate: np.ndarray
    # changing per case
    active: np.ndarray
    open: np.ndarray
    accepted: np.ndarray
    accepted_on: np.ndarray
    deadline: np.ndarray
    extended: np.ndarray
    rounds: np.ndarray
    work: np.ndarray  # left to do, in days of an average unit
    planned: np.ndarray  # the round's work when accepted
    will_meet: np.ndarray
    met: np.ndarray
    site_needed: np.ndarray
    site_at: np.ndarray  # share of the work done when the site is visited
    site: np.ndarray
    will_mediate: np.ndarray
    mediation_at: np.ndarray
    mediated: np.ndarray
    will_hear: np.ndarray
    hearing_at: np.ndarray
    heard: np.ndarray
    opinion: np.ndarray
    opinion_on: np.ndarray
    review: np.ndarray
    review_on: np.ndarray
    closed_on: np.ndarray
    terminated: np.ndarray
    satisfaction: np.ndarray
    reopen_on: np.ndarray
    # per matter
    determination: np.ndarray
    matters: Matters
    repeats: np.ndarray  # repeat cases filed so far
    #: per day of the window, 1 in the weeks before Spring Festival
    festival_run_up: np.ndarray
    #: (slot, origin slot, day, due) of each repeat case filed
    filed: list[tuple[int, int, int, int]] = field(default_factory=list)

    def snapshot(self) -> Simulation:
        return copy.deepcopy(self)

    def replicated(self, slots: np.ndarray, replicates: int) -> Simulation:
        """The cases in `slots`, `replicates` times over, each copy in a replicate of its
        own with its own copy of their matters' determination; no room for repeats."""
        local, matter = np.unique(self.matter[slots], return_inverse=True)
        k, m = len(slots), len(local)
        per_case = {name: np.tile(getattr(self, name)[slots], replicates) for name in PER_CASE}
        return Simulation(
            n=k * replicates, **per_case,  # type: ignore[arg-type]  # arrays, never `filed`
            matter=np.tile(matter, replicates) + np.repeat(np.arange(replicates) * m, k),
            replicate=np.repeat(np.arange(replicates), k),
            determination=np.tile(self.determination[local], replicates),
            matters=Matters(level=np.tile(self.matters.level[local], replicates),
                            wages=np.tile(self.matters.wages[local], replicates)),
            repeats=np.zeros(m * replicates, dtype=np.int64),
            festival_run_up=self.festival_run_up)

    # -- the day's steps, in file order ---------------------------------------------------

    def step(self, rng: np.random.Generator, world: World, units: Units, day: int, log: Log,
             *, repeat_filing: Callable[[np.ndarray, int], None] | None = None) -> None:
        """Everything that happens on `day`, in the order a case file records it."""
        a = np.flatnonzero(self.active[:self.n] & (self.received[:self.n] <= day))
        self._drift(rng, day, a)
        if not len(a):
            return
        cell = self.cell[a]
        tension = np.where(cell >= 0, world.tension_on(self.replicate[a], np.maximum(cell, 0),
                                                       day), 0.0)
        pressure = self.determination[self.matter[a]] + TENSION_WEIGHT * tension
        # the steps of open cases come first in a day's file, those of closed ones after
        # (a case closed today is followed up or comes back on a later day at the earliest)
        is_open = self.open[a]
        o, c = a[is_open], a[~is_open]
        speed = np.exp(units.quality[self.unit[o]]
                       - world.load_on(self.replicate[o], self.unit[o], day))
        self._accept(rng, o, speed, day, log)
        self._casework(rng, o, speed, day, log)
        self._extend(rng, o, speed, units, day, log)
        self._escalate(rng, o, pressure[is_open], day, log)
        self._progress(rng, o, speed, pressure[is_open], day, log)
        self._reviews(rng, a, pressure, day, log)
        self._close(rng, o, day, log)
        self._follow_up(rng, c, pressure[~is_open], day, log)
        self._come_back(rng, c, pressure[~is_open], day, log)
        self._deadlines(o, day, log)
        if repeat_filing is not None:
            self._repeat_filings(rng, a, pressure, day, repeat_filing)

    def _drift(self, rng: np.random.Generator, day: int, a: np.ndarray) -> None:
        alive = np.zeros(len(self.determination), dtype=bool)
        alive[self.matter[a]] = True
        live = np.flatnonzero(alive)
        level = self.matters.level[live] + FESTIVAL_PRESSURE * self._festival(day) * (
            self.matters.wages[live])
        d = self.determination[live]
        self.determination[live] = d + PULL * (level - d) + rng.normal(0.0, DRIFT, len(live))

    def _festival(self, day: int) -> float:
        return float(self.festival_run_up[min(day, len(self.festival_run_up) - 1)])

    def _move(self, slots: np.ndarray, by: float | np.ndarray) -> None:
        """Handling moves a matter's determination, through its original case only."""
        by = np.broadcast_to(np.asarray(by, dtype=float), slots.shape)
        own = self.original[slots]
        np.add.at(self.determination, self.matter[slots[own]], by[own])

    def _accept(self, rng: np.random.Generator, a: np.ndarray, speed: np.ndarray, day: int,
                log: Log) -> None:
        waiting = self.open[a] & ~self.accepted[a]
        first = self.rounds[a] == 0
        chance = np.where(first, np.clip(0.45 * speed, 0.06, 0.9), 0.5)
        chance = np.where(first & self.channel_screening[a], 0.7, chance)
        accept = waiting & (rng.random(len(a)) < chance)
        declined = accept & first & (rng.random(len(a)) < DECLINE_BY_CATEGORY[self.category[a]])
        gone = a[declined]
        log.event(0, gone, day, E.not_accepted, detail=DECLINE_REASONS[self.category[gone]])
        self.open[gone] = self.active[gone] = False
        s = a[accept & ~declined]
        if not len(s):
            return
        k = len(s)
        limit = np.where(self.complex[s], COMPLEX_HANDLING_DAYS, HANDLING_DAYS)
        source = (self.rounds[s] == 0) & (self.due[s] >= 0)
        self.accepted[s] = True
        self.accepted_on[s] = day
        self.deadline[s] = np.where(source, self.due[s], day + limit)
        self.extended[s] = False
        self.opinion[s] = False
        self.review[s] = NO_REVIEW
        self.met[s] = self.site[s] = self.mediated[s] = self.heard[s] = False
        self.work[s] = self.planned[s] = (WORK_SHARE * limit * self.difficulty[s]
                                          * rng.lognormal(0.0, 0.25, k))
        self.site_at[s] = rng.uniform(0.1, 0.5, k)
        self.mediation_at[s] = rng.uniform(0.3, 0.8, k)
        self.hearing_at[s] = rng.uniform(0.6, 0.9, k)
        slow = speed[accept & ~declined] < 0.7
        self.will_meet[s] = rng.random(k) < np.where(self.rounds[s] > 0, 0.95,
                                                     np.where(slow, 0.65, 0.9))
        category = self.category[s]
        self.site_needed[s] = rng.random(k) < SITE_VISIT_BY_CATEGORY[category] * np.where(
            slow, 0.7, 1.0)
        self.will_mediate[s] = rng.random(k) < MEDIATION_BY_CATEGORY[category]
        self.will_hear[s] = rng.random(k) < 0.02 + 0.08 * self.complex[s]
        log.event(0, s, day, E.accepted, detail=np.where(
            self.rounds[s] == 0, EVENT_DETAILS["accepted"], EVENT_DETAILS["accepted_again"]))

    def _handling(self, a: np.ndarray) -> np.ndarray:
        handling: np.ndarray = self.open[a] & self.accepted[a] & ~self.opinion[a]
        return handling

    def _casework(self, rng: np.random.Generator, a: np.ndarray, speed: np.ndarray, day: int,
                  log: Log) -> None:
        """The complainant met early on (or never); the site visited, mediation and a hearing
        held once the work has come that far."""
        handling = self._handling(a)
        since = day - self.accepted_on[a]
        done = 1 - self.work[a] / np.maximum(self.planned[a], 1e-9)
        meets = handling & self.will_meet[a] & ~self.met[a] & (
            rng.random(len(a)) < np.clip(0.3 * speed, 0.03, 0.9))
        self.met[a[meets]] = True
        self._move(a[meets], -0.3)
        log.event(1, a[meets], day, E.met_complainant, detail=EVENT_DETAILS["met_complainant"])
        visits = handling & self.site_needed[a] & ~self.site[a] & (since >= 1) & (
            done >= self.site_at[a])
        self.site[a[visits]] = True
        self._move(a[visits], -0.15)
        log.event(2, a[visits], day, E.site_visit, detail=EVENT_DETAILS["site_visit"])
        mediates = handling & self.will_mediate[a] & ~self.mediated[a] & (since >= 2) & (
            done >= self.mediation_at[a])
        self.mediated[a[mediates]] = True
        self._move(a[mediates], np.where(since[mediates] <= 10, -0.4, -0.15))
        log.event(3, a[mediates], day, E.mediation, detail=EVENT_DETAILS["mediation"])
        hears = handling & self.will_hear[a] & ~self.heard[a] & (done >= self.hearing_at[a])
        self.heard[a[hears]] = True
        log.event(5, a[hears], day, E.hearing, detail=EVENT_DETAILS["hearing"])

    def _pace(self, a: np.ndarray, speed: np.ndarray) -> np.ndarray:
        """Work done per day: hotline cases with the platform's deadline go first."""
        return speed * np.where((self.rounds[a] == 0) & (self.due[a] >= 0),
                                SOURCE_DEADLINE_PRIORITY, 1.0)

    def _extend(self, rng: np.random.Generator, a: np.ndarray, speed: np.ndarray,
                units: Units, day: int, log: Log) -> None:
        """One extension, asked before the deadline by a unit that sees it will not make
        it; good units see it and ask, slow ones often do not."""
        left = self.deadline[a] - day
        behind = self.work[a] / self._pace(a, speed) > left
        asks = self._handling(a) & ~self.extended[a] & (left >= 1) & (left <= 10) & behind & (
            rng.random(len(a)) < 0.3 * np.exp(units.quality[self.unit[a]]))
        s = a[asks]
        extra = np.array(list(EXTENSIONS))[rng.choice(len(EXTENSIONS), len(s),
                                                      p=list(EXTENSIONS.values()))]
        self.extended[s] = True
        self.deadline[s] += extra
        log.event(4, s, day, E.extended, detail=np.char.mod("延期%d日", extra).astype(object))

    def _escalate(self, rng: np.random.Generator, a: np.ndarray, pressure: np.ndarray,
                  day: int, log: Log) -> None:
        """An open matter taken above its handling level: more when the complainant is
        determined, the case overdue, the complainant never met."""
        since = day - self.accepted_on[a]
        overdue = self.open[a] & self.accepted[a] & (day > self.deadline[a])
        unmet = ~self.met[a] & (since > 10)
        chance = np.minimum(0.0006 * np.exp(pressure) * (1 + 1.5 * overdue) * (1 + 0.8 * unmet),
                            0.08)
        goes = self.open[a] & self.accepted[a] & (since >= 2) & (rng.random(len(a)) < chance)
        s = a[goes]
        went = levels_above(rng, ESCALATION_LEVELS, self.level[s])
        log.event(6, s, day, E.escalated, level=went, parties=self._crowd(rng, s),
                  detail=where_they_went(went))

    def _crowd(self, rng: np.random.Generator, s: np.ndarray) -> np.ndarray:
        parties = self.parties[s]
        crowd: np.ndarray = np.where(parties >= 5, np.maximum(5, np.round(
            parties * rng.uniform(0.6, 1.2, len(s)))), parties).astype(int)
        return crowd

    def _progress(self, rng: np.random.Generator, a: np.ndarray, speed: np.ndarray,
                  pressure: np.ndarray, day: int, log: Log) -> None:
        handling = self._handling(a)
        self.work[a] -= np.where(handling, self._pace(a, speed) * rng.lognormal(
            0.0, 0.3, len(a)), 0.0)
        # a few complainants give up while the case is handled
        withdraws = handling & (rng.random(len(a)) < 0.0015 * np.exp(-pressure))
        self._closed(a[withdraws], day, ClosureType.withdrawn, log)
        done = handling & ~withdraws & (self.work[a] <= 0)
        s = a[done]
        self.opinion[s] = True
        self.opinion_on[s] = day
        favourable = rng.random(len(s)) < FAVOURABLE_BY_CATEGORY[self.category[s]]
        self._move(s, np.where(favourable, -0.8, 0.4))
        log.event(7, s, day, E.opinion_issued, detail=EVENT_DETAILS["opinion_issued"])

    def _reviews(self, rng: np.random.Generator, a: np.ndarray, pressure: np.ndarray,
                 day: int, log: Log) -> None:
        """A review within 30 days of the written opinion, a re-review within 30 days of
        the review's decision: asked by the determined, open or already closed."""
        review, n = self.review[a], len(a)
        asks = self.opinion[a] & (review == NO_REVIEW) & (day - self.opinion_on[a] >= 1) & (
            day - self.opinion_on[a] <= REVIEW_WINDOW_DAYS) & (
            rng.random(n) < np.minimum(0.0008 * np.exp(pressure), 0.4))
        s = a[asks]
        self.review[s], self.review_on[s] = REVIEW_PENDING, day
        log.event(8, s, day, E.review_requested, level=mapped(REVIEW_LEVEL, self.level[s]),
                  detail=EVENT_DETAILS["review_requested"])
        decided = (review == REVIEW_PENDING) & (day > self.review_on[a]) & (
            rng.random(n) < 1 / 18)
        s = a[decided]
        self.review[s], self.review_on[s] = REVIEWED, day
        self._move(s, 0.2)
        log.event(9, s, day, E.review_decided, detail=EVENT_DETAILS["review_decided"])
        asks = (review == REVIEWED) & (day - self.review_on[a] >= 1) & (
            day - self.review_on[a] <= REVIEW_WINDOW_DAYS) & (
            rng.random(n) < np.minimum(0.002 * np.exp(pressure), 0.4))
        s = a[asks]
        self.review[s], self.review_on[s] = REREVIEW_PENDING, day
        log.event(10, s, day, E.rereview_requested, level=mapped(REREVIEW_LEVEL, self.level[s]),
                  detail=EVENT_DETAILS["rereview_requested"])
        decided = (review == REREVIEW_PENDING) & (day > self.review_on[a]) & (
            rng.random(n) < 1 / 18)
        s = a[decided]
        self.review[s], self.review_on[s] = REREVIEWED, day
        log.event(11, s, day, E.rereview_decided, detail=EVENT_DETAILS["rereview_decided"])

    def _settled(self, a: np.ndarray) -> np.ndarray:
        """No review waiting for its decision."""
        return np.isin(self.review[a], (NO_REVIEW, REVIEWED, REREVIEWED))

    def _close(self, rng: np.random.Generator, a: np.ndarray, day: int, log: Log) -> None:
        ready = self.open[a] & self.accepted[a] & self.opinion[a] & self._settled(a)
        reviewed = self.review[a] != NO_REVIEW
        closes = ready & (rng.random(len(a)) < np.where(reviewed, 0.25, 0.4))
        draw = rng.random(len(a))
        agreed = draw < np.where(self.mediated[a], 0.45, 0.12)
        terminated = reviewed & (draw < 0.75) | (self.heard[a] & ~reviewed & (draw < 0.5))
        for kind, rows in ((ClosureType.terminated_after_review, closes & terminated),
                           (ClosureType.agreement_signed, closes & ~terminated & agreed),
                           (ClosureType.resolved, closes & ~terminated & ~agreed)):
            self._closed(a[rows], day, kind, log)

    def _closed(self, s: np.ndarray, day: int, kind: ClosureType, log: Log) -> None:
        self.open[s] = False
        self.closed_on[s] = day
        self.satisfaction[s] = NOT_ASKED
        self.terminated[s] = kind == ClosureType.terminated_after_review
        self._move(s, {ClosureType.agreement_signed: -0.8, ClosureType.resolved: -0.3,
                       ClosureType.terminated_after_review: 0.2,
                       ClosureType.withdrawn: -0.5}[kind])
        log.event(12, s, day, E.closed, detail=kind.value)

    def _follow_up(self, rng: np.random.Generator, a: np.ndarray, pressure: np.ndarray,
                   day: int, log: Log) -> None:
        since = day - self.closed_on[a]
        asks = ~self.open[a] & (self.closed_on[a] >= 0) & (self.satisfaction[a] == NOT_ASKED) & (
            since >= 2) & (since <= 25) & (rng.random(len(a)) < 0.12)
        discontent = pressure + rng.normal(0.0, 0.6, len(a)) + 0.8 * self.terminated[a]
        answer = np.where(discontent > 2.6, UNSATISFIED, np.where(discontent > 1.2, BASICALLY,
                                                                  SATISFIED))
        s = a[asks]
        self.satisfaction[s] = answer[asks]
        self._move(s, np.where(answer[asks] == UNSATISFIED, 0.3, -0.1))
        log.event(13, s, day, E.followed_up,
                  detail=np.array(SATISFACTION, dtype=object)[answer[asks]])

    def _come_back(self, rng: np.random.Generator, a: np.ndarray, pressure: np.ndarray,
                   day: int, log: Log) -> None:
        """A closed matter returns: refiled, reopened on follow-up, or taken above and sent
        back down; most often soon after closing, from the unsatisfied."""
        closed = ~self.open[a] & (self.closed_on[a] >= 0)
        back = closed & (self.reopen_on[a] == day)
        s = a[back]
        self._reopen(s)
        log.event(15, s, day, E.reopened, detail=EVENT_DETAILS["reopened_from_above"])
        since = day - self.closed_on[a]
        unsatisfied = self.satisfaction[a] == UNSATISFIED
        lukewarm = self.satisfaction[a] == BASICALLY
        chance = np.minimum(0.0005 * np.exp(pressure + 1.5 * unsatisfied + 0.5 * lukewarm)
                            * np.exp(-since / 60), 0.1)
        returns = closed & ~back & (self.reopen_on[a] < 0) & (self.rounds[a] < MAX_ROUNDS - 1) & (
            since >= 3) & self._settled(a) & (rng.random(len(a)) < chance)
        s = a[returns]
        how = rng.choice(3, len(s), p=[0.55, 0.25, 0.20])
        refiled, reopened, from_above = s[how == 0], s[how == 1], s[how == 2]
        log.event(14, refiled, day, E.refiled,
                  level=levels_above(rng, REFILING_LEVELS, self.level[refiled]),
                  parties=self._crowd(rng, refiled), detail=EVENT_DETAILS["refiled"])
        log.event(14, reopened, day, E.reopened, detail=EVENT_DETAILS["reopened"])
        self._reopen(np.concatenate([refiled, reopened]))
        went = levels_above(rng, ESCALATION_LEVELS, self.level[from_above])
        log.event(14, from_above, day, E.escalated, level=went,
                  parties=self._crowd(rng, from_above), detail=where_they_went(went))
        self.reopen_on[from_above] = day + rng.integers(3, 21, len(from_above))
        retire = closed & ~back & ~returns & (since > WATCH_DAYS) & (self.reopen_on[a] < 0) & (
            self._settled(a))
        self.active[a[retire]] = False

    def _reopen(self, s: np.ndarray) -> None:
        self.open[s] = True
        self.accepted[s] = False
        self.rounds[s] += 1
        self.closed_on[s] = -1
        self.reopen_on[s] = -1

    def _deadlines(self, a: np.ndarray, day: int, log: Log) -> None:
        """The handling deadline passes on its own day for a case still open at its end."""
        passes = self.open[a] & self.accepted[a] & (self.deadline[a] == day)
        log.passed(a[passes], day)

    def _repeat_filings(self, rng: np.random.Generator, a: np.ndarray, pressure: np.ndarray,
                        day: int, file: Callable[[np.ndarray, int], None]) -> None:
        """The complainant of a live matter calls or writes again: a new case (a repeat)."""
        own = self.original[a]
        since = day - self.closed_on[a]
        live = own & (self.open[a] | ((since <= 90) & (self.satisfaction[a] != SATISFIED)))
        chance = np.minimum(0.0006 * np.exp(pressure), 0.05)
        files = live & (self.repeats[self.matter[a]] < MAX_REPEATS) & (
            rng.random(len(a)) < chance)
        s = a[files]
        self.repeats[self.matter[s]] += 1
        file(s, day)


def levels_above(rng: np.random.Generator, table: dict[EventLevel, dict[EventLevel, float]],
                 handling: np.ndarray) -> np.ndarray:
    weights = np.array([[table.get(EventLevel(h), {}).get(EventLevel(to), 0.0) for to in LEVELS]
                        for h in LEVELS])
    if not len(handling):
        return np.empty(0, dtype=object)
    levels: np.ndarray = np.array(LEVELS, dtype=object)[choose_rows(rng, weights[handling])]
    return levels


def where_they_went(levels: np.ndarray) -> np.ndarray:
    return np.array([ESCALATED_TO[level] for level in levels], dtype=object)


def mapped(table: dict[EventLevel, EventLevel], handling: np.ndarray) -> np.ndarray:
    return np.array([table[EventLevel(LEVELS[h])].value for h in handling], dtype=object)


def matters_of(rng: np.random.Generator, cases: pd.DataFrame) -> tuple[Matters, np.ndarray]:
    """Each case's matter (one each: repeats join later) and its determination at receipt."""
    category = cases["category"].to_numpy()
    parties = cases["parties"].to_numpy()
    level = (per_category(CATEGORY_PRESSURE, CATEGORIES, category) - 0.2
             + 0.6 * (parties >= 5) + 0.5 * (parties >= 20) + 0.2 * cases["complex"].to_numpy()
             + 0.3 * (cases["hotspot"].to_numpy() >= 0)
             + rng.normal(0.0, PERSON_SPREAD, len(cases)))
    matters = Matters(level=level, wages=category == C.wages_labour)
    return matters, level + rng.normal(0.0, START_SPREAD, len(cases))


def new_simulation(rng: np.random.Generator, cases: pd.DataFrame, units: Units,
                   matters: Matters, determination: np.ndarray, calendar: Calendar,
                   capacity: int) -> Simulation:
    """Every case received and waiting for acceptance; room for repeat cases up to
    `capacity` slots."""
    n = len(cases)

    def grown(values: np.ndarray, fill: object) -> np.ndarray:
        out = np.full(capacity, fill, dtype=np.asarray(values).dtype)
        out[:n] = values
        return out

    unit = cases["unit"].to_numpy()
    collective = cases["parties"].to_numpy() >= 5
    difficulty = rng.lognormal(0.0, 0.35, n) * np.where(collective, 1.2, 1.0) * np.where(
        cases["category"].isin([C.land_requisition, C.financial_loss]).to_numpy(), 1.25, 1.0)
    zeros = np.zeros(capacity, dtype=bool)
    minus = np.full(capacity, -1, dtype=np.int64)
    return Simulation(
        n=n, received=grown(cases["day"].to_numpy(np.int64), 0),
        category=grown(pd.Categorical(cases["category"], categories=CATEGORIES).codes
                       .astype(np.int64), 0),
        cell=grown(cases["cell"].to_numpy(np.int64), -1), unit=grown(unit, 0),
        level=grown(np.where(units.levels[unit] == EventLevel.township.value, TOWNSHIP, COUNTY
                             ), TOWNSHIP),
        complex=grown(cases["complex"].to_numpy(bool), False),
        parties=grown(cases["parties"].to_numpy(np.int64), 1),
        channel_screening=grown((cases["channel"] == Channel.screening).to_numpy(), False),
        due=grown(cases["due"].to_numpy(np.int64), -1),
        matter=grown(np.arange(n), 0), original=grown(np.ones(n, dtype=bool), False),
        difficulty=grown(difficulty, 1.0), replicate=np.zeros(capacity, dtype=np.int64),
        active=grown(np.ones(n, dtype=bool), False), open=grown(np.ones(n, dtype=bool), False),
        accepted=zeros.copy(), accepted_on=minus.copy(), deadline=minus.copy(),
        extended=zeros.copy(), rounds=np.zeros(capacity, dtype=np.int64),
        work=np.zeros(capacity), planned=np.zeros(capacity), will_meet=zeros.copy(),
        met=zeros.copy(), site_needed=zeros.copy(), site_at=np.zeros(capacity),
        site=zeros.copy(), will_mediate=zeros.copy(), mediation_at=np.zeros(capacity),
        mediated=zeros.copy(), will_hear=zeros.copy(), hearing_at=np.zeros(capacity),
        heard=zeros.copy(),
        opinion=zeros.copy(), opinion_on=minus.copy(),
        review=np.zeros(capacity, dtype=np.int64), review_on=minus.copy(),
        closed_on=minus.copy(), terminated=zeros.copy(),
        satisfaction=np.zeros(capacity, dtype=np.int64), reopen_on=minus.copy(),
        determination=determination.astype(float).copy(), matters=matters,
        repeats=np.zeros(n, dtype=np.int64),
        festival_run_up=((calendar.to_festival >= -40) & (calendar.to_festival < 0)
                         ).astype(float))


@dataclass(frozen=True)
class Simulated:
    """The county's case files and what only the simulation knows."""

    events: pd.DataFrame  # case (slot), day, minute, type, level, parties, detail
    passings: pd.DataFrame  # case (slot), day
    repeats: pd.DataFrame  # case (slot), origin (slot), day, due: each repeat case filed
    snapshots: dict[int, Simulation]  # state at the end of each asked-for day


def simulate(rng: np.random.Generator, sim: Simulation, world: World, units: Units,
             calendar: Calendar, *, snapshot_days: tuple[int, ...] = ()) -> Simulated:
    """Run the county's days, filing repeat cases as new slots; events stop at the last
    day, so recent cases are still open and some run past their deadline."""
    log = CaseFileLog()
    snapshots = {}

    def file_repeats(origins: np.ndarray, day: int) -> None:
        start = sim.n
        if start + len(origins) > len(sim.received):
            raise RuntimeError("more repeat cases than slots: raise the capacity")
        new = np.arange(start, start + len(origins))
        for name in ("category", "cell", "unit", "level", "complex", "parties", "matter"):
            getattr(sim, name)[new] = getattr(sim, name)[origins]
        sim.received[new] = day
        sim.channel_screening[new] = False
        sim.due[new] = np.where(rng.random(len(new)) < 0.7, day + 15, -1)
        sim.original[new] = False
        sim.difficulty[new] = REPEAT_WORK * sim.difficulty[origins]
        sim.active[new] = sim.open[new] = True
        sim.n += len(new)
        sim.filed.extend(zip(new.tolist(), origins.tolist(), [day] * len(new),
                             sim.due[new].tolist(), strict=True))

    for day in range(calendar.n_days):
        sim.step(rng, world, units, day, log, repeat_filing=file_repeats)
        if day in snapshot_days:
            snapshots[day] = sim.snapshot()
    events = log.frame()
    events = events.iloc[np.lexsort((events["step"], events["day"], events["case"]))]
    filed = np.array(sim.filed, dtype=np.int64).reshape(-1, 4)
    return Simulated(
        events=_times(rng, events.reset_index(drop=True), sim.n), passings=log.passing_frame(),
        repeats=pd.DataFrame({"case": filed[:, 0], "origin": filed[:, 1], "day": filed[:, 2],
                              "due": filed[:, 3]}),
        snapshots=snapshots)


def _times(rng: np.random.Generator, events: pd.DataFrame, n_cases: int) -> pd.DataFrame:
    """Some case files record times of day: increasing within a day, in file order."""
    timed = (rng.random(n_cases) < TIMED_CASE_RATE)[events["case"].to_numpy()]
    minutes = rng.integers(8 * 60 + 30, 18 * 60, len(events))
    keys = (events["case"].to_numpy(), events["day"].to_numpy())
    # rows are already grouped by (case, day) in file order: sort minutes within each group
    ascending = minutes[np.lexsort((minutes, keys[1], keys[0]))]
    events["minute"] = np.where(timed, ascending, -1)
    return events.drop(columns="step")
