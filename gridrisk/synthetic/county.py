"""A deterministic synthetic county written as a region bundle, for demos, tests and
benchmarks: the same seed and scale always give byte-identical files.

Beside the bundle's own files it writes known_repeats.csv: which cases the simulation filed
as repeats of an earlier case on the same matter (what the repeat linking is measured
against). oracle.py adds oracle.csv on request; neither is part of the bundle format, and the
importer reads neither."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from gridrisk.progress import Progress, no_progress
from gridrisk.synthetic.calendar import Calendar, window
from gridrisk.synthetic.contacts import write_contacts
from gridrisk.synthetic.draws import choose
from gridrisk.synthetic.events import (
    Simulated,
    Simulation,
    matters_of,
    new_simulation,
    simulate,
)
from gridrisk.synthetic.geography import Geography, build_geography, cells_frame, regions_frame
from gridrisk.synthetic.hidden import Drivers, World, county_world, drivers
from gridrisk.synthetic.hotspots import place_hotspots
from gridrisk.synthetic.intake import Units, build_units, case_ids, draw_cases, with_hints
from gridrisk.synthetic.locations import CellShapes, locate_cases
from gridrisk.synthetic.scales import SCALES
from gridrisk.synthetic.screenings import link_cases, occasions, screening_records, workers
from gridrisk.synthetic.texts import REPEAT_OPENINGS
from gridrisk.synthetic.writing import (
    CASE_COLUMNS,
    EVENT_COLUMNS,
    SCREENING_COLUMNS,
    case_rows,
    event_rows,
    screening_rows,
    write_csv,
    write_geojson,
)
from gridrisk.vocab import Channel

#: share of the whole run reached when each step starts (writing is about half the time)
STEPS = {"geography": 0.0, "cases": 0.1, "case files": 0.2, "screenings": 0.4,
         "writing": 0.5}
#: share of the writing step each file takes
FILE_WEIGHTS = {"regions.geojson": 0.02, "cells.geojson": 0.02, "cases.csv": 0.26,
                "case_events.csv": 0.5, "screenings.csv": 0.14, "contacts.csv": 0.04,
                "known_repeats.csv": 0.02}
KNOWN_REPEATS = "known_repeats.csv"
#: the demo county's last day
DEMO_END_ON = date(2026, 10, 31)
#: slots for repeat cases, as a share of the county's own cases
REPEAT_CAPACITY = 0.6
#: how a repeat reaches the office: with a platform deadline by hotline or online, else …
REPEAT_CHANNELS_WITH_DEADLINE: dict[str, float] = {Channel.phone: 0.6, Channel.online: 0.4}
REPEAT_CHANNELS: dict[str, float] = {Channel.visit: 0.5, Channel.letter: 0.2, Channel.phone: 0.3}


@dataclass(frozen=True)
class County:
    """Everything the generator made, hidden parts included. `cases` holds every case in
    the order of its id (the county's own and the repeats); its `slot` column is the case's
    position in the simulation."""

    calendar: Calendar
    geography: Geography
    units: Units
    cases: pd.DataFrame
    simulated: Simulated
    world: World
    drivers: Drivers
    screenings: pd.DataFrame

    @property
    def ids_by_slot(self) -> np.ndarray:
        ids = np.empty(len(self.cases), dtype=object)
        ids[self.cases["slot"].to_numpy()] = self.cases["case_id"].to_numpy()
        return ids

    def snapshot(self, day: int) -> Simulation:
        return self.simulated.snapshots[day]


def build_county(*, seed: int, scale: str, end_on: date, snapshot_days: tuple[int, ...] = (),
                 progress: Progress = no_progress) -> County:
    """The county for a seed and scale; the simulation's state is kept at the end of each
    of `snapshot_days` (window days, 0 = the first)."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    size = SCALES[scale]
    streams = iter([np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(12)])

    progress("geography", STEPS["geography"])
    calendar = window(end_on)
    geography = build_geography(next(streams), size)
    hotspots = place_hotspots(next(streams), geography, calendar, size.n_hotspots)
    shapes = CellShapes(geography)

    progress("cases", STEPS["cases"])
    units = build_units(next(streams), geography)
    cases = draw_cases(next(streams), geography, calendar, hotspots, units, size.n_cases)
    rng = next(streams)
    screenings = occasions(rng, workers(rng, geography), calendar)
    links = link_cases(cases, screenings)
    unlinked = (cases["channel"] == Channel.screening) & ~cases.index.isin(links["case"])
    cases.loc[unlinked, "channel"] = Channel.visit.value
    cases = cases.join(locate_cases(next(streams), cases, geography, shapes))
    rng = next(streams)
    matters, determination = matters_of(rng, cases)
    cases["summary"] = with_hints(rng, cases["summary"].to_numpy(), determination)

    progress("case files", STEPS["case files"])
    hidden = drivers(geography, calendar, hotspots)
    world = county_world(next(streams), hidden, len(units.names), calendar.n_days)
    rng = next(streams)
    sim = new_simulation(rng, cases, units, matters, determination, calendar,
                         capacity=len(cases) + int(REPEAT_CAPACITY * len(cases)) + 100)
    simulated = simulate(rng, sim, world, units, calendar, snapshot_days=snapshot_days)
    everything = _with_repeats(next(streams), cases, simulated, calendar)

    progress("screenings", STEPS["screenings"])
    links = links.assign(case=everything.set_index("slot").loc[links["case"], "position"]
                         .to_numpy())
    records = screening_records(next(streams), screenings, links, everything, geography,
                                hotspots, shapes, world.tension[0])
    return County(calendar=calendar, geography=geography, units=units, cases=everything,
                  simulated=simulated, world=world, drivers=hidden, screenings=records)


def _with_repeats(rng: np.random.Generator, cases: pd.DataFrame, simulated: Simulated,
                  calendar: Calendar) -> pd.DataFrame:
    """The county's cases and the repeats filed during the simulation, in id order: a
    repeat is the same matter, place, unit and crowd, written down again."""
    filed = simulated.repeats
    origin = cases.loc[filed["origin"].to_numpy()].reset_index(drop=True)
    n = len(filed)
    opening = np.array(REPEAT_OPENINGS, dtype=object)[rng.integers(len(REPEAT_OPENINGS), size=n)]
    due = filed["due"].to_numpy()
    channel = np.where(due >= 0, choose(rng, REPEAT_CHANNELS_WITH_DEADLINE, n),
                       choose(rng, REPEAT_CHANNELS, n))
    repeats = origin.assign(
        day=filed["day"].to_numpy(), tiebreak=rng.random(n), due=due, channel=channel,
        summary=opening + origin["summary"].to_numpy(dtype=object),
        origin=filed["origin"].to_numpy())
    everything = pd.concat([cases.assign(origin=-1), repeats], ignore_index=True)
    everything["slot"] = np.r_[np.arange(len(cases)), filed["case"].to_numpy()]
    everything = everything.sort_values(["day", "tiebreak"], ignore_index=True)
    everything.insert(0, "case_id", case_ids(calendar, everything["day"].to_numpy()))
    everything["position"] = np.arange(len(everything))
    return everything


def generate_bundle(
    out_dir: Path, *, seed: int = 1, scale: str = "small", end_on: date = DEMO_END_ON,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write regions.geojson, cells.geojson, cases.csv, case_events.csv, screenings.csv,
    contacts.csv and known_repeats.csv for 18 months ending at `end_on`; returns the number
    of rows written per file.

    `progress(step, fraction)` is called as work advances, `fraction` of the whole run."""
    report = progress or no_progress
    county = build_county(seed=seed, scale=scale, end_on=end_on, progress=report)
    out_dir.mkdir(parents=True, exist_ok=True)
    calendar, cases = county.calendar, county.cases
    position = np.empty(len(cases), dtype=np.int64)
    position[cases["slot"].to_numpy()] = cases["position"].to_numpy()
    events = county.simulated.events.assign(
        case=position[county.simulated.events["case"].to_numpy()])
    events = events.iloc[np.lexsort((np.arange(len(events)), events["case"].to_numpy()))]
    case_id = cases["case_id"].to_numpy()
    writers: dict[str, Callable[[Path], int]] = {
        "regions.geojson": lambda path: write_geojson(regions_frame(county.geography), path),
        "cells.geojson": lambda path: write_geojson(cells_frame(county.geography), path),
        "cases.csv": lambda path: write_csv(case_rows(cases, calendar, county.units.names),
                                            CASE_COLUMNS, path),
        "case_events.csv": lambda path: write_csv(event_rows(events, case_id, calendar),
                                                  EVENT_COLUMNS, path),
        "screenings.csv": lambda path: write_csv(screening_rows(county.screenings, calendar),
                                                 SCREENING_COLUMNS, path),
        "contacts.csv": lambda path: write_contacts(path, cases, county.geography, seed=seed),
        KNOWN_REPEATS: lambda path: write_csv(known_repeats(county), ("case_id",
                                                                      "repeats_case_id"), path),
    }
    written = {}
    done = STEPS["writing"]
    for name, write in writers.items():
        report(f"writing {name}", done)
        written[name] = write(out_dir / name)
        done += (1 - STEPS["writing"]) * FILE_WEIGHTS[name]
    report("done", 1.0)
    return written


def known_repeats(county: County) -> pd.DataFrame:
    """Each repeat case and the case whose matter it repeats (the matter's first case)."""
    ids = county.ids_by_slot
    repeats = county.cases.loc[county.cases["origin"] >= 0]
    return pd.DataFrame({"case_id": repeats["case_id"].to_numpy(),
                         "repeats_case_id": ids[repeats["origin"].to_numpy()]})
