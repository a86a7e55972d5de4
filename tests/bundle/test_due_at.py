"""due_at: the handling deadline a source system set, from the bundle to the derived state
and back out in an export."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from gridrisk.bundle.errors import RejectedRows
from gridrisk.bundle.export import export_region
from gridrisk.bundle.service import import_bundle
from gridrisk.cases.service import get_case
from gridrisk.policy import DeadlinePolicy

from .conftest import CASE_HEADER, CASES, COUNTY, write_csv

TIMEZONE = "Asia/Shanghai"


def with_due_at(bundle: Path, **due: str) -> None:
    rows = [{**case, "due_at": due.get(case["case_id"], "")} for case in CASES]
    write_csv(bundle / "cases.csv", [*CASE_HEADER, "due_at"], rows)


def test_due_at_sets_the_first_acceptances_deadline(conn: Connection, tiny_bundle: Path
                                                   ) -> None:
    # C1 (complex) is accepted 2025-03-03: 60 days would end on 2025-05-02
    with_due_at(tiny_bundle, C1="2025-03-20T18:00:00+08:00")
    import_bundle(conn, tiny_bundle)
    case = get_case(Session(bind=conn), "C1", policy=DeadlinePolicy(), timezone=TIMEZONE)
    assert case.due_at is not None and case.state.handle_by == date(2025, 3, 20)


def test_a_local_time_after_midnight_utc_is_that_local_day(conn: Connection,
                                                            tiny_bundle: Path) -> None:
    with_due_at(tiny_bundle, C1="2025-03-20T23:30:00+00:00")  # 07:30 on the 21st in +08:00
    import_bundle(conn, tiny_bundle)
    case = get_case(Session(bind=conn), "C1", policy=DeadlinePolicy(), timezone=TIMEZONE)
    assert case.state.handle_by == date(2025, 3, 21)


def test_due_at_before_receipt_or_not_a_time_is_refused(conn: Connection,
                                                        tiny_bundle: Path) -> None:
    with_due_at(tiny_bundle, C1="2025-02-27", C2="soon")
    try:
        import_bundle(conn, tiny_bundle)
    except RejectedRows as refused:
        rejects = refused.rejects
    else:
        raise AssertionError("the bundle was accepted")
    own = rejects.loc[rejects["file"] == "cases.csv"].set_index("line")
    assert own.loc[2, "column"] == "due_at"
    assert "before the case was received" in own.loc[2, "reason"]
    assert own.loc[3, "column"] == "due_at" and "not an ISO date or time" in own.loc[3, "reason"]
    assert conn.execute(text("SELECT count(*) FROM cases")).scalar_one() == 0


def test_export_writes_due_at_and_reimport_changes_nothing(conn: Connection,
                                                          tiny_bundle: Path,
                                                          tmp_path: Path) -> None:
    with_due_at(tiny_bundle, C1="2025-03-20T18:00:00+08:00")
    import_bundle(conn, tiny_bundle)
    out = tmp_path / "out"
    export_region(conn, COUNTY, out, timezone=TIMEZONE)
    with (out / "cases.csv").open(encoding="utf-8") as handle:
        exported = {row["case_id"]: row["due_at"] for row in csv.DictReader(handle)}
    assert exported == {"C1": "2025-03-20T18:00:00+08:00", "C2": "", "C3": "", "C4": ""}
    report = import_bundle(conn, out)
    assert report.written["cases"]["inserted"] == report.written["cases"]["updated"] == 0
