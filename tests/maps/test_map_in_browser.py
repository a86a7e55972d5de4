"""The cycle map in headless Chromium: a standalone file opened with no network, and a map
served from 127.0.0.1 whose cells come from vector tiles. Screenshots land in
test-artifacts/screenshots/."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import geopandas as gpd
import mapbox_vector_tile
import pandas as pd
import pytest
import shapely
from playwright.sync_api import Page, expect

from gridrisk.vocab import labels
from maps.assets import ASSETS_DIR
from maps.cycle import HOTSPOT_COLOURS, OVERDUE_COLOUR, cycle_map

from ..browser import Tab
from .conftest import CODE_LABELS, TOP_CASE

pytestmark = pytest.mark.slow

LAYERS_ZH = ["行政区划", "预计升级数", "热点分析（Gi*）", "漏排查网格", "在办事项", "超期事项",
             "集体访事项"]
#: inside cell G01, away from its case markers
IN_G01 = (39.8815, 116.385)
#: the one case of cell G09
G09_CASE = (39.905, 116.383)
TILE = re.compile(r"^/tiles/cells/(\d+)/(\d+)/(\d+)\.mvt$")
WORLD, EXTENT = 20037508.342789244, 4096


def click_at(page: Page, lat: float, lon: float) -> None:
    """Click where a coordinate is on the map (folium names the map's variable by its id)."""
    x, y = page.evaluate("""([lat, lon]) => {
        const map = window[document.querySelector(".folium-map").id];
        const point = map.latLngToContainerPoint([lat, lon]);
        return [point.x, point.y];
    }""", [lat, lon])
    box = page.locator(".folium-map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + x, box["y"] + y)


def open_standalone(tab: Tab, tmp_path: Path, html: str) -> Page:
    path = tmp_path / "map.html"
    path.write_text(html, encoding="utf-8")
    tab.page.goto(path.as_uri())
    # the map is fitted to the cells once each cell with three cases has its own cluster
    expect(tab.page.locator(".marker-cluster")).to_have_count(8)
    return tab.page


def test_a_standalone_map_opens_from_a_file_with_no_network(
        tab: Tab, tmp_path: Path, cells: gpd.GeoDataFrame, cases: gpd.GeoDataFrame,
        outlines: gpd.GeoDataFrame) -> None:
    page = open_standalone(tab, tmp_path, cycle_map(
        cells, cases, outlines=outlines, asset_url=None, code_labels=CODE_LABELS))
    expect(page.locator(".folium-map.leaflet-container")).to_be_visible()
    assert page.locator(".leaflet-control-layers-overlays label").all_inner_texts() == [
        f" {name}" for name in LAYERS_ZH]
    legend = page.locator(".gridrisk-legend")
    for label in ("图例", "预计升级数", "热点（99%置信度）", "冷点（95%置信度）", "加剧", "高风险",
                  "超期事项"):
        expect(legend).to_contain_text(label)

    rings = page.locator(f'.leaflet-overlay-pane path[stroke="{OVERDUE_COLOUR}"]')
    expect(rings).to_have_count(0)  # hidden until asked for
    page.get_by_label("超期事项").check()
    expect(rings).to_have_count(2)  # G01's and G04's first cases

    click_at(page, *G09_CASE)
    expect(page.locator(".leaflet-popup-content")).to_contain_text("XF2025-0025")
    click_at(page, *IN_G01)  # the case's popup closes as the cell's opens
    popup = page.locator(".leaflet-popup-content", has_text="第1网格")
    expect(popup).to_contain_text(f"{TOP_CASE} 征地拆迁 · 高风险")
    expect(popup).to_contain_text("临近办理期限；涉及人数较多")
    expect(popup).to_contain_text("2025-06-01 已超期 集体访")
    tab.assert_offline()


def test_the_map_speaks_english_on_request(tab: Tab, tmp_path: Path, cells: gpd.GeoDataFrame,
                                           cases: gpd.GeoDataFrame) -> None:
    page = open_standalone(tab, tmp_path, cycle_map(cells, cases, lang="en", asset_url=None,
                                                 code_labels=labels("en")))
    expect(page.locator(".gridrisk-legend")).to_contain_text("Hot spot (99% confidence)")
    expect(page.locator(".leaflet-control-layers")).to_contain_text("Overdue cases")
    click_at(page, *IN_G01)
    expect(page.locator(".leaflet-popup-content")).to_contain_text("Cases to resolve first")
    tab.assert_offline()


def encode_tile(cells: gpd.GeoDataFrame, z: int, x: int, y: int) -> bytes:
    """What /tiles/cells/{z}/{x}/{y}.mvt?cycle= answers: the cells and their figures."""
    size = 2 * WORLD / 2**z
    bounds = (-WORLD + x * size, WORLD - (y + 1) * size, -WORLD + (x + 1) * size, WORLD - y * size)
    mercator = cells.to_crs(3857)
    inside = mercator[mercator.intersects(shapely.box(*bounds))]
    in_tile = shapely.transform(inside.geometry.to_numpy(), lambda xy: (
        xy - bounds[:2]) / size * EXTENT)  # tile units, y up as the encoder expects
    features = [{"geometry": shape.wkt,
                 "properties": {k: v for k, v in row._asdict().items()
                                if k not in ("Index", "geometry", "township") and pd.notna(v)}}
                for row, shape in zip(inside.itertuples(), in_tile, strict=True)]
    return mapbox_vector_tile.encode([{"name": "cells", "features": features}])


@pytest.fixture
def served(cells: gpd.GeoDataFrame, cases: gpd.GeoDataFrame) -> Iterator[str]:
    """A map page, its assets and vector tiles of its cells, on 127.0.0.1."""
    page = cycle_map(cells, cases, tile_endpoint="/tiles/cells/{z}/{x}/{y}.mvt?cycle=1",
                     max_embedded_cells=4, code_labels=CODE_LABELS).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            tile = TILE.match(path)
            if path == "/map":
                self.answer(page, "text/html; charset=utf-8")
            elif tile:
                z, x, y = map(int, tile.groups())
                self.answer(encode_tile(cells, z, x, y), "application/vnd.mapbox-vector-tile")
            elif path.startswith("/assets/maps/") and (
                    ASSETS_DIR / path.removeprefix("/assets/maps/")).is_file():
                file = ASSETS_DIR / path.removeprefix("/assets/maps/")
                kind = {".js": "text/javascript", ".css": "text/css"}.get(file.suffix,
                                                                           "image/png")
                self.answer(file.read_bytes(), kind)
            else:
                self.send_error(404)

        def answer(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(10)


def test_a_large_region_draws_its_cells_from_vector_tiles(tab: Tab, served: str) -> None:
    page = tab.page
    page.goto(f"{served}/map")
    expect(page.locator(".marker-cluster")).to_have_count(8)  # fitted to the cells
    drawn = ".leaflet-tile-container svg path"
    expect(page.locator(drawn).first).to_be_attached()
    # the hotspot layer (G01 is hot at 99%) and the missed-screenings one come from tiles too
    expect(page.locator(f'{drawn}[fill="{HOTSPOT_COLOURS["hot_99"]}"]')).not_to_have_count(0)
    expect(page.locator(f'{drawn}[stroke-dasharray="4 4"]')).not_to_have_count(0)
    assert any("/tiles/cells/" in url and "cycle=1" in url for url in tab.requests)
    expect(page.locator(".leaflet-control-layers")).to_contain_text("热点分析（Gi*）")
    click_at(page, *IN_G01)
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("第1网格")
    expect(popup).to_contain_text(TOP_CASE)
    tab.assert_offline()
