"""An OGC API – Features items query (Part 1 Core, Part 2 CRS) read from its parameters, every
value checked: a parameter the API does not define, or a value it cannot use, is a
BadRequest (400) naming the parameter, as the standard asks."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from gridrisk.errors import BadRequest

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
EPSG_4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
#: the coordinate systems served → (SRID, whether its axis order is latitude first)
CRSS = {CRS84: (4326, False), EPSG_4326: (4326, True), EPSG_4490: (4490, True)}
DEFAULT_LIMIT, MAX_LIMIT = 10, 10_000
#: offsets beyond this are refused rather than scanned
MAX_OFFSET = 10_000_000
#: parameters every items request may carry besides a collection's property filters
ITEMS_PARAMETERS = ("limit", "offset", "bbox", "bbox-crs", "datetime", "crs", "f")
#: the encodings asked for with `f` that are the one served (GeoJSON)
JSON_FORMATS = ("json", "geojson", "application/json", "application/geo+json")


@dataclass(frozen=True)
class FeatureQuery:
    """`bbox` in CRS84 (lon/lat); `days` an inclusive local-day interval, None on an open
    end; `filters` property → value of the property's type; `crs` the output CRS's URI."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None
    days: tuple[date | None, date | None] | None = None
    filters: dict[str, str | int | bool] = field(default_factory=dict)
    crs: str = CRS84


def items_query(params: Mapping[str, str], *, filters: Mapping[str, type], timezone: str
                ) -> FeatureQuery:
    """The query for a collection whose property filters are `filters` (name → str, int or
    bool)."""
    unknown = [k for k in params if k not in ITEMS_PARAMETERS and k not in filters]
    if unknown:
        allowed = ", ".join([*ITEMS_PARAMETERS, *filters])
        raise BadRequest(unknown[0], f"not a parameter of this collection's items; "
                         f"parameters: {allowed}")
    check_format(params)
    crs = crs_param(params, "crs")
    bbox_crs = crs_param(params, "bbox-crs")
    if "bbox-crs" in params and "bbox" not in params:
        raise BadRequest("bbox-crs", "given without a bbox")
    return FeatureQuery(
        limit=_integer(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        offset=_integer(params, "offset", 0, 0, MAX_OFFSET),
        bbox=_bbox(params["bbox"], bbox_crs) if "bbox" in params else None,
        days=_days(params["datetime"], timezone) if "datetime" in params else None,
        filters={name: _typed(name, params[name], filters[name]) for name in filters
                 if name in params},
        crs=crs)


def feature_crs(params: Mapping[str, str]) -> str:
    """The output CRS of a single-feature request, which takes only `crs` and `f`."""
    unknown = [k for k in params if k not in ("crs", "f")]
    if unknown:
        raise BadRequest(unknown[0], "not a parameter of a feature; parameters: crs, f")
    check_format(params)
    return crs_param(params, "crs")


def check_format(params: Mapping[str, str]) -> None:
    if "f" in params and params["f"].lower() not in JSON_FORMATS:
        raise BadRequest("f", f"'{params['f']}' is not served; f=json (GeoJSON) is")


def crs_param(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, CRS84).strip().strip("<>")
    if value not in CRSS:
        raise BadRequest(name, f"'{value}' is not one of the CRSs served: {', '.join(CRSS)}")
    return value


def _integer(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    if name not in params:
        return default
    text = params[name].strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise BadRequest(name, f"'{params[name]}' is not a whole number from {low} to {high}")
    return int(text)


def _bbox(text: str, crs: str) -> tuple[float, float, float, float]:
    try:
        numbers = [float(part) for part in text.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) not in (4, 6) or not all(math.isfinite(n) for n in numbers):
        raise BadRequest("bbox", f"'{text}' is not four (or six) numbers separated by commas")
    low, high = (numbers[:2], numbers[2:]) if len(numbers) == 4 else (numbers[:2], numbers[3:5])
    if CRSS[crs][1]:  # latitude first
        low, high = low[::-1], high[::-1]
    west, south, east, north = *low, *high
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
        raise BadRequest("bbox", f"'{text}' is not a box of longitudes in −180…180 and "
                         "latitudes in −90…90 with the lower corner first")
    if west > east:
        raise BadRequest("bbox", "a box across the antimeridian is not served")
    return west, south, east, north


def _days(text: str, timezone: str) -> tuple[date | None, date | None]:
    """An instant or an interval (start/end, '..' or empty for an open end) as local days."""
    parts = text.split("/")
    if len(parts) > 2:
        raise BadRequest("datetime", f"'{text}' is neither an instant nor an interval")
    days = [_day(part, timezone) for part in parts]
    if len(days) == 1:
        if days[0] is None:
            raise BadRequest("datetime", "an instant cannot be open ('..')")
        return days[0], days[0]
    start, end = days
    if start is not None and end is not None and start > end:
        raise BadRequest("datetime", f"'{text}' ends before it starts")
    return start, end


def _day(text: str, timezone: str) -> date | None:
    if text in ("", ".."):
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise BadRequest("datetime", f"'{text}' is not an RFC 3339 date or date-time"
                         ) from None
    if moment.tzinfo is None:
        raise BadRequest("datetime", f"'{text}' has no offset (add Z or +08:00)")
    return moment.astimezone(ZoneInfo(timezone)).date()


def _typed(name: str, text: str, kind: type) -> str | int | bool:
    if kind is bool:
        if text.lower() not in ("true", "false"):
            raise BadRequest(name, f"'{text}' is not true or false")
        return text.lower() == "true"
    if kind is int:
        if not text.lstrip("-").isdigit() or abs(int(text)) > 2_147_483_647:
            raise BadRequest(name, f"'{text}' is not a whole number")
        return int(text)
    if not text or len(text) > 200:
        raise BadRequest(name, "an empty value or one longer than 200 characters")
    return text
