"""Screening records and coverage as the API takes and gives them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Self

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from gridrisk.cases.schemas import Code, Parties, Text, plausible_time
from gridrisk.vocab import Category, Channel, Crs, Outcome, Severity

DISPUTE_FIELDS = ("category", "severity", "parties", "lon", "lat", "outcome", "case_id")


class ScreeningIn(BaseModel):
    """A grid worker's screening of a cell: "nothing found", or a dispute found. The
    record_id is generated on the phone, so a retried send never makes a second record."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"record_id": "W41062500100101-20261028-1", "screened_at": "2026-10-28T09:00:00+08:00",
         "worker": "W41062500100101", "cell_code": "41062500100101", "found": False},
        {"record_id": "W41062500100101-20261028-2", "screened_at": "2026-10-28T10:00:00+08:00",
         "worker": "W41062500100101", "cell_code": "41062500100101", "found": True,
         "category": "wages_labour", "severity": "medium", "parties": 3, "lon": 114.31733,
         "lat": 33.53548, "crs": "gcj02", "outcome": "mediating", "summary": "工地欠薪"},
    ]})

    record_id: Code
    screened_at: Annotated[AwareDatetime, AfterValidator(plausible_time)]
    worker: Code
    cell_code: Code
    found: bool
    category: Category | None = None
    severity: Severity | None = None
    parties: Parties | None = None
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    crs: Crs = Crs.wgs84
    outcome: Outcome | None = None
    case_id: Code | None = None
    summary: Text | None = None

    @model_validator(mode="after")
    def _found_or_not(self) -> Self:
        if not self.found:
            given = [f for f in DISPUTE_FIELDS if getattr(self, f) is not None]
            if given:
                raise ValueError(f"{given[0]}: only when a dispute was found (found = true)")
        else:
            for required in ("category", "severity"):
                if getattr(self, required) is None:
                    raise ValueError(f"{required}: required when a dispute was found")
        if (self.lon is None) != (self.lat is None):
            raise ValueError("lon and lat go together")
        return self


class ScreeningOut(BaseModel):
    record_id: str
    screened_at: datetime
    worker: str
    cell_code: str
    found: bool
    category: Category | None
    severity: Severity | None
    parties: int | None
    lon: float | None = Field(description="WGS84")
    lat: float | None = Field(description="WGS84")
    outcome: Outcome | None
    case_id: str | None
    summary: str | None


class ScreeningPage(BaseModel):
    items: list[ScreeningOut]
    total: int
    limit: int
    offset: int


class DisputeToCase(BaseModel):
    """What a case needs beyond the screening record it comes from."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"responsible_unit": "城关镇人民政府", "responsible_official": "王副镇长"}]})

    case_id: Code | None = None
    channel: Channel = Channel.screening
    complex: bool = False
    responsible_unit: Text | None = None
    responsible_official: Text | None = None


class CellCoverage(BaseModel):
    cell_code: str
    region_code: str
    due: int = Field(description="screening slots due in the period (weeks, or days in "
                     "designated daily periods)")
    done: int
    missed: list[str] = Field(description="the slots without a screening: a week's Monday "
                              "(W2025-03-03) or a day (D2025-03-05)")


class CoverageOut(BaseModel):
    region_code: str
    start: date
    end: date
    due: int
    done: int
    rate: float | None
    cells: list[CellCoverage]
    missed_cells: list[str]
