"""Screening records, coverage and disputes turned into cases, over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from api.app import create_app
from gridrisk.settings import Settings

from ..bundle.conftest import CELL_AN, CELL_AS, TOWNSHIP, VILLAGE_A, VILLAGE_B
from .conftest import problem

NOTHING = {"record_id": "R1", "screened_at": "2025-03-11T09:00:00+08:00", "worker": "W1",
           "cell_code": CELL_AS, "found": False}
DISPUTE = {"record_id": "R2", "screened_at": "2025-03-11T10:00:00+08:00", "worker": "W1",
           "cell_code": CELL_AS, "found": True, "category": "property_management",
           "severity": "high", "parties": 12, "lon": 114.04, "lat": 34.03,
           "outcome": "mediating", "summary": "物业停水纠纷"}


def rows(conn: Connection, record_id: str) -> int:
    return conn.execute(text("SELECT count(*) FROM screening_records WHERE record_id = :r"),
                        {"r": record_id}).scalar_one()


def test_nothing_found_in_two_taps(client: TestClient, conn: Connection) -> None:
    response = client.post("/screenings", json=NOTHING)
    assert response.status_code == 201, response.text
    assert response.json()["found"] is False and rows(conn, "R1") == 1


def test_a_retried_record_is_stored_once(client: TestClient, conn: Connection) -> None:
    first = client.post("/screenings", json=DISPUTE)
    again = client.post("/screenings", json=DISPUTE)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert rows(conn, "R2") == 1


def test_same_record_id_with_other_content_is_a_409(client: TestClient) -> None:
    client.post("/screenings", json=DISPUTE)
    body = problem(client.post("/screenings", json={**DISPUTE, "severity": "low"}), 409)
    assert "needs a new id" in body["detail"]


@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"found": False}, "category", "only when a dispute was found"),
    ({"severity": None}, "severity", "required when a dispute was found"),
    ({"lon": 116.0, "lat": 39.9}, "lon", "outside every cell"),
    ({"cell_code": "999"}, "cell_code", "unknown cell 999"),
    ({"case_id": "nope"}, "case_id", "unknown case nope"),
    ({"screened_at": "2025-03-11T10:00:00"}, "screened_at", "timezone"),
])
def test_bad_record_names_the_field(client: TestClient, conn: Connection, changes: dict,
                                    field: str, reason: str) -> None:
    body = problem(client.post("/screenings", json={**DISPUTE, **changes}), 422)
    assert any(e["field"] == field and reason in e["reason"] for e in body["errors"]), body
    assert rows(conn, "R2") == 0


def test_records_of_a_cell_in_a_period(client: TestClient) -> None:
    client.post("/screenings", json=NOTHING)
    client.post("/screenings", json=DISPUTE)
    march = client.get(f"/cells/{CELL_AS}/screenings",
                       params={"start": "2025-03-10", "end": "2025-03-31"}).json()
    assert [r["record_id"] for r in march["items"]] == ["R2", "R1"]
    everything = client.get(f"/cells/{CELL_AS}/screenings").json()
    assert everything["total"] == 3  # and S1 from the bundle


def screen(client: TestClient, cell: str, day: str) -> None:
    response = client.post("/screenings", json={
        "record_id": f"{cell}-{day}", "screened_at": f"{day}T09:00:00+08:00", "worker": "W",
        "cell_code": cell, "found": False})
    assert response.status_code == 201, response.text


def march(client: TestClient) -> None:
    """The bundle screened every cell in the week of 3 March; add known weeks."""
    for cell, day in [(CELL_AS, "2025-03-11"), (CELL_AS, "2025-03-18"),
                      (VILLAGE_B, "2025-03-27")]:
        screen(client, cell, day)


def test_weekly_coverage_on_a_month_with_known_gaps(client: TestClient) -> None:
    march(client)
    report = client.get(f"/regions/{TOWNSHIP}/coverage",
                        params={"start": "2025-03-03", "end": "2025-03-30"}).json()
    by_cell = {c["cell_code"]: (c["due"], c["done"], c["missed"]) for c in report["cells"]}
    assert by_cell == {
        CELL_AS: (4, 3, ["W2025-03-24"]),
        CELL_AN: (4, 1, ["W2025-03-10", "W2025-03-17", "W2025-03-24"]),
        VILLAGE_B: (4, 2, ["W2025-03-10", "W2025-03-17"]),
    }
    assert (report["due"], report["done"]) == (12, 6) and report["rate"] == 0.5
    assert report["missed_cells"] == [CELL_AS, CELL_AN, VILLAGE_B]
    village = client.get(f"/regions/{VILLAGE_A}/coverage",
                         params={"start": "2025-03-03", "end": "2025-03-30"}).json()
    assert [c["cell_code"] for c in village["cells"]] == [CELL_AS, CELL_AN]


def test_daily_periods_from_the_policy_file(conn: Connection, tmp_path: Path) -> None:
    from gridrisk.bundle.service import import_bundle

    from ..accounts import bearer, grant
    from ..bundle.conftest import COUNTY, write_tiny_bundle

    import_bundle(conn, write_tiny_bundle(tmp_path / "tiny"))
    policy = tmp_path / "policy.toml"
    policy.write_text('[[screening.daily_periods]]\nname = "两会"\nstart = 2025-03-24\n'
                      "end = 2025-03-26\n", encoding="utf-8")
    with TestClient(create_app(Settings(data_dir=tmp_path, policy_file=policy), bind=conn),
                    headers=bearer(grant(conn, "supervisor", [COUNTY]))) as client:
        march(client)
        screen(client, CELL_AS, "2025-03-24")
        screen(client, CELL_AS, "2025-03-26")
        report = client.get(f"/regions/{TOWNSHIP}/coverage",
                            params={"start": "2025-03-03", "end": "2025-03-30"}).json()
    cell = next(c for c in report["cells"] if c["cell_code"] == CELL_AS)
    assert (cell["due"], cell["done"]) == (7, 5)
    assert cell["missed"] == ["D2025-03-25", "W2025-03-24"]


def test_coverage_refuses_a_backwards_period(client: TestClient) -> None:
    body = problem(client.get(f"/regions/{TOWNSHIP}/coverage",
                              params={"start": "2025-03-30", "end": "2025-03-01"}), 422)
    assert body["errors"][0]["field"] == "end"


def test_a_found_dispute_becomes_a_case_in_one_call(client: TestClient) -> None:
    client.post("/screenings", json=DISPUTE)

    made = client.post("/screenings/R2/case", json={"responsible_unit": "城关镇人民政府"})

    assert made.status_code == 201, made.text
    case = made.json()
    assert (case["channel"], case["category"], case["parties"], case["cell_code"]) == (
        "screening", "property_management", 12, CELL_AS)
    assert case["received_on"] == "2025-03-11" and case["collective"] is True
    record = client.get("/screenings/R2").json()
    assert (record["outcome"], record["case_id"]) == ("became_case", case["case_id"])
    problem(client.post("/screenings/R2/case", json={}), 409)
    problem(client.post("/screenings/R1/case", json={}), 404)
