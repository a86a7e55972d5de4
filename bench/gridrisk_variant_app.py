"""gridrisk's code, served differently: the what-if runs of http_ingest_bench.py.

Nothing in gridrisk/ or api/ is edited: this builds gridrisk's own app with ``create_app`` and
changes only what a deployment could. Environment:

    VARIANT_ASYNC_POOL  asyncpg connections per worker for POST /screenings (default: gridrisk's
                        ASYNC_POOL_SIZE, 10)
    VARIANT_GC_FREEZE   1 (default, as api/app.py's app_from_environment) or 0: leave what the
                        imports built in the collector's full passes (≈ 340k objects, a pause
                        of 100 ms or more every few seconds under load)

    .venv/bin/python -m uvicorn gridrisk_variant_app:app_factory --factory --app-dir bench \\
        --workers 2
"""

from __future__ import annotations

import gc
import os

from fastapi import FastAPI
from sqlalchemy import create_engine

from api.app import POOL_SIZE, create_app
from api.deps import AsyncDb
from gridrisk.db.engine import database_url
from gridrisk.db.writes import ASYNC_POOL_SIZE, AsyncDatabase
from gridrisk.settings import get_settings


def app_factory() -> FastAPI:
    settings = get_settings()
    url = database_url(settings)
    engine = create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=0)
    app = create_app(settings, bind=engine)
    writes = AsyncDb(engine)
    writes.database = AsyncDatabase(
        url, pool_size=int(os.environ.get("VARIANT_ASYNC_POOL", str(ASYNC_POOL_SIZE))))
    app.state.async_db = writes
    if os.environ.get("VARIANT_GC_FREEZE", "1") == "1":
        gc.freeze()
    return app
