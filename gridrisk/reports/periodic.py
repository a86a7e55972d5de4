"""The period reports a county office is judged by: the weekly dispatch (周调度), the monthly
bulletin (月通报) and the quarterly evaluation (季考评), built as Documents that render.py
writes as HTML, PDF and XLSX with the same tables. Every figure is the indicator spec's
(reports/indicators.py); the scope rule of service.py holds for each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from gridrisk.access.scope import Scope
from gridrisk.db.base import Db
from gridrisk.errors import InvalidInput
from gridrisk.policy import IndicatorRates, Policy
from gridrisk.regions.service import get_region
from gridrisk.reports.charts import bars
from gridrisk.reports.documents import Chart, Column, Document, Section, Table
from gridrisk.reports.indicators import (
    CASE,
    count,
    daily_reports,
    day_number,
    deadlines_at,
)
from gridrisk.reports.periods import Period
from gridrisk.reports.schemas import Figures, Rate
from gridrisk.reports.service import Region, figures_of
from gridrisk.reports.sources import latest_hotspots, listed_cases
from gridrisk.vocab import Indicator, RegionLevel, ReportKind, labels

RATES = [Indicator.accept_on_time, Indicator.handle_on_time, Indicator.resolution,
         Indicator.no_return, Indicator.rated, Indicator.satisfied, Indicator.one_time,
         Indicator.repeat, Indicator.coverage, Indicator.zero_report]
#: lower is better
CEILINGS = {Indicator.repeat}
#: rows of the bulletin's list of the cases overdue longest
OVERDUE_ROWS = 20
BREAKDOWN = {RegionLevel.county: "township", RegionLevel.township: "village"}
TEXT = {
    "zh": {
        "weekly_title": "{region}{period}信访工作周调度",
        "monthly_title": "{region}{period}信访工作月通报",
        "quarterly_title": "{region}{period}信访工作季度考评",
        "overview": "本周概况", "due_by_unit": "本周到期与超期（按责任单位、包案领导）",
        "zero": "每日零报告", "due_next": "下周到期事项",
        "figures": "主要指标", "ranking": "各单位指标排名（按{figure}）",
        "change": "较上月变化（百分点）", "hotspots": "本月热点分布",
        "overdue_longest": "超期最久的在办事项", "targets": "指标与目标",
        "scores": "各单位考评得分",
        "unit": "责任单位", "official": "包案领导", "accept_due": "应受理",
        "accept_done": "按期受理", "handle_due": "应办结", "handle_done": "按期办结",
        "overdue": "超期在办", "day": "日期", "cells_due": "应报网格", "on_time": "按时报告",
        "late": "逾时报告", "missing": "未报告", "missing_cells": "未报告的网格",
        "case": "事项", "area": "单位", "village": "村（社区）", "category": "类别",
        "deadline_kind": "期限", "deadline": "到期日", "days_left": "剩余天数",
        "days_overdue": "超期天数", "figure": "指标", "this_month": "本月",
        "last_month": "上月", "points": "变化", "target": "目标", "status": "达标情况",
        "met": "达标", "missed": "未达标", "rank": "名次", "score": "得分",
        "accept": "受理", "handle": "办结", "value": "本期",
        "no_daily": "本周不在每日报告期，无零报告要求。",
        "zero_line": "{day}：应报 {due} 个网格，按时 {on_time}，逾时 {late}，未报 {missing}。",
        "no_cycle": "本月没有运行排查周期，无热点图。",
        "cycle_map": "排查周期 #{id}（截至 {as_of}）的热点网格",
        "none_due_next": "下周没有到期的在办事项。", "none_overdue": "月末没有超期在办事项。",
        "none_due": "本周没有到期或超期的事项。",
        "week_line": "本周应受理 {accept_due} 件、按期 {accept_done} 件；应办结 {handle_due} "
                     "件、按期 {handle_done} 件；周末超期在办 {overdue} 件；越级信访 {esc} 件。",
        "score_line": "得分 = 各项指标完成程度（实际 ÷ 目标，最高为 1；重复信访率为上限指标）"
                      "× 权重，按有分母的指标的权重折算为百分制。",
        "note": "指标口径见 docs/indicators.md：比率 = 分子 ÷ 分母，分母为 0 时记“—”；"
                "回访期 {window} 天。",
        "target_line": "目标", "ceiling": "≤ {value}", "floor": "≥ {value}",
        "unfilled": "（未填）", "total": "合计",
    },
    "en": {
        "weekly_title": "{region}: weekly dispatch, {period}",
        "monthly_title": "{region}: monthly bulletin, {period}",
        "quarterly_title": "{region}: quarterly evaluation, {period}",
        "overview": "This week", "due_by_unit": "Due and overdue this week, by unit and official",
        "zero": "Daily zero reports", "due_next": "Cases due next week",
        "figures": "Main figures", "ranking": "Units ranked by {figure}",
        "change": "Change against last month (percentage points)",
        "hotspots": "Hotspots this month", "overdue_longest": "Open cases overdue longest",
        "targets": "Figures against targets", "scores": "Scores by unit",
        "unit": "Responsible unit", "official": "Responsible official",
        "accept_due": "To accept", "accept_done": "Accepted on time", "handle_due": "To close",
        "handle_done": "Closed on time", "overdue": "Open and overdue", "day": "Day",
        "cells_due": "Cells due", "on_time": "On time", "late": "Late", "missing": "Missing",
        "missing_cells": "Cells that did not report", "case": "Case", "area": "Area",
        "village": "Village", "category": "Category", "deadline_kind": "Deadline",
        "deadline": "Due on", "days_left": "Days left", "days_overdue": "Days overdue",
        "figure": "Figure", "this_month": "This month", "last_month": "Last month",
        "points": "Change", "target": "Target", "status": "Status", "met": "met",
        "missed": "missed", "rank": "Rank", "score": "Score", "accept": "accept",
        "handle": "close", "value": "This period",
        "no_daily": "No day of this week is in a daily period: no zero reports were due.",
        "zero_line": "{day}: {due} cells due, {on_time} on time, {late} late, {missing} "
                     "missing.",
        "no_cycle": "No screening cycle ran this month: no hotspot map.",
        "cycle_map": "Hot cells of screening cycle #{id} (as of {as_of})",
        "none_due_next": "No open case is due next week.",
        "none_overdue": "No open case was overdue at the month's end.",
        "none_due": "Nothing fell due or was overdue this week.",
        "week_line": "To accept {accept_due}, on time {accept_done}; to close {handle_due}, "
                     "on time {handle_done}; open and overdue at the week's end {overdue}; "
                     "escalations {esc}.",
        "score_line": "Score = each figure's attainment (actual ÷ target, at most 1; the repeat "
                      "rate is a ceiling) × its weight, scaled to 100 over the figures that "
                      "have a denominator.",
        "note": "Definitions in docs/indicators.md: a rate is numerator ÷ denominator, \"—\" "
                "when the denominator is 0; follow-up window {window} days.",
        "target_line": "target", "ceiling": "≤ {value}", "floor": "≥ {value}",
        "unfilled": "(not given)", "total": "Total",
    },
}


@dataclass(frozen=True)
class Request:
    db: Db
    region_code: str
    period: Period
    lang: str
    scope: Scope
    policy: Policy
    timezone: str
    today: date

    @property
    def t(self) -> dict[str, str]:
        return TEXT[self.lang]

    @property
    def names(self) -> dict[str, dict[str, str]]:
        return labels(self.lang)

    def region(self, *, details: bool = False) -> Region:
        """The region's case files, broken down one level: a county by township, a township
        by village."""
        level = RegionLevel(get_region(self.db, self.region_code, scope=self.scope).level)
        return Region(self.db, self.region_code, by=BREAKDOWN.get(level), scope=self.scope,
                      policy=self.policy, timezone=self.timezone, details=details)


def build_report(kind: str, request: Request) -> Document:
    builders = {ReportKind.weekly: weekly, ReportKind.monthly: monthly,
                ReportKind.quarterly: quarterly}
    try:
        builder = builders[ReportKind(kind)]
    except ValueError:
        raise InvalidInput("kind", f"'{kind}' is not one of weekly, monthly, quarterly"
                           ) from None
    return builder(request)


def _document(request: Request, kind: ReportKind, region: Region,
              sections: list[Section]) -> Document:
    t = request.t
    return Document(kind=kind.value, title=t[f"{kind.value}_title"].format(
        region=region.units.region_name, period=request.period.name(request.lang)),
        region_code=region.units.region_code, region_name=region.units.region_name,
        period=request.period, generated_on=request.today, lang=request.lang,
        sections=sections, note=t["note"].format(
            window=request.policy.indicators.follow_up_window_days))


# -- weekly dispatch ---------------------------------------------------------------------


def weekly(request: Request) -> Document:
    """Due and overdue this week by responsible unit and official, the daily zero reports,
    and the open cases due next week."""
    t, period = request.t, request.period
    if period.kind not in ("week", "days"):
        raise InvalidInput("period", f"a weekly dispatch is for a week (2026-W44), not "
                           f"{period.label}")
    region = request.region(details=True)
    figures, _ = region.figures(period)
    details = region.details
    assert details is not None
    unit = details["responsible_unit"].fillna(t["unfilled"])
    official = details["responsible_official"].fillna(t["unfilled"])
    group, keys = pd.factorize(pd.MultiIndex.from_arrays([unit, official]))
    chosen = {code: figures[code] for code in (Indicator.accept_on_time,
                                               Indicator.handle_on_time,
                                               Indicator.overdue_open)}
    per_group = count(chosen, groups={CASE: group}, n_groups=len(keys))
    per_group["unit"], per_group["official"] = [k[0] for k in keys], [k[1] for k in keys]
    columns = {"accept_on_time.d": "accept_due", "accept_on_time.n": "accept_done",
               "handle_on_time.d": "handle_due", "handle_on_time.n": "handle_done",
               "overdue_open.count": "overdue"}
    per_group = per_group.rename(columns=columns)
    busy = per_group[per_group[list(columns.values())].sum(axis=1) > 0].sort_values(
        ["overdue", "handle_due", "accept_due", "unit", "official"],
        ascending=[False, False, False, True, True])
    totals = {c: int(per_group[c].sum()) for c in columns.values()}
    rows = [{str(k): (int(v) if k in totals else v) for k, v in row.items()}
            for row in busy[["unit", "official", *columns.values()]].to_dict("records")]
    if rows:
        rows.append({"unit": t["total"], "official": "", **totals})
    counted = region.total(period)
    overview = Section(t["overview"], lines=[t["week_line"].format(
        **totals, esc=counted.escalations.count)], tables=[_figure_table(request, counted)])
    by_unit = Section(t["due_by_unit"], tables=[Table(
        "due_by_unit", "", [Column("unit", t["unit"]), Column("official", t["official"]),
                            *(Column(c, t[c], "int") for c in columns.values())],
        rows, empty=t["none_due"], total=bool(rows))])
    return _document(request, ReportKind.weekly, region, [
        overview, by_unit, _zero_section(request, region), _due_next(request, region)])


def _figure_table(request: Request, figures: Figures) -> Table:
    t, names = request.t, request.names["indicator"]
    rows = [{"figure": names[code], "value": getattr(figures, code)} for code in RATES]
    return Table("figures", "", [Column("figure", t["figure"]), Column("value", t["value"],
                                                                      "rate")], rows)


def _zero_section(request: Request, region: Region) -> Section:
    t, screening = request.t, request.policy.screening
    days = [d for d in request.period.days() if screening.daily_period(d)]
    if not days:
        return Section(t["zero"], lines=[t["no_daily"]])
    cells, screenings = region.screenings(request.period)
    reports = daily_reports(cells, screenings, days, report_by=screening.report_time())
    names = dict(zip(cells["cell_code"], cells["cell_name"], strict=True))
    rows, lines = [], []
    for day, of_day in reports.groupby("day"):
        status = of_day["status"].value_counts()
        missing = of_day.loc[of_day["status"] == "missing", "cell_code"]
        row = {"day": day, "cells_due": len(of_day), "on_time": int(status.get("on_time", 0)),
               "late": int(status.get("late", 0)), "missing": int(status.get("missing", 0)),
               "missing_cells": "、".join(names[c] for c in missing)}
        rows.append(row)
        lines.append(t["zero_line"].format(day=day, due=row["cells_due"], **{
            k: row[k] for k in ("on_time", "late", "missing")}))
    return Section(t["zero"], lines=lines, tables=[Table("zero_reports", "", [
        Column("day", t["day"], "date"), Column("cells_due", t["cells_due"], "int"),
        Column("on_time", t["on_time"], "int"), Column("late", t["late"], "int"),
        Column("missing", t["missing"], "int"), Column("missing_cells", t["missing_cells"])],
        rows)])


def _case_rows(request: Request, region: Region, chosen: np.ndarray,
               extra: dict[str, Sequence[Any]]) -> list[dict[str, Any]]:
    names, t = request.names, request.t
    picked = listed_cases(request.db, region.files.case_ids[chosen].tolist())
    area = [region.units.names.get(region.units.village_unit.get(v, ""), "")
            for v in picked["region_code"]]
    rows = []
    for i, (_, case) in enumerate(picked.iterrows()):
        rows.append({"case": case["case_id"], "area": area[i],
                     "category": names["category"].get(case["category"], case["category"]),
                     "unit": case["responsible_unit"] or t["unfilled"],
                     "official": case["responsible_official"] or t["unfilled"],
                     **{k: v[i] for k, v in extra.items()}})
    return rows


def _due_next(request: Request, region: Region) -> Section:
    t, last = request.t, request.period.last
    state = deadlines_at(region.files, last)
    start, end = day_number(last) + 1, day_number(last) + 7
    due = np.flatnonzero(state["is_open"] & (state["deadline"] >= start)
                         & (state["deadline"] <= end))
    due = due[np.lexsort((region.files.case_ids[due], state["deadline"].to_numpy()[due]))]
    deadline = state["deadline"].to_numpy()[due]
    rows = _case_rows(request, region, due, {
        "deadline_kind": [t[k] for k in state["deadline_kind"].to_numpy()[due]],
        "deadline": [date(1970, 1, 1) + timedelta(days=int(d)) for d in deadline],
        "days_left": [int(d - day_number(last)) for d in deadline]})
    return Section(t["due_next"], tables=[Table("due_next_week", "", [
        Column("case", t["case"]), Column("area", t["area"]),
        Column("category", t["category"]), Column("unit", t["unit"]),
        Column("official", t["official"]), Column("deadline_kind", t["deadline_kind"]),
        Column("deadline", t["deadline"], "date"), Column("days_left", t["days_left"], "int")],
        rows, empty=t["none_due_next"])])


# -- monthly bulletin --------------------------------------------------------------------


def monthly(request: Request) -> Document:
    """The figures by unit, ranked, with their change against the previous month; the
    month's hotspot map; the open cases overdue longest."""
    t, period, names = request.t, request.period, request.names["indicator"]
    if period.kind not in ("month", "days"):
        raise InvalidInput("period", f"a monthly bulletin is for a month (2026-10), not "
                           f"{period.label}")
    region = request.region()
    now, before = region.count(period), region.count(period.previous())
    now_total, before_total = figures_of(now.total), figures_of(before.total)
    targets = request.policy.indicators.targets
    summary_rows = [{
        "figure": names[code], "this_month": getattr(now_total, code),
        "last_month": getattr(before_total, code),
        "points": _points(getattr(now_total, code), getattr(before_total, code)),
        "target": _target_text(request, code, targets)} for code in RATES]
    summary = Table("figures", "", [
        Column("figure", t["figure"]), Column("this_month", t["this_month"], "rate"),
        Column("last_month", t["last_month"], "rate"), Column("points", t["points"], "points"),
        Column("target", t["target"])], summary_rows)
    rank_by = Indicator(request.policy.indicators.rank_by)
    units = now.unit_figures()
    previous = {code: figures for code, _, figures in before.unit_figures()}
    ranked = sorted(units, key=lambda u: _rank_key(getattr(u[2], rank_by), rank_by))
    ranking_rows = [{"rank": i + 1, "area": name,
                     **{code.value: getattr(figures, code) for code in RATES},
                     "escalations": figures.escalations.count,
                     "overdue": figures.overdue_open.count,
                     "days_to_close": figures.days_to_close.rate}
                    for i, (_, name, figures) in enumerate(ranked)]
    ranking_rows.append({"rank": "", "area": t["total"],
                         **{code.value: getattr(now_total, code) for code in RATES},
                         "escalations": now_total.escalations.count,
                         "overdue": now_total.overdue_open.count,
                         "days_to_close": now_total.days_to_close.rate})
    ranking = Table("ranking", "", [
        Column("rank", t["rank"]), Column("area", t["area"]),
        *(Column(code.value, names[code], "rate") for code in RATES),
        Column("escalations", names[Indicator.escalations], "int"),
        Column("overdue", names[Indicator.overdue_open], "int"),
        Column("days_to_close", names[Indicator.days_to_close], "number")],
        ranking_rows, total=True)
    change_rows = [{"area": name, **{code.value: _points(getattr(figures, code), getattr(
        previous[unit_code], code)) for code in RATES}} for unit_code, name, figures in units]
    change = Table("change", "", [Column("area", t["area"]),
                                  *(Column(code.value, names[code], "points")
                                    for code in RATES)], change_rows)
    chart = Chart("ranking_chart", names[rank_by], bars(
        [name for _, name, _ in units],
        {t["this_month"]: [getattr(f, rank_by).rate for _, _, f in units],
         t["last_month"]: [getattr(previous[c], rank_by).rate for c, _, _ in units]},
        title=f"{names[rank_by]}（{period.name(request.lang)}）",
        target=getattr(targets, rank_by.value),
        target_label=f"{t['target_line']} {getattr(targets, rank_by.value):.0%}"))
    return _document(request, ReportKind.monthly, region, [
        Section(t["figures"], tables=[summary]),
        Section(t["ranking"].format(figure=names[rank_by]), tables=[ranking],
                charts=[chart]),
        Section(t["change"], tables=[change]),
        _hotspot_section(request),
        _overdue_longest(request, region)])


def _points(now: Rate, before: Rate) -> float | None:
    if now.rate is None or before.rate is None:
        return None
    return round((now.rate - before.rate) * 100, 1)


def _rank_key(rate: Rate, code: Indicator) -> tuple[int, float]:
    if rate.rate is None:
        return (1, 0.0)
    return (0, rate.rate if code in CEILINGS else -rate.rate)


def _target_text(request: Request, code: Indicator, targets: IndicatorRates) -> str:
    value = f"{getattr(targets, code.value):.0%}"
    return request.t["ceiling" if code in CEILINGS else "floor"].format(value=value)


def _hotspot_section(request: Request) -> Section:
    from maps.static import hotspot_png

    t = request.t
    found = latest_hotspots(request.db, request.region_code, request.period.first,
                            request.period.last)
    if found is None:
        return Section(t["hotspots"], lines=[t["no_cycle"]])
    cycle_id, as_of, cells, outlines = found
    title = t["cycle_map"].format(id=cycle_id, as_of=as_of)
    png = hotspot_png(cells, outlines=outlines, hotspot_names=request.names["hotspot"],
                      title=title)
    return Section(t["hotspots"], charts=[Chart("hotspot_map", title, png)])


def _overdue_longest(request: Request, region: Region) -> Section:
    t, last = request.t, request.period.last
    state = deadlines_at(region.files, last)
    late = np.flatnonzero(state["is_open"] & (state["deadline"] < day_number(last)))
    deadline = state["deadline"].to_numpy()
    late = late[np.lexsort((region.files.case_ids[late], deadline[late]))][:OVERDUE_ROWS]
    rows = _case_rows(request, region, late, {
        "deadline_kind": [t[k] for k in state["deadline_kind"].to_numpy()[late]],
        "deadline": [date(1970, 1, 1) + timedelta(days=int(d)) for d in deadline[late]],
        "days_overdue": [int(day_number(last) - d) for d in deadline[late]]})
    return Section(t["overdue_longest"], tables=[Table("overdue_longest", "", [
        Column("case", t["case"]), Column("area", t["area"]),
        Column("category", t["category"]), Column("unit", t["unit"]),
        Column("official", t["official"]), Column("deadline_kind", t["deadline_kind"]),
        Column("deadline", t["deadline"], "date"),
        Column("days_overdue", t["days_overdue"], "int")], rows, empty=t["none_overdue"])])


# -- quarterly evaluation ----------------------------------------------------------------


def attainment(rate: float, target: float, *, ceiling: bool) -> float:
    """How much of a figure's target is met, 0–1: actual ÷ target (a ceiling: 1 at or below
    it, falling to 0 at 100%)."""
    if ceiling:
        return 1.0 if rate <= target else max(0.0, (1 - rate) / (1 - target)) if target < 1 \
            else 1.0
    return 1.0 if target <= 0 else min(1.0, rate / target)


def score(figures: Figures, targets: IndicatorRates, weights: IndicatorRates) -> float | None:
    """Out of 100: each weighted figure's attainment × weight, scaled over the weights of the
    figures that have a denominator (a figure with none is left out, not scored 0 or full);
    None when no weighted figure has one."""
    earned = possible = 0.0
    for code in RATES:
        weight, rate = getattr(weights, code.value), getattr(figures, code).rate
        if weight <= 0 or rate is None:
            continue
        earned += weight * attainment(rate, getattr(targets, code.value),
                                      ceiling=code in CEILINGS)
        possible += weight
    return round(100 * earned / possible, 1) if possible else None


def quarterly(request: Request) -> Document:
    """The figures against the policy's targets, and a score per unit as the policy weighs
    them."""
    t, period, names = request.t, request.period, request.names["indicator"]
    if period.kind not in ("quarter", "days"):
        raise InvalidInput("period", f"a quarterly evaluation is for a quarter (2026-Q3), "
                           f"not {period.label}")
    region = request.region()
    counted = region.count(period)
    total = figures_of(counted.total)
    targets, weights = request.policy.indicators.targets, request.policy.indicators.weights
    target_rows = []
    for code in RATES:
        rate, goal = getattr(total, code), getattr(targets, code.value)
        met = None if rate.rate is None else (rate.rate <= goal if code in CEILINGS
                                              else rate.rate >= goal)
        target_rows.append({"figure": names[code], "target": _target_text(request, code,
                                                                          targets),
                            "value": rate, "status": "—" if met is None else t[
                                "met" if met else "missed"]})
    weighted = [code for code in RATES if getattr(weights, code.value) > 0]
    units = counted.unit_figures()
    scored = sorted(((score(f, targets, weights), name, f) for _, name, f in units),
                    key=lambda s: (s[0] is None, -(s[0] or 0), s[1]))
    score_rows = [{"rank": i + 1 if s is not None else "", "area": name,
                   **{code.value: getattr(f, code) for code in weighted}, "score": s}
                  for i, (s, name, f) in enumerate(scored)]
    score_rows.append({"rank": "", "area": t["total"],
                       **{code.value: getattr(total, code) for code in weighted},
                       "score": score(total, targets, weights)})
    weight_names = "、".join(f"{names[c]} {getattr(weights, c.value):g}" for c in weighted)
    chart = Chart("score_chart", t["score"], bars(
        [name for _, name, _ in scored], {t["score"]: [s for s, _, _ in scored]},
        title=f"{t['score']}（{period.name(request.lang)}）", share=False))
    return _document(request, ReportKind.quarterly, region, [
        Section(t["targets"], tables=[Table("targets", "", [
            Column("figure", t["figure"]), Column("target", t["target"]),
            Column("value", t["value"], "rate"), Column("status", t["status"])],
            target_rows)]),
        Section(t["scores"], lines=[t["score_line"], weight_names], tables=[Table(
            "scores", "", [Column("rank", t["rank"]), Column("area", t["area"]),
                           *(Column(c.value, names[c], "rate") for c in weighted),
                           Column("score", t["score"], "number")], score_rows, total=True)],
            charts=[chart])])
