"""Receipt tokens and what they show. A token is 128 random bits (secrets.token_urlsafe),
kept only as its SHA-256: a database dump alone opens no case. A lookup names the request and
its token; an unknown request, an unknown token and another case's token are the same answer
(UnknownRequest), and every lookup counts against its address's limit (the audit log, as
failed sign-ins do). Services flush but never commit."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from gridrisk.access.scope import Scope
from gridrisk.access.service import audit, token_hash
from gridrisk.cases.errors import UnknownCase
from gridrisk.cases.schemas import CaseIn
from gridrisk.cases.service import case_files, open_case, state_out
from gridrisk.cases.state import derive_state
from gridrisk.db.base import Db
from gridrisk.errors import BadRequest, NotFound, TooManyAttempts
from gridrisk.open311.schemas import (
    ReceiptOut,
    RequestCreated,
    RequestIn,
    ServiceOut,
    ServiceRequestOut,
)
from gridrisk.policy import DeadlinePolicy, Open311Policy
from gridrisk.privacy.vault import Vault
from gridrisk.vocab import Category, Channel, labels

#: the actor of a complainant's lookup in the audit log (no account)
PUBLIC = "open311"
LOOKUP, LOOKUP_UNKNOWN, FILED = "open311_status", "open311_status_unknown", "open311_request"
TOKEN_BYTES = 16


class UnknownRequest(NotFound):
    """The one answer to a request id and token that do not open a case together."""

    slug = "unknown-request"
    title = "Unknown service request"

    def __init__(self) -> None:
        super().__init__("no service request with that id and token")


def services(lang: str) -> list[ServiceOut]:
    names = labels(lang)["category"]
    return [ServiceOut(service_code=c.value, service_name=names[c.value],
                       description=names[c.value]) for c in Category]


def issue_receipt(db: Db, case_id: str, *, scope: Scope) -> ReceiptOut:
    """A new receipt token for a case in the scope; any earlier one stops working."""
    found = db.execute(text("SELECT 1 FROM cases c WHERE c.case_id = :id AND "
                            + scope.holds("c.region_code", "c.cell_code")),
                       {"id": case_id, **scope.params}).first()
    if found is None:
        raise UnknownCase(case_id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.execute(text("""
        INSERT INTO case_receipts (case_id, token_hash) VALUES (:id, :hash)
        ON CONFLICT (case_id) DO UPDATE SET token_hash = excluded.token_hash,
                                            issued_at = now()"""),
               {"id": case_id, "hash": token_hash(token)})
    return ReceiptOut(case_id=case_id, token=token)


def _limit(db: Db, actions: tuple[str, ...], *, address: str | None, limit: int,
           minutes: int) -> None:
    """TooManyAttempts once `address` made `limit` of these in the window."""
    made = db.execute(text(
        "SELECT count(*) FROM audit_log WHERE action = ANY(:actions) AND address = :address"
        " AND at > now() - make_interval(mins => :minutes)"),
        {"actions": list(actions), "address": address, "minutes": minutes}).scalar_one()
    if made >= limit:
        raise TooManyAttempts(f"too many requests from this address: try again in {minutes} "
                              "minutes", retry_after=minutes * 60)


def request_status(db: Db, request_id: str, token: str, *, address: str | None,
                   limits: Open311Policy, policy: DeadlinePolicy, timezone: str, lang: str
                   ) -> ServiceRequestOut:
    _limit(db, (LOOKUP, LOOKUP_UNKNOWN), address=address, limit=limits.lookups_per_address,
           minutes=limits.window_minutes)
    row = db.execute(text("""
        SELECT c.case_id, c.received_on, c.category, c.complex, c.responsible_unit
        FROM cases c JOIN case_receipts r ON r.case_id = c.case_id
        WHERE c.case_id = :id AND r.token_hash = :hash"""),
        {"id": request_id, "hash": token_hash(token)}).mappings().first()
    if row is None:
        audit(db, actor=PUBLIC, action=LOOKUP_UNKNOWN, target=None, address=address)
        raise UnknownRequest()
    audit(db, actor=PUBLIC, action=LOOKUP, target=row["case_id"], address=address)
    zone = ZoneInfo(timezone)
    events = case_files(db, [row["case_id"]], timezone=timezone).get(row["case_id"], [])
    state = state_out(derive_state(row["received_on"], events, is_complex=row["complex"],
                                   policy=policy), datetime.now(zone).date())
    words = labels(lang)
    if not state.is_open:
        notes, next_step = words["open311"]["closed"], None
        if state.closure_type:
            notes += f"（{words['closure'].get(state.closure_type, state.closure_type)}）"
    elif state.accepted_on is None:
        next_step = state.accept_by
        notes = f"{words['open311']['awaiting']}（{words['open311']['next_accept']} {next_step}）"
    else:
        next_step = state.handle_by
        notes = f"{words['open311']['handling']}（{words['open311']['next_handle']} {next_step}）"
    updated = db.execute(text("SELECT max(at) FROM case_events WHERE case_id = :id"),
                         {"id": row["case_id"]}).scalar()
    return ServiceRequestOut(
        service_request_id=row["case_id"], status="open" if state.is_open else "closed",
        status_notes=notes, service_code=row["category"],
        service_name=words["category"][row["category"]],
        agency_responsible=row["responsible_unit"] or "",
        service_notice=words["open311"]["notice"],
        requested_datetime=_moment(row["received_on"], zone),
        updated_datetime=(updated.astimezone(zone).isoformat(timespec="seconds") if updated
                          else _moment(row["received_on"], zone)),
        expected_datetime=_moment(next_step + timedelta(days=1), zone, end_of_day=True)
        if next_step else "")


def _address_kind(db: Db, code: str, scope: Scope) -> str:
    """Whether `address_id` is a cell or a region of the scope; the same refusal for one
    outside it as for one that does not exist."""
    if db.execute(text("SELECT 1 FROM cells c WHERE c.code = :code AND "
                       + scope.holds("c.region_code", "c.code")),
                  {"code": code, **scope.params}).first():
        return "cell"
    if db.execute(text("SELECT 1 FROM regions r WHERE r.code = :code AND "
                       + scope.holds("r.code")), {"code": code, **scope.params}).first():
        return "region"
    raise BadRequest("address_id", f"{code} is neither a cell nor a village of your regions")


def _moment(day: date, zone: ZoneInfo, *, end_of_day: bool = False) -> str:
    """A day as GeoReport's W3C date-time: its start, or (end_of_day) the moment before the
    next day starts."""
    moment = datetime.combine(day, time(), zone)
    if end_of_day:
        moment -= timedelta(seconds=1)
    return moment.isoformat(timespec="seconds")


def file_request(db: Session, request: RequestIn, *, scope: Scope, actor: str,
                 address: str | None, limits: Open311Policy, policy: DeadlinePolicy,
                 timezone: str, lang: str, vault: Vault) -> RequestCreated:
    """A received case (channel online) placed in the filer's scope, awaiting acceptance by
    a handler, and its receipt token."""
    _limit(db, (FILED,), address=address, limit=limits.requests_per_address,
           minutes=limits.window_minutes)
    is_cell = request.address_id is not None and _address_kind(db, request.address_id,
                                                                scope) == "cell"
    summary = request.description + (f"\n地址：{request.address_string}"
                                     if request.address_string else "")
    case = open_case(db, CaseIn(
        received_on=datetime.now(ZoneInfo(timezone)).date(), channel=Channel.online,
        category=request.service_code, parties=1, lon=request.long, lat=request.lat,
        cell_code=request.address_id if is_cell else None,
        region_code=None if is_cell else request.address_id, summary=summary,
        contact=request.contact),
        policy=policy, timezone=timezone, vault=vault, scope=scope)
    receipt = issue_receipt(db, case.case_id, scope=scope)
    audit(db, actor=actor, action=FILED, target=case.case_id, address=address)
    return RequestCreated(service_request_id=case.case_id, token=receipt.token,
                          service_notice=labels(lang)["open311"]["notice"])
