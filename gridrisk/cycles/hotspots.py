"""Getis-Ord Gi* hotspots of a value over grid cells, with a false-discovery-rate correction.

Weights are queen contiguity (cells sharing a border or a corner) built in a projected CRS
(the UTM zone of the cells); a cell with no contiguous neighbour (an island, an enclave cut
off by a river) is joined to its nearest cell by distance, so every cell is tested. Gi* uses
binary weights with the cell itself included and the analytic (normal) z-score: no random
permutations, so the same values give the same classes every time. Two-sided p-values are
compared with the Benjamini-Hochberg cut-off at 90, 95 and 99 % (esda.fdr)."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
from esda import G_Local, fdr
from libpysal.weights import KNN, Queen, W
from libpysal.weights.util import attach_islands
from scipy import stats

from gridrisk.vocab import Hotspot

#: confidence levels, strictest first, with the class each gives to a hot or a cold cell
LEVELS = ((0.01, Hotspot.hot_99, Hotspot.cold_99), (0.05, Hotspot.hot_95, Hotspot.cold_95),
          (0.10, Hotspot.hot_90, Hotspot.cold_90))
HOTSPOT_COLUMNS = ["gi_z", "gi_p", "hotspot"]


def cell_weights(cells: gpd.GeoSeries) -> tuple[W, int]:
    """Queen contiguity in the cells' UTM zone, islands joined to their nearest cell; also
    the number of islands so joined."""
    projected = cells.to_crs(cells.estimate_utm_crs())
    frame = gpd.GeoDataFrame(geometry=projected.reset_index(drop=True))
    with warnings.catch_warnings():  # islands and disconnected parts are handled below
        warnings.simplefilter("ignore")
        queen = Queen.from_dataframe(frame, use_index=False, silence_warnings=True)
        islands = len(queen.islands)
        if islands and len(frame) > 1:
            nearest = KNN.from_dataframe(gpd.GeoDataFrame(
                geometry=frame.geometry.representative_point()), k=1, use_index=False,
                silence_warnings=True)
            queen = attach_islands(queen, nearest)
    return queen, islands


def gi_star(values: np.ndarray, weights: W) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and two-sided p-values; all zeros and ones when the values do not vary
    (nothing can stand out)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 3 or np.allclose(values, values[0]):
        return np.zeros(len(values)), np.ones(len(values))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        z = G_Local(values, weights, transform="B", star=True, permutations=0).Zs
    z = np.nan_to_num(np.asarray(z, dtype=float))
    return z, 2 * stats.norm.sf(np.abs(z))


def classify(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Hot or cold at the strictest confidence whose FDR cut-off the p-value passes."""
    classes = np.full(len(z), Hotspot.none.value, dtype=object)
    for alpha, hot, cold in reversed(LEVELS):  # loosest first, overwritten by stricter
        passed = p < fdr(p, alpha) if len(p) else np.zeros(0, dtype=bool)
        classes[passed & (z > 0)] = hot.value
        classes[passed & (z < 0)] = cold.value
    return classes


def hotspots(cells: gpd.GeoDataFrame, value: str) -> tuple[pd.DataFrame, int]:
    """Per cell (same index): gi_z, gi_p, hotspot; and the number of island cells joined by
    distance. `cells` needs a CRS and the column `value`."""
    if cells.crs is None:
        raise ValueError("cells: a CRS is needed to choose a projection")
    if len(cells) < 3:
        frame = pd.DataFrame({"gi_z": 0.0, "gi_p": 1.0, "hotspot": Hotspot.none.value},
                             index=cells.index)
        return frame, 0
    weights, islands = cell_weights(cells.geometry)
    z, p = gi_star(cells[value].to_numpy(), weights)
    return pd.DataFrame({"gi_z": z, "gi_p": p, "hotspot": classify(z, p)},
                        index=cells.index), islands
