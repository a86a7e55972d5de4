"""Boundary files as they come in the wild: coordinates that do not fit the CRS they declare,
outlines drawn on Chinese web maps (GCJ-02, BD-09), and regions or cells that overlap their
siblings or reach outside their parent, measured in square metres."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import ProjError

from gridrisk.bundle.errors import BundleFileError
from gridrisk.bundle.report import Notice
from gridrisk.policy import ImportPolicy
from gridrisk.regions.coords import out_of_china, to_wgs84
from gridrisk.vocab import Crs


def check_declared_crs(frame: gpd.GeoDataFrame, file: str) -> None:
    """Refuse a file whose coordinates lie outside the valid range of the CRS it declares
    (a projected CRS labelled as CRS84 is the classic), naming the file, the CRS, the range
    observed and the likely cause. Nothing of such a file may be written, whatever the mode."""
    if frame.empty or bool(shapely.is_empty(frame.geometry.to_numpy()).all()):
        return
    x0, y0, x1, y1 = (float(v) for v in frame.total_bounds)
    crs = frame.crs
    valid = _valid_range(crs)
    if valid is None:
        return
    vx0, vy0, vx1, vy1 = valid
    if vx0 <= x0 and x1 <= vx1 and vy0 <= y0 and y1 <= vy1:
        return
    observed = f"x {_number(x0)} to {_number(x1)}, y {_number(y0)} to {_number(y1)}"
    allowed = ("longitude -180 to 180, latitude -90 to 90" if crs.is_geographic else
               f"x {_number(vx0)} to {_number(vx1)}, y {_number(vy0)} to {_number(vy1)}")
    raise BundleFileError(file, f"its coordinates ({observed}) lie outside the valid range of "
                          f"the CRS it declares, {_crs_name(crs)}, which is {allowed}: "
                          f"{_likely_cause(crs, (x0, y0, x1, y1))}. Nothing was imported")


def _valid_range(crs: CRS) -> tuple[float, float, float, float] | None:
    """Where a CRS's coordinates may lie: ±180/±90 for degrees; for a projected CRS, its area
    of use projected and widened by its own size on every side (data a little beyond a
    zone's edge is common; metres or feet labelled as degrees, or degrees labelled as a
    projection, are off by orders of magnitude)."""
    if crs.is_geographic:
        return (-180.0, -90.0, 180.0, 90.0)
    if crs.area_of_use is None:
        return None
    try:
        bounds = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform_bounds(
            *crs.area_of_use.bounds)
    except ProjError:
        return None
    x0, y0, x1, y1 = bounds
    if not np.all(np.isfinite(bounds)):
        return None
    width, height = x1 - x0, y1 - y0
    return (x0 - width, y0 - height, x1 + width, y1 + height)


def _likely_cause(crs: CRS, bounds: tuple[float, float, float, float]) -> str:
    x0, y0, x1, y1 = bounds
    label = _crs_name(crs)
    if crs.is_geographic:
        if max(abs(x0), abs(x1)) <= 90 < max(abs(y0), abs(y1)) <= 180:
            return ("latitude and longitude look swapped (y holds values beyond ±90 that fit "
                    "a longitude): write x = longitude, y = latitude")
        return (f"values in the {_magnitude(max(abs(x0), abs(x1), abs(y0), abs(y1)))} are "
                "metres or feet, not degrees: the likely cause is a projected CRS (such as a "
                "US State Plane zone in feet, or a UTM or Gauss-Krüger zone in metres) "
                f"labelled as {label}; declare the file's real CRS (a .prj beside a "
                "shapefile, the layer's CRS in a GeoPackage) or reproject it to WGS84")
    if max(abs(x0), abs(x1)) <= 180 and max(abs(y0), abs(y1)) <= 90:
        return (f"the values fit longitudes and latitudes: the likely cause is a file in "
                f"degrees (WGS84 or CGCS2000) labelled as {label}")
    return (f"the file's CRS label is likely wrong: its coordinates belong to another CRS "
            f"than {label}")


def _magnitude(value: float) -> str:
    return "millions" if value >= 1e6 else "hundreds of thousands" if value >= 1e5 else (
        "thousands")


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.6g}"


def _crs_name(crs: CRS) -> str:
    authority = crs.to_authority()
    code = f"{authority[0]}:{authority[1]}" if authority else "a custom CRS"
    return f"{code} ({crs.name})"


def check_wgs84_result(frame: gpd.GeoDataFrame, file: str) -> None:
    """After reprojection every vertex must be a finite longitude and latitude."""
    if frame.empty:
        return
    coords = shapely.get_coordinates(frame.geometry.to_numpy())
    bad = ~np.isfinite(coords).all(axis=1) | (np.abs(coords[:, 0]) > 180) | (
        np.abs(coords[:, 1]) > 90)
    if bad.any():
        raise BundleFileError(file, f"{int(bad.sum())} vertices do not reproject from "
                              f"{_crs_name(frame.crs)} to valid longitudes and latitudes: the "
                              "file's CRS label is likely wrong. Nothing was imported")


def boundaries_to_wgs84(frame: gpd.GeoDataFrame, datum: Crs, file: str,
                        notices: list[Notice]) -> gpd.GeoDataFrame:
    """Vertices of an outline drawn on a Chinese web map (GCJ-02 or BD-09 degrees, labelled
    WGS84) moved to WGS84 as points are (gridrisk.regions.coords)."""
    if datum in (Crs.wgs84, Crs.cgcs2000) or frame.empty:
        return frame
    coords = shapely.get_coordinates(frame.geometry.to_numpy())
    if out_of_china(coords[:, 0], coords[:, 1]).all():
        notices.append(Notice("boundary_datum", file, f"{file}: declared {datum.value}, but "
                              "every vertex lies outside China, where GCJ-02 and BD-09 equal "
                              "WGS84: nothing was moved"))
        return frame

    def moved(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], datum))

    notices.append(Notice("boundary_datum", file, f"{file}: vertices read as {datum.value} and "
                          "moved to WGS84"))
    return frame.set_geometry(shapely.transform(frame.geometry.to_numpy(), moved))


# -- overlaps and outside parts -------------------------------------------------------------


@dataclass(frozen=True)
class Outlines:
    """Polygons of one level with their parents' codes: the bundle's (`line` > 0) and stored
    ones the bundle does not hold (`line` 0). Columns line, code, kind (township, village,
    cell...), parent_code, geometry (EPSG:4326)."""

    frame: gpd.GeoDataFrame
    file: str


#: more findings under the tolerance than this, of one kind in one file, make one notice
#: (each finding still in its facts): boundaries digitised apart leave many slivers
FEW = 3


def misplaced(children: Outlines, parents: gpd.GeoDataFrame, metric: CRS,
              policy: ImportPolicy, notices: list[Notice]) -> pd.DataFrame:
    """Siblings that overlap and children reaching outside their parent (columns code,
    geometry of `parents`), each reported with its area in m² (in `metric`); the bundle's
    children refused above the policy's tolerance, as rows (line, reason)."""
    found: list[Notice] = []
    refused = [_overlapping_siblings(children, metric, policy, found),
               _outside_parent(children, parents, metric, policy, found)]
    notices.extend(n for n in found if n.facts["refused"])
    for kind, what in (("overlap", "pairs of siblings overlap"),
                       ("outside_parent", "outlines reach outside their parent")):
        tolerated = [n for n in found if n.kind == kind and not n.facts["refused"]]
        if len(tolerated) <= FEW:
            notices.extend(tolerated)
            continue
        areas = [n.facts["area_m2"] for n in tolerated]
        largest = max(tolerated, key=lambda n: n.facts["area_m2"])
        notices.append(Notice(
            kind, children.file,
            f"{children.file}: {len(tolerated)} {what} a little ({sum(areas):,.0f} m² in all; "
            f"the largest, {largest.message}), each under the tolerance of "
            f"{policy.boundary_tolerance:.1%}: imported",
            {"count": len(tolerated), "area_m2": round(sum(areas), 1), "refused": False,
             "items": [{k: v for k, v in n.facts.items() if k != "refused"}
                       for n in tolerated]}))
    return pd.concat(refused, ignore_index=True)


def _overlapping_siblings(children: Outlines, metric: CRS, policy: ImportPolicy,
                          notices: list[Notice]) -> pd.DataFrame:
    frame = children.frame.reset_index(drop=True)
    geoms = frame.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    parent = frame["parent_code"].to_numpy(dtype=object)
    line = frame["line"].to_numpy()
    pairs = (left < right) & (parent[left] == parent[right]) & ((line[left] > 0) |
                                                               (line[right] > 0))
    left, right = left[pairs], right[pairs]
    interiors_meet = shapely.relate_pattern(geoms[left], geoms[right], "2********")
    left, right = left[interiors_meet], right[interiors_meet]
    if not len(left):
        return _no_rows()
    projected = frame.geometry.to_crs(metric).to_numpy()
    area = shapely.area(shapely.intersection(projected[left], projected[right]))
    smaller = np.minimum(shapely.area(projected[left]), shapely.area(projected[right]))
    share = area / np.maximum(smaller, 1e-9)
    rows = []
    for a, b, m2, part in zip(left, right, area, share, strict=True):
        if m2 < policy.boundary_report_m2:
            continue
        first, second = _named(children, frame, a), _named(children, frame, b)
        refuse = part > policy.boundary_tolerance
        notices.append(Notice(
            "overlap", children.file,
            f"{first} and {second} overlap by {m2:,.0f} m² ({part:.1%} of the smaller)"
            + (_refused(policy) if refuse else ""),
            {"codes": [frame["code"][a], frame["code"][b]], "area_m2": round(float(m2), 1),
             "share": round(float(part), 4), "refused": bool(refuse)}))
        if refuse:
            for mine, other in ((a, b), (b, a)):
                if line[mine] > 0:
                    rows.append((int(line[mine]), f"overlaps {_named(children, frame, other)} "
                                 f"by {m2:,.0f} m² ({part:.1%} of the smaller; the tolerance "
                                 f"is {policy.boundary_tolerance:.1%})"))
    return pd.DataFrame(rows, columns=["line", "reason"])


def _outside_parent(children: Outlines, parents: gpd.GeoDataFrame, metric: CRS,
                    policy: ImportPolicy, notices: list[Notice]) -> pd.DataFrame:
    frame = children.frame.loc[children.frame["line"] > 0]
    placed = frame.merge(parents[["code", "geometry"]].rename(
        columns={"code": "parent_code", "geometry": "parent"}), on="parent_code")
    if placed.empty:
        return _no_rows()
    inside = shapely.within(placed.geometry.to_numpy(), placed["parent"].to_numpy())
    placed = placed.loc[~inside].reset_index(drop=True)
    if placed.empty:
        return _no_rows()
    child = gpd.GeoSeries(placed.geometry.to_numpy(), crs="EPSG:4326").to_crs(metric)
    parent = gpd.GeoSeries(placed["parent"].to_numpy(), crs="EPSG:4326").to_crs(metric)
    outside = shapely.area(shapely.difference(child.to_numpy(), parent.to_numpy()))
    share = outside / np.maximum(shapely.area(child.to_numpy()), 1e-9)
    rows = []
    for position, (m2, part) in enumerate(zip(outside, share, strict=True)):
        if m2 < policy.boundary_report_m2:
            continue
        name = _named(children, placed, position)
        refuse = part > policy.boundary_tolerance
        parent_code = placed["parent_code"][position]
        notices.append(Notice(
            "outside_parent", children.file,
            f"{name}: {m2:,.0f} m² ({part:.1%}) lies outside its parent {parent_code}"
            + (_refused(policy) if refuse else ""),
            {"code": placed["code"][position], "parent_code": parent_code,
             "area_m2": round(float(m2), 1), "share": round(float(part), 4),
             "refused": bool(refuse)}))
        if refuse:
            rows.append((int(placed["line"][position]),
                         f"{m2:,.0f} m² ({part:.1%}) lies outside its parent {parent_code} "
                         f"(the tolerance is {policy.boundary_tolerance:.1%})"))
    return pd.DataFrame(rows, columns=["line", "reason"])


def _named(children: Outlines, frame: pd.DataFrame, position: int) -> str:
    line, code = int(frame["line"].iloc[position]), frame["code"].iloc[position]
    where = f"{children.file} feature {line}" if line > 0 else "stored"
    return f"{frame['kind'].iloc[position]} {code} ({where})"


def _refused(policy: ImportPolicy) -> str:
    return f": refused, above the tolerance of {policy.boundary_tolerance:.1%}"


def _no_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=["line", "reason"])


def metric_crs(frames: list[gpd.GeoDataFrame]) -> CRS:
    """The UTM zone of the bundle's outlines, for areas in m² (as hotspots measure
    distances)."""
    shapes = np.concatenate([f.geometry.to_numpy() for f in frames])
    shapes = shapes[~shapely.is_missing(shapes) & ~shapely.is_empty(shapes)]
    if not len(shapes):
        return CRS("EPSG:3857")
    utm: CRS = gpd.GeoSeries(shapes, crs="EPSG:4326").estimate_utm_crs()
    return utm
