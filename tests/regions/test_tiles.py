"""Vector tiles of cells and regions from the real PostGIS, decoded and checked feature by
feature."""

from __future__ import annotations

import json
import math
from pathlib import Path

import mapbox_vector_tile
import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import Connection, text

from gridrisk.bundle.service import import_bundle
from gridrisk.errors import InvalidInput
from gridrisk.regions.tiles import UnknownLayer, cell_tile, layer_tile, region_tile

from ..bundle.conftest import CELL_AN, CELL_AS, COUNTY, VILLAGE_A, VILLAGE_B, write_tiny_bundle

#: the tiny bundle spans 114.0–114.2E, 34.0–34.1N: one tile at zoom 10 holds all of it
Z = 10


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The web-mercator tile holding a point."""
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def tile_centre(x: int, y: int, z: int) -> tuple[float, float]:
    n = 2**z
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / n))))
    return (x + 0.5) / n * 360 - 180, lat


def features(tile: bytes, layer: str) -> list[dict]:
    return mapbox_vector_tile.decode(tile)[layer]["features"]  # type: ignore[no-any-return]


@pytest.fixture
def tiny(conn: Connection, tmp_path: Path) -> Connection:
    import_bundle(conn, write_tiny_bundle(tmp_path / "tiny"))
    return conn


def test_a_cell_tile_holds_each_cell_with_its_code_and_name(tiny: Connection) -> None:
    x, y = tile_of(114.1, 34.05, Z)
    found = {f["properties"]["cell_code"]: f for f in features(
        cell_tile(tiny, z=Z, x=x, y=y), "cells")}
    assert set(found) == {CELL_AS, CELL_AN, VILLAGE_B}
    assert found[CELL_AS]["properties"] == {"cell_code": CELL_AS, "cell_name": "第一网格"}
    assert found[VILLAGE_B]["properties"]["cell_name"] == "西岗社区"
    assert found[CELL_AS]["geometry"]["type"] == "Polygon"


def test_a_tile_elsewhere_is_empty(tiny: Connection) -> None:
    x, y = tile_of(116.4, 39.9, Z)
    assert cell_tile(tiny, z=Z, x=x, y=y) == b""


def test_geometries_are_simplified_to_the_zoom(tiny: Connection) -> None:
    """A round cell 100 m across with 2,000 vertices, whole in one tile at zooms 12–16: the
    closer the zoom, the more vertices it keeps, and never all of them."""
    x16, y16 = tile_of(114.15, 34.05, 16)
    lon, lat = tile_centre(x16, y16, 16)
    ring = [(lon + 0.0005 * math.cos(t), lat + 0.0005 * math.sin(t))
            for t in (2 * math.pi * i / 2000 for i in range(2000))]
    geometry = {"type": "MultiPolygon", "coordinates": [[[*ring, ring[0]]]]}
    tiny.execute(text("INSERT INTO cells (code, name, region_code, geom) VALUES ('ROUND', "
                      "'圆形网格', :region, ST_SetSRID(ST_GeomFromGeoJSON(:geometry), 4326))"),
                 {"region": VILLAGE_B, "geometry": json.dumps(geometry)})

    def vertices(z: int) -> int:
        x, y = tile_of(lon, lat, z)
        cell = next(f for f in features(cell_tile(tiny, z=z, x=x, y=y), "cells")
                    if f["properties"]["cell_code"] == "ROUND")
        return int(shapely.get_num_coordinates(shape(cell["geometry"])))

    assert vertices(12) < vertices(14) < vertices(16) < 100


def test_with_a_cycle_only_its_cells_come_with_their_figures(tiny: Connection) -> None:
    cycle_id = tiny.execute(text("""
        INSERT INTO cycles (cadence, as_of, region_code, horizon_days, model_id, policy,
                            input_fingerprint, engine, seconds, n_cells, n_cases, notes)
        VALUES ('weekly', '2025-06-01', :county, 30, 'm1', '{}', 'f', 'local', 1, 1, 1, '{}')
        RETURNING id"""), {"county": COUNTY}).scalar_one()
    tiny.execute(text("""
        INSERT INTO cycle_cells (cycle_id, cell_code, expected_escalations, n_open, n_overdue,
            n_due_soon, n_collective, n_high_disputes, n_missed_screenings, households,
            escalations_per_1000, open_per_1000, gi_z, gi_p, hotspot, trend)
        VALUES (:cycle, :cell, 1.5, 2, 1, 0, 1, 0, 3, 400, 3.75, 5, 2.8, 0.005, 'hot_99',
                'new')"""), {"cycle": cycle_id, "cell": CELL_AS})
    x, y = tile_of(114.1, 34.05, Z)
    [cell] = features(cell_tile(tiny, z=Z, x=x, y=y, cycle_id=cycle_id), "cells")
    assert cell["properties"] == {
        "cell_code": CELL_AS, "cell_name": "第一网格", "expected_escalations": 1.5,
        "n_open": 2, "n_overdue": 1, "n_due_soon": 0, "n_collective": 1, "n_high_disputes": 0,
        "n_missed_screenings": 3, "households": 400.0, "escalations_per_1000": 3.75,
        "gi_z": 2.8, "hotspot": "hot_99", "trend": "new"}


def test_a_region_tile_holds_the_outlines_with_code_name_and_level(tiny: Connection) -> None:
    x, y = tile_of(114.1, 34.05, Z)
    found = {f["properties"]["region_code"]: f["properties"]
             for f in features(region_tile(tiny, z=Z, x=x, y=y), "regions")}
    assert found[VILLAGE_A] == {"region_code": VILLAGE_A, "name": "东湖村", "level": "village"}
    assert found[COUNTY]["level"] == "county" and len(found) == 4


def test_tiles_outside_the_grid_and_unknown_layers_are_refused(tiny: Connection) -> None:
    with pytest.raises(InvalidInput, match="x: 8 is outside 0–7 at zoom 3"):
        cell_tile(tiny, z=3, x=8, y=0)
    with pytest.raises(InvalidInput, match="z: zoom 23"):
        region_tile(tiny, z=23, x=0, y=0)
    with pytest.raises(UnknownLayer, match="no tile layer roads"):
        layer_tile(tiny, "roads", z=0, x=0, y=0)
