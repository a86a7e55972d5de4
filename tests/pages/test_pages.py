"""The web pages over HTTP (TestClient) on the page tests' county with one weekly cycle: what
each page shows, the forms that change things, English on request, 404 for what is not
there. Each test runs in a transaction rolled back."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from api.app import create_app
from gridrisk.cases.repeats import linked_repeats
from gridrisk.cycles.assignments import decide, list_assignments
from gridrisk.cycles.results import cycle_cells, worklist
from gridrisk.cycles.schemas import AssignmentDecision
from gridrisk.policy import RepeatPolicy
from models.display import shown_probability

from ..accounts import FormClient, grant, sign_in
from .pages_county import TIMEZONE, PagesCounty


@dataclass
class Pages:
    """The pages signed in as a supervisor of the whole county (`as_user` signs in another)."""

    client: TestClient
    conn: Connection
    cycle_id: int
    region_code: str

    def as_user(self, role: str, *codes: str, name: str | None = None) -> None:
        name = name or f"{role}-pages"
        grant(self.conn, role, codes, name=name)
        self.client.cookies.clear()
        sign_in(self.client, name)

    def get(self, url: str, status: int = 200) -> str:
        response = self.client.get(url)
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("text/html")
        return response.text


@pytest.fixture
def pages(pages_county: PagesCounty) -> Iterator[Pages]:
    with pages_county.engine.connect() as conn:
        outer = conn.begin()
        app = create_app(pages_county.settings(), bind=conn)
        with FormClient(app, base_url="http://127.0.0.1") as client:
            pages = Pages(client, conn, pages_county.cycle_id, pages_county.region_code)
            pages.as_user("supervisor", pages_county.region_code)
            yield pages
        outer.rollback()


def visible(html: str) -> str:
    """The page's text without tags, scripts or styles, roughly as a reader sees it."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def region_name(conn: Connection, code: str) -> str:
    return str(conn.execute(text("SELECT name FROM regions WHERE code = :c"), {"c": code}
                            ).scalar_one())


def test_home_redirects_to_the_overview_of_the_latest_cycle(pages: Pages) -> None:
    response = pages.client.get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == (
        f"/pages/regions/{pages.region_code}?cycle={pages.cycle_id}")
    english = pages.client.get("/?lang=en", follow_redirects=False)
    assert english.headers["location"].endswith("&lang=en")


def test_the_overview_shows_the_map_the_top_cells_and_the_overdue_cases(pages: Pages
                                                                        ) -> None:
    html = pages.get(f"/pages/regions/{pages.region_code}")
    shown = visible(html)
    assert '<html lang="zh-CN">' in html
    assert region_name(pages.conn, pages.region_code) in shown
    assert "区域概览" in shown and "预计升级最多的网格" in shown
    assert f'src="/pages/cycles/{pages.cycle_id}/map?region={pages.region_code}"' in html
    top = cycle_cells(pages.conn, pages.cycle_id, limit=3)
    links = re.findall(rf'href="/pages/cycles/{pages.cycle_id}/cells/([^"?]+)"',
                       html.split('id="top-cells"')[1].split("</table>")[0])
    assert links[:3] == [c.cell_code for c in top]
    assert f"{top[0].expected_escalations:.2f}" in shown
    # overdue cases, most overdue first, straight from the cycle's worklist rows
    overdue = pages.conn.execute(text(
        "SELECT case_id, days_left FROM cycle_cases WHERE cycle_id = :id AND overdue"
        " ORDER BY days_left, rank"), {"id": pages.cycle_id}).all()
    assert overdue, "the demo county has overdue cases"
    table = html.split('id="overdue-cases"')[1].split("</table>")[0]
    listed = re.findall(r'href="/pages/cases/([^"?]+)\?cycle=', table)
    assert listed == [row.case_id for row in overdue][:len(listed)] and len(listed) >= 1
    assert f"已超期 {-overdue[0].days_left} 天" in visible(table)
    assert "已接受但逾期未办结的分派" in shown


def test_late_accepted_assignments_show_on_the_overview(pages: Pages) -> None:
    first = list_assignments(pages.conn, cycle_id=pages.cycle_id)[0]
    decide(pages.conn, first.id, AssignmentDecision(action="reassign", assignee="W-late"))
    html = pages.get(f"/pages/regions/{pages.region_code}?cycle={pages.cycle_id}")
    table = visible(html.split('id="late-assignments"')[1].split("</table>")[0])
    assert "W-late" in table and str(first.due_on) in table  # due in 2026-09: past today


def test_the_map_page_is_the_cycle_map_with_a_link_to_each_cells_worklist(pages: Pages
                                                                         ) -> None:
    html = pages.get(f"/pages/cycles/{pages.cycle_id}/map?region={pages.region_code}")
    assert '<script src="/assets/maps/leaflet.js"></script>' in html
    assert "预计升级数" in html  # the legend
    assert f"/pages/cycles/{pages.cycle_id}/cells/{{cell_code}}" in html
    assert "查看工作清单" in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "nothing from another host"
    english = pages.get(f"/pages/cycles/{pages.cycle_id}/map?lang=en")
    assert "Open the worklist" in english
    assert f'"/pages/cycles/{pages.cycle_id}/cells/{{cell_code}}?lang=en"' in english


def test_the_cell_page_shows_the_worklist_with_reasons_and_the_proposals(pages: Pages
                                                                        ) -> None:
    cell = cycle_cells(pages.conn, pages.cycle_id, limit=1)[0]
    expected = worklist(pages.conn, pages.cycle_id, cell.cell_code)
    html = pages.get(f"/pages/cycles/{pages.cycle_id}/cells/{cell.cell_code}")
    shown = visible(html)
    assert f"{cell.cell_name} 工作清单" in shown
    table = html.split('id="worklist"')[1].split("</table>")[0]
    assert re.findall(r'href="/pages/cases/([^"?]+)\?cycle=', table) == [
        c.case_id for c in expected.cases]
    first = expected.cases[0]
    row = visible(table.split("</tr>")[1])
    cells = [visible(c) for c in table.split("</tr>")[1].split("</td>")]
    assert [shown_probability(p) for p in (first.score, first.p_deadline, first.p_return)] == [
        c.strip() for c in cells[3:6]]
    assert all(f"期限风险：{reason}" in row for reason in first.deadline_reasons)
    assert all(f"反复风险：{reason}" in row for reason in first.return_reasons)
    assert first.deadline_reasons or first.return_reasons
    assert first.responsible_unit in row and (first.responsible_official or "") in row
    assert str(first.deadline_on) in row
    assert ("已超期" if first.overdue else "剩") in row
    proposals = [a for a in expected.assignments if a.status == "proposed"]
    assert proposals
    for a in proposals:
        assert f'action="/pages/assignments/{a.id}/decision"' in html
    assert shown.count("接受") >= len(proposals) and "改派" in shown and "撤销" in shown


def test_accepting_reassigning_and_dropping_from_the_cell_page(pages: Pages) -> None:
    cell = next(c for c in cycle_cells(pages.conn, pages.cycle_id)
                if len([a for a in worklist(pages.conn, pages.cycle_id, c.cell_code
                                            ).assignments if a.proposed_to
                                     and a.status == "proposed"]) >= 1)
    here = f"/pages/cycles/{pages.cycle_id}/cells/{cell.cell_code}"
    first = next(a for a in worklist(pages.conn, pages.cycle_id, cell.cell_code).assignments
                 if a.proposed_to and a.status == "proposed")
    response = pages.client.post(f"/pages/assignments/{first.id}/decision",
                                 data={"action": "accept", "back": here},
                                 follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"{here}?decided={first.id}#a{first.id}"
    stored = pages.conn.execute(text("SELECT status, assignee FROM assignments WHERE id = :id"),
                                {"id": first.id}).one()
    assert tuple(stored) == ("accepted", first.proposed_to)
    shown = visible(pages.get(response.headers["location"]))
    assert f"分派 #{first.id} 已更新：已接受" in shown

    # accepting it again is refused, and the page says why
    again = pages.client.post(f"/pages/assignments/{first.id}/decision",
                              data={"action": "accept", "back": here})
    assert again.status_code == 200 and "未能完成" in visible(again.text)
    assert "cannot be accepted now" in visible(again.text)
    # reassigning needs a worker; then it moves to them
    nobody = visible(pages.client.post(f"/pages/assignments/{first.id}/decision",
                                       data={"action": "reassign", "back": here}).text)
    assert "assignee" in nobody
    pages.client.post(f"/pages/assignments/{first.id}/decision",
                      data={"action": "reassign", "assignee": "W-new", "back": here})
    assert pages.conn.execute(text("SELECT assignee FROM assignments WHERE id = :id"),
                              {"id": first.id}).scalar_one() == "W-new"
    pages.client.post(f"/pages/assignments/{first.id}/decision",
                      data={"action": "drop", "note": "已化解", "back": here})
    assert tuple(pages.conn.execute(text(
        "SELECT status, note FROM assignments WHERE id = :id"), {"id": first.id}).one()) == (
        "dropped", "已化解")
    # a `back` elsewhere is ignored: never an open redirect
    second = pages.client.post(f"/pages/assignments/{first.id}/decision",
                               data={"action": "drop", "back": "https://example.com/"},
                               follow_redirects=False)
    assert second.headers["location"].startswith(here)


def test_the_case_page_shows_the_file_as_a_timeline_and_appends_an_event(pages: Pages
                                                                        ) -> None:
    found = pages.client.get("/cases?state=open&overdue=true&limit=50",
                             headers={"Authorization": "Bearer " + grant(
                                 pages.conn, "handler", [pages.region_code])}
                             ).json()["items"]
    case = next(c for c in found if c["state"]["accepted_on"])  # open, accepted, overdue
    case_id, version = case["case_id"], case["version"]
    n_events = pages.conn.execute(text("SELECT count(*) FROM case_events WHERE case_id = :c"),
                                  {"c": case_id}).scalar_one()
    html = pages.get(f"/pages/cases/{case_id}?cycle={pages.cycle_id}")
    shown = visible(html)
    assert f"信访事项 {case_id}" in shown and "办理中" in shown and "已超期" in shown
    assert "办理记录（卷宗）" in shown and "受理" in shown
    timeline = html.split('id="timeline"')[1].split("</ol>")[0]
    assert timeline.count("<li") == n_events
    assert f'name="version" value="{version}"' in html

    today = datetime.now(ZoneInfo(TIMEZONE)).date().isoformat()  # the case file's clock
    response = pages.client.post(f"/pages/cases/{case_id}/events", data={
        "version": str(version), "type": "site_visit", "on": today, "detail": "走访了解诉求"},
        follow_redirects=False)
    assert response.status_code == 303, response.text
    after = visible(pages.get(response.headers["location"]))
    assert "已追加：实地走访" in after and "走访了解诉求" in after
    assert pages.conn.execute(text("SELECT version FROM cases WHERE case_id = :c"),
                              {"c": case_id}).scalar_one() == version + 1

    # the form read an older version: refused, and what was entered is kept
    stale = pages.client.post(f"/pages/cases/{case_id}/events", data={
        "version": str(version), "type": "mediation", "on": today, "detail": "第二次调解"})
    assert stale.status_code == 412
    assert "该事项已被他人更新" in visible(stale.text) and 'value="第二次调解"' in stale.text
    # the workflow refuses a follow-up on an open case, and says why
    refused = pages.client.post(f"/pages/cases/{case_id}/events", data={
        "version": str(version + 1), "type": "followed_up", "on": today,
        "satisfaction": "satisfied"})
    assert refused.status_code == 422
    assert "办理流程不允许" in visible(refused.text)
    # a closing names its closure type from the select
    closing = pages.client.post(f"/pages/cases/{case_id}/events", data={
        "version": str(version + 1), "type": "closed", "on": today, "closure": "resolved"},
        follow_redirects=False)
    assert closing.status_code == 303
    closed = visible(pages.get(f"/pages/cases/{case_id}"))
    assert "已办结" in closed and "已解决办结" in closed


def test_the_case_page_shows_both_risks_of_the_cycle_and_the_repeat_cases(pages: Pages
                                                                          ) -> None:
    links = linked_repeats(pages.conn, rules=RepeatPolicy())
    assert len(links), "the demo county files repeat cases"
    scored = set(pages.conn.execute(text("SELECT case_id FROM cycle_cases WHERE cycle_id = :c"),
                                    {"c": pages.cycle_id}).scalars())
    later, earlier = next((a, b) for a, b in zip(links["case_id"], links["repeats_case_id"],
                                                 strict=True) if a in scored)
    row = pages.conn.execute(text("SELECT * FROM cycle_cases WHERE cycle_id = :c AND "
                                  "case_id = :k"), {"c": pages.cycle_id, "k": later}
                             ).mappings().one()
    html = pages.get(f"/pages/cases/{later}?cycle={pages.cycle_id}")
    risk = visible(html.split('id="risk"')[1].split("</section>")[0])
    assert f"周期 #{pages.cycle_id}" in risk
    assert f"期限风险 {shown_probability(row['p_deadline'])}" in risk
    assert f"反复风险 {shown_probability(row['p_return'])}" in risk
    assert all(reason in risk for reason in row["reasons"]["deadline"] + row["reasons"]["return"])
    assert "100%" not in risk and " 0%" not in risk
    repeats = html.split('id="repeats"')[1].split("</section>")[0]
    assert "本件重复反映的此前事项" in visible(repeats)
    assert f'href="/pages/cases/{earlier}"' in repeats
    back = pages.get(f"/pages/cases/{earlier}").split('id="repeats"')[1].split("</section>")[0]
    assert "此后重复反映本件的事项" in visible(back) and f'href="/pages/cases/{later}"' in back
    unscored = pages.get("/pages/cases/" + next(iter(set(links["repeats_case_id"]) - scored)))
    assert "该事项不在最近一次排查周期的在办清单中" in visible(unscored)


def test_pages_speak_english_with_lang_en(pages: Pages) -> None:
    html = pages.get(f"/pages/regions/{pages.region_code}?lang=en")
    shown = visible(html)
    assert '<html lang="en">' in html
    assert "Cells with the most expected escalations" in shown and "Overdue cases" in shown
    assert "预计升级最多的网格" not in shown
    assert f"/pages/cycles/{pages.cycle_id}/map?region={pages.region_code}&amp;lang=en" in html
    assert 'href="/pages/regions/' in html and "lang=zh" in html  # the switch back
    cell = cycle_cells(pages.conn, pages.cycle_id, limit=1)[0]
    cell_html = pages.get(f"/pages/cycles/{pages.cycle_id}/cells/{cell.cell_code}?lang=en")
    assert f"Worklist of {cell.cell_name}" in visible(cell_html)
    assert "Accept" in visible(cell_html) and "?cycle=" in cell_html
    assert re.search(r'href="/pages/cases/[^"]+\?cycle=\d+&amp;lang=en"', cell_html)
    assert pages.client.get("/pages/regions?lang=fr").status_code in (404, 422)


def test_unknown_cycles_cells_cases_and_regions_are_404_pages(pages: Pages) -> None:
    for url in ("/pages/regions/999999999999", f"/pages/regions/{pages.region_code}?cycle=99999",
                "/pages/cycles/99999/map", "/pages/cycles/99999/cells/x",
                f"/pages/cycles/{pages.cycle_id}/cells/no-such-cell",
                "/pages/cases/no-such-case"):
        html = pages.get(url, 404)
        assert "未找到" in visible(html), url
    missing = pages.client.post("/pages/assignments/99999999/decision",
                                data={"action": "accept"})
    assert missing.status_code == 404


def test_the_worker_page_lists_their_cells_tasks_and_one_tap_buttons(pages: Pages) -> None:
    task = next(a for a in list_assignments(pages.conn, cycle_id=pages.cycle_id)
                if a.proposed_to and a.status == "proposed")
    worker = task.proposed_to
    screened = set(pages.conn.execute(text(
        "SELECT DISTINCT cell_code FROM screening_records WHERE worker = :w AND screened_at >"
        " (SELECT max(screened_at) FROM screening_records WHERE worker = :w)"
        " - interval '8 weeks'"), {"w": worker}).scalars())
    pages.as_user("worker", *sorted(screened | {task.cell_code}), name=worker)
    html = pages.get("/pages/worker")
    shown = visible(html)
    cards = re.findall(r'class="cell-card" data-cell="([^"]+)"', html)
    assert set(cards) == screened | {task.cell_code}
    assert shown.count("无异常（排查无事）") == len(cards)
    assert "发现矛盾纠纷" in shown and "我的任务" in shown and "待审核" in shown
    assert f'id="a{task.id}"' in html
    config = json.loads(unescape(re.search(
        r'<script type="application/json" id="worker-config">(.*?)</script>', html,
        flags=re.S).group(1)))
    assert config["worker"] == worker and set(config["cells"]) == set(cards)
    assert len(config["outlines"]["features"]) == len(cards)
    assert '<script src="/assets/pages/worker.js"></script>' in html
    assert pages.client.get("/assets/pages/worker.js").status_code == 200
    assert pages.client.get("/assets/pages/pages.css").status_code == 200
    # the worker is the signed-in one: a name in the address changes nothing
    other = pages.get("/pages/worker?worker=W-other")
    assert re.findall(r'class="cell-card" data-cell="([^"]+)"', other) == cards
    assert f"{worker} · 网格员" in visible(other) and "退出登录" in visible(other)


def test_a_worker_records_the_outcome_of_an_accepted_task(pages: Pages) -> None:
    task = next(a for a in list_assignments(pages.conn, cycle_id=pages.cycle_id)
                if a.proposed_to and a.status == "proposed")
    decide(pages.conn, task.id, AssignmentDecision(action="accept"))
    pages.as_user("worker", task.cell_code, name=task.proposed_to)
    here = "/pages/worker"
    html = pages.get(here)
    assert f'action="/pages/assignments/{task.id}/outcome"' in html
    empty = pages.client.post(f"/pages/assignments/{task.id}/outcome",
                              data={"outcome": "", "back": here})
    assert "outcome" in visible(empty.text) and "未能完成" in visible(empty.text)
    response = pages.client.post(f"/pages/assignments/{task.id}/outcome",
                                 data={"outcome": "已上门走访", "back": here},
                                 follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == here
    assert tuple(pages.conn.execute(text(
        "SELECT status, outcome FROM assignments WHERE id = :id"), {"id": task.id}).one()) == (
        "done", "已上门走访")
    assert f'id="a{task.id}"' not in pages.get(here)


def test_messages_in_the_address_are_shown_as_text(pages: Pages) -> None:
    cell = cycle_cells(pages.conn, pages.cycle_id, limit=1)[0]
    html = pages.get(f"/pages/cycles/{pages.cycle_id}/cells/{cell.cell_code}"
                     "?error=<script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_townships_overview_shows_only_its_own_cells(pages: Pages) -> None:
    code, name = pages.conn.execute(text(
        "SELECT t.code, t.name FROM regions t WHERE t.level = 'township'"
        " ORDER BY t.code LIMIT 1")).one()
    html = pages.get(f"/pages/regions/{code}?cycle={pages.cycle_id}")
    table = html.split('id="top-cells"')[1].split("</table>")[0]
    rows = [visible(row) for row in table.split("<tr>")[2:]]
    assert rows and all(name in row for row in rows)
    assert f'src="/pages/cycles/{pages.cycle_id}/map?region={code}"' in html
    in_map = pages.get(f"/pages/cycles/{pages.cycle_id}/map?region={code}")
    assert name in in_map


def test_pages_outside_the_callers_township_are_the_pages_of_nothing(pages: Pages) -> None:
    """A township's supervisor: the other township's region, cells, cases and assignments
    are 404 pages byte for byte like those of what does not exist; the map and overview hold
    only their own cells."""
    mine, other = pages.conn.execute(text(
        "SELECT code FROM regions WHERE level = 'township' ORDER BY code LIMIT 2")
    ).scalars().all()

    def first(sql: str, township: str) -> str:
        return str(pages.conn.execute(text(sql), {"t": township, "id": pages.cycle_id}
                                      ).scalar_one())
    cell_sql = ("SELECT l.code FROM cells l JOIN regions v ON v.code = l.region_code"
                " WHERE v.parent_code = :t ORDER BY l.code LIMIT 1")
    case_sql = ("SELECT c.case_id FROM cases c JOIN regions v ON v.code = c.region_code"
                " WHERE v.parent_code = :t ORDER BY c.case_id LIMIT 1")
    assignment_sql = ("SELECT a.id FROM assignments a JOIN cells l ON l.code = a.cell_code"
                      " JOIN regions v ON v.code = l.region_code WHERE a.cycle_id = :id"
                      " AND v.parent_code = :t ORDER BY a.id LIMIT 1")
    theirs = {"cell": first(cell_sql, other), "case": first(case_sql, other),
              "assignment": first(assignment_sql, other)}
    pages.as_user("supervisor", mine, name="township-supervisor")
    cycle = pages.cycle_id
    for url, ident, absent in [
            (f"/pages/regions/{{}}?cycle={cycle}", other, "419999000000"),
            (f"/pages/cycles/{cycle}/cells/{{}}", theirs["cell"], "41999900000001"),
            ("/pages/cases/{}", theirs["case"], "XF-ABSENT"),
            (f"/pages/cycles/{cycle}/map?region={{}}", other, "419999000000")]:
        out, nothing = (pages.client.get(url.format(i)) for i in (ident, absent))
        assert out.status_code == nothing.status_code == 404, url
        assert out.text == nothing.text.replace(absent, ident), url
    for action, data in (("decision", {"action": "drop"}), ("outcome", {"outcome": "x"})):
        out = pages.client.post(f"/pages/assignments/{theirs['assignment']}/{action}",
                                data=data, follow_redirects=False)
        nothing = pages.client.post(f"/pages/assignments/99999999/{action}", data=data,
                                    follow_redirects=False)
        assert (out.status_code, out.headers.get("location", "")) == (
            nothing.status_code, nothing.headers.get("location", "").replace(
                "99999999", theirs["assignment"])), action
    status = pages.conn.execute(text("SELECT status FROM assignments WHERE id = :id"),
                                {"id": int(theirs["assignment"])}).scalar_one()
    assert status == "proposed"  # untouched
    refused = pages.client.post(f"/pages/cases/{theirs['case']}/events", data={
        "version": "1", "type": "site_visit", "on": "2026-09-01"})
    assert refused.status_code == 404
    overview = pages.get(f"/pages/regions/{mine}?cycle={cycle}")
    assert theirs["cell"] not in overview and theirs["case"] not in overview
    in_map = pages.get(f"/pages/cycles/{cycle}/map")
    assert theirs["cell"] not in in_map and theirs["case"] not in in_map
