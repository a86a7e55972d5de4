"""The report pages in headless Chromium against uvicorn on 127.0.0.1, on the page tests'
committed small county (tests/pages/pages_county.py, a weekly cycle as of 31 August 2026):
reached from the region overview, each period report as a page with its charts and the
month's hotspot map, the standalone HTML file opened from disk, the zero-report page filling
in when a record arrives, a campaign's page; no request leaves 127.0.0.1. A screenshot of each
lands in test-artifacts/screenshots/ (reports_*.png)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx2 as httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import text

from api.app import create_app
from gridrisk.access.scope import EVERYTHING
from gridrisk.policy import load_policy
from gridrisk.reports.periodic import Request, build_report
from gridrisk.reports.periods import parse_period
from gridrisk.reports.render import write_files

from ..accounts import account, bearer, grant, sign_in_page
from ..browser import SCREENSHOTS, Tab
from ..live import serving
from .pages_county import TIMEZONE, PagesCounty

pytestmark = pytest.mark.slow

PERIODS = {"weekly": "2026-W35", "monthly": "2026-08", "quarterly": "2026-Q3"}


@pytest.fixture(scope="module")
def server(pages_county: PagesCounty) -> Iterator[str]:
    with serving(create_app(pages_county.settings(), bind=pages_county.engine)) as base:
        yield base


@pytest.fixture(scope="module")
def supervisor(pages_county: PagesCounty) -> str:
    """A supervisor of the county: their name, for the browser's sign-in."""
    return account(pages_county.engine, "supervisor", [pages_county.region_code],
                   "report-supervisor")


@pytest.fixture(scope="module")
def api(pages_county: PagesCounty, supervisor: str) -> dict[str, str]:
    """The supervisor's API token, for the writes a test makes beside the browser."""
    return bearer(grant(pages_county.engine, "supervisor", [pages_county.region_code]))


def signed_in(tab: Tab, server: str, name: str) -> Page:
    sign_in_page(tab.page, server, name)
    return tab.page


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"reports_{name}.png", full_page=True)


def test_the_reports_are_reached_from_the_overview(tab: Tab, server: str,
                                                   pages_county: PagesCounty,
                                                   supervisor: str) -> None:
    page = signed_in(tab, server, supervisor)
    page.goto(f"{server}/pages/regions/{pages_county.region_code}")
    page.locator("#reports-link").click()
    page.wait_for_url(f"**/pages/regions/{pages_county.region_code}/reports")
    expect(page.locator("#report-links tbody tr")).to_have_count(6)
    expect(page.locator("#indicators")).to_contain_text("化解率")
    shot(page, "index")
    tab.assert_offline()


@pytest.mark.parametrize("kind", list(PERIODS))
def test_each_report_as_a_page(tab: Tab, server: str, pages_county: PagesCounty,
                               supervisor: str, kind: str) -> None:
    page = signed_in(tab, server, supervisor)
    page.goto(f"{server}/pages/regions/{pages_county.region_code}/reports/{kind}"
              f"?period={PERIODS[kind]}")
    expect(page.locator("h1")).to_contain_text({"weekly": "周调度", "monthly": "月通报",
                                                "quarterly": "季度考评"}[kind])
    expect(page.locator("table").first).to_be_visible()
    images = page.locator("figure img")
    for i in range(images.count()):  # every chart decoded, none broken
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
    if kind == "monthly":
        expect(page.locator("#hotspot_map img")).to_be_visible()
        expect(page.locator("#ranking tbody tr").first).to_contain_text("1")
    pdf = page.locator("nav.report-links a", has_text="PDF").get_attribute("href")
    assert pdf is not None and page.request.get(server + pdf).body().startswith(b"%PDF")
    shot(page, kind)
    tab.assert_offline()


def test_the_standalone_file_opens_with_no_network(tab: Tab, pages_county: PagesCounty,
                                                   tmp_path: Path) -> None:
    with pages_county.engine.connect() as conn:
        doc = build_report("monthly", Request(
            conn, pages_county.region_code, parse_period("2026-08"), "zh", EVERYTHING,
            load_policy(), TIMEZONE, datetime.now(ZoneInfo(TIMEZONE)).date()))
    html, = write_files(doc, tmp_path, ["html"])
    page = tab.page
    page.goto(html.as_uri())
    expect(page.locator("#hotspot_map img")).to_be_visible()
    expect(page.locator("#ranking")).to_be_visible()
    shot(page, "standalone")
    tab.assert_offline()


def test_the_zero_report_fills_in_as_records_arrive(tab: Tab, server: str,
                                                    pages_county: PagesCounty,
                                                    supervisor: str,
                                                    api: dict[str, str]) -> None:
    with pages_county.engine.connect() as conn:
        township = conn.execute(text(
            "SELECT code FROM regions WHERE parent_code = :c ORDER BY code LIMIT 1"),
            {"c": pages_county.region_code}).scalar_one()
        cell = conn.execute(text(
            "SELECT c.code FROM cells c JOIN regions v ON v.code = c.region_code "
            "WHERE v.parent_code = :t ORDER BY c.code LIMIT 1"), {"t": township}).scalar_one()
    page = signed_in(tab, server, supervisor)
    page.goto(f"{server}/pages/regions/{township}/zero-report")
    row = page.locator(f'#zero-report tbody tr[data-cell="{cell}"]')
    expect(row).to_contain_text("未报告")
    missing = int(page.locator("#count-missing").inner_text())
    now = datetime.now(ZoneInfo(TIMEZONE))
    sent = httpx.post(server + "/screenings", json={
        "record_id": f"ZR-{uuid.uuid4()}", "screened_at": now.isoformat(), "worker": "W-ZR",
        "cell_code": cell, "found": False}, headers=api)
    assert sent.status_code == 201, sent.text
    page.evaluate("window.gridriskZeroReport.load()")
    expect(page.locator("#count-missing")).to_have_text(str(missing - 1))
    expect(row).not_to_contain_text("未报告")
    shot(page, "zero_report")
    tab.assert_offline()


def test_a_campaigns_page(tab: Tab, server: str, pages_county: PagesCounty, supervisor: str,
                          api: dict[str, str]) -> None:
    created = httpx.post(server + "/campaigns", json={
        "name": "积案化解专项行动（测试）", "region_code": pages_county.region_code,
        "starts_on": "2026-09-01", "launched_on": "2026-08-31",
        "rule": {"received_before": "2026-06-01", "min_acceptances": 2}}, headers=api,
        timeout=60)
    assert created.status_code == 201, created.text
    page = signed_in(tab, server, supervisor)
    page.goto(f"{server}/pages/campaigns?region={pages_county.region_code}")
    page.locator("#campaigns a", has_text="积案化解专项行动（测试）").first.click()
    expect(page.locator("#campaign-figures")).to_contain_text("化解率")
    shot(page, "campaign")
    tab.assert_offline()
