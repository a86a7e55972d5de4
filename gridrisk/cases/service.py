"""Cases and their files: reading them with their derived state, opening them, appending
events. Services flush but never commit: the command or request owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from itertools import groupby
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from gridrisk.access.scope import EVERYTHING, Scope
from gridrisk.cases.errors import UnknownCase
from gridrisk.cases.keys import event_keys
from gridrisk.cases.schemas import (
    CaseEventIn,
    CaseEventOut,
    CaseFileOut,
    CaseIn,
    CaseOut,
    CasePage,
    CaseStateOut,
)
from gridrisk.cases.state import CaseState, EventFacts, derive_state
from gridrisk.db.base import Db
from gridrisk.errors import Conflict, InvalidInput, StaleVersion
from gridrisk.policy import DeadlinePolicy
from gridrisk.privacy.masking import mask_text
from gridrisk.privacy.service import store_contact
from gridrisk.privacy.vault import Vault
from gridrisk.regions.service import POINT_OR_NULL, place
from gridrisk.regions.sql import REGIONS_UNDER
from gridrisk.vocab import COLLECTIVE_PARTIES

CASE_STATE_COLUMNS = ["case_id", "region_code", "cell_code", "received_on", "is_open",
                      "accept_by", "handle_by", "overdue_days"]
CASE_COLUMNS = """c.case_id, c.received_on, c.channel, c.category, c.parties,
    ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat, c.cell_code, c.region_code, c.complex,
    c.responsible_unit, c.responsible_official, c.summary, c.due_at, c.version,
    EXISTS (SELECT 1 FROM contacts k WHERE k.case_id = c.case_id) AS has_contact"""
#: a case file in replay order: by local day, then as recorded; corrected events left out
CASE_FILES = """
    SELECT e.case_id, (e.at AT TIME ZONE :tz)::date AS on_day, e.type, e.detail
    FROM case_events e
    WHERE e.case_id = ANY(:ids) AND (CAST(:as_of AS date) IS NULL
          OR (e.at AT TIME ZONE :tz)::date <= :as_of)
      AND NOT EXISTS (SELECT 1 FROM case_events c WHERE c.corrects = e.id
                      AND (CAST(:as_of AS date) IS NULL OR (c.at AT TIME ZONE :tz)::date <= :as_of))
    ORDER BY e.case_id, on_day, e.id"""


def case_files(db: Db, case_ids: Iterable[str], *, timezone: str,
               as_of: date | None = None) -> dict[str, list[EventFacts]]:
    """The replayable case files of `case_ids`, as known on `as_of` (all when None)."""
    rows = db.execute(text(CASE_FILES), {"ids": list(case_ids), "tz": timezone,
                                         "as_of": as_of}).all()
    return {case_id: [EventFacts(r.on_day, r.type, r.detail) for r in group]
            for case_id, group in groupby(rows, key=lambda r: r.case_id)}


def due_on(due_at: datetime | None, timezone: str) -> date | None:
    """The local day of a source deadline: the deadline day derive_state counts to."""
    return due_at.astimezone(ZoneInfo(timezone)).date() if due_at else None


def state_out(state: CaseState, today: date) -> CaseStateOut:
    deadline = (state.handle_by if state.accepted_on else state.accept_by) if (
        state.is_open) else None
    return CaseStateOut(
        is_open=state.is_open, accept_by=state.accept_by, accepted_on=state.accepted_on,
        handle_by=state.handle_by, extended=state.extended, closed_on=state.closed_on,
        closure_type=state.closure_type, overdue_days=state.overdue_days(today),
        days_left=(deadline - today).days if deadline else None)


def _case_out(row: dict, state: CaseState, today: date) -> CaseOut:  # type: ignore[type-arg]
    """A case as it leaves: the numbers typed into its summary masked (the clear text is the
    contact view's, privacy.service.reveal_contact)."""
    return CaseOut(**{**row, "summary": mask_text(row["summary"])},
                   collective=row["parties"] >= COLLECTIVE_PARTIES,
                   state=state_out(state, today))


def _today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


def get_case(db: Session, case_id: str, *, policy: DeadlinePolicy, timezone: str,
             lock: bool = False, scope: Scope = EVERYTHING) -> CaseOut:
    """The case with its state derived now (raises UnknownCase, also outside the scope)."""
    row = db.execute(text(f"SELECT {CASE_COLUMNS} FROM cases c WHERE c.case_id = :id AND "
                          + scope.holds("c.region_code", "c.cell_code")
                          + (" FOR UPDATE" if lock else "")), {"id": case_id, **scope.params}
                     ).mappings().first()
    if row is None:
        raise UnknownCase(case_id)
    events = case_files(db, [case_id], timezone=timezone).get(case_id, [])
    state = derive_state(row["received_on"], events, is_complex=row["complex"], policy=policy,
                         due_on=due_on(row["due_at"], timezone))
    return _case_out(dict(row), state, _today(timezone))


def get_case_file(db: Session, case_id: str, *, scope: Scope = EVERYTHING) -> CaseFileOut:
    version = db.execute(text("SELECT version FROM cases c WHERE case_id = :id AND "
                              + scope.holds("c.region_code", "c.cell_code")),
                         {"id": case_id, **scope.params}).scalar()
    if version is None:
        raise UnknownCase(case_id)
    rows = db.execute(text("""
        SELECT e.id, e.at, e.at_is_date, e.type, e.level, e.parties, e.detail, e.corrects,
               c.id AS corrected_by
        FROM case_events e LEFT JOIN case_events c ON c.corrects = e.id
        WHERE e.case_id = :id ORDER BY e.at, e.id"""), {"id": case_id}).mappings()
    return CaseFileOut(case_id=case_id, version=version, events=[
        CaseEventOut(**{**row, "detail": mask_text(row["detail"])}) for row in rows])


def open_case(db: Session, case: CaseIn, *, policy: DeadlinePolicy, timezone: str,
              vault: Vault | None = None, scope: Scope = EVERYTHING) -> CaseOut:
    """A new case, placed in a cell of the writer's scope (others are unknown to them); its
    contact, if it has one, sealed with `vault` in the same transaction."""
    if case.received_on > _today(timezone):
        raise InvalidInput("received_on", "in the future")
    due_at = case.due_at
    if due_at is not None and due_at.tzinfo is None:
        due_at = due_at.replace(tzinfo=ZoneInfo(timezone))
    if due_at is not None and (due_on(due_at, timezone) or date.max) < case.received_on:
        raise InvalidInput("due_at", f"{due_at.isoformat()} is before the case was received "
                           f"on {case.received_on}")
    placed = place(db, lon=case.lon, lat=case.lat, crs=case.crs, cell_code=case.cell_code,
                   region_code=case.region_code, scope=scope)
    case_id = case.case_id or _new_case_id(db, case.received_on)
    inserted = db.execute(text(f"""
        INSERT INTO cases (case_id, received_on, channel, category, parties, geom,
                           region_code, cell_code, complex, responsible_unit,
                           responsible_official, summary, due_at)
        VALUES (:case_id, :received_on, :channel, :category, :parties,
                {POINT_OR_NULL},
                :region_code, :cell_code, :complex, :responsible_unit,
                :responsible_official, :summary, :due_at)
        ON CONFLICT (case_id) DO NOTHING RETURNING case_id"""), {
        **case.model_dump(exclude={"lon", "lat", "crs", "cell_code", "region_code",
                                   "contact"}),
        "case_id": case_id, "lon": placed.lon, "lat": placed.lat,
        "region_code": placed.region_code, "cell_code": placed.cell_code, "due_at": due_at,
    }).scalar()
    if inserted is None:
        raise Conflict(f"case {case_id} exists already")
    if case.contact is not None:
        if vault is None:
            raise InvalidInput("contact", "a contact is sealed with the secret key, and none "
                               "was given")
        store_contact(db, vault, case_id, case.contact)
    return get_case(db, case_id, policy=policy, timezone=timezone)


def _new_case_id(db: Session, received_on: date) -> str:
    """XF + the day + a number within the day, like the demo county's ids."""
    prefix = f"XF{received_on:%Y%m%d}-"
    taken = db.execute(text("SELECT count(*) FROM cases WHERE case_id LIKE :p"),
                       {"p": prefix + "%"}).scalar_one()
    return f"{prefix}{taken + 1:04d}"


def append_event(db: Session, case_id: str, event: CaseEventIn, *, expected: int | None,
                 policy: DeadlinePolicy, timezone: str, scope: Scope = EVERYTHING) -> CaseOut:
    """Add an event the workflow allows. With `expected`, the case must still be at that
    version (else StaleVersion): a stale write is refused, never lost."""
    case = get_case(db, case_id, policy=policy, timezone=timezone, lock=True, scope=scope)
    if expected is not None and case.version != expected:
        raise StaleVersion(f"case {case_id}", expected=expected, actual=case.version)
    zone = ZoneInfo(timezone)
    at = (datetime.combine(event.at, time(), zone) if not isinstance(event.at, datetime)
          else event.at if event.at.tzinfo else event.at.replace(tzinfo=zone))
    if at > datetime.now(zone):
        raise InvalidInput("at", "in the future")
    if event.corrects is not None:
        _check_correctable(db, case_id, event.corrects)
    history = case_files(db, [case_id], timezone=timezone).get(case_id, [])
    corrected = [] if event.corrects is None else db.execute(text(
        "SELECT (at AT TIME ZONE :tz)::date AS on_day, type, detail FROM case_events "
        "WHERE id = :id"), {"id": event.corrects, "tz": timezone}).all()
    if corrected:
        history.remove(EventFacts(*corrected[0]))
    new = EventFacts(at.astimezone(zone).date(), event.type, event.detail)
    replay = sorted([*history, new], key=lambda e: e.on)  # stable: same day, new one last
    derive_state(case.received_on, replay, is_complex=case.complex, policy=policy,
                 due_on=due_on(case.due_at, timezone))
    keyed = _keyed(db, case_id, at, event)
    db.execute(text("""
        INSERT INTO case_events (case_id, content_hash, occurrence, at, at_is_date, type,
                                 level, parties, detail, corrects)
        VALUES (:case_id, :content_hash, :occurrence, :at, :at_is_date, :type, :level,
                :parties, :detail, :corrects)"""), keyed)
    db.execute(text("UPDATE cases SET version = version + 1 WHERE case_id = :id"),
               {"id": case_id})
    return get_case(db, case_id, policy=policy, timezone=timezone)


def _check_correctable(db: Session, case_id: str, event_id: int) -> None:
    row = db.execute(text(
        "SELECT case_id, EXISTS (SELECT 1 FROM case_events c WHERE c.corrects = e.id) "
        "FROM case_events e WHERE id = :id"), {"id": event_id}).first()
    if row is None or row[0] != case_id:
        raise InvalidInput("corrects", f"event {event_id} is not in case {case_id}'s file")
    if row[1]:
        raise InvalidInput("corrects", f"event {event_id} was corrected already; correct "
                           "the correction instead")


def _keyed(db: Session, case_id: str, at: datetime, event: CaseEventIn) -> dict:  # type: ignore[type-arg]
    """The event with the importer's upsert key, so a later re-import of an export does not
    add it again."""
    frame = pd.DataFrame({
        "case_id": [case_id], "at": pd.to_datetime([at], utc=True),
        "type": [event.type.value], "level": [event.level.value if event.level else None],
        "parties": pd.array([event.parties], dtype="Int64"), "detail": [event.detail],
    })
    key = event_keys(frame).iloc[0]
    occurrence = db.execute(text(
        "SELECT count(*) FROM case_events WHERE case_id = :id AND content_hash = :h"),
        {"id": case_id, "h": int(key["content_hash"])}).scalar_one()
    return {"case_id": case_id, "content_hash": int(key["content_hash"]),
            "occurrence": occurrence, "at": at,
            "at_is_date": not isinstance(event.at, datetime), "type": event.type.value,
            "level": event.level.value if event.level else None, "parties": event.parties,
            "detail": event.detail, "corrects": event.corrects}


def list_cases(db: Db, *, policy: DeadlinePolicy, timezone: str,
               region: str | None = None, cell: str | None = None,
               category: str | None = None, state: str | None = None,
               overdue: bool | None = None, due_within_days: int | None = None,
               responsible_unit: str | None = None, limit: int = 50, offset: int = 0,
               scope: Scope = EVERYTHING) -> CasePage:
    """Cases in the scope filtered by place, subject and unit in SQL, then by their derived
    state."""
    conditions, params = [scope.holds("c.region_code", "c.cell_code")], dict(scope.params)
    if region:
        conditions.append(f"c.region_code IN {REGIONS_UNDER}")
        params["region"] = region
    for column, value in (("cell_code", cell), ("category", category),
                          ("responsible_unit", responsible_unit)):
        if value:
            conditions.append(f"c.{column} = :{column}")
            params[column] = value
    rows = [dict(r) for r in db.execute(text(
        f"SELECT {CASE_COLUMNS} FROM cases c WHERE {' AND '.join(conditions)} "
        "ORDER BY c.received_on DESC, c.case_id"), params).mappings()]
    files = case_files(db, [r["case_id"] for r in rows], timezone=timezone)
    today = _today(timezone)
    chosen = []
    for row in rows:
        derived = derive_state(row["received_on"], files.get(row["case_id"], []),
                               is_complex=row["complex"], policy=policy,
                               due_on=due_on(row["due_at"], timezone))
        out = _case_out(row, derived, today)
        if _wanted(out.state, state=state, overdue=overdue, due_within_days=due_within_days):
            chosen.append(out)
    return CasePage(items=chosen[offset:offset + limit], total=len(chosen), limit=limit,
                    offset=offset)


def _wanted(derived: CaseStateOut, *, state: str | None, overdue: bool | None,
            due_within_days: int | None) -> bool:
    if state is not None and derived.is_open != (state == "open"):
        return False
    if overdue is not None and (derived.overdue_days > 0) != overdue:
        return False
    return due_within_days is None or (
        derived.days_left is not None and 0 <= derived.days_left <= due_within_days)


def case_states(conn: Connection, *, as_of: date, policy: DeadlinePolicy, timezone: str
                ) -> pd.DataFrame:
    """Every case received by `as_of`, its state derived from the events known on `as_of`."""
    cases = conn.execute(text(
        "SELECT case_id, region_code, cell_code, received_on, complex, due_at FROM cases "
        "WHERE received_on <= :as_of ORDER BY case_id"), {"as_of": as_of}).all()
    files = case_files(conn, [c.case_id for c in cases], timezone=timezone, as_of=as_of)
    rows = []
    for case in cases:
        state = derive_state(case.received_on, files.get(case.case_id, []),
                             is_complex=case.complex, policy=policy,
                             due_on=due_on(case.due_at, timezone))
        rows.append((case.case_id, case.region_code, case.cell_code, case.received_on,
                     state.is_open, state.accept_by, state.handle_by,
                     state.overdue_days(as_of)))
    return pd.DataFrame(rows, columns=CASE_STATE_COLUMNS)


def latest_data_on(conn: Connection, *, timezone: str) -> date | None:
    """The newest day any case, event or screening speaks of: the natural 'as of' of a bundle."""
    return conn.execute(text(
        "SELECT greatest((SELECT max(received_on) FROM cases),"
        " (SELECT max((at AT TIME ZONE :tz)::date) FROM case_events),"
        " (SELECT max((screened_at AT TIME ZONE :tz)::date) FROM screening_records))"),
        {"tz": timezone}).scalar()
