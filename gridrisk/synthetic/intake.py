"""Cases as they come in: when, what, where, how many people, and who handles them.

Background cases follow each category's season and where its people live (property
management in communities, land in villages); hotspot cases follow their hotspot's own
rise and fall. Location columns are drawn later (`locations.py`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridrisk.synthetic.calendar import Calendar
from gridrisk.synthetic.draws import choose, choose_rows, fill, per_category
from gridrisk.synthetic.geography import STREET, XIANG, Geography
from gridrisk.synthetic.hidden import unit_quality
from gridrisk.synthetic.hotspots import Hotspot
from gridrisk.synthetic.names import person_names
from gridrisk.synthetic.texts import (
    CASE_SUMMARIES,
    HOTSPOT_SUMMARIES,
    MILD,
    PRESSING,
    VILLAGE_GROUPS,
    WORK_SITES,
)
from gridrisk.vocab import Category, Channel, EventLevel, RegionLevel

C = Category
CATEGORIES = tuple(c.value for c in Category)
CHANNELS = tuple(c.value for c in Channel)

BACKGROUND_MIX: dict[str, float] = {
    C.land_requisition: 0.10, C.wages_labour: 0.12, C.housing_property: 0.07,
    C.property_management: 0.10, C.social_security: 0.12, C.medical: 0.06,
    C.environment: 0.07, C.veterans: 0.04, C.financial_loss: 0.04, C.court_related: 0.07,
    C.other: 0.21,
}
HOTSPOT_SHARE = 0.22
#: (community, village) weight per household
LEVEL_AFFINITY: dict[str, tuple[float, float]] = {
    C.property_management: (5.0, 0.25), C.housing_property: (2.5, 0.5),
    C.land_requisition: (0.3, 1.3),
}
COLLECTIVE_RATE: dict[str, float] = {
    C.land_requisition: 0.15, C.wages_labour: 0.18, C.housing_property: 0.15,
    C.property_management: 0.12, C.financial_loss: 0.20, C.environment: 0.12,
}
OTHER_COLLECTIVE_RATE = 0.03
HEAVY = (C.land_requisition, C.financial_loss, C.housing_property, C.court_related)
#: hotline and online cases whose source system sets its own handling deadline (办结时限)
SOURCE_DEADLINE_CHANNELS = (Channel.phone, Channel.online)
SOURCE_DEADLINE_SHARE = 0.6
SOURCE_DEADLINE_DAYS = {15: 0.7, 10: 0.15, 20: 0.15}
CHANNEL_MIX: dict[str, float] = {
    Channel.visit: 0.20, Channel.letter: 0.06, Channel.phone: 0.22, Channel.online: 0.26,
    Channel.reception: 0.07, Channel.screening: 0.08, Channel.referral: 0.11,
}

TOWNSHIP_GOVERNMENT = "township"
BUREAUS = ("县人社局", "县住建局", "县自然资源局", "县卫健委", "县生态环境分局", "县退役军人事务局",
           "县医保局", "县民政局", "县公安局", "县市场监管局", "县人民法院", "县农业农村局")
#: who handles a category: the township government (属地) or a county bureau (主管)
HANDLERS: dict[str, dict[str, float]] = {
    C.land_requisition: {TOWNSHIP_GOVERNMENT: 0.65, "县自然资源局": 0.35},
    C.wages_labour: {TOWNSHIP_GOVERNMENT: 0.3, "县人社局": 0.7},
    C.housing_property: {TOWNSHIP_GOVERNMENT: 0.3, "县住建局": 0.7},
    C.property_management: {TOWNSHIP_GOVERNMENT: 0.6, "县住建局": 0.4},
    C.social_security: {TOWNSHIP_GOVERNMENT: 0.2, "县人社局": 0.45, "县医保局": 0.2,
                        "县民政局": 0.15},
    C.medical: {TOWNSHIP_GOVERNMENT: 0.2, "县卫健委": 0.8},
    C.environment: {TOWNSHIP_GOVERNMENT: 0.4, "县生态环境分局": 0.6},
    C.veterans: {TOWNSHIP_GOVERNMENT: 0.2, "县退役军人事务局": 0.8},
    C.financial_loss: {TOWNSHIP_GOVERNMENT: 0.3, "县公安局": 0.5, "县市场监管局": 0.2},
    C.court_related: {TOWNSHIP_GOVERNMENT: 0.15, "县人民法院": 0.85},
    C.other: {TOWNSHIP_GOVERNMENT: 0.8, "县农业农村局": 0.1, "县市场监管局": 0.1},
}
SLOW_TOWNSHIP_SHARE = 0.2
N_SLOW_BUREAUS = 2
OFFICIALS_PER_UNIT = 3


@dataclass(frozen=True)
class Units:
    """Responsible units: township governments first (by township position), then bureaus.

    A slow unit works cases more slowly (hidden.unit_quality): it accepts late, meets
    complainants less and overruns deadlines more."""

    names: np.ndarray
    levels: np.ndarray  # EventLevel the unit works at
    slow: np.ndarray  # bool
    officials: np.ndarray  # (n_units, OFFICIALS_PER_UNIT)
    quality: np.ndarray  # log speed (hidden)


def build_units(rng: np.random.Generator, geography: Geography) -> Units:
    kinds = geography.townships["kind"].to_numpy()
    governments = [
        name + ("办事处" if kind == STREET else "人民政府")
        for name, kind in zip(geography.townships["name"], kinds, strict=True)
    ]
    names = np.array([*governments, *BUREAUS], dtype=object)
    n_townships = len(governments)
    levels = np.where(np.arange(len(names)) < n_townships, EventLevel.township.value,
                      EventLevel.county.value).astype(object)
    slow = np.zeros(len(names), dtype=bool)
    n_slow = max(1, round(SLOW_TOWNSHIP_SHARE * n_townships))
    # remote xiang are more often under-staffed
    remote = np.where(kinds == XIANG, 2.0, 1.0)
    slow[rng.choice(n_townships, n_slow, replace=False, p=remote / remote.sum())] = True
    slow[n_townships + rng.choice(len(BUREAUS), N_SLOW_BUREAUS, replace=False)] = True
    officials = np.array(person_names(rng, OFFICIALS_PER_UNIT * len(names)), dtype=object)
    return Units(names=names, levels=levels, slow=slow,
                 officials=officials.reshape(len(names), OFFICIALS_PER_UNIT),
                 quality=unit_quality(rng, slow))


def draw_cases(
    rng: np.random.Generator, geography: Geography, calendar: Calendar,
    hotspots: list[Hotspot], units: Units, n_expected: int,
) -> pd.DataFrame:
    """Cases in order of receipt (ids come once every case is known: county.py). Columns:
    day tiebreak category cell village township hotspot (−1 for none) parties complex
    channel due (day of the source's deadline, −1 for none) unit official summary."""
    n_total = int(rng.poisson(n_expected))
    n_hotspot = int(rng.binomial(n_total, HOTSPOT_SHARE)) if hotspots else 0
    cases = pd.concat(
        [_background(rng, geography, calendar, n_total - n_hotspot),
         _in_hotspots(rng, geography, calendar, hotspots, n_hotspot)],
        ignore_index=True,
    )
    cells = geography.cells
    cases["village"] = cells["village"].to_numpy()[cases["cell"].to_numpy()]
    cases["township"] = geography.villages["township"].to_numpy()[cases["village"].to_numpy()]
    cases = cases.assign(tiebreak=rng.random(len(cases))).sort_values(
        ["day", "tiebreak"], ignore_index=True)
    cases["parties"] = _parties(rng, cases, hotspots)
    collective = cases["parties"].to_numpy() >= 5
    heavy = cases["category"].isin([str(c) for c in HEAVY]).to_numpy()
    cases["complex"] = rng.random(len(cases)) < 0.09 + 0.12 * collective + 0.08 * heavy
    cases["channel"] = _channels(rng, cases)
    cases["due"] = source_deadlines(rng, cases["day"].to_numpy(), cases["channel"].to_numpy())
    cases["unit"] = _units(rng, cases, units, len(geography.townships))
    cases["official"] = units.officials[
        cases["unit"].to_numpy(), rng.integers(OFFICIALS_PER_UNIT, size=len(cases))]
    cases["summary"] = _summaries(rng, cases, geography, hotspots)
    return cases


def _background(
    rng: np.random.Generator, geography: Geography, calendar: Calendar, n: int
) -> pd.DataFrame:
    """Day and category from season × weekday; cell from where the category's people live."""
    intensity = np.array([BACKGROUND_MIX[c] for c in CATEGORIES])[:, None] * np.vstack(
        [_season(c, calendar) for c in CATEGORIES])
    intensity *= calendar.intake_factor() * (1 + 0.1 * np.arange(calendar.n_days)
                                             / calendar.n_days)
    flat = intensity.ravel() / intensity.sum()
    picks = np.repeat(np.arange(flat.size), rng.multinomial(n, flat))
    category, day = np.divmod(picks, calendar.n_days)
    cell = np.empty(n, dtype=int)
    village_factor = rng.gamma(3.0, 1 / 3, len(geography.villages))
    cell_share = _cell_shares(rng, geography)
    for c, name in enumerate(CATEGORIES):
        members = np.flatnonzero(category == c)
        weights = _cell_weights(geography, name, village_factor, cell_share)
        cell[members] = rng.choice(len(weights), size=len(members), p=weights / weights.sum())
    return pd.DataFrame({"day": day, "category": np.array(CATEGORIES, dtype=object)[category],
                         "cell": cell, "hotspot": -1})


def _season(category: str, calendar: Calendar) -> np.ndarray:
    """Relative intake by day: wage claims climb before Spring Festival, smells in summer."""
    month = calendar.month
    if category == C.wages_labour:
        before = 1 + 2.2 * np.exp(-0.5 * ((calendar.to_festival + 20) / 14) ** 2)
        return np.where((calendar.to_festival >= 0) & (calendar.to_festival < 15), 0.6, before)
    if category == C.land_requisition:
        return np.where(np.isin(month, (3, 4, 5)), 1.3, 1.0)
    if category == C.environment:
        return np.where(np.isin(month, (6, 7, 8)), 1.6, 1.0)
    if category == C.property_management:
        return np.where(np.isin(month, (11, 12, 1)), 1.25, 1.0)
    if category == C.social_security:
        return np.where(month == 1, 1.3, np.where(month == 7, 1.2, 1.0))
    return np.ones(calendar.n_days)


def _cell_shares(rng: np.random.Generator, geography: Geography) -> np.ndarray:
    """Each cell's share of its village's people (random, summing to one per village)."""
    raw = rng.gamma(3.0, 1.0, len(geography.cells))
    village = geography.cells["village"].to_numpy()
    share: np.ndarray = raw / np.bincount(village, weights=raw)[village]
    return share


def _cell_weights(
    geography: Geography, category: str, village_factor: np.ndarray, cell_share: np.ndarray
) -> np.ndarray:
    villages = geography.villages
    community_weight, village_weight = LEVEL_AFFINITY.get(category, (1.0, 1.0))
    is_community = (villages["level"] == RegionLevel.community.value).to_numpy()
    per_village = (villages["households"].to_numpy() * village_factor
                   * np.where(is_community, community_weight, village_weight))
    per_cell: np.ndarray = per_village[geography.cells["village"].to_numpy()] * cell_share
    return per_cell


def _in_hotspots(
    rng: np.random.Generator, geography: Geography, calendar: Calendar,
    hotspots: list[Hotspot], n: int,
) -> pd.DataFrame:
    if not hotspots:
        return pd.DataFrame({"day": np.empty(0, int), "category": np.empty(0, object),
                             "cell": np.empty(0, int), "hotspot": np.empty(0, int)})
    counts = rng.multinomial(n, np.full(len(hotspots), 1 / len(hotspots)))
    cell_village = geography.cells["village"].to_numpy()
    households = geography.villages["households"].to_numpy()[cell_village]
    frames = []
    for h, (hotspot, count) in enumerate(zip(hotspots, counts, strict=True)):
        profile = hotspot.profile * calendar.intake_factor()
        day = rng.choice(calendar.n_days, size=count, p=profile / profile.sum())
        cells = np.flatnonzero(np.isin(cell_village, hotspot.villages))
        weights = households[cells].astype(float)
        frames.append(pd.DataFrame({
            "day": day,
            "category": choose(rng, hotspot.categories, count),
            "cell": cells[rng.choice(len(cells), size=count, p=weights / weights.sum())],
            "hotspot": h,
        }))
    return pd.concat(frames, ignore_index=True)


def source_deadlines(rng: np.random.Generator, day: np.ndarray, channel: np.ndarray
                     ) -> np.ndarray:
    """The day a hotline or online platform wants the case handled by (−1 for none)."""
    n = len(day)
    given = np.isin(channel, SOURCE_DEADLINE_CHANNELS) & (rng.random(n) < SOURCE_DEADLINE_SHARE)
    days = np.array(list(SOURCE_DEADLINE_DAYS))[rng.choice(
        len(SOURCE_DEADLINE_DAYS), n, p=list(SOURCE_DEADLINE_DAYS.values()))]
    return np.where(given, day + days, -1)


def with_hints(rng: np.random.Generator, summaries: np.ndarray, determination: np.ndarray
               ) -> np.ndarray:
    """A summary says, sometimes, how hard its complainant presses: a determined one is
    more often written down as 多次反映未果 or 要求赴省反映, a calm one as 咨询相关政策; many
    say neither, and the words sometimes mislead."""
    n = len(summaries)
    draw = rng.random(n)
    pressing = draw < 0.04 + 0.5 / (1 + np.exp(-(determination - 1.6) * 1.5))
    mild = ~pressing & (draw > 1 - (0.05 + 0.3 / (1 + np.exp(determination * 1.5))))
    words = np.where(pressing, np.array(PRESSING, dtype=object)[
        rng.integers(len(PRESSING), size=n)], np.array(MILD, dtype=object)[
        rng.integers(len(MILD), size=n)])
    return np.where(pressing | mild, summaries + "，" + words, summaries).astype(object)


def case_ids(calendar: Calendar, day: np.ndarray) -> np.ndarray:
    """XF + date received + number within the day: XF202503140012."""
    first_of_day = np.r_[0, np.flatnonzero(np.diff(day)) + 1]
    number = np.arange(len(day)) - np.repeat(first_of_day, np.diff(np.r_[first_of_day, len(day)]))
    stamp = np.char.replace(np.datetime_as_string(calendar.dates[day]), "-", "")
    return np.char.add(np.char.add("XF", stamp), np.char.zfill((number + 1).astype(str), 4)
                       ).astype(object)


def _parties(rng: np.random.Generator, cases: pd.DataFrame, hotspots: list[Hotspot]
             ) -> np.ndarray:
    """Mostly one to three people; collective (≥ 5) more often on land, wages and hotspots."""
    collective_rate = per_category(COLLECTIVE_RATE, CATEGORIES, cases["category"].to_numpy(),
                                   OTHER_COLLECTIVE_RATE)
    hotspot = cases["hotspot"].to_numpy()
    hotspot_rate = np.array([h.collective_rate for h in hotspots] + [0.0])[hotspot]
    collective_rate = np.where(hotspot >= 0, hotspot_rate, collective_rate)
    n = len(cases)
    few = rng.choice([1, 2, 3, 4], size=n, p=[0.70, 0.17, 0.09, 0.04])
    group = 4 + rng.geometric(1 / 5, size=n)
    crowd = 19 + rng.geometric(1 / 25, size=n)
    many = np.where(rng.random(n) < 0.2, crowd, group)
    return np.where(rng.random(n) < collective_rate, many, few)


def _channels(rng: np.random.Generator, cases: pd.DataFrame) -> np.ndarray:
    """Groups come in person; court and money matters are often referred from above."""
    n = len(cases)
    weights = np.tile([CHANNEL_MIX[c] for c in Channel], (n, 1))
    collective = cases["parties"].to_numpy() >= 5
    weights[collective, CHANNELS.index(Channel.visit)] *= 2.5
    weights[collective, CHANNELS.index(Channel.reception)] *= 1.5
    from_above = cases["category"].isin([C.financial_loss, C.court_related]).to_numpy()
    weights[from_above, CHANNELS.index(Channel.referral)] *= 1.8
    channels: np.ndarray = np.array(CHANNELS, dtype=object)[choose_rows(rng, weights)]
    return channels


def _units(rng: np.random.Generator, cases: pd.DataFrame, units: Units,
           n_townships: int) -> np.ndarray:
    """Position in `units`: the case's township government or the bureau in charge."""
    columns = (TOWNSHIP_GOVERNMENT, *BUREAUS)
    matrix = np.array([[HANDLERS[c].get(u, 0.0) for u in columns] for c in CATEGORIES])
    codes = pd.Categorical(cases["category"], categories=CATEGORIES).codes
    column = choose_rows(rng, matrix[codes])
    return np.where(column == 0, cases["township"].to_numpy(), n_townships + column - 1)


def _summaries(
    rng: np.random.Generator, cases: pd.DataFrame, geography: Geography,
    hotspots: list[Hotspot],
) -> np.ndarray:
    n = len(cases)
    category = cases["category"].to_numpy()
    hotspot = cases["hotspot"].to_numpy()
    village = cases["village"].to_numpy()
    is_community = (geography.villages["level"].to_numpy()[village]
                    == RegionLevel.community.value)
    group = np.array(VILLAGE_GROUPS, dtype=object)[rng.integers(len(VILLAGE_GROUPS), size=n)]
    place = geography.villages["name"].to_numpy()[village] + np.where(is_community, "", group)
    labels = np.array([h.label for h in hotspots] + [""], dtype=object)
    slots = {
        "amount": np.char.mod("%.2f", rng.lognormal(np.log(6.0), 0.9, n)).astype(object),
        "area": np.char.mod("%.2f", rng.lognormal(np.log(2.5), 0.6, n)).astype(object),
        "home": place,
        "when": np.char.add(np.char.add(rng.integers(2018, 2026, n).astype(str), "年"),
                            np.char.add(rng.integers(1, 13, n).astype(str), "月")
                            ).astype(object),
        "room": np.char.mod("%d号楼", rng.integers(1, 31, n)).astype(object)
        + np.char.mod("%d单元", rng.integers(1, 5, n)).astype(object)
        + np.char.mod("%d", rng.integers(1, 19, n) * 100 + rng.integers(1, 5, n)
                      ).astype(object),
        "site": np.array(WORK_SITES, dtype=object)[rng.integers(len(WORK_SITES), size=n)],
    }
    pick = rng.random(n)
    summaries = np.empty(n, dtype=object)
    own = np.zeros(n, dtype=bool)
    for h, spot in enumerate(hotspots):
        for name, templates in HOTSPOT_SUMMARIES[spot.kind].items():
            rows = (hotspot == h) & (category == name)
            own |= rows
            _fill_rows(summaries, rows, templates, pick, {**slots, "place": labels[hotspot]})
    for name, templates in CASE_SUMMARIES.items():
        _fill_rows(summaries, (category == name) & ~own, templates, pick,
                   {**slots, "place": place})
    return summaries


def _fill_rows(summaries: np.ndarray, rows: np.ndarray, templates: tuple[str, ...],
               pick: np.ndarray, slots: dict[str, np.ndarray]) -> None:
    which = np.minimum((pick * len(templates)).astype(int), len(templates) - 1)
    for t, template in enumerate(templates):
        chosen = rows & (which == t)
        summaries[chosen] = fill(template, {k: v[chosen] for k, v in slots.items()},
                                 int(chosen.sum()))
