"""Importing the same bundle twice writes nothing the second time, whatever the bundle holds
and whichever rows its first import refused (every table's checksum before and after)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from gridrisk.bundle.errors import BundleFileError
from gridrisk.bundle.service import import_bundle
from gridrisk.cases.schemas import CaseEventIn
from gridrisk.cases.service import append_event
from gridrisk.policy import DeadlinePolicy
from gridrisk.privacy.vault import Vault
from gridrisk.synthetic import generate_bundle

from .conftest import EVENT_HEADER, EVENTS, table_checksums, write_csv
from .defects import DEFECTS


def import_or_refuse(conn: Connection, bundle: Path) -> dict[str, dict[str, int]]:
    """What a --write-good-rows import wrote; nothing when the bundle is refused whole."""
    try:
        return import_bundle(conn, bundle, write_good_rows=True).written
    except BundleFileError:
        return {}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_second_import_writes_nothing(conn: Connection, tmp_path: Path, defect: str) -> None:
    bundle = DEFECTS[defect](tmp_path / defect)
    import_or_refuse(conn, bundle)
    before = table_checksums(conn)

    written = import_or_refuse(conn, bundle)

    assert table_checksums(conn) == before
    assert all(w["inserted"] == w["updated"] == 0 for w in written.values()), written


def test_events_the_workflow_refused_are_refused_again(conn: Connection, tmp_path: Path
                                                       ) -> None:
    bundle = DEFECTS["workflow_refused"](tmp_path / "refused")

    first = import_bundle(conn, bundle, write_good_rows=True).rejects
    second = import_bundle(conn, bundle, write_good_rows=True).rejects

    assert first.to_dict("records") == second.to_dict("records")
    refused = first.set_index("line")["reason"].to_dict()
    closed_first, second_extension = 12, 15  # header, 10 tiny events, then REFUSED_EVENTS
    assert refused == {
        closed_first: "refused by the case workflow: a case is closed only after it was "
                      "accepted",
        second_extension: "refused by the case workflow: a case is extended once per "
                          "acceptance",
    }


def test_new_event_listed_before_a_recorded_one_of_its_day(conn: Connection, tiny_bundle: Path
                                                           ) -> None:
    """Appended after the recorded acceptance, the visit would not stand where the file puts
    it (before it), so it is refused, again on every re-import."""
    import_bundle(conn, tiny_bundle)
    visit_first = [{"case_id": "C2", "at": "2025-03-06", "type": "site_visit"}, *EVENTS]
    write_csv(tiny_bundle / "case_events.csv", EVENT_HEADER, visit_first)

    rejects = import_bundle(conn, tiny_bundle, write_good_rows=True).rejects

    assert rejects[["line", "column"]].to_dict("records") == [{"line": 2, "column": "type"}]
    assert rejects.iloc[0]["reason"].startswith(
        "refused by the case workflow: listed before line 7 (accepted) of the same day, which "
        "is recorded already")
    before = table_checksums(conn)
    import_bundle(conn, tiny_bundle, write_good_rows=True)
    assert table_checksums(conn) == before


def test_new_event_refused_where_it_would_be_stored(conn: Connection, tiny_bundle: Path
                                                    ) -> None:
    """C3 was closed through the API on the day of its acceptance. In the bundle's own order
    that closure (not in the file) comes first and a mediation that day looks fine; stored, the
    mediation lands after the closure, so it is refused: what is written always replays."""
    import_bundle(conn, tiny_bundle)
    with Session(bind=conn, join_transaction_mode="create_savepoint") as db:
        append_event(db, "C3", CaseEventIn(at=date(2025, 4, 11), type="closed",
                                           detail="resolved"),
                     expected=None, policy=DeadlinePolicy(), timezone="Asia/Shanghai")
        db.commit()
    write_csv(tiny_bundle / "case_events.csv", EVENT_HEADER,
              [*EVENTS, {"case_id": "C3", "at": "2025-04-11", "type": "mediation"}])

    rejects = import_bundle(conn, tiny_bundle, write_good_rows=True).rejects

    assert rejects[["line", "reason"]].to_dict("records") == [
        {"line": 12, "reason": "refused by the case workflow: the case is closed; reopen it "
                               "first"}]


@pytest.mark.slow
def test_the_demo_county_imported_again_writes_nothing(county_conn: Connection,
                                                       county_vault: Vault,
                                                       tmp_path: Path) -> None:
    """The small demo county (seed 5), already imported by the session, from a bundle
    generated again."""
    bundle = tmp_path / "county"
    generate_bundle(bundle, seed=5, scale="small")
    before = table_checksums(county_conn)

    report = import_bundle(county_conn, bundle, write_good_rows=True, vault=county_vault)

    assert table_checksums(county_conn) == before
    assert report.rejects.empty
    assert all(w["inserted"] == w["updated"] == 0 for w in report.written.values())
