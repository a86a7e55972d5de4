"""What the API takes and gives for cases and their files. A case names its matter, place and
responsible official; the person who raised it is a contact of its own (privacy.schemas),
sealed apart from the case. Free text goes out with the phone and identity card numbers typed
into it masked."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from gridrisk.privacy.schemas import ContactIn
from gridrisk.vocab import Category, Channel, ClosureType, Crs, EventLevel, EventType, Satisfaction

#: no record of a grievance or screening is older than this: an earlier date is a typo or a
#: phone's reset clock
EARLIEST_DAY = date(1990, 1, 1)
#: most people a case or record names (the database's integer is far larger)
MAX_PARTIES = 100_000


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    return value


def plausible_day(value: date) -> date:
    """A day between EARLIEST_DAY and tomorrow (UTC): the services refuse the future on the
    local clock; far dates (9999-12-31) break every later computation."""
    day = value.date() if isinstance(value, datetime) else value
    if day < EARLIEST_DAY:
        raise ValueError(f"before {EARLIEST_DAY}: outside the data's plausible range")
    if day > datetime.now(UTC).date() + timedelta(days=1):
        raise ValueError("in the future")
    return value


def plausible_time(value: datetime) -> datetime:
    """A time between EARLIEST_DAY and a day from now (a phone's clock may run ahead); its
    own day is checked first, so that 0001-01-01T00:00+14:00 is refused, not converted."""
    plausible_day(value.date())
    if value.tzinfo is not None:
        plausible_day(value.astimezone(UTC))
    return value


def planned_day(value: date) -> date:
    """A day a plan may name: from EARLIEST_DAY to ten years ahead (a deadline or a phase
    lies in the future, but 9999-12-31 is a typo that breaks date arithmetic)."""
    if value < EARLIEST_DAY:
        raise ValueError(f"before {EARLIEST_DAY}: outside the data's plausible range")
    if value > datetime.now(UTC).date() + timedelta(days=3653):
        raise ValueError("more than ten years ahead")
    return value


Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\s\x00]+$")]
Text = Annotated[str, Field(max_length=4000), AfterValidator(no_nul)]
PlausibleDay = Annotated[date, AfterValidator(plausible_day)]
PlannedDay = Annotated[date, AfterValidator(planned_day)]
Parties = Annotated[int, Field(ge=1, le=MAX_PARTIES)]


class CaseIn(BaseModel):
    """A new case: a point (with the coordinate system the phone or system reports), or a
    cell, or only a village; the cell is assigned on write."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "case_id": "XF20250301-0001", "received_on": "2025-03-01", "channel": "visit",
        "category": "land_requisition", "parties": 6, "lon": 114.31733, "lat": 33.53548,
        "crs": "gcj02", "complex": True, "responsible_unit": "城关镇人民政府",
        "responsible_official": "王副镇长", "summary": "征地补偿款未足额发放",
    }]})

    case_id: Code | None = Field(None, description="the source system's id; generated "
                                 "when empty")
    received_on: PlausibleDay
    channel: Channel
    category: Category
    parties: Parties = Field(description="people raising it (collective when ≥ 5)")
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    crs: Crs = Crs.wgs84
    cell_code: Code | None = None
    region_code: Code | None = None
    complex: bool = False
    responsible_unit: Text | None = None
    responsible_official: Text | None = None
    summary: Text | None = None
    due_at: datetime | None = Field(None, description="the handling deadline the source "
                                    "system set (e.g. a hotline's 办结时限); replaces the "
                                    "policy's handling deadline of the first acceptance")
    contact: ContactIn | None = Field(None, description="how to reach the complainant: "
                                      "sealed apart from the case, shown in clear only by "
                                      "GET /cases/{id}/contact")

    @model_validator(mode="after")
    def _located(self) -> Self:
        if (self.lon is None) != (self.lat is None):
            missing = "lat" if self.lat is None else "lon"
            raise ValueError(f"{missing} is missing: lon and lat go together")
        if self.lon is None and not self.cell_code and not self.region_code:
            raise ValueError("no location: give lon/lat, a cell_code or a region_code")
        return self


class CaseEventIn(BaseModel):
    """One entry of the case file. Never edited: a correction is a new event naming the one
    it corrects in `corrects`."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"at": "2025-03-03", "type": "accepted"},
        {"at": "2025-03-20T15:30:00+08:00", "type": "extended", "detail": "延期15日：需现场测量"},
        {"at": "2025-04-02", "type": "closed", "detail": "resolved"},
        {"at": "2025-04-20", "type": "escalated", "level": "city", "parties": 8},
    ]})

    at: datetime | date = Field(description="a date (midnight local time) or a time with its "
                                "offset; a time without offset is local time")
    type: EventType
    level: EventLevel | None = None
    parties: Parties | None = None
    detail: Text | None = Field(None, description="for closed, the closure type; for "
                                "followed_up, the satisfaction")
    corrects: int | None = Field(None, description="id of the earlier event this corrects")

    @field_validator("at", mode="before")
    @classmethod
    def _date_or_time(cls, value: object) -> object:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
        return value

    @field_validator("at")
    @classmethod
    def _plausible(cls, value: datetime | date) -> datetime | date:
        return plausible_time(value) if isinstance(value, datetime) else plausible_day(value)

    @model_validator(mode="after")
    def _detail_names_its_code(self) -> Self:
        for kind, codes, what in ((EventType.closed, ClosureType, "closure type"),
                                  (EventType.followed_up, Satisfaction, "satisfaction")):
            allowed = [c.value for c in codes]
            if self.type == kind and self.detail not in allowed:
                raise ValueError(f"detail: a {kind} event names its {what}: one of "
                                 f"{', '.join(allowed)}")
        return self


class CaseEventOut(BaseModel):
    id: int
    at: datetime
    at_is_date: bool
    type: EventType
    level: EventLevel | None
    parties: int | None
    detail: str | None = Field(description="phone and identity card numbers in it masked")
    corrects: int | None
    corrected_by: int | None = None


class CaseStateOut(BaseModel):
    """Derived from the case file by derive_state; never stored."""

    is_open: bool
    accept_by: date | None = Field(description="set while the case awaits acceptance")
    accepted_on: date | None
    handle_by: date | None = Field(description="last day of the handling period")
    extended: bool
    closed_on: date | None
    closure_type: str | None
    overdue_days: int = Field(description="days past the acceptance or handling deadline "
                              "today; 0 when not overdue")
    days_left: int | None = Field(description="days until the current deadline (negative "
                                  "when overdue); None when closed")


class CaseOut(BaseModel):
    case_id: str
    received_on: date
    channel: Channel
    category: Category
    parties: int
    collective: bool
    lon: float | None = Field(description="WGS84")
    lat: float | None = Field(description="WGS84")
    cell_code: str | None
    region_code: str
    complex: bool
    responsible_unit: str | None
    responsible_official: str | None
    summary: str | None = Field(description="phone and identity card numbers in it masked")
    due_at: datetime | None = Field(description="the source's own handling deadline, if any")
    has_contact: bool = Field(description="a complainant's contact is on record: "
                              "GET /cases/{id}/contact")
    version: int = Field(description="send it back in If-Match to change the case")
    state: CaseStateOut


class RepeatLink(BaseModel):
    """Another case on the same matter (gridrisk.cases.repeats)."""

    case_id: str
    received_on: date
    similarity: float = Field(description="cosine of the summaries' character n-grams")
    days_apart: int
    metres_apart: float | None = Field(description="None when either case has no point")


class RepeatLinks(BaseModel):
    repeats: list[RepeatLink] = Field(description="earlier cases this one repeats (重复件)")
    repeated_by: list[RepeatLink] = Field(description="later cases that repeat this one")


class CaseDetailOut(CaseOut):
    """One case as GET /cases/{id} gives it: with its repeat links."""

    repeat_links: RepeatLinks


class CaseFileOut(BaseModel):
    case_id: str
    version: int
    events: list[CaseEventOut]


class CasePage(BaseModel):
    items: list[CaseOut]
    total: int
    limit: int
    offset: int
