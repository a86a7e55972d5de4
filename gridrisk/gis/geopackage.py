"""GeoPackages for QGIS and other GIS: a region's regions, cells and cases as points, and a
cycle's layers (its cells with their figures and hotspot classes, its worklist cases, the
outlines). Each layer carries a QGIS style in the `layer_styles` table, so hotspots open
coloured. No complainant detail is read, so none can be written; summaries leave masked.

A file is written whole to a scratch name beside `out` and renamed into place: nothing is
half written."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from sqlalchemy import Connection

from gridrisk.cycles.mapping import cycle_map_frames
from gridrisk.errors import InvalidInput
from gridrisk.gis.layers import CASES, CELLS, REGIONS, CaseRules, layer_frame
from gridrisk.regions.service import get_region
from gridrisk.vocab import labels
from maps import qml

SUFFIX = ".gpkg"
#: the geometry column pyogrio names in a GeoPackage
GEOMETRY_COLUMN = "geom"
#: the columns QGIS reads its default style from (QgsOgrProvider)
STYLE_COLUMNS = ["f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column",
                 "styleName", "styleQML", "styleSLD", "useAsDefault", "description", "owner",
                 "ui", "update_time"]
#: worklist columns written for a cycle's cases: no responsible official, nobody's name
WORKLIST_COLUMNS = ["case_id", "cell_code", "category", "score", "rank", "band", "overdue",
                    "collective", "handle_by", "reason_1", "reason_2", "reason_3",
                    "responsible_unit"]
#: a colour per case category, in vocab order (ColorBrewer Set3, then grey for "other")
CATEGORY_COLOURS = ("#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
                    "#b3de69", "#fccde5", "#bc80bd", "#ccebc5", "#d9d9d9")


def _check_suffix(out: Path) -> None:
    if out.suffix.lower() != SUFFIX:
        raise InvalidInput("out", f"{out.name}: a GeoPackage's name ends in {SUFFIX}")


def export_region_gpkg(conn: Connection, code: str, out: Path, *, rules: CaseRules,
                       lang: str = "zh") -> dict[str, int]:
    """Regions, cells and cases (as points, with their state today) of the region and
    everything under it; feature counts by layer."""
    _check_suffix(out)
    get_region(conn, code)
    frames = {"regions": layer_frame(conn, REGIONS, rules=rules, region=code),
              "cells": layer_frame(conn, CELLS, rules=rules, region=code),
              "cases": layer_frame(conn, CASES, rules=rules, region=code)}
    names = labels(lang)
    styles = {"regions": qml.single_qml(qml.FILL, fill=None, outline="#444444", width=0.6),
              "cells": qml.single_qml(qml.FILL, fill=None),
              "cases": qml.categorized_qml(qml.MARKER, "category", [
                  (code_, name, colour) for (code_, name), colour in zip(
                      names["category"].items(), CATEGORY_COLOURS, strict=True)])}
    _write(out, frames, styles, lang)
    return {name: len(frame) for name, frame in frames.items()}


def export_cycle_gpkg(conn: Connection, cycle_id: int, out: Path, *, lang: str = "zh"
                      ) -> dict[str, int]:
    """A cycle's cells (figures, Gi* class, trend), its worklist cases at their points (or
    their cell's) and the county and township outlines; feature counts by layer."""
    _check_suffix(out)
    cells, cases, outlines = cycle_map_frames(conn, cycle_id)
    names = labels(lang)
    frames = {"cycle_cells": cells, "worklist": cases[[*WORKLIST_COLUMNS, "geometry"]],
              "outlines": outlines}
    styles = {"cycle_cells": qml.hotspot_qml(names["hotspot"]),
              "worklist": qml.band_qml(lang),
              "outlines": qml.single_qml(qml.FILL, fill=None, outline="#444444", width=0.6)}
    _write(out, frames, styles, lang)
    return {name: len(frame) for name, frame in frames.items()}


def _write(out: Path, frames: Mapping[str, gpd.GeoDataFrame], styles: Mapping[str, str],
           lang: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = out.with_name(f".{out.stem}.{os.getpid()}.partial{SUFFIX}")
    scratch.unlink(missing_ok=True)
    try:
        for name, frame in frames.items():
            _plain_columns(frame).to_file(scratch, layer=name, driver="GPKG",
                                          engine="pyogrio")
        _style_table(styles, lang).pipe(_write_table, scratch)
        os.replace(scratch, out)
    finally:
        scratch.unlink(missing_ok=True)


def _plain_columns(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Dates as ISO days (GeoPackage has no date type pyogrio writes from pandas)."""
    frame = frame.copy()
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            frame[column] = values.dt.strftime("%Y-%m-%d").where(values.notna(), None)
        elif values.dtype == object and values.map(
                lambda v: hasattr(v, "isoformat")).any():
            frame[column] = values.map(lambda v: v.isoformat() if v is not None else None)
    return frame


def _style_table(styles: Mapping[str, str], lang: str) -> pd.DataFrame:
    now = datetime.now(UTC).replace(tzinfo=None)
    return pd.DataFrame([{
        "f_table_catalog": "", "f_table_schema": "", "f_table_name": layer,
        "f_geometry_column": GEOMETRY_COLUMN, "styleName": f"gridrisk {layer}",
        "styleQML": style, "styleSLD": "", "useAsDefault": True,
        "description": {"zh": "gridrisk 默认样式", "en": "gridrisk default style"}[lang],
        "owner": "gridrisk", "ui": None, "update_time": now}
        for layer, style in styles.items()], columns=STYLE_COLUMNS)


def _write_table(table: pd.DataFrame, path: Path) -> None:
    """An attribute table (no geometry) registered in gpkg_contents, as QGIS makes it."""
    pyogrio.write_dataframe(table, path, layer="layer_styles", driver="GPKG",
                            layer_options={"FID": "id"})
