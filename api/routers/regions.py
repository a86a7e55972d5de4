"""Regions and cells: the tree, their geometry as GeoJSON, the cell holding a point."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Db
from gridrisk.regions import service
from gridrisk.regions.schemas import CellOut, Feature, RegionNode, RegionOut
from gridrisk.vocab import Crs

router = APIRouter(tags=["regions"])


@router.get("/regions", summary="下级行政区", response_model=list[RegionOut])
def list_regions(db: Db, parent: Annotated[str | None, Query(
        description="code of the parent; empty for the top of the tree")] = None
                 ) -> list[RegionOut]:
    return service.list_regions(db, parent=parent)


@router.get("/regions/{code}", summary="行政区边界（GeoJSON）")
def get_region(code: str, db: Db) -> Feature:
    return service.region_feature(db, code)


@router.get("/regions/{code}/tree", summary="行政区及其全部下级")
def region_tree(code: str, db: Db) -> RegionNode:
    return service.region_tree(db, code)


@router.get("/regions/{code}/cells", summary="行政区内的网格")
def region_cells(code: str, db: Db) -> list[CellOut]:
    return service.region_cells(db, code)


@router.get("/cells/at", summary="坐标所在网格",
            responses={422: {"description": "the point is outside every cell"}})
def cell_at(db: Db, lon: Annotated[float, Query(ge=-180, le=180)],
            lat: Annotated[float, Query(ge=-90, le=90)], crs: Crs = Crs.wgs84) -> CellOut:
    return service.cell_at(db, lon, lat, crs)


@router.get("/cells/{code}", summary="网格边界（GeoJSON）")
def get_cell(code: str, db: Db) -> Feature:
    return service.cell_feature(db, code)
