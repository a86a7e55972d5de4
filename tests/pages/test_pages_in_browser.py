"""The web pages in headless Chromium against uvicorn on 127.0.0.1, on the page tests' own
committed county: every page loads and shows what it should, a click on the map leads to the
cell's worklist, accepting an assignment persists, the phone page logs a screening in two
taps, a record made offline is sent once when the connection returns and a forced resend
makes no second row; no request leaves 127.0.0.1. Screenshots land in
test-artifacts/screenshots/ (tests/browser.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import text

from api.app import create_app
from gridrisk.cycles.assignments import list_assignments
from gridrisk.cycles.results import cycle_cells
from gridrisk.cycles.schemas import AssignmentOut

from ..accounts import account, sign_in_page
from ..browser import SCREENSHOTS, Tab
from ..live import serving
from .pages_county import PagesCounty

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}
QUEUE_KEY = "gridrisk.screenings.queue"
#: the send retry (worker.js RETRY_MS) plus a margin, should the "online" event not fire
SEND_TIMEOUT_MS = 25_000


@pytest.fixture(scope="module")
def server(pages_county: PagesCounty) -> Iterator[str]:
    with serving(create_app(pages_county.settings(), bind=pages_county.engine)) as base:
        yield base


@pytest.fixture
def supervisor(tab: Tab, server: str, pages_county: PagesCounty) -> Tab:
    """The tab signed in as a supervisor of the whole county."""
    sign_in_page(tab.page, server, account(pages_county.engine, "supervisor",
                                           [pages_county.region_code], "browser-supervisor"))
    return tab


def as_worker(tab: Tab, server: str, county: PagesCounty, worker: str) -> None:
    """Signed in as the grid worker, holding the cells they screened."""
    with county.engine.connect() as conn:
        cells = conn.execute(text("SELECT DISTINCT cell_code FROM screening_records"
                                  " WHERE worker = :w"), {"w": worker}).scalars().all()
    sign_in_page(tab.page, server, account(county.engine, "worker", cells, worker))


def proposals(county: PagesCounty) -> list[AssignmentOut]:
    """Proposals still open, each made to a known worker; from the end of the list, since
    tests/pages/test_pages.py takes its own from the start."""
    with county.engine.connect() as conn:
        found = list_assignments(conn, cycle_id=county.cycle_id, status="proposed")
    return [a for a in reversed(found) if a.proposed_to]


def a_worker(county: PagesCounty) -> str:
    """A worker who has cells, none of whose are used by another browser test."""
    with county.engine.connect() as conn:
        first = list_assignments(conn, cycle_id=county.cycle_id, status="proposed")[0]
        workers = conn.execute(text(
            "SELECT worker FROM screening_records WHERE worker <> :w GROUP BY worker"
            " ORDER BY count(*) DESC, worker LIMIT 3"), {"w": first.proposed_to}).scalars()
        return str(list(workers)[-1])


def rows_with_id(county: PagesCounty, record_id: str) -> int:
    with county.engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM screening_records WHERE record_id = :id"),
            {"id": record_id}).scalar_one())


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"pages_{name}.png", full_page=True)


def test_the_overview_shows_the_map_the_top_cells_and_the_overdue_cases(
        supervisor: Tab, server: str, pages_county: PagesCounty) -> None:
    page = supervisor.page
    page.goto(server + "/")
    with pages_county.engine.connect() as conn:
        name = conn.execute(text("SELECT name FROM regions WHERE code = :c"),
                            {"c": pages_county.region_code}).scalar_one()
        top = cycle_cells(conn, pages_county.cycle_id, limit=1)[0]
    expect(page.locator("h1")).to_contain_text(name)
    expect(page.locator("#top-cells tbody tr").first).to_contain_text(top.cell_name)
    expect(page.locator("#overdue-cases tbody tr").first).to_contain_text("已超期")
    frame = page.frame_locator("#cycle-map")
    expect(frame.locator(".folium-map.leaflet-container")).to_be_visible()
    expect(frame.locator(".gridrisk-legend")).to_contain_text("预计升级数")
    page.wait_for_load_state("networkidle")
    shot(page, "overview")
    supervisor.assert_offline()


def test_clicking_a_cell_on_the_map_opens_its_worklist(supervisor: Tab, server: str,
                                                       pages_county: PagesCounty) -> None:
    page = supervisor.page
    with pages_county.engine.connect() as conn:
        top = cycle_cells(conn, pages_county.cycle_id, limit=1)[0]
        lon, lat = conn.execute(text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM cells"
            " WHERE code = :c) s"), {"c": top.cell_code}).one()
    page.goto(f"{server}/pages/regions/{pages_county.region_code}"
              f"?cycle={pages_county.cycle_id}")
    frame = page.frame_locator("#cycle-map")
    expect(frame.locator(".folium-map.leaflet-container")).to_be_visible()
    # the supervisor hides the case markers (layer control), zooms in, clicks the cell
    for layer in ("在办事项", "超期事项", "集体访事项"):
        frame.locator(".leaflet-control-layers-overlays label", has_text=layer).locator(
            "input").uncheck()
    inner = page.frame(url=lambda url: "/map" in url)
    assert inner is not None
    popup = frame.locator(".leaflet-popup-content", has_text=top.cell_name)
    for attempt in range(3):  # a click while the map still settles can be lost; not a fault
        x, y = inner.evaluate("""([lat, lon]) => {
            const map = window[document.querySelector(".folium-map").id];
            map.setView([lat, lon], 15, {animate: false});
            const point = map.latLngToContainerPoint([lat, lon]);
            return [point.x, point.y];
        }""", [lat, lon])
        page.locator("#cycle-map").scroll_into_view_if_needed()
        box = page.locator("#cycle-map").bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + 1 + x, box["y"] + 1 + y)  # inside the frame's border
        try:
            popup.wait_for(timeout=4000)
            break
        except PlaywrightTimeout:
            shot(page, f"map_click_missed_{attempt}")
    expect(popup).to_be_visible()
    shot(page, "map_popup")
    popup.get_by_role("link", name="查看工作清单").click()
    page.wait_for_url(f"**/pages/cycles/{pages_county.cycle_id}/cells/{top.cell_code}")
    expect(page.locator("h1")).to_contain_text(f"{top.cell_name} 工作清单")
    expect(page.locator("#worklist tbody tr").first).to_contain_text("%")
    shot(page, "cell")
    supervisor.assert_offline()


def test_accepting_an_assignment_persists(supervisor: Tab, server: str,
                                          pages_county: PagesCounty) -> None:
    page = supervisor.page
    chosen = proposals(pages_county)[0]
    page.goto(f"{server}/pages/cycles/{chosen.cycle_id}/cells/{chosen.cell_code}")
    row = page.locator(f"#a{chosen.id}")
    expect(row).to_contain_text("待审核")
    row.get_by_role("button", name="接受").click()
    expect(page.locator(".notice")).to_contain_text(f"分派 #{chosen.id} 已更新：已接受")
    expect(page.locator(f"#a{chosen.id} .status")).to_contain_text("已接受")
    with pages_county.engine.connect() as conn:
        stored = conn.execute(text("SELECT status, assignee FROM assignments WHERE id = :id"),
                              {"id": chosen.id}).one()
    assert tuple(stored) == ("accepted", chosen.proposed_to)
    page.reload()  # and it is still accepted when read again
    expect(page.locator(f"#a{chosen.id} .status")).to_contain_text("已接受")
    supervisor.assert_offline()


def test_the_case_page_shows_its_file_and_appends_an_event(supervisor: Tab, server: str,
                                                           pages_county: PagesCounty) -> None:
    page = supervisor.page
    with pages_county.engine.connect() as conn:
        case_id = conn.execute(text(
            "SELECT k.case_id FROM cycle_cases k WHERE k.cycle_id = :id AND NOT EXISTS ("
            " SELECT 1 FROM case_events e WHERE e.case_id = k.case_id AND e.type = 'closed')"
            " AND EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = k.case_id"
            " AND e.type = 'accepted') ORDER BY k.rank DESC LIMIT 1"),
            {"id": pages_county.cycle_id}).scalar_one()
    page.goto(f"{server}/pages/cases/{case_id}")
    expect(page.locator("h1")).to_contain_text(f"信访事项 {case_id}")
    expect(page.locator("#timeline")).to_contain_text("受理")
    before = page.locator("#timeline li").count()
    assert before >= 1
    form = page.locator("form.event-form")
    form.locator("select[name=type]").select_option("site_visit")
    form.locator("input[name=detail]").fill("浏览器测试：实地走访")
    form.get_by_role("button", name="保存").click()
    expect(page.locator(".notice")).to_contain_text("已追加：实地走访")
    expect(page.locator("#timeline")).to_contain_text("浏览器测试：实地走访")
    expect(page.locator("#timeline li")).to_have_count(before + 1)
    shot(page, "case")
    supervisor.assert_offline()


def open_phone_page(tab: Tab, server: str, worker: str, county: PagesCounty) -> Page:
    page = tab.page
    page.set_viewport_size(PHONE)
    as_worker(tab, server, county, worker)
    page.goto(f"{server}/pages/worker")
    expect(page.locator(".cell-card").first).to_be_visible()
    expect(page.locator("#queue-status")).to_have_text("全部已发送")
    return page


def test_the_phone_page_logs_nothing_found_in_two_taps(tab: Tab, server: str,
                                                       pages_county: PagesCounty) -> None:
    worker = a_worker(pages_county)
    page = open_phone_page(tab, server, worker, pages_county)
    started = datetime.now(UTC)
    card = page.locator(".cell-card").first
    code = card.get_attribute("data-cell")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "nothing wider than the phone"
    nothing_found = card.get_by_role("button", name="无异常（排查无事）")
    expect(nothing_found).to_be_hidden()
    card.locator(".cell-pick").click()  # tap 1: the cell
    nothing_found.click()  # tap 2: nothing found
    expect(page.locator("#queue-status")).to_have_text("全部已发送")
    expect(page.locator("#recent-list li").first).to_contain_text("无异常 · 已发送")
    record_id = page.locator("#recent-list li").first.get_attribute("data-record-id")
    with pages_county.engine.connect() as conn:
        row = conn.execute(text(
            "SELECT worker, cell_code, found, screened_at FROM screening_records"
            " WHERE record_id = :id"), {"id": record_id}).one()
    assert (row.worker, row.cell_code, row.found) == (worker, code, False)
    assert row.screened_at >= started.replace(microsecond=0)
    shot(page, "worker_phone")
    tab.assert_offline()


def test_a_record_made_offline_is_sent_once_when_the_connection_returns(
        tab: Tab, server: str, pages_county: PagesCounty) -> None:
    page = open_phone_page(tab, server, a_worker(pages_county), pages_county)
    context = page.context
    context.set_offline(True)
    card = page.locator(".cell-card").first
    card.locator(".cell-pick").click()
    card.get_by_role("button", name="无异常（排查无事）").click()
    expect(page.locator("#queue-status")).to_have_text("待发送 1 条")
    queued = page.evaluate(f"JSON.parse(localStorage.getItem('{QUEUE_KEY}'))")
    assert len(queued) == 1
    record = queued[0]
    assert rows_with_id(pages_county, record["record_id"]) == 0
    shot(page, "worker_offline")

    context.set_offline(False)
    expect(page.locator("#queue-status")).to_have_text("全部已发送", timeout=SEND_TIMEOUT_MS)
    assert rows_with_id(pages_county, record["record_id"]) == 1

    # a resend of a delivered record (its answer lost, say): put it back, reload
    sends_before = tab.requests.count(f"{server}/screenings")
    page.evaluate("([key, record]) => localStorage.setItem(key, JSON.stringify([record]))",
                  [QUEUE_KEY, record])
    page.reload()
    expect(page.locator("#queue-status")).to_have_text("全部已发送")
    expect(page.locator(f"#recent-list li[data-record-id='{record['record_id']}']")
           ).to_contain_text("已发送")
    assert tab.requests.count(f"{server}/screenings") > sends_before, "it was sent again"
    assert rows_with_id(pages_county, record["record_id"]) == 1
    tab.assert_offline()


def test_the_phone_page_opens_with_no_connection_once_visited(
        tab: Tab, server: str, pages_county: PagesCounty) -> None:
    page = open_phone_page(tab, server, a_worker(pages_county), pages_county)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # the first visit came before the service worker: this one goes through it
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    expect(page.locator(".cell-card").first).to_be_visible()
    page.context.set_offline(True)
    page.reload()  # in the field, no signal: the kept page, its styles and scripts
    card = page.locator(".cell-card").first
    expect(card).to_be_visible()
    card.locator(".cell-pick").click()
    card.get_by_role("button", name="无异常（排查无事）").click()
    expect(page.locator("#queue-status")).to_have_text("待发送 1 条")
    record = page.evaluate(f"JSON.parse(localStorage.getItem('{QUEUE_KEY}'))")[0]
    assert rows_with_id(pages_county, record["record_id"]) == 0
    shot(page, "worker_opened_offline")
    page.context.set_offline(False)
    expect(page.locator("#queue-status")).to_have_text("全部已发送", timeout=SEND_TIMEOUT_MS)
    assert rows_with_id(pages_county, record["record_id"]) == 1
    tab.assert_offline()


def test_a_dispute_is_logged_with_a_position_tapped_on_the_map(
        tab: Tab, server: str, pages_county: PagesCounty) -> None:
    page = open_phone_page(tab, server, a_worker(pages_county), pages_county)
    card = page.locator(".cell-card").last
    code = card.get_attribute("data-cell")
    card.locator(".cell-pick").click()
    card.get_by_role("button", name="发现矛盾纠纷").click()
    form = page.locator("#dispute-form")
    expect(form).to_be_visible()
    form.locator("select[name=category]").select_option("wages_labour")
    form.get_by_label("较大").check()
    form.locator("input[name=parties]").fill("3")
    form.locator("textarea[name=summary]").fill("工地欠薪")
    # the map is fitted to the cell: its middle is in the cell (cells are convex here)
    spot = page.locator("#dispute-map")
    spot.scroll_into_view_if_needed()
    expect(page.locator("#dispute-map .leaflet-overlay-pane path").first).to_be_visible()
    box = spot.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#position-text")).not_to_have_text("未选位置")
    shot(page, "worker_dispute")
    form.get_by_role("button", name="提交").click()
    expect(page.locator("#queue-status")).to_have_text("全部已发送")
    entry = page.locator("#recent-list li").first
    expect(entry).to_contain_text("发现矛盾纠纷 · 已发送")
    record_id = entry.get_attribute("data-record-id")
    with pages_county.engine.connect() as conn:
        row = conn.execute(text(
            "SELECT cell_code, found, category, severity, parties, summary,"
            " ST_Contains((SELECT geom FROM cells WHERE code = :c), geom) AS inside"
            " FROM screening_records WHERE record_id = :id"),
            {"id": record_id, "c": code}).one()
    assert tuple(row) == (code, True, "wages_labour", "medium", 3, "工地欠薪", True)
    tab.assert_offline()


def test_the_pages_speak_english(supervisor: Tab, server: str, pages_county: PagesCounty) -> None:
    page = supervisor.page
    page.goto(f"{server}/?lang=en")
    expect(page.locator("h2").first).to_have_text("Risk map")
    expect(page.frame_locator("#cycle-map").locator(".gridrisk-legend")).to_contain_text(
        "Expected escalations")
    page.get_by_role("link", name="中文").click()
    expect(page.locator("h2").first).to_have_text("风险地图")
    page.set_viewport_size(PHONE)
    supervisor.page.context.clear_cookies()
    as_worker(supervisor, server, pages_county, a_worker(pages_county))
    page.goto(f"{server}/pages/worker?lang=en")
    expect(page.locator(".cell-card").first).to_be_visible()
    assert json.loads(page.locator("#worker-config").text_content() or "{}")["lang"] == "en"
    page.locator(".cell-pick").first.click()
    expect(page.get_by_role("button", name="Nothing found").first).to_be_visible()
    supervisor.assert_offline()


def test_a_refused_record_leaves_the_queue_with_the_servers_reason(
        tab: Tab, server: str, pages_county: PagesCounty) -> None:
    worker = a_worker(pages_county)
    page = open_phone_page(tab, server, worker, pages_county)
    bad = {"record_id": "pages-test-refused", "screened_at": "2026-09-01T09:00:00+08:00",
           "worker": worker, "cell_code": "no-such-cell", "found": False}
    page.evaluate("([key, record]) => localStorage.setItem(key, JSON.stringify([record]))",
                  [QUEUE_KEY, bad])
    page.reload()
    expect(page.locator("#queue-status")).to_have_text("全部已发送")
    entry = page.locator("#recent-list li[data-record-id='pages-test-refused']")
    expect(entry).to_contain_text("被退回")
    expect(entry).to_contain_text("no-such-cell")
    assert page.evaluate(f"localStorage.getItem('{QUEUE_KEY}')") == "[]"
    assert rows_with_id(pages_county, "pages-test-refused") == 0
    tab.assert_offline()
