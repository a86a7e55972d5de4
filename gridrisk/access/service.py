"""Accounts, sign-in, sessions and tokens, and the audit log. Services flush but never
commit; the request or command owns the transaction (a failed sign-in is an answer, not an
error, so its audit entry commits with it)."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import CursorResult, text

from gridrisk.access.errors import SignInFailed, UnknownScope, UnknownUser
from gridrisk.access.schemas import AuditOut, AuditPage, Caller, UserOut
from gridrisk.access.scope import Scope
from gridrisk.db.base import Db
from gridrisk.db.writes import AsyncExecutor
from gridrisk.errors import Conflict, InvalidInput, TooManyAttempts
from gridrisk.policy import AccessPolicy
from gridrisk.regions.sql import regions_under
from gridrisk.vocab import Role, ScopeKind, TokenKind

HASHER = PasswordHasher()
#: a password must be at least this long (a passphrase, say)
MIN_PASSWORD = 10
#: a hash to check against when the account does not exist, so that a wrong name takes as
#: long as a wrong password
_DUMMY_HASH = HASHER.hash("no such account")

#: the caller holding a live token: its account and scope (a worker's regions become the
#: cells under them); one statement on the sync and the async path alike
CALLER = f"""
    WITH held AS (
        SELECT t.id AS token_id, t.kind AS via, u.id AS user_id, u.name, u.role
        FROM tokens t JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = :token_hash AND t.revoked_at IS NULL AND t.expires_at > now()
          AND u.disabled_at IS NULL)
    SELECT held.*,
        ARRAY(SELECT s.code FROM user_scopes s WHERE s.user_id = held.user_id
              AND s.kind = 'region' AND held.role <> 'worker' ORDER BY s.code) AS regions,
        ARRAY(SELECT s.code FROM user_scopes s WHERE s.user_id = held.user_id
              AND s.kind = 'cell'
              UNION SELECT c.code FROM cells c WHERE held.role = 'worker' AND c.region_code IN
              {regions_under("code IN (SELECT r.code FROM user_scopes r WHERE "
                             "r.user_id = held.user_id AND r.kind = 'region')")}
              ORDER BY 1) AS cells
    FROM held"""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _caller(row: Mapping[Any, Any] | None) -> Caller | None:
    if row is None:
        return None
    return Caller(user_id=row["user_id"], name=row["name"], role=Role(row["role"]),
                  scope=Scope(regions=tuple(row["regions"]), cells=tuple(row["cells"])),
                  via=TokenKind(row["via"]), token_id=row["token_id"])


def find_caller(db: Db, token: str) -> Caller | None:
    """The account holding this session or API token, if it is live."""
    return _caller(db.execute(text(CALLER), {"token_hash": token_hash(token)}
                              ).mappings().first())


async def find_caller_async(db: AsyncExecutor, token: str) -> Caller | None:
    return _caller(await db.fetchrow(CALLER, {"token_hash": token_hash(token)}))


# -- accounts ----------------------------------------------------------------------------


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput("password", f"at least {MIN_PASSWORD} characters")
    return HASHER.hash(password)


def new_password() -> str:
    """A password to hand out once (the demo's first administrator)."""
    return secrets.token_urlsafe(12)


def add_user(db: Db, name: str, *, role: Role, codes: Iterable[str], password: str
             ) -> UserOut:
    """An account holding `codes`: regions (with everything under them) or cells."""
    codes = list(dict.fromkeys(codes))
    if not name.strip() or any(c.isspace() for c in name):
        raise InvalidInput("name", "a name without spaces")
    if not codes:
        raise InvalidInput("region", "an account holds at least one region or cell")
    kinds = [(_scope_kind(db, code), code) for code in codes]
    user_id = db.execute(text(
        "INSERT INTO users (name, role, password_hash) VALUES (:name, :role, :hash) "
        "ON CONFLICT (name) DO NOTHING RETURNING id"),
        {"name": name, "role": role.value, "hash": hash_password(password)}).scalar()
    if user_id is None:
        raise Conflict(f"an account named {name} exists already")
    db.execute(text("INSERT INTO user_scopes (user_id, kind, code) VALUES (:id, :kind, :code)"),
               [{"id": user_id, "kind": kind.value, "code": code} for kind, code in kinds])
    return get_user(db, name)


def _scope_kind(db: Db, code: str) -> ScopeKind:
    if db.execute(text("SELECT 1 FROM regions WHERE code = :c"), {"c": code}).first():
        return ScopeKind.region
    if db.execute(text("SELECT 1 FROM cells WHERE code = :c"), {"c": code}).first():
        return ScopeKind.cell
    raise UnknownScope(code)


USERS = """
    SELECT u.name, u.role, u.created_at, u.disabled_at,
        ARRAY(SELECT code FROM user_scopes s WHERE s.user_id = u.id AND s.kind = 'region'
              ORDER BY code) AS regions,
        ARRAY(SELECT code FROM user_scopes s WHERE s.user_id = u.id AND s.kind = 'cell'
              ORDER BY code) AS cells
    FROM users u"""


def get_user(db: Db, name: str) -> UserOut:
    row = db.execute(text(USERS + " WHERE u.name = :name"), {"name": name}).mappings().first()
    if row is None:
        raise UnknownUser(name)
    return UserOut(**row)


def list_users(db: Db) -> list[UserOut]:
    return [UserOut(**row) for row in db.execute(text(USERS + " ORDER BY u.name")).mappings()]


def disable_user(db: Db, name: str) -> UserOut:
    """No more sign-ins; every session and token of the account ends now."""
    user_id = _user_id(db, name)
    db.execute(text("UPDATE users SET disabled_at = COALESCE(disabled_at, now()) "
                    "WHERE id = :id"), {"id": user_id})
    db.execute(text("UPDATE tokens SET revoked_at = now() WHERE user_id = :id "
                    "AND revoked_at IS NULL"), {"id": user_id})
    return get_user(db, name)


def set_password(db: Db, name: str, password: str) -> None:
    """A new password; the account's page sessions end (its API tokens stay)."""
    user_id = _user_id(db, name)
    db.execute(text("UPDATE users SET password_hash = :hash WHERE id = :id"),
               {"hash": hash_password(password), "id": user_id})
    db.execute(text("UPDATE tokens SET revoked_at = now() WHERE user_id = :id "
                    "AND kind = 'session' AND revoked_at IS NULL"), {"id": user_id})


def _user_id(db: Db, name: str) -> int:
    user_id = db.execute(text("SELECT id FROM users WHERE name = :name"),
                         {"name": name}).scalar()
    if user_id is None:
        raise UnknownUser(name)
    return int(user_id)


def issue_token(db: Db, name: str, *, kind: TokenKind, lifetime: timedelta) -> str:
    """A new secret for the account; only its hash is kept, so it is shown once."""
    token = secrets.token_urlsafe(32)
    db.execute(text("INSERT INTO tokens (user_id, kind, token_hash, expires_at) "
                    "VALUES (:id, :kind, :hash, :expires)"),
               {"id": _user_id(db, name), "kind": kind.value, "hash": token_hash(token),
                "expires": datetime.now(UTC) + lifetime})
    return token


def revoke_tokens(db: Db, name: str, *, kind: TokenKind) -> int:
    """Ends every live token of that kind; how many."""
    revoked = db.execute(text("UPDATE tokens SET revoked_at = now() WHERE user_id = :id "
                              "AND kind = :kind AND revoked_at IS NULL"),
                         {"id": _user_id(db, name), "kind": kind.value})
    return cast(CursorResult[Any], revoked).rowcount  # an UPDATE's result is a cursor's


# -- signing in --------------------------------------------------------------------------


def sign_in(db: Db, name: str, password: str, *, address: str | None,
            policy: AccessPolicy) -> str:
    """A new session token for a right name and password (check_password)."""
    check_password(db, name, password, address=address, policy=policy)
    token = issue_token(db, name, kind=TokenKind.session,
                        lifetime=timedelta(hours=policy.session_hours))
    audit(db, actor=name, action="sign_in", target=name, address=address)
    return token


def check_password(db: Db, name: str, password: str, *, address: str | None,
                   policy: AccessPolicy) -> UserOut:
    """The live account of a right name and password. Too many failures for the account or
    from the address in the window refuse further tries (TooManyAttempts) without checking
    the password; each failure is in the audit log."""
    window = timedelta(minutes=policy.failed_sign_in_minutes)
    failures = db.execute(text(
        "SELECT count(*) FILTER (WHERE target = :name) AS by_account,"
        " count(*) FILTER (WHERE address = :address) AS by_address FROM audit_log"
        " WHERE action = 'sign_in_failed' AND at > now() - CAST(:window AS interval)"),
        {"name": name, "address": address, "window": window}).mappings().one()
    if (failures["by_account"] >= policy.failed_sign_ins_per_account
            or failures["by_address"] >= policy.failed_sign_ins_per_address):
        audit(db, actor=name, action="sign_in_refused", target=name, address=address)
        raise TooManyAttempts(
            f"too many failed sign-ins: try again in {policy.failed_sign_in_minutes} minutes",
            retry_after=int(window.total_seconds()))
    row = db.execute(text("SELECT password_hash, disabled_at FROM users WHERE name = :name"),
                     {"name": name}).first()
    if not _password_matches(row[0] if row else _DUMMY_HASH, password) or row is None or (
            row[1] is not None):
        audit(db, actor=name, action="sign_in_failed", target=name, address=address)
        raise SignInFailed()
    return get_user(db, name)


def _password_matches(stored: str, password: str) -> bool:
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def sign_out(db: Db, caller: Caller, *, address: str | None) -> None:
    db.execute(text("UPDATE tokens SET revoked_at = now() WHERE id = :id"),
               {"id": caller.token_id})
    audit(db, actor=caller.name, action="sign_out", target=caller.name, address=address)


# -- the audit log -----------------------------------------------------------------------

AUDIT = """INSERT INTO audit_log (actor, action, target, address, detail)
    VALUES (:actor, :action, :target, :address, CAST(:detail AS jsonb)) RETURNING id"""


def audit(db: Db, *, actor: str, action: str, target: str | None, address: str | None,
          detail: dict[str, Any] | None = None) -> None:
    """One entry, in the caller's transaction: it commits exactly when what it records does."""
    db.execute(text(AUDIT), _entry(actor, action, target, address, detail))


async def audit_async(db: AsyncExecutor, *, actor: str, action: str, target: str | None,
                      address: str | None, detail: dict[str, Any] | None = None) -> None:
    await db.fetchrow(AUDIT, _entry(actor, action, target, address, detail))


def _entry(actor: str, action: str, target: str | None, address: str | None,
           detail: dict[str, Any] | None) -> dict[str, Any]:
    return {"actor": actor, "action": action, "target": target, "address": address,
            "detail": json.dumps(detail, ensure_ascii=False) if detail else None}


def list_audit(db: Db, *, actor: str | None = None, action: str | None = None,
               since: datetime | None = None, limit: int = 100, offset: int = 0
               ) -> AuditPage:
    """Newest first."""
    where = ("(CAST(:actor AS text) IS NULL OR actor = :actor)"
             " AND (CAST(:action AS text) IS NULL OR action = :action)"
             " AND (CAST(:since AS timestamptz) IS NULL OR at >= :since)")
    params = {"actor": actor, "action": action, "since": since, "limit": limit,
              "offset": offset}
    total = db.execute(text(f"SELECT count(*) FROM audit_log WHERE {where}"), params
                       ).scalar_one()
    rows = db.execute(text(f"SELECT * FROM audit_log WHERE {where} ORDER BY id DESC "
                           "LIMIT :limit OFFSET :offset"), params).mappings()
    return AuditPage(items=[AuditOut(**row) for row in rows], total=total, limit=limit,
                     offset=offset)
