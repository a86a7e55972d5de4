"""What drives escalation in the demo county but never appears in its records, as in life.

- **Unit quality** (fixed) and **unit load** (a slow random walk, higher in December and
  around Spring Festival): how fast a unit works a case, whether it meets the complainant,
  whether it asks for an extension in time.
- **Cell tension**: each cell's unrest, which hotspots (a land requisition, a building site
  owing wages before Spring Festival) feed, which local incidents jolt, which seeps into
  neighbouring cells and fades. Screenings find more disputes where it is high.
- **Determination** of each matter's complainant (case_files.py): waxes and wanes around the
  matter's own level, and moves with how the matter is handled.

Unit load and cell tension are exogenous: no case's events move them. So the future of the
cases open on a day depends only on the state at the end of that day, which the oracle
(oracle.py) re-simulates many times over."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy import sparse

from gridrisk.synthetic.calendar import Calendar
from gridrisk.synthetic.geography import Geography
from gridrisk.synthetic.hotspots import Hotspot

#: tension: share kept each day, pull towards the neighbours' mean, daily noise
TENSION_KEEP = 0.96
TENSION_DIFFUSION = 0.06
TENSION_NOISE = 0.05
#: what a hotspot at its peak feeds into its cells' tension (the level it settles at)
HOTSPOT_TENSION = 1.6
#: a local incident (an accident, a quarrel that turns into a feud): chance per cell-day, jolt
INCIDENT_RATE = 0.0015
INCIDENT_JOLT = (3.0, 0.35)  # gamma shape, scale
#: days run before the window so that tension starts settled
BURN_IN_DAYS = 60
#: load: share kept each day, daily noise, the busy seasons' level
LOAD_KEEP = 0.97
LOAD_NOISE = 0.05
BUSY_SEASON_LOAD = 0.35


@dataclass(frozen=True)
class World:
    """Hidden exogenous paths for `replicates` futures (one for the county itself): tension
    per cell and load per unit on the calendar days first_day, first_day + 1, …"""

    tension: np.ndarray  # (replicates, cells, days)
    load: np.ndarray  # (replicates, units, days)
    first_day: int

    def tension_on(self, replicate: np.ndarray, cell: np.ndarray, day: int) -> np.ndarray:
        tension: np.ndarray = self.tension[replicate, cell, day - self.first_day]
        return tension

    def load_on(self, replicate: np.ndarray, unit: np.ndarray, day: int) -> np.ndarray:
        load: np.ndarray = self.load[replicate, unit, day - self.first_day]
        return load


@dataclass(frozen=True)
class Drivers:
    """The deterministic inputs of the hidden paths: what hotspots feed each cell by day,
    which cells touch, the busy seasons."""

    waves: np.ndarray  # (cells, days): tension each cell settles towards
    neighbours: sparse.csr_matrix  # cells × cells, rows averaging the touching cells
    busy: np.ndarray  # (days,): load each unit settles towards


def drivers(geography: Geography, calendar: Calendar, hotspots: list[Hotspot]) -> Drivers:
    cell_village = geography.cells["village"].to_numpy()
    waves = np.zeros((len(cell_village), calendar.n_days))
    for spot in hotspots:
        level = spot.profile / spot.profile.max()
        waves[np.isin(cell_village, spot.villages)] += HOTSPOT_TENSION * level
    december = calendar.month == 12
    festival = np.abs(calendar.to_festival) <= 10
    busy = np.where(december | festival, BUSY_SEASON_LOAD, 0.0)
    return Drivers(waves=waves, neighbours=_touching(geography), busy=busy)


def _touching(geography: Geography) -> sparse.csr_matrix:
    shapes = geography.cells.geometry.to_numpy()
    tree = shapely.STRtree(shapes)
    left, right = tree.query(shapes, predicate="intersects")
    keep = left != right
    n = len(shapes)
    adjacency = sparse.csr_matrix((np.ones(int(keep.sum())), (left[keep], right[keep])),
                                  shape=(n, n))
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    return sparse.diags(1 / np.maximum(degree, 1)) @ adjacency


def unit_quality(rng: np.random.Generator, slow: np.ndarray) -> np.ndarray:
    """How well a unit works (log speed): slow units far below the others."""
    return np.where(slow, rng.normal(-0.75, 0.15, len(slow)), rng.normal(0.1, 0.2, len(slow)))


def tension_paths(rng: np.random.Generator, start: np.ndarray, drivers_: Drivers,
                  first_day: int, n_days: int) -> np.ndarray:
    """(replicates, cells, n_days) tension from `start` (replicates, cells) at the end of
    day first_day − 1."""
    tension = start.copy()
    out = np.empty((*start.shape, n_days))
    for d in range(n_days):
        tension = tension_step(rng, tension, drivers_, first_day + d)
        out[:, :, d] = tension
    return out


def tension_step(rng: np.random.Generator, tension: np.ndarray, drivers_: Drivers, day: int
                 ) -> np.ndarray:
    wave = drivers_.waves[:, min(max(day, 0), drivers_.waves.shape[1] - 1)]
    nearby = (drivers_.neighbours @ tension.T).T
    incidents = rng.random(tension.shape) < INCIDENT_RATE
    jolts = np.where(incidents, rng.gamma(*INCIDENT_JOLT, tension.shape), 0.0)
    stepped: np.ndarray = (TENSION_KEEP * tension + (1 - TENSION_KEEP) * wave
                           + TENSION_DIFFUSION * (nearby - tension)
                           + rng.normal(0.0, TENSION_NOISE, tension.shape) + jolts)
    return stepped


def load_paths(rng: np.random.Generator, start: np.ndarray, drivers_: Drivers,
               first_day: int, n_days: int) -> np.ndarray:
    """(replicates, units, n_days) load from `start` (replicates, units)."""
    load = start.copy()
    out = np.empty((*start.shape, n_days))
    for d in range(n_days):
        busy = drivers_.busy[min(first_day + d, len(drivers_.busy) - 1)]
        load = (LOAD_KEEP * load + (1 - LOAD_KEEP) * busy
                + rng.normal(0.0, LOAD_NOISE, load.shape))
        out[:, :, d] = load
    return out


def county_world(rng: np.random.Generator, drivers_: Drivers, n_units: int, n_days: int
                 ) -> World:
    """The county's own hidden paths over the whole window, tension settled by a burn-in."""
    n_cells = drivers_.waves.shape[0]
    start = tension_paths(rng, np.zeros((1, n_cells)), drivers_, -BURN_IN_DAYS,
                          BURN_IN_DAYS)[:, :, -1]
    tension = tension_paths(rng, start, drivers_, 0, n_days)
    load = load_paths(rng, rng.normal(0.0, 0.15, (1, n_units)), drivers_, 0, n_days)
    return World(tension=tension, load=load, first_day=0)


def future_world(rng: np.random.Generator, world: World, drivers_: Drivers, *, after: int,
                 n_days: int, replicates: int) -> World:
    """`replicates` fresh futures of the county's hidden paths for the n_days after day
    `after`, each starting from where the county's own paths were at its end."""
    tension_now = np.repeat(world.tension[:, :, after - world.first_day], replicates, axis=0)
    load_now = np.repeat(world.load[:, :, after - world.first_day], replicates, axis=0)
    return World(tension=tension_paths(rng, tension_now, drivers_, after + 1, n_days),
                 load=load_paths(rng, load_now, drivers_, after + 1, n_days),
                 first_day=after + 1)
