"""A period report as data: sections of tables and charts that render.py turns into the same
tables in HTML, PDF and XLSX. Builders (weekly.py, monthly.py, quarterly.py) fill it; no
renderer decides what a report says."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gridrisk.reports.periods import Period

#: how a column's values are shown: text; int; rate (a schemas.Rate: percent, with its
#: numerator and denominator); percent (a share 0–1 or None); points (percentage points, or
#: None); number (one decimal, or None); date
KINDS = ("text", "int", "rate", "percent", "points", "number", "date")


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key}: kind {self.kind!r} is not one of {KINDS}")


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    #: shown instead of an empty table
    empty: str = ""
    #: the last row is a total (shown bold)
    total: bool = False


@dataclass
class Chart:
    key: str
    title: str
    png: bytes


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass
class Document:
    kind: str
    title: str
    region_code: str
    region_name: str
    #: None for a document of no period (a ledger)
    period: Period | None
    generated_on: date
    lang: str
    sections: list[Section]
    #: what the document's footer says about the definitions
    note: str = ""

    @property
    def slug(self) -> str:
        """The file name stem: weekly-411325000000-2026-W44, ledger-411325000000."""
        return "-".join([self.kind, self.region_code, *(
            [self.period.label] if self.period else [])])

    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]
