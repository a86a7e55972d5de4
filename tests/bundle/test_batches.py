"""screenings.csv is checked and written a batch at a time (the server writes one batch while
the next is checked): whatever the batch size, an import writes, refuses and reports exactly
what one pass over the file would, and an all-or-nothing import whose bad row sits in a late
batch leaves nothing behind, even when the caller does not roll back."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from gridrisk.bundle.errors import RejectedRows
from gridrisk.bundle.report import ImportReport
from gridrisk.bundle.service import import_bundle
from gridrisk.policy import ImportPolicy

from .conftest import CELL_AN, CELL_AS, SCREENING_HEADER, SCREENINGS, table_checksums, write_csv
from .test_import import counts, nothing_written, schema_objects

#: screenings spread over five batches of two
MANY = [
    *SCREENINGS,
    *({"record_id": f"S{i}", "screened_at": f"2025-03-0{i % 9 + 1}T09:00:00+08:00",
       "worker": "W3", "cell_code": CELL_AN if i % 2 else CELL_AS, "found": "false"}
      for i in range(4, 11)),
]


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of two rows, and the bulk-load path (indexes dropped, rebuilt) from one row."""
    monkeypatch.setattr("gridrisk.bundle.validate.SCREENING_BATCH", 2)
    monkeypatch.setattr("gridrisk.db.bulk.BULK_ROWS", 1)


def write_screenings(bundle: Path, rows: list[dict]) -> None:
    write_csv(bundle / "screenings.csv", SCREENING_HEADER, rows)


def stored(conn: Connection) -> dict[str, object]:
    """Every table's checksum; the case file's rows without their serial ids (a sequence
    does not roll back)."""
    sums: dict[str, object] = table_checksums(conn)
    sums["case_events"] = conn.execute(text(
        "SELECT case_id, content_hash, occurrence, at, type FROM case_events ORDER BY 1, 2, 3"
    )).all()
    return sums


def summary(report: ImportReport) -> tuple:
    return (report.written, report.files, report.rejects.to_dict("records"),
            [(n.kind, n.message) for n in report.notices])


def test_batches_write_and_report_what_one_pass_does(conn: Connection, tiny_bundle: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    bad = {**MANY[6], "category": "gossip", "found": "true", "severity": "low"}
    write_screenings(tiny_bundle, [*MANY[:6], bad, *MANY[7:]])
    savepoint = conn.begin_nested()
    in_one = import_bundle(conn, tiny_bundle, write_good_rows=True)
    one_pass = stored(conn)
    savepoint.rollback()
    monkeypatch.setattr("gridrisk.bundle.validate.SCREENING_BATCH", 2)

    in_batches = import_bundle(conn, tiny_bundle, write_good_rows=True)

    assert stored(conn) == one_pass
    assert summary(in_batches) == summary(in_one)
    assert in_batches.written["screening_records"] == {
        "inserted": len(MANY) - 1, "updated": 0, "unchanged": 0}


def test_a_bad_row_in_a_late_batch_leaves_nothing_behind(
        conn: Connection, tiny_bundle: Path, small_batches: None) -> None:
    before = schema_objects(conn)
    bad = {**MANY[8], "screened_at": "yesterday"}
    write_screenings(tiny_bundle, [*MANY[:8], bad, *MANY[9:]])

    with pytest.raises(RejectedRows) as caught:
        import_bundle(conn, tiny_bundle)

    # the caller's transaction is still open and was not rolled back: the import's own
    # savepoint took back the tables and batches written before the bad row was reached
    assert nothing_written(conn)
    assert schema_objects(conn) == before
    (problem,) = caught.value.rejects.to_dict("records")
    assert (problem["file"], problem["line"], problem["column"]) == (
        "screenings.csv", 10, "screened_at")


def test_a_repeated_id_in_a_later_batch_is_refused_and_the_first_kept(
        conn: Connection, tiny_bundle: Path, small_batches: None) -> None:
    again = {**MANY[0], "worker": "W9"}
    write_screenings(tiny_bundle, [*MANY, again])

    report = import_bundle(conn, tiny_bundle, write_good_rows=True)

    (problem,) = report.rejects.to_dict("records")
    assert (problem["line"], problem["column"], problem["reason"]) == (
        len(MANY) + 2, "record_id", "duplicate id: first on line 2")
    assert counts(conn)["screening_records"] == len(MANY)
    assert report.written["screening_records"]["inserted"] == len(MANY)


def test_problems_are_listed_by_line_across_batches(conn: Connection, tiny_bundle: Path,
                                                    small_batches: None) -> None:
    rows = [dict(row) for row in MANY]
    rows[7]["worker"] = ""
    rows[2]["screened_at"] = "2099-01-01T00:00:00+08:00"
    rows[5]["cell_code"] = "nowhere"
    rows[5]["worker"] = ""
    write_screenings(tiny_bundle, rows)

    with pytest.raises(RejectedRows) as caught:
        import_bundle(conn, tiny_bundle)

    found = caught.value.rejects
    assert list(zip(found["line"], found["column"], strict=True)) == [
        (4, "screened_at"), (7, "worker"), (7, "cell_code"), (9, "worker")]
    assert nothing_written(conn)


def test_a_placeholder_pile_spread_over_batches_is_one_warning(
        conn: Connection, tiny_bundle: Path, small_batches: None) -> None:
    pile = [{**SCREENINGS[1], "record_id": f"P{i}", "case_id": ""} for i in range(5)]
    write_screenings(tiny_bundle, [*SCREENINGS, *pile])

    report = import_bundle(conn, tiny_bundle,
                           imports=ImportPolicy(placeholder_min_records=6))

    (warning,) = [n for n in report.warnings if n.kind == "placeholder_point"]
    assert warning.facts["count"] == 6 and warning.facts["cell_code"] == CELL_AN
    assert warning.facts["lines"] == [3, 5, 6, 7, 8, 9]


def test_a_check_writes_nothing_and_finds_what_an_import_would(
        conn: Connection, tiny_bundle: Path, small_batches: None) -> None:
    write_screenings(tiny_bundle, [*MANY, {**MANY[9], "found": "perhaps"}])

    checked = import_bundle(conn, tiny_bundle, check_only=True)

    assert nothing_written(conn)
    assert checked.outcome == "checked"
    assert checked.files["screenings.csv"] == {"read": len(MANY) + 1, "rejected": 1,
                                               "accepted": len(MANY)}
    with pytest.raises(RejectedRows) as caught:
        import_bundle(conn, tiny_bundle)
    assert caught.value.rejects.equals(checked.rejects)
