"""The bundle spec's rules, file by file, on frames: no database here.

Each check returns the rows it accepts, typed, and records every problem it finds. A row
that depends on a rejected row (a case in a rejected cell, an event of a rejected case) is
rejected too and says why, so writing only the good rows never leaves a dangling reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gridrisk.bundle.boundaries import Outlines, misplaced
from gridrisk.bundle.files import CsvRows
from gridrisk.bundle.parse import (
    GEOMETRY_KINDS,
    Problems,
    flag_duplicates,
    flag_only_when,
    is_in,
    parse_bool,
    parse_date,
    parse_enum,
    parse_float,
    parse_int,
    parse_moment,
    present,
    require,
)
from gridrisk.bundle.report import Notice, locator
from gridrisk.cases.errors import TransitionRefused
from gridrisk.cases.keys import event_keys
from gridrisk.cases.state import EventFacts, received
from gridrisk.policy import DeadlinePolicy, ImportPolicy
from gridrisk.privacy.numbers import parse_id_numbers, parse_phones
from gridrisk.privacy.schemas import (
    ADDRESS_MAX,
    CONTACT_FIELDS,
    CONTROL_CHARACTERS,
    NAME_MAX,
)
from gridrisk.regions.assign import CellIndex
from gridrisk.regions.coords import from_wgs84, out_of_china, to_wgs84, to_wgs84_by_row
from gridrisk.vocab import (
    CELL_HOLDERS,
    PARENT_LEVEL,
    Category,
    Channel,
    ClosureType,
    Crs,
    EventLevel,
    EventType,
    Outcome,
    RegionLevel,
    Satisfaction,
    Severity,
)

REGION_PROPERTIES = ["code", "name", "level", "parent_code", "households"]
CELL_PROPERTIES = ["code", "name", "region_code"]
#: column → whether the file must have it
CASE_COLUMNS = {
    "case_id": True, "received_on": True, "channel": True, "category": True, "parties": True,
    "lon": True, "lat": True, "crs": False, "cell_code": False, "region_code": False,
    "complex": True, "responsible_unit": True, "responsible_official": True, "summary": True,
    "due_at": False,
}
EVENT_COLUMNS = {"case_id": True, "at": True, "type": True, "level": True, "parties": False,
                 "detail": True}
SCREENING_COLUMNS = {
    "record_id": True, "screened_at": True, "worker": True, "cell_code": True, "found": True,
    "category": True, "severity": True, "parties": True, "lon": True, "lat": True,
    "crs": False, "outcome": True, "case_id": False, "summary": True,
}
CONTACT_COLUMNS = {"case_id": True, "name": True, "phone": False, "id_number": False,
                   "address": False}


@dataclass
class Known:
    """What the database already holds that a bundle may refer to."""

    regions: pd.DataFrame  # code, level
    cells: gpd.GeoDataFrame  # code, region_code, geometry
    #: stored regions the bundle's regions and cells sit in or beside (their parents and
    #: the parents' other children): code, level, parent_code, geometry
    shapes: gpd.GeoDataFrame
    cases: pd.DataFrame  # case_id, received_on, complex (the ids the bundle refers to)
    #: the stored case files of those cases: case_id, on_day, type, detail, content_hash,
    #: occurrence, corrected (a later event corrects it), in recorded order
    events: pd.DataFrame


@dataclass
class Checked:
    """A bundle's accepted rows, typed, with every problem and note found on the way; the
    rows of screenings.csv as their check goes (`settled` once it is done)."""

    regions: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    cases: pd.DataFrame
    events: pd.DataFrame
    screenings: ScreeningCheck
    rejects: pd.DataFrame
    notices: list[Notice] = field(default_factory=list)
    #: rows read per file
    read: dict[str, int] = field(default_factory=dict)
    #: case_id and CONTACT_FIELDS in clear (None where missing); sealed when written
    contacts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=list(CONTACT_COLUMNS)))

    def settled(self) -> Checked:
        """With the problems and notices of screenings.csv, once every batch is checked; the
        problems in the order of the files, each file's by line."""
        found = self.screenings.finish(self.notices).frame()
        rejects = pd.concat([self.rejects, found], ignore_index=True) if len(found) else (
            self.rejects)
        order = {file: place for place, file in enumerate(self.read)}
        self.rejects = rejects.sort_values(
            ["file", "line"], key=lambda column: column.map(order) if column.name == "file"
            else column.astype(int), kind="stable", ignore_index=True)
        return self

    def files(self) -> dict[str, dict[str, int]]:
        """Per file: rows read, rows rejected (one or more problems), rows accepted."""
        bad = self.rejects.drop_duplicates(["file", "line"]).groupby("file").size()
        return {file: {"read": n, "rejected": int(bad.get(file, 0)),
                       "accepted": n - int(bad.get(file, 0))} for file, n in self.read.items()}


def _reference(rows: pd.DataFrame, column: str, accepted: pd.Index, rejected: Rejected,
               problems: Problems, what: str, mask: pd.Series | None = None) -> pd.Series:
    """Rows whose `column` names something neither accepted nor known; one the bundle holds
    but rejected is named with where it was rejected, and its root problem as the cause."""
    codes = rows[column]
    asked = present(codes) if mask is None else mask & present(codes)
    missing = asked & ~is_in(codes, accepted)
    if not missing.any():
        return missing
    was_rejected = missing & codes.isin(rejected.where.index)
    reason = pd.Series(f"unknown {what}", index=rows.index)
    cause = pd.Series("", index=rows.index, dtype=object)
    reason[was_rejected], cause[was_rejected] = rejected.why(what, codes[was_rejected])
    problems.add(rows, missing, column, reason, cause=cause)
    return missing


@dataclass
class Rejected:
    """The codes a bundle file holds but the checks rejected: where each one is, and the root
    problem it was rejected for (its own, or that of a rejected row it depends on)."""

    where: pd.Series  # code → locator
    roots: pd.Series  # code → locator of the root problem

    @classmethod
    def nothing(cls) -> Rejected:
        return cls(pd.Series(dtype=object), pd.Series(dtype=object))

    @classmethod
    def of(cls, file: str, rows: pd.DataFrame | None, accepted: pd.DataFrame | None,
           key: str, problems: Problems) -> Rejected:
        if rows is None or accepted is None:
            return cls.nothing()
        bad = rows.loc[~rows[key].isin(accepted[key]) & present(rows[key])].drop_duplicates(
            key)
        where = pd.Series(locator(file, bad["line"]).to_numpy(), index=bad[key].to_numpy())
        found = problems.frame()
        own = found.loc[found["cause"].eq(""), "line"]
        inherited = found.loc[~found["line"].isin(own)].drop_duplicates("line").set_index(
            "line")["cause"]
        root = bad["line"].map(inherited).astype(object)
        roots = np.where(root.isna(), where.to_numpy(dtype=object), root.to_numpy())
        return cls(where, pd.Series(roots, index=where.index, dtype=object))

    def __add__(self, other: Rejected) -> Rejected:
        """Both; a code in both keeps this one's place."""
        where = pd.concat([self.where, other.where])
        roots = pd.concat([self.roots, other.roots])
        first = ~where.index.duplicated()
        return Rejected(where[first], roots[first])

    def only(self, codes: pd.Series) -> Rejected:
        keep = self.where.index.isin(codes)
        return Rejected(self.where[keep], self.roots[keep])

    def why(self, what: str, codes: pd.Series) -> tuple[pd.Series, pd.Series]:
        """The reason of a row that names a rejected code, and its cause."""
        where = codes.map(self.where).astype(str)
        return f"{what} was rejected (" + where + ")", codes.map(self.roots).astype(str)


def _accepted(rows: pd.DataFrame, problems: Problems) -> pd.Series:
    return ~rows["line"].isin(problems.bad_lines())


def clean_polygons(rows: gpd.GeoDataFrame, label: str, problems: Problems,
                   notices: list[Notice]) -> np.ndarray:
    """MultiPolygons in 2D; invalid ones repaired (and reported), empty ones rejected."""
    geoms: np.ndarray = shapely.force_2d(rows.geometry.to_numpy())
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    problems.add(rows, missing, "geometry", "empty geometry")
    kinds = shapely.get_type_id(geoms)
    polygonal = np.isin(kinds, [3, 6])
    wrong_kind = ~missing & ~polygonal
    problems.add(rows, wrong_kind, "geometry", "not a polygon: got "
                 + pd.Series(shapely.get_type_id(geoms)).map(GEOMETRY_KINDS).fillna("?"))
    invalid = ~missing & polygonal & ~shapely.is_valid(geoms)
    for position in np.flatnonzero(invalid):
        reason = shapely.is_valid_reason(geoms[position])
        repaired = _polygonal_part(shapely.make_valid(geoms[position]))
        if repaired is None:
            problems.add(rows, np.arange(len(rows)) == position, "geometry",
                         f"invalid geometry that cannot be repaired: {reason}")
            continue
        geoms[position] = repaired
        notices.append(Notice("repaired_geometry", label,
                              f"{label} feature {rows['line'].iloc[position]} (code "
                              f"{rows['code'].iloc[position]}): invalid polygon repaired "
                              f"({reason})", {"line": int(rows["line"].iloc[position])}))
    single = shapely.get_type_id(geoms) == 3
    if single.any():
        geoms[single] = shapely.multipolygons(geoms[single], indices=np.arange(single.sum()))
    return geoms


def _polygonal_part(geom: shapely.Geometry) -> shapely.Geometry | None:
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged if not merged.is_empty else None


def check_regions(rows: gpd.GeoDataFrame, known: Known, label: str, *, policy: ImportPolicy,
                  metric: CRS, notices: list[Notice]) -> tuple[gpd.GeoDataFrame, Problems]:
    problems = Problems(label)
    require(rows, "code", problems)
    require(rows, "name", problems)
    flag_duplicates(rows, "code", problems)
    level = parse_enum(rows, "level", RegionLevel, problems, required=True)
    households = parse_int(rows, "households", problems, minimum=0, required=False)
    geoms = clean_polygons(rows, label, problems, notices)

    levels = pd.concat([known.regions.set_index("code")["level"],
                        pd.Series(level.to_numpy(), index=rows["code"])])
    levels = levels[~levels.index.duplicated(keep="last")]
    parent = rows["parent_code"]
    expected = level.map(lambda lv: PARENT_LEVEL.get(lv) if lv else None)
    is_top = level.eq(RegionLevel.county)
    needs_parent = level.notna() & ~is_top & ~present(parent)
    problems.add(rows, needs_parent, "parent_code",
                 "a " + level.fillna("") + " needs a " + expected.fillna("").astype(str)
                 + " parent")
    parent_level = parent.map(levels)
    # a parent the file holds but rejects is named as such below, with its descendants
    unknown_parent = present(parent) & parent_level.isna() & ~parent.isin(rows["code"])
    problems.add(rows, unknown_parent, "parent_code", "unknown parent region")
    wrong = present(parent) & parent_level.notna() & level.notna() & (
        parent_level.astype(str) != expected.astype(str))
    problems.add(rows, wrong, "parent_code",
                 "parent is a " + parent_level.astype(str) + "; a " + level.fillna("")
                 + "'s parent must be a " + expected.astype(str).replace("None", "(none)"))

    regions = gpd.GeoDataFrame({
        "line": rows["line"], "code": rows["code"], "name": rows["name"], "level": level,
        "parent_code": parent.where(present(parent), None), "households": households,
    }, geometry=geoms, crs="EPSG:4326")
    drawn = regions.loc[_accepted(rows, problems)]
    outlines = pd.concat([drawn.rename(columns={"level": "kind"}), known.shapes.loc[
        ~known.shapes["code"].isin(rows["code"])].rename(columns={"level": "kind"}).assign(
        line=0)], ignore_index=True)
    parents = outlines[["code", "geometry"]]
    for kinds in ([RegionLevel.county], [RegionLevel.township], CELL_HOLDERS):
        level_outlines = Outlines(outlines.loc[outlines["kind"].isin(kinds)], label)
        _refuse_lines(rows, misplaced(level_outlines, parents, metric, policy, notices),
                      "geometry", problems)

    # a rejected region takes its descendants in the file with it
    for _ in range(len(RegionLevel)):
        rejected = Rejected.of(label, rows, rows.loc[_accepted(rows, problems)], "code",
                               problems)
        orphan = present(parent) & parent.isin(rejected.where.index) & _accepted(rows,
                                                                               problems)
        if not orphan.any():
            break
        reason, cause = rejected.why("parent region", parent)
        problems.add(rows, orphan, "parent_code", reason, cause=cause)
    return regions.loc[_accepted(rows, problems)], problems


def _refuse_lines(rows: pd.DataFrame, refused: pd.DataFrame, column: str,
                  problems: Problems) -> None:
    """Record `refused` (columns line, reason; several reasons per line allowed)."""
    for _, group in refused.groupby(refused.groupby("line").cumcount()):
        reason = rows["line"].map(group.set_index("line")["reason"])
        problems.add(rows, reason.notna(), column, reason)


def check_cells(rows: gpd.GeoDataFrame | None, regions: gpd.GeoDataFrame,
                region_rejects: Rejected, known: Known, label: str, *, policy: ImportPolicy,
                metric: CRS, notices: list[Notice]) -> tuple[gpd.GeoDataFrame, Problems]:
    """The file's cells, plus a cell for each village/community that has none."""
    problems = Problems(label)
    columns = ["line", *CELL_PROPERTIES, "geometry"]
    if rows is None:
        cells = gpd.GeoDataFrame(columns=columns, geometry="geometry", crs="EPSG:4326")
    else:
        require(rows, "code", problems)
        require(rows, "name", problems)
        require(rows, "region_code", problems)
        flag_duplicates(rows, "code", problems)
        geoms = clean_polygons(rows, label, problems, notices)
        holders = pd.concat([
            regions.loc[regions["level"].isin(CELL_HOLDERS), "code"],
            known.regions.loc[known.regions["level"].isin(CELL_HOLDERS), "code"],
        ])
        all_regions = pd.concat([regions["code"], known.regions["code"]])
        not_holder = present(rows["region_code"]) & rows["region_code"].isin(all_regions) & (
            ~rows["region_code"].isin(holders))
        problems.add(rows, not_holder, "region_code",
                     "cells belong to a village or community, not to a township or county")
        _reference(rows, "region_code", pd.Index(all_regions), region_rejects, problems,
                   "region", mask=~not_holder)
        cells = gpd.GeoDataFrame(rows[["line", *CELL_PROPERTIES]].assign(geometry=geoms),
                                 geometry="geometry", crs="EPSG:4326")
        drawn = cells.loc[_accepted(rows, problems)]
        # a village's own cell (code = village code) is the village itself: not a sibling
        stored = known.cells.loc[known.cells["region_code"].isin(drawn["region_code"])
                                 & (known.cells["code"] != known.cells["region_code"])]
        outlines = pd.concat([drawn, stored.assign(line=0)], ignore_index=True).rename(
            columns={"region_code": "parent_code"}).assign(kind="cell")
        parents = pd.concat([regions[["code", "geometry"]], known.shapes[["code", "geometry"]]
                             ], ignore_index=True).drop_duplicates("code")
        _refuse_lines(rows, misplaced(Outlines(outlines, label), parents, metric, policy,
                                      notices), "geometry", problems)
        cells = cells.loc[_accepted(rows, problems)]
    holders = regions.loc[regions["level"].isin(CELL_HOLDERS)]
    # a village's own cell (same code) follows the village; split villages keep their cells
    split_before = known.cells.loc[known.cells["code"] != known.cells["region_code"]]
    has_cells = pd.concat([cells["region_code"], split_before["region_code"]])
    own = holders.loc[~holders["code"].isin(has_cells)]
    implicit = gpd.GeoDataFrame({
        "line": 0, "code": own["code"], "name": own["name"], "region_code": own["code"],
    }, geometry=own.geometry.to_numpy(), crs="EPSG:4326")
    return pd.concat([cells, implicit], ignore_index=True), problems


#: smallest first: a point in a rejected cell of a rejected village names the cell
AREA_ORDER = {"cell": 0, RegionLevel.village: 1, RegionLevel.community: 1,
              RegionLevel.township: 2, RegionLevel.county: 3}


class RejectedAreas:
    """Where the bundle's rejected cells and regions lie, so that a point in one is rejected
    naming it (and its root problem) rather than as outside every cell."""

    def __init__(self, region_rows: gpd.GeoDataFrame, regions: gpd.GeoDataFrame,
                 region_rejects: Rejected, cell_rows: gpd.GeoDataFrame | None,
                 cells: gpd.GeoDataFrame, cell_rejects: Rejected) -> None:
        parts = [(region_rows, regions, region_rejects,
                  region_rows["level"].astype(str).str.lower())]
        if cell_rows is not None:
            parts.append((cell_rows, cells, cell_rejects,
                          pd.Series("cell", index=cell_rows.index)))
        frames = []
        for rows, accepted, rejected, kind in parts:
            bad = ~rows["code"].isin(accepted["code"]) & rows["code"].isin(rejected.where.index)
            geoms = shapely.force_2d(rows.geometry.to_numpy()[bad.to_numpy()])
            usable = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
            frames.append(pd.DataFrame({
                "kind": kind[bad].to_numpy()[usable], "code": rows["code"][bad].to_numpy()[usable],
                "geometry": shapely.make_valid(geoms[usable])}))
        areas = pd.concat(frames, ignore_index=True)
        areas = areas.loc[areas["kind"].isin(list(AREA_ORDER))]
        areas = areas.assign(order=areas["kind"].map(AREA_ORDER)).sort_values(
            "order", kind="stable").reset_index(drop=True)
        self.areas = areas
        self.rejected = region_rejects + cell_rejects
        self.tree = shapely.STRtree(areas["geometry"].to_numpy())

    def find(self, lon: np.ndarray, lat: np.ndarray, mask: np.ndarray, index: pd.Index
             ) -> tuple[pd.Series, pd.Series, np.ndarray]:
        """For the points under `mask`: the reason naming the rejected area holding each, its
        cause, and which points lie in one."""
        reason = pd.Series("", index=index, dtype=object)
        cause = pd.Series("", index=index, dtype=object)
        found = np.zeros(len(index), dtype=bool)
        if not mask.any() or self.areas.empty:
            return reason, cause, found
        positions = np.flatnonzero(mask)
        point, area = self.tree.query(shapely.points(lon[positions], lat[positions]),
                                      predicate="intersects")
        first = pd.DataFrame({"point": point, "area": area}).sort_values(
            ["point", "area"]).drop_duplicates("point")
        rows = positions[first["point"].to_numpy()]
        hit = self.areas.iloc[first["area"].to_numpy()]
        codes = hit["code"]
        where = codes.map(self.rejected.where)
        reason.iloc[rows] = [  # type: ignore[call-overload]  # stubs: no list by position
            f"point ({lon[r]:.6f}, {lat[r]:.6f}) lies in {kind} {code}, which "
                             f"was rejected ({at})" for r, kind, code, at in
                             zip(rows, hit["kind"], codes, where, strict=True)]
        cause.iloc[rows] = codes.map(self.rejected.roots).to_numpy()  # type: ignore[call-overload]
        found[rows] = True
        return reason, cause, found


def _points(rows: pd.DataFrame, problems: Problems, *, allowed: pd.Series
            ) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Rows with a usable point, and its WGS84 lon/lat (NaN elsewhere)."""
    lon = parse_float(rows, "lon", problems)
    lat = parse_float(rows, "lat", problems)
    crs = parse_enum(rows, "crs", Crs, problems, required=False, default=Crs.wgs84.value)
    given_lon, given_lat = present(rows["lon"]), present(rows["lat"])
    problems.add(rows, allowed & given_lon & ~given_lat, "lat", "lon is given, lat is empty")
    problems.add(rows, allowed & given_lat & ~given_lon, "lon", "lat is given, lon is empty")
    problems.add(rows, lon.abs() > 180, "lon", "out of range: longitude is within ±180")
    problems.add(rows, lat.abs() > 90, "lat", "out of range: latitude is within ±90")
    usable = allowed & lon.notna() & lat.notna() & (lon.abs() <= 180) & (lat.abs() <= 90) & (
        crs.notna())
    wgs_lon = np.full(len(rows), np.nan)
    wgs_lat = np.full(len(rows), np.nan)
    if usable.any():
        declared = crs[usable]
        kinds = declared.unique()
        given = (lon[usable].to_numpy(), lat[usable].to_numpy())
        # a file in one crs (the usual) is converted without a text array per row
        wgs_lon[usable.to_numpy()], wgs_lat[usable.to_numpy()] = (
            to_wgs84(*given, kinds[0]) if len(kinds) == 1 else
            to_wgs84_by_row(*given, declared.to_numpy(dtype=str)))
    return usable, wgs_lon, wgs_lat


def _located(lon: np.ndarray, lat: np.ndarray, mask: np.ndarray, index: pd.Index,
             what: str) -> pd.Series:
    """'point (lon, lat) <what>' for the rows under `mask` (only those are formatted)."""
    reasons = pd.Series("", index=index, dtype=object)
    reasons[mask] = [f"point ({x:.6f}, {y:.6f}) {what}"  # type: ignore[call-overload]
                     for x, y in zip(lon[mask], lat[mask], strict=True)]
    return reasons


OUTSIDE_EVERY_CELL = "is outside every cell"
#: from this share of a file's points outside every cell, the report names the likely cause
#: (a CRS) instead of listing the rows
MOSTLY = 0.5
MOSTLY_MIN_ROWS = 10


def _outside_cells(rows: pd.DataFrame, lon: np.ndarray, lat: np.ndarray, outside: np.ndarray,
                   areas: RejectedAreas, problems: Problems) -> np.ndarray:
    """Points outside every accepted cell: those in a rejected cell or region name it; the
    others, outside everything the bundle draws, are returned."""
    reason, cause, in_rejected = areas.find(lon, lat, outside, rows.index)
    problems.add(rows, in_rejected, "lon", reason, cause=cause)
    nowhere: np.ndarray = outside & ~in_rejected
    problems.add(rows, nowhere, "lon", _located(lon, lat, nowhere, rows.index,
                                                OUTSIDE_EVERY_CELL))
    return nowhere


def _summarise_outside(file: str, lon: np.ndarray, lat: np.ndarray, outside: np.ndarray,
                       with_point: np.ndarray, index: CellIndex, notices: list[Notice]
                       ) -> None:
    """When most of a file's points lie outside every cell, one notice with the likely cause:
    the boundaries' or the points' CRS (tried: GCJ-02 and BD-09 either way round)."""
    n_outside, n_points = int(outside.sum()), int(with_point.sum())
    if n_outside < MOSTLY_MIN_ROWS or n_outside <= MOSTLY * n_points:
        return
    x, y = lon[outside], lat[outside]
    cells = shapely.total_bounds(index.geometries)
    extent = (f"these points span lon {x.min():.4f} to {x.max():.4f}, lat {y.min():.4f} to "
              f"{y.max():.4f}; the cells lon {cells[0]:.4f} to {cells[2]:.4f}, lat "
              f"{cells[1]:.4f} to {cells[3]:.4f}")
    hint = _datum_hint(x, y, index)
    notices.append(Notice(
        "points_outside_cells", file,
        f"{file}: {n_outside:,} of {n_points:,} points ({n_outside / n_points:.0%}) lie "
        "outside every cell: the boundary files' CRS or the points' CRS is the likely cause, "
        f"not the rows ({extent}){hint}",
        {"count": n_outside, "of": n_points, "points_bounds": [float(x.min()), float(y.min()),
         float(x.max()), float(y.max())], "cells_bounds": [float(v) for v in cells]}))


def _datum_hint(lon: np.ndarray, lat: np.ndarray, index: CellIndex) -> str:
    inside_china = ~out_of_china(lon, lat)
    if not inside_china.any():
        return ""
    sample = np.flatnonzero(inside_china)[:2000]
    x, y = lon[sample], lat[sample]
    trials = [
        ("the boundary files are GCJ-02 (drawn on Amap or Tencent maps): import with "
         "--boundary-crs gcj02", from_wgs84(x, y, "gcj02")),
        ("the boundary files are BD-09 (drawn on Baidu maps): import with --boundary-crs bd09",
         from_wgs84(x, y, "bd09")),
        ("the points are GCJ-02 but say wgs84: set their crs column to gcj02",
         to_wgs84(x, y, "gcj02")),
        ("the points are BD-09 but say wgs84: set their crs column to bd09",
         to_wgs84(x, y, "bd09")),
    ]
    for advice, (tx, ty) in trials:
        if np.mean(index.assign(tx, ty) != "") >= 0.8:
            return f". Most of them fall in a cell if {advice}"
    return ""


def _warn_placeholders(file: str, rows: pd.DataFrame, lon: np.ndarray, lat: np.ndarray,
                       cell: pd.Series, policy: ImportPolicy, notices: list[Notice]) -> None:
    """Points shared by an implausible number of records: a placeholder (a city hall used
    when the address was unknown) piles them all into one cell."""
    given = ~np.isnan(lon)
    if given.sum() < policy.placeholder_min_records:
        return
    # points equal to the microdegree, found by sorting (a tenth of a hash count's time)
    key = (np.round(lon[given] * 1e6).astype(np.int64) * 1_000_000_000
           + np.round(lat[given] * 1e6).astype(np.int64))
    ordered = np.sort(key)
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[starts, len(ordered)])
    piles = pd.Series(sizes, index=ordered[starts])
    piles = piles[piles >= policy.placeholder_min_records].sort_values(ascending=False)
    for value, count in piles.items():
        at = np.flatnonzero(given)[key == value]
        x, y, where = lon[at[0]], lat[at[0]], str(cell.iloc[at[0]]) or "no cell"
        lines = rows["line"].to_numpy()[at]
        notices.append(Notice(
            "placeholder_point", file,
            f"{file}: {count:,} records share the point ({x:.6f}, {y:.6f}) in cell {where} "
            f"(lines {', '.join(map(str, lines[:5]))}{', …' if count > 5 else ''}): a "
            "placeholder such as a city hall used when the address was unknown? They all "
            "count in that cell; where the real place is unknown, give the village "
            "(region_code) instead of a point",
            {"count": int(count), "lon": float(x), "lat": float(y), "cell_code": where,
             "lines": [int(v) for v in lines[:20]]}))


def check_cases(rows: pd.DataFrame, cells: gpd.GeoDataFrame, cell_rejects: Rejected,
                region_rejects: Rejected, known: Known, index: CellIndex,
                areas: RejectedAreas, today: pd.Timestamp, *, label: str, timezone: str,
                policy: ImportPolicy, notices: list[Notice]) -> tuple[pd.DataFrame, Problems]:
    problems = Problems(label)
    require(rows, "case_id", problems)
    flag_duplicates(rows, "case_id", problems)
    received_on = parse_date(rows, "received_on", problems)
    problems.add(rows, received_on.notna() & (received_on > today.date()), "received_on",
                 "in the future")
    channel = parse_enum(rows, "channel", Channel, problems, required=True)
    category = parse_enum(rows, "category", Category, problems, required=True)
    parties = parse_int(rows, "parties", problems, minimum=1, required=True)
    is_complex = parse_bool(rows, "complex", problems, default=False)
    due_at, _ = parse_moment(rows, "due_at", problems, timezone=timezone, dates_allowed=True,
                             required=False)
    both = due_at.notna() & received_on.notna()
    due_day = due_at.dt.tz_convert(timezone).dt.date.where(both, date.min)
    problems.add(rows, both & (due_day < received_on.where(both, date.min)), "due_at",
                 "before the case was received (received_on)")
    has_point, lon, lat = _points(rows, problems, allowed=pd.Series(True, index=rows.index))
    cell_given, region_given = present(rows["cell_code"]), present(rows["region_code"])
    unplaced = ~present(rows["lon"]) & ~present(rows["lat"]) & ~cell_given & ~region_given
    problems.add(rows, unplaced, "lon",
                 "no location: give lon/lat, a cell_code or a region_code")

    cell_regions = pd.concat([cells.set_index("code")["region_code"],
                              known.cells.set_index("code")["region_code"]])
    cell_regions = cell_regions[~cell_regions.index.duplicated()]
    bad_cell = _reference(rows, "cell_code", cell_regions.index, cell_rejects, problems, "cell")
    holders = pd.Index(cell_regions.unique())
    bad_region = _reference(rows, "region_code", holders, region_rejects, problems,
                            "village or community")

    cell = rows["cell_code"].where(cell_given, "")
    checkable = (has_point & cell_given & ~bad_cell).to_numpy()
    outside_given = np.zeros(len(rows), dtype=bool)
    outside_given[checkable] = ~index.holds(cell.to_numpy()[checkable], lon[checkable],
                                            lat[checkable])
    problems.add(rows, outside_given, "lon",
                 _located(lon, lat, outside_given, rows.index, "lies outside cell")
                 + " " + cell.astype(str))
    to_assign = (has_point & ~cell_given).to_numpy()
    assigned = index.assign(lon[to_assign], lat[to_assign])
    cell.iloc[np.flatnonzero(to_assign)] = assigned
    outside_all = np.zeros(len(rows), dtype=bool)
    outside_all[to_assign] = assigned == ""
    nowhere = _outside_cells(rows, lon, lat, outside_all, areas, problems)
    _summarise_outside(label, lon, lat, nowhere, to_assign, index, notices)
    _warn_placeholders(label, rows, lon, lat, cell, policy, notices)

    # a case named only by its village sits in that village's cell when it has just one
    only_region = ~has_point & ~cell_given & region_given & ~bad_region
    sole_cell = cell_regions.reset_index().groupby("region_code")["code"].agg(
        lambda codes: codes.iloc[0] if len(codes) == 1 else "")
    cell[only_region] = rows.loc[only_region, "region_code"].map(sole_cell).fillna("")
    region = cell.map(cell_regions).where(present(cell), rows["region_code"])
    conflict = region_given & present(cell) & region.ne(rows["region_code"]) & ~bad_region
    problems.add(rows, conflict, "region_code",
                 "cell " + cell.astype(str) + " belongs to " + region.astype(str) + ", not to "
                 + rows["region_code"])

    ok = _accepted(rows, problems)
    cases = pd.DataFrame({
        "line": rows["line"], "case_id": rows["case_id"], "received_on": received_on,
        "channel": channel, "category": category, "parties": parties,
        "lon": lon, "lat": lat, "region_code": region, "cell_code": cell.where(present(cell)),
        "complex": is_complex, "responsible_unit": rows["responsible_unit"],
        "responsible_official": rows["responsible_official"], "summary": rows["summary"],
        "due_at": due_at,
    })
    return cases.loc[ok], problems


def check_events(rows: pd.DataFrame, cases: pd.DataFrame, case_rejects: Rejected,
                 known: Known, *, label: str, timezone: str, now: pd.Timestamp,
                 policy: DeadlinePolicy) -> tuple[pd.DataFrame, Problems]:
    problems = Problems(label)
    require(rows, "case_id", problems)
    received = pd.concat([cases.set_index("case_id")["received_on"],
                          known.cases.set_index("case_id")["received_on"]])
    received = received[~received.index.duplicated()]
    _reference(rows, "case_id", received.index, case_rejects, problems, "case")
    at, at_is_date = parse_moment(rows, "at", problems, timezone=timezone, dates_allowed=True)
    kind = parse_enum(rows, "type", EventType, problems, required=True)
    level = parse_enum(rows, "level", EventLevel, problems, required=False)
    parties = parse_int(rows, "parties", problems, minimum=1, required=False)
    detail = rows["detail"]
    for event, codes in ((EventType.closed, ClosureType),
                         (EventType.followed_up, Satisfaction)):
        wrong = kind.eq(event) & ~detail.isin([c.value for c in codes])
        problems.add(rows, wrong, "detail", f"a {event} event names its "
                     f"{'closure type' if event == EventType.closed else 'satisfaction'} "
                     f"here: one of {', '.join(c.value for c in codes)}")
    problems.add(rows, at > now, "at", "in the future")

    ok = _accepted(rows, problems)
    events = pd.DataFrame({
        "line": rows["line"], "case_id": rows["case_id"], "at": at, "at_is_date": at_is_date,
        "type": kind, "level": level, "parties": parties,
        "detail": detail.where(present(detail), None),
    }).loc[ok]
    events = events.join(event_keys(events))
    refused = check_workflow(events, cases, known, timezone=timezone, policy=policy)
    for column, reasons in refused.groupby(lambda row: refused[row].field):
        problems.add(rows, rows.index.isin(reasons.index), str(column), reasons.map(
            lambda r: f"refused by the case workflow: {r.refusal}").reindex(rows.index))
    return events.loc[~events.index.isin(refused.index)], problems


def check_workflow(events: pd.DataFrame, cases: pd.DataFrame, known: Known, *,
                   timezone: str, policy: DeadlinePolicy) -> pd.Series:
    """The refusals of the bundle's new events by row, from three rules applied in turn (an
    event refused by one is left out of the next):

    1. the bundle's own order: each local day holds the stored events the bundle does not
       hold, then the bundle's events in file order (stored ones where the file puts them).
       Its verdicts do not depend on how much of the bundle is stored already, so a
       re-import refuses exactly what the first import refused, for the same reason;
    2. a new event that the file lists before an event recorded already on the same day is
       refused: appended after it, it would not be where the bundle says it is;
    3. the stored order, where the new events will land (each day: the recorded events, then
       the new ones in file order), so that what is written always replays."""
    facts = pd.DataFrame({
        "case_id": events["case_id"], "on_day": events["at"].dt.tz_convert(timezone).dt.date,
        "type": events["type"], "detail": events["detail"],
        "content_hash": events["content_hash"], "occurrence": events["occurrence"],
        "position": np.arange(len(events)), "line": events["line"], "row": events.index,
    })
    stored = known.events.loc[~known.events["corrected"].fillna(False).astype(bool)]
    stored = stored.assign(recorded=np.arange(len(stored)))
    key = ["case_id", "content_hash", "occurrence"]
    stored = stored.merge(facts[[*key, "position", "line"]], on=key, how="left")
    fresh = facts.loc[~pd.MultiIndex.from_frame(facts[key]).isin(
        pd.MultiIndex.from_frame(stored[key]))]
    replay = pd.concat([stored.assign(row=-1), fresh.assign(recorded=np.inf)],
                       ignore_index=True)
    both = pd.concat([cases[["case_id", "received_on", "complex"]],
                      known.cases[["case_id", "received_on", "complex"]]]
                     ).drop_duplicates("case_id")
    attributes = dict(zip(both["case_id"], zip(both["received_on"], both["complex"],
                                               strict=True), strict=True))

    in_file_order = replay.assign(held=replay["position"].notna()).sort_values(
        ["case_id", "on_day", "held", "position", "recorded"], kind="stable")
    refused = _replay(in_file_order, attributes, policy, skip=set())
    refused.update(_listed_before_recorded(fresh, stored, skip=set(refused)))
    as_stored = replay.sort_values(["case_id", "on_day", "recorded", "position"],
                                   kind="stable")
    refused.update(_replay(as_stored, attributes, policy, skip=set(refused)))
    return pd.Series(refused, dtype=object)


def _replay(events: pd.DataFrame, attributes: dict[str, tuple[date, bool]],
            policy: DeadlinePolicy, *, skip: set[int]) -> dict[int, TransitionRefused]:
    """Each case file in the given order through the one workflow; the refusals of the new
    events by row (a refused or skipped event leaves the state as it was; a stored event the
    workflow would refuse is replayed as it was recorded, never refused again)."""
    refused: dict[int, TransitionRefused] = {}
    columns = ["case_id", "on_day", "type", "detail", "row"]
    for case_id, file in groupby(events[columns].itertuples(index=False, name=None),
                                 key=lambda e: e[0]):
        received_on, is_complex = attributes[case_id]
        state = received(received_on, policy)
        for _, on_day, kind, detail, row in file:
            if row in skip:
                continue
            try:
                state = state.after(EventFacts(on_day, kind, detail), policy,
                                    is_complex=bool(is_complex))
            except TransitionRefused as refusal:
                if row >= 0:
                    refused[row] = refusal
    return refused


def _listed_before_recorded(fresh: pd.DataFrame, stored: pd.DataFrame, *, skip: set[int]
                            ) -> dict[int, TransitionRefused]:
    """Rule 2 of check_workflow: new events the file lists before an event of the same case
    and day that is recorded already."""
    held = stored.loc[stored["position"].notna()]
    last = held.sort_values("position").drop_duplicates(["case_id", "on_day"], keep="last")
    later = fresh.merge(last[["case_id", "on_day", "position", "line", "type"]],
                        on=["case_id", "on_day"], suffixes=("", "_recorded"))
    later = later.loc[(later["position"] < later["position_recorded"])
                      & ~later["row"].isin(skip)]
    return {row: TransitionRefused(kind, f"listed before line {int(line)} ({recorded}) of the "
                                   f"same day, which is recorded already; a new event is "
                                   "added after the events recorded on its day, so it would "
                                   "not stand where the file puts it: move it after that line")
            for row, kind, line, recorded in zip(later["row"], later["type"],
                                                 later["line_recorded"],
                                                 later["type_recorded"], strict=True)}


#: screenings.csv rows checked at a time (and written, by an import: the server writes one
#: batch while the next is checked)
SCREENING_BATCH = 50_000


class ScreeningCheck:
    """screenings.csv checked a batch of rows at a time, so that an import writes one batch
    while it checks the next (bundle/service.py). What spans the file is settled across the
    batches: a repeated id is found on the whole id column first; the placeholder piles and
    the share of points outside every cell once every batch is checked (`finish`)."""

    def __init__(self, source: CsvRows, cells: gpd.GeoDataFrame, cell_rejects: Rejected,
                 cases: pd.DataFrame, case_rejects: Rejected, known: Known,
                 index: CellIndex, areas: RejectedAreas, *, label: str, timezone: str,
                 now: pd.Timestamp, policy: ImportPolicy) -> None:
        self.source, self.label = source, label
        self.timezone, self.now, self.policy = timezone, now, policy
        self.cell_rejects, self.case_rejects = cell_rejects, case_rejects
        self.index, self.areas = index, areas
        self.all_cells = pd.Index(pd.concat([cells["code"], known.cells["code"]]).unique())
        self.known_cases = pd.Index(pd.concat([cases["case_id"], known.cases["case_id"]]
                                              ).unique())
        self.problems = Problems(label)
        ids = source.frame(columns=["record_id"])
        #: by position in the file: whether a row repeats an earlier row's id
        self.repeated = flag_duplicates(ids, "record_id", self.problems).to_numpy()
        #: every row's key, for a writer to look up once
        self.keys = ids[["record_id"]]
        #: per batch: each row's line, WGS84 point, whether it has one and lies nowhere,
        #: and its cell when it has one
        self._points: list[pd.DataFrame] = []

    def batches(self) -> Iterator[tuple[float, pd.DataFrame]]:
        """Each batch's accepted rows, typed, with the share of the file checked so far (an
        empty file gives one empty batch)."""
        total = len(self.source)
        for start in range(0, max(total, 1), SCREENING_BATCH):
            rows = self.source.frame(start, start + SCREENING_BATCH)
            yield min(start + SCREENING_BATCH, total) / max(total, 1), self._batch(rows)

    @property
    def refused(self) -> bool:
        """Whether a row checked so far has a problem."""
        return bool(self.problems)

    def _batch(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The accepted rows of `rows` (a slice of the file, indexed by position). A
        dispute's point must lie in some cell; that is tested (shapely, which lets go of the
        GIL) in a thread of its own while the other columns are checked."""
        found_problems, point_problems = Problems(self.label), Problems(self.label)
        found = parse_bool(rows, "found", found_problems, default=None)
        has_point, lon, lat = _points(rows, point_problems, allowed=found)
        with ThreadPoolExecutor(1) as pool:
            with_point = has_point.to_numpy()
            in_a_cell = pool.submit(self.index.in_some_cell, lon[with_point], lat[with_point],
                                    rows["cell_code"][with_point])
            problems = Problems(self.label)
            require(rows, "record_id", problems)
            screened_at, _ = parse_moment(rows, "screened_at", problems,
                                          timezone=self.timezone, dates_allowed=False)
            problems.add(rows, screened_at > self.now, "screened_at", "in the future")
            require(rows, "worker", problems)
            require(rows, "cell_code", problems)
            _reference(rows, "cell_code", self.all_cells, self.cell_rejects, problems, "cell")
            problems.extend(found_problems)
            flag_only_when(rows, ["category", "severity", "parties", "lon", "lat", "outcome",
                                  "case_id"], found, "when a dispute was found (found = true)",
                           problems)
            category = parse_enum(rows, "category", Category, problems, required=False)
            severity = parse_enum(rows, "severity", Severity, problems, required=False)
            for column in ("category", "severity"):
                problems.add(rows, found & ~present(rows[column]), column,
                             "required when a dispute was found")
            parties = parse_int(rows, "parties", problems, minimum=1, required=False)
            outcome = parse_enum(rows, "outcome", Outcome, problems, required=False)
            problems.extend(point_problems)
            outside = np.zeros(len(rows), dtype=bool)
            outside[with_point] = ~in_a_cell.result()
        nowhere = _outside_cells(rows, lon, lat, outside, self.areas, problems)
        self._points.append(pd.DataFrame({
            "line": rows["line"].to_numpy(), "lon": lon, "lat": lat, "nowhere": nowhere,
            "with_point": with_point, "cell_code": rows["cell_code"].where(has_point, "")}))
        _reference(rows, "case_id", self.known_cases, self.case_rejects, problems, "case",
                   mask=found)
        self.problems.extend(problems)
        ok = _accepted(rows, problems) & ~self.repeated[rows.index]
        screenings = pd.DataFrame({
            "line": rows["line"], "record_id": rows["record_id"], "screened_at": screened_at,
            "worker": rows["worker"], "cell_code": rows["cell_code"], "found": found,
            "category": category, "severity": severity, "parties": parties, "lon": lon,
            "lat": lat, "outcome": outcome,
            "case_id": rows["case_id"].where(present(rows["case_id"]), None),
            "summary": rows["summary"],
        })
        return screenings.loc[ok]

    def finish(self, notices: list[Notice]) -> Problems:
        """The file's problems, once every batch is checked; its notices."""
        points = pd.concat(self._points, ignore_index=True)
        lon, lat = points["lon"].to_numpy(), points["lat"].to_numpy()
        _summarise_outside(self.label, lon, lat, points["nowhere"].to_numpy(),
                           points["with_point"].to_numpy(), self.index, notices)
        _warn_placeholders(self.label, points, lon, lat, points["cell_code"], self.policy,
                           notices)
        return self.problems


def check_contacts(rows: pd.DataFrame, cases: pd.DataFrame, case_rejects: Rejected,
                   known: Known, today: pd.Timestamp) -> tuple[pd.DataFrame, Problems]:
    """One contact per case, of a case the bundle or the database holds; phone numbers and
    identity card numbers in their stored forms (privacy.numbers). Rejected values are
    recorded masked."""
    problems = Problems("contacts.csv", personal=CONTACT_FIELDS)
    require(rows, "case_id", problems)
    flag_duplicates(rows, "case_id", problems)
    known_cases = pd.Index(pd.concat([cases["case_id"], known.cases["case_id"]]).unique())
    _reference(rows, "case_id", known_cases, case_rejects, problems, "case")
    require(rows, "name", problems)
    for column, limit in (("name", NAME_MAX), ("address", ADDRESS_MAX)):
        values = rows[column]
        problems.add(rows, values.str.len() > limit, column, f"at most {limit} characters")
        problems.add(rows, values.str.contains(CONTROL_CHARACTERS, regex=True), column,
                     "holds a control character (a line break, tab or NUL)")
    phone, phone_refused = parse_phones(rows["phone"])
    problems.add(rows, phone_refused.ne(""), "phone", phone_refused)
    id_number, id_refused = parse_id_numbers(rows["id_number"], today=today.date())
    problems.add(rows, id_refused.ne(""), "id_number", id_refused)

    ok = _accepted(rows, problems)
    contacts = pd.DataFrame({
        "line": rows["line"], "case_id": rows["case_id"], "name": rows["name"],
        "phone": phone, "id_number": id_number, "address": rows["address"],
    })
    for column in CONTACT_FIELDS:
        contacts[column] = contacts[column].where(present(contacts[column]), None)
    return contacts.loc[ok], problems
