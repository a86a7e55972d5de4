"""Gi* against the textbook formula on a tiny grid, FDR classes, islands joined by distance."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from esda import fdr
from scipy import stats
from shapely.geometry import box

from gridrisk.cycles.hotspots import cell_weights, classify, hotspots

SIDE = 0.01  # degrees: cells about 1 km across near Beijing


def grid(values: list[float], columns: int = 4) -> gpd.GeoDataFrame:
    cells = [box(116.4 + (i % columns) * SIDE, 39.9 + (i // columns) * SIDE,
                 116.4 + (i % columns + 1) * SIDE, 39.9 + (i // columns + 1) * SIDE)
             for i in range(len(values))]
    return gpd.GeoDataFrame({"value": values}, geometry=cells, crs=4326)


def gi_star_by_hand(x: np.ndarray, neighbours: dict[int, list[int]]) -> np.ndarray:
    """Getis & Ord (1992) / Ord & Getis (1995) Gi* with binary weights, self included:
    (Σ w x − x̄ Σ w) / (S √[(n Σ w² − (Σ w)²) / (n − 1)])."""
    n, mean = len(x), x.mean()
    s = np.sqrt((x ** 2).mean() - mean ** 2)
    z = np.empty(n)
    for i in range(n):
        w = np.zeros(n)
        w[[i, *neighbours[i]]] = 1
        z[i] = (w @ x - mean * w.sum()) / (s * np.sqrt((n * (w ** 2).sum() - w.sum() ** 2)
                                                       / (n - 1)))
    return z


def test_gi_star_matches_the_formula_on_a_4_by_4_grid() -> None:
    values = [1, 2, 1, 0, 2, 1, 0, 1, 1, 0, 6, 7, 0, 1, 8, 9]
    cells = grid(values)
    weights, islands = cell_weights(cells.geometry)
    assert islands == 0
    # queen contiguity: a corner cell touches 3, an edge cell 5, an inner cell 8
    assert sorted(len(weights.neighbors[i]) for i in range(16)) == [3] * 4 + [5] * 8 + [8] * 4
    found, _ = hotspots(cells, "value")
    expected = gi_star_by_hand(np.array(values, dtype=float), weights.neighbors)
    np.testing.assert_allclose(found["gi_z"], expected, rtol=1e-9)
    np.testing.assert_allclose(found["gi_p"], 2 * stats.norm.sf(np.abs(expected)), rtol=1e-9)
    # the high corner (cells 10, 11, 14, 15) is hot, the far corner is not
    assert set(found.loc[found["hotspot"].str.startswith("hot")].index) >= {14, 15}
    assert found.loc[0, "hotspot"] in ("none", "cold_90", "cold_95", "cold_99")


def test_classes_follow_the_benjamini_hochberg_cut_offs() -> None:
    z = np.array([4.0, 2.3, 1.8, -2.9, 0.1, -0.2, 0.3, 0.0, 0.5, -0.4])
    p = 2 * stats.norm.sf(np.abs(z))
    classes = classify(z, p)
    for i in range(len(z)):
        level = next((a for a in (0.01, 0.05, 0.10) if p[i] < fdr(p, a)), None)
        if level is None:
            assert classes[i] == "none"
        else:
            side = "hot" if z[i] > 0 else "cold"
            assert classes[i] == f"{side}_{round(100 * (1 - level))}"
    assert classes[0] == "hot_99"
    # without the correction, 1.8 (p ≈ 0.072) would be hot at 90 %; with it, it is not
    assert p[2] < 0.10 and classes[2] == "none"


def test_an_island_is_joined_to_its_nearest_cell() -> None:
    cells = grid([1.0] * 8 + [5.0], columns=4)
    cells.loc[8, "geometry"] = box(116.6, 40.1, 116.61, 40.11)  # far from the rest
    weights, islands = cell_weights(cells.geometry)
    assert islands == 1
    projected = cells.geometry.to_crs(cells.estimate_utm_crs()).representative_point()
    nearest = int(projected.iloc[:8].distance(projected.iloc[8]).idxmin())
    assert weights.neighbors[8] == [nearest]
    found, joined = hotspots(cells, "value")
    assert joined == 1 and np.isfinite(found["gi_z"]).all()


def test_values_that_do_not_vary_make_no_hotspot() -> None:
    found, _ = hotspots(grid([2.0] * 9, columns=3), "value")
    assert (found["hotspot"] == "none").all() and (found["gi_z"] == 0).all()


def test_cells_need_a_crs() -> None:
    cells = grid([1.0, 2.0, 3.0]).set_crs(None, allow_override=True)
    with pytest.raises(ValueError, match="CRS"):
        hotspots(cells, "value")
