"""Report periods: a run of local calendar days, both ends included (indicator spec). Named as
planners name them: an ISO week `2026-W44` (Monday to Sunday), a month `2026-10`, a quarter
`2026-Q3`, a year `2026`, or any days from one date to another."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from gridrisk.errors import InvalidInput

WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$")
MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
YEAR = re.compile(r"^(\d{4})$")
KINDS = ("week", "month", "quarter", "year", "days")
#: a longer period would read more than anyone reports on at once
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    #: week, month, quarter, year or days
    kind: str

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise InvalidInput("to", f"the period ends on {self.last}, before it starts on "
                               f"{self.first}")
        if (self.last - self.first).days >= MAX_DAYS:
            raise InvalidInput("to", f"a period is at most {MAX_DAYS} days")

    @property
    def label(self) -> str:
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"{self.first.year}"
        return f"{self.first}..{self.last}"

    @property
    def n_days(self) -> int:
        return (self.last - self.first).days + 1

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.n_days)]

    def previous(self) -> Period:
        """The period of the same kind just before (for days: as many days)."""
        if self.kind == "days":
            return Period(self.first - timedelta(days=self.n_days),
                          self.first - timedelta(days=1), "days")
        return period_of(self.kind, self.first - timedelta(days=1))

    def next(self) -> Period:
        if self.kind == "days":
            return Period(self.last + timedelta(days=1),
                          self.last + timedelta(days=self.n_days), "days")
        return period_of(self.kind, self.last + timedelta(days=1))

    def name(self, lang: str) -> str:
        """How a report heading names it."""
        if lang == "en":
            return self.label if self.kind != "days" else f"{self.first} to {self.last}"
        year, number = self.first.year, self.label.rsplit("-", 1)[-1].lstrip("WQ")
        if self.kind == "week":
            return f"{self.first.isocalendar()[0]}年第{int(number)}周（{self.first:%m月%d日}—" \
                   f"{self.last:%m月%d日}）"
        return {"month": f"{year}年{self.first.month}月", "quarter": f"{year}年第{number}季度",
                "year": f"{year}年"}.get(self.kind, f"{self.first}至{self.last}")


def period_of(kind: str, day: date) -> Period:
    """The week, month, quarter or year holding `day`."""
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return Period(monday, monday + timedelta(days=6), "week")
    if kind == "month":
        return Period(day.replace(day=1), _month_end(day.year, day.month), "month")
    if kind == "quarter":
        start = (day.month - 1) // 3 * 3 + 1
        return Period(date(day.year, start, 1), _month_end(day.year, start + 2), "quarter")
    if kind == "year":
        return Period(date(day.year, 1, 1), date(day.year, 12, 31), "year")
    raise InvalidInput("period", f"'{kind}' is not one of week, month, quarter, year")


def _month_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


def parse_period(text: str | None = None, *, first: date | None = None,
                 last: date | None = None) -> Period:
    """A period named `2026-W44`, `2026-10`, `2026-Q3` or `2026`, or the days from `first` to
    `last`; InvalidInput naming the field otherwise."""
    if text is None:
        if first is None or last is None:
            raise InvalidInput("period", "give a period (2026-10, 2026-W44, 2026-Q3, 2026) "
                               "or both from and to dates")
        return Period(first, last, "days")
    if first is not None or last is not None:
        raise InvalidInput("period", "give either a period or from and to dates, not both")
    value = text.strip()
    try:
        if found := WEEK.match(value):
            year, week = map(int, found.groups())
            monday = date.fromisocalendar(year, week, 1)
            return Period(monday, monday + timedelta(days=6), "week")
        if found := MONTH.match(value):
            year, month = map(int, found.groups())
            return period_of("month", date(year, month, 1))
        if found := QUARTER.match(value):
            year, quarter = map(int, found.groups())
            return period_of("quarter", date(year, 3 * quarter - 2, 1))
        if found := YEAR.match(value):
            return period_of("year", date(int(found.group(1)), 1, 1))
    except ValueError as exc:
        raise InvalidInput("period", f"'{text}': {exc}") from exc
    raise InvalidInput("period", f"'{text}' is not a period like 2026-10, 2026-W44, 2026-Q3 "
                       "or 2026")
