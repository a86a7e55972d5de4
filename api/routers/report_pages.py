"""The report pages: a region's reports and figures (reached from its overview), each period
report as a page with its PDF and XLSX, the supervisors' daily zero-report page, which fills in
as records arrive, and the backlog campaigns with their progress and a form to assign a case.
Filtered to the caller's scope like the JSON resources."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.deps import Db, PolicyFile, SettingsDep, audit
from api.routers.pages import Form, ViewDep, _shown, _validation_text, _with
from gridrisk.access.roles import Action
from gridrisk.access.scope import Scope
from gridrisk.campaigns import service as campaign_service
from gridrisk.campaigns.schemas import CampaignCaseIn
from gridrisk.campaigns.service import SIX_ONES
from gridrisk.cases.service import latest_data_on
from gridrisk.errors import GridriskError
from gridrisk.regions.service import get_region
from gridrisk.reports import periodic
from gridrisk.reports.periods import parse_period, period_of
from gridrisk.reports.render import to_html
from gridrisk.reports.service import indicators, zero_report
from gridrisk.vocab import Indicator, ReportKind

router = APIRouter(include_in_schema=False)


def _report_scope(view: ViewDep) -> Scope:
    """Where the signed-in caller may read reports (a 403 page for a role that may not)."""
    return view.require(Action.read_reports).scope


ReportScope = Annotated[Scope, Depends(_report_scope)]
KIND_PERIOD = {ReportKind.weekly: "week", ReportKind.monthly: "month",
               ReportKind.quarterly: "quarter"}


def _today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


@router.get("/pages/regions/{code}/reports")
def reports_page(code: str, db: Db, view: ViewDep, settings: SettingsDep,
                 policy: PolicyFile, scope: ReportScope) -> HTMLResponse:
    """Links to this and the last period's reports, this month's figures, the zero report,
    the ledger and the campaigns."""
    def build() -> HTMLResponse:
        region = get_region(db, code, scope=scope)
        as_of = latest_data_on(db.connection(), timezone=settings.timezone) or _today(
            settings.timezone)
        reports = []
        for kind, length in KIND_PERIOD.items():
            current = period_of(length, as_of)
            for period in (current, current.previous()):
                base = f"/pages/regions/{code}/reports/{kind.value}"
                api = f"/reports/{kind.value}"
                reports.append({
                    "kind": kind.value, "period": period.name(view.lang),
                    "page": view.link(base, period=period.label),
                    "pdf": view.link(api, region=code, period=period.label, format="pdf"),
                    "xlsx": view.link(api, region=code, period=period.label,
                                      format="xlsx")})
        month = period_of("month", as_of)
        found = indicators(db, region_code=code, period=month, by=None, scope=scope,
                           policy=policy, timezone=settings.timezone).figures
        figures = []
        for key in Indicator:
            figure = getattr(found, key)
            if hasattr(figure, "percent"):
                value, n, d = figure.percent(), figure.numerator, figure.denominator
            elif key == Indicator.days_to_close:
                value = "—" if figure.rate is None else f"{figure.rate:.1f}"
                n, d = figure.numerator, figure.denominator
            elif key == Indicator.escalations:
                value, n, d = figure.count, figure.count, figure.open_cases
            else:
                value, n, d = figure.count, "", ""
            figures.append({"name": view.name("indicator", key), "value": value, "n": n,
                            "d": d})
        return view.render(
            "reports.html", region=region, as_of=as_of, reports=reports, figures=figures,
            month=month.name(view.lang),
            json_url=f"/indicators?region={code}&period={month.label}",
            zero_url=view.link(f"/pages/regions/{code}/zero-report"),
            ledger_url=f"/ledger.xlsx?region={code}",
            campaigns_url=view.link("/pages/campaigns", region=code),
            overview=view.link(f"/pages/regions/{code}"))
    return _shown(view, build)


@router.get("/pages/regions/{code}/reports/{kind}")
def report_page(code: str, kind: str, db: Db, view: ViewDep, settings: SettingsDep,
                policy: PolicyFile, scope: ReportScope,
                period: Annotated[str | None, Query()] = None) -> HTMLResponse:
    """The report as its own page (the standalone file's HTML), with links back and to its
    PDF and XLSX."""
    def build() -> HTMLResponse:
        as_of = latest_data_on(db.connection(), timezone=settings.timezone) or _today(
            settings.timezone)
        chosen = parse_period(period) if period else period_of(
            KIND_PERIOD.get(kind, "month"), as_of)  # type: ignore[call-overload]
        doc = periodic.build_report(kind, periodic.Request(
            db, code, chosen, view.lang, scope, policy, settings.timezone,
            _today(settings.timezone)))
        api = f"/reports/{kind}"
        links = [(view.t["back_to_reports"], view.link(f"/pages/regions/{code}/reports")),
                 ("PDF", view.link(api, region=code, period=chosen.label, format="pdf")),
                 ("XLSX", view.link(api, region=code, period=chosen.label, format="xlsx")),
                 (view.t["lang_other"], view.other_lang_url())]
        return HTMLResponse(to_html(doc, links=links))
    return _shown(view, build)


@router.get("/pages/regions/{code}/zero-report")
def zero_report_page(code: str, db: Db, view: ViewDep, settings: SettingsDep,
                     policy: PolicyFile, scope: ReportScope,
                     day: Annotated[date | None, Query()] = None) -> HTMLResponse:
    """Which cells have reported today by the report time; refreshes itself."""
    def build() -> HTMLResponse:
        chosen = day or _today(settings.timezone)
        found = zero_report(db, region_code=code, day=chosen, scope=scope, policy=policy,
                            timezone=settings.timezone)
        status = {s: view.t[f"status_{s}"] for s in ("on_time", "late", "missing")}
        return view.render(
            "zero_report.html", report=found, status=status,
            now=datetime.now(ZoneInfo(settings.timezone)).strftime("%H:%M:%S"),
            config={"url": f"/zero-reports?region={code}&day={chosen}", "lang": view.lang,
                    "status": status})
    return _shown(view, build)


@router.get("/pages/campaigns")
def campaigns_page(db: Db, view: ViewDep, scope: ReportScope,
                   region: Annotated[str | None, Query()] = None) -> HTMLResponse:
    def build() -> HTMLResponse:
        found = get_region(db, region, scope=scope) if region else None
        return view.render(
            "campaigns.html", region=found,
            campaigns=campaign_service.list_campaigns(db, region_code=region, scope=scope),
            reports_url=view.link(f"/pages/regions/{region}/reports") if region else None)
    return _shown(view, build)


@router.get("/pages/campaigns/{campaign_id}")
def campaign_page(campaign_id: int, db: Db, view: ViewDep, settings: SettingsDep,
                  policy: PolicyFile, scope: ReportScope, changed: str | None = None,
                  error: str | None = None) -> HTMLResponse:
    """Progress to zero, what each case still lacks, and a form to assign a case."""
    def build() -> HTMLResponse:
        found = campaign_service.campaign_progress(db, campaign_id, as_of=None, scope=scope,
                                                   policy=policy, timezone=settings.timezone)
        return view.render(
            "campaign.html", p=found, changed=changed, error=error,
            ones={k: view.t[f"one_{k}"] for k in SIX_ONES},
            report_urls={fmt: view.link(f"/campaigns/{campaign_id}/report", format=fmt)
                         for fmt in ("html", "pdf", "xlsx")},
            ledger_url=f"/ledger.xlsx?campaign={campaign_id}")
    return _shown(view, build)


@router.post("/pages/campaigns/{campaign_id}/cases")
def assign_case(campaign_id: int, request: Request, form: Form, db: Db, view: ViewDep
                ) -> Response:
    """The form's fields that are filled in, then back to the campaign (POST-redirect-GET)."""
    back = view.link(f"/pages/campaigns/{campaign_id}")
    case_id = form.get("case_id", "")
    given = {k: form[k] for k in ("leader", "team", "plan", "deadline_on") if form.get(k)}
    try:
        caller = view.require(Action.manage_campaigns)
        campaign_service.set_campaign_case(db, campaign_id, case_id, CampaignCaseIn(**given),
                                           scope=caller.scope)
        audit(db, request, caller, Action.manage_campaigns, str(campaign_id),
              {"case_id": case_id, **given})
    except ValidationError as exc:
        return RedirectResponse(_with(back, error=_validation_text(exc)), status_code=303)
    except GridriskError as exc:
        return RedirectResponse(_with(back, error=str(exc)), status_code=303)
    return RedirectResponse(_with(back, changed=case_id), status_code=303)
