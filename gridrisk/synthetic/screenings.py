"""Weekly screening of every cell by its grid worker (screenings.csv).

Workers miss weeks in runs (leave, other duties), some far more than others, and more over
Spring Festival, so coverage varies from cell to cell as it does in the field. A case that
came in through screening is tied to its cell's latest screening on or before its receipt.
Where a cell's hidden tension runs high, workers find more disputes, more of them serious,
and sometimes note that feelings run high: a hint, never the tension itself."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridrisk.synthetic.calendar import Calendar
from gridrisk.synthetic.draws import choose, only_where
from gridrisk.synthetic.geography import Geography
from gridrisk.synthetic.hotspots import Hotspot
from gridrisk.synthetic.locations import CellShapes, point_in_cells
from gridrisk.synthetic.texts import SCREENING_FINDINGS, SCREENING_OUTCOMES, TENSE_NOTE
from gridrisk.vocab import Category, Channel, Outcome, Severity

C = Category
WEEKDAY_HABIT = (0.2, 0.2, 0.2, 0.2, 0.14, 0.04, 0.02)
#: a worker who missed last week misses again this week with this chance
MISS_PERSISTENCE = 0.55
FESTIVAL_MISS = 0.35
CELL_MISS = 0.02
#: days a screening case may be registered after the screening that found it
LINK_WINDOW_DAYS = 9
FOUND_RATE = 0.05
#: how strongly a cell's tension shows in what its screenings find
TENSION_FINDS = 0.6
FINDINGS_MIX: dict[str, float] = {
    C.other: 0.45, C.land_requisition: 0.08, C.wages_labour: 0.10,
    C.property_management: 0.10, C.housing_property: 0.04, C.social_security: 0.06,
    C.environment: 0.07, C.medical: 0.03, C.financial_loss: 0.02, C.veterans: 0.02,
    C.court_related: 0.03,
}
OUTCOME_MIX: dict[str, float] = {
    Outcome.resolved_on_site: 0.55, Outcome.mediating: 0.25, Outcome.referred: 0.20,
}


def workers(rng: np.random.Generator, geography: Geography) -> np.ndarray:
    """Worker id per cell: each worker covers one to three neighbouring cells of a village,
    named W + the first cell's code."""
    cells = geography.cells
    codes = cells["code"].to_numpy()
    village = cells["village"].to_numpy()
    first_of_village = np.r_[True, village[1:] != village[:-1]]
    group_size = rng.integers(1, 4, len(cells))
    worker = np.empty(len(cells), dtype=object)
    current, left = "", 0
    for i in range(len(cells)):
        if first_of_village[i] or left == 0:
            current, left = "W" + codes[i], int(group_size[i])
        worker[i] = current
        left -= 1
    return worker


def occasions(rng: np.random.Generator, worker: np.ndarray, calendar: Calendar) -> pd.DataFrame:
    """One row per cell and week: cell, worker, day, minute, missed."""
    worker_ids, worker_of_cell = np.unique(worker, return_inverse=True)
    n_workers, n_cells = len(worker_ids), len(worker)
    first_monday = -int(calendar.weekday[0])
    n_weeks = (calendar.n_days - first_monday + 6) // 7
    habit = rng.choice(7, n_workers, p=WEEKDAY_HABIT)
    missed_weeks = _missed_weeks(rng, n_workers, n_weeks, first_monday, calendar)

    week = np.tile(np.arange(n_weeks), n_cells)
    cell = np.repeat(np.arange(n_cells), n_weeks)
    owner = worker_of_cell[cell]
    weekday = np.where(rng.random(len(week)) < 0.2, rng.integers(0, 5, len(week)), habit[owner])
    day = first_monday + 7 * week + weekday
    frame = pd.DataFrame({
        "cell": cell, "worker": worker_ids[owner], "day": day,
        "minute": rng.integers(8 * 60 + 30, 17 * 60 + 30, len(week)),
        "missed": missed_weeks[owner, week] | (rng.random(len(week)) < CELL_MISS),
    })
    return frame[(day >= 0) & (day <= calendar.last_day)].reset_index(drop=True)


def _missed_weeks(rng: np.random.Generator, n_workers: int, n_weeks: int, first_monday: int,
                  calendar: Calendar) -> np.ndarray:
    """(workers, weeks) misses from a two-state chain: most workers rarely miss, a few often."""
    careless = rng.random(n_workers) < 0.15
    share = np.where(careless, rng.uniform(0.25, 0.55, n_workers), rng.beta(1.0, 14.0, n_workers))
    start_missing = np.clip(share * (1 - MISS_PERSISTENCE) / (1 - share), 0.0, 0.9)
    festival_week = np.zeros(n_weeks, dtype=bool)
    festival_week[(np.flatnonzero(calendar.to_festival == 0) - first_monday) // 7] = True
    missed = np.zeros((n_workers, n_weeks), dtype=bool)
    state = rng.random(n_workers) < share
    for w in range(n_weeks):
        chance = np.where(state, MISS_PERSISTENCE, start_missing)
        state = rng.random(n_workers) < chance
        missed[:, w] = state | (festival_week[w] & (rng.random(n_workers) < FESTIVAL_MISS))
    return missed


def link_cases(cases: pd.DataFrame, screenings: pd.DataFrame) -> pd.DataFrame:
    """For each screening-channel case, its cell's latest screening within LINK_WINDOW_DAYS
    before receipt: columns case, occasion. Cases with no such screening are left out."""
    wanted = cases.index[cases["channel"] == Channel.screening]
    left = pd.DataFrame({"case": wanted, "cell": cases.loc[wanted, "cell"].to_numpy(),
                         "day": cases.loc[wanted, "day"].to_numpy()}).sort_values(
        ["day", "case"], kind="stable")
    right = screenings[["cell", "day"]].assign(occasion=screenings.index).sort_values(
        ["day", "occasion"], kind="stable")
    linked = pd.merge_asof(left, right, on="day", by="cell", direction="backward",
                           tolerance=LINK_WINDOW_DAYS)
    linked = linked.dropna(subset=["occasion"])
    return pd.DataFrame({"case": linked["case"].to_numpy(),
                         "occasion": linked["occasion"].to_numpy().astype(int)}).sort_values(
        "case", ignore_index=True)


def screening_records(
    rng: np.random.Generator, screenings: pd.DataFrame, links: pd.DataFrame,
    cases: pd.DataFrame, geography: Geography, hotspots: list[Hotspot], shapes: CellShapes,
    tension: np.ndarray,
) -> pd.DataFrame:
    """Rows of screenings.csv (before formatting), ordered by time, with record ids.

    A linked screening is recorded as the case it became (several if several cases came
    from it); the rest report nothing found, or a dispute handled without a case."""
    linked_occasions = np.zeros(len(screenings), dtype=bool)
    linked_occasions[links["occasion"].to_numpy()] = True
    plain = screenings[~screenings["missed"].to_numpy() & ~linked_occasions]
    felt = tension[plain["cell"].to_numpy(), plain["day"].to_numpy()]
    found = _disputes(rng, plain, geography, hotspots, felt)

    occasion = screenings.loc[links["occasion"].to_numpy()]
    rank = links.groupby("occasion").cumcount().to_numpy()
    case = cases.loc[links["case"].to_numpy()]
    became = pd.DataFrame({
        "cell": occasion["cell"].to_numpy(), "worker": occasion["worker"].to_numpy(),
        "day": occasion["day"].to_numpy(),
        "minute": np.minimum(occasion["minute"].to_numpy() + 7 * rank, 23 * 60 + 59),
        "rank": rank, "found": True,
        "category": case["category"].to_numpy(),
        "severity": np.where(case["parties"].to_numpy() >= 5, Severity.high.value,
                             np.where(rng.random(len(case)) < 0.6, Severity.medium.value,
                                      Severity.low.value)),
        "parties": case["parties"].to_numpy(),
        "outcome": Outcome.became_case.value, "case_id": case["case_id"].to_numpy(),
    })
    became["tense"] = False
    records = pd.concat([plain.drop(columns="missed").assign(rank=0, **found), became],
                        ignore_index=True)
    is_found = records["found"].to_numpy()
    lon = np.full(len(records), np.nan)
    lat = np.full(len(records), np.nan)
    lon[is_found], lat[is_found] = point_in_cells(
        rng, shapes, records["cell"].to_numpy()[is_found]).T
    records["lon"], records["lat"] = lon, lat
    records["summary"] = _notes(rng, records)
    cell_codes = geography.cells["code"].to_numpy()
    records["cell_code"] = cell_codes[records["cell"].to_numpy()]
    records = records.sort_values(["day", "minute", "cell_code", "rank"], ignore_index=True)
    numbers = np.arange(1, len(records) + 1).astype(str)
    records.insert(0, "record_id", np.char.add("S", np.char.zfill(numbers, 8)).astype(object))
    return records


def _disputes(rng: np.random.Generator, plain: pd.DataFrame, geography: Geography,
              hotspots: list[Hotspot], tension: np.ndarray) -> dict[str, np.ndarray]:
    """Found flag and the dispute's columns for screenings not tied to a case."""
    n_cells = len(geography.cells)
    cell_village = geography.cells["village"].to_numpy()
    hotspot_of_cell = np.full(n_cells, -1)
    for h, spot in enumerate(hotspots):
        hotspot_of_cell[np.isin(cell_village, spot.villages)] = h
    cell_rate = FOUND_RATE * rng.gamma(2.0, 0.5, n_cells) * np.where(hotspot_of_cell >= 0, 2.5, 1)
    cell = plain["cell"].to_numpy()
    n = len(plain)
    found = rng.random(n) < np.minimum(cell_rate[cell] * np.exp(TENSION_FINDS * tension), 0.6)
    category = choose(rng, FINDINGS_MIX, n)
    spot = hotspot_of_cell[cell]
    for h, hotspot in enumerate(hotspots):
        own = (spot == h) & (rng.random(n) < 0.5)
        category[own] = choose(rng, hotspot.categories, int(own.sum()))
    parties = np.where(rng.random(n) < 0.06, 4 + rng.geometric(1 / 5, n),
                       rng.choice([1, 2, 3, 4], n, p=[0.15, 0.55, 0.2, 0.1]))
    collective = parties >= 5
    serious = rng.random(n) < 0.05 * np.exp(TENSION_FINDS * np.maximum(tension, 0))
    severity = np.where(
        collective, np.where(rng.random(n) < 0.5, Severity.high.value, Severity.medium.value),
        np.where(serious, Severity.high.value,
                 choose(rng, {Severity.low: 0.68, Severity.medium: 0.32}, n)))
    outcome = choose(rng, OUTCOME_MIX, n)
    return {
        "found": found,
        "category": only_where(found, category),
        "severity": only_where(found, severity),
        "parties": np.where(found, parties, np.nan),
        "outcome": only_where(found, outcome),
        "case_id": np.full(n, None, dtype=object),
        "tense": found & (tension > 1.0) & (rng.random(n) < 0.6),
    }


def _notes(rng: np.random.Generator, records: pd.DataFrame) -> np.ndarray:
    """What was found and what came of it; empty when nothing was found."""
    notes = np.full(len(records), None, dtype=object)
    category = records["category"].to_numpy()
    suffix = records["outcome"].map(SCREENING_OUTCOMES).to_numpy()
    pick = rng.random(len(records))
    for name, findings in SCREENING_FINDINGS.items():
        rows = category == name
        options = np.array(findings, dtype=object)
        which = np.minimum((pick[rows] * len(findings)).astype(int), len(findings) - 1)
        notes[rows] = options[which] + np.where(records["tense"].to_numpy()[rows], TENSE_NOTE,
                                                "") + suffix[rows]
    return notes
