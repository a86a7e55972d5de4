"""Boundary files as they come: a projected CRS labelled CRS84, outlines drawn on Chinese web
maps, overlapping siblings, villages and cells reaching outside their parent. Each is reported
with what a user needs to fix it, and nothing wrong is written in any mode."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from gridrisk.bundle.errors import BundleFileError, RejectedRows
from gridrisk.bundle.service import import_bundle
from gridrisk.policy import ImportPolicy

from .conftest import CELL_AN, CELL_AS, REGIONS, TOWNSHIP, VILLAGE_A, VILLAGE_B, write_geojson
from .defects import (
    TOWNSHIP_2,
    VILLAGE_C,
    cell_outside_village,
    gcj02_boundaries,
    overlapping_townships,
    projected_as_crs84,
    state_plane_as_crs84,
    village_outside_township,
)
from .test_import import counts, nothing_written


@pytest.mark.parametrize(("build", "observed"), [
    (projected_as_crs84, r"x 500,000 to 51\d,\d{3}, y 3,76\d,\d{3} to 3,77\d,\d{3}"),
    (state_plane_as_crs84, r"x 6,\d{3},\d{3} to 6,\d{3},\d{3}, y 1,\d{3},\d{3} to "
                           r"1,\d{3},\d{3}"),
])
@pytest.mark.parametrize("good_rows", [False, True])
def test_projected_crs_labelled_crs84_is_refused_up_front(
        conn: Connection, tmp_path: Path, build, observed: str, good_rows: bool) -> None:
    bundle = build(tmp_path / "bundle")

    with pytest.raises(BundleFileError) as caught:
        import_bundle(conn, bundle, write_good_rows=good_rows)

    error = caught.value
    assert error.field == "regions.geojson"
    assert "outside the valid range of the CRS it declares, EPSG:4326 (WGS 84" in error.reason
    assert re.search(observed, error.reason), error.reason
    assert "a projected CRS (such as a US State Plane zone in feet" in error.reason
    assert "labelled as EPSG:4326" in error.reason
    assert nothing_written(conn)


def test_check_reports_the_refused_file(conn: Connection, tmp_path: Path) -> None:
    bundle = state_plane_as_crs84(tmp_path / "bundle")

    report = import_bundle(conn, bundle, check_only=True)

    assert report.outcome == "refused"
    (error,) = report.errors()
    assert error["kind"] == "file" and error["field"] == "regions.geojson"
    assert "State Plane" in error["reason"]
    assert nothing_written(conn)


def test_degrees_labelled_as_a_projected_crs(conn: Connection, tiny_bundle: Path) -> None:
    import geopandas as gpd

    regions = gpd.read_file(tiny_bundle / "regions.geojson")
    (tiny_bundle / "regions.geojson").unlink()
    regions.set_crs("EPSG:4547", allow_override=True).to_file(tiny_bundle / "regions.gpkg")

    with pytest.raises(BundleFileError) as caught:
        import_bundle(conn, tiny_bundle)

    assert caught.value.field == "regions.gpkg"
    assert "EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E)" in caught.value.reason
    assert "the values fit longitudes and latitudes" in caught.value.reason


def test_swapped_axes_are_named(conn: Connection, tiny_bundle: Path) -> None:
    swapped = json.loads(json.dumps(REGIONS))
    for region in swapped:
        ring = region["geometry"]["coordinates"][0]
        region["geometry"]["coordinates"] = [[[y, x] for x, y in ring]]
    write_geojson(tiny_bundle / "regions.geojson", swapped)

    with pytest.raises(BundleFileError) as caught:
        import_bundle(conn, tiny_bundle)

    assert "latitude and longitude look swapped" in caught.value.reason


def test_gcj02_boundaries_declared_in_the_bundle_land_in_wgs84(conn: Connection,
                                                               tmp_path: Path) -> None:
    bundle = gcj02_boundaries(tmp_path / "gcj")

    report = import_bundle(conn, bundle)

    drift = conn.execute(text(
        "SELECT max(ST_HausdorffDistance(geom::geography::geometry, ST_MakeEnvelope("
        "114.0, 34.0, 114.1, 34.05, 4326))) FROM cells WHERE code = :c"), {"c": CELL_AS})
    # a vertex off by 1e-7 degrees is about a centimetre
    assert drift.scalar_one() < 1e-7
    assert report.options["boundary_crs"] == "gcj02"
    assert {n.kind for n in report.warnings} >= {"boundary_datum"}


def test_gcj02_boundaries_imported_as_wgs84_sit_hundreds_of_metres_off(
        conn: Connection, tmp_path: Path) -> None:
    """What the offset looks like, as docs/bundle.md describes it; and the flag wins over
    the bundle's own setting (noted)."""
    bundle = gcj02_boundaries(tmp_path / "gcj")

    report = import_bundle(conn, bundle, boundary_crs="wgs84")

    metres = conn.execute(text(
        "SELECT ST_Distance(ST_Centroid(geom)::geography, "
        "ST_Centroid(ST_MakeEnvelope(114.0, 34.0, 114.1, 34.05, 4326))::geography) "
        "FROM cells WHERE code = :c"), {"c": CELL_AS}).scalar_one()
    assert 500 < metres < 700
    assert any(n.kind == "option_overridden" for n in report.warnings)


def test_overlapping_townships_are_refused_with_their_area(conn: Connection,
                                                           tmp_path: Path) -> None:
    bundle = overlapping_townships(tmp_path / "overlap")

    with pytest.raises(RejectedRows) as caught:
        import_bundle(conn, bundle)

    assert nothing_written(conn)
    report = caught.value.report
    roots = [e for e in report.errors() if e["kind"] == "row"]
    assert [(e["file"], e["line"], e["column"]) for e in roots] == [
        ("regions.geojson", 2, "geometry"), ("regions.geojson", 5, "geometry")]
    first = roots[0]["reason"]
    assert re.fullmatch(rf"overlaps township {TOWNSHIP_2} \(regions.geojson feature 5\) by "
                        r"10,2\d\d,\d{3} m² \(9\.\d% of the smaller; the tolerance is 1\.0%\)",
                        first), first
    # everything in the two townships goes with them, counted under the township
    assert roots[0]["rejected_with_it"] == {"regions.geojson": 2, "cells.geojson": 2,
                                            "cases.csv": 4, "case_events.csv": 10,
                                            "screenings.csv": 3}
    overlap = [n for n in report.warnings if n.kind == "overlap"]
    assert len(overlap) == 1 and overlap[0].facts["refused"]


def test_overlapping_townships_with_good_rows_write_only_the_county(conn: Connection,
                                                                    tmp_path: Path) -> None:
    bundle = overlapping_townships(tmp_path / "overlap")

    report = import_bundle(conn, bundle, write_good_rows=True)

    assert counts(conn) == {"regions": 1, "cells": 0, "cases": 0, "case_events": 0,
                            "screening_records": 0}
    causes = report.rejects.drop_duplicates(["file", "line"]).set_index(["file", "line"])[
        "cause"]
    assert causes[("cases.csv", 2)] == "regions.geojson feature 2"
    assert causes[("cases.csv", 6)] == "regions.geojson feature 5"
    c6 = report.rejects.loc[(report.rejects["file"] == "cases.csv")
                            & (report.rejects["line"] == 6), "reason"].iloc[0]
    assert c6 == (f"point (114.250000, 34.050000) lies in village {VILLAGE_C}, which was "
                  "rejected (regions.geojson feature 6)")


def test_a_small_overlap_is_reported_and_written(conn: Connection, tiny_bundle: Path) -> None:
    """Village A reaches 0.0001° (about 9 m) into village B: 0.1% of it, under the 1%."""
    regions = json.loads(json.dumps(REGIONS))
    ring = regions[2]["geometry"]["coordinates"][0]
    regions[2]["geometry"]["coordinates"] = [[[114.1001 if x == 114.1 else x, y]
                                              for x, y in ring]]
    write_geojson(tiny_bundle / "regions.geojson", regions)

    report = import_bundle(conn, tiny_bundle)

    (overlap,) = [n for n in report.warnings if n.kind == "overlap"]
    assert overlap.facts["codes"] == [VILLAGE_A, VILLAGE_B]
    assert 100_000 < overlap.facts["area_m2"] < 105_000 and not overlap.facts["refused"]
    assert "m² (0.1% of the smaller)" in overlap.message
    assert counts(conn)["regions"] == 4


def test_the_tolerance_comes_from_the_policy(conn: Connection, tmp_path: Path) -> None:
    bundle = overlapping_townships(tmp_path / "overlap")

    report = import_bundle(conn, bundle, imports=ImportPolicy(boundary_tolerance=0.2))

    assert report.rejects.empty
    (overlap,) = [n for n in report.warnings if n.kind == "overlap"]
    assert not overlap.facts["refused"]


def test_village_outside_its_township_is_refused(conn: Connection, tmp_path: Path) -> None:
    bundle = village_outside_township(tmp_path / "outside")

    rejects = import_bundle(conn, bundle, write_good_rows=True).rejects

    own = rejects.loc[rejects["cause"] == ""]
    assert own[["file", "line", "column"]].values.tolist() == [["regions.geojson", 4,
                                                                "geometry"]]
    assert re.fullmatch(rf"\d{{2}},\d{{3}},\d{{3}} m² \(16\.7%\) lies outside its parent "
                        rf"{TOWNSHIP} \(the tolerance is 1\.0%\)", own.iloc[0]["reason"])
    stored = set(conn.execute(text("SELECT code FROM regions")).scalars())
    assert VILLAGE_B not in stored and VILLAGE_A in stored


def test_cell_outside_its_village_is_refused_and_its_cases_say_why(
        conn: Connection, tmp_path: Path) -> None:
    bundle = cell_outside_village(tmp_path / "outside")

    rejects = import_bundle(conn, bundle, write_good_rows=True).rejects

    cell = rejects.loc[rejects["file"] == "cells.geojson"].iloc[0]
    assert (cell["line"], cell["column"]) == (2, "geometry")
    assert f"lies outside its parent {VILLAGE_A}" in cell["reason"]
    c2 = rejects.loc[(rejects["file"] == "cases.csv") & (rejects["line"] == 3)].iloc[0]
    assert (c2["reason"], c2["cause"]) == ("cell was rejected (cells.geojson feature 2)",
                                           "cells.geojson feature 2")
    assert CELL_AN not in set(conn.execute(text("SELECT code FROM cells")).scalars())
