"""A county as nested Voronoi tilings, so the region tree nests exactly: townships tile the
county, villages and communities tile their township, grid cells tile their village."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from gridrisk.synthetic.names import NameBook, cell_name, county_name
from gridrisk.synthetic.scales import Scale
from gridrisk.synthetic.shapes import Proposer, points_in, relaxed_tiles, scatter
from gridrisk.vocab import RegionLevel

#: township kinds, in the order of their statistical code blocks (001–099, 100–199, 200–399)
STREET, TOWN, XIANG = "street", "town", "xiang"
CODE_BLOCK_START = {STREET: 1, TOWN: 100, XIANG: 200}
FIRST_VILLAGE_NUMBER = 201
MAX_PER_BLOCK = 199
SPLIT_PROBABILITY = {RegionLevel.community: 0.6, RegionLevel.village: 0.28}


@dataclass(frozen=True)
class Geography:
    """The county and its parts; frames are in EPSG:4326 and ordered by code.

    `villages.township` and `cells.village` are positions in the parent frame. `cells` holds
    every cell the importer will know: split cells and, for an unsplit village, one cell
    with the village's own code and shape (`split` false; not written to cells.geojson)."""

    code: str
    name: str
    outline: Polygon
    seat: tuple[float, float]
    townships: gpd.GeoDataFrame  # code name kind seat_x seat_y households geometry
    villages: gpd.GeoDataFrame  # code name level township households x y geometry
    cells: gpd.GeoDataFrame  # code name village split geometry


def build_geography(rng: np.random.Generator, scale: Scale) -> Geography:
    names = NameBook(rng)
    centre = (float(rng.uniform(113.2, 114.8)), float(rng.uniform(33.2, 34.8)))
    outline = _outline(rng, centre, scale.radius_deg)
    townships = _townships(rng, names, outline, centre, scale)
    prefix = f"41{int(rng.integers(1, 18)):02d}{int(rng.integers(21, 30)):02d}"
    townships["code"] = _township_codes(prefix, townships)
    townships = townships.sort_values("code", ignore_index=True)
    villages = _villages(rng, names, townships, scale)
    townships["households"] = (
        villages.groupby("township")["households"].sum().reindex(townships.index).to_numpy()
    )
    cells = _cells(rng, villages)
    return Geography(code=prefix + "000000", name=county_name(rng), outline=outline,
                     seat=centre, townships=townships, villages=villages, cells=cells)


def regions_frame(geography: Geography) -> gpd.GeoDataFrame:
    """regions.geojson rows: the county, its townships, then villages and communities."""
    townships, villages = geography.townships, geography.villages
    county = pd.DataFrame({
        "code": [geography.code], "name": [geography.name], "level": [RegionLevel.county.value],
        "parent_code": [None], "households": [int(villages["households"].sum())],
        "geometry": [geography.outline],
    })
    township_rows = pd.DataFrame({
        "code": townships["code"], "name": townships["name"],
        "level": RegionLevel.township.value, "parent_code": geography.code,
        "households": townships["households"], "geometry": townships.geometry.to_numpy(),
    })
    village_rows = pd.DataFrame({
        "code": villages["code"], "name": villages["name"], "level": villages["level"],
        "parent_code": townships["code"].to_numpy()[villages["township"].to_numpy()],
        "households": villages["households"], "geometry": villages.geometry.to_numpy(),
    })
    rows = pd.concat([county, township_rows, village_rows], ignore_index=True)
    rows["households"] = rows["households"].astype("int64")
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def cells_frame(geography: Geography) -> gpd.GeoDataFrame:
    """cells.geojson rows: only the cells of split villages."""
    cells = geography.cells[geography.cells["split"]]
    village_codes = geography.villages["code"].to_numpy()[cells["village"].to_numpy()]
    return gpd.GeoDataFrame(
        {"code": cells["code"].to_numpy(), "name": cells["name"].to_numpy(),
         "region_code": village_codes},
        geometry=cells.geometry.to_numpy(), crs="EPSG:4326",
    )


def _outline(rng: np.random.Generator, centre: tuple[float, float], radius: float) -> Polygon:
    """A noisy star-shaped outline: a few random harmonics plus a jagged, smoothed edge."""
    n = 256
    theta = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    r = np.ones(n)
    for k in range(2, 8):
        r += rng.normal(0.0, 0.22 / k) * np.cos(k * theta + rng.uniform(0.0, 2 * np.pi))
    jitter = rng.normal(0.0, 0.04, n)
    r += (np.roll(jitter, -1) + jitter + np.roll(jitter, 1)) / 3
    r = radius * np.clip(r, 0.5, None)
    lon = centre[0] + r * np.cos(theta) / np.cos(np.radians(centre[1]))
    lat = centre[1] + r * np.sin(theta)
    return Polygon(np.column_stack([lon, lat]))


def _uniform_in(rng: np.random.Generator, region: BaseGeometry) -> Proposer:
    return lambda m: points_in(rng, np.full(m, region, dtype=object))


def _townships(
    rng: np.random.Generator, names: NameBook, outline: Polygon, seat: tuple[float, float],
    scale: Scale,
) -> gpd.GeoDataFrame:
    """Street offices ring the county seat; towns and xiang are spread over the rest."""
    spacing = np.sqrt(outline.area / scale.n_townships)
    angles = rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.arange(scale.n_streets) / scale.n_streets
    ring = 0.0 if scale.n_streets == 1 else 0.35 * spacing
    streets = np.column_stack([seat[0] + ring * np.cos(angles), seat[1] + ring * np.sin(angles)])
    others = scatter(scale.n_townships - scale.n_streets, 0.7 * spacing,
                     _uniform_in(rng, outline), taken=streets)
    is_street = np.arange(scale.n_townships) < scale.n_streets
    seeds, tiles = relaxed_tiles(np.vstack([streets, others]), outline, ~is_street, 3)
    kinds = np.where(is_street, STREET, np.where(rng.random(len(seeds)) < 0.7, TOWN, XIANG))
    make_name = {STREET: names.street, TOWN: names.town, XIANG: names.township}
    return gpd.GeoDataFrame(
        {"name": [make_name[kind]() for kind in kinds], "kind": kinds,
         "seat_x": seeds[:, 0], "seat_y": seeds[:, 1],
         "seat_distance": np.hypot(seeds[:, 0] - seat[0], seeds[:, 1] - seat[1])},
        geometry=tiles, crs="EPSG:4326",
    )


def _township_codes(prefix: str, townships: gpd.GeoDataFrame) -> np.ndarray:
    """Statistical codes: prefix + 3 digits (streets 001+, towns 100+, xiang 200+) + 000."""
    codes = np.empty(len(townships), dtype=object)
    for kind, start in CODE_BLOCK_START.items():
        members = townships.index[townships["kind"] == kind]
        order = members[np.argsort(townships.loc[members, "seat_distance"].to_numpy(),
                                   kind="stable")]
        for number, row in enumerate(order, start=start):
            codes[row] = f"{prefix}{number:03d}000"
    return codes


def _apportion(total: int, weights: np.ndarray, minimum: int, maximum: int) -> np.ndarray:
    """Split `total` in proportion to `weights` by largest remainders, within bounds."""
    exact = total * weights / weights.sum()
    counts = np.floor(exact).astype(int)
    shortfall = total - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:shortfall]] += 1
    clipped: np.ndarray = np.clip(counts, minimum, maximum)
    return clipped


def _villages(
    rng: np.random.Generator, names: NameBook, townships: gpd.GeoDataFrame, scale: Scale
) -> gpd.GeoDataFrame:
    areas = shapely.area(townships.geometry.to_numpy())
    is_street = (townships["kind"] == STREET).to_numpy()
    counts = _apportion(scale.n_villages, areas * np.where(is_street, 1.5, 1.0),
                        minimum=4, maximum=2 * MAX_PER_BLOCK)
    frames = [
        _township_villages(rng, names, townships.iloc[t], t, int(counts[t]))
        for t in range(len(townships))
    ]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry",
                            crs="EPSG:4326")


def _township_villages(
    rng: np.random.Generator, names: NameBook, township: pd.Series, position: int, n: int
) -> pd.DataFrame:
    """Communities cluster round the township seat (the town centre); villages fill the rest."""
    tile: BaseGeometry = township.geometry
    seat = np.array([township["seat_x"], township["seat_y"]])
    extent = np.sqrt(tile.area)
    kind = township["kind"]
    if kind == STREET:
        # urban: mostly communities, a few villages at the edge
        n_communities = max(2, round(0.7 * n))
        spread, keep_out = 0.45 * extent, 0.25 * extent
    else:
        # a compact town centre about one village across; a xiang has one community at most
        n_communities = (min(int(rng.integers(1, 5)), n - 3) if kind == TOWN
                         else int(rng.integers(0, 2)))
        spread = 0.3 * extent / np.sqrt(n)
        keep_out = 2 * spread if n_communities else 0.0
    n_communities = min(n_communities, MAX_PER_BLOCK)
    n_villages = min(n - n_communities, MAX_PER_BLOCK)

    def near_seat(m: int) -> np.ndarray:
        candidates = seat + rng.normal(0.0, spread, (m, 2))
        return candidates[shapely.contains_xy(tile, candidates[:, 0], candidates[:, 1])]

    def outside_centre(m: int) -> np.ndarray:
        candidates = points_in(rng, np.full(m, tile, dtype=object))
        kept: np.ndarray = candidates[np.hypot(*(candidates - seat).T) > keep_out]
        return kept

    community_gap = 0.6 * 2 * spread * np.sqrt(np.pi / max(n_communities, 1))
    communities = scatter(n_communities, community_gap, near_seat)
    village_area = tile.area - np.pi * keep_out**2
    villages = scatter(n_villages, 0.6 * np.sqrt(village_area / max(n_villages, 1)),
                       outside_centre, taken=communities)
    is_village = np.arange(n_communities + n_villages) >= n_communities
    seeds, tiles = relaxed_tiles(np.vstack([communities, villages]), tile, is_village, 2)
    n = len(seeds)

    offset = seeds - seat
    distance = np.hypot(*offset.T)
    bearing = np.mod(np.arctan2(offset[:, 0], offset[:, 1]), 2 * np.pi)  # clockwise from north
    order = np.lexsort((np.where(is_village, bearing, distance), is_village))
    numbers = np.where(is_village[order], FIRST_VILLAGE_NUMBER - n_communities, 1) + np.arange(n)
    stem = township["code"][:9]
    levels = np.where(is_village[order], RegionLevel.village.value, RegionLevel.community.value)
    households = np.where(
        is_village[order],
        np.clip(rng.lognormal(np.log(650), 0.55, len(seeds)), 150, 3000),
        np.clip(rng.lognormal(np.log(2200), 0.5, len(seeds)), 600, 8000),
    ).round().astype("int64")
    return pd.DataFrame({
        "code": [f"{stem}{number:03d}" for number in numbers],
        "name": [names.village() if v else names.community() for v in is_village[order]],
        "level": levels, "township": position, "households": households,
        "x": seeds[order, 0], "y": seeds[order, 1], "geometry": tiles[order],
    })


def _cells(rng: np.random.Generator, villages: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """About a third of villages split into 2–6 cells (communities more often, into more)."""
    levels = villages["level"].to_numpy()
    split_chance = np.where(levels == RegionLevel.community.value,
                            SPLIT_PROBABILITY[RegionLevel.community],
                            SPLIT_PROBABILITY[RegionLevel.village])
    is_split = rng.random(len(villages)) < split_chance
    n_cells = np.where(levels == RegionLevel.community.value, rng.integers(3, 7, len(villages)),
                       rng.integers(2, 5, len(villages)))
    codes, cell_names, parents, splits, shapes = [], [], [], [], []
    for v, village in enumerate(villages.itertuples()):
        if not is_split[v]:
            codes.append(village.code)
            cell_names.append(village.name)
            parents.append(v)
            splits.append(False)
            shapes.append(village.geometry)
            continue
        polygon: BaseGeometry = village.geometry
        n = int(n_cells[v])
        seeds = scatter(n, 0.6 * np.sqrt(polygon.area / n), _uniform_in(rng, polygon))
        seeds, tiles = relaxed_tiles(seeds, polygon, np.ones(n, dtype=bool), 2)
        order = np.lexsort((seeds[:, 0], -seeds[:, 1]))  # north to south, then west to east
        for ordinal, i in enumerate(order, start=1):
            codes.append(f"{village.code}{ordinal:02d}")
            cell_names.append(cell_name(ordinal))
            parents.append(v)
            splits.append(True)
            shapes.append(tiles[i])
    cells = gpd.GeoDataFrame({"code": codes, "name": cell_names, "village": parents,
                              "split": splits}, geometry=shapes, crs="EPSG:4326")
    return cells.sort_values("code", ignore_index=True)
