"""A screening cycle's map of one region, as one HTML page: cells by expected escalations,
Gi* hotspots and their trend, open cases clustered and coloured by risk band, overdue and
collective cases, cells that missed screenings, and a popup per cell with the cases to resolve
first. Everything the page loads comes from gridrisk (see assets.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure, MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.plugins import FastMarkerCluster
from folium.template import Template
from folium.utilities import JsCode

from maps.assets import ASSET_URL, use_shipped_assets
from maps.columns import (
    BANDS,
    CASE_COLUMNS,
    CELL_COLUMNS,
    HOTSPOTS,
    OUTLINE_COLUMNS,
    TRENDS,
    in_wgs84,
    require_values,
)
from maps.labels import labels
from models.display import shown_probability

#: above this many cells a map with a tile endpoint draws cells from vector tiles
MAX_EMBEDDED_CELLS = 1500
#: with no tile layer nothing else sets it, and markercluster needs one
MAX_ZOOM = 18
#: vector tiles are made up to this zoom and scaled beyond it
MAX_TILE_ZOOM = 16
#: the layer name inside each vector tile (gridrisk/regions/tiles.py writes it)
TILE_LAYER = "cells"
TOP_CASES = 5
#: the figures a cell's popup lists, by their label
CELL_FIGURES = ("expected_escalations", "escalations_per_1000", "n_open", "n_overdue",
                "n_due_soon", "n_collective", "n_high_disputes", "n_missed_screenings",
                "households", "hotspot", "trend")
#: about 1 m: finer digits only make the page heavier
DECIMALS = 5

CLASS_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")  # ColorBrewer YlOrRd
NO_DATA = "#d9d9d9"
HOTSPOT_COLOURS = {"hot_99": "#b2182b", "hot_95": "#ef8a62", "hot_90": "#fddbc7",
                   "cold_90": "#d1e5f0", "cold_95": "#67a9cf", "cold_99": "#2166ac"}
#: a hotspot's outline tells its trend across cycles
TREND_LINES: dict[str, dict[str, object]] = {
    "new": {"weight": 3, "dashArray": "6 4"},
    "intensifying": {"weight": 4, "dashArray": None},
    "persistent": {"weight": 2, "dashArray": None},
    "diminishing": {"weight": 2, "dashArray": "1 5"},
    "sporadic": {"weight": 2, "dashArray": "8 4 2 4"},
    "": {"weight": 1, "dashArray": None},
}
BAND_COLOURS = {"high": "#d7191c", "medium": "#fdae61", "low": "#1a9641"}
#: bands as numbers in the page, highest first, so a cluster takes its smallest
BAND_INDEX = {band: i for i, band in enumerate(BANDS)}
OVERDUE_COLOUR = "#000000"
COLLECTIVE_COLOUR = "#6a3d9a"
MISSED_COLOUR = "#e7298a"
CELL_STYLE = {"color": "#555555", "weight": 0.5, "fillOpacity": 0.7}
HOTSPOT_STYLE = {"color": "#222222", "fillOpacity": 0.6}
MISSED_STYLE = {"fill": False, "color": MISSED_COLOUR, "weight": 3, "dashArray": "4 4"}
OUTLINE_STYLE = {"fill": False, "color": "#444444", "weight": 2}


def cycle_map(cells: gpd.GeoDataFrame, cases: gpd.GeoDataFrame, *,
              outlines: gpd.GeoDataFrame | None = None, lang: str = "zh", title: str = "",
              tile_url: str = "", tile_attribution: str = "",
              asset_url: str | None = ASSET_URL, tile_endpoint: str | None = None,
              max_embedded_cells: int = MAX_EMBEDDED_CELLS,
              code_labels: Mapping[str, Mapping[str, str]] | None = None,
              cell_url: str | None = None) -> str:
    """The whole HTML page of a cycle's map.

    Frames follow maps/columns.py. `asset_url` is where the API serves maps/assets; None
    inlines them, for a file that opens with no network. `tile_url` is a base-map template
    ({z}/{x}/{y}); empty draws the map on a plain background. With more cells than
    `max_embedded_cells` and a `tile_endpoint` (a template such as
    /tiles/cells/{z}/{x}/{y}.mvt?cycle=7) the cells come from vector tiles instead of being
    embedded. `code_labels` names the codes in the frames by vocabulary ("category",
    "hotspot", "trend": code → name, as gridrisk.vocab.labels gives them); a code without a
    name shows itself.
    `cell_url` (a template such as /pages/cycles/7/cells/{cell_code}) puts a link to the
    cell's page in its popup, opened in the whole window when the map sits in a frame.
    """
    names = code_labels or {}
    text = {**labels(lang), **{code: code for code in (*HOTSPOTS, *TRENDS) if code},
            **names.get("hotspot", {}), **{k: v for k, v in names.get("trend", {}).items() if k}}
    cells = in_wgs84(cells, CELL_COLUMNS, frame_name="cells")
    cases = in_wgs84(cases, CASE_COLUMNS, frame_name="cases").reset_index(drop=True)
    require_values(cells, "hotspot", HOTSPOTS, frame_name="cells")
    require_values(cells, "trend", TRENDS, frame_name="cells")
    require_values(cases, "band", BANDS, frame_name="cases")
    if cells.empty:
        raise ValueError("cells: no cells to map")
    cells, cases = _rounded(cells), _rounded(cases)
    classes = Classes.of(cells["expected_escalations"])
    from_tiles = bool(tile_endpoint) and len(cells) > max_embedded_cells
    if from_tiles:  # only cells with something to tell: the rest show their name
        cells_with_popups = cells[(cells["n_open"] > 0) | (cells["n_missed_screenings"] > 0)
                                  | (cells["hotspot"] != "none")]
    else:
        cells_with_popups = cells
    popups = Popups(cells_with_popups, cases, text, names.get("category", {}),
                    cell_url=cell_url)

    west, south, east, north = cells.total_bounds
    m = folium.Map(location=[(south + north) / 2, (west + east) / 2], tiles=None,
                   control_scale=True)
    m.options["max_zoom"] = MAX_ZOOM
    m.fit_bounds([[south, west], [north, east]])
    popups.add_to(m)
    if tile_url:
        folium.TileLayer(tile_url, attr=tile_attribution or text["basemap"],
                         name=text["basemap"], max_zoom=MAX_ZOOM, control=False).add_to(m)
    if outlines is not None:
        outlines = _rounded(in_wgs84(outlines, OUTLINE_COLUMNS, frame_name="outlines"))
        folium.GeoJson(outlines.assign(name=outlines["name"].map(escape)),
                       name=text["outlines"], style_function=lambda _: OUTLINE_STYLE,
                       tooltip=folium.GeoJsonTooltip(["name"], labels=False)).add_to(m)
    if from_tiles:
        _add_vector_cells(m, str(tile_endpoint), popups, classes, text)
    else:
        _add_embedded_cells(m, cells, popups, classes, text)
    _add_cases(m, cases, popups, text)
    Legend(_legend_html(title, classes, text, from_tiles)).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    page = Page(title=title or text["map_title"], lang="zh-CN" if lang == "zh" else "en")
    page.add_child(m)
    use_shipped_assets(m, asset_url)
    return page.render()


class Classes:
    """Quantile classes of expected escalations: the choropleth's colours and legend."""

    def __init__(self, uppers: list[float], lowest: float) -> None:
        self.uppers = uppers
        self.lowest = lowest
        spread = np.linspace(0, len(CLASS_COLOURS) - 1, max(len(uppers), 1))
        self.colours = [CLASS_COLOURS[round(i)] for i in spread]

    @classmethod
    def of(cls, values: pd.Series, k: int = 5) -> Classes:
        """Up to `k` classes; cells expecting nothing get a class of their own, so that a
        county where most cells are quiet still shows the spread among the rest."""
        known = values.dropna().to_numpy(dtype=float)
        if known.size == 0:
            return cls([], 0.0)
        positive = known[known > 0]
        if 0 < positive.size < known.size:
            edges = np.unique(np.quantile(positive, np.linspace(0, 1, k)))
            return cls([0.0, *[float(e) for e in edges[1:]]] if len(edges) > 1
                       else [0.0, float(edges[0])], 0.0)
        edges = np.unique(np.quantile(known, np.linspace(0, 1, k + 1)))
        return cls([float(e) for e in edges[1:]] or [float(edges[0])], float(edges[0]))

    def colour(self, value: float) -> str:
        """Class i holds values above upper i-1 up to upper i (the same rule as `js`)."""
        if pd.isna(value) or not self.uppers:
            return NO_DATA
        index = int(np.searchsorted(self.uppers, value, side="left"))
        return self.colours[min(index, len(self.uppers) - 1)]

    def ranges(self) -> list[tuple[str, str]]:
        lows = [self.lowest, *self.uppers[:-1]]
        return [(colour, f"{high:g}" if low == high else f"{low:.2f} – {high:.2f}")
                for colour, low, high in zip(self.colours, lows, self.uppers, strict=True)]

    def js(self) -> str:
        """A JavaScript function of a value, for cells styled in the browser."""
        return (f"function (v) {{ var uppers = {json.dumps(self.uppers)}, "
                f"colours = {json.dumps(self.colours)}; "
                f"if (v == null || isNaN(v) || !uppers.length) return {json.dumps(NO_DATA)}; "
                "var i = 0; while (i < uppers.length - 1 && v > uppers[i]) i++; "
                "return colours[i]; }")


class Page(Figure):
    """folium's page with the document's language, so the browser picks CJK glyphs for zh."""

    _template = Template(
        "<!DOCTYPE html>\n<html lang=\"{{ this.lang }}\">\n<head>\n"
        "<title>{{ this.title|e }}</title>\n{{ this.header.render(**kwargs) }}\n</head>\n"
        "<body>\n{{ this.html.render(**kwargs) }}\n</body>\n"
        "<script>\n{{ this.script.render(**kwargs) }}\n</script>\n</html>\n")

    def __init__(self, *, title: str, lang: str) -> None:
        super().__init__(title=title)
        self.lang = lang


class Legend(MacroElement):
    """The legend as a Leaflet control, so it stays with the map."""

    _template = Template("""
        {% macro header(this, kwargs) %}
        <style>
        .leaflet-container { font-family: "Noto Sans CJK SC", "Microsoft YaHei",
            "PingFang SC", sans-serif; }
        .gridrisk-legend { background: rgba(255, 255, 255, 0.92); padding: 6px 10px;
            border-radius: 4px; box-shadow: 0 1px 4px rgba(0, 0, 0, 0.3); font-size: 12px;
            line-height: 1.5; max-height: 45vh; overflow-y: auto; }
        .gridrisk-legend h4 { margin: 0 0 4px; font-size: 13px; }
        .gridrisk-legend h5 { margin: 6px 0 2px; font-size: 12px; }
        .gridrisk-legend i { display: inline-block; width: 14px; height: 12px;
            margin-right: 6px; vertical-align: middle; border: 1px solid #888; }
        .gridrisk-legend svg { margin-right: 6px; vertical-align: middle; }
        .gridrisk-popup table { border-collapse: collapse; margin: 4px 0; }
        .gridrisk-popup td { padding: 0 6px 0 0; }
        .gridrisk-popup ol { margin: 2px 0; padding-left: 18px; }
        .gridrisk-popup small { color: #555; }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomleft"});  // the layers are top right
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "gridrisk-legend");
                div.innerHTML = {{ this.html }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, html: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Legend"
        self.html = _script_json(html)


class Popups(MacroElement):
    """Every popup's content, written once and compactly (labels once, each case once: a
    cell names its first cases by their place in `cases`); the browser builds the HTML when
    a popup opens. Text from the frames is escaped here."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (data) {
            var t = data.text;
            function caseHtml(i) {
                var c = data.cases[i];  // id, category, band, risks, deadline, tags, reasons, unit
                return "<b>" + c[0] + "</b> " + c[1] + " · <span style=\\"color: "
                    + t.colours[c[2]] + "\\">" + t.bands[c[2]] + "</span><br>"
                    + c[3] + " · " + t.handle_by + " " + c[4] + c[5]
                    + (c[6] ? "<br><small>" + t.reasons + c[6] + "</small>" : "")
                    + "<br><small>" + t.unit + c[7] + "</small>";
            }
            function cellHtml(code) {
                var c = data.cells[code];  // name, township, figures, first cases
                if (!c) return null;
                var rows = c[2].map(function (value, k) {
                    return "<tr><td>" + t.figures[k] + "</td><td>" + value + "</td></tr>";
                }).join("");
                var first = c[3].length ? "<ol>" + c[3].map(function (i) {
                    return "<li>" + caseHtml(i) + "</li>";
                }).join("") + "</ol>" : "<br>" + t.no_cases;
                var link = data.cell_url ? "<div class=\\"gridrisk-worklist\\"><a target="
                    + "\\"_top\\" href=\\"" + data.cell_url.replace("{cell_code}",
                    encodeURIComponent(code)) + "\\">" + t.open_worklist + "</a></div>" : "";
                return "<div class=\\"gridrisk-popup\\"><b>" + c[0] + "</b> <small>" + c[1]
                    + "</small>" + link + "<table>" + rows + "</table><b>" + t.top_cases
                    + "</b>" + first + "</div>";
            }
            // a popup scrolls inside itself beyond 60% of the map's window, so that Leaflet
            // can always pan all of it (and the worklist link at its top) into view
            L.Popup.prototype.options.maxHeight = Math.max(160, Math.round(
                window.innerHeight * 0.6));
            return {cellHtml: cellHtml, caseHtml: caseHtml};
        })({{ this.data }});
        {% endmacro %}
    """)

    def __init__(self, cells: gpd.GeoDataFrame, cases: gpd.GeoDataFrame, text: dict[str, str],
                 categories: Mapping[str, str], *, cell_url: str | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "Popups"
        top = cases.sort_values(["cell_code", "rank"]).groupby("cell_code").head(TOP_CASES)
        first = {code: [int(i) for i in index]
                 for code, index in top.groupby("cell_code").groups.items()}
        self.data = _script_json({
            "text": {"colours": [BAND_COLOURS[band] for band in BANDS],
                     "bands": [text[band] for band in BANDS],
                     "figures": [text[figure] for figure in CELL_FIGURES],
                     "reasons": text["reasons"] + text["colon"],
                     "unit": text["responsible_unit"] + text["colon"],
                     **{key: text[key] for key in ("handle_by", "top_cases", "no_cases",
                                                   "open_worklist")}},
            "cell_url": escape(cell_url) if cell_url else None,
            "cells": {cell.cell_code: [escape(str(cell.cell_name)), escape(str(cell.township)),
                                       _cell_figures(cell, text), first.get(cell.cell_code, [])]
                      for cell in cells.itertuples(index=False)},
            "cases": _case_rows(cases, text, categories),
        })

    def bind(self, feature_field: str, getter: str) -> JsCode:
        """A GeoJson on_each_feature that opens the popup of the feature's field."""
        return JsCode(f"function (feature, layer) {{ layer.bindPopup(function () {{ return "
                      f"{self.get_name()}.{getter}(feature.properties.{feature_field}); }}, "
                      "{maxWidth: 420}); }")


class VectorCells(JSCSSMixin, Layer):
    """Cells drawn from vector tiles (Leaflet.VectorGrid) and styled in the browser from
    each feature's properties; with `popups`, a click opens the cell's popup."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.vectorGrid.protobuf({{ this.url|tojson }}, {
            rendererFactory: L.svg.tile,
            interactive: {{ (this.popups is not none)|tojson }},
            maxNativeZoom: {{ this.max_native_zoom }},
            getFeatureId: function (f) { return f.properties.cell_code; },
            vectorTileLayerStyles: {{ this.layer_styles }}
        });
        {%- if this.popups is not none %}
        {{ this.get_name() }}.on("click", function (e) {
            var p = e.layer.properties;
            L.popup({maxWidth: 420}).setLatLng(e.latlng)
                .setContent({{ this.popups.get_name() }}.cellHtml(p.cell_code)
                            || document.createTextNode(p.cell_name))
                .openOn({{ this._parent.get_name() }});
        });
        {%- endif %}
        {% endmacro %}
    """)

    def __init__(self, url: str, *, name: str, style: str, popups: Popups | None = None
                 ) -> None:
        super().__init__(name=name, overlay=True)
        self._name = "VectorCells"
        self.default_js = [("vectorgrid", "leaflet.vectorgrid.js")]
        self.url = url
        self.layer_styles = f"{{{json.dumps(TILE_LAYER)}: {style}}}"
        self.popups = popups
        self.max_native_zoom = MAX_TILE_ZOOM


def _add_embedded_cells(m: folium.Map, cells: gpd.GeoDataFrame, popups: Popups,
                        classes: Classes, text: dict[str, str]) -> None:
    fills = dict(zip(cells["cell_code"], cells["expected_escalations"].map(classes.colour),
                     strict=True))
    outlines = {cell.cell_code: {**HOTSPOT_STYLE, "fillColor": HOTSPOT_COLOURS[cell.hotspot],
                                 **TREND_LINES[cell.trend]}
                for cell in cells.itertuples() if cell.hotspot != "none"}
    shown = gpd.GeoDataFrame({
        "cell_code": cells["cell_code"],
        "cell_name": cells["cell_name"].map(escape),
        "expected": cells["expected_escalations"].map(_number),
        "hotspot": cells["hotspot"].map(text.get),
        "trend": cells["trend"].map(lambda t: text[t or "no_trend"]),
        "gi_z": cells["gi_z"].map(_number),
        "n_missed": cells["n_missed_screenings"],
    }, geometry=cells.geometry)
    on_click = popups.bind("cell_code", "cellHtml")
    _overlay(m, text["choropleth"], shown[["cell_code", "cell_name", "expected", "geometry"]],
             on_each_feature=on_click, tooltip=folium.GeoJsonTooltip(
                 ["cell_name", "expected"], aliases=[text["cell"], text["expected_escalations"]]),
             style_function=lambda f: {**CELL_STYLE,
                                       "fillColor": fills[f["properties"]["cell_code"]]})
    _overlay(m, text["hotspots"], shown.loc[
        shown["cell_code"].isin(list(outlines)),
        ["cell_code", "cell_name", "hotspot", "trend", "gi_z", "geometry"]],
        on_each_feature=on_click, tooltip=folium.GeoJsonTooltip(
            ["cell_name", "hotspot", "trend", "gi_z"],
            aliases=[text["cell"], text["hotspot"], text["trend"], text["gi_z"]]),
        style_function=lambda f: outlines[f["properties"]["cell_code"]])
    _overlay(m, text["missed"], shown.loc[shown["n_missed"] > 0,
                                          ["cell_name", "n_missed", "geometry"]],
             tooltip=folium.GeoJsonTooltip(["cell_name", "n_missed"], aliases=[
                 text["cell"], text["n_missed_screenings"]]),
             style_function=lambda _: MISSED_STYLE)


def _add_vector_cells(m: folium.Map, url: str, popups: Popups, classes: Classes,
                      text: dict[str, str]) -> None:
    """The three cell layers of _add_embedded_cells from tiles whose features carry the
    cells columns; a feature without them (no cycle joined) is grey, or not drawn."""
    choropleth = (f"function (p) {{ return Object.assign({json.dumps(CELL_STYLE)}, "
                  f"{{fill: true, fillColor: ({classes.js()})(p.expected_escalations)}}); }}")
    hotspots = (f"function (p) {{ var fill = {json.dumps(HOTSPOT_COLOURS)}[p.hotspot]; "
                "if (!fill) return []; "
                f"return Object.assign({json.dumps(HOTSPOT_STYLE)}, "
                f"{json.dumps(TREND_LINES)}[p.trend || \"\"], {{fill: true, fillColor: fill}}); }}")
    missed = (f"function (p) {{ return p.n_missed_screenings > 0 ? {json.dumps(MISSED_STYLE)} "
              ": []; }")
    VectorCells(url, name=text["choropleth"], style=choropleth, popups=popups).add_to(m)
    VectorCells(url, name=text["hotspots"], style=hotspots).add_to(m)
    VectorCells(url, name=text["missed"], style=missed).add_to(m)


def _add_cases(m: folium.Map, cases: gpd.GeoDataFrame, popups: Popups, text: dict[str, str]
               ) -> None:
    """Open cases clustered, each marker and cluster coloured by the highest band in it.
    Overdue and collective cases get rings of their own, unclustered, so they start hidden:
    at a county's scale they would cover the map."""
    rows = [[y, x, int(band), i] for i, (x, y, band) in enumerate(
        zip(cases.geometry.x, cases.geometry.y, cases["band"].map(BAND_INDEX), strict=True))]
    colours = json.dumps([BAND_COLOURS[band] for band in BANDS])
    FastMarkerCluster(
        rows, name=text["cases"],
        callback=(f"function (row) {{ return L.circleMarker([row[0], row[1]], {{radius: 7, "
                  f"color: '#333333', weight: 1, fillColor: {colours}[row[2]], "
                  f"fillOpacity: 0.95, band: row[2]}}).bindPopup(function () {{ return "
                  f"{popups.get_name()}.caseHtml(row[3]); }}, {{maxWidth: 360}}); }}"),
        icon_create_function=(
            "function (cluster) { var best = 2; cluster.getAllChildMarkers().forEach("
            "function (m) { best = Math.min(best, m.options.band); }); "
            f"var colour = {colours}[best]; return L.divIcon({{className: 'marker-cluster', "
            "iconSize: L.point(40, 40), html: '<div style=\"background-color:' + colour + "
            "'; opacity: 0.85\"><span style=\"color: #fff\">' + cluster.getChildCount() + "
            "'</span></div>'}); }"),
    ).add_to(m)
    rings = {"overdue": folium.CircleMarker(radius=11, fill=False, color=OVERDUE_COLOUR,
                                            weight=2.5),
             "collective": folium.CircleMarker(radius=15, fill=False, color=COLLECTIVE_COLOUR,
                                               weight=2.5, dash_array="5 3")}
    for flag, ring in rings.items():
        picked = cases[cases[flag].astype(bool)]
        _overlay(m, text[flag], picked[["geometry"]].assign(i=picked.index), show=False,
                 marker=ring, on_each_feature=popups.bind("i", "caseHtml"))


def _overlay(m: folium.Map, name: str, frame: gpd.GeoDataFrame, *, show: bool = True,
             **geojson: Any) -> None:
    """A layer in the layer control even when it has nothing to draw this cycle."""
    group = folium.FeatureGroup(name=name, show=show).add_to(m)
    if not frame.empty:
        folium.GeoJson(frame, control=False, **geojson).add_to(group)


def _case_rows(cases: gpd.GeoDataFrame, text: dict[str, str],
               categories: Mapping[str, str]) -> list[list[object]]:
    """What a case's popup shows: what it is, both parts of its risk, deadline and reasons;
    never who."""
    deadlines = pd.to_datetime(cases["handle_by"]).dt.strftime("%Y-%m-%d").fillna(
        text["no_deadline"])
    rows: list[list[object]] = []
    for case, deadline in zip(cases.itertuples(index=False), deadlines, strict=True):
        tags = "".join(f" <b>{text[tag]}</b>" for tag, flag in (
            ("overdue_tag", case.overdue), ("collective_tag", case.collective)) if flag)
        reasons = [r for r in (case.reason_1, case.reason_2, case.reason_3)
                   if isinstance(r, str) and r]
        rows.append([escape(str(case.case_id)),
                     escape(str(categories.get(case.category, case.category))),
                     BAND_INDEX[case.band],
                     f"{text['deadline_risk']} {shown_probability(case.p_deadline)} · "
                     f"{text['return_risk']} {shown_probability(case.p_return)}", deadline, tags,
                     escape(text["list_sep"].join(reasons)),
                     escape(str(case.responsible_unit))])
    return rows


def _cell_figures(cell: Any, text: dict[str, str]) -> list[object]:
    """A cell's figures in CELL_FIGURES order."""
    return [_number(cell.expected_escalations), _number(cell.escalations_per_1000),
            cell.n_open, cell.n_overdue, cell.n_due_soon, cell.n_collective,
            cell.n_high_disputes, cell.n_missed_screenings,
            "—" if pd.isna(cell.households) else int(cell.households),
            f"{text[cell.hotspot]} (z = {_number(cell.gi_z)})",
            text[cell.trend or "no_trend"]]


def _legend_html(title: str, classes: Classes, text: dict[str, str], from_tiles: bool
                 ) -> str:
    def swatch(colour: str, label: str, border: str = "#888888") -> str:
        return (f"<div><i style=\"background: {colour}; border-color: {border}\"></i>"
                f"{escape(label)}</div>")

    def line(label: str, colour: str, weight: object, dash: object) -> str:
        return (f"<div><svg width=\"28\" height=\"10\"><line x1=\"0\" y1=\"5\" x2=\"28\" "
                f"y2=\"5\" stroke=\"{colour}\" stroke-width=\"{weight}\" "
                f"stroke-dasharray=\"{dash or ''}\"/></svg>{escape(label)}</div>")

    def ring(label: str, colour: str, dash: str = "", fill: str = "none") -> str:
        return (f"<div><svg width=\"14\" height=\"14\"><circle cx=\"7\" cy=\"7\" r=\"5.5\" "
                f"fill=\"{fill}\" stroke=\"{colour}\" stroke-width=\"2\" "
                f"stroke-dasharray=\"{dash}\"/></svg>{escape(label)}</div>")

    parts = [f"<h4>{escape(title or text['legend'])}</h4>",
             f"<h5>{text['choropleth']}</h5>",
             *(swatch(colour, label) for colour, label in classes.ranges())]
    if from_tiles or not classes.uppers:
        parts.append(swatch(NO_DATA, text["no_data"]))
    parts += [f"<h5>{text['hotspots']}</h5>",
              *(swatch(colour, text[name]) for name, colour in HOTSPOT_COLOURS.items()),
              f"<h5>{text['trend']}</h5>",
              *(line(text[trend or "no_trend"], "#222222", style["weight"], style["dashArray"])
                for trend, style in TREND_LINES.items()),
              f"<h5>{text['band']}</h5>",
              *(ring(text[band], "#333333", fill=BAND_COLOURS[band]) for band in BANDS),
              ring(text["overdue"], OVERDUE_COLOUR),
              ring(text["collective"], COLLECTIVE_COLOUR, "3 2"),
              line(text["missed"], MISSED_COLOUR, 3, "4 4")]
    return "".join(parts)


def _rounded(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Coordinates to DECIMALS places: most of a page's bytes are coordinates."""
    return frame.assign(geometry=shapely.transform(
        frame.geometry.to_numpy(), lambda xy: np.round(xy, DECIMALS)))


def _number(value: float) -> str:
    return "—" if pd.isna(value) else f"{value:.2f}"


def _script_json(value: Any) -> str:
    """JSON for inside a <script>: UTF-8 rather than \\u escapes (half the bytes for Chinese),
    with "</" broken up so no string can close the script."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
