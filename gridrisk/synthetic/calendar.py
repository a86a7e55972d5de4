"""The 18-month window as day numbers, with the calendar facts that shape grievance intake."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

#: Spring Festival (春节): wage arrears peak in the weeks before it, intake drops during it
SPRING_FESTIVALS = {
    int(day[:4]): day for day in (
        "2015-02-19", "2016-02-08", "2017-01-28", "2018-02-16", "2019-02-05", "2020-01-25",
        "2021-02-12", "2022-02-01", "2023-01-22", "2024-02-10", "2025-01-29", "2026-02-17",
        "2027-02-06", "2028-01-26", "2029-02-13", "2030-02-03", "2031-01-23", "2032-02-11",
        "2033-01-31", "2034-02-19", "2035-02-08", "2036-01-28", "2037-02-15", "2038-02-04",
        "2039-01-24", "2040-02-12",
    )
}
#: stands in for years outside the table
TYPICAL_FESTIVAL = "-02-05"
WINDOW_MONTHS = 18


@dataclass(frozen=True)
class Calendar:
    """Day 0 is the first day of the window, day `n_days - 1` is `end_on`."""

    n_days: int
    dates: np.ndarray  # datetime64[D]
    weekday: np.ndarray  # 0 = Monday
    month: np.ndarray  # 1..12
    #: signed days to the nearest Spring Festival: negative before it
    to_festival: np.ndarray

    @property
    def last_day(self) -> int:
        return self.n_days - 1

    def intake_factor(self) -> np.ndarray:
        """Fewer cases come in at weekends, over Spring Festival and the National Day week."""
        factor = np.where(self.weekday >= 5, 0.45, 1.0)
        factor = np.where((self.to_festival >= -1) & (self.to_festival <= 6), 0.3, factor)
        day_of_month = (self.dates - self.dates.astype("datetime64[M]")).astype(int) + 1
        national_day = (self.month == 10) & (day_of_month <= 7)
        return np.where(national_day, factor * 0.5, factor)


def window(end_on: date) -> Calendar:
    """The 18 months ending at `end_on` (2026-10-31 → from 2025-05-01)."""
    first = pd.Timestamp(end_on) - pd.DateOffset(months=WINDOW_MONTHS) + pd.Timedelta(days=1)
    start = np.datetime64(first.date(), "D")
    n_days = int((np.datetime64(end_on, "D") - start).astype(int)) + 1
    dates = start + np.arange(n_days)
    months = dates.astype("datetime64[M]").astype(int) % 12 + 1
    weekday = (dates.astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    return Calendar(n_days=n_days, dates=dates, weekday=weekday, month=months,
                    to_festival=_days_to_festival(dates))


def _days_to_festival(dates: np.ndarray) -> np.ndarray:
    years = np.unique(dates.astype("datetime64[Y]").astype(int) + 1970)
    festivals = np.array(
        [SPRING_FESTIVALS.get(int(y), f"{y}{TYPICAL_FESTIVAL}")
         for y in np.r_[years[0] - 1, years, years[-1] + 1]],
        dtype="datetime64[D]",
    )
    gaps = (dates[:, None] - festivals[None, :]).astype(int)
    nearest = np.argmin(np.abs(gaps), axis=1)
    closest: np.ndarray = gaps[np.arange(len(dates)), nearest]
    return closest
