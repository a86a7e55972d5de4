"""Vector tiles of cells and region outlines, for maps too large to embed and for GIS."""

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from api.deps import Db
from gridrisk.regions import tiles

router = APIRouter(tags=["tiles"])
MEDIA_TYPE = "application/vnd.mapbox-vector-tile"


@router.get("/tiles/{layer}/{z}/{x}/{y}.mvt", summary="矢量瓦片（网格、行政区划）",
            response_class=Response,
            responses={200: {"content": {MEDIA_TYPE: {}},
                             "description": "a Mapbox vector tile (empty where nothing is)"}})
def get_tile(layer: Annotated[str, Path(description="cells or regions")],
             z: Annotated[int, Path(ge=0, le=tiles.MAX_ZOOM)], x: int, y: int, db: Db,
             cycle: Annotated[int | None, Query(
                 description="cells layer: that cycle's cells, with their figures")] = None,
             ) -> Response:
    content = tiles.layer_tile(db, layer, z=z, x=x, y=y, cycle_id=cycle)
    return Response(content, media_type=MEDIA_TYPE)
