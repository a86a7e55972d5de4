"""Contacts over HTTP: sealed with a new case, shown in clear only by the contact view, masked
on the case page; phone and identity numbers typed into free text masked in every answer."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

from gridrisk.access.service import add_user
from gridrisk.vocab import Role

from ..accounts import PASSWORD, FormClient, sign_in
from ..bundle.conftest import COUNTY, VILLAGE_B
from .conftest import problem
from .test_cases import NEW_CASE, append, create

CONTACT = {"name": "欧阳建华", "phone": "+86 138-1234-8000", "id_number": "11010519491231002x",
           "address": "城关镇东湖村3组"}
#: a summary as a hotline types it: a second phone and the identity number in the text
TYPED = "养殖场异味扰民，联系电话 139 1234 5678，身份证11010519491231002X，座机0371-61234567"
CLEAR = ["欧阳建华", "13812348000", "138-1234-8000", "13912345678", "139 1234 5678",
         "11010519491231002X", "61234567", "东湖村3组"]


def carries_none(body: str) -> bool:
    return not [value for value in CLEAR if value in body]


def test_a_contact_is_sealed_with_its_case(client: TestClient, conn: Connection) -> None:
    response = create(client, contact=CONTACT, summary=TYPED)

    assert response.status_code == 201, response.text
    assert response.json()["has_contact"] is True
    assert carries_none(response.text)
    row = conn.execute(text("SELECT key_id, sealed FROM contacts WHERE case_id = 'N1'")).one()
    assert b"13812348000" not in bytes(row.sealed) and "欧阳".encode() not in bytes(row.sealed)


def test_the_contact_view_gives_the_contact_and_the_text_as_typed(client: TestClient) -> None:
    create(client, contact=CONTACT, summary=TYPED)
    append(client, "N1", type="accepted", at="2026-10-02")
    append(client, "N1", type="met_complainant", at="2026-10-03", detail="约见，手机13912345678")

    response = client.get("/cases/N1/contact")

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    view = response.json()
    assert view["contact"] == {"name": "欧阳建华", "phone": "13812348000",
                               "id_number": "11010519491231002X", "address": "城关镇东湖村3组"}
    assert view["summary"] == TYPED
    assert [d["detail"] for d in view["event_details"]] == ["约见，手机13912345678"]


def test_every_other_answer_masks_the_numbers(client: TestClient) -> None:
    create(client, contact=CONTACT, summary=TYPED)
    append(client, "N1", type="accepted", at="2026-10-02")
    event = append(client, "N1", type="met_complainant", at="2026-10-03",
                   detail="约见，手机13912345678")

    answers = [event, client.get("/cases"), client.get("/cases/N1"),
               client.get("/cases/N1/events"), client.get("/cases?region=411000000000")]
    for answer in answers:
        assert answer.status_code in (200, 201), answer.text
        assert carries_none(answer.text), answer.request.url
    case = client.get("/cases/N1").json()
    assert case["summary"] == ("养殖场异味扰民，联系电话 139 **** 5678，身份证1101**********002X，"
                               "座机0371-****4567")
    assert client.get("/cases/N1/events").json()["events"][1]["detail"] == "约见，手机139****5678"


def test_a_case_without_a_contact_has_none(client: TestClient) -> None:
    create(client)
    assert client.get("/cases/N1").json()["has_contact"] is False
    assert client.get("/cases/N1/contact").json()["contact"] is None


def test_an_unknown_case_has_no_contact_view(client: TestClient) -> None:
    problem(client.get("/cases/NOPE/contact"), 404)


def test_a_bad_contact_is_refused_by_field_without_its_value(client: TestClient,
                                                             conn: Connection) -> None:
    response = create(client, contact={**CONTACT, "id_number": "110105194912310021"})

    body = problem(response, 422)
    assert body["errors"][0]["field"] == "contact.id_number"
    assert "check digit" in body["errors"][0]["reason"]
    assert "110105194912310021" not in response.text
    assert conn.execute(text("SELECT count(*) FROM cases WHERE case_id = 'N1'")).scalar() == 0


def test_a_contact_needs_a_name(client: TestClient) -> None:
    body = problem(create(client, contact={"phone": "13812348000"}), 422)
    assert body["errors"][0]["field"] == "contact.name"


def test_a_contact_holds_no_control_character(client: TestClient) -> None:
    body = problem(create(client, contact={"name": "张\x00三"}), 422)
    assert (body["errors"][0]["field"], body["errors"][0]["reason"]) == (
        "contact.name", "holds a control character (a line break, tab or NUL)")


def test_a_retried_case_with_a_contact_is_stored_once(client: TestClient,
                                                      conn: Connection) -> None:
    headers = {"Idempotency-Key": "k-1"}
    first = client.post("/cases", json={**NEW_CASE, "contact": CONTACT}, headers=headers)
    again = client.post("/cases", json={**NEW_CASE, "contact": CONTACT}, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replay"] == "true"
    assert conn.execute(text("SELECT count(*) FROM contacts")).scalar() == 1
    stored = conn.execute(text("SELECT request_hash || response FROM idempotent_writes")
                          ).scalar_one()
    assert carries_none(stored)


def page_client(client: TestClient, conn: Connection, role: str, *codes: str) -> FormClient:
    """The same service as `client`, signed in through the sign-in form as a new account of
    `role`: its pages, with their session cookie and CSRF field."""
    name = f"page-{role}-{'-'.join(codes)}"
    add_user(conn, name, role=Role(role), codes=list(codes), password=PASSWORD)
    pages = FormClient(client.app)
    pages.__enter__()
    sign_in(pages, name)
    return pages


def test_the_case_page_masks_and_show_contact_reveals(client: TestClient,
                                                      conn: Connection) -> None:
    create(client, contact=CONTACT, summary=TYPED)
    pages = page_client(client, conn, "handler", COUNTY)

    page = pages.get("/pages/cases/N1")
    shown = pages.post("/pages/cases/N1/contact", data={})

    assert page.status_code == 200 and carries_none(page.text)
    assert "欧***" in page.text and "138****8000" in page.text
    assert "1101**********002X" in page.text and "城关镇****" in page.text
    assert 'action="/pages/cases/N1/contact"' in page.text
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    for value in ("欧阳建华", "13812348000", "11010519491231002X", TYPED):
        assert value in shown.text


    entry = conn.execute(text("SELECT actor, action FROM audit_log WHERE target = 'N1' "
                              "AND action = 'show_contact'")).one()
    assert tuple(entry) == ("page-handler-" + COUNTY, "show_contact")


def test_show_contact_without_the_forms_csrf_field_is_refused(client: TestClient,
                                                              conn: Connection) -> None:
    create(client, contact=CONTACT)
    pages = page_client(client, conn, "supervisor", COUNTY)
    pages.get("/pages/cases/N1")

    forged = pages.post("/pages/cases/N1/contact", data={"csrf": "from another site"})

    assert forged.status_code == 403 and carries_none(forged.text)


def test_only_handlers_and_supervisors_of_the_case_see_its_contact(
        client: TestClient, client_as, conn: Connection) -> None:  # type: ignore[no-untyped-def]
    create(client, contact=CONTACT)
    planner = client_as("planner", COUNTY)
    elsewhere = client_as("handler", VILLAGE_B)

    refused = problem(planner.get("/cases/N1/contact"), 403)
    assert "show_contact" in refused["detail"] or "contact" in refused["detail"]
    unknown, absent = elsewhere.get("/cases/N1/contact"), elsewhere.get("/cases/N9/contact")
    assert unknown.status_code == absent.status_code == 404
    assert unknown.content == absent.content.replace(b"N9", b"N1")
    planner_page = page_client(client, conn, "planner", COUNTY).get("/pages/cases/N1")
    assert "show-contact" not in planner_page.text and "138****8000" in planner_page.text


def test_the_case_page_in_english(client: TestClient, conn: Connection) -> None:
    create(client, contact=CONTACT)
    pages = page_client(client, conn, "supervisor", COUNTY)
    assert "Show contact" in pages.get("/pages/cases/N1?lang=en").text
