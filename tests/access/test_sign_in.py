"""Signing in and what a credential opens: no credential, a revoked, expired or disabled one
is a 401 on every operation; the session cookie needs its CSRF token to write; failed
sign-ins are limited per account and per address; passwords are argon2 hashes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from api.app import create_app
from gridrisk.access import service
from gridrisk.bundle.service import import_bundle
from gridrisk.policy import AccessPolicy
from gridrisk.settings import Settings
from gridrisk.vocab import TokenKind

from ..accounts import PASSWORD, FormClient, bearer, grant, sign_in
from ..api.conftest import problem
from ..bundle.conftest import CELL_AS, COUNTY, write_tiny_bundle


@pytest.fixture
def app(conn: Connection, tmp_path: Path):  # type: ignore[no-untyped-def]
    import_bundle(conn, write_tiny_bundle(tmp_path / "tiny"))
    return create_app(Settings(data_dir=tmp_path), bind=conn)


@pytest.fixture
def browser_client(app) -> Iterator[FormClient]:  # type: ignore[no-untyped-def]
    with FormClient(app, base_url="http://127.0.0.1") as client:
        yield client


def secured_operations(client: TestClient) -> list[tuple[str, str]]:
    spec = client.get("/openapi.json").json()
    return [(method.upper(), path) for path, methods in spec["paths"].items()
            for method, operation in methods.items() if operation.get("security")]


def filled(path: str) -> str:
    return (path.replace("{layer}", "cells").replace("{z}", "1").replace("{x}", "0")
            .replace("{y}", "0").replace("{", "").replace("}", ""))


def test_every_operation_needs_a_live_credential(app, conn: Connection) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as anonymous:
        operations = secured_operations(anonymous)
        token = grant(conn, "admin", [COUNTY], name="soon-gone")
        revoked = grant(conn, "admin", [COUNTY], name="revoked")
        service.revoke_tokens(conn, "revoked", kind=TokenKind.api)
        expired = service.issue_token(conn, "soon-gone", kind=TokenKind.api,
                                      lifetime=timedelta(seconds=-1))
        service.disable_user(conn, "soon-gone")
        for credential in (None, "not-a-token", revoked, expired, token):
            headers = bearer(credential) if credential else {}
            for method, path in operations:
                body = problem(anonymous.request(method, filled(path), headers=headers,
                                                 json={}), 401)
                assert body["type"] == "/problems/not-signed-in", (method, path)
        assert len(operations) >= 30
        assert anonymous.get("/openapi.json").status_code == 200  # the public few (and /health)
        assert anonymous.get("/docs").status_code == 200
        assert anonymous.get("/sign-in").status_code == 200
        assert anonymous.get("/assets/pages/pages.css").status_code == 200
        page = anonymous.get("/pages/worker", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"] == "/sign-in?next=%2Fpages%2Fworker"


def test_passwords_are_argon2_hashes(conn: Connection, app) -> None:  # type: ignore[no-untyped-def]
    grant(conn, "handler", [COUNTY], name="hashed")
    stored = conn.execute(text("SELECT password_hash FROM users WHERE name = 'hashed'")
                          ).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with pytest.raises(Exception, match="at least 10"):
        service.set_password(conn, "hashed", "short")


def test_the_session_cookie_writes_through_the_api_only_with_its_csrf_token(
        browser_client: FormClient, conn: Connection) -> None:
    grant(conn, "supervisor", [COUNTY], name="cookie-user")
    sign_in(browser_client, "cookie-user")
    record = {"record_id": "COOKIE-1", "screened_at": "2026-09-01T09:00:00+08:00",
              "worker": "W1", "cell_code": CELL_AS, "found": False}
    assert browser_client.get("/me").json()["via"] == "session"
    refused = problem(browser_client.post("/screenings", json=record), 403)
    assert "CSRF" in refused["detail"]
    sent = browser_client.post("/screenings", json=record, headers={
        "X-CSRF-Token": browser_client.cookies["gridrisk_csrf"]})
    assert sent.status_code == 201, sent.text


def test_signing_in_sets_a_http_only_lax_cookie_and_secure_over_https(
        app, conn: Connection) -> None:  # type: ignore[no-untyped-def]
    grant(conn, "planner", [COUNTY], name="over-tls")
    for base, secure in (("http://127.0.0.1", False), ("https://gridrisk.example", True)):
        with TestClient(app, base_url=base) as client:
            client.get("/sign-in")
            response = client.post("/sign-in", data={
                "name": "over-tls", "password": PASSWORD,
                "csrf": client.cookies["gridrisk_csrf"]}, follow_redirects=False)
            cookie = next(h for h in response.headers.get_list("set-cookie")
                          if h.startswith("gridrisk_session="))
            assert "HttpOnly" in cookie and "SameSite=lax" in cookie
            assert ("Secure" in cookie) is secure


def test_failed_sign_ins_are_limited_per_account_and_per_address(
        conn: Connection, browser_client: FormClient) -> None:
    policy = AccessPolicy()
    grant(conn, "handler", [COUNTY], name="target")
    for _ in range(policy.failed_sign_ins_per_account):
        browser_client.get("/sign-in")
        wrong = browser_client.post("/sign-in", data={"name": "target", "password": "nope"})
        assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    browser_client.get("/sign-in")
    limited = browser_client.post("/sign-in", data={"name": "target", "password": PASSWORD})
    assert limited.status_code == 429 and "15 分钟" in limited.text  # even the right one
    actions = conn.execute(text("SELECT action FROM audit_log WHERE target = 'target'"
                                " ORDER BY id")).scalars().all()
    assert actions == ["sign_in_failed"] * 5 + ["sign_in_refused"]
    # per address: many names tried from one address
    for n in range(policy.failed_sign_ins_per_address):
        with pytest.raises(Exception, match="wrong name"):
            service.sign_in(conn, f"guess-{n}", "nope", address="10.9.9.9", policy=policy)
    grant(conn, "handler", [COUNTY], name="innocent")
    with pytest.raises(Exception, match="too many failed sign-ins"):
        service.sign_in(conn, "innocent", PASSWORD, address="10.9.9.9", policy=policy)
    assert service.sign_in(conn, "innocent", PASSWORD, address="10.1.1.1", policy=policy)


def test_a_wrong_name_and_a_wrong_password_answer_alike(
        conn: Connection, browser_client: FormClient) -> None:
    grant(conn, "handler", [COUNTY], name="someone")
    answers = []
    for name in ("someone", "no-one"):
        browser_client.get("/sign-in")
        answers.append(browser_client.post("/sign-in", data={"name": name,
                                                             "password": "wrong one!"}))
    assert [a.status_code for a in answers] == [401, 401]
    assert answers[0].text.replace("someone", "no-one") == answers[1].text


def test_signing_out_ends_the_session(browser_client: FormClient, conn: Connection) -> None:
    grant(conn, "supervisor", [COUNTY], name="leaving")
    sign_in(browser_client, "leaving")
    session = browser_client.cookies["gridrisk_session"]
    assert browser_client.get("/me").status_code == 200
    out = browser_client.post("/sign-out", data={}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/sign-in"
    browser_client.cookies.set("gridrisk_session", session)  # kept by a thief
    problem(browser_client.get("/me"), 401)
