"""Leaflet and its plugins from gridrisk's own copies (maps/assets/, see its README):
government networks are often closed, so a map never loads anything from a CDN."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import folium
from branca.element import CssLink, Element, Figure, JavascriptLink
from folium.elements import JSCSSMixin
from folium.template import Template

ASSETS_DIR = Path(__file__).parent / "assets"
#: where the API serves ASSETS_DIR
ASSET_URL = "/assets/maps"

#: folium's name for each link it would add → the copy gridrisk ships
SHIPPED = {
    "leaflet": "leaflet.js",
    "leaflet_css": "leaflet.css",
    "markerclusterjs": "leaflet.markercluster.js",
    "markerclustercss": "MarkerCluster.css",
    "markerclusterdefaultcss": "MarkerCluster.Default.css",
    "vectorgrid": "leaflet.vectorgrid.js",
}
#: links folium's Map adds for features these maps never use (jQuery, Bootstrap, Font Awesome
#: and awesome markers): dropped, not shipped
UNUSED = {"jquery", "bootstrap", "awesome_markers", "bootstrap_css", "glyphicons_css",
          "awesome_markers_font_css", "awesome_markers_css", "awesome_rotate_css"}
CSS_IMAGE = re.compile(r"url\((images/[\w.-]+\.png)\)")


class Inline(Element):
    """Markup written into the page as it is (never read as a template)."""

    _template = Template("{{ this.markup }}")

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.markup = markup


def use_shipped_assets(m: folium.Map, asset_url: str | None) -> None:
    """Swap each JS/CSS link of the map's elements for gridrisk's copy, linked under
    `asset_url` or inlined when it is None (a standalone file). Call it once the map is built;
    an element needing a file gridrisk does not ship is an error, never a CDN request."""
    header = cast(Figure, m.get_root()).header  # a map's root is always its Figure
    for element in _elements(m):
        if not isinstance(element, JSCSSMixin):
            continue
        for name, url in [*element.default_js, *element.default_css]:
            if name in UNUSED:
                continue
            if name not in SHIPPED:
                raise ValueError(f"no offline copy of {name} ({url}): add it to maps/assets")
            header.add_child(_link(SHIPPED[name], asset_url), name=name)
        element.default_js = []
        element.default_css = []


def _elements(element: Element) -> Iterator[Element]:
    yield element
    for child in element._children.values():
        yield from _elements(child)


def _link(file: str, asset_url: str | None) -> Element:
    is_js = file.endswith(".js")
    if asset_url is not None:
        url = f"{asset_url.rstrip('/')}/{file}"
        return JavascriptLink(url) if is_js else CssLink(url)
    code = (ASSETS_DIR / file).read_text(encoding="utf-8")
    if is_js:
        return Inline(f"<script>{code}</script>")
    return Inline(f"<style>{CSS_IMAGE.sub(_data_url, code)}</style>")


def _data_url(match: re.Match[str]) -> str:
    """An image the CSS names, as a data: URL, since a standalone file has no folder."""
    data = base64.b64encode((ASSETS_DIR / match.group(1)).read_bytes()).decode("ascii")
    return f"url(data:image/png;base64,{data})"
