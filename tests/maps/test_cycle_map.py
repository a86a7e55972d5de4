"""The cycle map's HTML, without a browser: the column contract, labels, no CDN, popups that
name cases but never a person, and vector tiles for large regions."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd
import pytest

from gridrisk.vocab import labels
from maps.assets import ASSETS_DIR
from maps.columns import CASE_COLUMNS, MissingColumns
from maps.cycle import Classes, cycle_map

from .conftest import CODE_LABELS

TILES = "/tiles/cells/{z}/{x}/{y}.mvt?cycle=7"


def popup_data(html: str) -> dict:
    """The Popups element's data: labels, each cell's figures and first cases, each case."""
    found = re.search(r"\}\)\((\{\"text\":.*\})\);\n", html)
    assert found, "no popup data in the page"
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def test_missing_columns_are_named(cells: gpd.GeoDataFrame, cases: gpd.GeoDataFrame) -> None:
    with pytest.raises(MissingColumns, match="cells: missing columns hotspot, trend"):
        cycle_map(cells.drop(columns=["hotspot", "trend"]), cases)
    with pytest.raises(MissingColumns, match="cases: missing columns handle_by"):
        cycle_map(cells, cases.drop(columns=["handle_by"]))


def test_frames_need_a_crs_and_known_classes(cells: gpd.GeoDataFrame,
                                              cases: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match="cases: no CRS"):
        cycle_map(cells, cases.set_crs(None, allow_override=True))
    with pytest.raises(ValueError, match=r"cells.hotspot: unknown values hot_80"):
        cycle_map(cells.assign(hotspot="hot_80"), cases)
    with pytest.raises(ValueError, match=r"cases.band: unknown values urgent"):
        cycle_map(cells, cases.assign(band="urgent"))
    with pytest.raises(ValueError, match="lang: 'fr'"):
        cycle_map(cells, cases, lang="fr")


def test_other_crs_are_reprojected(cells: gpd.GeoDataFrame, cases: gpd.GeoDataFrame) -> None:
    html = cycle_map(cells.to_crs(3857), cases.to_crs(4490))
    assert "[[39.88, 116.38], [39.92, 116.42]]" in html  # the fitted bounds, in degrees


def test_labels_are_chinese_by_default_and_english_on_request(
        cells: gpd.GeoDataFrame, cases: gpd.GeoDataFrame) -> None:
    zh = cycle_map(cells, cases, code_labels=labels("zh"))
    assert '<html lang="zh-CN">' in zh
    for label in ("图例", "预计升级数", "热点分析（Gi*）", "漏排查网格", "超期事项", "集体访事项",
                  "热点（99%置信度）", "加剧", "高风险"):
        assert label in zh, label
    en = cycle_map(cells, cases, lang="en", code_labels=labels("en"))
    assert '<html lang="en">' in en
    for label in ("Legend", "Expected escalations", "Hotspots (Gi*)", "Overdue cases",
                  "Hot spot (99% confidence)", "Intensifying", "High risk"):
        assert label in en, label
    assert "图例" not in en and "高风险" not in en


def test_codes_without_names_show_themselves(cells: gpd.GeoDataFrame,
                                            cases: gpd.GeoDataFrame) -> None:
    html = cycle_map(cells, cases)
    assert "hot_99" in html and "intensifying" in html
    assert "热点（99%置信度）" not in html


def test_no_cdn_anywhere_only_the_configured_tile_url(cells: gpd.GeoDataFrame,
                                                      cases: gpd.GeoDataFrame) -> None:
    html = cycle_map(cells, cases)
    for word in ("cdn", "unpkg", "jsdelivr", "http://", "https://"):
        assert word not in html.lower(), word
    for asset in ("leaflet.js", "leaflet.css", "leaflet.markercluster.js",
                  "MarkerCluster.Default.css"):
        assert f'"/assets/maps/{asset}"' in html
    assert "jquery" not in html.lower() and "bootstrap" not in html.lower()
    tiles = "http://127.0.0.1:8080/base/{z}/{x}/{y}.png"
    with_tiles = cycle_map(cells, cases, tile_url=tiles, tile_attribution="本地底图")
    assert re.findall(r"https?://[^\"' ]+", with_tiles) == [tiles]


def test_a_standalone_map_inlines_every_asset(cells: gpd.GeoDataFrame,
                                              cases: gpd.GeoDataFrame) -> None:
    html = cycle_map(cells, cases, asset_url=None)
    assert re.findall(r"""(?:src|href)=["'](?!#)[^"']*""", html) == [
        'href="https://leafletjs.com'], "only Leaflet's own credit link"
    assert "<link" not in html and "L.markerClusterGroup" in html
    assert "url(data:image/png;base64," in html


def test_shipped_scripts_can_be_inlined() -> None:
    for script in ASSETS_DIR.glob("*.js"):
        assert "</script" not in script.read_text(encoding="utf-8").lower(), script.name


def test_a_cells_popup_lists_its_first_five_cases_by_rank(cells: gpd.GeoDataFrame,
                                                          cases: gpd.GeoDataFrame) -> None:
    more = cases[cases["cell_code"] == "G01"].iloc[[0] * 5].assign(
        case_id=[f"XF-EXTRA-{k}" for k in range(5)], rank=[9, 4, 8, 5, 7])
    data = popup_data(cycle_map(cells, gpd.GeoDataFrame(
        [*cases.to_dict("records"), *more.to_dict("records")], crs=4326),
        code_labels=CODE_LABELS))
    name, township, figures, first = data["cells"]["G01"]
    assert (name, township) == ("第1网格", "东华门街道")
    assert dict(zip(data["text"]["figures"], figures, strict=True)) == {
        "预计升级数": "3.20", "每千户预计升级数": "16.00", "在办事项": 3, "超期": 1, "临期": 0,
        "集体访": 1, "重大矛盾纠纷": 1, "漏排查次数": 0, "户数": 200,
        "热点类别": "热点（99%置信度） (z = 3.00)", "趋势": "加剧"}
    listed = [data["cases"][i] for i in first]
    assert [case[0] for case in listed] == [
        "XF2025-0001", "XF2025-0002", "XF2025-0003", "XF-EXTRA-1", "XF-EXTRA-3"]
    assert listed[0] == ["XF2025-0001", "征地拆迁", 0, "期限风险 > 99% · 反复风险 < 1%",
                         "2025-06-01", " <b>已超期</b> <b>集体访</b>",
                         "临近办理期限；涉及人数较多", "东华门街道办事处"]
    assert listed[1][3] == "期限风险 51% · 反复风险 43%"  # 0.425: half rounds up
    assert listed[2][4] == "未定"
    assert data["cells"]["G06"][2][8] == "—"  # households unknown


def test_no_personal_detail_reaches_the_page(cells: gpd.GeoDataFrame,
                                             cases: gpd.GeoDataFrame) -> None:
    """Only documented columns are read: whatever else a frame carries stays out."""
    extra = {"complainant_name": "张某某", "complainant_phone": "13800138000",
             "id_card": "410102199001011234", "summary": "反映征地补偿未足额发放"}
    html = cycle_map(cells.assign(**extra), cases.assign(**extra))
    for value in extra.values():
        assert value not in html
    assert set(CASE_COLUMNS).isdisjoint(extra)


def test_user_text_is_escaped(cells: gpd.GeoDataFrame, cases: gpd.GeoDataFrame) -> None:
    html = cycle_map(cells.assign(cell_name="<img src=x onerror=alert(1)>"),
                     cases.assign(responsible_unit="</script><script>alert(2)</script>"))
    assert "<img src=x" not in html and "<script>alert(2)" not in html
    assert popup_data(html)["cells"]["G01"][0] == "&lt;img src=x onerror=alert(1)&gt;"


def test_large_regions_draw_cells_from_vector_tiles(cells: gpd.GeoDataFrame,
                                                    cases: gpd.GeoDataFrame) -> None:
    embedded = cycle_map(cells, cases, tile_endpoint=TILES, max_embedded_cells=16)
    assert "vectorGrid" not in embedded and '"type": "Polygon"' in embedded
    tiled = cycle_map(cells, cases, tile_endpoint=TILES, max_embedded_cells=15)
    assert '"type": "Polygon"' not in tiled
    assert tiled.count(f"L.vectorGrid.protobuf({json.dumps(TILES)}") == 3
    assert '"/assets/maps/leaflet.vectorgrid.js"' in tiled and "无数据" in tiled
    # popups only for cells with something to tell (here all have open cases); the others
    # show their name
    assert set(popup_data(tiled)["cells"]) == set(cells["cell_code"])
    quiet = cells.assign(n_open=0, n_missed_screenings=0, hotspot="none", trend="")
    assert popup_data(cycle_map(quiet, cases.iloc[:0], tile_endpoint=TILES,
                                max_embedded_cells=1))["cells"] == {}
    # no endpoint: embedded whatever the size
    assert "vectorGrid" not in cycle_map(cells, cases, max_embedded_cells=1)


def test_cell_popups_link_to_the_cell_page_when_asked(cells: gpd.GeoDataFrame,
                                                      cases: gpd.GeoDataFrame) -> None:
    assert popup_data(cycle_map(cells, cases))["cell_url"] is None
    data = popup_data(cycle_map(cells, cases, cell_url="/pages/cycles/7/cells/{cell_code}"))
    assert data["cell_url"] == "/pages/cycles/7/cells/{cell_code}"
    assert data["text"]["open_worklist"] == "查看工作清单"


def test_cells_expecting_nothing_get_a_class_of_their_own() -> None:
    classes = Classes.of(pd.Series([0.0] * 80 + [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 1, 2, 3, 5]))
    assert classes.ranges()[0][1] == "0" and len(classes.ranges()) == 5
    assert classes.colour(0.0) != classes.colour(0.05) != classes.colour(5.0)
