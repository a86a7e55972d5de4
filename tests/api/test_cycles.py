"""Cycles and assignments over HTTP, on the small demo county with a promoted 30-day model."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ..accounts import ClientAs
from .conftest import problem

AS_OF = "2026-08-31"


def run_weekly(client: TestClient, **extra: str) -> dict:  # type: ignore[type-arg]
    response = client.post("/cycles", json={"cadence": "weekly", "as_of": AS_OF, **extra})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_run_list_and_read_a_cycle(county_client: TestClient) -> None:
    cycle = run_weekly(county_client)
    assert cycle["horizon_days"] == 30 and cycle["n_cases"] > 50
    assert county_client.get(f"/cycles/{cycle['id']}").json() == cycle
    assert [c["id"] for c in county_client.get("/cycles?cadence=weekly").json()] == [
        cycle["id"]]
    cells = county_client.get(f"/cycles/{cycle['id']}/cells?limit=5").json()
    assert len(cells) == 5
    assert [c["expected_escalations"] for c in cells] == sorted(
        (c["expected_escalations"] for c in cells), reverse=True)
    top = cells[0]
    worklist = county_client.get(f"/cycles/{cycle['id']}/cells/{top['cell_code']}").json()
    assert worklist["cell"] == top and worklist["cases"][0]["reasons"]
    assert len(worklist["cases"]) == top["n_open"]
    township = top["cell_code"][:9] + "000"
    below = county_client.get(f"/cycles/{cycle['id']}/cells?region={township}").json()
    assert below and all(c["township"] == top["township"] for c in below)


def test_assignments_are_decided_and_closed_over_http(county_client_as: ClientAs) -> None:
    cycle = run_weekly(county_client_as("planner"))
    county_client = county_client_as("supervisor")  # decides, and records outcomes
    proposed = county_client.get(f"/assignments?cycle={cycle['id']}&status=proposed").json()
    first, second = proposed[0], proposed[1]
    accepted = county_client.post(f"/assignments/{first['id']}/decision",
                                  json={"action": "accept"}).json()
    assert accepted["status"] == "accepted" and accepted["assignee"] == first["proposed_to"]
    body = problem(county_client.post(f"/assignments/{first['id']}/decision",
                                      json={"action": "accept"}), 409)
    assert "accepted" in body["detail"]
    body = problem(county_client.post(f"/assignments/{second['id']}/decision",
                                      json={"action": "reassign"}), 422)
    assert body["errors"][0]["field"] == "assignee"
    body = problem(county_client.post(f"/assignments/{second['id']}/decision",
                                      json={"action": "delegate"}), 422)
    assert "action" in str(body["errors"])
    done = county_client.post(f"/assignments/{first['id']}/outcome",
                              json={"outcome": "已约见，签订调解协议"}).json()
    assert done["status"] == "done"
    problem(county_client.post(f"/assignments/{first['id']}/outcome", json={"outcome": ""}),
            422)
    problem(county_client.get("/assignments/999999"), 404)
    mine = county_client.get(f"/assignments?assignee={second['proposed_to']}"
                             f"&cycle={cycle['id']}").json()
    assert second["id"] in [a["id"] for a in mine]


def test_a_cycle_from_the_api_is_the_cli_s(county_client: TestClient) -> None:
    """POST /cycles once failed on every call (NoReferencedTableError in the cycle store)."""
    response = county_client.post("/cycles", json={"cadence": "weekly", "engine": "local"})
    assert response.status_code == 201, response.text
    assert response.json()["engine"] == "local"


def test_compare_and_refusals(county_client: TestClient) -> None:
    earlier = county_client.post("/cycles", json={"cadence": "weekly",
                                                  "as_of": "2026-08-24"}).json()
    later = run_weekly(county_client)
    change = county_client.get(f"/cycles/{later['id']}/compare/{earlier['id']}").json()
    assert change["before"] == earlier["id"] and change["after"] == later["id"]
    assert set(change["totals"]) == {"expected_escalations", "open", "overdue", "hot_cells"}
    assert county_client.get(f"/cycles/{later['id']}/compare").json() == change
    problem(county_client.get(f"/cycles/{earlier['id']}/compare"), 404)
    body = problem(county_client.post("/cycles", json={"cadence": "hourly"}), 422)
    assert body["errors"][0]["field"].endswith("cadence")
    body = problem(county_client.post("/cycles", json={"cadence": "monthly",
                                                       "as_of": AS_OF}), 404)
    assert "90-day" in body["detail"]
    problem(county_client.get("/cycles/424242"), 404)
    problem(county_client.get(f"/cycles/{later['id']}/cells/nowhere"), 404)
