"""Complainant contacts: sealed as they arrive (a new case, a bundle), opened for the contact
view, masked for everyone else; privacy.retention erases them. Services flush but never
commit: the command or request owns the transaction.

Who may see a contact is decided before these are called: the routers mark the place
(`reveal_contact` is the one function that gives a contact in clear)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

import pandas as pd
from sqlalchemy import Connection, text

from gridrisk.access.scope import EVERYTHING, Scope
from gridrisk.cases.errors import UnknownCase
from gridrisk.db.base import Db
from gridrisk.db.bulk import copy_upsert
from gridrisk.privacy.errors import KeyUnavailable
from gridrisk.privacy.schemas import (
    CONTACT_FIELDS,
    ContactIn,
    ContactOut,
    ContactView,
    MaskedContact,
)
from gridrisk.privacy.vault import Vault

#: contact → the frame the importer and the export hold: case_id and CONTACT_FIELDS
CONTACT_FRAME = ["case_id", *CONTACT_FIELDS]


def _sealing(db: Db, vault: Vault) -> Vault:
    """The vault, checked against the contacts stored already: a missing key file is never
    replaced by a new key while contacts sealed with the old one exist (they would be lost),
    and a key file holding another key is refused."""
    stored = db.execute(text("SELECT key_id FROM contacts LIMIT 1")).scalar()
    if stored is None:
        vault.key(create=True)
        return vault
    if not vault.exists():
        raise KeyUnavailable(f"no key file at {vault.path}, but the database holds contacts "
                             f"sealed with key {stored}: restore that key file (gridrisk "
                             "restore, or your copy of it) before adding contacts")
    _same_key(vault, stored)
    return vault


def _same_key(vault: Vault, stored_key_id: str) -> None:
    if vault.key_id != stored_key_id:
        raise KeyUnavailable(f"the key file {vault.path} holds key {vault.key_id}, but the "
                             f"contacts were sealed with key {stored_key_id}: point "
                             "GRIDRISK_SECRET_KEY_FILE at that key's file")


def store_contact(db: Db, vault: Vault, case_id: str, contact: ContactIn) -> None:
    """Seal and store the contact of a case (a new case's, in its transaction)."""
    sealing = _sealing(db, vault)
    db.execute(text("""
        INSERT INTO contacts (case_id, key_id, sealed) VALUES (:case_id, :key_id, :sealed)
        ON CONFLICT (case_id) DO UPDATE SET key_id = excluded.key_id, sealed = excluded.sealed,
            recorded_at = now()"""),
        {"case_id": case_id, "key_id": sealing.key_id,
         "sealed": sealing.seal(case_id, contact.plain())})


def write_contacts(conn: Connection, vault: Vault, contacts: pd.DataFrame) -> dict[str, int]:
    """Upsert a bundle's contacts (CONTACT_FRAME, None for a missing value) by case: a
    contact equal to the stored one (compared opened, since each sealing differs) is left
    alone, so importing the same bundle twice writes nothing."""
    if contacts.empty:
        return {"inserted": 0, "updated": 0, "unchanged": 0}
    sealing = _sealing(conn, vault)
    stored = opened_contacts(conn, sealing, contacts["case_id"])
    given = contacts[CONTACT_FRAME].astype(object).where(contacts[CONTACT_FRAME].notna(),
                                                           None)
    records = given.to_dict("records")
    changed = [r for r in records if stored.get(r["case_id"]) != _plain(r)]
    frame = pd.DataFrame({
        "case_id": [r["case_id"] for r in changed],
        "key_id": sealing.key_id,
        "sealed": ["\\x" + sealing.seal(r["case_id"], _plain(r)).hex() for r in changed],
    }, columns=["case_id", "key_id", "sealed"])
    written = copy_upsert(conn, "contacts", frame, ["case_id"],
                          on_change="recorded_at = now()")
    written["unchanged"] += len(records) - len(changed)
    return written


def _plain(record: Mapping[Hashable, object]) -> dict[str, object]:
    return {f: record[f] for f in CONTACT_FIELDS}


def opened_contacts(db: Db, vault: Vault, case_ids: Iterable[str]) -> dict[str, dict]:  # type: ignore[type-arg]
    """The stored contacts of `case_ids`, opened: case id → {name, phone, id_number,
    address}."""
    rows = db.execute(text("SELECT case_id, key_id, sealed FROM contacts "
                           "WHERE case_id = ANY(:ids) ORDER BY case_id"),
                      {"ids": list(case_ids)}).all()
    if rows:
        _same_key(vault, rows[0].key_id)
    return {r.case_id: vault.open(r.case_id, r.sealed) for r in rows}


def _contact(db: Db, vault: Vault, case_id: str, scope: Scope) -> ContactOut | None:
    """The case's contact (None when it has none); a case outside `scope` is unknown."""
    if db.execute(text("SELECT 1 FROM cases WHERE case_id = :id AND "
                       f"{scope.holds('region_code', 'cell_code')}"),
                  {"id": case_id, **scope.params}).first() is None:
        raise UnknownCase(case_id)
    opened = opened_contacts(db, vault, [case_id]).get(case_id)
    return ContactOut(**opened) if opened else None


def reveal_contact(db: Db, vault: Vault, case_id: str, *, scope: Scope = EVERYTHING
                   ) -> ContactView:
    """The case's contact and free text in clear: the contact view. The one function that
    gives them; its callers check the role and audit-log the showing."""
    contact = _contact(db, vault, case_id, scope)
    summary = db.execute(text("SELECT summary FROM cases WHERE case_id = :id"),
                         {"id": case_id}).scalar()
    details = db.execute(text("SELECT id, detail FROM case_events WHERE case_id = :id "
                              "AND detail IS NOT NULL ORDER BY at, id"), {"id": case_id}).all()
    return ContactView.of(case_id, contact, summary, [(d.id, d.detail) for d in details])


def masked_contact(db: Db, vault: Vault, case_id: str, *, scope: Scope = EVERYTHING
                   ) -> MaskedContact | None:
    """The case's contact as everyone else sees it (张*, 138****8000); None when it has none."""
    contact = _contact(db, vault, case_id, scope)
    return contact.masked() if contact else None


def region_contacts(db: Db, vault: Vault, case_ids: Iterable[str]) -> pd.DataFrame:
    """The contacts of `case_ids` in clear (CONTACT_FRAME), for an export that asked for
    them by name."""
    opened = opened_contacts(db, vault, case_ids)
    return pd.DataFrame([{"case_id": case_id, **contact} for case_id, contact in
                         opened.items()], columns=CONTACT_FRAME)
