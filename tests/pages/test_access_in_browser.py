"""Signing in, out and being refused, in headless Chromium against uvicorn on 127.0.0.1 (the
page tests' committed county): the worker page shows the signed-in worker only, a form
posted from another site's page is refused, and signing out ends the session."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.sync_api import expect
from sqlalchemy import text

from api.app import create_app
from gridrisk.cases.schemas import CaseIn
from gridrisk.cases.service import open_case
from gridrisk.policy import DeadlinePolicy

from ..accounts import account, sign_in_page
from ..browser import Tab
from ..live import serving
from .pages_county import TIMEZONE, PagesCounty

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(pages_county: PagesCounty) -> Iterator[str]:
    with serving(create_app(pages_county.settings(), bind=pages_county.engine)) as base:
        yield base


def two_workers(county: PagesCounty) -> list[tuple[str, list[str]]]:
    """Two grid workers and the cells each screened, none shared."""
    with county.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT worker, array_agg(DISTINCT cell_code ORDER BY cell_code) FROM"
            " screening_records GROUP BY worker ORDER BY worker LIMIT 2")).all()
    return [(worker, list(cells)) for worker, cells in rows]


def test_a_worker_signs_in_sees_their_own_page_only_and_signs_out(
        tab: Tab, server: str, pages_county: PagesCounty) -> None:
    (worker, cells), (other, other_cells) = two_workers(pages_county)
    assert not set(cells) & set(other_cells)
    account(pages_county.engine, "worker", cells, worker)
    page = tab.page

    page.goto(f"{server}/pages/worker?worker={other}")  # not signed in: the sign-in form
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    page.locator("input[name=name]").fill(worker)
    page.locator("input[name=password]").fill("wrong password!")
    page.locator("#sign-in button[type=submit]").click()
    expect(page.locator(".error")).to_contain_text("用户名或密码错误")
    sign_in_page(page, server, worker)
    page.goto(f"{server}/pages/worker?worker={other}")  # the address names another worker

    expect(page.locator(".cell-card").first).to_be_visible()
    shown = page.locator(".cell-card").evaluate_all(
        "cards => cards.map(c => c.getAttribute('data-cell'))")
    assert sorted(shown) == sorted(cells)
    expect(page.locator("header .who")).to_contain_text(worker)
    config = page.locator("#worker-config").text_content() or ""
    assert worker in config and other not in config
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["gridrisk_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert not cookies["gridrisk_csrf"]["httpOnly"]  # worker.js sends it back

    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/sign-in"))
    page.goto(f"{server}/pages/worker")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fpages%2Fworker"))
    with pages_county.engine.connect() as conn:
        live = conn.execute(text(
            "SELECT count(*) FROM tokens t JOIN users u ON u.id = t.user_id WHERE u.name = :n"
            " AND t.kind = 'session' AND t.revoked_at IS NULL"), {"n": worker}).scalar_one()
        signed = conn.execute(text(
            "SELECT array_agg(action ORDER BY id) FROM audit_log WHERE target = :n"),
            {"n": worker}).scalar_one()
    assert live == 0
    assert signed[-3:] == ["sign_in_failed", "sign_in", "sign_out"]
    tab.assert_offline()


def forger(target: str, fields: dict[str, str]) -> FastAPI:
    """Another site (another port of 127.0.0.1: another origin, the same site) whose page
    posts a form to gridrisk as soon as it opens."""
    app = FastAPI()
    inputs = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in fields.items())

    @app.get("/")
    def page() -> HTMLResponse:
        return HTMLResponse(f'<!DOCTYPE html><form id="f" method="post" action="{target}">'
                            f"{inputs}</form><script>document.getElementById('f').submit()"
                            "</script>")
    return app


def test_a_form_posted_from_another_sites_page_is_refused(
        tab: Tab, server: str, pages_county: PagesCounty) -> None:
    case_id = "CSRF-TEST-1"  # a case of its own: the page tests share this database
    with pages_county.engine.begin() as conn:
        cell = conn.execute(text("SELECT code FROM cells ORDER BY code LIMIT 1")).scalar_one()
        open_case(conn, CaseIn(case_id=case_id, received_on=date.today() - timedelta(days=9),
                               channel="visit", category="other", parties=1, cell_code=cell),
                  policy=DeadlinePolicy(), timezone=TIMEZONE)
        version = 1
        events = 0
    page = tab.page
    sign_in_page(page, server, account(pages_county.engine, "supervisor",
                                       [pages_county.region_code], "browser-csrf-supervisor"))
    target = f"{server}/pages/cases/{quote(case_id)}/events"
    forged = {"version": str(version), "type": "accepted", "on": str(date.today()),
              "detail": "forged"}
    with serving(forger(target, forged)) as evil:
        assert evil.rsplit(":", 1)[1] != server.rsplit(":", 1)[1]
        page.goto(evil + "/")
        page.wait_for_url(target)
        expect(page.locator(".error")).to_contain_text("CSRF")
    with pages_county.engine.connect() as conn:
        after = conn.execute(text("SELECT count(*) FROM case_events WHERE case_id = :c"),
                             {"c": case_id}).scalar_one()
    assert after == events
    # the same form from gridrisk's own page goes through
    page.goto(f"{server}/pages/cases/{quote(case_id)}")
    page.locator("form.event-form select[name=type]").select_option("accepted")
    page.locator("form.event-form input[name=detail]").fill("by the page's own form")
    page.locator("form.event-form").get_by_role("button", name="保存").click()
    expect(page.locator(".notice")).to_contain_text("已追加")
    with pages_county.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM case_events WHERE case_id = :c"),
                            {"c": case_id}).scalar_one() == events + 1
