"""gridrisk's own code, served differently: the what-if runs of http_ingest_bench.py.

Nothing in gridrisk/ or api/ is edited. ``api.app.create_app`` takes its database bind as an
argument, so the pool can change; and with VARIANT_ONE_HOP=1, POST /screenings is served by
an ``async def`` endpoint that runs gridrisk's own ``service.record_screening`` and the
commit in a single threadpool call, instead of api/routers/screenings.py's sync endpoint
with its sync generator dependency (``get_db``): FastAPI runs that as four trips between the
event loop and the threadpool (``get_db`` enter, the endpoint, the response model's
validation, ``get_db`` exit with the commit). Environment:

    VARIANT_POOL_SIZE      pool_size (default 40: anyio's default thread limit, so a request
                           thread never finds the pool empty)
    VARIANT_MAX_OVERFLOW   max_overflow (default 0)
    VARIANT_PRE_PING       1 (default) or 0: pool_pre_ping, one round trip per checkout
    VARIANT_ONE_HOP        0 (default) or 1: the one-trip endpoint above
    VARIANT_LEAN           0 (default) or 1 (with VARIANT_ONE_HOP=1): instead of
                           record_screening's statements (cell check, optional point-to-cell
                           lookup, INSERT, read-back SELECT), one INSERT … RETURNING that checks
                           the point with EXISTS and leaves the cell check to the foreign key;
                           a prototype of the suggested change, falling back to gridrisk's
                           record_screening when it inserts nothing (a retry, a conflict, a
                           point outside every cell) or the record names a case

    .venv/bin/python -m uvicorn gridrisk_variant_app:app_factory --factory --app-dir bench \\
        --workers 2
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api import problems
from api.app import create_app
from api.routers import health
from gridrisk.db.engine import database_url
from gridrisk.errors import InvalidInput
from gridrisk.regions.service import POINT_OR_NULL, wgs84_point
from gridrisk.screening import service
from gridrisk.screening.schemas import ScreeningIn, ScreeningOut
from gridrisk.settings import get_settings

LEAN_INSERT = f"""
    INSERT INTO screening_records (record_id, screened_at, worker, cell_code, found,
        category, severity, parties, geom, outcome, case_id, summary)
    SELECT :record_id, :screened_at, :worker, :cell_code, :found, :category, :severity,
        :parties, {POINT_OR_NULL}, :outcome, :case_id, :summary
    WHERE CAST(:lon AS float8) IS NULL OR EXISTS (SELECT 1 FROM cells WHERE ST_Intersects(
        geom, ST_SetSRID(ST_MakePoint(CAST(:lon AS float8), CAST(:lat AS float8)), 4326)))
    ON CONFLICT (record_id) DO NOTHING
    RETURNING {service.RECORD_COLUMNS}"""


def app_factory() -> FastAPI:
    settings = get_settings()
    engine = create_engine(
        database_url(settings),
        pool_pre_ping=os.environ.get("VARIANT_PRE_PING", "1") == "1",
        pool_size=int(os.environ.get("VARIANT_POOL_SIZE", "40")),
        max_overflow=int(os.environ.get("VARIANT_MAX_OVERFLOW", "0")))
    if os.environ.get("VARIANT_ONE_HOP", "0") == "1":
        return one_hop_app(engine, lean=os.environ.get("VARIANT_LEAN", "0") == "1")
    return create_app(settings, bind=engine)


def lean_record(db: Session, record: ScreeningIn) -> ScreeningOut:
    """One INSERT … RETURNING in the common case (see VARIANT_LEAN)."""
    if record.case_id:
        return service.record_screening(db, record)[0]
    x = y = None
    if record.lon is not None and record.lat is not None:
        x, y = wgs84_point(record.lon, record.lat, record.crs)
    values = {**record.model_dump(exclude={"lon", "lat", "crs"}), "lon": x, "lat": y}
    try:
        row = db.execute(text(LEAN_INSERT), values).mappings().first()
    except IntegrityError as exc:  # the foreign key: no such cell
        raise InvalidInput("cell_code", f"unknown cell {record.cell_code}") from exc
    if row is None:
        return service.record_screening(db, record)[0]
    return ScreeningOut(**row)


def one_hop_app(engine: Engine, *, lean: bool = False) -> FastAPI:
    """POST /screenings (and /health) with gridrisk's service, errors and JSON, one trip to
    the threadpool per request."""
    app = FastAPI(title="gridrisk, one threadpool trip per request")
    app.state.bind = engine
    problems.install(app)
    app.include_router(health.router)

    def record(body: ScreeningIn) -> bytes:
        with Session(bind=engine, expire_on_commit=False) as session, session.begin():
            stored = (lean_record(session, body) if lean
                      else service.record_screening(session, body)[0])
        return stored.model_dump_json().encode()

    @app.post("/screenings", status_code=201)
    async def record_screening(body: ScreeningIn) -> Any:
        content = await run_in_threadpool(record, body)
        return Response(content, 201, media_type="application/json")

    return app
