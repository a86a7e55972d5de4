"""Bundles with one class of real-world defect each, built on the tiny bundle: the import must
report the defect and write nothing wrong, and importing the same bundle again must write
nothing at all (tests/bundle/test_reimport.py imports every one twice)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from gridrisk.regions.coords import from_wgs84

from .conftest import (
    CASE_HEADER,
    CASES,
    CELLS,
    COUNTY,
    EVENT_HEADER,
    EVENTS,
    REGIONS,
    SCREENING_HEADER,
    box,
    feature,
    write_csv,
    write_geojson,
    write_tiny_bundle,
)

#: a case whose file was exported in time order: closed ten seconds before it was accepted,
#: and a second extension after the first
REFUSED_CASE = {**CASES[1], "case_id": "C5", "received_on": "2025-03-01"}
REFUSED_EVENTS = [
    {"case_id": "C5", "at": "2025-03-03T09:59:50+08:00", "type": "closed", "detail": "resolved"},
    {"case_id": "C5", "at": "2025-03-03T10:00:00+08:00", "type": "accepted"},
    {"case_id": "C5", "at": "2025-03-05", "type": "extended", "detail": "延期15日"},
    {"case_id": "C5", "at": "2025-03-06", "type": "extended", "detail": "延期10日"},
    {"case_id": "C5", "at": "2025-03-20", "type": "closed", "detail": "resolved"},
]
TOWNSHIP_2, VILLAGE_C = "411000002000", "411000002201"
#: a second township whose west edge runs 0.01° (≈ 920 m) into the first one's east side
OVERLAPPING = [
    feature(box(114.19, 34.0, 114.3, 34.1), code=TOWNSHIP_2, name="北关镇", level="township",
            parent_code=COUNTY, households=500),
    feature(box(114.2, 34.0, 114.3, 34.1), code=VILLAGE_C, name="北关村", level="village",
            parent_code=TOWNSHIP_2, households=500),
]
#: where the placeholder pile-up sits (in cell A-N), and how many records share it
PLACEHOLDER = (114.05, 34.07)
PILE = 60


def workflow_refused(folder: Path) -> Path:
    write_tiny_bundle(folder)
    write_csv(folder / "cases.csv", CASE_HEADER, [*CASES, REFUSED_CASE])
    write_csv(folder / "case_events.csv", EVENT_HEADER, [*EVENTS, *REFUSED_EVENTS])
    return folder


def overlapping_townships(folder: Path) -> Path:
    """The county reaches east to hold the second township; its village has a case."""
    write_tiny_bundle(folder)
    regions = json.loads(json.dumps(REGIONS))
    regions[0]["geometry"] = box(114.0, 34.0, 114.3, 34.1)
    write_geojson(folder / "regions.geojson", [*regions, *OVERLAPPING])
    in_c = {**CASES[2], "case_id": "C6", "lon": "114.25", "lat": "34.05"}
    write_csv(folder / "cases.csv", CASE_HEADER, [*CASES, in_c])
    return folder


def village_outside_township(folder: Path) -> Path:
    """Village B runs 0.02° east of its township (17% of it outside)."""
    write_tiny_bundle(folder)
    regions = json.loads(json.dumps(REGIONS))
    regions[3]["geometry"] = box(114.1, 34.0, 114.22, 34.1)
    write_geojson(folder / "regions.geojson", regions)
    return folder


def cell_outside_village(folder: Path) -> Path:
    """Cell A-N runs 0.01° north of village A (17% of it outside)."""
    write_tiny_bundle(folder)
    cells = json.loads(json.dumps(CELLS))
    cells[1]["geometry"] = box(114.0, 34.05, 114.1, 34.11)
    write_geojson(folder / "cells.geojson", cells)
    return folder


def placeholder_pileup(folder: Path) -> Path:
    """A city hall used as the place of every case whose address was unknown."""
    write_tiny_bundle(folder)
    lon, lat = PLACEHOLDER
    pile = [{**CASES[2], "case_id": f"P{i:03d}", "lon": str(lon), "lat": str(lat)}
            for i in range(PILE)]
    write_csv(folder / "cases.csv", CASE_HEADER, [*CASES, *pile])
    return folder


def projected_as_crs84(folder: Path, crs: str = "EPSG:4547") -> Path:
    """The boundaries in a projected CRS (CGCS2000 / Gauss-Krüger CM 114E, metres), written
    without a CRS, so that the GeoJSON reads as CRS84."""
    write_tiny_bundle(folder)
    for name in ("regions.geojson", "cells.geojson"):
        frame = gpd.read_file(folder / name)
        frame.to_crs(crs).set_crs("EPSG:4326", allow_override=True).to_file(
            folder / name, driver="GeoJSON")
    return folder


def state_plane_as_crs84(folder: Path) -> Path:
    """The tiny county moved to Los Angeles and written in California State Plane zone 5
    (EPSG:2229, US feet), labelled CRS84 as the US city's precinct file was."""
    write_tiny_bundle(folder)
    shift = (-118.3 - 114.0, 34.0 - 34.0)
    for name in ("regions.geojson", "cells.geojson"):
        frame = gpd.read_file(folder / name)
        moved = shapely.transform(frame.geometry.to_numpy(), lambda xy: xy + shift)
        frame.set_geometry(moved).set_crs("EPSG:4326", allow_override=True).to_crs(
            "EPSG:2229").set_crs("EPSG:4326", allow_override=True).to_file(
            folder / name, driver="GeoJSON")
    return folder


def gcj02_boundaries(folder: Path) -> Path:
    """Outlines traced on a Chinese web map: every vertex in GCJ-02, declared in bundle.toml."""
    write_tiny_bundle(folder)
    for name in ("regions.geojson", "cells.geojson"):
        frame = gpd.read_file(folder / name)
        shifted = shapely.transform(frame.geometry.to_numpy(), lambda xy: np.column_stack(
            from_wgs84(xy[:, 0], xy[:, 1], "gcj02")))
        frame.set_geometry(shifted).to_file(folder / name, driver="GeoJSON")
    (folder / "bundle.toml").write_text('boundary_crs = "gcj02"\n', encoding="utf-8")
    return folder


#: a county of one village, 0.004° (≈ 400 m) square: smaller than the GCJ-02 offset
SMALL_COUNTY = (114.0, 34.0, 114.004, 34.004)
N_PHONE_POINTS = 20


def gcj02_points_labelled_wgs84(folder: Path) -> Path:
    """Points read off a phone map app (GCJ-02) but written as wgs84: every one lands about
    600 m away, outside the county."""
    folder.mkdir(parents=True)
    county, township, village = "419900000000", "419900001000", "419900001201"
    write_geojson(folder / "regions.geojson", [
        feature(box(*SMALL_COUNTY), code=county, name="小县", level="county", parent_code=""),
        feature(box(*SMALL_COUNTY), code=township, name="小镇", level="township",
                parent_code=county),
        feature(box(*SMALL_COUNTY), code=village, name="小村", level="village",
                parent_code=township),
    ])
    true_lon = np.linspace(114.0005, 114.0035, N_PHONE_POINTS)
    true_lat = np.linspace(34.0005, 34.0035, N_PHONE_POINTS)
    lon, lat = from_wgs84(true_lon, true_lat, "gcj02")
    write_csv(folder / "cases.csv", CASE_HEADER, [
        {**CASES[2], "case_id": f"G{i:02d}", "lon": f"{x:.7f}", "lat": f"{y:.7f}",
         "crs": "wgs84"} for i, (x, y) in enumerate(zip(lon, lat, strict=True))])
    write_csv(folder / "case_events.csv", EVENT_HEADER, [])
    write_csv(folder / "screenings.csv", SCREENING_HEADER, [])
    return folder


def rejected_township(folder: Path) -> Path:
    """A township with an unknown level: everything under it goes with it."""
    write_tiny_bundle(folder)
    regions = json.loads(json.dumps(REGIONS))
    regions[1]["properties"]["level"] = "zhen"
    write_geojson(folder / "regions.geojson", regions)
    return folder


def gb18030_cases(folder: Path) -> Path:
    """cases.csv as Excel saves it on a Chinese Windows machine."""
    write_tiny_bundle(folder)
    path = folder / "cases.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    return folder


DEFECTS: dict[str, Callable[[Path], Path]] = {
    "tiny": write_tiny_bundle,
    "workflow_refused": workflow_refused,
    "overlapping_townships": overlapping_townships,
    "village_outside_township": village_outside_township,
    "cell_outside_village": cell_outside_village,
    "placeholder_pileup": placeholder_pileup,
    "projected_as_crs84": projected_as_crs84,
    "state_plane_as_crs84": state_plane_as_crs84,
    "gcj02_boundaries": gcj02_boundaries,
    "rejected_township": rejected_township,
    "gb18030_cases": gb18030_cases,
    "gcj02_points_labelled_wgs84": gcj02_points_labelled_wgs84,
}
