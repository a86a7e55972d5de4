"""A deterministic synthetic county written as a region bundle, for demos, tests and
benchmarks: the same seed and scale always give byte-identical files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np

from gridrisk.progress import Progress, no_progress
from gridrisk.synthetic.calendar import window
from gridrisk.synthetic.contacts import write_contacts
from gridrisk.synthetic.events import draw_case_files
from gridrisk.synthetic.geography import build_geography, cells_frame, regions_frame
from gridrisk.synthetic.hotspots import place_hotspots
from gridrisk.synthetic.intake import build_units, draw_cases
from gridrisk.synthetic.locations import CellShapes, locate_cases
from gridrisk.synthetic.scales import SCALES
from gridrisk.synthetic.screenings import link_cases, occasions, screening_records, workers
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
STEPS = {"geography": 0.0, "cases": 0.1, "case files": 0.25, "screenings": 0.35,
         "writing": 0.5}
#: share of the writing step each file takes
FILE_WEIGHTS = {"regions.geojson": 0.02, "cells.geojson": 0.02, "cases.csv": 0.26,
                "case_events.csv": 0.5, "screenings.csv": 0.16, "contacts.csv": 0.04}


def generate_bundle(
    out_dir: Path, *, seed: int = 1, scale: str = "small", end_on: date = date(2026, 10, 31),
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write regions.geojson, cells.geojson, cases.csv, case_events.csv, screenings.csv and
    contacts.csv for 18 months ending at `end_on`; returns the number of rows written per
    file.

    `progress(step, fraction)` is called as work advances, `fraction` of the whole run."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    size = SCALES[scale]
    report = progress or no_progress
    streams = iter([np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)])

    report("geography", STEPS["geography"])
    calendar = window(end_on)
    geography = build_geography(next(streams), size)
    hotspots = place_hotspots(next(streams), geography, calendar, size.n_hotspots)
    shapes = CellShapes(geography)

    report("cases", STEPS["cases"])
    units = build_units(next(streams), geography)
    cases = draw_cases(next(streams), geography, calendar, hotspots, units, size.n_cases)
    rng = next(streams)
    screenings = occasions(rng, workers(rng, geography), calendar)
    links = link_cases(cases, screenings)
    unlinked = (cases["channel"] == Channel.screening) & ~cases.index.isin(links["case"])
    cases.loc[unlinked, "channel"] = Channel.visit.value
    cases = cases.join(locate_cases(next(streams), cases, geography, shapes))

    report("case files", STEPS["case files"])
    events = draw_case_files(next(streams), cases, units, calendar)

    report("screenings", STEPS["screenings"])
    records = screening_records(next(streams), screenings, links, cases, geography, hotspots,
                                shapes)

    out_dir.mkdir(parents=True, exist_ok=True)
    case_ids = cases["case_id"].to_numpy()
    writers: dict[str, Callable[[Path], int]] = {
        "regions.geojson": lambda path: write_geojson(regions_frame(geography), path),
        "cells.geojson": lambda path: write_geojson(cells_frame(geography), path),
        "cases.csv": lambda path: write_csv(case_rows(cases, calendar, units.names),
                                            CASE_COLUMNS, path),
        "case_events.csv": lambda path: write_csv(event_rows(events, case_ids, calendar),
                                                  EVENT_COLUMNS, path),
        "screenings.csv": lambda path: write_csv(screening_rows(records, calendar),
                                                 SCREENING_COLUMNS, path),
        "contacts.csv": lambda path: write_contacts(path, cases, geography, seed=seed),
    }
    written = {}
    done = STEPS["writing"]
    for name, write in writers.items():
        report(f"writing {name}", done)
        written[name] = write(out_dir / name)
        done += (1 - STEPS["writing"]) * FILE_WEIGHTS[name]
    report("done", 1.0)
    return written
