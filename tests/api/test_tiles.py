"""Vector tiles over HTTP, and the map assets served beside them."""

import mapbox_vector_tile
from fastapi.testclient import TestClient

from ..bundle.conftest import CELL_AN, CELL_AS, VILLAGE_A, VILLAGE_B
from ..regions.test_tiles import Z, tile_of
from .conftest import problem


def test_a_cell_tile_is_a_vector_tile_of_the_cells(client: TestClient) -> None:
    x, y = tile_of(114.1, 34.05, Z)
    response = client.get(f"/tiles/cells/{Z}/{x}/{y}.mvt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    cells = mapbox_vector_tile.decode(response.content)["cells"]["features"]
    assert sorted(f["properties"]["cell_code"] for f in cells) == sorted(
        [CELL_AS, CELL_AN, VILLAGE_B])


def test_a_region_tile_holds_the_outlines(client: TestClient) -> None:
    x, y = tile_of(114.1, 34.05, Z)
    regions = mapbox_vector_tile.decode(
        client.get(f"/tiles/regions/{Z}/{x}/{y}.mvt").content)["regions"]["features"]
    assert VILLAGE_A in {f["properties"]["region_code"] for f in regions}


def test_an_empty_tile_is_an_empty_body(client: TestClient) -> None:
    x, y = tile_of(116.4, 39.9, Z)
    response = client.get(f"/tiles/cells/{Z}/{x}/{y}.mvt")
    assert response.status_code == 200 and response.content == b""


def test_unknown_layers_are_404_and_bad_coordinates_422(client: TestClient) -> None:
    assert problem(client.get("/tiles/roads/0/0/0.mvt"), 404)["detail"] == (
        "no tile layer roads; layers: cells, regions")
    assert problem(client.get("/tiles/cells/3/8/0.mvt"), 422)["errors"] == [
        {"field": "x", "reason": "8 is outside 0–7 at zoom 3"}]
    assert problem(client.get("/tiles/cells/23/0/0.mvt"), 422)["errors"][0]["field"] == (
        "path.z")
    assert problem(client.get("/tiles/cells/1/0/-1.mvt"), 422)["errors"][0]["field"] == (
        "path.y")


def test_the_map_assets_are_served(client: TestClient) -> None:
    response = client.get("/assets/maps/leaflet.js")
    assert response.status_code == 200 and "Leaflet" in response.text[:200]
    assert client.get("/assets/maps/images/layers.png").status_code == 200
