"""Every operation of the OpenAPI document × every role × an object in the caller's scope,
one outside it and one that does not exist, on the small demo county.

Each caller holds township T1 (a grid worker: one cell of it). In scope: the objects of that
cell; outside: those of a cell of township T2; absent: ids nobody has. A role whose action
(the operation's `x-required-action`, from gridrisk.access.roles) it lacks gets 403 for all
three, the same body each time. A role that has it gets its answer for the object in scope,
and for the one outside exactly the answer for the absent one (status, media type and bytes,
once the absent id is read as the outside one); lists, maps and tiles asked for the outside
object are the same as for the absent one. No answer to a caller names an object of T2. The
figures land in test-artifacts/scope-matrix.json."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2 as httpx
import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from api.app import create_app
from gridrisk.access.roles import ROLE_ACTIONS, Action
from gridrisk.campaigns.schemas import CampaignIn, ScopeRule
from gridrisk.campaigns.service import create_campaign
from gridrisk.cases.schemas import CaseEventIn, CaseIn
from gridrisk.cases.service import append_event, open_case
from gridrisk.cycles.run import CycleInputs, run_cycle
from gridrisk.policy import load_policy
from gridrisk.settings import Settings
from gridrisk.vocab import Role

from ..accounts import bearer, grant
from ..county import POLICY, TIMEZONE
from ..regions.test_tiles import tile_of

pytestmark = pytest.mark.slow

AS_OF = date(2026, 8, 31)
ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "scope-matrix.json"
ABSENT = {"case": "XF-ABSENT-0001", "record": "R-ABSENT-0001", "cycle": "2000000001",
          "assignment": "2000000002", "region": "419999000000", "cell": "41999900000001",
          "campaign": "2000000003"}
TILE_ZOOM = 17


@dataclass
class Side:
    """The objects of one side: in scope, or outside it."""

    township: str
    village: str
    cell: str
    case: str
    record: str
    dispute: Callable[[], str]
    assignment: int
    point: tuple[float, float]
    campaign: int


@dataclass
class World:
    conn: Connection
    app: Any
    inside: Side
    outside: Side
    county: str
    cycles: dict[str, int]
    out_tokens: set[str]
    tokens: dict[Role, str] = field(default_factory=dict)
    names: dict[Role, str] = field(default_factory=dict)


def _side(conn: Connection, township: str, tag: str, cycle_id: int) -> Side:
    cell, village = conn.execute(text(
        "SELECT l.code, l.region_code FROM cells l JOIN regions v ON v.code = l.region_code"
        " WHERE v.parent_code = :t ORDER BY l.code LIMIT 1"), {"t": township}).one()
    received = AS_OF - timedelta(days=20)
    case = open_case(conn, CaseIn(case_id=f"MATRIX-{tag}", received_on=received,
                                  channel="visit", category="other", parties=1,
                                  cell_code=cell),
                     policy=POLICY.deadlines, timezone=TIMEZONE).case_id
    append_event(conn, case, CaseEventIn(at=received + timedelta(days=1), type="accepted"),
                 expected=None, policy=POLICY.deadlines, timezone=TIMEZONE)
    serial = iter(range(1, 10_000))

    def dispute() -> str:
        record = f"DISPUTE-{tag}-{next(serial)}"
        conn.execute(text(
            "INSERT INTO screening_records (record_id, screened_at, worker, cell_code, found,"
            " category, severity) VALUES (:r, :at, 'W-matrix', :c, true, 'other', 'low')"),
            {"r": record, "at": f"{AS_OF}T09:00:00+08:00", "c": cell})
        return record

    assignment = conn.execute(text(
        "INSERT INTO assignments (cycle_id, cell_code, case_id, kind, priority, reason,"
        " proposed_to, due_on, status) VALUES (:cycle, :cell, :case, 'investigation', 1,"
        " 'matrix', 'W-matrix', :due, 'proposed') RETURNING id"),
        {"cycle": cycle_id, "cell": cell, "case": case, "due": AS_OF + timedelta(days=7)}
    ).scalar_one()
    lon, lat = conn.execute(text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom)"
                                 " AS p FROM cells WHERE code = :c) s"), {"c": cell}).one()
    campaign = create_campaign(conn, CampaignIn(
        name=f"matrix {tag}", region_code=township, starts_on=AS_OF, launched_on=AS_OF,
        rule=ScopeRule(received_before=AS_OF)), policy=load_policy(), timezone=TIMEZONE).id
    return Side(township=township, village=village, cell=cell, case=case,
                record=dispute(), dispute=dispute, assignment=assignment,
                point=(float(lon), float(lat)), campaign=campaign)


@pytest.fixture
def world(county_conn: Connection, inputs: CycleInputs, cycle_data_dir: Path
          ) -> Iterator[World]:
    conn = county_conn
    county = conn.execute(text("SELECT code FROM regions WHERE parent_code IS NULL")
                          ).scalar_one()
    t1, t2 = conn.execute(text("SELECT code FROM regions WHERE level = 'township'"
                               " ORDER BY code LIMIT 2")).scalars().all()
    earlier = run_cycle(conn, inputs, cadence="weekly", as_of=AS_OF - timedelta(days=7)).id
    later = run_cycle(conn, inputs, cadence="weekly", as_of=AS_OF).id
    only_t2 = run_cycle(conn, inputs, cadence="weekly", as_of=AS_OF, region_code=t2).id
    inside, outside = _side(conn, t1, "IN", later), _side(conn, t2, "OUT", later)
    out_tokens = {outside.cell, outside.case, outside.record, outside.village, t2}
    out_tokens |= set(conn.execute(text(
        "SELECT l.code FROM cells l JOIN regions v ON v.code = l.region_code"
        " WHERE v.parent_code = :t"), {"t": t2}).scalars())
    out_tokens |= set(conn.execute(text(
        "SELECT c.case_id FROM cases c JOIN regions v ON v.code = c.region_code"
        " WHERE v.parent_code = :t"), {"t": t2}).scalars())
    app = create_app(Settings(data_dir=cycle_data_dir, model_threads=1), bind=conn)
    found = World(conn=conn, app=app, inside=inside, outside=outside, county=county,
                  cycles={"earlier": earlier, "later": later, "only_t2": only_t2},
                  out_tokens=out_tokens)
    for role in Role:
        name = f"matrix-{role}" if role != Role.worker else "W-matrix"
        codes = [inside.cell] if role == Role.worker else [t1]
        found.tokens[role] = grant(conn, role, codes, name=name)
        found.names[role] = name
    yield found


@dataclass
class Call:
    method: str
    url: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    #: an urlencoded form instead of a JSON body (Open311)
    form: dict[str, str] | None = None


def calls(world: World, path: str, method: str, role: Role
          ) -> tuple[dict[str, Call], dict[str, str]]:
    """The three requests for an operation (in, out, absent), and how the absent one's id
    reads as the outside one's: {absent: outside}."""
    inside, outside = world.inside, world.outside
    cycles = world.cycles
    sides = {"in": inside, "out": outside}

    def each(build: Callable[[str, Side | None], Call], kind: str,
             ident: Callable[[Side], str]) -> tuple[dict[str, Call], dict[str, str]]:
        made = {which: build(which, side) for which, side in sides.items()}
        made["absent"] = build("absent", None)
        return made, {ABSENT[kind]: ident(outside)}

    def arg(kind: str, side: Side | None, ident: Callable[[Side], Any]) -> str:
        return ABSENT[kind] if side is None else quote(str(ident(side)))

    def by_id(template: str, kind: str, ident: Callable[[Side], Any]
              ) -> tuple[dict[str, Call], dict[str, str]]:
        """GET `template` with {id} the object's id (or the absent one)."""
        return each(lambda w, s: Call("GET", template.format(id=arg(kind, s, ident))), kind,
                    ident)

    key = f"{method} {path}"
    if key in ("GET /me", "GET /audit"):  # about the caller, or the whole log (admins)
        return {w: Call("GET", path) for w in ("in", "out", "absent")}, {}
    if key == "GET /regions":
        return by_id("/regions?parent={id}", "region", lambda x: x.township)
    if path.startswith("/regions/{code}"):
        rest = path.removeprefix("/regions/{code}")
        query = "?start=2026-08-01&end=2026-08-31" if rest == "/coverage" else ""
        return by_id("/regions/{id}" + rest + query, "region", lambda x: x.village)
    if key == "GET /cells/at":
        def at(which: str, side: Side | None) -> Call:
            lon, lat = side.point if side else (116.0, 39.9)
            return Call("GET", f"/cells/at?lon={lon}&lat={lat}")
        made, _ = each(at, "cell", lambda x: x.cell)
        lon, lat = outside.point
        return made, {"(116.000000, 39.900000)": f"({lon:.6f}, {lat:.6f})"}
    if path.startswith("/cells/{code}"):
        rest = path.removeprefix("/cells/{code}")
        return by_id("/cells/{id}" + rest, "cell", lambda x: x.cell)
    if key == "POST /cases":
        def new_case(which: str, side: Side | None) -> Call:
            return Call("POST", "/cases", {
                "case_id": f"MATRIX-NEW-{role}-{which}", "received_on": str(AS_OF),
                "channel": "visit", "category": "other", "parties": 1,
                "cell_code": side.cell if side else ABSENT["cell"]})
        return each(new_case, "cell", lambda x: x.cell)
    if key == "GET /cases":
        return by_id("/cases?cell={id}", "cell", lambda x: x.cell)
    if key == "POST /cases/{case_id}/events":
        def event(which: str, side: Side | None) -> Call:
            case = side.case if side else ABSENT["case"]
            version = world.conn.execute(text(
                "SELECT version FROM cases WHERE case_id = :c"), {"c": case}).scalar() or 1
            return Call("POST", f"/cases/{quote(case)}/events",
                        {"type": "site_visit", "at": str(AS_OF), "detail": f"matrix {role}"},
                        {"If-Match": f'"{version}"'})
        return each(event, "case", lambda x: x.case)
    if key == "POST /cases/{case_id}/receipt":
        return each(lambda w, s: Call("POST", f"/cases/{arg('case', s, lambda x: x.case)}"
                                      "/receipt"), "case", lambda x: x.case)
    if path.startswith("/cases/{case_id}"):
        rest = path.removeprefix("/cases/{case_id}")
        return by_id("/cases/{id}" + rest, "case", lambda x: x.case)
    if key == "POST /screenings":
        def record(which: str, side: Side | None) -> Call:
            return Call("POST", "/screenings", {
                "record_id": f"MATRIX-NEW-{role}-{which}", "found": False,
                "screened_at": f"{AS_OF}T10:00:00+08:00", "worker": world.names[role],
                "cell_code": side.cell if side else ABSENT["cell"]})
        return each(record, "cell", lambda x: x.cell)
    if key == "POST /screenings/{record_id}/case":
        disputes = {"in": inside.dispute(), "out": outside.dispute()}
        made, _ = each(lambda w, s: Call(
            "POST", f"/screenings/{disputes[w] if s else ABSENT['record']}/case", {}),
            "record", lambda x: x.record)
        return made, {ABSENT["record"]: disputes["out"]}
    if path.startswith("/screenings/{record_id}"):
        return by_id("/screenings/{id}", "record", lambda x: x.record)
    if key == "POST /cycles":
        return each(lambda w, s: Call("POST", "/cycles", {
            "cadence": "weekly", "as_of": str(AS_OF),
            "region_code": s.township if s else ABSENT["region"]}),
            "region", lambda x: x.township)
    if key == "GET /cycles":
        return each(lambda w, s: Call("GET", "/cycles?region=" + (
            world.county if w == "in" else outside.township if w == "out" else
            ABSENT["region"])), "region", lambda x: x.township)
    if path.startswith("/cycles/{cycle_id}"):
        rest = path.removeprefix("/cycles/{cycle_id}")
        cycle = {"in": cycles["later"], "out": cycles["only_t2"], "absent": ABSENT["cycle"]}
        if rest == "/cells/{cell_code}":  # the county's cycle: a cell in or out of scope
            return by_id(f"/cycles/{cycles['later']}/cells/{{id}}", "cell", lambda x: x.cell)
        rest = rest.replace("{before_id}", str(cycles["earlier"]))
        made = {w: Call("GET", f"/cycles/{c}{rest}") for w, c in cycle.items()}
        return made, {ABSENT["cycle"]: str(cycles["only_t2"])}
    if key == "GET /assignments":
        return by_id("/assignments?cell={id}", "cell", lambda x: x.cell)
    if path.startswith("/assignments/{assignment_id}"):
        rest = path.removeprefix("/assignments/{assignment_id}")
        body = {"/decision": {"action": "reassign", "assignee": "W-matrix-2"},
                "/outcome": {"outcome": f"matrix {role}"}}.get(rest)
        for side in (inside, outside):  # each attempt finds the assignment as it needs it
            world.conn.execute(text(
                "UPDATE assignments SET status = :s, assignee = :a, outcome = NULL,"
                " done_at = NULL WHERE id = :id"),
                {"s": "accepted" if rest == "/outcome" else "proposed",
                 "a": world.names[role] if rest == "/outcome" else None, "id": side.assignment})
        return each(lambda w, s: Call("POST" if body else "GET", f"/assignments/"
                                      f"{arg('assignment', s, lambda x: x.assignment)}{rest}",
                                      body), "assignment", lambda x: str(x.assignment))
    if key in ("GET /indicators", "GET /zero-reports", "GET /ledger.xlsx"):
        query = {"GET /indicators": "&period=2026-08", "GET /zero-reports": "&day=2026-08-31",
                 "GET /ledger.xlsx": ""}[key]
        return by_id(path + "?region={id}" + query, "region", lambda x: x.township)
    if key == "GET /reports/{kind}":
        return by_id("/reports/monthly?region={id}&period=2026-08", "region",
                     lambda x: x.township)
    if key == "POST /campaigns":
        return each(lambda w, s: Call("POST", "/campaigns", {
            "name": f"matrix {role} {w}", "starts_on": str(AS_OF),
            "region_code": s.township if s else ABSENT["region"],
            "rule": {"received_before": str(AS_OF)}}), "region", lambda x: x.township)
    if key == "GET /campaigns":
        return by_id("/campaigns?region={id}", "region", lambda x: x.township)
    if key == "PATCH /campaigns/{campaign_id}/cases/{case_id}":
        made = {w: Call("PATCH", f"/campaigns/{c}/cases/{k}", {"leader": f"matrix {role}"})
                for w, c, k in (("in", inside.campaign, inside.case),
                                ("out", outside.campaign, outside.case),
                                ("absent", ABSENT["campaign"], ABSENT["case"]))}
        return made, {ABSENT["campaign"]: str(outside.campaign), ABSENT["case"]: outside.case}
    if path.startswith("/campaigns/{campaign_id}"):
        rest = path.removeprefix("/campaigns/{campaign_id}")
        return by_id("/campaigns/{id}" + rest, "campaign", lambda x: str(x.campaign))
    if path == "/tiles/{layer}/{z}/{x}/{y}.mvt":
        def tile(which: str, side: Side | None) -> Call:
            x, y = tile_of(*(side.point if side else (116.4, 39.9)), TILE_ZOOM)
            return Call("GET", f"/tiles/cells/{TILE_ZOOM}/{x}/{y}.mvt")
        return each(tile, "cell", lambda x: x.cell)
    if key in ("GET /ogc", "GET /ogc/conformance", "GET /ogc/collections",
               "GET /ogc/collections/{collection_id}", "GET /open311/v2/services.{fmt}"):
        # about the service, or collections whose extents are the caller's own
        url = path.replace("{collection_id}", "cells").replace("{fmt}", "json")
        return {w: Call("GET", url) for w in ("in", "out", "absent")}, {}
    if key == "GET /ogc/collections/{collection_id}/items":
        return by_id("/ogc/collections/cells/items?region_code={id}", "region",
                     lambda x: x.village)
    if key == "GET /ogc/collections/{collection_id}/items/{feature_id}":
        return by_id("/ogc/collections/cells/items/{id}", "cell", lambda x: x.cell)
    if key == "POST /open311/v2/requests.{fmt}":
        return each(lambda w, s: Call("POST", "/open311/v2/requests.json", form={
            "service_code": "other", "description": f"matrix {role} {w}",
            "address_id": s.cell if s else ABSENT["cell"]}), "cell", lambda x: x.cell)
    raise AssertionError(f"no requests for {key}: the matrix must cover every operation")


def send(client: TestClient, call: Call) -> httpx.Response:
    return client.request(call.method, call.url, json=call.body, data=call.form,
                          headers=call.headers)


def tile_cells(response: httpx.Response) -> set[str]:
    if not response.content:
        return set()
    layer = mapbox_vector_tile.decode(response.content).get("cells", {"features": []})
    return {f["properties"]["cell_code"] for f in layer["features"]}


def test_every_operation_every_role_in_out_and_absent(world: World) -> None:
    spec = TestClient(world.app).get("/openapi.json").json()
    operations = [(path, method.upper(), op.get("x-required-action"))
                  for path, methods in spec["paths"].items() for method, op in methods.items()
                  if op.get("security")]
    clients = {role: TestClient(world.app, headers=bearer(token))
               for role, token in world.tokens.items()}
    attempts, leaks, wrongful, identical, forbidden = 0, [], [], 0, 0
    for path, method, action_name in operations:
        action = Action(action_name) if action_name else None
        for role in Role:
            made, renames = calls(world, path, method, role)
            answers = {which: send(clients[role], call) for which, call in made.items()}
            attempts += len(answers)
            label = f"{role} {method} {path}"
            allowed = action is None or action in ROLE_ACTIONS[role]
            if not allowed:
                forbidden += 1
                statuses = {a.status_code for a in answers.values()}
                bodies = {a.content for a in answers.values()}
                if statuses != {403} or len(bodies) != 1:
                    wrongful.append(f"{label}: {statuses} for a role without {action}")
                continue
            inside = answers["in"]
            if inside.status_code >= 400:
                wrongful.append(f"{label}: {inside.status_code} {inside.text[:200]}")
            out, absent = answers["out"], answers["absent"]
            as_out = absent.content
            for missing, there in renames.items():
                as_out = as_out.replace(missing.encode(), there.encode())
            if (out.status_code, out.headers.get("content-type"), out.content) != (
                    absent.status_code, absent.headers.get("content-type"), as_out):
                leaks.append(f"{label}: out {out.status_code} {out.text[:200]} ≠ absent "
                             f"{absent.status_code} {absent.text[:200]}")
            else:
                identical += 1
            for which, answer in answers.items():
                if "mapbox" in answer.headers.get("content-type", ""):
                    named = tile_cells(answer) & world.out_tokens
                else:
                    body = answer.text
                    named = {t for t in world.out_tokens if t in body}
                    if which == "out":  # the outside id is in the request: only echo it
                        named -= set(renames.values())
                if named:
                    leaks.append(f"{label} ({which}): names {sorted(named)[:5]}")
    report = {"operations": len(operations), "roles": len(Role), "attempts": attempts,
              "leaks": len(leaks), "wrongful_refusals": len(wrongful),
              "role_forbidden_cells": forbidden,
              "out_of_scope_identical_to_absent": identical,
              "permitted_cells": len(operations) * len(Role) - forbidden}
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps({**report, "leak_list": leaks, "wrongful_list": wrongful},
                                   ensure_ascii=False, indent=2), encoding="utf-8")
    print("scope matrix:", report)
    assert operations and attempts == 3 * len(operations) * len(Role)
    assert leaks == []
    assert wrongful == []
    assert identical == report["permitted_cells"]
