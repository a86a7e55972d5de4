"""Whether the service and its database are up."""

from contextlib import nullcontext

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

router = APIRouter(tags=["health"])


@router.get("/health", summary="服务与数据库状态",
            responses={503: {"description": "the database is unreachable"}})
def health(request: Request) -> JSONResponse:
    """200 when the database answers, 503 (with Retry-After) when it does not; the service
    reconnects by itself once the database is back."""
    bind = request.app.state.bind
    try:
        with bind.connect() if isinstance(bind, Engine) else nullcontext(bind) as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError:
        return JSONResponse({"status": "degraded", "database": "unreachable"}, 503,
                            headers={"Retry-After": "5"})
    return JSONResponse({"status": "ok", "database": "ok"})
