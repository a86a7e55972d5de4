"""The defects found by hand and by schemathesis, each reproduced: what was a 500, an
accepted far date, a body parsed before being refused, parameters in the log."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

import asyncpg
import numpy as np
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point
from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from gridrisk.cases.schemas import CaseIn
from gridrisk.cycles.schemas import CycleIn
from gridrisk.db.writes import AsyncDatabase
from gridrisk.regions.coords import to_wgs84
from gridrisk.screening.schemas import ScreeningIn
from gridrisk.synthetic import SCALES
from gridrisk.synthetic.geography import build_geography

from .conftest import problem
from .test_cases import NEW_CASE
from .test_screenings import NOTHING

PLANTED = ("张三丰", "13800138000", "11010519491231002X")


@pytest.mark.parametrize(("method", "url", "body", "field"), [
    ("POST", "/cases", {**NEW_CASE, "parties": 3687688871}, "parties"),
    ("GET", "/assignments?cycle=99999999999999999", None, "query.cycle"),
    ("GET", "/regions?parent=T%00", None, "query"),
    ("GET", "/cases/%00", None, "path"),
    ("POST", "/cases", {**NEW_CASE, "summary": "nul\u0000here"}, "summary"),
    ("POST", "/screenings", {**NOTHING, "record_id": "R\u00001"}, "record_id"),
    ("POST", "/screenings", {**NOTHING, "screened_at": "0001-01-01T00:00:00+14:00"},
     "screened_at"),
    ("POST", "/screenings", {**NOTHING, "screened_at": "9999-12-31T23:59:59Z"},
     "screened_at"),
    ("POST", "/cases", {**NEW_CASE, "received_on": "1900-01-01"}, "received_on"),
    ("POST", "/cases/C1/events", {"type": "accepted", "at": "9999-12-31"}, "at"),
    ("GET", "/cells/41100000120101/screenings?start=0001-01-01", None, "query.start"),
    ("GET", "/regions/411000001000/coverage?start=0001-01-01&end=0001-02-01", None,
     "query.start"),
    ("POST", "/screenings", {**NOTHING, "record_id": "Rbig", "worker": "W" * 65},
     "worker"),
])
def test_what_was_a_500_or_accepted_is_a_422_naming_the_field(
        client: TestClient, method: str, url: str, body: object, field: str) -> None:
    response = client.request(method, url, json=body, headers={"If-Match": '"1"'})
    found = problem(response, 422)
    assert any(e["field"].endswith(field) or e["field"] == field for e in found["errors"]), found


def test_a_large_body_is_refused_before_it_is_read(client: TestClient) -> None:
    big = b'{"summary": "' + b"x" * 21_000_000 + b'"}'
    declared = client.post("/cases", content=big,
                           headers={"Content-Type": "application/json"})
    body = problem(declared, 413)
    assert "larger than 1000000 bytes" in body["detail"]

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(30):
            yield b"x" * 100_000

    streamed = client.post("/cases", content=chunks(),
                           headers={"Content-Type": "application/json"})
    problem(streamed, 413)


def test_a_database_error_logs_no_parameter(client: TestClient, conn: Connection,
                                            caplog: pytest.LogCaptureFixture) -> None:
    conn.execute(text("""CREATE FUNCTION refuse_case() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION 'refused: %', NEW.summary; END; $$ LANGUAGE plpgsql"""))
    conn.execute(text("CREATE TRIGGER refuse_case BEFORE INSERT ON cases FOR EACH ROW"
                      " EXECUTE FUNCTION refuse_case()"))
    summary = "联系人" + "，".join(PLANTED)
    with caplog.at_level(logging.DEBUG):
        response = client.post("/cases", json={**NEW_CASE, "summary": summary})
    body = problem(response, 500)
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert "database error on POST /cases" in logged
    for planted in PLANTED:
        assert planted not in logged and planted not in response.text
    assert body["type"] == "/problems/database-error"


def test_a_connection_busy_mid_restart_is_a_503_not_a_500(scratch_url: str) -> None:
    """asyncpg's "another operation is in progress" once escaped as a 500."""
    calls = []

    async def busy(executor, arg):  # type: ignore[no-untyped-def]
        calls.append(arg)
        raise asyncpg.InternalClientError("cannot perform operation: another operation is "
                                          "in progress")

    async def attempt() -> None:
        database = AsyncDatabase(scratch_url)
        try:
            await database.transaction(busy, "x")
        finally:
            await database.close()

    # a thread of its own: the browser tests' Playwright keeps an event loop on this one
    with ThreadPoolExecutor(1) as pool, pytest.raises(OperationalError):
        pool.submit(asyncio.run, attempt()).result()
    assert calls == ["x", "x"]  # once more on a fresh connection, then 503


def test_the_examples_lie_inside_the_demo_countys_cells() -> None:
    """The demo (`gridrisk demo`: seed 1, medium) is where a newcomer tries the examples."""
    streams = iter([np.random.default_rng(s) for s in np.random.SeedSequence(1).spawn(8)])
    cells = build_geography(next(streams), SCALES["medium"]).cells.set_index("code")
    county = "41" + cells.index[0][2:6] + "000000"
    placed = []
    for model in (CaseIn, ScreeningIn):
        for example in model.model_config["json_schema_extra"]["examples"]:
            if "lon" in example:
                x, y = to_wgs84(np.array([example["lon"]]), np.array([example["lat"]]),
                                example.get("crs", "wgs84"))
                holder = cells.index[cells.contains(Point(x[0], y[0]))]
                assert len(holder) == 1, example
                if "cell_code" in example:
                    assert holder[0] == example["cell_code"]
                placed.append(holder[0])
            if "cell_code" in example:
                assert example["cell_code"] in cells.index
    assert len(placed) == 2
    assert CycleIn.model_config["json_schema_extra"]["examples"][0]["region_code"] == county


def test_every_problem_is_documented_as_problem_json(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            for status, response in operation["responses"].items():
                # Open311 answers a request's own errors in GeoReport's shape, as its
                # clients read them; sign-in, roles and validation stay problems
                georeport = path.startswith("/open311/") and status in ("400", "404", "429")
                if status[0] in "45" and path != "/health":
                    assert list(response["content"]) == (
                        ["application/json", "text/xml"] if georeport
                        else ["application/problem+json"]), (method, path, status)
            if "{" in path.removesuffix(".{fmt}") and not path.endswith((
                    "/screenings", ".mvt")):  # lists: empty
                assert "404" in operation["responses"], (method, path)
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert spec["paths"]["/cases/{case_id}/events"]["post"]["responses"]["428"]
