"""Acting as a user of a role and scope in tests: an account and an API token made in the
test's own database (or transaction), and a client that sends it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from itertools import count

from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Page
from sqlalchemy import Connection, Engine, text

from gridrisk.access.service import add_user, issue_token
from gridrisk.vocab import Role, TokenKind

PASSWORD = "correct horse battery"
_serial = count(1)


def grant(db: Connection | Engine, role: Role | str, codes: Iterable[str], *,
          name: str | None = None) -> str:
    """A new account of `role` holding `codes` (regions or cells); its API token."""
    name = name or f"{role}-{next(_serial)}"
    if isinstance(db, Engine):
        with db.begin() as conn:
            return grant(conn, role, codes, name=name)
    add_user(db, name, role=Role(role), codes=list(codes), password=PASSWORD)
    return issue_token(db, name, kind=TokenKind.api, lifetime=timedelta(hours=1))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


ClientAs = Callable[..., TestClient]


def clients_for(app: FastAPI, db: Connection | Engine, opened: list[TestClient],
                **client_options: object) -> ClientAs:
    """`client_as(role, *codes, name=None)`: a TestClient of `app` signed in as a new account
    of that role and scope."""
    def client_as(role: Role | str, *codes: str, name: str | None = None) -> TestClient:
        client = TestClient(app, headers=bearer(grant(db, role, codes, name=name)),
                            **client_options)  # type: ignore[arg-type]
        client.__enter__()
        opened.append(client)
        return client
    return client_as


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> None:
    """Through the sign-in form, as a browser would: the client keeps the session cookie."""
    client.get("/sign-in")
    response = client.post("/sign-in", data={"name": name, "password": password,
                                             "csrf": client.cookies["gridrisk_csrf"]},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


class FormClient(TestClient):
    """A TestClient whose form posts carry the page's CSRF token, as the pages' forms do."""

    def post(self, url, *args, data=None, **kwargs):  # type: ignore[no-untyped-def,override]
        if isinstance(data, dict) and "csrf" not in data:
            data = {**data, "csrf": self.cookies.get("gridrisk_csrf", "")}
        return super().post(url, *args, data=data, **kwargs)


def account(engine: Engine, role: Role | str, codes: Iterable[str], name: str) -> str:
    """The account `name` in a committed database, made the first time it is asked for; its
    name."""
    with engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM users WHERE name = :n"), {"n": name}).first():
            return name
        add_user(conn, name, role=Role(role), codes=list(codes), password=PASSWORD)
    return name


def sign_in_page(page: Page, server: str, name: str, password: str = PASSWORD) -> None:
    """Sign in through the form in the browser; the page lands where sign-in sends it."""
    page.goto(f"{server}/sign-in")
    page.locator("input[name=name]").fill(name)
    page.locator("input[name=password]").fill(password)
    page.locator("#sign-in button[type=submit]").click()
    page.wait_for_load_state()
