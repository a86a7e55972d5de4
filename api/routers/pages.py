"""The web pages: a supervisor's region overview, cell worklist and case file, and the grid
worker's phone page. Server-rendered (Jinja2); forms post to these routes, which call the
domain services and redirect back (POST-redirect-GET). The worker page's records go to
POST /screenings from its own script (api/static/worker.js), through a queue on the phone.

Who is looking is not known yet: the sign-in issue fills `{% block user %}` in base.html and
replaces the `worker` query parameter with the signed-in worker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from api import labels
from api.deps import Db, Policy, RepeatPolicyDep, SettingsDep
from api.problems import STATUS
from gridrisk.cases import service as case_service
from gridrisk.cases.errors import TransitionRefused
from gridrisk.cases.repeats import case_repeats
from gridrisk.cases.schemas import CaseEventIn
from gridrisk.cycles import assignments as assignment_service
from gridrisk.cycles import service as cycle_service
from gridrisk.cycles.mapping import cycle_map_frames
from gridrisk.cycles.schemas import AssignmentDecision, AssignmentOutcome, CycleOut
from gridrisk.errors import GridriskError, NotFound, StaleVersion
from gridrisk.pages import service as page_service
from gridrisk.policy import DeadlinePolicy, RepeatPolicy
from gridrisk.regions.service import get_region
from gridrisk.vocab import (
    AssignmentStatus,
    Category,
    ClosureType,
    EventLevel,
    EventType,
    Outcome,
    Severity,
)
from maps.assets import ASSET_URL
from maps.cycle import cycle_map
from models.display import shown_probability

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
#: where the app serves STATIC_DIR
STATIC_URL = "/assets/pages"
TOP_CELLS = 20
WORKER_ASSIGNMENTS = 200


def page_lang(request: Request, lang: Annotated[str | None, Query(
        pattern="^(zh|en)$", description="zh (default) or en")] = None) -> str:
    return lang or request.app.state.settings.lang


Lang = Annotated[str, Depends(page_lang)]


async def form_fields(request: Request) -> dict[str, str]:
    """An urlencoded form's fields (the pages' forms send nothing else); the last value of a
    repeated field wins, an absent one is absent."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {k: v.strip() for k, v in parse_qsl(body, keep_blank_values=True)}


Form = Annotated[dict[str, str], Depends(form_fields)]


class View:
    """What every template gets: the language, its words, and links that keep it."""

    def __init__(self, request: Request, lang: str) -> None:
        self.request = request
        self.lang = lang
        self.t = labels.text(lang)
        self.codes = labels.codes(lang)
        self.zone = ZoneInfo(request.app.state.settings.timezone)

    def link(self, path: str, **query: Any) -> str:
        params = {k: v for k, v in query.items() if v is not None and v != ""}
        if self.lang != "zh":
            params["lang"] = self.lang
        return path + ("?" + urlencode(params) if params else "")

    def other_lang_url(self) -> str:
        other = "en" if self.lang == "zh" else "zh"
        query = [(k, v) for k, v in self.request.query_params.multi_items() if k != "lang"]
        return self.request.url.path + "?" + urlencode([*query, ("lang", other)])

    def name(self, vocabulary: str, code: str | None) -> str:
        if code is None:
            return ""
        return self.codes[vocabulary].get(str(code), str(code))

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(self.request, template, {
            "lang": self.lang, "t": self.t, "codes": self.codes, "link": self.link,
            "name": self.name, "other_lang_url": self.other_lang_url(),
            "static": STATIC_URL, "map_assets": ASSET_URL, "deadline": self.deadline,
            "fmt": self.fmt, "local": self.local, "pct": shown_probability, **context},
            status_code=status_code)

    def deadline(self, days_left: int | None) -> str:
        if days_left is None:
            return self.t["no_deadline"]
        if days_left < 0:
            return self.t["overdue_days"].format(n=-days_left)
        if days_left == 0:
            return self.t["due_today"]
        return self.t["days_left"].format(n=days_left)

    def local(self, at: datetime) -> datetime:
        """A stored time on the local clock (dates in case files are local midnights)."""
        return at.astimezone(self.zone)

    def fmt(self, key: str, **values: Any) -> str:
        return self.t[key].format(**values)

    def error(self, exc: GridriskError) -> HTMLResponse:
        status = next(STATUS[k] for k in type(exc).__mro__ if k in STATUS)
        title = self.t["not_found"] if status == 404 else self.t["error"]
        return self.render("error.html", status, title=title, message=str(exc))


def _view(request: Request, lang: Lang) -> View:
    return View(request, lang)


ViewDep = Annotated[View, Depends(_view)]


def _shown(view: View, build: Callable[[], HTMLResponse]) -> HTMLResponse:
    """The page, or the error page with the status the error's problem would have."""
    try:
        return build()
    except GridriskError as exc:
        return view.error(exc)


def _back(target: str | None, fallback: str) -> str:
    """Only a path on this site's pages: a form's `back` field is never an open redirect."""
    if target and target.startswith("/pages/") and not urlsplit(target).netloc:
        return target
    return fallback


def _with(url: str, **query: str) -> str:
    """The page to go back to, with this outcome's message instead of an earlier one."""
    parts = urlsplit(url)
    params = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("decided", "error")]
    return parts.path + "?" + urlencode([*params, *query.items()])


def _today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


# -- supervisor --------------------------------------------------------------------------


@router.get("/")
def home(db: Db, view: ViewDep) -> Response:
    """The overview of the latest cycle's region."""
    try:
        cycle = cycle_service.latest_cycle(db)
    except NotFound:
        return view.render("error.html", 404, title=view.t["not_found"],
                           message=view.t["no_cycle"])
    return RedirectResponse(view.link(f"/pages/regions/{cycle.region_code}", cycle=cycle.id),
                            status_code=307)


def _cycle(db: Db, cycle: int | None) -> CycleOut:
    return cycle_service.get_cycle(db, cycle) if cycle is not None else (
        cycle_service.latest_cycle(db))


@router.get("/pages/regions/{code}")
def region_page(code: str, db: Db, view: ViewDep, settings: SettingsDep,
                cycle: int | None = None) -> HTMLResponse:
    def build() -> HTMLResponse:
        chosen = _cycle(db, cycle)
        region = get_region(db, code)
        return view.render(
            "region.html", region=region, cycle=chosen,
            cycles=cycle_service.list_cycles(db, limit=20),
            cells=cycle_service.cycle_cells(db, chosen.id, region_code=code, limit=TOP_CELLS),
            overdue=page_service.overdue_cases(db, chosen.id, code),
            late=page_service.overdue_assignments(db, chosen.id, code,
                                                  timezone=settings.timezone),
            map_url=view.link(f"/pages/cycles/{chosen.id}/map", region=code))
    return _shown(view, build)


@router.get("/pages/cycles/{cycle_id}/map")
def map_page(cycle_id: int, db: Db, view: ViewDep, settings: SettingsDep,
             region: str | None = None) -> HTMLResponse:
    """The cycle's map (maps.cycle.cycle_map); its cell popups link to the cell pages."""
    def build() -> HTMLResponse:
        chosen = cycle_service.get_cycle(db, cycle_id)
        cells, cases, outlines = cycle_map_frames(db, cycle_id, region)
        if cells.empty:
            raise NotFound(f"no cells of screening cycle {cycle_id} under region {region}")
        title = view.fmt("cycle_of", cadence=view.name("cadence", chosen.cadence),
                         as_of=chosen.as_of)
        html = cycle_map(
            cells, cases, outlines=outlines, lang=view.lang, title=title,
            tile_url=settings.tile_url, tile_attribution=settings.tile_attribution,
            asset_url=ASSET_URL, max_embedded_cells=settings.map_max_cells,
            tile_endpoint=f"/tiles/cells/{{z}}/{{x}}/{{y}}.mvt?cycle={cycle_id}",
            code_labels=view.codes,
            cell_url=view.link(f"/pages/cycles/{cycle_id}/cells/{{cell_code}}"))
        return HTMLResponse(html)
    return _shown(view, build)


@router.get("/pages/cycles/{cycle_id}/cells/{cell_code}")
def cell_page(cycle_id: int, cell_code: str, db: Db, view: ViewDep,
              decided: int | None = None, error: str | None = None) -> HTMLResponse:
    def build() -> HTMLResponse:
        chosen = cycle_service.get_cycle(db, cycle_id)
        found = cycle_service.worklist(db, cycle_id, cell_code)
        changed = next((a for a in found.assignments if a.id == decided), None)
        here = view.link(f"/pages/cycles/{cycle_id}/cells/{cell_code}")
        return view.render("cell.html", cycle=chosen, worklist=found, cell=found.cell,
                           changed=changed, error=error, here=here,
                           overview=view.link(f"/pages/regions/{chosen.region_code}",
                                              cycle=cycle_id))
    return _shown(view, build)


@router.post("/pages/assignments/{assignment_id}/decision")
def decide(assignment_id: int, form: Form, db: Db, view: ViewDep, settings: SettingsDep
           ) -> Response:
    """accept / reassign / drop from the cell page, then back to it."""
    try:
        current = assignment_service.get_assignment(db, assignment_id,
                                                    timezone=settings.timezone)
    except GridriskError as exc:
        return view.error(exc)
    back = _back(form.get("back"), view.link(
        f"/pages/cycles/{current.cycle_id}/cells/{current.cell_code}"))
    try:
        decision = AssignmentDecision(action=form.get("action", ""),
                                      assignee=form.get("assignee") or None,
                                      note=form.get("note") or None)
        assignment_service.decide(db, assignment_id, decision, timezone=settings.timezone)
    except ValidationError as exc:
        return RedirectResponse(_with(back, error=_validation_text(exc)), status_code=303)
    except GridriskError as exc:
        return RedirectResponse(_with(back, error=str(exc)), status_code=303)
    return RedirectResponse(_with(back, decided=str(assignment_id)) + f"#a{assignment_id}",
                            status_code=303)


@router.get("/pages/cases/{case_id}")
def case_page(case_id: str, db: Db, view: ViewDep, settings: SettingsDep, policy: Policy,
              repeat_policy: RepeatPolicyDep, added: str | None = None,
              cycle: int | None = None) -> HTMLResponse:
    return _shown(view, lambda: _case_view(db, view, settings.timezone, policy, repeat_policy,
                                           case_id, added=added, cycle=cycle))


def _case_view(db: Db, view: View, timezone: str, policy: DeadlinePolicy,
               repeat_policy: RepeatPolicy, case_id: str, *, status_code: int = 200,
               added: str | None = None, error: str | None = None,
               entered: dict[str, str] | None = None, cycle: int | None = None
               ) -> HTMLResponse:
    """The case file, its risks in a screening cycle (the one the page came from, else the
    latest) and its repeat cases."""
    case = case_service.get_case(db, case_id, policy=policy, timezone=timezone)
    case_file = case_service.get_case_file(db, case_id)
    return view.render(
        "case.html", status_code, case=case, events=case_file.events, added=added,
        risk=page_service.case_risk(db, case_id, cycle_id=cycle),
        repeat_links=case_repeats(db, case_id, rules=repeat_policy),
        error=error, entered=entered or {"on": _today(timezone).isoformat()},
        event_types=[e.value for e in EventType], levels=[e.value for e in EventLevel],
        closure_types=[c.value for c in ClosureType])


@router.post("/pages/cases/{case_id}/events")
def append_event(case_id: str, form: Form, db: Db, view: ViewDep, settings: SettingsDep,
                 policy: Policy, repeat_policy: RepeatPolicyDep) -> Response:
    """One event for the case file, at the version the form was read at; a refusal shows the
    page again with its reason and what was entered."""
    kind = form.get("type", "")
    detail = {"closed": form.get("closure"), "followed_up": form.get("satisfaction")}.get(
        kind, form.get("detail")) or None
    try:
        event = CaseEventIn(at=form.get("on", ""), type=kind, detail=detail,
                            level=form.get("level") or None)
        version = int(form["version"]) if form.get("version", "").isdigit() else None
        case_service.append_event(db, case_id, event, expected=version, policy=policy,
                                  timezone=settings.timezone)
    except ValidationError as exc:
        return _refused(db, view, settings.timezone, (policy, repeat_policy), case_id, form,
                        422, _validation_text(exc))
    except StaleVersion:
        return _refused(db, view, settings.timezone, (policy, repeat_policy), case_id, form,
                        412, view.t["stale"])
    except TransitionRefused as exc:
        return _refused(db, view, settings.timezone, (policy, repeat_policy), case_id, form,
                        422, view.t["refused"] + str(exc))
    except NotFound as exc:
        return view.error(exc)
    except GridriskError as exc:
        status = next(STATUS[k] for k in type(exc).__mro__ if k in STATUS)
        return _refused(db, view, settings.timezone, (policy, repeat_policy), case_id, form,
                        status, str(exc))
    return RedirectResponse(view.link(f"/pages/cases/{case_id}", added=kind),
                            status_code=303)


def _refused(db: Db, view: View, timezone: str, policies: tuple[DeadlinePolicy, RepeatPolicy],
             case_id: str, form: dict[str, str], status: int, message: str) -> HTMLResponse:
    return _shown(view, lambda: _case_view(db, view, timezone, *policies, case_id,
                                           status_code=status, error=message, entered=form))


def _validation_text(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'form'}: "
                     f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors())


# -- grid worker -------------------------------------------------------------------------


@router.get("/pages/worker")
def worker_page(db: Db, view: ViewDep, settings: SettingsDep,
                worker: Annotated[str | None, Query(max_length=64)] = None,
                error: str | None = None) -> HTMLResponse:
    """Phone first: the worker's cells with one-tap "nothing found", a dispute form, and
    their assignments. Records queue on the phone (worker.js) until they are sent."""
    if not worker:
        return view.render("worker_sign_in.html")
    cells = page_service.worker_cells(db, worker)
    tasks = [a for a in assignment_service.list_assignments(
        db, assignee=worker, timezone=settings.timezone, limit=WORKER_ASSIGNMENTS)
        if a.status in (AssignmentStatus.accepted, AssignmentStatus.proposed)]
    t = view.t
    config = {
        "worker": worker, "lang": view.lang, "tile_url": settings.tile_url,
        "service_worker": "/pages/worker-sw.js",
        "tile_attribution": settings.tile_attribution,
        "cells": {c.cell_code: {"name": c.cell_name, "lon": c.lon, "lat": c.lat}
                  for c in cells},
        "outlines": {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": c.geometry,
             "properties": {"cell_code": c.cell_code, "name": c.cell_name}} for c in cells]},
        "text": {k: t[k] for k in ("queue", "queue_empty", "sent", "queued", "rejected",
                                   "sign_in_needed", "nothing_value", "found_value",
                                   "locating", "location_failed", "no_position")},
    }
    return view.render(
        "worker.html", worker=worker, cells=cells, tasks=tasks, config=config, error=error,
        here=view.link("/pages/worker", worker=worker),
        categories=[c.value for c in Category], severities=[s.value for s in Severity],
        outcomes=[o.value for o in Outcome if o != Outcome.became_case])


@router.get("/pages/worker-sw.js")
def worker_service_worker() -> FileResponse:
    """worker-sw.js served under /pages/, so its scope covers the worker page."""
    return FileResponse(STATIC_DIR / "worker-sw.js", media_type="text/javascript",
                        headers={"Cache-Control": "no-cache"})


@router.post("/pages/assignments/{assignment_id}/outcome")
def record_outcome(assignment_id: int, form: Form, db: Db, view: ViewDep,
                   settings: SettingsDep) -> Response:
    """The worker's "done" with what was done, then back to their page."""
    back = _back(form.get("back"), view.link("/pages/worker"))
    try:
        outcome = AssignmentOutcome(outcome=form.get("outcome", ""),
                                    note=form.get("note") or None)
        assignment_service.record_outcome(db, assignment_id, outcome,
                                          timezone=settings.timezone)
    except ValidationError as exc:
        return RedirectResponse(_with(back, error=_validation_text(exc)), status_code=303)
    except GridriskError as exc:
        return RedirectResponse(_with(back, error=str(exc)), status_code=303)
    return RedirectResponse(back, status_code=303)
