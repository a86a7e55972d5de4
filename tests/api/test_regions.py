"""Regions and cells over HTTP."""

import numpy as np
from fastapi.testclient import TestClient

from gridrisk.regions.coords import from_wgs84

from ..bundle.conftest import CELL_AN, CELL_AS, COUNTY, TOWNSHIP, VILLAGE_A, VILLAGE_B
from .conftest import problem


def test_the_tree_from_the_top(client: TestClient) -> None:
    top = client.get("/regions").json()
    assert [(r["code"], r["level"]) for r in top] == [(COUNTY, "county")]
    below = client.get("/regions", params={"parent": TOWNSHIP}).json()
    assert [r["code"] for r in below] == [VILLAGE_A, VILLAGE_B]
    tree = client.get(f"/regions/{COUNTY}/tree").json()
    assert tree["children"][0]["code"] == TOWNSHIP
    assert [v["name"] for v in tree["children"][0]["children"]] == ["东湖村", "西岗社区"]


def test_region_and_cell_geometry_as_geojson(client: TestClient) -> None:
    region = client.get(f"/regions/{VILLAGE_A}").json()
    assert region["type"] == "Feature" and region["geometry"]["type"] == "MultiPolygon"
    assert region["properties"]["households"] == 800
    cell = client.get(f"/cells/{CELL_AS}").json()
    ring = cell["geometry"]["coordinates"][0][0]
    assert min(p[0] for p in ring) == 114.0 and max(p[1] for p in ring) == 34.05
    cells = client.get(f"/regions/{TOWNSHIP}/cells").json()
    assert [c["code"] for c in cells] == [CELL_AS, CELL_AN, VILLAGE_B]


def test_cell_at_a_point_in_each_crs(client: TestClient) -> None:
    assert client.get("/cells/at", params={"lon": 114.03, "lat": 34.07}).json()["code"] == (
        CELL_AN)
    lon, lat = from_wgs84(np.array([114.03]), np.array([34.02]), "bd09")
    found = client.get("/cells/at", params={"lon": lon[0], "lat": lat[0], "crs": "bd09"})
    assert found.json()["code"] == CELL_AS
    on_border = client.get("/cells/at", params={"lon": 114.05, "lat": 34.05})
    assert on_border.json()["code"] == CELL_AS


def test_point_outside_every_cell_is_a_422_that_says_so(client: TestClient) -> None:
    body = problem(client.get("/cells/at", params={"lon": 116.0, "lat": 39.9}), 422)
    assert body["errors"] == [{"field": "lon",
                               "reason": "point (116.000000, 39.900000) is outside every cell"}]


def test_unknown_codes_are_404(client: TestClient) -> None:
    assert problem(client.get("/regions/999"), 404)["detail"] == "no region with code 999"
    problem(client.get("/cells/999"), 404)
    problem(client.get("/regions", params={"parent": "999"}), 404)


def test_bad_query_names_the_field(client: TestClient) -> None:
    body = problem(client.get("/cells/at", params={"lon": 500, "lat": 34}), 422)
    assert body["errors"][0]["field"] == "query.lon"
