"""The weekly dispatch, monthly bulletin and quarterly evaluation of the hand-built county
(tests/reports/county.py): their tables hold what the case files say (worked out by hand),
the XLSX opens with openpyxl with the same sheets, headers and rows, the PDF has its pages and
its Chinese text (pdftotext), and the scores are the policy's weights applied by hand."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Connection

from gridrisk.access.scope import EVERYTHING, Scope
from gridrisk.errors import InvalidInput
from gridrisk.policy import Policy
from gridrisk.regions.errors import UnknownRegion
from gridrisk.reports.documents import Column, Document, Section, Table
from gridrisk.reports.periodic import Request, attainment, build_report
from gridrisk.reports.periods import parse_period
from gridrisk.reports.render import to_pdf, to_xlsx, write_files

from .conftest import TIMEZONE

TODAY = date(2026, 12, 2)


def report(db: Connection, policy: Policy, kind: str, period: str | None = None, *,
           first: date | None = None, last: date | None = None, region: str = "K",
           lang: str = "zh", scope: Scope = EVERYTHING) -> Document:
    return build_report(kind, Request(db, region, parse_period(period, first=first, last=last),
                                      lang, scope, policy, TIMEZONE, TODAY))


def table(doc: Document, key: str) -> Table:
    return next(t for t in doc.tables() if t.key == key)


def plain(rows: list[dict[str, Any]], *keys: str) -> list[tuple[Any, ...]]:
    return [tuple(row.get(k) for k in keys) for row in rows]


def test_the_weekly_dispatch(county_db: Connection, policy: Policy) -> None:
    # 28 September – 4 October 2026: the daily period (1–3 October) falls in it
    doc = report(county_db, policy, "weekly", "2026-W40")
    assert doc.title == "示范县2026年第40周（09月28日—10月04日）信访工作周调度"
    # nothing fell due this week; at its end B3 (县人社局, 赵局长) was past its accept-by day
    assert plain(table(doc, "due_by_unit").rows, "unit", "official", "accept_due",
                 "handle_due", "overdue") == [("县人社局", "赵局长", 0, 0, 1),
                                              ("合计", "", 0, 0, 1)]
    zero = table(doc, "zero_reports").rows
    assert plain(zero, "day", "cells_due", "on_time", "late", "missing") == [
        (date(2026, 10, 1), 4, 2, 0, 2),   # V11-A 09:00, V11-B 15:00; V21, V22 missing
        (date(2026, 10, 2), 4, 2, 1, 1),   # V11-A 16:00 is late; V22 at 15:00 local
        (date(2026, 10, 3), 4, 1, 1, 2)]   # V11-B 15:00:01 is late
    assert zero[2]["missing_cells"] == "东湖一网格、西岗村"
    # due next week: A5's extended deadline 5 October, A4's due_at 10 October
    assert plain(table(doc, "due_next_week").rows, "case", "deadline", "days_left",
                 "deadline_kind") == [("A5", date(2026, 10, 5), 1, "办结"),
                                      ("A4", date(2026, 10, 10), 6, "办结")]


def test_the_monthly_bulletin(county_db: Connection, policy: Policy) -> None:
    doc = report(county_db, policy, "monthly", "2026-10")
    ranking = table(doc, "ranking").rows
    # ranked by 化解率: 城关镇 2/3, 河口乡 1/4; the last row is the county's 3/7
    assert plain(ranking, "rank", "area") == [(1, "城关镇"), (2, "河口乡"), ("", "合计")]
    assert [(r["resolution"].numerator, r["resolution"].denominator) for r in ranking] == [
        (2, 3), (1, 4), (3, 7)]
    # September: T1 had A4 and A5 open, neither closed by 30 Sep (0/2); T2 had B3, B4, B5
    # (0/3): the change is the whole of October's rate, in percentage points
    change = {r["area"]: r["resolution"] for r in table(doc, "change").rows}
    assert change == {"城关镇": 66.7, "河口乡": 25.0}
    # open and overdue at 31 October, longest first: B3 (accept-by 25 Sep), A5 (5 Oct)
    assert plain(table(doc, "overdue_longest").rows, "case", "days_overdue", "area") == [
        ("B3", 36, "河口乡"), ("A5", 26, "城关镇")]
    assert doc.sections[3].lines == ["本月没有运行排查周期，无热点图。"]
    assert [c.key for s in doc.sections for c in s.charts] == ["ranking_chart"]


def test_the_quarterly_evaluation_weighs_the_figures_as_the_policy_says(
        county_db: Connection, policy: Policy) -> None:
    doc = report(county_db, policy, "quarterly", first=date(2026, 10, 1),
                 last=date(2026, 10, 31))
    scores = table(doc, "scores").rows
    # T1: 10·1 + 10·(0.5/0.95) + 30·((2/3)/0.98) + 20·((2/3)/0.95) + 10·((2/3)/0.9)
    #     + 10·(0.5/0.9) + 5·(0.75/0.95) + 5·(0.5/0.95) = 69.25 of 100
    # T2: no closing window ended in October, so 息诉罢访率, 参评满意率 and 一次性化解率
    #     (weights 20, 10, 10) are left out: (10·0 + 10·1 + 30·(0.25/0.98) + 5·(0.25/0.95)
    #     + 5·((1/3)/0.95)) / 60 · 100 = 34.54
    assert plain(scores, "rank", "area", "score")[:2] == [(1, "城关镇", 69.2),
                                                          (2, "河口乡", 34.5)]
    targets = {r["figure"]: (r["target"], r["status"]) for r in table(doc, "targets").rows}
    assert targets["化解率"] == ("≥ 98%", "未达标")
    assert targets["参评率"] == ("≥ 95%", "达标")          # 3/3
    assert targets["重复信访率"] == ("≤ 5%", "未达标")      # 1/8 = 12.5%


def test_attainment() -> None:
    assert attainment(0.49, 0.98, ceiling=False) == 0.5
    assert attainment(1.0, 0.98, ceiling=False) == 1.0
    assert attainment(0.03, 0.05, ceiling=True) == 1.0
    assert attainment(0.525, 0.05, ceiling=True) == 0.5


def test_a_report_checks_its_period_and_the_callers_scope(county_db: Connection,
                                                           policy: Policy) -> None:
    with pytest.raises(InvalidInput, match="a monthly bulletin is for a month"):
        report(county_db, policy, "monthly", "2026-W40")
    with pytest.raises(InvalidInput, match="not one of weekly"):
        report(county_db, policy, "yearly", "2026")
    # a township's caller asking for the county is told it does not exist
    with pytest.raises(UnknownRegion):
        report(county_db, policy, "monthly", "2026-10", scope=Scope(regions=("T1",)))
    township = report(county_db, policy, "monthly", "2026-10", region="T1",
                      scope=Scope(regions=("T1",)))
    assert plain(table(township, "ranking").rows, "area") == [("东湖村",), ("合计",)]


def test_the_workbook_holds_the_same_tables(county_db: Connection, policy: Policy) -> None:
    doc = report(county_db, policy, "monthly", "2026-10")
    book = load_workbook(io.BytesIO(to_xlsx(doc)))
    assert book.sheetnames == ["说明", "主要指标", "各单位指标排名（按化解率）",
                               "较上月变化（百分点）", "超期最久的在办事项", "图表"]
    ranking = book["各单位指标排名（按化解率）"]
    header = [c.value for c in ranking[1]]
    assert header[:5] == ["名次", "单位", "按期受理率", "按期受理率 分子/分母", "按期办结率"]
    assert ranking.freeze_panes == "A2"
    resolution = header.index("化解率")
    rows = [[c.value for c in row] for row in ranking.iter_rows(min_row=2)]
    assert [(r[1], round(r[resolution], 4), r[resolution + 1]) for r in rows] == [
        ("城关镇", 0.6667, "2/3"), ("河口乡", 0.25, "1/4"), ("合计", 0.4286, "3/7")]
    assert ranking.cell(row=2, column=resolution + 1).number_format == "0.0%"
    no_return = header.index("息诉罢访率")
    assert rows[1][no_return] == "—"      # 河口乡: no window ended in October
    overdue = book["超期最久的在办事项"]
    assert [c.value for c in overdue[1]] == ["事项", "单位", "类别", "责任单位", "包案领导",
                                             "期限", "到期日", "超期天数"]
    first = [c for c in overdue[2]]
    assert first[0].value == "B3" and first[6].value.date() == date(2026, 9, 25)
    assert first[6].number_format == "yyyy-mm-dd"
    assert overdue.column_dimensions["B"].width >= 8


def test_control_characters_in_a_summary_do_not_break_the_workbook() -> None:
    # the fuzzer's find: a summary holding \x0b or \x1f made /ledger.xlsx answer 500
    doc = Document("ledger", "台账\x0c", "K", "示范县", None, TODAY, "zh", [Section(
        "事项", tables=[Table("cases", "事项", [Column("summary", "概要")],
                              [{"summary": "欠薪\x0b三个月\x1f"}])])])
    book = load_workbook(io.BytesIO(to_xlsx(doc)))
    assert book["事项"]["A2"].value == "欠薪\ufffd三个月\ufffd"
    assert book["说明"]["B1"].value == "台账\ufffd"


@pytest.mark.slow
def test_the_pdf_has_its_pages_and_chinese_text(county_db: Connection, policy: Policy,
                                                tmp_path: Path) -> None:
    doc = report(county_db, policy, "weekly", "2026-W40")
    path = tmp_path / "weekly.pdf"
    path.write_bytes(to_pdf(doc))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    pages = int(next(line.split()[-1] for line in info.stdout.splitlines()
                     if line.startswith("Pages:")))
    assert pages == 2
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    for words in ("信访工作周调度", "每日零报告", "县人社局", "赵局长", "东湖一网格、西岗村",
                  "下周到期事项"):
        assert words in text, words
    assert re.search(r"1\s*/\s*2", text) and re.search(r"2\s*/\s*2", text)  # page numbers


def test_write_files_names_them_by_kind_region_and_period(county_db: Connection,
                                                          policy: Policy,
                                                          tmp_path: Path) -> None:
    doc = report(county_db, policy, "monthly", "2026-10", lang="en")
    written = write_files(doc, tmp_path / "out", ["html", "xlsx"])
    assert [p.name for p in written] == ["monthly-K-2026-10.html", "monthly-K-2026-10.xlsx"]
    html = written[0].read_text(encoding="utf-8")
    assert "示范县: monthly bulletin, 2026-10" in html and "Resolution rate" in html
