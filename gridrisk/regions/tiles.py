"""Mapbox vector tiles of cells and regions from PostGIS (ST_AsMVT), for maps of regions too
large to embed: geometries are simplified to the tile's pixel size, so a tile stays small at
every zoom."""

from __future__ import annotations

import math

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from gridrisk.access.scope import EVERYTHING, Scope
from gridrisk.errors import InvalidInput, NotFound

MAX_ZOOM = 22
#: tile coordinates per side (ST_AsMVT's default) and the margin drawn past the edge, so
#: outlines meet without seams
EXTENT, BUFFER = 4096, 64
#: web mercator's width in metres
WORLD = 2 * math.pi * 6378137
#: simplify to half a screen pixel of a 256-pixel tile: finer detail cannot be seen
PIXEL_FRACTION = 0.5

#: a feature's geometry in tile coordinates, simplified to the zoom; NULL outside the tile
SHAPE = """ST_AsMVTGeom(ST_SimplifyPreserveTopology(ST_Transform({geom}, 3857), :tolerance),
                         ST_TileEnvelope(:z, :x, :y), {extent}, {buffer}, true) AS shape"""
IN_TILE = "{geom} && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => :margin), 4326)"

#: each cell's code and name; with a cycle, only the cycle's cells, with the figures the
#: cycle's map reads (maps/columns.py CELL_COLUMNS, less the township)
CELLS = "SELECT c.code AS cell_code, c.name AS cell_name, {shape} FROM cells c WHERE {in_tile}"
CYCLE_CELLS = """
    SELECT c.code AS cell_code, c.name AS cell_name, cc.expected_escalations, cc.n_open,
           cc.n_overdue, cc.n_due_soon, cc.n_collective, cc.n_high_disputes,
           cc.n_missed_screenings, cc.households, cc.escalations_per_1000, cc.gi_z,
           cc.hotspot, cc.trend, {shape}
    FROM cells c JOIN cycle_cells cc ON cc.cell_code = c.code AND cc.cycle_id = :cycle_id
    WHERE {in_tile}"""
REGIONS = """SELECT r.code AS region_code, r.name, r.level, {shape} FROM regions r
    WHERE {in_tile}"""
LAYERS = ("cells", "regions")


class UnknownLayer(NotFound):
    slug = "unknown-layer"
    title = "Unknown tile layer"

    def __init__(self, layer: str) -> None:
        super().__init__(f"no tile layer {layer}; layers: {', '.join(LAYERS)}")
        self.layer = layer


def cell_tile(db: Connection | Session, *, z: int, x: int, y: int,
              cycle_id: int | None = None, scope: Scope = EVERYTHING) -> bytes:
    """Cells in tile z/x/y as layer "cells" (those in the scope); with `cycle_id`, that
    cycle's cells and their figures (expected escalations, counts, Gi* class and trend)."""
    held = scope.holds("c.region_code", "c.code")
    if cycle_id is None:
        return _tile(db, "cells", CELLS, "c.geom", held, scope, z=z, x=x, y=y)
    return _tile(db, "cells", CYCLE_CELLS, "c.geom", held, scope, z=z, x=x, y=y,
                 cycle_id=cycle_id)


def region_tile(db: Connection | Session, *, z: int, x: int, y: int,
                scope: Scope = EVERYTHING) -> bytes:
    """Region outlines in tile z/x/y as layer "regions" (region_code, name, level): those
    held, and those above a held cell."""
    held = (f"(r.code IN (SELECT v.code FROM regions v JOIN cells c ON c.region_code = v.code"
            f" WHERE {scope.holds('c.region_code', 'c.code')}) OR {scope.holds('r.code')})")
    return _tile(db, "regions", REGIONS, "r.geom", held, scope, z=z, x=x, y=y)


def layer_tile(db: Connection | Session, layer: str, *, z: int, x: int, y: int,
               cycle_id: int | None = None, scope: Scope = EVERYTHING) -> bytes:
    if layer == "cells":
        return cell_tile(db, z=z, x=x, y=y, cycle_id=cycle_id, scope=scope)
    if layer == "regions":
        return region_tile(db, z=z, x=x, y=y, scope=scope)
    raise UnknownLayer(layer)


def _tile(db: Connection | Session, layer: str, features: str, geom: str, held: str,
          scope: Scope, *, z: int, x: int, y: int, **params: object) -> bytes:
    _check_tile(z, x, y)
    shape = SHAPE.format(geom=geom, extent=EXTENT, buffer=BUFFER)
    query = features.format(shape=shape, in_tile=IN_TILE.format(geom=geom) + f" AND {held}")
    tile = db.execute(text(f"""
        SELECT ST_AsMVT(features, :layer, {EXTENT}, 'shape')
        FROM ({query}) features WHERE features.shape IS NOT NULL"""), {
        "z": z, "x": x, "y": y, "margin": BUFFER / EXTENT, "layer": layer,
        "tolerance": WORLD / 2**z / 256 * PIXEL_FRACTION, **params, **scope.params}
    ).scalar_one()
    return bytes(tile or b"")


def _check_tile(z: int, x: int, y: int) -> None:
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidInput("z", f"zoom {z} is outside 0–{MAX_ZOOM}")
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value < 2**z:
            raise InvalidInput(name, f"{value} is outside 0–{2**z - 1} at zoom {z}")
