"""The web pages: a supervisor's region overview, cell worklist and case file, and the grid
worker's phone page. Server-rendered (Jinja2); forms post to these routes, which call the
domain services and redirect back (POST-redirect-GET). The worker page's records go to
POST /screenings from its own script (api/static/worker.js), through a queue on the phone.

Every page but the sign-in page needs a signed-in caller (the session cookie; without one, a
redirect to /sign-in); what their role may not do is a 403 page, what lies outside their
regions a 404 page like anything absent. Every form carries the CSRF cookie's value back."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from api import labels, problems
from api.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    AccessPolicyDep,
    Db,
    PolicyFile,
    SessionCookie,
    SettingsDep,
    VaultDep,
    audit,
    check_csrf,
    client_address,
    permitting,
)
from gridrisk.access import service as access
from gridrisk.access.roles import Action, may
from gridrisk.access.schemas import Caller
from gridrisk.cases import service as case_service
from gridrisk.cases.errors import TransitionRefused
from gridrisk.cases.repeats import case_repeats
from gridrisk.cases.schemas import CaseEventIn
from gridrisk.cycles import assignments as assignment_service
from gridrisk.cycles import results as cycle_results
from gridrisk.cycles.mapping import cycle_map_frames
from gridrisk.cycles.schemas import AssignmentDecision, AssignmentOutcome, CycleOut
from gridrisk.errors import (
    Forbidden,
    GridriskError,
    NotFound,
    NotSignedIn,
    PreconditionRequired,
    StaleVersion,
    TooManyAttempts,
)
from gridrisk.pages import service as page_service
from gridrisk.policy import Policy as WholePolicy
from gridrisk.privacy import service as contact_service
from gridrisk.privacy.schemas import ContactView
from gridrisk.privacy.vault import Vault
from gridrisk.regions.service import get_region
from gridrisk.vocab import (
    AssignmentStatus,
    Category,
    ClosureType,
    EventLevel,
    EventType,
    Outcome,
    Role,
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
#: the paths answered with pages (errors as HTML, no sign-in as a redirect), not problems
PAGE_PATHS = ("/pages/", "/sign-in", "/sign-out")


def page_lang(request: Request, lang: Annotated[str | None, Query(
        pattern="^(zh|en)$", description="zh (default) or en")] = None) -> str:
    return lang or request.app.state.settings.lang


Lang = Annotated[str, Depends(page_lang)]


async def form_fields(request: Request) -> dict[str, str]:
    """An urlencoded form's fields (the pages' forms send nothing else), once its CSRF field
    matched the cookie; the last value of a repeated field wins, an absent one is absent."""
    body = (await request.body()).decode("utf-8", errors="replace")
    fields = {k: v.strip() for k, v in parse_qsl(body, keep_blank_values=True)}
    check_csrf(request, fields.pop("csrf", None))
    return fields


Form = Annotated[dict[str, str], Depends(form_fields)]


def page_caller(db: Db, cookie: SessionCookie) -> Caller:
    """The signed-in caller of a page; without one, NotSignedIn (a redirect to /sign-in)."""
    caller = access.find_caller(db, cookie) if cookie else None
    if caller is None:
        raise NotSignedIn("sign in first")
    return caller


PageCaller = Annotated[Caller, Depends(page_caller)]


class View:
    """What every template gets: the language, its words, links that keep it, the caller and
    the CSRF token their forms carry back."""

    def __init__(self, request: Request, lang: str, caller: Caller | None = None) -> None:
        self.request = request
        self.lang = lang
        self.caller = caller
        self.csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
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

    def may(self, action: Action) -> bool:
        """Whether the caller's role may `action` (what a page offers them)."""
        return self.caller is not None and may(self.caller.role, action)

    def require(self, action: Action) -> Caller:
        """The caller, if their role may `action` (else RoleForbids: a 403 page)."""
        assert self.caller is not None
        return permitting(action, self.caller)

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        response = templates.TemplateResponse(self.request, template, {
            "lang": self.lang, "t": self.t, "codes": self.codes, "link": self.link,
            "name": self.name, "other_lang_url": self.other_lang_url(),
            "static": STATIC_URL, "map_assets": ASSET_URL, "deadline": self.deadline,
            "fmt": self.fmt, "local": self.local, "pct": shown_probability,
            "caller": self.caller, "csrf": self.csrf, **context}, status_code=status_code)
        keep_csrf(self.request, response, self.csrf)
        return response

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
        status = problems.status_of(exc)
        title = self.t["not_found"] if status == 404 else self.t["error"]
        return self.render("error.html", status, title=title, message=str(exc))


def secure(request: Request) -> bool:
    """Cookies are Secure when the page came over https (directly or from the proxy)."""
    return request.url.scheme == "https"


def keep_csrf(request: Request, response: Response, token: str) -> None:
    """The CSRF cookie, set once: readable by the page's own script (worker.js sends it back
    as X-CSRF-Token), never sent by another site's form along with its value."""
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(CSRF_COOKIE, token, httponly=False, samesite="lax",
                            secure=secure(request), path="/")


def _view(request: Request, lang: Lang, caller: PageCaller) -> View:
    return View(request, lang, caller)


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


# -- signing in ---------------------------------------------------------------------------


def _public_view(request: Request, lang: Lang) -> View:
    return View(request, lang)


PublicView = Annotated[View, Depends(_public_view)]


@router.get("/sign-in")
def sign_in_page(view: PublicView, next: Annotated[str | None, Query(max_length=2000)] = None
                 ) -> HTMLResponse:
    return view.render("sign_in.html", next=_back(next, "/"), message=None, entered_name="")


@router.post("/sign-in")
async def sign_in(request: Request, db: Db, view: PublicView, policy: AccessPolicyDep
                  ) -> Response:
    """A right name and password: a session cookie (HttpOnly, SameSite=Lax, Secure over
    https) and on to where the caller was going; a wrong one: the form again (401), too
    many: 429."""
    form = await form_fields(request)
    name, target = form.get("name", ""), _back(form.get("next"), "/")
    try:
        token = access.sign_in(db, name, form.get("password", ""),
                               address=client_address(request), policy=policy)
    except TooManyAttempts:
        return view.render("sign_in.html", 429, next=target, entered_name=name,
                           message=view.fmt("too_many", n=policy.failed_sign_in_minutes))
    except NotSignedIn:
        return view.render("sign_in.html", 401, next=target, entered_name=name,
                           message=view.t["sign_in_failed"])
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, max_age=policy.session_hours * 3600,
                        httponly=True, samesite="lax", secure=secure(request), path="/")
    keep_csrf(request, response, secrets.token_urlsafe(32))  # a new one for the session
    return response


@router.post("/sign-out")
def sign_out(request: Request, db: Db, form: Form, caller: PageCaller, view: ViewDep
             ) -> Response:
    access.sign_out(db, caller, address=client_address(request))
    response = RedirectResponse(view.link("/sign-in"), status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def install(app: FastAPI) -> None:
    """Errors on page paths as pages: no sign-in is a redirect to /sign-in, the rest the
    error page with the status its problem would have."""
    def page_or_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, GridriskError)
        path = request.url.path
        if path != "/" and not path.startswith(PAGE_PATHS):
            return problems.gridrisk_problem(request, exc)
        if isinstance(exc, NotSignedIn):
            query = urlencode({"next": _back(str(request.url.path) + (
                "?" + request.url.query if request.url.query else ""), "/")})
            return RedirectResponse(f"/sign-in?{query}", status_code=303)
        lang = request.query_params.get("lang")
        view = View(request, lang if lang in labels.TEXT else request.app.state.settings.lang)
        return view.error(exc)

    app.add_exception_handler(GridriskError, page_or_problem)


# -- supervisor --------------------------------------------------------------------------


@router.get("/")
def home(db: Db, view: ViewDep) -> Response:
    """A grid worker's page, or the overview of the latest cycle of the caller's region."""
    caller = view.caller
    assert caller is not None
    if caller.role == Role.worker:
        return RedirectResponse(view.link("/pages/worker"), status_code=307)
    try:
        cycle = cycle_results.latest_cycle(db, scope=caller.scope)
    except NotFound:
        return view.render("error.html", 404, title=view.t["not_found"],
                           message=view.t["no_cycle"])
    try:
        region = get_region(db, cycle.region_code, scope=caller.scope).code
    except NotFound:  # a township's supervisor reading the county's cycle
        region = caller.scope.regions[0]
    return RedirectResponse(view.link(f"/pages/regions/{region}", cycle=cycle.id),
                            status_code=307)


def _cycle(db: Db, cycle: int | None, caller: Caller) -> CycleOut:
    return cycle_results.get_cycle(db, cycle, scope=caller.scope) if cycle is not None else (
        cycle_results.latest_cycle(db, scope=caller.scope))


@router.get("/pages/regions/{code}")
def region_page(code: str, db: Db, view: ViewDep, settings: SettingsDep,
                cycle: int | None = None) -> HTMLResponse:
    def build() -> HTMLResponse:
        caller = view.require(Action.read_cycles)
        scope = caller.scope
        chosen = _cycle(db, cycle, caller)
        region = get_region(db, code, scope=scope)
        return view.render(
            "region.html", region=region, cycle=chosen,
            cycles=cycle_results.list_cycles(db, limit=20, scope=scope),
            cells=cycle_results.cycle_cells(db, chosen.id, region_code=code, limit=TOP_CELLS,
                                            scope=scope),
            overdue=page_service.overdue_cases(db, chosen.id, code, scope=scope),
            late=page_service.overdue_assignments(db, chosen.id, code,
                                                  timezone=settings.timezone, scope=scope),
            map_url=view.link(f"/pages/cycles/{chosen.id}/map", region=code))
    return _shown(view, build)


@router.get("/pages/cycles/{cycle_id}/map")
def map_page(cycle_id: int, db: Db, view: ViewDep, settings: SettingsDep,
             region: str | None = None) -> HTMLResponse:
    """The cycle's map (maps.cycle.cycle_map) of the caller's cells; its cell popups link to
    the cell pages."""
    def build() -> HTMLResponse:
        scope = view.require(Action.read_cycles).scope
        chosen = cycle_results.get_cycle(db, cycle_id, scope=scope)
        cells, cases, outlines = cycle_map_frames(db, cycle_id, region, scope=scope)
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
        scope = view.require(Action.read_cycles).scope
        chosen = cycle_results.get_cycle(db, cycle_id, scope=scope)
        found = cycle_results.worklist(db, cycle_id, cell_code, scope=scope)
        changed = next((a for a in found.assignments if a.id == decided), None)
        here = view.link(f"/pages/cycles/{cycle_id}/cells/{cell_code}")
        return view.render("cell.html", cycle=chosen, worklist=found, cell=found.cell,
                           changed=changed, error=error, here=here,
                           overview=view.link(f"/pages/regions/{chosen.region_code}",
                                              cycle=cycle_id))
    return _shown(view, build)


@router.post("/pages/assignments/{assignment_id}/decision")
def decide(assignment_id: int, request: Request, form: Form, db: Db, view: ViewDep,
           settings: SettingsDep) -> Response:
    """accept / reassign / drop from the cell page, then back to it."""
    try:
        caller = view.require(Action.decide_assignment)
        current = assignment_service.get_assignment(db, assignment_id,
                                                    timezone=settings.timezone,
                                                    scope=caller.scope)
    except GridriskError as exc:
        return view.error(exc)
    back = _back(form.get("back"), view.link(
        f"/pages/cycles/{current.cycle_id}/cells/{current.cell_code}"))
    try:
        decision = AssignmentDecision(action=form.get("action", ""),
                                      assignee=form.get("assignee") or None,
                                      note=form.get("note") or None)
        decided = assignment_service.decide(db, assignment_id, decision,
                                            timezone=settings.timezone, scope=caller.scope)
    except ValidationError as exc:
        return RedirectResponse(_with(back, error=_validation_text(exc)), status_code=303)
    except GridriskError as exc:
        return RedirectResponse(_with(back, error=str(exc)), status_code=303)
    audit(db, request, caller, Action.decide_assignment, str(assignment_id),
          {"action": decision.action, "assignee": decided.assignee})
    return RedirectResponse(_with(back, decided=str(assignment_id)) + f"#a{assignment_id}",
                            status_code=303)


@router.get("/pages/cases/{case_id}")
def case_page(case_id: str, db: Db, view: ViewDep, settings: SettingsDep, policy: PolicyFile,
              vault: VaultDep, added: str | None = None, cycle: int | None = None
              ) -> HTMLResponse:
    return _shown(view, lambda: _case_view(db, view, vault, settings.timezone, policy,
                                           case_id, added=added, cycle=cycle))


@router.post("/pages/cases/{case_id}/contact")
def contact_view(case_id: str, request: Request, form: Form, db: Db, view: ViewDep,
                 settings: SettingsDep, policy: PolicyFile, vault: VaultDep) -> HTMLResponse:
    """The case page with the contact and the free text in clear ("show contact"), for a
    handler or supervisor whose scope holds the case; a POST (with the form's CSRF field),
    so the showing is a deliberate act that no link, prefetch or cache repeats. Every
    showing is in the audit log."""
    def build() -> HTMLResponse:
        caller = view.require(Action.show_contact)
        revealed = contact_service.reveal_contact(db, vault, case_id, scope=caller.scope)
        audit(db, request, caller, Action.show_contact, case_id)
        page = _case_view(db, view, vault, settings.timezone, policy, case_id,
                          revealed=revealed)
        page.headers["Cache-Control"] = "no-store"
        return page
    return _shown(view, build)


def _case_view(db: Db, view: View, vault: Vault, timezone: str, policy: WholePolicy,
               case_id: str, *, status_code: int = 200, added: str | None = None,
               error: str | None = None, entered: dict[str, str] | None = None,
               revealed: ContactView | None = None, cycle: int | None = None
               ) -> HTMLResponse:
    """The case page: its contact masked and its free text masked, unless `revealed` gives
    them in clear; its risks in a screening cycle (the one the page came from, else the
    latest) and its repeat cases."""
    scope = view.require(Action.read_cases).scope
    case = case_service.get_case(db, case_id, policy=policy.deadlines, timezone=timezone,
                                 scope=scope)
    case_file = case_service.get_case_file(db, case_id, scope=scope)
    events = case_file.events
    if revealed is not None:
        case = case.model_copy(update={"summary": revealed.summary})
        clear = {d.id: d.detail for d in revealed.event_details}
        events = [e.model_copy(update={"detail": clear.get(e.id, e.detail)}) for e in events]
    contact = revealed.contact if revealed is not None else (
        contact_service.masked_contact(db, vault, case_id, scope=scope)
        if case.has_contact else None)
    return view.render(
        "case.html", status_code, case=case, events=events, added=added,
        risk=page_service.case_risk(db, case_id, cycle_id=cycle),
        repeat_links=case_repeats(db, case_id, rules=policy.repeats, scope=scope),
        error=error, entered=entered or {"on": _today(timezone).isoformat()},
        contact=contact, revealed=revealed is not None,
        may_show_contact=view.may(Action.show_contact),
        event_types=[e.value for e in EventType], levels=[e.value for e in EventLevel],
        closure_types=[c.value for c in ClosureType])


@router.post("/pages/cases/{case_id}/events")
def append_event(case_id: str, request: Request, form: Form, db: Db, view: ViewDep,
                 settings: SettingsDep, policy: PolicyFile, vault: VaultDep) -> Response:
    """One event for the case file, at the version the form was read at; a refusal shows the
    page again with its reason and what was entered."""
    kind = form.get("type", "")
    detail = {"closed": form.get("closure"), "followed_up": form.get("satisfaction")}.get(
        kind, form.get("detail")) or None
    try:
        caller = view.require(Action.append_event)
        event = CaseEventIn(at=form.get("on", ""), type=kind, detail=detail,
                            level=form.get("level") or None)
        if not form.get("version", "").isdigit():
            raise PreconditionRequired(view.t["no_version"])
        case = case_service.append_event(db, case_id, event, expected=int(form["version"]),
                                         policy=policy.deadlines,
                                         timezone=settings.timezone, scope=caller.scope)
    except ValidationError as exc:
        return _refused(db, view, vault, settings.timezone, policy, case_id, form, 422,
                        _validation_text(exc))
    except StaleVersion:
        return _refused(db, view, vault, settings.timezone, policy, case_id, form, 412,
                        view.t["stale"])
    except TransitionRefused as exc:
        return _refused(db, view, vault, settings.timezone, policy, case_id, form, 422,
                        view.t["refused"] + str(exc))
    except (NotFound, Forbidden) as exc:
        return view.error(exc)
    except GridriskError as exc:
        return _refused(db, view, vault, settings.timezone, policy, case_id, form,
                        problems.status_of(exc), str(exc))
    audit(db, request, caller, Action.append_event, case_id,
          {"type": event.type.value, "version": case.version})
    return RedirectResponse(view.link(f"/pages/cases/{case_id}", added=kind),
                            status_code=303)


def _refused(db: Db, view: View, vault: Vault, timezone: str, policy: WholePolicy,
             case_id: str, form: dict[str, str], status: int, message: str) -> HTMLResponse:
    return _shown(view, lambda: _case_view(db, view, vault, timezone, policy, case_id,
                                           status_code=status, error=message, entered=form))


def _validation_text(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'form'}: "
                     f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors())


# -- grid worker -------------------------------------------------------------------------


@router.get("/pages/worker")
def worker_page(db: Db, view: ViewDep, settings: SettingsDep, error: str | None = None
                ) -> HTMLResponse:
    """Phone first: the signed-in worker's cells with one-tap "nothing found", a dispute
    form, and their assignments. Records queue on the phone (worker.js) until they are
    sent."""
    caller = view.caller
    assert caller is not None
    if caller.role != Role.worker:
        return view.error(Forbidden(view.t["workers_only"]))
    worker = caller.name
    cells = page_service.worker_cells(db, worker, caller.scope)
    tasks = [a for a in assignment_service.list_assignments(
        db, assignee=worker, timezone=settings.timezone, limit=WORKER_ASSIGNMENTS,
        scope=caller.scope)
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
        here=view.link("/pages/worker"),
        categories=[c.value for c in Category], severities=[s.value for s in Severity],
        outcomes=[o.value for o in Outcome if o != Outcome.became_case])


@router.get("/pages/worker-sw.js")
def worker_service_worker() -> FileResponse:
    """worker-sw.js served under /pages/, so its scope covers the worker page."""
    return FileResponse(STATIC_DIR / "worker-sw.js", media_type="text/javascript",
                        headers={"Cache-Control": "no-cache"})


@router.post("/pages/assignments/{assignment_id}/outcome")
def record_outcome(assignment_id: int, request: Request, form: Form, db: Db, view: ViewDep,
                   settings: SettingsDep) -> Response:
    """The worker's "done" with what was done, then back to their page."""
    back = _back(form.get("back"), view.link("/pages/worker"))
    try:
        caller = view.require(Action.record_outcome)
        outcome = AssignmentOutcome(outcome=form.get("outcome", ""),
                                    note=form.get("note") or None)
        assignment_service.record_outcome(
            db, assignment_id, outcome, timezone=settings.timezone, scope=caller.scope,
            by_assignee=caller.name if caller.role == Role.worker else None)
    except ValidationError as exc:
        return RedirectResponse(_with(back, error=_validation_text(exc)), status_code=303)
    except GridriskError as exc:
        return RedirectResponse(_with(back, error=str(exc)), status_code=303)
    audit(db, request, caller, Action.record_outcome, str(assignment_id))
    return RedirectResponse(back, status_code=303)
