"""The app factory: settings and a database bind in, a FastAPI app out.

`bind` is an Engine in production (pool_pre_ping: it reconnects by itself after the database
comes back) or a Connection in tests (each request a savepoint the test rolls back)."""

from __future__ import annotations

import gc
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Connection, Engine, create_engine

from api import problems
from api.guards import Guard
from api.openapi import document_actions, problem_media_types
from api.routers import (
    access,
    assignments,
    campaigns,
    cases,
    cycles,
    health,
    ogc,
    open311,
    pages,
    regions,
    report_pages,
    reports,
    screenings,
    tiles,
)
from gridrisk import __version__
from gridrisk.db.engine import database_url
from gridrisk.policy import load_policy
from gridrisk.privacy.vault import Vault
from gridrisk.settings import Settings, get_settings
from maps.assets import ASSET_URL, ASSETS_DIR

DOC_ASSETS = Path(fastapi_offline.__file__).parent / "static"
#: as many connections as the threadpool runs requests (anyio's default limit), so a busy
#: worker never opens and closes overflow connections per request
POOL_SIZE = 40
DESCRIPTION = """网格化信访事项与矛盾纠纷排查：事项、卷宗、排查记录与网格。

Every call needs a signed-in caller: `Authorization: Bearer TOKEN` (an API token from
`gridrisk user token NAME`), or the pages' session cookie. What a role may do is in
docs/access.md (403 with the reason otherwise); a record outside the caller's regions answers
exactly like one that does not exist (404).

Errors are RFC 9457 problem+json naming the field and the reason. Writes from the field carry
a client-generated id (the record id, or an `Idempotency-Key` header): a retry returns the
first result. Changing a case takes its version in `If-Match` (428 without it); a stale one
gets 412."""


def create_app(settings: Settings | None = None, *, bind: Engine | Connection | None = None
               ) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="gridrisk", version=__version__, description=DESCRIPTION,
                  docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.bind = bind if bind is not None else create_engine(
        database_url(settings), pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=0,
        hide_parameters=True)
    app.state.policy = load_policy(settings.policy_file)
    app.state.vault = Vault.of(settings)  # the key is read when a contact is first needed
    problems.install(app)
    app.add_middleware(Guard, max_body_bytes=settings.max_body_bytes)
    routers = [health.router, access.router, regions.router, cases.router, screenings.router,
               cycles.router, assignments.router, tiles.router, reports.router,
               campaigns.router, ogc.router, open311.router]
    document_actions(routers)
    for router in routers:
        app.include_router(router)
    app.mount(ASSET_URL, StaticFiles(directory=ASSETS_DIR), name="map-assets")
    app.include_router(pages.router)
    app.include_router(report_pages.router)
    pages.install(app)
    app.mount(pages.STATIC_URL, StaticFiles(directory=pages.STATIC_DIR), name="page-assets")
    _offline_docs(app)
    problem_media_types(app)
    return app


def _offline_docs(app: FastAPI) -> None:
    """/docs and /redoc with their scripts served here: government networks are often
    closed, so no CDN."""
    app.mount("/assets/docs", StaticFiles(directory=DOC_ASSETS), name="doc-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title="gridrisk API",
            swagger_js_url="/assets/docs/swagger-ui-bundle.js",
            swagger_css_url="/assets/docs/swagger-ui.css",
            swagger_favicon_url="/assets/docs/favicon.png")

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title="gridrisk API",
                              redoc_js_url="/assets/docs/redoc.standalone.js",
                              redoc_favicon_url="/assets/docs/favicon.png",
                              with_google_fonts=False)


def app_from_environment() -> FastAPI:
    """For `uvicorn --factory` and `gridrisk serve` (each worker builds its own)."""
    app = create_app()
    # what the imports built lives as long as the worker: keep it out of the collector's full
    # passes, which otherwise walk ~340k objects (≈ 150 ms, a stall for every request in flight)
    gc.freeze()
    return app
