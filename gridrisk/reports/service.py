"""Indicators for a region and period, broken down by township or village: the database read
once (reports/sources.py), the figures counted by reports/indicators.py. Every function takes
the caller's scope (the region codes they may see; None for all): a region outside it answers
as an unknown one does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import text

from gridrisk.access.scope import EVERYTHING, Scope
from gridrisk.db.base import Db
from gridrisk.policy import Policy
from gridrisk.regions.service import get_region
from gridrisk.regions.sql import REGIONS_UNDER
from gridrisk.reports.indicators import (
    CASE,
    CELL,
    Items,
    case_figures,
    count,
    daily_reports,
    screening_figures,
)
from gridrisk.reports.periods import Period
from gridrisk.reports.schemas import (
    CellReport,
    Count,
    Escalations,
    Figures,
    IndicatorsOut,
    MeanDays,
    PeriodOut,
    Rate,
    RegionRef,
    UnitFigures,
    ZeroReportOut,
)
from gridrisk.reports.sources import Units, load_case_files, load_screenings, region_units
from gridrisk.vocab import ESCALATION_LEVELS, Indicator


@dataclass(frozen=True)
class Counted:
    """One period's counts: a row per unit (in the order of `units`) and the region's own."""

    period: Period
    units: Units
    by_unit: pd.DataFrame
    total: pd.Series

    def unit_figures(self) -> list[tuple[str, str, Figures]]:
        return [(code, self.units.names[code], figures_of(row))
                for code, row in zip(self.units.codes, self.by_unit.to_dict("records"),
                                     strict=True)]


class Region:
    """A region's case files and screenings read once, counted for as many periods as a
    report needs."""

    def __init__(self, db: Db, region_code: str, *, by: str | None, scope: Scope = EVERYTHING,
                 policy: Policy, timezone: str, details: bool = False) -> None:
        get_region(db, region_code, scope=scope)
        self.db, self.policy, self.timezone = db, policy, timezone
        self.units = region_units(db, region_code, by)
        self.files, self.details = load_case_files(db, self.units, timezone=timezone,
                                                   deadlines=policy.deadlines,
                                                   details=details)

    def screenings(self, period: Period) -> tuple[pd.DataFrame, pd.DataFrame]:
        return load_screenings(self.db, self.units, period.first, period.last,
                               timezone=self.timezone)

    def figures(self, period: Period) -> tuple[dict[Indicator, Items], pd.DataFrame]:
        """Every figure's items in the period (reports/indicators.py), before adding up, and
        the region's cells they count."""
        policy = self.policy
        figures: dict[Indicator, Items] = dict(case_figures(
            self.files, period.first, period.last,
            window_days=policy.indicators.follow_up_window_days))
        cells, screenings = self.screenings(period)
        figures.update(screening_figures(cells, screenings, period.first, period.last,
                                         policy=policy.screening))
        return figures, cells

    def total(self, period: Period) -> Figures:
        return figures_of(self.count(period).total)

    def count(self, period: Period) -> Counted:
        figures, cells = self.figures(period)
        cell_unit = pd.Index(self.units.codes).get_indexer(pd.Index(cells["unit"]))
        n_units = len(self.units.codes)
        by_unit = count(figures, groups={CASE: self.files.case_unit, CELL: cell_unit},
                        n_groups=n_units)
        total = by_unit.iloc[0] if n_units == 1 else count(
            figures, groups={CASE: np.zeros(self.files.n_cases, dtype=np.int64),
                             CELL: np.where(cell_unit >= 0, 0, -1)}, n_groups=1).iloc[0]
        return Counted(period, self.units, by_unit, total)


def indicators(db: Db, *, region_code: str, period: Period, by: str | None,
               scope: Scope = EVERYTHING, policy: Policy, timezone: str) -> IndicatorsOut:
    """The region's figures for the period, and each unit's when `by` names a level."""
    region = Region(db, region_code, by=by, scope=scope, policy=policy, timezone=timezone)
    counted = region.count(period)
    units = region.units
    return IndicatorsOut(
        region=RegionRef(code=units.region_code, name=units.region_name,
                         level=units.region_level),
        period=PeriodOut(label=period.label, first=period.first, last=period.last),
        by=by, follow_up_window_days=policy.indicators.follow_up_window_days,
        figures=figures_of(counted.total),
        units=[UnitFigures(code=code, name=name, figures=figures)
               for code, name, figures in counted.unit_figures()] if by else [])


class FigureRow(Protocol):
    """A row of `indicators.count`: a Series, or a record of its frame."""

    def __getitem__(self, key: str, /) -> Any: ...

    def __contains__(self, key: object, /) -> bool: ...


def figures_of(row: FigureRow) -> Figures:
    """A row of `indicators.count` as the spec's figures."""
    def rate(code: Indicator) -> Rate:
        n, d = int(row[f"{code}.n"]), int(row[f"{code}.d"])
        return Rate(numerator=n, denominator=d, rate=n / d if d else None)

    escalations, base = int(row["escalations.count"]), int(row["escalations.base"])
    closed, days = int(row["days_to_close.count"]), int(row["days_to_close.sum"])
    median = row["days_to_close.median"]
    return Figures(
        **{code.value: rate(code) for code in Indicator
           if f"{code}.d" in row},
        escalations=Escalations(
            count=escalations, by_level={level.value: int(row[f"escalations.{level}"])
                                         for level in ESCALATION_LEVELS},
            per_1000=1000 * escalations / base if base else None, open_cases=base),
        overdue_open=Count(count=int(row["overdue_open.count"])),
        days_to_close=MeanDays(numerator=days, denominator=closed,
                               rate=days / closed if closed else None,
                               median=None if pd.isna(median) else float(median)))


def _in_zone(at: pd.Timestamp | None, timezone: str) -> datetime | None:
    """A first record's local time (NaT or None: no record) as an aware datetime."""
    return None if at is None or pd.isna(at) else at.to_pydatetime().replace(
        tzinfo=ZoneInfo(timezone))


def zero_report(db: Db, *, region_code: str, day: date, scope: Scope = EVERYTHING, policy: Policy,
                timezone: str) -> ZeroReportOut:
    """Which cells of the region have reported on `day` by the policy's report time (零报告:
    "nothing found" counts as a report), which only later, which not at all."""
    region = get_region(db, region_code, scope=scope)
    units = region_units(db, region_code, None)
    cells, screenings = load_screenings(db, units, day, day, timezone=timezone)
    villages: dict[str, str] = dict(db.execute(text(
        f"SELECT code, name FROM regions WHERE code IN {REGIONS_UNDER}"),
        {"region": region_code}).all())
    village_of: dict[str, str] = dict(db.execute(text(
        f"SELECT code, region_code FROM cells WHERE region_code IN {REGIONS_UNDER}"),
        {"region": region_code}).all())
    screening = policy.screening
    reports = daily_reports(cells, screenings, [day], report_by=screening.report_time())
    names = dict(zip(cells["cell_code"], cells["cell_name"], strict=True))
    order = {"missing": 0, "late": 1, "on_time": 2}
    reports = reports.assign(rank=reports["status"].map(order)).sort_values(
        ["rank", "cell_code"])
    period = screening.daily_period(day)
    counts = reports["status"].value_counts()
    return ZeroReportOut(
        region=RegionRef(code=region.code, name=region.name, level=region.level), day=day,
        report_by=screening.report_by, daily=period is not None,
        period_name=period.name if period else None,
        on_time=int(counts.get("on_time", 0)), late=int(counts.get("late", 0)),
        missing=int(counts.get("missing", 0)),
        cells=[CellReport(cell_code=r.cell_code, cell_name=names[r.cell_code],
                          village=villages.get(village_of[str(r.cell_code)], ""), status=r.status,
                          first_at=_in_zone(cast("pd.Timestamp | None", r.first_at), timezone))
               for r in reports.itertuples()])
