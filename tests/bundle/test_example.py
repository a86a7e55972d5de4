"""The example bundle of examples/bundle (docs/bundle.md) imports whole into the counts it
was written with, and its export imports back to the same rows, contacts included."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import Connection, text

from gridrisk.bundle.export import export_region
from gridrisk.bundle.service import import_bundle
from gridrisk.privacy.vault import Vault

from .test_export import EVERYTHING
from .test_import import snapshot

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bundle"
COUNTY = "419900000000"
#: what the example holds: 1 county, 1 township, 3 villages and communities; 4 cells in the
#: file and the village without cells as its own; 10 cases, 22 events, 5 screenings, 3
#: contacts
EXPECTED = {"regions": 5, "cells": 5, "cases": 10, "case_events": 22, "screening_records": 5,
            "contacts": 3}


def counts(conn: Connection) -> dict[str, int]:
    return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in EXPECTED}


def test_the_example_imports_whole(conn: Connection, tmp_path: Path) -> None:
    report = import_bundle(conn, EXAMPLE, vault=Vault(tmp_path / "secret.key"))

    assert report.rejects.empty, report.rejects.to_dict("records")
    assert report.outcome == "written"
    assert counts(conn) == EXPECTED
    # the case given by its village only sits in that village's one cell; the GCJ-02 point
    # landed in the community's southern cell after conversion
    cells = dict(conn.execute(text(
        "SELECT case_id, cell_code FROM cases WHERE case_id IN ('EX-003', 'EX-004')")).all())
    assert cells == {"EX-003": "41990000120301", "EX-004": "419900001202"}


def test_the_examples_export_round_trips(conn: Connection, tmp_path: Path) -> None:
    vault = Vault(tmp_path / "secret.key")
    import_bundle(conn, EXAMPLE, vault=vault)
    before = snapshot(conn)
    out = tmp_path / "export"

    written = export_region(conn, COUNTY, out, with_contacts=True, vault=vault)
    conn.execute(text(EVERYTHING))
    report = import_bundle(conn, out, vault=vault)

    assert report.rejects.empty
    assert written["contacts"] == EXPECTED["contacts"]
    assert snapshot(conn) == before
    assert counts(conn) == EXPECTED


def test_the_example_is_unchanged_by_a_second_import(conn: Connection, tmp_path: Path) -> None:
    bundle = shutil.copytree(EXAMPLE, tmp_path / "bundle")
    vault = Vault(tmp_path / "secret.key")
    import_bundle(conn, bundle, vault=vault)

    again = import_bundle(conn, bundle, vault=vault)

    assert all(t["inserted"] == 0 and t["updated"] == 0 for t in again.written.values())
