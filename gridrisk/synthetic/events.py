"""Case files (case_events.csv), built in vectorised stages over all cases at once.

Each handling round (an acceptance and what follows it) is drawn for every case in that
round together: steps, deadline and extension, opinion, review, closure, follow-up, and
whether the matter comes back (refiled or reopened → the next round). The drivers of
escalation are the ones practitioners name: overdue handling, collective and money or land
matters, complainants never met or met late, no site visit, slow units, hotspot areas and
earlier returns push it up; early meetings and mediation bring it down. Events after
`end_on` are cut, so recent cases are still open and some run past their deadline."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gridrisk.synthetic.calendar import Calendar
from gridrisk.synthetic.draws import choose_rows, per_category, sigmoid, uniform_days
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

#: log-odds a category adds to the grievance's persistence
CATEGORY_PRESSURE: dict[str, float] = {
    C.land_requisition: 0.8, C.financial_loss: 0.9, C.wages_labour: 0.5,
    C.housing_property: 0.5, C.court_related: 0.4, C.veterans: 0.3, C.medical: 0.2,
    C.environment: 0.2, C.social_security: 0.1, C.property_management: 0.0, C.other: -0.4,
}
SITE_VISIT_RATE: dict[str, float] = {
    C.land_requisition: 0.85, C.environment: 0.8, C.housing_property: 0.7,
    C.property_management: 0.6, C.wages_labour: 0.5,
}
NEEDS_SITE_VISIT = (C.land_requisition, C.environment, C.housing_property)
MEDIATION_RATE: dict[str, float] = {
    C.wages_labour: 0.6, C.property_management: 0.6, C.land_requisition: 0.5, C.medical: 0.5,
    C.housing_property: 0.4,
}
OVERRUN_CATEGORIES = (C.land_requisition, C.financial_loss)

LEVELS = tuple(level.value for level in EventLevel)
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

#: order of events within a round, for same-day ties
STAGES = (
    "accepted", "met_complainant", "site_visit", "mediation", "extended", "hearing",
    "escalated", "opinion_issued", "review_requested", "review_decided", "rereview_requested",
    "rereview_decided", "closed", "followed_up", "returned", "reopened_from_above",
)


@dataclass
class _CaseFile:
    """Event columns gathered stage by stage."""

    parts: list[pd.DataFrame] = field(default_factory=list)

    def add(self, case: np.ndarray, day: np.ndarray, stage: str, round_: int, kind: EventType,
            *, level: np.ndarray | str | None = None, parties: np.ndarray | None = None,
            detail: np.ndarray | str | None = None) -> None:
        n = len(case)
        if n == 0:
            return
        self.parts.append(pd.DataFrame({
            "case": case, "day": day,
            "seq": round_ * len(STAGES) + STAGES.index(stage),
            "type": kind.value,
            "level": np.broadcast_to(np.asarray(level, dtype=object), (n,)),
            "parties": np.full(n, np.nan) if parties is None else parties.astype(float),
            "detail": np.broadcast_to(np.asarray(detail, dtype=object), (n,)),
        }))

    def frame(self) -> pd.DataFrame:
        return pd.concat(self.parts, ignore_index=True)


@dataclass(frozen=True)
class _Matter:
    """What each case brings to every round: fixed at receipt."""

    category: np.ndarray
    parties: np.ndarray
    complex: np.ndarray
    slow: np.ndarray
    level: np.ndarray  # handling level of the responsible unit
    pressure: np.ndarray  # category, crowd, hotspot and the matter's own weight (log-odds)


def draw_case_files(
    rng: np.random.Generator, cases: pd.DataFrame, units: Units, calendar: Calendar
) -> pd.DataFrame:
    """Events cut at the window's end, in file order. Columns: case (position in `cases`),
    day, minute (minutes after midnight, or −1 for a date-only entry), type, level, parties,
    detail."""
    matter = _matter(rng, cases, units)
    log = _CaseFile()
    received = cases["day"].to_numpy()
    case, accepted_on = _acceptance(rng, cases, matter, received, log)
    for round_ in range(MAX_ROUNDS):
        if len(case) == 0:
            break
        case, accepted_on = _handling_round(rng, matter, case, accepted_on, round_,
                                            round_ < MAX_ROUNDS - 1, log)
        keep = accepted_on <= calendar.last_day
        case, accepted_on = case[keep], accepted_on[keep]
    events = log.frame()
    events = events[events["day"] <= calendar.last_day]
    events = events.iloc[np.lexsort((events["seq"], events["day"], events["case"]))]
    return _times(rng, events.reset_index(drop=True), len(cases))


def _matter(rng: np.random.Generator, cases: pd.DataFrame, units: Units) -> _Matter:
    unit = cases["unit"].to_numpy()
    category = cases["category"].to_numpy()
    parties = cases["parties"].to_numpy()
    hotspot = cases["hotspot"].to_numpy() >= 0
    pressure = (
        per_category(CATEGORY_PRESSURE, CATEGORIES, category)
        + 0.6 * (parties >= 5) + 0.5 * (parties >= 20) + 0.5 * hotspot
        + 0.2 * cases["complex"].to_numpy()
        + rng.logistic(0.0, 0.8, len(cases))
    )
    return _Matter(category=category, parties=parties, complex=cases["complex"].to_numpy(),
                   slow=units.slow[unit], level=units.levels[unit], pressure=pressure)


def _acceptance(
    rng: np.random.Generator, cases: pd.DataFrame, matter: _Matter, received: np.ndarray,
    log: _CaseFile,
) -> tuple[np.ndarray, np.ndarray]:
    """Accept (usually within days, slow units later, a few past 15 days) or decline."""
    n = len(cases)
    slow = matter.slow
    delay = rng.geometric(np.where(slow, 0.2, 0.45)) - 1
    delay = np.where((cases["channel"] == Channel.screening).to_numpy(),
                     rng.geometric(0.7, n) - 1, delay)
    late = rng.random(n) < np.where(slow, 0.10, 0.025)
    delay = np.where(late, uniform_days(rng, 16, 30, n), delay)
    day = received + delay
    has_channel = np.isin(matter.category, list(NOT_ACCEPTED))
    declined = rng.random(n) < np.where(has_channel, 0.06, 0.022)
    case = np.arange(n)
    reasons = np.array([NOT_ACCEPTED.get(c, NOT_ACCEPTED_OTHERWISE) for c in CATEGORIES],
                       dtype=object)[pd.Categorical(matter.category, categories=CATEGORIES).codes]
    log.add(case[declined], day[declined], "accepted", 0, E.not_accepted,
            detail=reasons[declined])
    log.add(case[~declined], day[~declined], "accepted", 0, E.accepted,
            detail=EVENT_DETAILS["accepted"])
    return case[~declined], day[~declined]


def _handling_round(
    rng: np.random.Generator, matter: _Matter, case: np.ndarray, accepted: np.ndarray,
    round_: int, may_return: bool, log: _CaseFile,
) -> tuple[np.ndarray, np.ndarray]:
    """One acceptance to closure and follow-up; returns the cases that come back and the day
    they are accepted again."""
    n = len(case)
    category = matter.category[case]
    slow = matter.slow[case]
    complex_ = matter.complex[case]
    collective = matter.parties[case] >= 5
    level = matter.level[case]
    limit = np.where(complex_, COMPLEX_HANDLING_DAYS, HANDLING_DAYS)

    # how long handling takes, and whether it overruns the limit
    overrun_odds = (-3.1 + 1.4 * slow + 0.5 * complex_ + 0.4 * collective
                    + 0.4 * np.isin(category, OVERRUN_CATEGORIES) + 0.3 * round_)
    overruns = rng.random(n) < sigmoid(overrun_odds)
    on_time_days = np.clip(np.round(limit * rng.beta(2.2, 2.0, n)), 3, limit)
    handling = np.where(overruns, limit + rng.geometric(1 / 18, n), on_time_days).astype(int)
    opinion = accepted + handling

    # steps before the opinion
    met_delay = rng.geometric(np.where(slow, 1 / 10, 1 / 3)) - 1
    met = (rng.random(n) < np.where(round_ > 0, 0.95, np.where(slow, 0.65, 0.9)))
    met &= accepted + met_delay <= opinion
    site_rate = per_category(SITE_VISIT_RATE, CATEGORIES, category, 0.35)
    site = rng.random(n) < site_rate * np.where(slow, 0.7, 1.0)
    site_day = np.minimum(uniform_days(rng, accepted + 1, accepted + 0.6 * limit, n), opinion)
    mediated = rng.random(n) < per_category(MEDIATION_RATE, CATEGORIES, category, 0.25)
    mediation_day = np.minimum(uniform_days(rng, accepted + 2, accepted + 0.7 * limit, n),
                               opinion)
    heard = rng.random(n) < 0.02 + 0.08 * complex_
    hearing_day = np.minimum(uniform_days(rng, accepted + limit // 2, accepted + 0.9 * limit, n),
                             opinion)

    # one extension, filed before the deadline, mostly when handling will overrun
    extends = rng.random(n) < np.where(overruns, np.where(slow, 0.35, 0.6), 0.03)
    extends &= handling >= 3
    extra_days = np.array(list(EXTENSIONS))[
        rng.choice(len(EXTENSIONS), n, p=list(EXTENSIONS.values()))]
    extension_day = np.where(
        overruns,
        uniform_days(rng, np.maximum(accepted + 1, accepted + limit - 10), accepted + limit - 1, n),
        uniform_days(rng, accepted + 1, opinion - 1, n),
    )
    deadline = accepted + limit + np.where(extends, extra_days, 0)

    # the grievance's persistence: everything that makes a complainant carry on
    persistence = (
        matter.pressure[case] - 0.6 + 0.8 * round_ + 0.5 * slow
        + 0.9 * ~met + 0.4 * (met & (met_delay > 10)) - 0.5 * (met & (met_delay <= 5))
        + 0.6 * (~site & np.isin(category, NEEDS_SITE_VISIT))
        - 0.4 * (mediated & (mediation_day - accepted <= 10))
        + 0.9 * (opinion > deadline)
    )

    withdrawn = rng.random(n) < 0.06
    reviewed = ~withdrawn & (rng.random(n) < sigmoid(persistence - 3.9))
    rereviewed = reviewed & (rng.random(n) < sigmoid(persistence - 2.3))
    review_asked = opinion + uniform_days(rng, 3, 30, n)
    review_done = review_asked + uniform_days(rng, 10, 30, n)
    rereview_asked = review_done + uniform_days(rng, 3, 30, n)
    rereview_done = rereview_asked + uniform_days(rng, 10, 30, n)
    last_decision = np.where(rereviewed, rereview_done, review_done)
    closed = np.where(
        withdrawn, opinion,
        np.where(reviewed, last_decision + uniform_days(rng, 1, 7, n),
                 opinion + uniform_days(rng, 0, 2, n)),
    )
    closure = _closures(rng, withdrawn, reviewed, rereviewed, heard, mediated)

    # complainants take an unresolved, overdue matter above the handling level
    overdue = closed > deadline
    escalates = rng.random(n) < sigmoid(persistence - 3.9 + 1.0 * overdue)
    escalates &= closed - accepted >= 3
    after_deadline = overdue & (closed - deadline >= 2) & (rng.random(n) < 0.7)
    escalation_day = np.where(after_deadline,
                              uniform_days(rng, deadline + 1, closed - 1, n),
                              uniform_days(rng, accepted + 2, closed - 1, n))

    followed = rng.random(n) < np.where(withdrawn, 0.5, 0.92)
    follow_day = closed + uniform_days(rng, 2, 20, n)
    discontent = (persistence + rng.normal(0.0, 0.8, n)
                  + 0.8 * (closure == ClosureType.terminated_after_review))
    satisfaction = np.where(discontent > 3.3, "unsatisfied",
                            np.where(discontent > 1.8, "basically_satisfied", "satisfied"))
    unsatisfied = followed & (satisfaction == "unsatisfied")
    lukewarm = followed & (satisfaction == "basically_satisfied")

    returns = may_return & (rng.random(n) < sigmoid(
        persistence - 3.6 + 1.8 * unsatisfied + 0.6 * lukewarm + 0.3 * withdrawn))
    how = rng.choice(3, n, p=[0.55, 0.25, 0.20])  # refiled, reopened, escalated then reopened
    return_day = np.maximum(closed, np.where(followed, follow_day, closed)) + np.minimum(
        rng.geometric(1 / 40, n) + 4, 180)
    reopen_day = np.where(how == 2, return_day + uniform_days(rng, 3, 20, n), return_day)
    again = np.where(how == 0, return_day + uniform_days(rng, 0, 7, n),
                     reopen_day + uniform_days(rng, 0, 2, n))

    parties = matter.parties[case]
    crowd = np.where(parties >= 5, np.maximum(5, np.round(parties * rng.uniform(0.6, 1.2, n))),
                     parties)
    add = log.add
    r = round_
    add(case[met], (accepted + met_delay)[met], "met_complainant", r, E.met_complainant,
        detail=EVENT_DETAILS["met_complainant"])
    add(case[site], site_day[site], "site_visit", r, E.site_visit,
        detail=EVENT_DETAILS["site_visit"])
    add(case[mediated], mediation_day[mediated], "mediation", r, E.mediation,
        detail=EVENT_DETAILS["mediation"])
    add(case[heard], hearing_day[heard], "hearing", r, E.hearing, detail=EVENT_DETAILS["hearing"])
    add(case[extends], extension_day[extends], "extended", r, E.extended,
        detail=np.char.mod("延期%d日", extra_days[extends]).astype(object))
    went_to = _levels(rng, ESCALATION_LEVELS, level[escalates])
    add(case[escalates], escalation_day[escalates], "escalated", r, E.escalated,
        level=went_to, parties=crowd[escalates], detail=_where_they_went(went_to))
    spoke = ~withdrawn
    add(case[spoke], opinion[spoke], "opinion_issued", r, E.opinion_issued,
        detail=EVENT_DETAILS["opinion_issued"])
    add(case[reviewed], review_asked[reviewed], "review_requested", r, E.review_requested,
        level=_mapped(REVIEW_LEVEL, level[reviewed]), detail=EVENT_DETAILS["review_requested"])
    add(case[reviewed], review_done[reviewed], "review_decided", r, E.review_decided,
        detail=EVENT_DETAILS["review_decided"])
    add(case[rereviewed], rereview_asked[rereviewed], "rereview_requested", r,
        E.rereview_requested, level=_mapped(REREVIEW_LEVEL, level[rereviewed]),
        detail=EVENT_DETAILS["rereview_requested"])
    add(case[rereviewed], rereview_done[rereviewed], "rereview_decided", r, E.rereview_decided,
        detail=EVENT_DETAILS["rereview_decided"])
    add(case, closed, "closed", r, E.closed, detail=closure)
    add(case[followed], follow_day[followed], "followed_up", r, E.followed_up,
        detail=satisfaction[followed].astype(object))

    refiled = returns & (how == 0)
    add(case[refiled], return_day[refiled], "returned", r, E.refiled,
        level=_levels(rng, REFILING_LEVELS, level[refiled]), parties=crowd[refiled],
        detail=EVENT_DETAILS["refiled"])
    reopened = returns & (how == 1)
    add(case[reopened], return_day[reopened], "returned", r, E.reopened,
        detail=EVENT_DETAILS["reopened"])
    from_above = returns & (how == 2)
    went_to = _levels(rng, ESCALATION_LEVELS, level[from_above])
    add(case[from_above], return_day[from_above], "returned", r, E.escalated,
        level=went_to, parties=crowd[from_above], detail=_where_they_went(went_to))
    add(case[from_above], reopen_day[from_above], "reopened_from_above", r, E.reopened,
        detail=EVENT_DETAILS["reopened_from_above"])
    add(case[returns], again[returns], "accepted", r + 1, E.accepted,
        detail=EVENT_DETAILS["accepted_again"])
    return case[returns], again[returns]


def _closures(rng: np.random.Generator, withdrawn: np.ndarray, reviewed: np.ndarray,
              rereviewed: np.ndarray, heard: np.ndarray, mediated: np.ndarray) -> np.ndarray:
    """Closure type: terminated after review or a hearing, agreements after mediation."""
    n = len(withdrawn)
    draw = rng.random(n)
    agreed = draw < np.where(mediated, 0.45, 0.12)
    closure = np.where(agreed, ClosureType.agreement_signed.value, ClosureType.resolved.value)
    terminated = rereviewed | (reviewed & (draw < 0.6)) | (heard & ~reviewed & (draw < 0.5))
    closure = np.where(reviewed & ~terminated, ClosureType.resolved.value, closure)
    closure = np.where(terminated, ClosureType.terminated_after_review.value, closure)
    return np.where(withdrawn, ClosureType.withdrawn.value, closure).astype(object)


def _levels(rng: np.random.Generator, table: dict[EventLevel, dict[EventLevel, float]],
            handling: np.ndarray) -> np.ndarray:
    weights = np.array([[table.get(EventLevel(h), {}).get(EventLevel(to), 0.0) for to in LEVELS]
                        for h in LEVELS])
    rows = np.array([LEVELS.index(h) for h in handling], dtype=int)
    return np.array(LEVELS, dtype=object)[choose_rows(rng, weights[rows])]


def _where_they_went(levels: np.ndarray) -> np.ndarray:
    return np.array([ESCALATED_TO[level] for level in levels], dtype=object)


def _mapped(table: dict[EventLevel, EventLevel], handling: np.ndarray) -> np.ndarray:
    return np.array([table[EventLevel(h)].value for h in handling], dtype=object)


def _times(rng: np.random.Generator, events: pd.DataFrame, n_cases: int) -> pd.DataFrame:
    """Some case files record times of day: increasing within a day, in file order."""
    timed = (rng.random(n_cases) < TIMED_CASE_RATE)[events["case"].to_numpy()]
    minutes = rng.integers(8 * 60 + 30, 18 * 60, len(events))
    keys = (events["case"].to_numpy(), events["day"].to_numpy())
    # rows are already grouped by (case, day) in file order: sort minutes within each group
    ascending = minutes[np.lexsort((minutes, keys[1], keys[0]))]
    events["minute"] = np.where(timed, ascending, -1)
    return events.drop(columns="seq")
