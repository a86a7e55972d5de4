"""Codes for screening cycles, hotspots and assignments."""

from enum import StrEnum


class Cadence(StrEnum):
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"


#: how far ahead each cadence's scores look (DESIGN.md)
HORIZON_DAYS = {Cadence.daily: 7, Cadence.weekly: 30, Cadence.monthly: 90}
#: how far back a cycle counts missed screenings: a week, four weeks, thirteen weeks
COVERAGE_WEEKS = {Cadence.daily: 1, Cadence.weekly: 4, Cadence.monthly: 13}


class Hotspot(StrEnum):
    hot_99 = "hot_99"
    hot_95 = "hot_95"
    hot_90 = "hot_90"
    none = "none"
    cold_90 = "cold_90"
    cold_95 = "cold_95"
    cold_99 = "cold_99"


class Trend(StrEnum):
    """Emerging hot-spot categories (docs/cycles.md); "" when the cell is not hot now."""

    new = "new"
    persistent = "persistent"
    intensifying = "intensifying"
    diminishing = "diminishing"
    sporadic = "sporadic"
    none = ""


class AssignmentKind(StrEnum):
    investigation = "investigation"
    follow_up = "follow_up"
    screening = "screening"


class AssignmentStatus(StrEnum):
    proposed = "proposed"
    accepted = "accepted"
    dropped = "dropped"
    done = "done"


class Engine(StrEnum):
    local = "local"
    dask = "dask"
