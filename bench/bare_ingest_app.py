"""The baseline of http_ingest_bench.py: the least a screening-record ingest endpoint can do.

FastAPI (async) + an asyncpg pool: POST /screenings parses the same JSON as gridrisk's
ScreeningIn (a pydantic model with the same fields), finds the cell holding the point with
``ST_Contains`` when a point is given (else takes ``cell_code``) and inserts one row into
``screening_records`` with ``ON CONFLICT (record_id) DO NOTHING``: one statement, one round
trip, no explicit transaction (autocommit), prepared statements from asyncpg's cache.

    BARE_DATABASE_URL=postgresql://user:pw@127.0.0.1:port/gridrisk \\
        .venv/bin/python -m uvicorn bare_ingest_app:app --app-dir bench --workers 2

asyncpg is a bench-only dependency (not in pyproject.toml): ``pip install asyncpg``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field

COLUMNS = ("record_id, screened_at, worker, cell_code, found, category, severity, parties, "
           "geom, outcome, case_id, summary")
#: with a point: the cell is the first (by code) that contains it, as gridrisk's rule
INSERT_AT_POINT = f"""
    INSERT INTO screening_records ({COLUMNS})
    (SELECT $1, $2, $3, c.code, $4, $5, $6, $7, p.pt, $10, $11, $12
     FROM (SELECT ST_SetSRID(ST_MakePoint($8::float8, $9::float8), 4326) AS pt) p
     JOIN cells c ON ST_Contains(c.geom, p.pt)
     ORDER BY c.code LIMIT 1)
    ON CONFLICT (record_id) DO NOTHING RETURNING cell_code"""
INSERT_IN_CELL = f"""
    INSERT INTO screening_records ({COLUMNS})
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10, $11)
    ON CONFLICT (record_id) DO NOTHING RETURNING cell_code"""


class ScreeningIn(BaseModel):
    record_id: str = Field(min_length=1, max_length=64, pattern=r"^[^\s]+$")
    screened_at: AwareDatetime
    worker: str = Field(min_length=1, max_length=64)
    cell_code: str = Field(min_length=1, max_length=64)
    found: bool
    category: str | None = None
    severity: str | None = None
    parties: int | None = Field(None, ge=1)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    crs: str = "wgs84"
    outcome: str | None = None
    case_id: str | None = None
    summary: str | None = Field(None, max_length=4000)


def database_url() -> str:
    url = os.environ["BARE_DATABASE_URL"]
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    pool_size = int(os.environ.get("BARE_POOL_SIZE", "10"))
    app.state.pool = await asyncpg.create_pool(database_url(), min_size=2, max_size=pool_size)
    try:
        yield
    finally:
        await app.state.pool.close()


app = FastAPI(title="bare ingest", lifespan=lifespan)


@app.get("/health")
async def health(request: Request) -> dict[str, str]:
    async with request.app.state.pool.acquire() as conn:
        await conn.fetchval("SELECT 1")
    return {"status": "ok"}


@app.post("/screenings", status_code=201, response_model=None)
async def record_screening(body: ScreeningIn, request: Request
                           ) -> dict[str, str | None] | JSONResponse:
    pool: asyncpg.Pool = request.app.state.pool
    common = (body.record_id, body.screened_at, body.worker)
    tail = (body.outcome, body.case_id, body.summary)
    try:
        async with pool.acquire() as conn:
            if body.lon is not None and body.lat is not None:
                cell = await conn.fetchval(INSERT_AT_POINT, *common, body.found, body.category,
                                           body.severity, body.parties, body.lon, body.lat,
                                           *tail)
            else:
                cell = await conn.fetchval(INSERT_IN_CELL, *common, body.cell_code, body.found,
                                           body.category, body.severity, body.parties, *tail)
            if cell is None:  # a retry of a stored record, or a point outside every cell
                cell = await conn.fetchval(
                    "SELECT cell_code FROM screening_records WHERE record_id = $1",
                    body.record_id)
    except (asyncpg.ForeignKeyViolationError, asyncpg.CheckViolationError) as exc:
        return JSONResponse({"detail": str(exc)}, status_code=422)
    if cell is None:
        return JSONResponse({"detail": "the point lies outside every cell"}, status_code=422)
    return {"record_id": body.record_id, "cell_code": cell}
