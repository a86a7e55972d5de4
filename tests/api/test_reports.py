"""Indicators, reports, the zero report, the ledger and campaigns over HTTP on the hand-built
county (tests/reports/county.py), and the pages that show them."""

from __future__ import annotations

import io
from datetime import date, datetime

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from gridrisk.vocab import Indicator

from ..reports.conftest import signed_in
from .conftest import problem


def test_indicators_are_shaped_as_the_spec_says(county_api: TestClient) -> None:
    answer = county_api.get("/indicators", params={"region": "K", "period": "2026-10",
                                                   "by": "township"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["period"] == {"label": "2026-10", "first": "2026-10-01", "last": "2026-10-31"}
    assert list(body["figures"]) == [code.value for code in Indicator]
    assert body["figures"]["resolution"] == {"numerator": 3, "denominator": 7,
                                             "rate": 3 / 7}
    assert body["figures"]["overdue_open"] == {"count": 2}
    assert body["figures"]["escalations"]["by_level"] == {"county": 0, "city": 1,
                                                          "province": 1, "national": 1}
    t2 = body["units"][1]
    assert (t2["code"], t2["figures"]["no_return"]) == (
        "T2", {"numerator": 0, "denominator": 0, "rate": None})
    same = county_api.get("/indicators", params={"region": "K", "from": "2026-10-01",
                                                 "to": "2026-10-31"}).json()
    assert same["figures"] == body["figures"] and same["units"] == []


def test_bad_periods_and_regions_are_problems(county_api: TestClient) -> None:
    body = problem(county_api.get("/indicators", params={"region": "K", "period": "2026-13"}),
                   422)
    assert body["errors"][0]["field"] == "period"
    body = problem(county_api.get("/indicators", params={"region": "K"}), 422)
    assert "give a period" in body["detail"]
    problem(county_api.get("/indicators", params={"region": "NOWHERE", "period": "2026"}),
            404)
    body = problem(county_api.get("/indicators", params={"region": "V11", "period": "2026",
                                                         "by": "township"}), 422)
    assert body["errors"][0]["field"] == "by"


def test_reports_come_in_three_formats(county_api: TestClient) -> None:
    params = {"region": "K", "period": "2026-10"}
    html = county_api.get("/reports/monthly", params=params)
    assert html.headers["content-type"].startswith("text/html")
    assert "示范县2026年10月信访工作月通报" in html.text
    pdf = county_api.get("/reports/monthly", params={**params, "format": "pdf"})
    assert pdf.content.startswith(b"%PDF") and "attachment" in pdf.headers[
        "content-disposition"]
    xlsx = county_api.get("/reports/monthly", params={**params, "format": "xlsx"})
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames[0] == "说明"
    english = county_api.get("/reports/weekly", params={"region": "K", "period": "2026-W40",
                                                        "lang": "en"})
    assert "weekly dispatch" in english.text and "Daily zero reports" in english.text
    problem(county_api.get("/reports/yearly", params=params), 422)


def test_the_zero_report_of_a_day(county_api: TestClient) -> None:
    body = county_api.get("/zero-reports", params={"region": "K", "day": "2026-10-02"}).json()
    assert (body["daily"], body["period_name"], body["report_by"]) == (True, "国庆", "15:00")
    assert (body["on_time"], body["late"], body["missing"]) == (2, 1, 1)
    assert [(c["cell_code"], c["status"]) for c in body["cells"]] == [
        ("V21", "missing"), ("V11-A", "late"), ("V11-B", "on_time"), ("V22", "on_time")]
    assert datetime.fromisoformat(body["cells"][1]["first_at"]).hour == 16
    quiet = county_api.get("/zero-reports", params={"region": "T1", "day": "2026-10-10"})
    assert quiet.json()["daily"] is False and quiet.json()["missing"] == 2


def test_the_ledger_takes_the_case_lists_filters(county_api: TestClient) -> None:
    answer = county_api.get("/ledger.xlsx", params={"region": "K", "state": "open"})
    assert answer.status_code == 200, answer.text
    sheet = load_workbook(io.BytesIO(answer.content))["信访事项台账"]
    header = [c.value for c in sheet[1]]
    assert header == ["台账编号", "事项编号", "登记日期", "乡镇（街道）", "村（社区）", "类别",
                      "信访事项", "包案领导", "工作专班", "化解方案", "卷宗（条）", "责任单位",
                      "办理期限", "化解期限", "状态", "剩余天数（负数为超期）", "最近办理",
                      "最近办理日期"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    # open today: A2 (refiled 1 Nov), B2 (refiled 10 Oct), A5, B3 — by receipt
    assert [r[1] for r in rows] == ["B2", "A2", "A5", "B3"]
    assert rows[0][3:8] == ["河口乡", "西岗村", "征地拆迁", "事项 B2", "张乡长"]
    assert rows[1][16] == "重复信访" and rows[1][17].date() == date(2026, 11, 1)
    assert rows[2][10] == 3 and rows[2][12].date() == date(2026, 10, 5)
    assert rows[2][15] < 0   # A5 is overdue
    assert sheet.freeze_panes == "A2"
    assert len(county_api.get("/cases", params={"region": "K", "state": "open"}).json()[
        "items"]) == len(rows)


def test_a_campaign_over_http(county_api: TestClient) -> None:
    created = county_api.post("/campaigns", json={
        "name": "示范县积案化解", "region_code": "K", "starts_on": "2026-10-01",
        "launched_on": "2026-10-01", "rule": {"received_before": "2026-09-01"}})
    assert created.status_code == 201, created.text
    campaign = created.json()
    assert campaign["n_cases"] == 3 and campaign["rule"]["match"] == "any"
    changed = county_api.patch(f"/campaigns/{campaign['id']}/cases/B5", json={
        "leader": "张乡长", "team": "河口乡专班", "plan": "依法答复", "deadline_on": "2026-10-31"})
    assert changed.json()["missing"] == []
    problem(county_api.patch(f"/campaigns/{campaign['id']}/cases/A1", json={"leader": "x"}),
            404)
    progress = county_api.get(f"/campaigns/{campaign['id']}/progress",
                              params={"as_of": "2026-10-31"}).json()
    assert progress["resolution"] == {"numerator": 1, "denominator": 3, "rate": 1 / 3}
    assert [c["case_id"] for c in progress["incomplete"]] == ["A5", "B4"]
    report = county_api.get(f"/campaigns/{campaign['id']}/report",
                            params={"as_of": "2026-10-31", "format": "xlsx"})
    book = load_workbook(io.BytesIO(report.content))
    assert "“六个一”不全的事项" in book.sheetnames
    ledger = county_api.get("/ledger.xlsx", params={"campaign": campaign["id"]})
    rows = list(load_workbook(io.BytesIO(ledger.content))["信访事项台账"].iter_rows(
        min_row=2, values_only=True))
    assert [(r[0], r[1], r[7], r[8]) for r in rows] == [
        (2, "B4", "赵局长", None), (3, "B5", "张乡长", "河口乡专班"), (1, "A5", "李书记", None)]
    problem(county_api.post("/campaigns", json={"name": "x", "region_code": "K"}), 422)


def test_the_report_pages(county_api: TestClient) -> None:
    index = county_api.get("/pages/regions/K/reports")
    assert index.status_code == 200, index.text
    assert "/pages/regions/K/reports/monthly?period=2026-10" in index.text
    assert "/ledger.xlsx?region=K" in index.text and "化解率" in index.text
    page = county_api.get("/pages/regions/K/reports/monthly", params={"period": "2026-10"})
    assert "示范县2026年10月信访工作月通报" in page.text and "format=pdf" in page.text
    zero = county_api.get("/pages/regions/K/zero-report", params={"day": "2026-10-02"})
    assert "国庆" in zero.text and "西岗村" in zero.text
    missing = county_api.get("/pages/regions/NOWHERE/reports")
    assert missing.status_code == 404


def test_the_campaign_pages_assign_a_case(county_api: TestClient) -> None:
    campaign = county_api.post("/campaigns", json={
        "name": "示范县积案化解", "region_code": "K", "starts_on": "2026-10-01",
        "launched_on": "2026-10-01", "rule": {"received_before": "2026-09-01"}}).json()
    listing = county_api.get("/pages/campaigns", params={"region": "K"})
    assert "示范县积案化解" in listing.text
    saved = county_api.post(f"/pages/campaigns/{campaign['id']}/cases",
                            data={"case_id": "A5", "leader": "李书记", "team": "专班",
                                  "plan": "", "deadline_on": "2026-11-15"},
                            follow_redirects=False)
    assert saved.status_code == 303 and "changed=A5" in saved.headers["location"]
    page = county_api.get(saved.headers["location"])
    assert "已保存 A5 的包案信息" in page.text
    refused = county_api.post(f"/pages/campaigns/{campaign['id']}/cases",
                              data={"case_id": "A1", "leader": "x"}, follow_redirects=False)
    assert "error=" in refused.headers["location"]


def test_figures_reports_and_campaigns_keep_to_the_callers_scope(
        county_app, county_db) -> None:  # type: ignore[no-untyped-def]
    township = signed_in(county_app, county_db, "supervisor", "T1")
    worker = signed_in(county_app, county_db, "worker", "V11")
    own = township.get("/indicators", params={"region": "T1", "period": "2026-10"})
    outside = township.get("/indicators", params={"region": "T2", "period": "2026-10"})
    absent = township.get("/indicators", params={"region": "T9", "period": "2026-10"})
    assert own.status_code == 200
    assert outside.status_code == absent.status_code == 404
    assert outside.content == absent.content.replace(b"T9", b"T2")
    for url in ("/indicators", "/reports/monthly", "/zero-reports", "/ledger.xlsx"):
        refused = worker.get(url, params={"region": "V11", "period": "2026-10"})
        assert problem(refused, 403)["detail"]
    assert township.get("/pages/regions/K/reports").status_code == 404
