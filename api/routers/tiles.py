"""Vector tiles of cells and region outlines, for maps too large to embed and for GIS."""

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from api.deps import MAX_ID, Db, permit
from gridrisk.access.roles import Action
from gridrisk.access.schemas import Caller
from gridrisk.regions import tiles

router = APIRouter(tags=["tiles"])
MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
#: tile coordinates at the deepest zoom
MAX_TILE = 2**tiles.MAX_ZOOM - 1


@router.get("/tiles/{layer}/{z}/{x}/{y}.mvt", summary="矢量瓦片（网格、行政区划）",
            response_class=Response,
            responses={200: {"content": {MEDIA_TYPE: {}},
                             "description": "a Mapbox vector tile of what the caller may see "
                             "(empty where nothing is)"},
                       404: {"description": "no such layer"}})
def get_tile(layer: Annotated[str, Path(description="cells or regions")],
             z: Annotated[int, Path(ge=0, le=tiles.MAX_ZOOM)],
             x: Annotated[int, Path(ge=0, le=MAX_TILE)],
             y: Annotated[int, Path(ge=0, le=MAX_TILE)], db: Db,
             caller: Annotated[Caller, permit(Action.read_tiles)],
             cycle: Annotated[int | None, Query(
                 ge=1, le=MAX_ID, description="cells layer: that cycle's cells, with their "
                 "figures")] = None,
             ) -> Response:
    content = tiles.layer_tile(db, layer, z=z, x=x, y=y, cycle_id=cycle, scope=caller.scope)
    return Response(content, media_type=MEDIA_TYPE)
