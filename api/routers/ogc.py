"""OGC API – Features (Part 1 Core with GeoJSON, Part 2 CRS) under /ogc, for QGIS, ArcGIS
and GDAL: the layers of gridrisk.gis.layers, each filtered to the signed-in caller's scope.

The items routes read their query themselves (gridrisk.gis.query) and document it in the
OpenAPI document by hand: the standard answers a bad or unknown parameter with 400, where
FastAPI's own validation would answer 422."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from api.deps import Db, Policy, SettingsDep, current_caller, permitting
from api.openapi import Responses
from gridrisk.access.roles import may
from gridrisk.access.schemas import Caller
from gridrisk.gis import layers
from gridrisk.gis.query import (
    CRS84,
    CRSS,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    check_format,
    feature_crs,
    items_query,
)

router = APIRouter(prefix="/ogc", tags=["ogc"])
Signed = Annotated[Caller, Depends(current_caller)]
JSON, GEOJSON = "application/json", "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
UNKNOWN: Responses = {
    404: {"description": "no such collection, or no such feature in the caller's "
                         "scope"}}
BAD_QUERY: Responses = {
    400: {"description": "a parameter this API does not define, or a value it "
                         "cannot use; the problem names it"}}
CollectionId = Annotated[str, Path(max_length=64, description="a collection's id")]
FeatureId = Annotated[str, Path(max_length=200, description="a feature's id")]


def _query_parameter(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema, "style": "form", "explode": False}


#: an RFC 3339 day or date-time with its offset, or an interval of them (an open end: ..)
_MOMENT = r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?"
DATETIME_PATTERN = f"^({_MOMENT}|({_MOMENT}|\\.\\.)?/({_MOMENT}|\\.\\.)?)$"
CRS_SCHEMA = {"type": "string", "format": "uri", "enum": list(CRSS), "default": CRS84}
ITEMS_PARAMETERS = [
    _query_parameter("limit", "features per page", {
        "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
    _query_parameter("offset", "features to skip (the next link carries it)", {
        "type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}),
    _query_parameter("bbox", "minx,miny,maxx,maxy in bbox-crs (default CRS84: lon,lat), the "
                     "lower corner first; 400 otherwise", {
                         "type": "array", "minItems": 4, "maxItems": 6,
                         "items": {"type": "number", "minimum": -180, "maximum": 180}}),
    _query_parameter("bbox-crs", "the CRS of bbox", CRS_SCHEMA),
    _query_parameter("datetime", "a day or interval (2026-08-01/2026-08-31, ../2026-08-31) "
                     "on the collection's day property; ignored where it has none",
                     {"type": "string", "pattern": DATETIME_PATTERN}),
    _query_parameter("crs", "the CRS of the geometries returned", CRS_SCHEMA),
    _query_parameter("f", "json (GeoJSON, the only encoding)", {
        "type": "string", "enum": ["json"]}),
]
PROPERTY_FILTERS = (
    "Property filters, by equality: " + "; ".join(
        f"{layer.id}: {', '.join(layer.filters)}" for layer in layers.COLLECTIONS.values()
        if layer.filters) + ".")


def _url(request: Request, name: str, **path: str) -> str:
    return str(request.url_for(name, **path))


def _link(href: str, rel: str, media_type: str, title: str | None = None) -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": media_type}
    if title:
        link["title"] = title
    return link


def _answer(body: dict[str, Any], media_type: str = JSON, crs: str | None = None
            ) -> JSONResponse:
    headers = {"Content-Crs": f"<{crs}>"} if crs else None
    return JSONResponse(body, media_type=media_type, headers=headers)


@router.get("", name="ogc_landing", summary="OGC API – Features：入口",
            response_class=JSONResponse)
def landing(request: Request, caller: Signed) -> JSONResponse:
    check_format(request.query_params)
    root = _url(request, "ogc_landing")
    return _answer({
        "title": "gridrisk OGC API – Features",
        "description": "网格、行政区划、排查周期结果、热点与在办信访事项（按登录用户的辖区）。"
                       " Cells, regions, cycle results, hotspots and open cases in the "
                       "signed-in caller's scope.",
        "links": [
            _link(root, "self", JSON, "this document"),
            _link(str(request.base_url) + "openapi.json", "service-desc",
                  "application/vnd.oai.openapi+json;version=3.1", "the API definition"),
            _link(str(request.base_url) + "docs", "service-doc", "text/html",
                  "the API documentation"),
            _link(_url(request, "ogc_conformance"), "conformance", JSON,
                  "conformance classes implemented"),
            _link(_url(request, "ogc_collections"), "data", JSON, "the collections"),
        ]})


@router.get("/conformance", name="ogc_conformance", summary="OGC API – Features：一致性类",
            response_class=JSONResponse)
def conformance(request: Request, caller: Signed) -> JSONResponse:
    check_format(request.query_params)
    return _answer({"conformsTo": CONFORMANCE})


def _collection(request: Request, db: Db, layer: layers.Layer, caller: Caller
                ) -> dict[str, Any]:
    found = layers.extent(db, layer, scope=caller.scope)
    extent: dict[str, Any] = {"spatial": {"bbox": [list(found.bbox or (-180, -90, 180, 90))],
                                          "crs": CRS84}}
    if layer.day:
        extent["temporal"] = {"interval": [[_day(found.first_day), _day(found.last_day)]],
                              "trs": GREGORIAN}
    here = _url(request, "ogc_collection", collection_id=layer.id)
    return {
        "id": layer.id, "title": layer.title, "description": layer.description,
        "itemType": "feature", "crs": list(CRSS), "storageCrs": CRS84, "extent": extent,
        "links": [_link(here, "self", JSON, layer.title),
                  _link(_url(request, "ogc_items", collection_id=layer.id), "items", GEOJSON,
                        f"{layer.title}: features")]}


def _day(day: Any) -> str | None:
    return f"{day.isoformat()}T00:00:00Z" if day is not None else None


@router.get("/collections", name="ogc_collections", summary="OGC API – Features：图层列表",
            response_class=JSONResponse)
def collections(request: Request, db: Db, caller: Signed) -> JSONResponse:
    """The collections the caller's role may read."""
    check_format(request.query_params)
    return _answer({
        "links": [_link(_url(request, "ogc_collections"), "self", JSON, "the collections")],
        "collections": [_collection(request, db, layer, caller)
                        for layer in layers.COLLECTIONS.values()
                        if may(caller.role, layer.action)]})


def _readable(collection_id: str, caller: Caller) -> layers.Layer:
    layer = layers.get_layer(collection_id)
    permitting(layer.action, caller)
    return layer


@router.get("/collections/{collection_id}", name="ogc_collection",
            summary="OGC API – Features：图层说明", response_class=JSONResponse,
            responses=UNKNOWN)
def collection(collection_id: CollectionId, request: Request, db: Db, caller: Signed
               ) -> JSONResponse:
    check_format(request.query_params)
    return _answer(_collection(request, db, _readable(collection_id, caller), caller))


@router.get("/collections/{collection_id}/items", name="ogc_items",
            summary="OGC API – Features：要素", response_class=JSONResponse,
            description="Features in the caller's scope, by feature id. " + PROPERTY_FILTERS,
            responses={**UNKNOWN, **BAD_QUERY, 200: {"content": {GEOJSON: {}},
                                                     "description": "a FeatureCollection"}},
            openapi_extra={"parameters": ITEMS_PARAMETERS})
def items(collection_id: CollectionId, request: Request, db: Db, settings: SettingsDep,
          policy: Policy, caller: Signed) -> JSONResponse:
    layer = _readable(collection_id, caller)
    query = items_query(request.query_params, filters=layer.filter_types,
                        timezone=settings.timezone)
    page = layers.features(db, layer, query, scope=caller.scope,
                           rules=layers.CaseRules(policy, settings.timezone))
    links = [_link(str(request.url), "self", GEOJSON, "this page"),
             _link(_url(request, "ogc_collection", collection_id=layer.id), "collection", JSON,
                   layer.title)]
    if query.offset + len(page.features) < page.matched:
        links.append(_link(_page(request, query.offset + query.limit), "next", GEOJSON,
                           "the next page"))
    if query.offset > 0:
        links.append(_link(_page(request, max(0, query.offset - query.limit)), "prev",
                           GEOJSON, "the previous page"))
    return _answer({
        "type": "FeatureCollection", "features": page.features, "links": links,
        "numberMatched": page.matched, "numberReturned": len(page.features)},
        GEOJSON, query.crs)


def _page(request: Request, offset: int) -> str:
    """This request's URL with another offset (every other parameter kept)."""
    return str(request.url.include_query_params(offset=str(offset)))


@router.get("/collections/{collection_id}/items/{feature_id}", name="ogc_item",
            summary="OGC API – Features：单个要素", response_class=JSONResponse,
            responses={**UNKNOWN, **BAD_QUERY, 200: {"content": {GEOJSON: {}},
                                                     "description": "a Feature"}},
            openapi_extra={"parameters": [p for p in ITEMS_PARAMETERS
                                          if p["name"] in ("crs", "f")]})
def item(collection_id: CollectionId, feature_id: FeatureId, request: Request, db: Db,
         settings: SettingsDep, policy: Policy, caller: Signed) -> JSONResponse:
    layer = _readable(collection_id, caller)
    crs = feature_crs(request.query_params)
    found = layers.feature(db, layer, feature_id, crs=crs, scope=caller.scope,
                           rules=layers.CaseRules(policy, settings.timezone))
    found["links"] = [
        _link(str(request.url), "self", GEOJSON, "this feature"),
        _link(_url(request, "ogc_collection", collection_id=layer.id), "collection", JSON,
              layer.title)]
    return _answer(found, GEOJSON, crs)
