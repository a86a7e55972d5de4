"""contacts.csv: checked like every other file, sealed on the way in, idempotent."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Connection, text

from gridrisk.bundle.errors import BundleFileError, RejectedRows
from gridrisk.bundle.service import import_bundle
from gridrisk.privacy.errors import KeyUnavailable
from gridrisk.privacy.service import opened_contacts
from gridrisk.privacy.vault import Vault

from .conftest import CASES, CONTACTS, EVENTS, write_contacts
from .test_import import rewrite_cases

CLEAR = ["欧阳建华", "13812348000", "11010519491231002X", "John Smith", "0371-61234567",
         "东湖村3组"]


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return Vault(tmp_path / "keys" / "secret.key")


def sealed_rows(conn: Connection) -> list[tuple]:
    return conn.execute(text("SELECT case_id, key_id, sealed FROM contacts ORDER BY case_id")
                        ).all()


def test_contacts_are_sealed_and_open_in_their_stored_forms(
        conn: Connection, tiny_bundle: Path, vault: Vault) -> None:
    report = import_bundle(conn, write_contacts(tiny_bundle), vault=vault)

    assert report.written["contacts"] == {"inserted": 3, "updated": 0, "unchanged": 0}
    stored = sealed_rows(conn)
    assert [r.case_id for r in stored] == ["C1", "C2", "C3"]
    dump = b"".join(bytes(r.sealed) for r in stored)
    for value in CLEAR:
        assert value.encode() not in dump
    assert opened_contacts(conn, vault, ["C1", "C2", "C3"]) == {
        "C1": {"name": "欧阳建华", "phone": "13812348000", "id_number": "11010519491231002X",
               "address": "城关镇东湖村3组"},
        "C2": {"name": "John Smith", "phone": "0371-61234567", "id_number": None,
               "address": None},
        "C3": {"name": "李娜", "phone": None, "id_number": None, "address": None},
    }
    assert oct(vault.path.stat().st_mode & 0o777) == "0o600"


def test_reimport_changes_nothing(conn: Connection, tiny_bundle: Path, vault: Vault) -> None:
    import_bundle(conn, write_contacts(tiny_bundle), vault=vault)
    before = sealed_rows(conn)

    report = import_bundle(conn, tiny_bundle, vault=vault)

    assert report.written["contacts"] == {"inserted": 0, "updated": 0, "unchanged": 3}
    assert sealed_rows(conn) == before


def test_a_changed_contact_is_sealed_again(conn: Connection, tiny_bundle: Path,
                                           vault: Vault) -> None:
    import_bundle(conn, write_contacts(tiny_bundle), vault=vault)
    write_contacts(tiny_bundle, [CONTACTS[0], {**CONTACTS[1], "phone": "13900001111"},
                                 CONTACTS[2]])

    report = import_bundle(conn, tiny_bundle, vault=vault)

    assert report.written["contacts"] == {"inserted": 0, "updated": 1, "unchanged": 2}
    assert opened_contacts(conn, vault, ["C2"])["C2"]["phone"] == "13900001111"


@pytest.mark.parametrize(("changes", "column", "reason"), [
    ({"phone": "1381234800"}, "phone", "a mobile number has 11 digits, this one has 10"),
    ({"phone": "61234567"}, "phone", "a landline needs its area code"),
    ({"phone": "not known"}, "phone", "not a phone number"),
    ({"id_number": "110105194912310021"}, "id_number", "the check digit (character 18)"),
    ({"id_number": "110105491231002"}, "id_number", "a first-generation 15-digit number"),
    ({"id_number": "1101051949123100"}, "id_number", "this one has 16"),
    ({"id_number": "110105194913310023"}, "id_number", "not a date of birth"),
    ({"id_number": "990105194912310028"}, "id_number", "not a province code"),
    ({"name": ""}, "name", "required"),
    ({"name": "张" * 101}, "name", "at most 100 characters"),
    ({"address": "东湖村\n3组"}, "address", "control character"),
    ({"case_id": "C9"}, "case_id", "unknown case"),
])
def test_a_bad_contact_is_refused_with_its_line_and_a_masked_value(
        conn: Connection, tiny_bundle: Path, vault: Vault, changes: dict, column: str,
        reason: str) -> None:
    write_contacts(tiny_bundle, [CONTACTS[0], {**CONTACTS[1], **changes}, CONTACTS[2]])

    with pytest.raises(RejectedRows) as caught:
        import_bundle(conn, tiny_bundle, vault=vault)

    rejects = caught.value.rejects
    assert len(rejects) == 1, rejects.to_string()
    problem = rejects.iloc[0]
    assert (problem["file"], problem["line"], problem["column"]) == ("contacts.csv", 3, column)
    assert reason in problem["reason"]
    given = {**CONTACTS[1], **changes}[column]
    if column != "case_id" and len(given) > 2:
        assert problem["value"] != given and problem["value"][0] == given[0]
    assert conn.execute(text("SELECT count(*) FROM cases")).scalar_one() == 0
    assert sealed_rows(conn) == []


def test_one_contact_per_case(conn: Connection, tiny_bundle: Path, vault: Vault) -> None:
    write_contacts(tiny_bundle, [*CONTACTS, {**CONTACTS[2], "name": "李娜娜"}])
    with pytest.raises(RejectedRows) as caught:
        import_bundle(conn, tiny_bundle, vault=vault)
    problem = caught.value.rejects.iloc[0]
    assert (problem["line"], problem["reason"]) == (5, "duplicate id: first on line 4")


def test_good_rows_are_written_and_the_contact_of_a_rejected_case_is_not(
        conn: Connection, tiny_bundle: Path, vault: Vault) -> None:
    rewrite_cases(tiny_bundle, [{**CASES[0], "channel": "fax"}, *CASES[1:]])
    write_contacts(tiny_bundle, [*CONTACTS[:2], {**CONTACTS[2], "phone": "12"}])

    report = import_bundle(conn, tiny_bundle, vault=vault, write_good_rows=True)

    contacts = report.rejects.loc[report.rejects["file"] == "contacts.csv"]
    assert list(zip(contacts["line"], contacts["column"], strict=True)) == [
        (2, "case_id"), (4, "phone")]
    assert contacts.iloc[0]["reason"] == "case was rejected (cases.csv line 2)"
    assert [r.case_id for r in sealed_rows(conn)] == ["C2"]


def test_a_contact_may_name_a_case_the_database_holds(conn: Connection, tiny_bundle: Path,
                                                      vault: Vault, tmp_path: Path) -> None:
    import_bundle(conn, tiny_bundle)
    later = write_contacts(tiny_bundle)
    report = import_bundle(conn, later, vault=vault)
    assert report.written["contacts"]["inserted"] == 3


def test_contacts_need_the_key(conn: Connection, tiny_bundle: Path) -> None:
    with pytest.raises(BundleFileError, match=r"contacts\.csv: holds complainants' contacts"):
        import_bundle(conn, write_contacts(tiny_bundle))


def test_another_key_is_refused_and_never_replaces_a_lost_one(
        conn: Connection, tiny_bundle: Path, vault: Vault, tmp_path: Path) -> None:
    import_bundle(conn, write_contacts(tiny_bundle), vault=vault)
    other = Vault(tmp_path / "other.key")
    other.key(create=True)

    with pytest.raises(KeyUnavailable, match=f"contacts were sealed with key {vault.key_id}"):
        import_bundle(conn, tiny_bundle, vault=other)
    lost = Vault(tmp_path / "lost.key")
    with pytest.raises(KeyUnavailable, match="no key file at"):
        import_bundle(conn, tiny_bundle, vault=lost)
    assert not lost.exists()


def test_contacts_of_cases_closed_past_the_retention_are_not_kept(
        conn: Connection, tiny_bundle: Path, vault: Vault) -> None:
    """C2 closed on 2025-03-20 and was followed up on 2025-04-01; with a retention of one
    year its contact is past keeping (the test runs after April 2026)."""
    from gridrisk.policy import PrivacyPolicy

    assert any(e["case_id"] == "C2" and e["type"] == "closed" for e in EVENTS)
    report = import_bundle(conn, write_contacts(tiny_bundle), vault=vault,
                           privacy=PrivacyPolicy(contact_retention_years=1))

    assert [r.case_id for r in sealed_rows(conn)] == ["C1", "C3"]
    assert report.written["contacts"]["inserted"] == 2
    assert any("1 contacts not kept" in w.message for w in report.warnings)


def test_rejects_frame_never_holds_a_clear_value(conn: Connection, tiny_bundle: Path,
                                                 vault: Vault) -> None:
    bad = {"case_id": "C1", "name": "王" * 101, "phone": "1381234800",
           "id_number": "110105194912310021", "address": "东湖村\t3组"}
    write_contacts(tiny_bundle, [bad])
    with pytest.raises(RejectedRows) as caught:
        import_bundle(conn, tiny_bundle, vault=vault)
    text_of_rejects = pd.DataFrame(caught.value.rejects).to_csv()
    for value in bad.values():
        if len(value) > 2:
            assert value not in text_of_rejects
    assert set(caught.value.rejects["column"]) == {"name", "phone", "id_number", "address"}


# -- export ------------------------------------------------------------------------------

TYPED = "欠薪，联系电话13912345678，身份证11010519491231002X"


def typed_into_free_text(bundle: Path) -> None:
    from .conftest import CASE_HEADER, EVENT_HEADER, write_csv

    write_csv(bundle / "cases.csv", CASE_HEADER, [{**CASES[0], "summary": TYPED}, *CASES[1:]])
    write_csv(bundle / "case_events.csv", EVENT_HEADER,
              [*EVENTS, {"case_id": "C3", "at": "2025-04-12", "type": "met_complainant",
                         "detail": "约见，座机0371-61234567"}])


def test_an_export_leaves_contacts_out_and_masks_free_text(
        conn: Connection, tiny_bundle: Path, vault: Vault, tmp_path: Path) -> None:
    from gridrisk.bundle.export import export_region

    from .conftest import COUNTY

    typed_into_free_text(tiny_bundle)
    import_bundle(conn, write_contacts(tiny_bundle), vault=vault)
    out = tmp_path / "out"
    out.mkdir()
    (out / "contacts.csv").write_text("left by an earlier export")

    counts = export_region(conn, COUNTY, out)

    assert "contacts" not in counts and not (out / "contacts.csv").exists()
    written = "".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    for value in [*CLEAR, "13912345678", "61234567"]:
        assert value not in written
    assert "联系电话139****5678，身份证1101**********002X" in written
    assert "座机0371-****4567" in written


def test_an_export_with_contacts_round_trips(conn: Connection, tiny_bundle: Path,
                                             vault: Vault, tmp_path: Path) -> None:
    from gridrisk.bundle.export import export_region

    from .conftest import COUNTY
    from .test_export import EVERYTHING
    from .test_import import snapshot

    typed_into_free_text(tiny_bundle)
    import_bundle(conn, write_contacts(tiny_bundle), vault=vault)
    before = snapshot(conn), opened_contacts(conn, vault, ["C1", "C2", "C3"])
    out = tmp_path / "county.zip"

    counts = export_region(conn, COUNTY, out, with_contacts=True, vault=vault)
    conn.execute(text(EVERYTHING))
    report = import_bundle(conn, out, vault=vault)

    assert counts["contacts"] == 3 and report.rejects.empty
    assert out.stat().st_mode & 0o777 == 0o600
    assert (snapshot(conn), opened_contacts(conn, vault, ["C1", "C2", "C3"])) == before


def test_an_export_with_contacts_needs_the_key(conn: Connection, tiny_bundle: Path,
                                               tmp_path: Path) -> None:
    from gridrisk.bundle.export import export_region
    from gridrisk.errors import InvalidInput

    from .conftest import COUNTY

    import_bundle(conn, tiny_bundle)
    with pytest.raises(InvalidInput, match="with_contacts"):
        export_region(conn, COUNTY, tmp_path / "out", with_contacts=True)
