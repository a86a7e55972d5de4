"""The layers GIS staff read: each a query over PostGIS with its properties, its property
filters, its day (for `datetime`) and the action a role needs to read it. OGC API – Features
serves them page by page (`features`, `feature`); GeoPackages write them whole (`layer_frame`).

Every query is filtered to the caller's scope in SQL, so a feature outside it is not found,
exactly like one that does not exist. Cases carry no complainant detail (none is read) and
their summaries leave masked (gridrisk.privacy.masking); their state (open, deadlines) is
derived from the case file by `derive_state`, as everywhere else."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import text

from gridrisk.access.roles import Action
from gridrisk.access.scope import EVERYTHING, Scope
from gridrisk.cases.service import case_files, state_out
from gridrisk.cases.state import derive_state
from gridrisk.db.base import Db
from gridrisk.errors import NotFound
from gridrisk.gis.query import CRSS, FeatureQuery
from gridrisk.policy import DeadlinePolicy
from gridrisk.privacy.masking import mask_text, mask_texts
from gridrisk.regions.sql import REGIONS_UNDER
from gridrisk.vocab import COLLECTIVE_PARTIES, Cadence, labels

#: property type → the Python type its filter value is read as
FILTER_TYPES = {"string": str, "integer": int, "boolean": bool}
#: GeoJSON coordinates to 7 decimals (about a centimetre), without a "crs" member
DECIMALS = 7


@dataclass(frozen=True)
class Property:
    type: str  # string, integer, number, boolean, date
    description: str


@dataclass(frozen=True)
class Layer:
    """`select` gives one row per feature with `fid`, the properties, `region_code` and
    `cell_code` (where the feature sits, for the scope; NULL cell for regions) and `geom`
    (EPSG:4326). `day` names the property `datetime` filters on; `filters` the properties a
    request may filter on by equality."""

    id: str
    title: str
    description: str
    action: Action
    geometry: str
    properties: dict[str, Property]
    select: str
    filters: tuple[str, ...] = ()
    day: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    #: cases: state derived from the case file after the query; only open ones kept when set
    derived: bool = False
    only_open: bool = False

    @property
    def filter_types(self) -> dict[str, type]:
        return {name: FILTER_TYPES[self.properties[name].type] for name in self.filters}


def _p(kind: str, description: str) -> Property:
    return Property(kind, description)


REGIONS = Layer(
    id="regions", title="行政区划 Regions", action=Action.read_regions,
    description="Counties, townships, villages and communities in the caller's scope.",
    geometry="MultiPolygon",
    properties={"code": _p("string", "region code"), "name": _p("string", "name"),
                "level": _p("string", "county, township, village or community"),
                "parent_code": _p("string", "the region above"),
                "households": _p("integer", "households (villages and communities)")},
    select="""SELECT r.code AS fid, r.code, r.name, r.level, r.parent_code, r.households,
                     r.code AS region_code, NULL::text AS cell_code, r.geom FROM regions r""",
    filters=("level", "parent_code"))

CELLS = Layer(
    id="cells", title="网格 Grid cells", action=Action.read_cells,
    description="Grid cells in the caller's scope, each in its village or community.",
    geometry="MultiPolygon",
    properties={"code": _p("string", "cell code"), "name": _p("string", "name"),
                "region_code": _p("string", "its village or community"),
                "region_name": _p("string", "the village's or community's name")},
    select="""SELECT c.code AS fid, c.code, c.name, c.region_code, v.name AS region_name,
                     c.code AS cell_code, c.geom
              FROM cells c JOIN regions v ON v.code = c.region_code""",
    filters=("region_code",))

#: each cell's row in the latest cycle of :cadence holding it
LATEST_CYCLE_CELLS = """
    SELECT DISTINCT ON (y.cadence, k.cell_code) y.cadence, k.cell_code, l.name AS cell_name,
           l.region_code, y.id AS cycle_id, y.as_of, y.horizon_days, k.expected_escalations,
           k.n_open, k.n_overdue, k.n_due_soon, k.n_collective, k.n_high_disputes,
           k.n_missed_screenings, round(k.households)::integer AS households,
           k.escalations_per_1000, k.open_per_1000, k.gi_z, k.gi_p, k.hotspot, k.trend,
           l.geom
    FROM cycle_cells k JOIN cycles y ON y.id = k.cycle_id JOIN cells l ON l.code = k.cell_code
    WHERE {cadences}
    ORDER BY y.cadence, k.cell_code, y.as_of DESC, y.id DESC"""
CYCLE_CELL_PROPERTIES = {
    "cell_code": _p("string", "cell code"), "cell_name": _p("string", "cell name"),
    "region_code": _p("string", "its village or community"),
    "cycle_id": _p("integer", "the cycle these figures come from"),
    "as_of": _p("date", "the cycle's as-of day"),
    "horizon_days": _p("integer", "how far ahead its scores look"),
    "expected_escalations": _p("number", "sum of the open cases' escalation probabilities"),
    "n_open": _p("integer", "open cases"), "n_overdue": _p("integer", "overdue cases"),
    "n_due_soon": _p("integer", "cases due within the policy's days"),
    "n_collective": _p("integer", "collective cases (five or more parties)"),
    "n_high_disputes": _p("integer", "open high-severity disputes from screenings"),
    "n_missed_screenings": _p("integer", "screenings missed in the coverage window"),
    "households": _p("integer", "the village's households shared among its cells by area"),
    "escalations_per_1000": _p("number", "expected escalations per 1,000 households"),
    "open_per_1000": _p("number", "open cases per 1,000 households"),
    "gi_z": _p("number", "Getis-Ord Gi* z-score"), "gi_p": _p("number", "its p-value"),
    "hotspot": _p("string", "hot_99 … none … cold_99"),
    "trend": _p("string", "new, persistent, intensifying, diminishing, sporadic or empty"),
}


def _cycle_cells(cadence: Cadence) -> Layer:
    return Layer(
        id=f"cycle_cells_{cadence.value}", action=Action.read_cycles,
        title=f"{labels('zh')['cadence'][cadence.value]}排查周期网格 "
              f"Latest {cadence.value} cycle per cell",
        description=f"Each cell's figures from the latest {cadence.value} cycle that holds it: "
                    "expected escalations, counts, Gi* hotspot class and trend.",
        geometry="MultiPolygon", properties=CYCLE_CELL_PROPERTIES,
        select="SELECT cell_code AS fid, * FROM ("
               + LATEST_CYCLE_CELLS.format(cadences="y.cadence = :cadence") + ") latest",
        filters=("hotspot", "trend", "cycle_id", "region_code"), day="as_of",
        params={"cadence": cadence.value})


HOTSPOTS = Layer(
    id="hotspots", title="热点网格 Hotspots", action=Action.read_cycles,
    description="Cells that are Gi* hot spots (90, 95 or 99 % confidence) in the latest cycle "
                "of a cadence, one feature per cadence and cell.",
    geometry="MultiPolygon",
    properties={"cadence": _p("string", "daily, weekly or monthly"),
                **{k: CYCLE_CELL_PROPERTIES[k] for k in (
                    "cell_code", "cell_name", "region_code", "cycle_id", "as_of", "hotspot")},
                "confidence": _p("integer", "90, 95 or 99 (%)"),
                **{k: CYCLE_CELL_PROPERTIES[k] for k in (
                    "trend", "gi_z", "gi_p", "expected_escalations", "n_open", "n_overdue")}},
    select="SELECT cadence || '-' || cell_code AS fid, *, "
           "substring(hotspot FROM 5)::integer AS confidence FROM ("
           + LATEST_CYCLE_CELLS.format(cadences="TRUE") + ") latest "
           "WHERE hotspot LIKE 'hot\\_%'",
    filters=("cadence", "hotspot", "trend", "region_code"), day="as_of")

CASE_PROPERTIES = {
    "case_id": _p("string", "case id"), "received_on": _p("date", "day received"),
    "channel": _p("string", "how it was received"), "category": _p("string", "its matter"),
    "parties": _p("integer", "people raising it"),
    "collective": _p("boolean", "five or more parties"),
    "complex": _p("boolean", "a complex case (longer handling period)"),
    "region_code": _p("string", "its village or community"),
    "cell_code": _p("string", "its cell (empty when placed by village only)"),
    "responsible_unit": _p("string", "the unit handling it"),
    "summary": _p("string", "the matter, phone and ID numbers masked"),
    "located": _p("string", "point: where it happened; cell or region: a point inside its "
                  "cell or village (no point was given)"),
    "is_open": _p("boolean", "open today"),
    "accept_by": _p("date", "day by which it must be accepted (awaiting acceptance)"),
    "handle_by": _p("date", "last day of its handling period"),
    "closed_on": _p("date", "day it was closed"),
    "overdue_days": _p("integer", "days past its current deadline today"),
    "overdue": _p("boolean", "past its current deadline today"),
    "days_left": _p("integer", "days to its current deadline (negative: overdue)"),
}
CASES_SELECT = f"""
    SELECT c.case_id AS fid, c.case_id, c.received_on, c.channel, c.category, c.parties,
           c.parties >= {COLLECTIVE_PARTIES} AS collective, c.complex, c.region_code,
           c.cell_code, c.responsible_unit, c.summary,
           CASE WHEN c.geom IS NOT NULL THEN 'point' WHEN l.code IS NOT NULL THEN 'cell'
                ELSE 'region' END AS located,
           COALESCE(c.geom, ST_PointOnSurface(l.geom), ST_PointOnSurface(r.geom)) AS geom
    FROM cases c LEFT JOIN cells l ON l.code = c.cell_code
    JOIN regions r ON r.code = c.region_code"""
#: the properties known only once the case file is replayed
DERIVED = ("is_open", "accept_by", "handle_by", "closed_on", "overdue_days", "overdue",
           "days_left")

OPEN_CASES = Layer(
    id="open_cases", title="在办信访事项 Open cases", action=Action.read_cases,
    description="Cases open today as points, with their deadlines; no complainant detail, "
                "phone and ID numbers in summaries masked.",
    geometry="Point", properties={k: v for k, v in CASE_PROPERTIES.items()
                                  if k not in ("is_open", "closed_on")},
    select=CASES_SELECT, day="received_on", derived=True, only_open=True,
    filters=("category", "channel", "region_code", "cell_code", "collective", "overdue"))
#: every case (the GeoPackage's), open or closed
CASES = Layer(
    id="cases", title="信访事项 Cases", action=Action.read_cases,
    description="Every case as a point with its state; no complainant detail.",
    geometry="Point", properties=CASE_PROPERTIES, select=CASES_SELECT, day="received_on",
    derived=True)

#: the collections OGC API – Features serves, in the order it lists them
COLLECTIONS = {layer.id: layer for layer in (
    REGIONS, CELLS, *(_cycle_cells(c) for c in Cadence), HOTSPOTS, OPEN_CASES)}


def get_layer(layer_id: str) -> Layer:
    try:
        return COLLECTIONS[layer_id]
    except KeyError:
        raise NotFound(f"no collection {layer_id}; collections: "
                       f"{', '.join(COLLECTIONS)}") from None


# -- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Extent:
    """In CRS84; days as ISO dates, None when the layer has no day or no features."""

    bbox: tuple[float, float, float, float] | None
    first_day: date | None
    last_day: date | None


@dataclass(frozen=True)
class Page:
    """The features of one page (GeoJSON Feature dicts) and how many match in all."""

    features: list[dict[str, Any]]
    matched: int


@dataclass(frozen=True)
class CaseRules:
    """What replaying a case file needs."""

    policy: DeadlinePolicy
    timezone: str


def _where(layer: Layer, scope: Scope, query: FeatureQuery | None = None,
           region: str | None = None) -> tuple[str, dict[str, Any]]:
    """The conditions on `f` (the layer's rows) and their parameters; state-derived filters
    are left to `_derive`."""
    conditions = [scope.holds("f.region_code", "f.cell_code")]
    params: dict[str, Any] = {**layer.params, **scope.params}
    if region is not None:
        conditions.append(f"f.region_code IN {REGIONS_UNDER}")
        params["region"] = region
    if query is not None:
        if query.bbox is not None:
            conditions.append("f.geom && ST_MakeEnvelope(:west, :south, :east, :north, 4326)"
                              " AND ST_Intersects(f.geom, ST_MakeEnvelope("
                              ":west, :south, :east, :north, 4326))")
            params.update(zip(("west", "south", "east", "north"), query.bbox, strict=True))
        if query.days is not None and layer.day is not None:
            start, end = query.days
            if start is not None:
                conditions.append(f"f.{layer.day} >= :day_from")
                params["day_from"] = start
            if end is not None:
                conditions.append(f"f.{layer.day} <= :day_to")
                params["day_to"] = end
        for name, value in query.filters.items():
            if name not in DERIVED:
                conditions.append(f"f.{name} = :filter_{name}")
                params[f"filter_{name}"] = value
    return " AND ".join(conditions), params


def _geometry(crs: str) -> str:
    """The feature's geometry in `crs`, axes in that CRS's order."""
    srid, lat_first = CRSS[crs]
    geom = "f.geom" if srid == 4326 else f"ST_Transform(f.geom, {srid})"
    return f"ST_FlipCoordinates({geom})" if lat_first else geom


def _columns(layer: Layer) -> str:
    return ", ".join(f"f.{name}" for name in layer.properties if name not in DERIVED)


def features(db: Db, layer: Layer, query: FeatureQuery, *, scope: Scope, rules: CaseRules
             ) -> Page:
    """One page of the layer's features in the scope, in feature id order."""
    where, params = _where(layer, scope, query)
    rows_sql = (f"SELECT f.fid, {_columns(layer)}, ST_AsGeoJSON({_geometry(query.crs)}, "
                f"{DECIMALS}, 0) AS geometry FROM ({layer.select}) f WHERE {where} ORDER BY f.fid")
    if not layer.derived:
        matched = db.execute(text(f"SELECT count(*) FROM ({layer.select}) f WHERE {where}"),
                             params).scalar_one()
        rows = db.execute(text(rows_sql + " LIMIT :limit OFFSET :offset"),
                          {**params, "limit": query.limit, "offset": query.offset}
                          ).mappings().all()
        return Page([_feature(layer, dict(row)) for row in rows], matched)
    derived = _derive(db, layer, [dict(r) for r in db.execute(text(rows_sql), params).mappings()],
                      rules, query.filters)
    return Page([_feature(layer, row)
                 for row in derived[query.offset:query.offset + query.limit]], len(derived))


def feature(db: Db, layer: Layer, fid: str, *, crs: str, scope: Scope, rules: CaseRules
            ) -> dict[str, Any]:
    """One feature; NotFound when it does not exist or lies outside the scope."""
    where, params = _where(layer, scope)
    rows = [dict(r) for r in db.execute(text(
        f"SELECT f.fid, {_columns(layer)}, ST_AsGeoJSON({_geometry(crs)}, {DECIMALS}, 0) AS "
        f"geometry FROM ({layer.select}) f WHERE f.fid = :fid AND {where}"),
        {**params, "fid": fid}).mappings()]
    if layer.derived:
        rows = _derive(db, layer, rows, rules, {})
    if not rows:
        raise NotFound(f"no feature {fid} in collection {layer.id}")
    return _feature(layer, rows[0])


def extent(db: Db, layer: Layer, *, scope: Scope) -> Extent:
    """The layer's extent in the scope (for cases: of every case, open or not)."""
    where, params = _where(layer, scope)
    day = f"f.{layer.day}" if layer.day else "NULL::date"
    row = db.execute(text(
        f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), first_day, last_day FROM ("
        f"SELECT ST_Extent(f.geom) AS e, min({day}) AS first_day, max({day}) AS last_day"
        f" FROM ({layer.select}) f WHERE {where}) x"), params).one()
    bbox = None if row[0] is None else (row[0], row[1], row[2], row[3])
    return Extent(bbox, row[4], row[5])


def _derive(db: Db, layer: Layer, rows: list[dict[str, Any]], rules: CaseRules,
            filters: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Cases with their state derived today (open ones only, for an open-cases layer) and
    the state-derived filters applied."""
    files = case_files(db, [r["case_id"] for r in rows], timezone=rules.timezone)
    today = datetime.now(ZoneInfo(rules.timezone)).date()
    kept = []
    for row in rows:
        state = state_out(derive_state(row["received_on"], files.get(row["case_id"], []),
                                       is_complex=row["complex"], policy=rules.policy), today)
        if layer.only_open and not state.is_open:
            continue
        row.update(is_open=state.is_open, accept_by=state.accept_by, handle_by=state.handle_by,
                   closed_on=state.closed_on, overdue_days=state.overdue_days,
                   overdue=state.overdue_days > 0, days_left=state.days_left)
        if all(row[name] == value for name, value in filters.items() if name in DERIVED):
            kept.append(row)
    return kept


def _feature(layer: Layer, row: Mapping[str, Any]) -> dict[str, Any]:
    properties = {name: _plain(row[name]) for name in layer.properties}
    if "summary" in properties:
        properties["summary"] = mask_text(properties["summary"])
    return {"type": "Feature", "id": row["fid"], "geometry": json.loads(row["geometry"]),
            "properties": properties}


def _plain(value: Any) -> Any:
    """JSON's value: dates as ISO days, NaN as null."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        return None
    return value


# -- whole layers, for files -------------------------------------------------------------

def layer_frame(db: Db, layer: Layer, *, rules: CaseRules, region: str | None = None,
                scope: Scope = EVERYTHING, where: str = "TRUE",
                params: Mapping[str, Any] | None = None) -> gpd.GeoDataFrame:
    """The whole layer (under `region`, in the scope, and meeting `where` on `f`) as a
    GeoDataFrame in EPSG:4326 with the layer's properties as columns, dates as dates."""
    condition, bound = _where(layer, scope, region=region)
    result = db.execute(text(
        f"SELECT f.fid, {_columns(layer)}, ST_AsBinary(f.geom) AS wkb FROM ({layer.select}) f"
        f" WHERE {condition} AND {where} ORDER BY f.fid"), {**bound, **(params or {})})
    rows = [dict(r) for r in result.mappings()]
    if layer.derived:
        rows = _derive(db, layer, rows, rules, {})
    frame = pd.DataFrame(rows, columns=["fid", *layer.properties, "wkb"])
    if "summary" in frame:
        frame["summary"] = mask_texts(frame["summary"])
    for name, prop in layer.properties.items():
        if prop.type == "date":
            frame[name] = pd.to_datetime(frame[name]).dt.date.astype(object).where(
                frame[name].notna(), None)
        elif prop.type == "integer":
            frame[name] = frame[name].astype("Int64")
        elif prop.type == "boolean":
            frame[name] = frame[name].astype("boolean")
    geometry = shapely.from_wkb(frame.pop("wkb").map(bytes).to_numpy())
    return gpd.GeoDataFrame(frame.drop(columns="fid"), geometry=geometry, crs=4326)
