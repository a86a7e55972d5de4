"""OGC API – Features over HTTP on the tiny bundle: a walk through what each declared
conformance class (Part 1 Core, GeoJSON; Part 2 CRS) requires of the answers, then scope,
roles, filters and refusals."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box, shape

from gridrisk.access.roles import DOES, may
from gridrisk.gis.layers import COLLECTIONS as COLLECTION_LAYERS
from gridrisk.vocab import Role

from ..accounts import ClientAs
from ..bundle.conftest import CELL_AN, CELL_AS, COUNTY, VILLAGE_A, VILLAGE_B

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
CRS = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG_4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
COLLECTIONS = ["regions", "cells", "cycle_cells_daily", "cycle_cells_weekly",
               "cycle_cells_monthly", "hotspots", "open_cases"]


def path(href: str) -> str:
    return href.removeprefix("http://testserver")


def links(body: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {link["rel"]: link for link in body["links"]}


def every_page(client: TestClient, url: str) -> list[dict[str, Any]]:
    """The features of every page, following next links."""
    found: list[dict[str, Any]] = []
    while url:
        body = client.get(url).json()
        assert body["numberReturned"] == len(body["features"])
        found += body["features"]
        url = path(links(body)["next"]["href"]) if "next" in links(body) else ""
    return found


def open_case_ids(client: TestClient, **params: str) -> set[str]:
    page = client.get("/cases", params={"state": "open", "limit": 500, **params}).json()
    return {c["case_id"] for c in page["items"]}


def test_core_the_landing_page_conformance_and_collections(client: TestClient) -> None:
    landing = client.get("/ogc")
    assert landing.status_code == 200 and landing.headers["content-type"] == (
        "application/json")
    rels = links(landing.json())
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    for rel in ("service-desc", "service-doc", "conformance", "data"):
        assert client.get(path(rels[rel]["href"])).status_code == 200, rel
    assert client.get(path(rels["conformance"]["href"])).json()["conformsTo"] == [
        CORE, GEOJSON, CRS]
    listed = client.get(path(rels["data"]["href"])).json()
    assert "self" in links(listed)
    assert [c["id"] for c in listed["collections"]] == COLLECTIONS
    for collection in listed["collections"]:
        assert client.get(f"/ogc/collections/{collection['id']}").json() == collection
        items = links(collection)["items"]
        assert items["type"] == "application/geo+json"
        assert client.get(path(items["href"])).status_code == 200
        [bbox] = collection["extent"]["spatial"]["bbox"]
        assert len(bbox) == 4 and collection["extent"]["spatial"]["crs"] == CRS84
    cells = next(c for c in listed["collections"] if c["id"] == "cells")
    assert cells["extent"]["spatial"]["bbox"] == [[114.0, 34.0, 114.2, 34.1]]
    assert "temporal" not in cells["extent"]
    cases = next(c for c in listed["collections"] if c["id"] == "open_cases")
    assert cases["extent"]["temporal"]["interval"] == [["2025-03-01T00:00:00Z",
                                                        "2025-05-02T00:00:00Z"]]


def test_core_items_page_with_limit_offset_and_next_links(client: TestClient) -> None:
    first = client.get("/ogc/collections/regions/items?limit=3")
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/geo+json"
    body = first.json()
    assert body["type"] == "FeatureCollection" and body["numberMatched"] == 4
    assert body["numberReturned"] == 3
    assert {"self", "next"} <= set(links(body)) and "prev" not in links(body)
    ids = [f["id"] for f in every_page(client, "/ogc/collections/regions/items?limit=1")]
    assert ids == sorted(ids) and len(set(ids)) == 4
    last = client.get("/ogc/collections/regions/items?limit=3&offset=3").json()
    assert "next" not in links(last) and "prev" in links(last)
    assert client.get("/ogc/collections/regions/items?offset=99").json()["features"] == []
    default = client.get("/ogc/collections/open_cases/items").json()
    assert default["numberReturned"] == min(10, default["numberMatched"])


def test_core_a_feature_by_id_and_an_unknown_one(client: TestClient) -> None:
    found = client.get(f"/ogc/collections/cells/items/{CELL_AS}")
    assert found.status_code == 200 and found.headers["content-type"] == (
        "application/geo+json")
    feature = found.json()
    assert feature["type"] == "Feature" and feature["id"] == CELL_AS
    assert {"self", "collection"} <= set(links(feature))
    assert feature["properties"]["region_code"] == VILLAGE_A
    missing = client.get("/ogc/collections/cells/items/NOPE")
    assert missing.status_code == 404
    assert client.get("/ogc/collections/roads").status_code == 404
    assert client.get("/ogc/collections/roads/items").status_code == 404


def test_core_bbox_and_datetime_select_features(client: TestClient) -> None:
    west = every_page(client, "/ogc/collections/cells/items?bbox=114.0,34.0,114.05,34.1")
    assert {f["id"] for f in west} == {CELL_AS, CELL_AN}
    for feature in west:
        assert shape(feature["geometry"]).intersects(box(114.0, 34.0, 114.05, 34.1))
    three = every_page(client, "/ogc/collections/cells/items?bbox=114.0,34.0,0,114.2,34.1,0")
    assert len(three) == 3
    march = every_page(client, "/ogc/collections/open_cases/items?datetime="
                               "2025-03-01/2025-03-31")
    assert {f["id"] for f in march} == open_case_ids(client) & {"C1", "C2"}
    assert all("2025-03-01" <= f["properties"]["received_on"] <= "2025-03-31" for f in march)
    until = every_page(client, "/ogc/collections/open_cases/items?datetime=../2025-04-10")
    assert {f["id"] for f in until} == open_case_ids(client) - {"C4"}
    instant = every_page(client, "/ogc/collections/open_cases/items?datetime="
                                 "2025-04-10T02:00:00Z")
    assert {f["id"] for f in instant} <= {"C3"}
    everything = every_page(client, "/ogc/collections/cells/items?datetime=2025-01-01")
    assert len(everything) == 3  # cells have no day: datetime does not apply


@pytest.mark.parametrize("query", [
    "limit=0", "limit=10001", "limit=ten", "offset=-1", "bbox=1,2,3", "bbox=a,b,c,d",
    "bbox=114.2,34,114,34.1", "datetime=yesterday", "datetime=2025-03-01T00:00:00",
    "datetime=2025-04-01/2025-03-01", "crs=EPSG:3857", "bbox-crs=" + EPSG_4326,
    "f=html", "colour=red", "region_code=", "collective=maybe"])
def test_core_a_bad_parameter_is_a_400_naming_it(client: TestClient, query: str) -> None:
    collection = "open_cases" if query.startswith("collective") else "cells"
    answer = client.get(f"/ogc/collections/{collection}/items?{query}")
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == query.split("=")[0]


def test_geojson_features_are_geojson(client: TestClient) -> None:
    for collection, geometry in (("regions", "MultiPolygon"), ("cells", "MultiPolygon"),
                                 ("open_cases", "Point")):
        body = client.get(f"/ogc/collections/{collection}/items?limit=100").json()
        for feature in body["features"]:
            assert set(feature) >= {"type", "id", "geometry", "properties"}
            assert feature["type"] == "Feature" and feature["geometry"]["type"] == geometry
            assert "crs" not in feature["geometry"]
            assert shape(feature["geometry"]).is_valid


def test_crs_lists_answers_in_the_asked_crs_and_reads_bbox_in_bbox_crs(client: TestClient
                                                                          ) -> None:
    for collection in client.get("/ogc/collections").json()["collections"]:
        assert collection["crs"] == [CRS84, EPSG_4326, EPSG_4490]
        assert collection["storageCrs"] == CRS84
    url = f"/ogc/collections/cells/items/{CELL_AS}"
    plain = client.get(url)
    assert plain.headers["content-crs"] == f"<{CRS84}>"
    lon_lat = plain.json()["geometry"]["coordinates"][0][0]
    for crs in (EPSG_4326, EPSG_4490):
        flipped = client.get(url, params={"crs": crs})
        assert flipped.headers["content-crs"] == f"<{crs}>"
        lat_lon = flipped.json()["geometry"]["coordinates"][0][0]
        assert [[round(y, 6), round(x, 6)] for y, x in lat_lon] == [
            [round(y, 6), round(x, 6)] for x, y in lon_lat]
    items = client.get("/ogc/collections/cells/items", params={"crs": EPSG_4326})
    assert items.headers["content-crs"] == f"<{EPSG_4326}>"
    by_lon_lat = every_page(client, "/ogc/collections/cells/items?bbox=114.0,34.0,114.05,34.1")
    by_lat_lon = every_page(client, "/ogc/collections/cells/items?bbox=34.0,114.0,34.1,114.05"
                                    f"&bbox-crs={EPSG_4326}")
    assert {f["id"] for f in by_lat_lon} == {f["id"] for f in by_lon_lat}
    assert client.get(url, params={"crs": "http://www.opengis.net/def/crs/EPSG/0/3857"}
                      ).status_code == 400


def test_property_filters(client: TestClient) -> None:
    village = every_page(client, f"/ogc/collections/cells/items?region_code={VILLAGE_A}")
    assert {f["id"] for f in village} == {CELL_AS, CELL_AN}
    villages = every_page(client, "/ogc/collections/regions/items?level=village")
    assert {f["id"] for f in villages} == {VILLAGE_A}
    land = every_page(client, "/ogc/collections/open_cases/items?category=land_requisition")
    assert {f["id"] for f in land} == open_case_ids(client, category="land_requisition")
    overdue = every_page(client, "/ogc/collections/open_cases/items?overdue=true")
    assert {f["id"] for f in overdue} == open_case_ids(client, overdue="true")
    collective = every_page(client, "/ogc/collections/open_cases/items?collective=true")
    assert all(f["properties"]["parties"] >= 5 for f in collective)


def test_open_cases_carry_no_names_and_mask_numbers(client: TestClient, conn) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    conn.execute(text("UPDATE cases SET summary = '联系人电话13812348000' WHERE case_id = 'C1'"))
    answer = client.get("/ogc/collections/open_cases/items/C1")
    assert answer.json()["properties"]["summary"] == "联系人电话138****8000"
    assert "responsible_official" not in answer.json()["properties"]
    assert "王副镇长" not in client.get("/ogc/collections/open_cases/items?limit=100").text


def test_a_feature_outside_the_scope_is_not_found_like_one_that_does_not_exist(
        client_as: ClientAs) -> None:
    village = client_as("supervisor", VILLAGE_B)
    assert [f["id"] for f in every_page(village, "/ogc/collections/cells/items")] == [
        VILLAGE_B]
    assert [f["id"] for f in every_page(village, "/ogc/collections/regions/items")] == [
        VILLAGE_B]
    assert {f["properties"]["region_code"] for f in every_page(
        village, "/ogc/collections/open_cases/items")} <= {VILLAGE_B}
    outside = village.get(f"/ogc/collections/cells/items/{CELL_AS}")
    absent = village.get("/ogc/collections/cells/items/41100000129999")
    assert outside.status_code == absent.status_code == 404
    assert outside.content == absent.content.replace(b"41100000129999", CELL_AS.encode())
    [bbox] = village.get("/ogc/collections/cells").json()["extent"]["spatial"]["bbox"]
    assert bbox == [114.1, 34.0, 114.2, 34.1]


def test_roles_see_the_collections_they_may_read(client_as: ClientAs) -> None:
    """Each role lists what the role table lets it read, and is refused the rest (403, with
    the reason), whatever the table says today."""
    for role in Role:
        codes = (CELL_AS,) if role is Role.worker else (COUNTY,)
        caller = client_as(role.value, *codes)
        allowed = [c for c in COLLECTIONS if may(role, COLLECTION_LAYERS[c].action)]
        listed = [c["id"] for c in caller.get("/ogc/collections").json()["collections"]]
        assert listed == allowed, role
        for collection in COLLECTIONS:
            answer = caller.get(f"/ogc/collections/{collection}/items")
            assert answer.status_code == (200 if collection in allowed else 403), (role,
                                                                                    collection)
            if answer.status_code == 403:
                assert DOES[COLLECTION_LAYERS[collection].action] in answer.json()["detail"]
    worker = client_as("worker", CELL_AS)
    assert [f["id"] for f in every_page(worker, "/ogc/collections/cells/items")] == [CELL_AS]
    assert any(not may(r, layer.action) for r in Role for layer in COLLECTION_LAYERS.values())


def test_every_ogc_route_needs_a_signed_in_caller(client: TestClient) -> None:
    anyone = TestClient(client.app)
    for url in ("/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/cells",
                "/ogc/collections/cells/items", f"/ogc/collections/cells/items/{CELL_AS}"):
        assert anyone.get(url).status_code == 401, url
