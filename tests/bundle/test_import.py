"""Bundle import against a real PostGIS: exact counts, cells assigned, every bad input refused
with its file, line, column and reason, and nothing half written."""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from gridrisk.bundle.errors import BundleFileError, RejectedRows
from gridrisk.bundle.service import import_bundle
from gridrisk.regions.coords import from_wgs84

from .conftest import (
    CASE_HEADER,
    CASES,
    CELL_AN,
    CELL_AS,
    COUNTY,
    EVENT_HEADER,
    EVENTS,
    REGIONS,
    SCREENING_HEADER,
    SCREENINGS,
    TOWNSHIP,
    VILLAGE_A,
    VILLAGE_B,
    box,
    feature,
    write_csv,
    write_geojson,
)

TABLES = ["regions", "cells", "cases", "case_events", "screening_records"]


def counts(conn: Connection) -> dict[str, int]:
    return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def nothing_written(conn: Connection) -> bool:
    return all(n == 0 for n in counts(conn).values())


def rewrite_cases(bundle: Path, rows: list[dict]) -> None:
    write_csv(bundle / "cases.csv", CASE_HEADER, rows)


def with_case(**changes: str) -> list[dict]:
    """The tiny bundle's cases with the first one changed."""
    return [{**CASES[0], **changes}, *CASES[1:]]


def refusal(conn: Connection, bundle: Path) -> pd.DataFrame:
    with pytest.raises(RejectedRows) as caught:
        import_bundle(conn, bundle)
    assert nothing_written(conn)
    return caught.value.rejects


def only(rejects: pd.DataFrame, file: str) -> pd.Series:
    """The one problem found in `file`; the rows that depended on it must say so."""
    own = rejects.loc[rejects["file"] == file]
    assert len(own) == 1, rejects.to_string()
    followers = rejects.loc[rejects["file"] != file, "reason"]
    assert followers.str.contains(f"was rejected \\({file} ").all(), rejects.to_string()
    return own.iloc[0]


# -- what a good bundle gives ---------------------------------------------------------------


def test_tiny_bundle_imports_with_exact_counts(conn: Connection, tiny_bundle: Path) -> None:
    report = import_bundle(conn, tiny_bundle)

    assert counts(conn) == {"regions": 4, "cells": 3, "cases": 4, "case_events": 10,
                            "screening_records": 3}
    assert report.rejects.empty
    assert report.written["cases"] == {"inserted": 4, "updated": 0, "unchanged": 0}
    placed = dict(conn.execute(text("SELECT case_id, cell_code FROM cases")).all())
    # by point, by cell code, by point in a village that is its own cell, by village only
    assert placed == {"C1": CELL_AS, "C2": CELL_AN, "C3": VILLAGE_B, "C4": VILLAGE_B}
    own_cell = conn.execute(text("SELECT name, region_code FROM cells WHERE code = :c"),
                            {"c": VILLAGE_B}).one()
    assert tuple(own_cell) == ("西岗社区", VILLAGE_B)


def test_two_identical_events_stay_two(conn: Connection, tiny_bundle: Path) -> None:
    import_bundle(conn, tiny_bundle)
    visits = conn.execute(text(
        "SELECT count(*) FROM case_events WHERE case_id = 'C3' AND type = 'site_visit'"))
    assert visits.scalar_one() == 2


def test_reimport_changes_nothing(conn: Connection, tiny_bundle: Path) -> None:
    import_bundle(conn, tiny_bundle)
    before = snapshot(conn)

    report = import_bundle(conn, tiny_bundle)

    assert snapshot(conn) == before
    for table, written in report.written.items():
        assert written["inserted"] == 0 and written["updated"] == 0, table


def test_changed_row_updates_and_bumps_version(conn: Connection, tiny_bundle: Path) -> None:
    import_bundle(conn, tiny_bundle)
    rewrite_cases(tiny_bundle, with_case(summary="征地补偿款未足额发放（补充材料）"))

    report = import_bundle(conn, tiny_bundle)

    assert report.written["cases"] == {"inserted": 0, "updated": 1, "unchanged": 3}
    row = conn.execute(text("SELECT summary, version FROM cases WHERE case_id = 'C1'")).one()
    assert tuple(row) == ("征地补偿款未足额发放（补充材料）", 2)


def snapshot(conn: Connection) -> dict[str, list[tuple]]:
    return {
        "regions": conn.execute(text(
            "SELECT code, name, level, parent_code, households, ST_AsText(geom) FROM regions "
            "ORDER BY code")).all(),
        "cells": conn.execute(text(
            "SELECT code, name, region_code, ST_AsText(geom) FROM cells ORDER BY code")).all(),
        "cases": conn.execute(text(
            "SELECT case_id, received_on, channel, category, parties, ST_AsText(geom), "
            "region_code, cell_code, complex, responsible_unit, responsible_official, summary, "
            "version FROM cases ORDER BY case_id")).all(),
        "case_events": conn.execute(text(
            "SELECT case_id, content_hash, occurrence, at, at_is_date, type, level, parties, "
            "detail FROM case_events ORDER BY case_id, content_hash, occurrence")).all(),
        "screening_records": conn.execute(text(
            "SELECT record_id, screened_at, worker, cell_code, found, category, severity, "
            "parties, ST_AsText(geom), outcome, case_id, summary FROM screening_records "
            "ORDER BY record_id")).all(),
    }


def test_zip_imports_like_its_folder(conn: Connection, tiny_bundle: Path, tmp_path: Path
                                     ) -> None:
    archive = tmp_path / "tiny.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for file in tiny_bundle.iterdir():
            zipped.write(file, f"tiny/{file.name}")

    import_bundle(conn, archive)

    assert counts(conn)["cases"] == 4


def test_event_dates_are_local_days_and_times_keep_their_instant(
        conn: Connection, tiny_bundle: Path) -> None:
    import_bundle(conn, tiny_bundle)
    rows = conn.execute(text(
        "SELECT type, at AT TIME ZONE 'UTC', at_is_date FROM case_events WHERE case_id = 'C1' "
        "ORDER BY at")).all()
    assert [(r[0], r[1].isoformat(), r[2]) for r in rows[:2]] == [
        ("accepted", "2025-03-02T16:00:00", True),  # 2025-03-03 00:00 in Beijing
        ("met_complainant", "2025-03-10T02:00:00", False),
    ]


def test_geometry_files_in_other_formats_and_crs(conn: Connection, tiny_bundle: Path) -> None:
    """The same regions as a GeoPackage in Web Mercator and cells as a Shapefile in
    CGCS2000 / 3-degree Gauss-Kruger CM 114E (EPSG:4547) land where the GeoJSON ones do."""
    import geopandas as gpd

    regions = gpd.read_file(tiny_bundle / "regions.geojson")
    cells = gpd.read_file(tiny_bundle / "cells.geojson")
    (tiny_bundle / "regions.geojson").unlink()
    (tiny_bundle / "cells.geojson").unlink()
    regions.to_crs("EPSG:3857").to_file(tiny_bundle / "regions.gpkg", driver="GPKG")
    with warnings.catch_warnings():  # region_code is cut to region_cod, as in the wild
        warnings.simplefilter("ignore")
        cells.to_crs("EPSG:4547").to_file(tiny_bundle / "cells.shp", driver="ESRI Shapefile",
                                          encoding="utf-8")

    import_bundle(conn, tiny_bundle)

    drift = conn.execute(text(
        "SELECT max(ST_HausdorffDistance(c.geom, ST_MakeEnvelope(114.0, 34.0, 114.1, 34.05, "
        "4326))) FROM cells c WHERE code = :c"), {"c": CELL_AS}).scalar_one()
    assert drift < 1e-9
    assert counts(conn)["regions"] == 4
    name = conn.execute(text("SELECT name FROM cells WHERE code = :c"), {"c": CELL_AS})
    assert name.scalar_one() == "第一网格"


# -- points -----------------------------------------------------------------------------------


def test_points_on_cell_borders_go_to_exactly_one_cell(conn: Connection,
                                                       tiny_bundle: Path) -> None:
    on_borders = [
        {**CASES[0], "case_id": "B1", "lon": "114.05", "lat": "34.05"},  # A-S | A-N
        {**CASES[0], "case_id": "B2", "lon": "114.1", "lat": "34.02"},  # A-S | village B
        {**CASES[0], "case_id": "B3", "lon": "114.1", "lat": "34.05"},  # A-S | A-N | B corner
        {**CASES[0], "case_id": "B4", "lon": "114.0", "lat": "34.07"},  # outer edge of A-N
    ]
    rewrite_cases(tiny_bundle, [*CASES, *on_borders])

    import_bundle(conn, tiny_bundle)

    placed = dict(conn.execute(text(
        "SELECT case_id, cell_code FROM cases WHERE case_id LIKE 'B%'")).all())
    assert placed == {"B1": CELL_AS, "B2": CELL_AS, "B3": CELL_AS, "B4": CELL_AN}


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_phone_app_points_are_stored_in_wgs84(conn: Connection, tiny_bundle: Path,
                                              crs: str) -> None:
    true_lon, true_lat = np.array([114.03]), np.array([34.02])
    shown_lon, shown_lat = from_wgs84(true_lon, true_lat, crs)
    rewrite_cases(tiny_bundle, with_case(lon=repr(float(shown_lon[0])),
                                         lat=repr(float(shown_lat[0])), crs=crs))

    import_bundle(conn, tiny_bundle)

    lon, lat, cell = conn.execute(text(
        "SELECT ST_X(geom), ST_Y(geom), cell_code FROM cases WHERE case_id = 'C1'")).one()
    metres = Geod(ellps="WGS84").inv(lon, lat, true_lon[0], true_lat[0])[2]
    assert metres < 0.5
    assert cell == CELL_AS


# -- bad rows: all-or-nothing by default ------------------------------------------------------


@pytest.mark.parametrize(("changes", "column", "reason"), [
    ({"parties": "six"}, "parties", "not a whole number"),
    ({"parties": "0"}, "parties", "must be at least 1"),
    ({"received_on": "2025/03/01"}, "received_on", "not an ISO date"),
    ({"received_on": "2099-01-01"}, "received_on", "in the future"),
    ({"channel": "fax"}, "channel", "unknown value"),
    ({"parties": "3000000000"}, "parties", "must be at most 2147483647"),
    ({"category": ""}, "category", "required"),
    ({"complex": "maybe"}, "complex", "expected true or false"),
    ({"crs": "utm"}, "crs", "unknown value"),
    ({"lon": "200"}, "lon", "out of range"),
    ({"lat": "-91"}, "lat", "out of range"),
    ({"lat": ""}, "lat", "lon is given, lat is empty"),
    ({"lon": "", "lat": ""}, "lon", "no location"),
    ({"lon": "115.5", "lat": "34.02"}, "lon", "is outside every cell"),
    ({"cell_code": "999"}, "cell_code", "unknown cell"),
    ({"cell_code": CELL_AN}, "lon", f"lies outside cell {CELL_AN}"),
    ({"region_code": "999", "lon": "", "lat": ""}, "region_code", "unknown village"),
    ({"region_code": TOWNSHIP, "lon": "", "lat": ""}, "region_code", "unknown village"),
    ({"region_code": VILLAGE_B}, "region_code", f"belongs to {VILLAGE_A}"),
])
def test_bad_case_value_is_refused(conn: Connection, tiny_bundle: Path, changes: dict,
                                   column: str, reason: str) -> None:
    rewrite_cases(tiny_bundle, with_case(**changes))

    problem = only(refusal(conn, tiny_bundle), "cases.csv")

    assert (problem["file"], problem["line"], problem["column"]) == ("cases.csv", 2, column)
    assert reason in problem["reason"]


def test_duplicate_id_names_the_first_line(conn: Connection, tiny_bundle: Path) -> None:
    rewrite_cases(tiny_bundle, [*CASES, CASES[0]])

    problem = only(refusal(conn, tiny_bundle), "cases.csv")

    assert (problem["line"], problem["column"]) == (6, "case_id")
    assert problem["reason"] == "duplicate id: first on line 2"


def test_duplicate_id_after_an_empty_one_names_the_first_line_as_a_number(
        conn: Connection, tiny_bundle: Path) -> None:
    rewrite_cases(tiny_bundle, [*CASES, {**CASES[0], "case_id": ""}, CASES[0]])

    problems = refusal(conn, tiny_bundle)

    duplicate = problems[problems["reason"].str.startswith("duplicate")]
    assert duplicate[["line", "column", "reason"]].to_dict("records") == [
        {"line": 7, "column": "case_id", "reason": "duplicate id: first on line 2"}]


def test_event_for_unknown_case(conn: Connection, tiny_bundle: Path) -> None:
    write_csv(tiny_bundle / "case_events.csv", EVENT_HEADER,
              [*EVENTS, {"case_id": "C99", "at": "2025-03-03", "type": "accepted"}])

    problem = only(refusal(conn, tiny_bundle), "case_events.csv")

    assert (problem["file"], problem["line"], problem["column"]) == (
        "case_events.csv", 12, "case_id")
    assert problem["reason"] == "unknown case"


@pytest.mark.parametrize(("changes", "column", "reason"), [
    ({"type": "archived"}, "type", "unknown value"),
    ({"at": "yesterday"}, "at", "not an ISO date or time"),
    ({"at": "2025-02-01"}, "at", "before the case was received on 2025-03-01"),
    ({"type": "closed"}, "detail", "closure type"),
    ({"level": "galaxy"}, "level", "unknown value"),
])
def test_bad_event_is_refused(conn: Connection, tiny_bundle: Path, changes: dict,
                              column: str, reason: str) -> None:
    write_csv(tiny_bundle / "case_events.csv", EVENT_HEADER, [{**EVENTS[0], **changes},
                                                              *EVENTS[1:]])
    problem = only(refusal(conn, tiny_bundle), "case_events.csv")
    assert (problem["file"], problem["line"], problem["column"]) == ("case_events.csv", 2,
                                                                     column)
    assert reason in problem["reason"]


@pytest.mark.parametrize(("changes", "column", "reason"), [
    ({"category": "wages_labour"}, "category", "only when a dispute was found"),
    ({"found": "true", "severity": "low"}, "category", "required when a dispute was found"),
    ({"cell_code": "999"}, "cell_code", "unknown cell"),
    ({"screened_at": "2025-03-03"}, "screened_at", "not an ISO time"),
    ({"found": ""}, "found", "required"),
])
def test_bad_screening_is_refused(conn: Connection, tiny_bundle: Path, changes: dict,
                                  column: str, reason: str) -> None:
    write_csv(tiny_bundle / "screenings.csv", SCREENING_HEADER,
              [{**SCREENINGS[0], **changes}, *SCREENINGS[1:]])
    problem = only(refusal(conn, tiny_bundle), "screenings.csv")
    assert (problem["file"], problem["line"], problem["column"]) == ("screenings.csv", 2,
                                                                     column)
    assert reason in problem["reason"]


def test_screening_point_outside_every_cell(conn: Connection, tiny_bundle: Path) -> None:
    write_csv(tiny_bundle / "screenings.csv", SCREENING_HEADER,
              [SCREENINGS[0], {**SCREENINGS[1], "lon": "120.0"}, SCREENINGS[2]])
    problem = only(refusal(conn, tiny_bundle), "screenings.csv")
    assert (problem["line"], problem["column"]) == (3, "lon")
    assert "outside every cell" in problem["reason"]


KEEP = object()


def rewrite_region(bundle: Path, index: int, geometry: object = KEEP, **props: object) -> None:
    regions = json.loads(json.dumps(REGIONS))
    regions[index]["properties"].update(props)
    if geometry is not KEEP:
        regions[index]["geometry"] = geometry
    write_geojson(bundle / "regions.geojson", regions)


def test_village_without_township_parent(conn: Connection, tiny_bundle: Path) -> None:
    rewrite_region(tiny_bundle, 3, parent_code="")

    rejects = refusal(conn, tiny_bundle)

    first = rejects.iloc[0]
    assert (first["file"], first["line"], first["column"]) == ("regions.geojson", 4,
                                                               "parent_code")
    assert first["reason"] == "a community needs a township parent"
    # what the rejected community holds goes with it, saying why
    c4 = rejects.loc[(rejects["file"] == "cases.csv") & (rejects["line"] == 5)].iloc[0]
    assert c4["reason"] == "village or community was rejected (regions.geojson feature 4)"


def test_village_under_a_county(conn: Connection, tiny_bundle: Path) -> None:
    rewrite_region(tiny_bundle, 3, parent_code=COUNTY)
    first = refusal(conn, tiny_bundle).iloc[0]
    assert first["reason"] == "parent is a county; a community's parent must be a township"


def test_unknown_parent_region(conn: Connection, tiny_bundle: Path) -> None:
    rewrite_region(tiny_bundle, 1, parent_code="419999000000")
    rejects = refusal(conn, tiny_bundle)
    assert rejects.iloc[0]["reason"] == "unknown parent region"
    assert rejects.iloc[0]["line"] == 2


def test_unknown_region_of_a_cell(conn: Connection, tiny_bundle: Path) -> None:
    cells = [feature(box(114.0, 34.0, 114.1, 34.05), code=CELL_AS, name="第一网格",
                     region_code="419999999999"),
             feature(box(114.0, 34.05, 114.1, 34.1), code=CELL_AN, name="第二网格",
                     region_code=VILLAGE_A)]
    write_geojson(tiny_bundle / "cells.geojson", cells)
    rejects = refusal(conn, tiny_bundle)
    first = rejects.iloc[0]
    assert (first["file"], first["line"], first["column"], first["reason"]) == (
        "cells.geojson", 1, "region_code", "unknown region")


def test_empty_geometry_is_refused(conn: Connection, tiny_bundle: Path) -> None:
    rewrite_region(tiny_bundle, 0, geometry=None)
    first = refusal(conn, tiny_bundle).iloc[0]
    assert (first["line"], first["column"], first["reason"]) == (1, "geometry",
                                                                 "empty geometry")


def test_invalid_polygon_is_repaired_and_reported(conn: Connection, tiny_bundle: Path) -> None:
    bow_tie = {"type": "Polygon", "coordinates": [[[114.1, 34.0], [114.2, 34.1], [114.2, 34.0],
                                                   [114.1, 34.1], [114.1, 34.0]]]}
    rewrite_region(tiny_bundle, 3, geometry=bow_tie)

    report = import_bundle(conn, tiny_bundle)

    assert report.rejects.empty
    assert any("feature 4" in w.message and "repaired" in w.message for w in report.warnings)
    valid, kind = conn.execute(text(
        "SELECT ST_IsValid(geom), GeometryType(geom) FROM regions WHERE code = :c"),
        {"c": VILLAGE_B}).one()
    assert valid and kind == "MULTIPOLYGON"


def test_every_problem_is_reported_at_once(conn: Connection, tiny_bundle: Path) -> None:
    rewrite_cases(tiny_bundle, [{**CASES[0], "parties": "x"}, {**CASES[1], "channel": "fax"},
                                *CASES[2:]])
    rejects = refusal(conn, tiny_bundle)
    assert {(r.line, r.column) for r in rejects.itertuples()} >= {(2, "parties"),
                                                                  (3, "channel")}


# -- bad files: nothing imported whatever the mode -------------------------------------------


def test_missing_file(conn: Connection, tiny_bundle: Path) -> None:
    (tiny_bundle / "cases.csv").unlink()
    with pytest.raises(BundleFileError) as caught:
        import_bundle(conn, tiny_bundle, write_good_rows=True)
    assert caught.value.field == "cases.csv" and "missing" in caught.value.reason
    assert nothing_written(conn)


def test_missing_regions_file(conn: Connection, tiny_bundle: Path) -> None:
    (tiny_bundle / "regions.geojson").unlink()
    with pytest.raises(BundleFileError) as caught:
        import_bundle(conn, tiny_bundle)
    assert caught.value.field == "regions.geojson"


def test_missing_column(conn: Connection, tiny_bundle: Path) -> None:
    header = [c for c in CASE_HEADER if c != "channel"]
    write_csv(tiny_bundle / "cases.csv", header,
              [{k: v for k, v in row.items() if k != "channel"} for row in CASES])
    with pytest.raises(BundleFileError) as caught:
        import_bundle(conn, tiny_bundle, write_good_rows=True)
    assert caught.value.field == "cases.csv:channel"
    assert "missing column" in caught.value.reason
    assert nothing_written(conn)


def test_missing_geometry_property(conn: Connection, tiny_bundle: Path) -> None:
    regions = json.loads(json.dumps(REGIONS))
    for region in regions:
        del region["properties"]["level"]
    write_geojson(tiny_bundle / "regions.geojson", regions)
    with pytest.raises(BundleFileError) as caught:
        import_bundle(conn, tiny_bundle)
    assert caught.value.field == "regions.geojson:level"


def test_file_in_neither_utf8_nor_gb18030(conn: Connection, tiny_bundle: Path) -> None:
    path = tiny_bundle / "cases.csv"
    path.write_bytes(path.read_bytes().replace("城关镇".encode(), b"\xff\xfe\xfd"))
    with pytest.raises(BundleFileError) as caught:
        import_bundle(conn, tiny_bundle, write_good_rows=True)
    assert caught.value.field == "cases.csv"
    assert "not UTF-8" in caught.value.reason and "on line 2" in caught.value.reason
    assert "nor GB18030" in caught.value.reason and "--encoding" in caught.value.reason
    assert nothing_written(conn)


def test_empty_file(conn: Connection, tiny_bundle: Path) -> None:
    (tiny_bundle / "screenings.csv").write_bytes(b"")
    with pytest.raises(BundleFileError) as caught:
        import_bundle(conn, tiny_bundle)
    assert caught.value.field == "screenings.csv" and "empty file" in caught.value.reason
    assert nothing_written(conn)


def test_header_only_files_are_fine(conn: Connection, tiny_bundle: Path) -> None:
    write_csv(tiny_bundle / "case_events.csv", EVENT_HEADER, [])
    write_csv(tiny_bundle / "screenings.csv", SCREENING_HEADER, [])
    import_bundle(conn, tiny_bundle)
    assert counts(conn)["case_events"] == 0 and counts(conn)["cases"] == 4


@pytest.mark.parametrize("evil", ["../escaped.csv", "/tmp/gridrisk-absolute.csv",
                                  "tiny/../../escaped.csv"])
def test_zip_with_paths_outside_the_bundle(conn: Connection, tiny_bundle: Path,
                                           tmp_path: Path, evil: str) -> None:
    archive = tmp_path / "evil" / "bundle.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zipped:
        for file in tiny_bundle.iterdir():
            zipped.write(file, f"tiny/{file.name}")
        zipped.writestr(evil, "case_id\n")

    with pytest.raises(BundleFileError) as caught:
        import_bundle(conn, archive)

    assert "outside the bundle" in caught.value.reason
    assert not (tmp_path / "escaped.csv").exists()
    assert not Path("/tmp/gridrisk-absolute.csv").exists()
    assert nothing_written(conn)


# -- write the good rows ----------------------------------------------------------------------


def test_good_rows_are_written_and_dependents_of_bad_ones_rejected(
        conn: Connection, tiny_bundle: Path) -> None:
    rewrite_cases(tiny_bundle, with_case(channel="fax"))

    report = import_bundle(conn, tiny_bundle, write_good_rows=True)

    assert counts(conn) == {"regions": 4, "cells": 3, "cases": 3, "case_events": 6,
                            "screening_records": 3}
    by_file = report.rejects.groupby("file").size().to_dict()
    assert by_file == {"cases.csv": 1, "case_events.csv": 4}
    assert set(report.rejects.loc[report.rejects["file"] == "case_events.csv", "reason"]) == {
        "case was rejected (cases.csv line 2)"}
    runs = conn.execute(text("SELECT mode, n_rejected FROM import_runs")).all()
    assert [tuple(r) for r in runs] == [("good-rows", 5)]


# -- the case file is append-only --------------------------------------------------------------


@pytest.mark.parametrize("statement", [
    "UPDATE case_events SET detail = 'edited'",
    "DELETE FROM case_events",
])
def test_case_events_refuse_update_and_delete(conn: Connection, tiny_bundle: Path,
                                              statement: str) -> None:
    import_bundle(conn, tiny_bundle)
    savepoint = conn.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text(statement))
    savepoint.rollback()
    assert counts(conn)["case_events"] == 10


# -- large batches take the bulk-load path ------------------------------------------------------


def schema_objects(conn: Connection) -> set[tuple[str, str]]:
    indexes = conn.execute(text(
        "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'")).all()
    keys = conn.execute(text(
        "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE contype = 'f'")).all()
    return {tuple(row) for row in [*indexes, *keys]}


def test_bulk_path_restores_indexes_and_foreign_keys(conn: Connection, tiny_bundle: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gridrisk.db.bulk.BULK_ROWS", 1)
    before = schema_objects(conn)

    import_bundle(conn, tiny_bundle)
    report = import_bundle(conn, tiny_bundle)

    assert schema_objects(conn) == before
    assert counts(conn)["case_events"] == 10
    assert all(w["inserted"] == 0 for w in report.written.values())
    savepoint = conn.begin_nested()
    with pytest.raises(DBAPIError, match="fk_case_events_case_id_cases"):
        conn.execute(text("INSERT INTO case_events (case_id, content_hash, occurrence, at, "
                          "at_is_date, type) VALUES ('nope', 1, 0, now(), false, 'accepted')"))
    savepoint.rollback()


def test_line_numbers_count_quoted_line_breaks(conn: Connection, tiny_bundle: Path) -> None:
    rewrite_cases(tiny_bundle, [{**CASES[0], "summary": "第一行\n第二行\n第三行"},
                                {**CASES[1], "channel": "fax"}, *CASES[2:]])
    problem = only(refusal(conn, tiny_bundle), "cases.csv")
    assert (problem["line"], problem["column"]) == (5, "channel")


def test_a_last_line_without_a_line_break_keeps_its_number(conn: Connection,
                                                           tiny_bundle: Path) -> None:
    path = tiny_bundle / "cases.csv"
    rewrite_cases(tiny_bundle, [*CASES[:-1], {**CASES[-1], "channel": "fax"}])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().rstrip(b"\r\n"))
    problem = only(refusal(conn, tiny_bundle), "cases.csv")
    assert (problem["line"], problem["column"]) == (len(CASES) + 1, "channel")


def test_values_are_trimmed_and_a_bom_is_ignored(conn: Connection, tiny_bundle: Path) -> None:
    path = tiny_bundle / "cases.csv"
    rewrite_cases(tiny_bundle, with_case(channel=" visit ", case_id="  C1"))
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    import_bundle(conn, tiny_bundle)
    row = conn.execute(text("SELECT channel FROM cases WHERE case_id = 'C1'")).scalar_one()
    assert row == "visit"


def test_events_the_workflow_refuses_are_rejected_with_their_line(
        conn: Connection, tiny_bundle: Path) -> None:
    second_extension = [*EVENTS,
                        {"case_id": "C1", "at": "2025-03-20", "type": "extended",
                         "detail": "延期15日"},
                        {"case_id": "C1", "at": "2025-03-25", "type": "extended",
                         "detail": "延期10日"}]
    write_csv(tiny_bundle / "case_events.csv", EVENT_HEADER, second_extension)

    problem = only(refusal(conn, tiny_bundle), "case_events.csv")

    assert (problem["line"], problem["column"]) == (13, "type")
    assert problem["reason"] == ("refused by the case workflow: a case is extended once per "
                                 "acceptance")


def test_new_events_are_checked_against_the_stored_case_file(conn: Connection,
                                                             tiny_bundle: Path) -> None:
    import_bundle(conn, tiny_bundle)
    write_csv(tiny_bundle / "case_events.csv", EVENT_HEADER,
              [{"case_id": "C2", "at": "2025-04-02", "type": "closed", "detail": "resolved"}])

    with pytest.raises(RejectedRows) as caught:
        import_bundle(conn, tiny_bundle)

    assert "the case is closed; reopen it first" in caught.value.rejects.iloc[0]["reason"]
    assert counts(conn)["case_events"] == 10
