"""A cycle's results as the GeoDataFrames maps/ draws (maps/columns.py): cells with their
totals and hotspots, open cases at their points (or their cell's when they have none), and
the region outlines. No complainant detail is read, so none can reach a map."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import text

from gridrisk.access.scope import EVERYTHING, Scope
from gridrisk.cycles.results import CYCLE_CELLS, get_cycle
from gridrisk.db.base import Db
from gridrisk.regions.sql import REGIONS_UNDER

#: risk bands: high from the cycle's investigation score, medium from half of it
BAND_EDGES = (0.5, 1.0)


def _frame(db: Db, sql: str, params: dict[str, object]) -> gpd.GeoDataFrame:
    result = db.execute(text(sql), params)
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    geometry = shapely.from_wkb(frame.pop("wkb").map(bytes).to_numpy())
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=4326)


def cycle_map_frames(db: Db, cycle_id: int, region_code: str | None = None, *,
                     scope: Scope = EVERYTHING
                     ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """cells, cases and outlines of a cycle, limited to `region_code` (default: the
    cycle's region) and to the caller's scope."""
    cycle = get_cycle(db, cycle_id, scope=scope)
    region = region_code or cycle.region_code
    params = {"id": cycle_id, "region": region, **scope.params}
    scope_sql = (f" AND l.region_code IN {REGIONS_UNDER}"
                 f" AND {scope.holds('l.region_code', 'l.code')}")
    cells = _frame(db, CYCLE_CELLS.replace(
        "SELECT c.*,", "SELECT c.*, ST_AsBinary(l.geom) AS wkb,") + scope_sql, params)
    cases = _frame(db, f"""
        SELECT k.case_id, k.cell_code, k.category, k.score, k.p_deadline, k.p_return,
               k.rank_in_cell AS rank,
               k.overdue, k.collective, k.deadline_on AS handle_by, k.reason_1, k.reason_2,
               k.reason_3, k.responsible_unit,
               ST_AsBinary(COALESCE(c.geom, ST_PointOnSurface(l.geom))) AS wkb
        FROM cycle_cases k JOIN cases c USING (case_id) JOIN cells l ON l.code = k.cell_code
        WHERE k.cycle_id = :id {scope_sql} ORDER BY k.rank""", params)
    outlines = _frame(db, f"""
        SELECT code AS region_code, name, level, ST_AsBinary(geom) AS wkb FROM regions
        WHERE code IN {REGIONS_UNDER} AND level IN ('county', 'township')
          AND code IN (SELECT v.parent_code FROM regions v JOIN cells l ON l.region_code = v.code
                       WHERE {scope.holds('l.region_code', 'l.code')}
                       UNION SELECT t.parent_code FROM regions t WHERE t.code IN (
                           SELECT v.parent_code FROM regions v JOIN cells l
                           ON l.region_code = v.code
                           WHERE {scope.holds('l.region_code', 'l.code')}))
        ORDER BY code""", params)
    threshold = float(cycle.notes["policy"]["investigate_min_score"])
    cases["band"] = pd.cut(cases["score"].astype(float), [
        -1, threshold * BAND_EDGES[0], threshold * BAND_EDGES[1], 2],
        labels=["low", "medium", "high"], right=False).astype(str)
    cases["handle_by"] = pd.to_datetime(cases["handle_by"])
    cases[["p_deadline", "p_return"]] = cases[["p_deadline", "p_return"]].astype(float)
    cells["households"] = cells["households"].round().astype("Int64")
    return cells, cases, outlines
