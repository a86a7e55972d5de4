"""QGIS layer styles (QML) for the layers gridrisk writes to GeoPackages, in the colours of
its own maps (maps/cycle.py), so a layer opens in QGIS looking as it does on the web. Labels
arrive as data: this module imports nothing of gridrisk.

Each symbol layer carries its settings twice, as QGIS ≥ 3.26 writes them (`<Option>`) and as
older versions read them (`<prop>`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from xml.etree import ElementTree as ET

from maps.columns import BANDS
from maps.cycle import BAND_COLOURS, HOTSPOT_COLOURS
from maps.labels import labels as map_labels

#: fill of a cell that is neither a hot nor a cold spot
NOT_SIGNIFICANT = "#f7f7f7"
OUTLINE = "#555555"
#: symbol kinds by geometry
FILL, MARKER = "fill", "marker"


def _rgba(colour: str, alpha: int = 255) -> str:
    value = colour.lstrip("#")
    return ",".join(str(int(value[i:i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _symbol(parent: ET.Element, name: str, kind: str, settings: Mapping[str, str]) -> None:
    symbol = ET.SubElement(parent, "symbol", {
        "type": kind, "name": name, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0"})
    layer = ET.SubElement(symbol, "layer", {
        "class": "SimpleFill" if kind == FILL else "SimpleMarker", "enabled": "1",
        "locked": "0", "pass": "0"})
    options = ET.SubElement(layer, "Option", {"type": "Map"})
    for key, value in settings.items():
        ET.SubElement(options, "Option", {"name": key, "type": "QString", "value": value})
    for key, value in settings.items():
        ET.SubElement(layer, "prop", {"k": key, "v": value})


def _settings(kind: str, fill: str | None, outline: str, width: float) -> dict[str, str]:
    if kind == FILL:
        return {"color": _rgba(fill or "#ffffff", 0 if fill is None else 200),
                "style": "solid" if fill else "no", "outline_color": _rgba(outline),
                "outline_style": "solid", "outline_width": f"{width:g}",
                "outline_width_unit": "MM"}
    return {"name": "circle", "color": _rgba(fill or "#ffffff"), "size": "2.4",
            "size_unit": "MM", "outline_color": _rgba(outline), "outline_style": "solid",
            "outline_width": f"{width:g}", "outline_width_unit": "MM"}


def _document(renderer: ET.Element) -> str:
    root = ET.Element("qgis", {"version": "3.28.0", "styleCategories": "Symbology"})
    root.append(renderer)
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            + ET.tostring(root, encoding="unicode"))


def single_qml(kind: str, *, fill: str | None, outline: str = OUTLINE, width: float = 0.26
               ) -> str:
    """One symbol for every feature; a fill of None draws the outline only."""
    renderer = ET.Element("renderer-v2", {"type": "singleSymbol", "symbollevels": "0",
                                          "forceraster": "0", "enableorderby": "0"})
    symbols = ET.SubElement(renderer, "symbols")
    _symbol(symbols, "0", kind, _settings(kind, fill, outline, width))
    return _document(renderer)


def categorized_qml(kind: str, attribute: str, categories: Sequence[tuple[str, str, str]], *,
                    outline: str = OUTLINE, width: float = 0.26) -> str:
    """A symbol per value of `attribute`: categories are (value, label, colour)."""
    renderer = ET.Element("renderer-v2", {"type": "categorizedSymbol", "attr": attribute,
                                          "symbollevels": "0", "forceraster": "0",
                                          "enableorderby": "0"})
    listed = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (value, label, colour) in enumerate(categories):
        ET.SubElement(listed, "category", {"value": value, "label": label, "symbol": str(i),
                                           "render": "true", "type": "string"})
        _symbol(symbols, str(i), kind, _settings(kind, colour, outline, width))
    return _document(renderer)


def hotspot_qml(names: Mapping[str, str]) -> str:
    """Cells coloured by Gi* class, as on the cycle map; `names`: class → label."""
    colours = {**HOTSPOT_COLOURS, "none": NOT_SIGNIFICANT}
    return categorized_qml(FILL, "hotspot", [(code, names[code], colours[code])
                                             for code in names])


def band_qml(lang: str) -> str:
    """Worklist cases coloured by risk band (high, medium, low), as on the cycle map."""
    words = map_labels(lang)
    return categorized_qml(MARKER, "band", [(band, words[band], BAND_COLOURS[band])
                                            for band in BANDS], outline="#333333")
