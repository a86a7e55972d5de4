"""Indicators and period reports: the figures of docs/indicators.md as JSON, the weekly
dispatch, monthly bulletin and quarterly evaluation as HTML, PDF or XLSX, the daily zero
report, the case ledger. Every answer is
filtered to the caller's scope: a region outside it is an unknown region."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response

from api.deps import Db, Policy, PolicyFile, SettingsDep, audit, permit
from api.openapi import Responses
from gridrisk.access.roles import Action
from gridrisk.access.schemas import Caller
from gridrisk.reports import periodic
from gridrisk.reports.ledger import LedgerFilters, ledger
from gridrisk.reports.periods import Period, parse_period
from gridrisk.reports.render import FORMATS, render, to_xlsx
from gridrisk.reports.schemas import IndicatorsOut, ZeroReportOut
from gridrisk.reports.service import indicators as count_indicators
from gridrisk.reports.service import zero_report
from gridrisk.vocab import Category, ReportKind

Readers = Annotated[Caller, permit(Action.read_reports)]
router = APIRouter(tags=["reports"])
PROBLEMS: Responses = {
    404: {"description": "unknown region (or one outside the caller's scope)"},
    422: {"description": "a bad period, breakdown or format"}}
PeriodQuery = Annotated[str | None, Query(
    description="2026-W44 (a week), 2026-10 (a month), 2026-Q3 (a quarter) or 2026 (a year)")]
FromQuery = Annotated[date | None, Query(alias="from", description="first day, with `to` "
                                         "instead of `period`")]
ToQuery = Annotated[date | None, Query(alias="to", description="last day (included)")]


def period_of(period: str | None, first: date | None, last: date | None) -> Period:
    return parse_period(period, first=first, last=last)


@router.get("/indicators", summary="指标（分子、分母、比率）", responses=PROBLEMS)
def indicators(
    db: Db, settings: SettingsDep, policy: PolicyFile, caller: Readers,
    region: Annotated[str, Query(description="a region code")],
    period: PeriodQuery = None, first: FromQuery = None, last: ToQuery = None,
    by: Annotated[Literal["township", "village"] | None, Query(
        description="also each township or village under the region")] = None,
) -> IndicatorsOut:
    return count_indicators(db, region_code=region, period=period_of(period, first, last),
                            by=by, scope=caller.scope, policy=policy, timezone=settings.timezone)


@router.get("/reports/{kind}", summary="周调度、月通报、季考评", responses={
    **PROBLEMS, 200: {"content": {t.split(";")[0]: {} for t in FORMATS.values()},
                      "description": "the report in the format asked for"}})
def report(
    kind: ReportKind, db: Db, settings: SettingsDep, policy: PolicyFile, caller: Readers,
    region: Annotated[str, Query(description="a region code")],
    period: PeriodQuery = None, first: FromQuery = None, last: ToQuery = None,
    format: Annotated[Literal["html", "pdf", "xlsx"], Query(description="html, pdf or xlsx")]
    = "html",
    lang: Annotated[Literal["zh", "en"] | None, Query()] = None,
) -> Response:
    doc = periodic.build_report(kind, periodic.Request(
        db, region, period_of(period, first, last), lang or settings.lang, caller.scope, policy,
        settings.timezone, datetime.now(ZoneInfo(settings.timezone)).date()))
    headers = {} if format == "html" else {
        "Content-Disposition": f'attachment; filename="{doc.slug}.{format}"'}
    return Response(render(doc, format), media_type=FORMATS[format], headers=headers)


@router.get("/zero-reports", summary="每日零报告", responses=PROBLEMS)
def zero_reports(
    db: Db, settings: SettingsDep, policy: PolicyFile, caller: Readers,
    region: Annotated[str, Query(description="a region code")],
    day: Annotated[date | None, Query(description="the day (default: today)")] = None,
) -> ZeroReportOut:
    """Which cells have reported by the policy's report time, which later, which not yet."""
    return zero_report(db, region_code=region, scope=caller.scope, policy=policy,
                       day=day or datetime.now(ZoneInfo(settings.timezone)).date(),
                       timezone=settings.timezone)


@router.get("/ledger.xlsx", summary="台账（XLSX）", responses={
    **PROBLEMS, 200: {"content": {FORMATS["xlsx"]: {}}, "description": "the ledger"}})
def ledger_file(
    request: Request, db: Db, settings: SettingsDep, deadlines: Policy, caller: Readers,
    region: Annotated[str | None, Query(description="cases anywhere under this region")]
    = None,
    cell: str | None = None,
    category: Category | None = None,
    state: Literal["open", "closed"] | None = None,
    overdue: bool | None = None,
    due_within_days: Annotated[int | None, Query(ge=0, le=365)] = None,
    responsible_unit: str | None = None,
    campaign: Annotated[int | None, Query(description="only this campaign's cases, with "
                                          "its ledger numbers and six ones")] = None,
    lang: Annotated[Literal["zh", "en"] | None, Query()] = None,
) -> Response:
    """One row per case with its six ones (六个一), the case list's filters (GET /cases)."""
    doc = ledger(db, LedgerFilters(region=region, cell=cell, category=category, state=state,
                                   overdue=overdue, due_within_days=due_within_days,
                                   responsible_unit=responsible_unit, campaign=campaign),
                 scope=caller.scope, policy=deadlines, timezone=settings.timezone,
                 lang=lang or settings.lang,
                 today=datetime.now(ZoneInfo(settings.timezone)).date())
    audit(db, request, caller, "export", region, {"ledger": doc.slug, "campaign": campaign})
    return Response(to_xlsx(doc), media_type=FORMATS["xlsx"], headers={
        "Content-Disposition": f'attachment; filename="{doc.slug}.xlsx"'})
