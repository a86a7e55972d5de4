"""Regions and cells: the tree, their geometry as GeoJSON, the cell holding a point."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import Db, permit
from api.openapi import Responses
from gridrisk.access.roles import Action
from gridrisk.access.schemas import Caller
from gridrisk.cases.schemas import Code
from gridrisk.regions import service
from gridrisk.regions.schemas import CellOut, Feature, RegionNode, RegionOut
from gridrisk.vocab import Crs

router = APIRouter(tags=["regions"])
UNKNOWN_REGION: Responses = {404: {"description": "no such region in the caller's scope"}}
UNKNOWN_CELL: Responses = {404: {"description": "no such cell in the caller's scope"}}
Regions = Annotated[Caller, permit(Action.read_regions)]
Cells = Annotated[Caller, permit(Action.read_cells)]


@router.get("/regions", summary="下级行政区", response_model=list[RegionOut],
            responses=UNKNOWN_REGION)
def list_regions(db: Db, caller: Regions, parent: Annotated[Code | None, Query(
        description="code of the parent; empty for the top of the caller's regions")] = None
                 ) -> list[RegionOut]:
    return service.list_regions(db, parent=parent, scope=caller.scope)


@router.get("/regions/{code}", summary="行政区边界（GeoJSON）", responses=UNKNOWN_REGION)
def get_region(code: str, db: Db, caller: Regions) -> Feature:
    return service.region_feature(db, code, scope=caller.scope)


@router.get("/regions/{code}/tree", summary="行政区及其全部下级", responses=UNKNOWN_REGION)
def region_tree(code: str, db: Db, caller: Regions) -> RegionNode:
    return service.region_tree(db, code, scope=caller.scope)


@router.get("/regions/{code}/cells", summary="行政区内的网格", responses=UNKNOWN_REGION)
def region_cells(code: str, db: Db, caller: Regions) -> list[CellOut]:
    return service.region_cells(db, code, scope=caller.scope)


@router.get("/cells/at", summary="坐标所在网格",
            responses={422: {"description": "the point is outside every cell of the "
                                            "caller's scope"}})
def cell_at(db: Db, caller: Cells, lon: Annotated[float, Query(ge=-180, le=180)],
            lat: Annotated[float, Query(ge=-90, le=90)], crs: Crs = Crs.wgs84) -> CellOut:
    return service.cell_at(db, lon, lat, crs, scope=caller.scope)


@router.get("/cells/{code}", summary="网格边界（GeoJSON）", responses=UNKNOWN_CELL)
def get_cell(code: str, db: Db, caller: Cells) -> Feature:
    return service.cell_feature(db, code, scope=caller.scope)
