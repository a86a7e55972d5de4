"""The demo county's oracle: for every case open at the end of an as-of day, its true
probability of each outcome within a horizon, estimated by re-simulating the county's future
from the hidden state at that day (every complainant's determination, every unit's load and
every cell's tension, the work left on each case) many times over.

It is the best ranking anyone could make of those cases: what the bench compares the model
with. It is written beside a bundle as oracle.csv, never imported, never a feature. Outcomes
are the model's (models/labels.py): `deadline`, the handling deadline passing with the case
open; `return`, an escalated, refiled, review_requested, rereview_requested or reopened event;
`any`, either."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from gridrisk.errors import InvalidInput
from gridrisk.progress import Progress, no_progress
from gridrisk.synthetic.calendar import window
from gridrisk.synthetic.county import County, build_county
from gridrisk.synthetic.events import RETURN_TYPES
from gridrisk.synthetic.hidden import future_world
from gridrisk.vocab import EventType

ORACLE_FILE = "oracle.csv"
ORACLE_COLUMNS = ["as_of", "horizon_days", "case_id", "p_deadline", "p_return", "p_any"]
REPLICATES = 200


@dataclass
class Outcomes:
    """Which replicated cases met each outcome (a Log for Simulation.step)."""

    deadline: np.ndarray
    returned: np.ndarray

    def event(self, step: int, slots: np.ndarray, day: int, kind: EventType,
              **_: object) -> None:
        if kind in RETURN_TYPES:
            self.returned[slots] = True

    def passed(self, slots: np.ndarray, day: int) -> None:
        self.deadline[slots] = True


def oracle_frame(*, seed: int, scale: str, end_on: date, as_of: Sequence[date],
                 horizons: Sequence[int], replicates: int = REPLICATES,
                 progress: Progress = no_progress) -> pd.DataFrame:
    """ORACLE_COLUMNS for every case open at the end of each as-of day, per horizon."""
    days = window_days(end_on, as_of, horizons)
    county = build_county(seed=seed, scale=scale, end_on=end_on,
                          snapshot_days=tuple(days.values()))
    ids = county.ids_by_slot
    parts = []
    for i, (d, n) in enumerate(days.items()):
        for horizon in horizons:
            rng = np.random.default_rng([seed, n, horizon, 17])
            found = resimulated(county, n, horizon, replicates, rng)
            parts.append(found.assign(as_of=d, horizon_days=horizon,
                                      case_id=ids[found["slot"].to_numpy()]))
        progress("oracle", (i + 1) / len(days))
    return pd.concat(parts, ignore_index=True)[ORACLE_COLUMNS]


def window_days(end_on: date, as_of: Sequence[date], horizons: Sequence[int]
                ) -> dict[date, int]:
    """Each as-of day as a day of the county's window; refused (naming it) when it or its
    horizon's end falls outside the window."""
    calendar = window(end_on)
    days = {d: int((np.datetime64(d, "D") - calendar.dates[0]).astype(int)) for d in as_of}
    for d, n in days.items():
        if not 0 <= n < calendar.n_days:
            raise InvalidInput("oracle_as_of", f"{d} is outside the county's window "
                               f"{calendar.dates[0]} – {calendar.dates[-1]}")
        if any(n + h > calendar.last_day for h in horizons):
            raise InvalidInput("oracle_as_of", f"a {max(horizons)}-day horizon after {d} "
                               f"ends after the county's last day {calendar.dates[-1]}")
    return days


def resimulated(county: County, day: int, horizon: int, replicates: int,
                rng: np.random.Generator) -> pd.DataFrame:
    """slot, p_deadline, p_return, p_any of every case open at the end of `day`: the
    share of `replicates` futures of `horizon` days in which it met each outcome."""
    snap = county.snapshot(day)
    n = snap.n
    open_now = np.flatnonzero(snap.open[:n] & snap.active[:n] & (snap.received[:n] <= day))
    # a repeat's matter moves with its original case: that case's future is simulated too
    originals = np.unique(snap.matter[open_now])  # a matter's original holds its slot number
    originals = originals[snap.active[originals] & ~np.isin(originals, open_now)]
    chosen = np.r_[open_now, originals]
    sim = snap.replicated(chosen, replicates)
    world = future_world(rng, county.world, county.drivers, after=day, n_days=horizon,
                         replicates=replicates)
    outcomes = Outcomes(deadline=np.zeros(sim.n, dtype=bool),
                        returned=np.zeros(sim.n, dtype=bool))
    for d in range(day + 1, day + horizon + 1):
        sim.step(rng, world, county.units, d, outcomes)
    k = len(open_now)
    deadline = outcomes.deadline.reshape(replicates, len(chosen))[:, :k]
    returned = outcomes.returned.reshape(replicates, len(chosen))[:, :k]
    return pd.DataFrame({"slot": open_now, "p_deadline": deadline.mean(axis=0),
                         "p_return": returned.mean(axis=0),
                         "p_any": (deadline | returned).mean(axis=0)})


def write_oracle(out_dir: Path, *, seed: int, scale: str, end_on: date, as_of: Sequence[date],
                 horizons: Sequence[int], replicates: int = REPLICATES,
                 progress: Progress = no_progress) -> Path:
    """oracle.csv beside the bundle generated with the same seed, scale and last day."""
    frame = oracle_frame(seed=seed, scale=scale, end_on=end_on, as_of=as_of,
                         horizons=horizons, replicates=replicates, progress=progress)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / ORACLE_FILE
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", float_format="%.4f")
    return path
