"""import(export(x)) reproduces x, row for row."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from gridrisk.bundle.export import export_region
from gridrisk.bundle.service import import_bundle
from gridrisk.regions.errors import UnknownRegion

from .conftest import CASES, COUNTY, TOWNSHIP, VILLAGE_B
from .test_import import counts, rewrite_cases, snapshot

EVERYTHING = "TRUNCATE regions, cells, cases, case_events, screening_records, import_runs CASCADE"


def round_trip(conn: Connection, region: str, out: Path) -> None:
    export_region(conn, region, out)
    conn.execute(text(EVERYTHING))
    report = import_bundle(conn, out)
    assert report.rejects.empty


def test_export_then_import_reproduces_every_row(conn: Connection, tiny_bundle: Path,
                                                 tmp_path: Path) -> None:
    extra = {**CASES[0], "case_id": "G1", "lon": "114.0317", "lat": "34.0244", "crs": "gcj02"}
    rewrite_cases(tiny_bundle, [*CASES, extra])
    import_bundle(conn, tiny_bundle)
    before = snapshot(conn)

    round_trip(conn, COUNTY, tmp_path / "out")

    assert snapshot(conn) == before


def test_zip_export_round_trips(conn: Connection, tiny_bundle: Path, tmp_path: Path) -> None:
    import_bundle(conn, tiny_bundle)
    before = snapshot(conn)
    out = tmp_path / "county.zip"

    round_trip(conn, COUNTY, out)

    assert zipfile.is_zipfile(out)
    assert snapshot(conn) == before


def test_exporting_a_village_brings_its_ancestors_but_not_their_cases(
        conn: Connection, tiny_bundle: Path, tmp_path: Path) -> None:
    import_bundle(conn, tiny_bundle)

    export_region(conn, VILLAGE_B, tmp_path / "village")
    conn.execute(text(EVERYTHING))
    import_bundle(conn, tmp_path / "village")

    assert counts(conn) == {"regions": 3, "cells": 1, "cases": 2, "case_events": 3,
                            "screening_records": 1}
    tree = conn.execute(text("SELECT code FROM regions ORDER BY code")).scalars().all()
    assert tree == [COUNTY, TOWNSHIP, VILLAGE_B]


def test_unknown_region(conn: Connection, tmp_path: Path) -> None:
    with pytest.raises(UnknownRegion):
        export_region(conn, "000", tmp_path / "none")
