"""Where each case says it is: a point (in the datum the reporting app used), a cell code, or
only the village; every point lies inside the case's cell."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from gridrisk.regions.coords import from_wgs84
from gridrisk.synthetic.draws import only_where
from gridrisk.synthetic.geography import Geography
from gridrisk.synthetic.shapes import points_in
from gridrisk.vocab import Channel, Crs

DECIMALS = 7
#: about 20 cm: a point rounded to DECIMALS stays strictly inside its cell
POINT_MARGIN_DEG = 2e-6
#: at least 23 m: a GCJ-02/BD-09 round trip cannot carry a point across a cell border
SHIFTED_MARGIN_DEG = 0.00025

ONLY_REGION_RATE = 0.02
ONLY_CELL_RATE = 0.05
#: datums of the points, as shares of all cases
CRS_RATES = {Crs.gcj02: 0.10, Crs.bd09: 0.05, Crs.cgcs2000: 0.03}
POINT_WITH_CELL_RATE = 0.5
POINT_WITH_REGION_RATE = 0.25


class CellShapes:
    """Each cell's polygon shrunk by a margin, for points that must stay inside it."""

    def __init__(self, geography: Geography) -> None:
        shapes = geography.cells.geometry.to_numpy()
        self.inner = _shrunk(shapes, POINT_MARGIN_DEG)
        self.deep = _shrunk(shapes, SHIFTED_MARGIN_DEG)
        self.has_deep = ~shapely.is_empty(self.deep)


def _shrunk(shapes: np.ndarray, margin: float) -> np.ndarray:
    shrunk = shapely.buffer(shapes, -margin)
    empty = shapely.is_empty(shrunk)
    shrunk[empty] = shapes[empty]
    return shrunk


def point_in_cells(rng: np.random.Generator, shapes: CellShapes, cells: np.ndarray
                   ) -> np.ndarray:
    """A WGS84 point, rounded to DECIMALS, strictly inside each given cell."""
    return points_in(rng, shapes.inner[cells], decimals=DECIMALS)


def locate_cases(
    rng: np.random.Generator, cases: pd.DataFrame, geography: Geography, shapes: CellShapes
) -> pd.DataFrame:
    """Columns lon lat crs cell_code region_code for cases.csv (NaN/None when not given).

    Cases from screenings always carry a point or a cell, so they land in one cell."""
    n = len(cases)
    cell = cases["cell"].to_numpy()
    mode = rng.random(n)
    from_screening = (cases["channel"] == Channel.screening).to_numpy()
    only_region = (mode < ONLY_REGION_RATE) & ~from_screening
    only_cell = (mode < ONLY_REGION_RATE + ONLY_CELL_RATE) & ~only_region
    has_point = ~only_region & ~only_cell
    point_share = 1 - ONLY_REGION_RATE - ONLY_CELL_RATE

    crs = np.full(n, None, dtype=object)
    crs[has_point] = Crs.wgs84.value
    datum = rng.random(n) * point_share
    low = 0.0
    for name, rate in CRS_RATES.items():
        chosen = has_point & (datum >= low) & (datum < low + rate)
        if name in (Crs.gcj02, Crs.bd09):
            chosen &= shapes.has_deep[cell]
        crs[chosen] = name.value
        low += rate

    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    plain = has_point & np.isin(crs, [Crs.wgs84.value, Crs.cgcs2000.value])
    lon[plain], lat[plain] = point_in_cells(rng, shapes, cell[plain]).T
    for name in (Crs.gcj02, Crs.bd09):
        rows = crs == name.value
        true_lon, true_lat = points_in(rng, shapes.deep[cell[rows]]).T
        shifted_lon, shifted_lat = from_wgs84(true_lon, true_lat, name.value)
        lon[rows], lat[rows] = shifted_lon.round(DECIMALS), shifted_lat.round(DECIMALS)

    cell_codes = geography.cells["code"].to_numpy()[cell]
    village_codes = geography.villages["code"].to_numpy()[cases["village"].to_numpy()]
    with_cell = only_cell | (has_point & (rng.random(n) < POINT_WITH_CELL_RATE))
    with_region = only_region | (has_point & (rng.random(n) < POINT_WITH_REGION_RATE))
    return pd.DataFrame({
        "lon": lon, "lat": lat, "crs": crs,
        "cell_code": only_where(with_cell, cell_codes),
        "region_code": only_where(with_region, village_codes),
    })
