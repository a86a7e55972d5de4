"""Open311 GeoReport v2 over HTTP on the tiny bundle: the services, the status by receipt
token in JSON and XML, requests filed by a partner system, the rate limit, and an unknown
token answering exactly as another case's token does."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from gridrisk.vocab import Category

from ..accounts import ClientAs
from ..bundle.conftest import CELL_AS, COUNTY, VILLAGE_B

#: what GeoReport v2 lists for a service request (GET /requests/{id})
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name",
                  "service_code", "description", "agency_responsible", "service_notice",
                  "requested_datetime", "updated_datetime", "expected_datetime", "address",
                  "address_id", "zipcode", "media_url"}
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type",
                  "keywords", "group"}


def public(client: TestClient) -> TestClient:
    """The same app with no credentials: a complainant."""
    return TestClient(client.app)


def receipt(client: TestClient, case_id: str) -> str:
    response = client.post(f"/cases/{case_id}/receipt")
    assert response.status_code == 201, response.text
    return response.json()["token"]  # type: ignore[no-any-return]


def test_the_services_are_the_case_categories_in_json_and_xml(client: TestClient) -> None:
    services = client.get("/open311/v2/services.json").json()
    assert [s["service_code"] for s in services] == [c.value for c in Category]
    assert all(set(s) == SERVICE_FIELDS for s in services)
    assert services[0]["service_name"] == "征地拆迁" and services[0]["metadata"] is False
    xml = ET.fromstring(client.get("/open311/v2/services.xml").content)
    assert xml.tag == "services" and len(xml.findall("service")) == len(Category)
    assert {child.tag for child in xml.find("service")} == SERVICE_FIELDS  # type: ignore[union-attr]
    assert public(client).get("/open311/v2/services.json").status_code == 401


def test_a_receipt_token_shows_the_state_and_the_next_deadline(client: TestClient,
                                                               conn: Connection) -> None:
    token = receipt(client, "C3")
    anyone = public(client)
    found = anyone.get(f"/open311/v2/requests/C3.json?token={token}")
    assert found.status_code == 200 and found.headers["content-type"] == "application/json"
    [status] = found.json()
    assert set(status) == REQUEST_FIELDS
    assert status["service_request_id"] == "C3" and status["service_code"] == (
        "property_management")
    assert status["status"] in ("open", "closed")
    assert status["requested_datetime"] == "2025-04-10T00:00:00+08:00"
    if status["status"] == "open":
        assert status["expected_datetime"].endswith("T23:59:59+08:00")
    for private in ("赵主任", "物业费纠纷"):  # the official's name, the summary
        assert private not in found.text
    xml = ET.fromstring(anyone.get(f"/open311/v2/requests/C3.xml?token={token}").content)
    request = xml.find("request")
    assert xml.tag == "service_requests" and request is not None
    assert {child.tag for child in request} == REQUEST_FIELDS
    assert request.findtext("service_request_id") == "C3"
    stored = conn.execute(text("SELECT token_hash FROM case_receipts WHERE case_id = 'C3'")
                          ).scalar_one()
    assert token not in stored and len(stored) == 64


def test_an_unknown_token_and_another_cases_token_answer_alike(client: TestClient) -> None:
    c1, c3 = receipt(client, "C1"), receipt(client, "C3")
    anyone = public(client)
    for fmt in ("json", "xml"):
        answers = [anyone.get(f"/open311/v2/requests/{case}.{fmt}?token={token}")
                   for case, token in (("C1", c3), ("C1", "not-a-token"), ("C9", c1),
                                       ("C3", c1))]
        assert {a.status_code for a in answers} == {404}
        assert len({a.content for a in answers}) == 1
        assert len({tuple(sorted((k, v) for k, v in a.headers.items()
                                 if k != "date")) for a in answers}) == 1
    [error] = anyone.get(f"/open311/v2/requests/C1.json?token={c3}").json()
    assert error == {"code": 404, "description": "no service request with that id and token"}
    renewed = receipt(client, "C1")
    assert anyone.get(f"/open311/v2/requests/C1.json?token={c1}").status_code == 404
    assert anyone.get(f"/open311/v2/requests/C1.json?token={renewed}").status_code == 200


def test_receipts_are_issued_only_in_scope(client_as: ClientAs) -> None:
    village = client_as("handler", VILLAGE_B)
    outside, absent = village.post("/cases/C1/receipt"), village.post("/cases/NOPE/receipt")
    assert outside.status_code == absent.status_code == 404
    assert outside.json()["detail"] == absent.json()["detail"].replace("NOPE", "C1")
    assert client_as("planner", COUNTY).post("/cases/C1/receipt").status_code == 403


def test_lookups_are_rate_limited_per_address(client: TestClient, conn: Connection) -> None:
    conn.execute(text("INSERT INTO audit_log (actor, action, address) SELECT 'open311', "
                      "'open311_status_unknown', 'testclient' FROM generate_series(1, 30)"))
    limited = public(client).get("/open311/v2/requests/C1.json?token=x")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) == 15 * 60
    assert limited.json()[0]["code"] == 429


def test_a_filed_request_is_a_received_case_awaiting_acceptance(client: TestClient) -> None:
    filed = client.post("/open311/v2/requests.json", data={
        "service_code": "environment", "lat": "34.02", "long": "114.03",
        "description": "河道有异味", "address_string": "东湖村南"})
    assert filed.status_code == 201, filed.text
    [created] = filed.json()
    assert set(created) == {"service_request_id", "token", "service_notice", "account_id"}
    case = client.get(f"/cases/{created['service_request_id']}").json()
    assert case["channel"] == "online" and case["cell_code"] == CELL_AS
    assert case["state"]["accepted_on"] is None and case["state"]["accept_by"]
    [status] = public(client).get(f"/open311/v2/requests/{case['case_id']}.json",
                                  params={"token": created["token"]}).json()
    assert status["status"] == "open" and status["status_notes"].startswith("已登记，待受理")
    assert status["expected_datetime"].startswith(case["state"]["accept_by"])
    xml = ET.fromstring(client.post("/open311/v2/requests.xml", data={
        "service_code": "other", "address_id": VILLAGE_B, "description": "噪音"}).content)
    assert xml.findtext("request/token")


@pytest.mark.parametrize(("form", "field"), [
    ({"service_code": "fax", "lat": "34.02", "long": "114.03", "description": "x"},
     "service_code"),
    ({"service_code": "other", "description": "x", "address_string": "某地"}, "lat"),
    ({"service_code": "other", "lat": "34.02", "long": "114.03", "description": "x",
      "email": "13812348000@example.cn"}, "email"),
    ({"service_code": "other", "lat": "34.02", "long": "114.03", "description": "x",
      "last_name": "王", "phone": "1381234800"}, "phone"),
    ({"service_code": "other", "lat": "34.02", "long": "114.03", "description": "x",
      "phone": "13812348000"}, "last_name"),
    ({"service_code": "other", "address_id": "41100000129999", "description": "x"},
     "address_id"),
    ({"service_code": "other", "lat": "39.9", "long": "116.4", "description": "x"}, "lon"),
])
def test_a_bad_request_names_its_field(client: TestClient, form: dict[str, str],
                                       field: str) -> None:
    answer = client.post("/open311/v2/requests.json", data=form)
    assert answer.status_code == 400, answer.text
    [error] = answer.json()
    assert error["description"].startswith(f"{field}: ")
    assert "13812348000" not in answer.text and "1381234800" not in answer.text


def test_a_name_and_phone_filed_become_the_cases_sealed_contact(client: TestClient,
                                                                 conn: Connection) -> None:
    filed = client.post("/open311/v2/requests.json", data={
        "service_code": "wages_labour", "lat": "34.02", "long": "114.03",
        "description": "工地拖欠工资", "first_name": "小明", "last_name": "王",
        "phone": "138 1234 8000"})
    assert filed.status_code == 201, filed.text
    [created] = filed.json()
    case_id = created["service_request_id"]
    assert "13812348000" not in filed.text and "王小明" not in filed.text
    sealed = conn.execute(text("SELECT sealed FROM contacts WHERE case_id = :id"),
                          {"id": case_id}).scalar_one()
    assert b"13812348000" not in bytes(sealed) and "王小明".encode() not in bytes(sealed)
    case = client.get(f"/cases/{case_id}")
    assert case.json()["has_contact"] and "13812348000" not in case.text
    contact = client.get(f"/cases/{case_id}/contact").json()["contact"]
    assert (contact["name"], contact["phone"]) == ("王小明", "13812348000")
    status = public(client).get(f"/open311/v2/requests/{case_id}.json",
                                params={"token": created["token"]})
    assert status.status_code == 200 and "138" not in status.text and "王" not in status.text


def test_filing_needs_a_token_of_a_role_that_registers_cases(client_as: ClientAs,
                                                             client: TestClient) -> None:
    form = {"service_code": "other", "lat": "34.02", "long": "114.03", "description": "x"}
    anyone = public(client)
    assert anyone.post("/open311/v2/requests.json", data=form).status_code == 401
    token = client.headers["Authorization"].removeprefix("Bearer ")
    assert anyone.post("/open311/v2/requests.json",
                       data={**form, "api_key": token}).status_code == 201
    assert client_as("planner", COUNTY).post("/open311/v2/requests.json",
                                             data=form).status_code == 403


def test_a_place_outside_the_filers_scope_answers_like_one_that_does_not_exist(
        client_as: ClientAs) -> None:
    village = client_as("handler", VILLAGE_B)
    answers = [village.post("/open311/v2/requests.json", data={
        "service_code": "other", "address_id": code, "description": "x"}).content
        for code in (CELL_AS, "41100000129999")]
    assert answers[0] == answers[1].replace(b"41100000129999", CELL_AS.encode())
