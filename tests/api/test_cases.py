"""Cases and case files over HTTP, against the real database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from ..bundle.conftest import CELL_AN, CELL_AS, TOWNSHIP, VILLAGE_A, VILLAGE_B
from .conftest import problem

NEW_CASE = {"case_id": "N1", "received_on": "2026-10-01", "channel": "online",
            "category": "environment", "parties": 2, "lon": 114.03, "lat": 34.07,
            "responsible_unit": "县生态环境局", "responsible_official": "陈局长",
            "summary": "养殖场异味扰民"}


def create(client: TestClient, **changes: object):  # type: ignore[no-untyped-def]
    return client.post("/cases", json={**NEW_CASE, **changes})


def append(client: TestClient, case_id: str, version: int | None = None, **event: object
           ):  # type: ignore[no-untyped-def]
    """An event at `version`, or at the version the case has now."""
    if version is None:
        version = client.get(f"/cases/{case_id}").json()["version"]
    return client.post(f"/cases/{case_id}/events", json=event,
                       headers={"If-Match": f'"{version}"'})


# -- creating ---------------------------------------------------------------------------------


def test_created_case_is_placed_in_its_cell_with_its_deadline(client: TestClient) -> None:
    response = create(client)
    assert response.status_code == 201, response.text
    case = response.json()
    assert (case["cell_code"], case["region_code"]) == (CELL_AN, VILLAGE_A)
    assert case["version"] == 1 and case["collective"] is False
    assert case["state"]["is_open"] and case["state"]["accept_by"] == "2026-10-16"


@pytest.mark.parametrize(("location", "cell"), [
    ({"lon": None, "lat": None, "cell_code": CELL_AS}, CELL_AS),
    ({"lon": None, "lat": None, "region_code": VILLAGE_B}, VILLAGE_B),
    ({"lon": None, "lat": None, "region_code": VILLAGE_A}, None),  # two cells: none chosen
])
def test_case_placed_by_cell_or_village(client: TestClient, location: dict, cell: str | None
                                        ) -> None:
    case = create(client, **location).json()
    assert case["cell_code"] == cell
    assert case["lon"] is None


def test_case_id_is_generated_when_empty(client: TestClient) -> None:
    first = create(client, case_id=None).json()
    second = create(client, case_id=None).json()
    assert (first["case_id"], second["case_id"]) == ("XF20261001-0001", "XF20261001-0002")


@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"lon": 116.0, "lat": 39.9}, "lon", "is outside every cell"),
    ({"cell_code": CELL_AS}, "lon", f"lies outside cell {CELL_AS}"),
    ({"cell_code": "999"}, "cell_code", "unknown cell 999"),
    ({"region_code": VILLAGE_B}, "region_code", f"belongs to {VILLAGE_A}"),
    ({"lon": None, "lat": None, "region_code": TOWNSHIP}, "region_code",
     "not a village or community"),
    ({"received_on": "2099-01-01"}, "received_on", "in the future"),
    ({"channel": "fax"}, "channel", "Input should be"),
    ({"parties": 0}, "parties", "greater than or equal to 1"),
    ({"lat": None}, "body", "lat is missing"),
    ({"lon": None, "lat": None}, "body", "no location"),
    ({"complainant_phone": "13800000000"}, "complainant_phone", "Extra inputs"),
])
def test_bad_case_is_refused_naming_the_field(client: TestClient, conn: Connection,
                                              changes: dict, field: str, reason: str) -> None:
    body = problem(create(client, **changes), 422)
    assert any(e["field"] == field and reason in e["reason"] for e in body["errors"]), body
    assert conn.execute(text("SELECT count(*) FROM cases WHERE case_id = 'N1'")).scalar() == 0


def test_taken_case_id_is_a_conflict(client: TestClient) -> None:
    problem(create(client, case_id="C1"), 409)


# -- reading and listing ----------------------------------------------------------------------


def test_case_carries_its_version_as_etag(client: TestClient) -> None:
    response = client.get("/cases/C2")
    assert response.headers["ETag"] == '"1"'
    case = response.json()
    assert case["state"]["closure_type"] == "resolved" and not case["state"]["is_open"]
    assert case["collective"] is False
    assert problem(client.get("/cases/nope"), 404)["detail"] == "no case with id nope"


def test_case_file_lists_every_event(client: TestClient) -> None:
    file = client.get("/cases/C1/events").json()
    assert [e["type"] for e in file["events"]] == ["accepted", "met_complainant", "site_visit",
                                                   "escalated"]
    assert file["events"][0]["at_is_date"] is True


@pytest.mark.parametrize(("query", "expected"), [
    ({}, ["C4", "C3", "C2", "C1"]),
    ({"region": TOWNSHIP}, ["C4", "C3", "C2", "C1"]),
    ({"region": VILLAGE_B}, ["C4", "C3"]),
    ({"cell": CELL_AS}, ["C1"]),
    ({"category": "wages_labour"}, ["C2"]),
    ({"state": "closed"}, ["C2"]),
    ({"state": "open", "overdue": "true"}, ["C4", "C3", "C1"]),
    ({"responsible_unit": "城关镇人民政府"}, ["C4", "C1"]),
])
def test_list_filters(client: TestClient, query: dict, expected: list[str]) -> None:
    page = client.get("/cases", params=query).json()
    assert [c["case_id"] for c in page["items"]] == expected
    assert page["total"] == len(expected)


def test_due_within_and_paging(client: TestClient) -> None:
    today = date.today()
    create(client, case_id="SOON", received_on=str(today - timedelta(days=10)))
    create(client, case_id="LATER", received_on=str(today))
    due = client.get("/cases", params={"due_within_days": 7}).json()
    assert [c["case_id"] for c in due["items"]] == ["SOON"]
    page = client.get("/cases", params={"limit": 2, "offset": 2}).json()
    assert page["total"] == 6 and len(page["items"]) == 2 and page["offset"] == 2


# -- the case file ----------------------------------------------------------------------------


CLOSURES = ["resolved", "agreement_signed", "terminated_after_review", "withdrawn"]


@pytest.mark.parametrize("closure", CLOSURES)
def test_each_closure_path(client: TestClient, closure: str) -> None:
    create(client)
    append(client, "N1", type="accepted", at="2026-10-02")
    if closure == "terminated_after_review":
        append(client, "N1", type="opinion_issued", at="2026-10-10")
        append(client, "N1", type="review_requested", at="2026-10-12", level="county")
        append(client, "N1", type="review_decided", at="2026-10-20")
        append(client, "N1", type="rereview_requested", at="2026-10-22", level="city")
        append(client, "N1", type="rereview_decided", at="2026-10-30")
    closed = append(client, "N1", type="closed", at="2026-11-01", detail=closure)
    assert closed.status_code == 201, closed.text
    state = closed.json()["state"]
    assert (state["is_open"], state["closure_type"], state["closed_on"]) == (
        False, closure, "2026-11-01")
    followed = append(client, "N1", type="followed_up", at="2026-11-05", detail="satisfied")
    assert followed.json()["state"]["is_open"] is False


@pytest.mark.parametrize("kind", ["reopened", "refiled"])
def test_reopened_or_refiled_case_awaits_a_new_acceptance(client: TestClient, kind: str
                                                          ) -> None:
    create(client)
    append(client, "N1", type="accepted", at="2026-10-02")
    append(client, "N1", type="closed", at="2026-10-20", detail="resolved")
    back = append(client, "N1", type=kind, at="2026-11-01", level="county").json()
    assert back["state"]["is_open"] and back["state"]["accept_by"] == "2026-11-16"
    again = append(client, "N1", type="accepted", at="2026-11-02").json()
    assert again["state"]["handle_by"] == "2026-12-02"


def test_extension_moves_the_deadline_by_what_it_names(client: TestClient) -> None:
    create(client, complex=True)
    append(client, "N1", type="accepted", at="2026-10-02")
    extended = append(client, "N1", type="extended", at="2026-10-20", detail="延期15日").json()
    assert extended["state"]["handle_by"] == "2026-12-16"


@pytest.mark.parametrize(("events", "field", "reason"), [
    ([{"type": "closed", "at": "2026-10-05", "detail": "resolved"}], "type",
     "closed only after it was accepted"),
    ([{"type": "accepted", "at": "2026-10-02"},
      {"type": "extended", "at": "2026-10-05", "detail": "延期10日"},
      {"type": "extended", "at": "2026-10-06", "detail": "延期10日"}], "type",
     "extended once per acceptance"),
    ([{"type": "accepted", "at": "2026-10-02"},
      {"type": "extended", "at": "2026-10-05", "detail": "延期40日"}], "type", "at most 30 days"),
    ([{"type": "accepted", "at": "2026-10-02"},
      {"type": "review_requested", "at": "2026-10-05", "level": "county"}], "type",
     "only after a written opinion"),
    ([{"type": "accepted", "at": "2026-09-20"}], "at", "before the case was received"),
    ([{"type": "accepted", "at": "2099-01-01"}], "at", "in the future"),
    ([{"type": "closed", "at": "2026-10-05"}], "detail", "names its closure type"),
    ([{"type": "accepted", "at": "2026-10-02", "corrects": 999999}], "corrects",
     "is not in case N1"),
])
def test_workflow_refusals_are_422_with_the_reason(client: TestClient, events: list[dict],
                                                   field: str, reason: str) -> None:
    create(client)
    *allowed, refused = events
    for event in allowed:
        assert append(client, "N1", **event).status_code == 201
    before = client.get("/cases/N1/events").json()

    body = problem(append(client, "N1", **refused), 422)

    assert any(e["field"] == field and reason in e["reason"] for e in body["errors"]), body
    assert client.get("/cases/N1/events").json() == before


def test_a_correction_replaces_the_event_it_names(client: TestClient) -> None:
    create(client)
    wrong = append(client, "N1", type="accepted", at="2026-10-02").json()
    assert wrong["state"]["handle_by"] == "2026-11-01"
    accepted_id = client.get("/cases/N1/events").json()["events"][0]["id"]

    fixed = append(client, "N1", type="accepted", at="2026-10-05", corrects=accepted_id)

    assert fixed.json()["state"]["handle_by"] == "2026-11-04"
    events = client.get("/cases/N1/events").json()["events"]
    assert [(e["type"], e["corrects"], e["corrected_by"]) for e in events] == [
        ("accepted", None, events[1]["id"]), ("accepted", accepted_id, None)]
    again = problem(append(client, "N1", type="accepted", at="2026-10-06",
                           corrects=accepted_id), 422)
    assert "corrected already" in again["detail"]


def test_stale_version_is_a_412_and_nothing_is_written(client: TestClient) -> None:
    create(client)
    assert append(client, "N1", version=1, type="accepted", at="2026-10-02").status_code == 201
    stale = append(client, "N1", version=1, type="met_complainant", at="2026-10-03")
    body = problem(stale, 412)
    assert "version 2, not 1" in body["detail"]
    assert len(client.get("/cases/N1/events").json()["events"]) == 1
    assert append(client, "N1", version=2, type="met_complainant",
                  at="2026-10-03").json()["version"] == 3


def test_a_change_without_if_match_is_a_428_and_nothing_is_written(client: TestClient
                                                                   ) -> None:
    create(client)
    body = problem(client.post("/cases/N1/events", json={"type": "accepted",
                                                         "at": "2026-10-02"}), 428)
    assert "If-Match" in body["detail"]
    assert client.get("/cases/N1/events").json()["events"] == []


# -- retries ----------------------------------------------------------------------------------


def test_same_idempotency_key_twice_creates_one_case(client: TestClient, conn: Connection
                                                     ) -> None:
    headers = {"Idempotency-Key": "phone-7f3a"}
    first = client.post("/cases", json={**NEW_CASE, "case_id": None}, headers=headers)
    again = client.post("/cases", json={**NEW_CASE, "case_id": None}, headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replay"] == "true"
    assert conn.execute(text("SELECT count(*) FROM cases WHERE case_id LIKE 'XF%'")
                        ).scalar() == 1


def test_same_key_with_another_body_is_a_409(client: TestClient) -> None:
    headers = {"Idempotency-Key": "phone-7f3a"}
    client.post("/cases", json=NEW_CASE, headers=headers)
    body = problem(client.post("/cases", json={**NEW_CASE, "parties": 9}, headers=headers), 409)
    assert "different request" in body["detail"]


def test_retried_event_is_appended_once(client: TestClient) -> None:
    create(client)
    headers = {"Idempotency-Key": "evt-1", "If-Match": '"1"'}
    for _ in range(3):
        response = client.post("/cases/N1/events", json={"type": "accepted",
                                                         "at": "2026-10-02"}, headers=headers)
        assert response.status_code == 201
    assert len(client.get("/cases/N1/events").json()["events"]) == 1
