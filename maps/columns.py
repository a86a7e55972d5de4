"""The columns the map builders read: the contract between gridrisk and maps/.

gridrisk hands maps/ GeoDataFrames with an explicit CRS (reprojected to EPSG:4326 here when
they are in another). maps/ reads only the columns below, so nothing else a frame carries
reaches the HTML: the frames hold no complainant's details, and extra columns are dropped.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import geopandas as gpd

#: one row per grid cell (Polygon or MultiPolygon) of a screening cycle. households is a
#: nullable int and escalations_per_1000 NaN without it; hotspot is a Gi* class (HOTSPOTS)
#: and trend its trend across cycles (TRENDS, "" for none).
CELL_COLUMNS = ["cell_code", "cell_name", "township", "expected_escalations", "n_open",
                "n_overdue", "n_due_soon", "n_collective", "n_high_disputes",
                "n_missed_screenings", "households", "escalations_per_1000", "gi_z",
                "hotspot", "trend"]

#: one row per open case (Point) scored in the cycle; rank 1 is the cell's first case to
#: resolve, band its risk band (from the score the cycle ranks by), p_deadline and p_return
#: the two parts of its risk (NaN in cycles from before them), handle_by a date or NaT,
#: reason_* the reasons behind the score ("" for none)
CASE_COLUMNS = ["case_id", "cell_code", "category", "score", "p_deadline", "p_return", "rank",
                "band", "overdue",
                "collective", "handle_by", "reason_1", "reason_2", "reason_3",
                "responsible_unit"]

#: optional region outlines (Polygon or MultiPolygon), drawn under the cells
OUTLINE_COLUMNS = ["region_code", "name", "level"]

HOTSPOTS = ("hot_99", "hot_95", "hot_90", "none", "cold_90", "cold_95", "cold_99")
TRENDS = ("new", "persistent", "intensifying", "diminishing", "sporadic", "")
BANDS = ("high", "medium", "low")


class MissingColumns(ValueError):
    """A frame handed to maps/ lacks documented columns."""

    def __init__(self, frame: str, missing: list[str]) -> None:
        super().__init__(f"{frame}: missing columns {', '.join(missing)}")
        self.frame = frame
        self.missing = missing


def require_columns(frame: gpd.GeoDataFrame, columns: Iterable[str], *, frame_name: str
                    ) -> None:
    """Name every documented column a frame lacks, instead of a KeyError deep inside."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MissingColumns(frame_name, missing)


def in_wgs84(frame: gpd.GeoDataFrame, columns: list[str], *, frame_name: str
             ) -> gpd.GeoDataFrame:
    """The documented columns and the geometry in EPSG:4326; a frame without a CRS is an
    error, since guessing one would misplace every cell."""
    require_columns(frame, columns, frame_name=frame_name)
    if frame.crs is None:
        raise ValueError(f"{frame_name}: no CRS; set one (e.g. EPSG:4326) before mapping")
    frame = frame[[*columns, frame.geometry.name]]
    if frame.geometry.name != "geometry":
        frame = frame.rename_geometry("geometry")
    return frame.to_crs(4326)


def require_values(frame: gpd.GeoDataFrame, column: str, allowed: Collection[str], *,
                   frame_name: str) -> None:
    """Name a value outside a column's vocabulary, instead of a KeyError deep inside."""
    unknown = sorted(map(str, set(frame[column]) - set(allowed)))
    if unknown:
        raise ValueError(f"{frame_name}.{column}: unknown values {', '.join(unknown)}"
                         f" (expected one of {', '.join(map(repr, allowed))})")
