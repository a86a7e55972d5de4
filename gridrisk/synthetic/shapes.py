"""Geometry helpers: Voronoi tilings that nest exactly, spaced seeds, points inside polygons."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

POLYGON, MULTIPOLYGON = 3, 6

#: proposes an (m, 2) array of candidate points
Proposer = Callable[[int], np.ndarray]


def polygonal(geometries: np.ndarray) -> np.ndarray:
    """Each geometry reduced to its valid polygon parts (clipping can leave lines or points)."""
    geometries = geometries.copy()
    needs_fix = ~np.isin(shapely.get_type_id(geometries), [POLYGON, MULTIPOLYGON])
    needs_fix |= ~shapely.is_valid(geometries)
    for i in np.flatnonzero(needs_fix):
        parts = shapely.get_parts(shapely.get_parts(shapely.make_valid(geometries[i])))
        polygons = parts[shapely.get_type_id(parts) == POLYGON]
        geometries[i] = polygons[0] if len(polygons) == 1 else shapely.multipolygons(polygons)
    return geometries


def voronoi_tiles(points: np.ndarray, region: BaseGeometry) -> np.ndarray:
    """One tile per seed (same order), clipped to `region`: the tiles cover it exactly."""
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=region, ordered=True)
    return polygonal(shapely.intersection(shapely.get_parts(diagram), region))


def relaxed_tiles(
    points: np.ndarray, region: BaseGeometry, movable: np.ndarray, iterations: int
) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd relaxation of the movable seeds, for evenly sized tiles; returns seeds, tiles."""
    points = points.copy()
    tiles = voronoi_tiles(points, region)
    for _ in range(iterations):
        centres = shapely.centroid(tiles)
        outside = ~shapely.contains(tiles, centres)
        centres[outside] = shapely.point_on_surface(tiles[outside])
        points[movable] = shapely.get_coordinates(centres)[movable]
        tiles = voronoi_tiles(points, region)
    return points, tiles


def scatter(
    n: int, min_gap: float, propose: Proposer, taken: np.ndarray | None = None
) -> np.ndarray:
    """`n` proposed points at least `min_gap` apart (and from `taken`), shrinking the gap
    when space runs out: evenly spread seeds give tiles of plausible, similar sizes."""
    chosen = np.empty((0, 2)) if taken is None else taken
    n_before = len(chosen)
    gap = min_gap
    misses = 0
    while len(chosen) - n_before < n:
        for candidate in propose(32):
            if len(chosen) and np.min(np.hypot(*(chosen - candidate).T)) < gap:
                misses += 1
                continue
            chosen = np.vstack([chosen, candidate])
            if len(chosen) - n_before == n:
                break
        if misses > 200:
            gap *= 0.8
            misses = 0
    return chosen[n_before:]


def points_in(
    rng: np.random.Generator, polygons: np.ndarray, decimals: int | None = None
) -> np.ndarray:
    """One uniform random point inside each polygon, vectorised by rejection from its bbox.

    With `decimals`, points are rounded before the test, so they stay inside once written."""
    n = len(polygons)
    points = np.empty((n, 2))
    if n == 0:
        return points
    shapely.prepare(polygons)
    bounds = shapely.bounds(polygons)
    todo = np.arange(n)
    for _ in range(500):
        low, high = bounds[todo, :2], bounds[todo, 2:]
        candidates = low + rng.random((len(todo), 2)) * (high - low)
        if decimals is not None:
            candidates = np.round(candidates, decimals)
        inside = shapely.contains_xy(polygons[todo], candidates[:, 0], candidates[:, 1])
        points[todo[inside]] = candidates[inside]
        todo = todo[~inside]
        if len(todo) == 0:
            return points
    raise RuntimeError(f"{len(todo)} polygons too thin to hold a point")
