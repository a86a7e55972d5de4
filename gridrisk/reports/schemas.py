"""What the API and `--json` give for the indicators: every figure keyed by its code
(gridrisk.vocab.Indicator), shaped as the indicator spec says: a rate as numerator,
denominator and rate (null when the denominator is 0: shown as "—", never 0% or 100%), a count
as {"count": n}."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class Rate(BaseModel):
    numerator: int
    denominator: int
    rate: float | None = Field(description="numerator ÷ denominator; null when the "
                               "denominator is 0")

    def percent(self) -> str:
        """As reports show it: a percentage with one decimal, "—" for a zero denominator."""
        return percent(self.rate)


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


class Count(BaseModel):
    count: int


class Escalations(Count):
    by_level: dict[str, int] = Field(description="escalated events by level: county, city, "
                                     "province, national")
    per_1000: float | None = Field(description="per 1,000 cases open at any time in the "
                                   "period; null when none was")
    open_cases: int = Field(description="cases open at any time in the period")


class MeanDays(BaseModel):
    numerator: int = Field(description="days from receipt to first closing, added up")
    denominator: int = Field(description="cases first closed in the period")
    rate: float | None = Field(description="the mean; null when no case was first closed")
    median: float | None


class Figures(BaseModel):
    accept_on_time: Rate
    handle_on_time: Rate
    resolution: Rate
    no_return: Rate
    rated: Rate
    satisfied: Rate
    one_time: Rate
    repeat: Rate
    escalations: Escalations
    overdue_open: Count
    days_to_close: MeanDays
    coverage: Rate
    zero_report: Rate


class PeriodOut(BaseModel):
    label: str = Field(examples=["2026-10"])
    first: date
    last: date


class RegionRef(BaseModel):
    code: str
    name: str
    level: str


class UnitFigures(BaseModel):
    code: str
    name: str
    figures: Figures


class IndicatorsOut(BaseModel):
    """A region's figures for a period, and the same for each unit under it when asked
    (`by`); the region's own figures are counted from all its cases, so each count is the
    sum of its units' counts."""

    region: RegionRef
    period: PeriodOut
    by: str | None
    follow_up_window_days: int
    figures: Figures
    units: list[UnitFigures]


class CellReport(BaseModel):
    cell_code: str
    cell_name: str
    village: str
    status: str = Field(description="on_time (a record by the report time), late (only "
                        "after it) or missing")
    first_at: datetime | None = Field(description="the day's first record of the cell")


class ZeroReportOut(BaseModel):
    """The daily zero report (零报告) of a region's cells for one day."""

    region: RegionRef
    day: date
    report_by: str = Field(description="the policy's report time, local")
    daily: bool = Field(description="whether the day is in a daily period (reports are due)")
    period_name: str | None = Field(description="the daily period's name")
    on_time: int
    late: int
    missing: int
    cells: list[CellReport] = Field(description="missing first, then late, then on time")
