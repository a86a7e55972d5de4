"""What an import tells its user: each root problem once with what was rejected with it,
feature numbers as whole numbers, the likely cause when most points miss every cell,
placeholder pile-ups, files read as GB18030; the same report from --check (which writes
nothing), as JSON and as a page; and import_runs keeps it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from gridrisk.bundle.errors import BundleFileError, RejectedRows
from gridrisk.bundle.report import report_page
from gridrisk.bundle.service import import_bundle

from ..browser import Tab
from .conftest import CASES, TOWNSHIP, table_checksums
from .defects import (
    N_PHONE_POINTS,
    PILE,
    PLACEHOLDER,
    gb18030_cases,
    gcj02_points_labelled_wgs84,
    overlapping_townships,
    placeholder_pileup,
    rejected_township,
)
from .test_import import counts, nothing_written


def test_a_cascade_names_its_root_once(conn: Connection, tmp_path: Path) -> None:
    bundle = rejected_township(tmp_path / "cascade")

    with pytest.raises(RejectedRows) as caught:
        import_bundle(conn, bundle)

    report = caught.value.report
    (root,) = report.errors()
    assert (root["file"], root["line"], root["column"]) == ("regions.geojson", 2, "level")
    assert root["rejected_with_it"] == {"regions.geojson": 2, "cells.geojson": 2,
                                        "cases.csv": 4, "case_events.csv": 10,
                                        "screenings.csv": 3}
    rejects = report.rejects
    assert set(rejects.loc[rejects["line"].ne(2) | rejects["file"].ne("regions.geojson"),
                           "cause"]) == {"regions.geojson feature 2"}
    # feature numbers are whole numbers however the frames are built
    assert not rejects["reason"].str.contains(r"feature \d+\.0", regex=True).any()
    assert "parent region was rejected (regions.geojson feature 2)" in set(rejects["reason"])
    assert str(caught.value).startswith("regions.geojson:2:level: unknown value")


def test_most_points_outside_every_cell_name_the_crs_not_the_rows(conn: Connection,
                                                                  tmp_path: Path) -> None:
    bundle = gcj02_points_labelled_wgs84(tmp_path / "phone")

    report = import_bundle(conn, bundle, check_only=True)

    errors = report.errors()
    assert [e["kind"] for e in errors] == ["points_outside_cells"]
    message = errors[0]["message"]
    assert message.startswith(f"cases.csv: {N_PHONE_POINTS} of {N_PHONE_POINTS} points "
                              "(100%) lie outside every cell: the boundary files' CRS or the "
                              "points' CRS is the likely cause")
    assert message.endswith("Most of them fall in a cell if the points are GCJ-02 but say "
                            "wgs84: set their crs column to gcj02")
    # every row is still in the rejects, for the rejects file
    assert len(report.rejects) == N_PHONE_POINTS


def test_a_placeholder_pile_up_is_a_warning_with_count_and_place(conn: Connection,
                                                                 tmp_path: Path) -> None:
    bundle = placeholder_pileup(tmp_path / "pile")

    report = import_bundle(conn, bundle)

    (pile,) = [n for n in report.warnings if n.kind == "placeholder_point"]
    lon, lat = PLACEHOLDER
    assert (pile.facts["count"], pile.facts["lon"], pile.facts["lat"]) == (PILE, lon, lat)
    assert pile.facts["cell_code"] == "41100000120102"
    assert pile.message.startswith(f"cases.csv: {PILE} records share the point (114.050000, "
                                   "34.070000) in cell 41100000120102 (lines 6, 7, 8, 9, 10, …)")
    assert counts(conn)["cases"] == len(CASES) + PILE


def test_gb18030_is_detected_and_said(conn: Connection, tmp_path: Path) -> None:
    bundle = gb18030_cases(tmp_path / "gbk")

    report = import_bundle(conn, bundle)

    (read_as,) = [n for n in report.warnings if n.kind == "encoding"]
    assert read_as.file == "cases.csv" and "read as GB18030" in read_as.message
    unit = conn.execute(text("SELECT responsible_unit FROM cases WHERE case_id = 'C1'"))
    assert unit.scalar_one() == CASES[0]["responsible_unit"]


def test_a_declared_encoding_is_decoded_strictly(conn: Connection, tiny_bundle: Path) -> None:
    """A UTF-8 file declared as GBK is refused, never read as mojibake."""
    with pytest.raises(BundleFileError) as caught:
        import_bundle(conn, tiny_bundle, encoding="gbk")
    assert caught.value.field == "cases.csv"
    assert "not gbk as declared" in caught.value.reason
    assert nothing_written(conn)


def test_the_encoding_can_be_declared_in_bundle_toml(conn: Connection, tmp_path: Path) -> None:
    bundle = gb18030_cases(tmp_path / "gbk")
    (bundle / "bundle.toml").write_text('encoding = "GB18030"\n', encoding="utf-8")

    report = import_bundle(conn, bundle)

    assert report.options["encoding"] == "gb18030"
    assert not [n for n in report.warnings if n.kind == "encoding"]
    unit = conn.execute(text("SELECT responsible_unit FROM cases WHERE case_id = 'C1'"))
    assert unit.scalar_one() == CASES[0]["responsible_unit"]


def test_an_unknown_bundle_setting_is_refused(conn: Connection, tiny_bundle: Path) -> None:
    (tiny_bundle / "bundle.toml").write_text('boundary_crs = "gcj"\n', encoding="utf-8")
    with pytest.raises(BundleFileError) as caught:
        import_bundle(conn, tiny_bundle)
    assert caught.value.field == "bundle.toml:boundary_crs"
    assert "expected one of wgs84, cgcs2000, gcj02, bd09" in caught.value.reason


def test_check_writes_nothing_and_reports_as_the_import_does(conn: Connection,
                                                             tmp_path: Path) -> None:
    bundle = overlapping_townships(tmp_path / "overlap")
    before = table_checksums(conn)

    checked = import_bundle(conn, bundle, check_only=True)

    assert table_checksums(conn) == before
    assert conn.execute(text("SELECT count(*) FROM import_runs")).scalar_one() == 0
    with pytest.raises(RejectedRows) as caught:
        import_bundle(conn, bundle)
    refused = caught.value.report.to_json()
    found = checked.to_json()
    assert found["outcome"] == "checked" and refused["outcome"] == "refused"
    for key in ("files", "errors", "warnings", "n_problems", "n_rejected_rows"):
        assert found[key] == refused[key], key


def test_the_json_report(conn: Connection, tmp_path: Path) -> None:
    bundle = overlapping_townships(tmp_path / "overlap")

    found = json.loads(json.dumps(import_bundle(conn, bundle, check_only=True).to_json()))

    assert found["files"]["cases.csv"] == {"read": 5, "rejected": 5, "accepted": 0}
    # regions: both townships and their three villages; all their cells, cases, events...
    assert found["n_rejected_rows"] == 5 + 2 + 5 + 10 + 3
    (overlap,) = [w for w in found["warnings"] if w["kind"] == "overlap"]
    assert overlap["codes"] == [TOWNSHIP, "411000002000"] and overlap["refused"] is True
    assert 10_000_000 < overlap["area_m2"] < 10_500_000


def test_import_runs_keep_each_runs_warnings_and_counts(conn: Connection, tmp_path: Path
                                                       ) -> None:
    bundle = placeholder_pileup(tmp_path / "pile")

    report = import_bundle(conn, bundle)

    run = conn.execute(text("SELECT mode, outcome, warnings, counts, options, errors "
                            "FROM import_runs WHERE id = :id"), {"id": report.run_id}).one()
    assert (run.mode, run.outcome, run.errors) == ("all-or-nothing", "written", [])
    assert [w["kind"] for w in run.warnings] == ["placeholder_point"]
    assert run.warnings[0]["count"] == PILE
    assert run.counts["cases.csv"] == {"read": len(CASES) + PILE, "rejected": 0,
                                       "accepted": len(CASES) + PILE}
    assert run.options["boundary_crs"] == "wgs84"


def test_the_page_says_what_the_json_says(conn: Connection, tmp_path: Path) -> None:
    bundle = overlapping_townships(tmp_path / "overlap")
    report = import_bundle(conn, bundle, check_only=True)

    page = report_page(report, lang="en")

    assert "<h1 class=\"outcome-checked\">Import report: checked, nothing written</h1>" in page
    assert "overlaps township 411000002000 (regions.geojson feature 5) by" in page
    assert "cases.csv 4" in page  # rejected with the first township
    assert "<script" not in page and "http" not in page
    assert "导入报告" in report_page(report)


def test_the_page_reads_in_a_browser_with_nothing_fetched(conn: Connection, tmp_path: Path,
                                                          tab: Tab) -> None:
    bundle = overlapping_townships(tmp_path / "overlap")
    page = tmp_path / "report.html"
    page.write_text(report_page(import_bundle(conn, bundle, check_only=True)),
                    encoding="utf-8")

    tab.page.goto(page.as_uri())

    assert tab.page.locator("h1").inner_text() == "导入报告：已校验，未写入"
    assert tab.page.locator("table").count() == 3
    tab.assert_offline()
