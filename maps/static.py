"""A cycle's hotspot map as a still image (PNG) for printed reports: cells coloured by their
Gi* class, region outlines on top, a legend of the classes. GeoDataFrames in, PNG bytes out;
names come as data (`hotspot_names`), as for maps/cycle.py."""

from __future__ import annotations

import io
from collections.abc import Mapping

import geopandas as gpd
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from maps.columns import HOTSPOTS, require_values
from maps.cycle import HOTSPOT_COLOURS, NO_DATA

FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "DejaVu Sans"]
#: cells: cell_code, hotspot (HOTSPOTS); outlines: region_code, name, level
STATIC_CELL_COLUMNS = ["cell_code", "hotspot"]


def hotspot_png(cells: gpd.GeoDataFrame, *, outlines: gpd.GeoDataFrame | None = None,
                hotspot_names: Mapping[str, str], title: str = "", dpi: int = 110) -> bytes:
    """The cells coloured by hotspot class (not significant in grey)."""
    missing = [c for c in STATIC_CELL_COLUMNS if c not in cells.columns]
    if missing:
        raise ValueError(f"cells: missing columns {', '.join(missing)}")
    require_values(cells, "hotspot", HOTSPOTS, frame_name="cells")
    if cells.crs is None:
        raise ValueError("cells: no CRS; set one (e.g. EPSG:4326) before mapping")
    cells = cells.to_crs(3857)
    colours = cells["hotspot"].map(lambda h: HOTSPOT_COLOURS.get(h, NO_DATA))
    with rc_context({"font.family": FONTS}):
        figure = Figure(figsize=(7.5, 6.0), dpi=dpi)
        axes = figure.subplots()
        cells.plot(ax=axes, color=colours, edgecolor="#777777", linewidth=0.2)
        if outlines is not None and len(outlines):
            outlines.to_crs(3857).boundary.plot(ax=axes, color="#333333", linewidth=0.8)
        present = [h for h in HOTSPOTS if h in set(cells["hotspot"])]
        axes.legend(handles=[Patch(facecolor=HOTSPOT_COLOURS.get(h, NO_DATA),
                                   edgecolor="#777777", label=hotspot_names.get(h, h))
                             for h in present], loc="lower left", fontsize=7, frameon=True)
        axes.set_axis_off()
        if title:
            axes.set_title(title, fontsize=11)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png")
    return out.getvalue()
