"""Reading the region tree and cells, and placing a point in its cell."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from gridrisk.access.scope import EVERYTHING, SCOPE_REGIONS, Scope
from gridrisk.db.base import Db
from gridrisk.errors import InvalidInput, NotFound
from gridrisk.regions.coords import to_wgs84
from gridrisk.regions.errors import PointOutsideCells, UnknownRegion
from gridrisk.regions.schemas import CellOut, Feature, RegionNode, RegionOut
from gridrisk.regions.sql import REGIONS_UNDER
from gridrisk.vocab import CELL_HOLDERS, Crs

REGION_COLUMNS = "code, name, level, parent_code, households"
#: the codes of region :region and of every region above it, as a subquery
REGIONS_ABOVE = """(WITH RECURSIVE above AS (
        SELECT code, parent_code FROM regions WHERE code = :region UNION ALL
        SELECT r.code, r.parent_code FROM regions r JOIN above a ON r.code = a.parent_code)
    SELECT code FROM above)"""
#: a WGS84 point from :lon and :lat, or NULL when they are
POINT_OR_NULL = ("CASE WHEN CAST(:lon AS float8) IS NOT NULL THEN ST_SetSRID(ST_MakePoint("
                 "CAST(:lon AS float8), CAST(:lat AS float8)), 4326) END")


def list_regions(db: Session, *, parent: str | None, scope: Scope = EVERYTHING
                 ) -> list[RegionOut]:
    """The regions directly under `parent`; without one, the top of the tree, or for a caller
    who holds less, the regions they hold."""
    if parent:
        get_region(db, parent, scope=scope)
        condition = "parent_code = :parent"
    elif scope.everything:
        condition = "parent_code IS NULL"
    else:
        condition = ("code = ANY(CAST(:scope_regions AS text[])) AND (parent_code IS NULL "
                     f"OR parent_code NOT IN {SCOPE_REGIONS})")
    rows = db.execute(text(f"SELECT {REGION_COLUMNS} FROM regions WHERE {condition} "
                           "ORDER BY code"), {"parent": parent, **scope.params}).mappings()
    return [RegionOut(**row) for row in rows]


def get_region(db: Db, code: str, *, scope: Scope = EVERYTHING) -> RegionOut:
    row = db.execute(text(f"SELECT {REGION_COLUMNS} FROM regions WHERE code = :code AND "
                          f"{scope.holds('code')}"), {"code": code, **scope.params}
                     ).mappings().first()
    if row is None:
        raise UnknownRegion(code)
    return RegionOut(**row)


def in_scope(db: Db, code: str, scope: Scope) -> bool:
    """Whether region `code` lies in the caller's scope (at or under a region they hold)."""
    return scope.everything or bool(db.execute(text(
        f"SELECT EXISTS (SELECT 1 FROM regions WHERE code = :code AND {scope.holds('code')})"),
        {"code": code, **scope.params}).scalar())


def region_tree(db: Session, code: str, *, scope: Scope = EVERYTHING) -> RegionNode:
    """The region and everything under it, nested."""
    root = get_region(db, code, scope=scope)
    rows = db.execute(text(f"""
        WITH RECURSIVE below AS (
            SELECT {REGION_COLUMNS} FROM regions WHERE parent_code = :code
            UNION ALL SELECT r.code, r.name, r.level, r.parent_code, r.households
            FROM regions r JOIN below b ON r.parent_code = b.code)
        SELECT * FROM below ORDER BY code"""), {"code": code}).mappings()
    nodes = {root.code: RegionNode(**root.model_dump())}
    for row in rows:
        nodes[row["code"]] = RegionNode(**row)
    for node in list(nodes.values())[1:]:
        nodes[node.parent_code or ""].children.append(node)
    return nodes[root.code]


def region_feature(db: Session, code: str, *, scope: Scope = EVERYTHING) -> Feature:
    row = db.execute(text(f"SELECT {REGION_COLUMNS}, ST_AsGeoJSON(geom) AS geometry "
                          f"FROM regions WHERE code = :code AND {scope.holds('code')}"),
                     {"code": code, **scope.params}).mappings().first()
    if row is None:
        raise UnknownRegion(code)
    properties = {k: v for k, v in row.items() if k != "geometry"}
    return Feature(id=code, geometry=json.loads(row["geometry"]), properties=properties)


def cell_feature(db: Session, code: str, *, scope: Scope = EVERYTHING) -> Feature:
    row = db.execute(text("SELECT code, name, region_code, ST_AsGeoJSON(geom) AS geometry "
                          "FROM cells WHERE code = :code AND "
                          f"{scope.holds('region_code', 'code')}"),
                     {"code": code, **scope.params}).mappings().first()
    if row is None:
        raise NotFound(f"no cell with code {code}")
    properties = {k: v for k, v in row.items() if k != "geometry"}
    return Feature(id=code, geometry=json.loads(row["geometry"]), properties=properties)


def region_cells(db: Session, code: str, *, scope: Scope = EVERYTHING) -> list[CellOut]:
    """The cells of a region and of every region under it."""
    get_region(db, code, scope=scope)
    rows = db.execute(text(f"SELECT code, name, region_code FROM cells WHERE region_code IN "
                           f"{REGIONS_UNDER} ORDER BY code"), {"region": code})
    return [CellOut(**row) for row in rows.mappings()]


def cell_at(db: Session, lon: float, lat: float, crs: Crs, *, scope: Scope = EVERYTHING
            ) -> CellOut:
    """The cell holding a point; on a border shared by cells, the one whose code sorts first
    (the importer's rule). A cell outside the scope holds nothing."""
    x, y = wgs84_point(lon, lat, crs)
    row = db.execute(text(
        "SELECT code, name, region_code FROM cells "
        "WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326)) "
        f"AND {scope.holds('region_code', 'code')} ORDER BY code LIMIT 1"),
        {"x": x, "y": y, **scope.params}).mappings().first()
    if row is None:
        raise PointOutsideCells(lon, lat)
    return CellOut(**row)


def wgs84_point(lon: float, lat: float, crs: Crs) -> tuple[float, float]:
    x, y = to_wgs84(np.array([lon]), np.array([lat]), crs)
    return float(x[0]), float(y[0])


@dataclass(frozen=True)
class Placement:
    """Where a written record sits: its WGS84 point (if any), cell and village."""

    lon: float | None
    lat: float | None
    cell_code: str | None
    region_code: str


def place(db: Session, *, lon: float | None, lat: float | None, crs: Crs,
          cell_code: str | None, region_code: str | None, scope: Scope = EVERYTHING
          ) -> Placement:
    """Place a record by point, cell or village with the bundle's rules: a point must lie in
    the cell named beside it; a village alone puts it in the village's only cell. Cells and
    villages outside the scope are unknown here."""
    x = y = None
    if lon is not None and lat is not None:
        x, y = wgs84_point(lon, lat, crs)
    if cell_code:
        cell = db.execute(text("SELECT region_code, ST_Intersects(geom, ST_SetSRID("
                               "ST_MakePoint(CAST(:x AS float8), CAST(:y AS float8)), 4326)) "
                               "AS holds FROM cells "
                               f"WHERE code = :code AND {scope.holds('region_code', 'code')}"),
                          {"code": cell_code, "x": x, "y": y, **scope.params}
                          ).mappings().first()
        if cell is None:
            raise InvalidInput("cell_code", f"unknown cell {cell_code}")
        if x is not None and not cell["holds"]:
            raise InvalidInput("lon", f"point ({lon}, {lat}) lies outside cell {cell_code}")
        placed = Placement(x, y, cell_code, cell["region_code"])
    elif x is not None and lon is not None and lat is not None:
        cell_out = cell_at(db, lon, lat, crs, scope=scope)
        placed = Placement(x, y, cell_out.code, cell_out.region_code)
    else:
        placed = Placement(None, None, _sole_cell(db, region_code or "", scope),
                           region_code or "")
    if region_code and placed.region_code != region_code:
        raise InvalidInput("region_code", f"cell {placed.cell_code} belongs to "
                           f"{placed.region_code}, not to {region_code}")
    return placed


def _sole_cell(db: Session, region_code: str, scope: Scope) -> str | None:
    region = get_region(db, region_code, scope=scope) if region_code else None
    if region is None or region.level not in CELL_HOLDERS:
        raise InvalidInput("region_code", f"{region_code} is not a village or community")
    codes = db.execute(text("SELECT code FROM cells WHERE region_code = :code LIMIT 2"),
                       {"code": region_code}).scalars().all()
    return codes[0] if len(codes) == 1 else None
