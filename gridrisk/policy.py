"""The policy file: the rules an office tunes without touching code (deadlines, screening
cadences, cycle thresholds and schedule, when a case repeats another, what an import
tolerates, indicator targets and weights, campaign defaults, how long contacts are kept).
Defaults ship in policy.toml next to this module; a file of the same shape
(GRIDRISK_POLICY_FILE) replaces them, section by section. Every key is documented in
docs/policy.md. A change changes what is derived (deadlines, coverage, worklists, figures,
what an import refuses), never stored events or records."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import asdict, dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

from gridrisk.errors import InvalidInput

DEFAULT_POLICY_FILE = Path(__file__).with_name("policy.toml")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CADENCES = ("daily", "weekly", "monthly")
#: what a cycle may rank its worklists by (models.columns.OUTCOMES)
RANK_OUTCOMES = ("any", "deadline", "return")


@dataclass(frozen=True)
class DeadlinePolicy:
    accept_days: int = 15
    handle_days: int = 30
    complex_handle_days: int = 60
    max_extension_days: int = 30

    def __post_init__(self) -> None:
        for name in ("accept_days", "handle_days", "complex_handle_days"):
            if getattr(self, name) < 1:
                raise InvalidInput(f"deadlines.{name}", "must be at least 1 day")
        if self.max_extension_days < 0:
            raise InvalidInput("deadlines.max_extension_days", "must not be negative")


@dataclass(frozen=True)
class DailyPeriod:
    """A designated period in which every cell is screened every day."""

    name: str
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput("screening.daily_periods", f"{self.name}: ends on {self.end}, "
                               f"before it starts on {self.start}")


@dataclass(frozen=True)
class ScreeningPolicy:
    cell_cadence: str = "weekly"
    daily_periods: tuple[DailyPeriod, ...] = field(default_factory=tuple)
    #: in a daily period every cell reports by this local time, "nothing found" included (零报告)
    report_by: str = "15:00"

    def __post_init__(self) -> None:
        if self.cell_cadence != "weekly":
            raise InvalidInput("screening.cell_cadence", "only weekly is supported for cells")
        self.report_time()

    def report_time(self) -> time:
        return _clock_time("screening.report_by", self.report_by)

    def daily_period(self, day: date) -> DailyPeriod | None:
        """The designated daily period `day` lies in, if any."""
        return next((p for p in self.daily_periods if p.start <= day <= p.end), None)


@dataclass(frozen=True)
class CyclePolicy:
    due_soon_days: int = 7
    investigate_min_score: float = 0.3
    follow_up_days: int = 30
    tasks_per_worker_per_day: int = 4
    trend_cycles: int = 12
    rank_by: str = "any"
    scheduled: tuple[str, ...] = CADENCES
    daily_at: str = "06:30"
    weekly_on: str = "monday"
    monthly_on: int = 1

    def __post_init__(self) -> None:
        if self.tasks_per_worker_per_day < 1:
            raise InvalidInput("cycles.tasks_per_worker_per_day", "must be at least 1")
        if not 0 <= self.investigate_min_score <= 1:
            raise InvalidInput("cycles.investigate_min_score", "must be between 0 and 1")
        if self.rank_by not in RANK_OUTCOMES:
            raise InvalidInput("cycles.rank_by", f"'{self.rank_by}' is not one of "
                               f"{', '.join(RANK_OUTCOMES)}")
        if self.weekly_on not in WEEKDAYS:
            raise InvalidInput("cycles.weekly_on", f"'{self.weekly_on}' is not one of "
                               f"{', '.join(WEEKDAYS)}")
        unknown = [c for c in self.scheduled if c not in CADENCES]
        if unknown:
            raise InvalidInput("cycles.scheduled", f"unknown cadence(s) {', '.join(unknown)}")
        if not 1 <= self.monthly_on <= 28:
            raise InvalidInput("cycles.monthly_on", "a day of the month from 1 to 28")
        self.run_time()

    def run_time(self) -> time:
        return _clock_time("cycles.daily_at", self.daily_at)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _clock_time(key: str, value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(key, f"'{value}' is not a time like 06:30") from exc


@dataclass(frozen=True)
class IndicatorRates:
    """One number per rate of docs/indicators.md: a target (a share, 0–1) or a weight."""

    accept_on_time: float
    handle_on_time: float
    resolution: float
    no_return: float
    rated: float
    satisfied: float
    one_time: float
    repeat: float
    coverage: float
    zero_report: float

    def items(self) -> list[tuple[str, float]]:
        return [(f.name, getattr(self, f.name)) for f in dataclasses.fields(self)]


#: targets seen in the seed documents (化解率 ≥ 98%, 息诉罢访率 ≥ 95%) and illustrative ones for
#: the rest; `repeat` is a ceiling (lower is better)
DEFAULT_TARGETS = IndicatorRates(
    accept_on_time=1.0, handle_on_time=0.95, resolution=0.98, no_return=0.95, rated=0.95,
    satisfied=0.9, one_time=0.9, repeat=0.05, coverage=0.95, zero_report=0.95)
#: points out of 100 in the quarterly evaluation
DEFAULT_WEIGHTS = IndicatorRates(
    accept_on_time=10, handle_on_time=10, resolution=30, no_return=20, rated=0, satisfied=10,
    one_time=10, repeat=0, coverage=5, zero_report=5)


@dataclass(frozen=True)
class IndicatorPolicy:
    """How the figures of docs/indicators.md are read and judged."""

    #: a closing's follow-up window: returns within it count against 息诉罢访率
    follow_up_window_days: int = 90
    #: the figure the monthly bulletin ranks townships by
    rank_by: str = "resolution"
    targets: IndicatorRates = DEFAULT_TARGETS
    weights: IndicatorRates = DEFAULT_WEIGHTS

    def __post_init__(self) -> None:
        if self.follow_up_window_days < 1:
            raise InvalidInput("indicators.follow_up_window_days", "must be at least 1 day")
        codes = [name for name, _ in self.targets.items()]
        if self.rank_by not in codes:
            raise InvalidInput("indicators.rank_by", f"'{self.rank_by}' is not one of "
                               f"{', '.join(codes)}")
        for name, value in self.targets.items():
            if not 0 <= value <= 1:
                raise InvalidInput(f"indicators.targets.{name}", "a share from 0 to 1 "
                                   "(0.98 for 98%)")
        for name, value in self.weights.items():
            if value < 0:
                raise InvalidInput(f"indicators.weights.{name}", "must not be negative")
        if not sum(value for _, value in self.weights.items()):
            raise InvalidInput("indicators.weights", "at least one weight above 0")


@dataclass(frozen=True)
class CampaignPolicy:
    """Defaults of a backlog campaign (信访积案化解专项行动) that its plan does not set."""

    resolution_target: float = 0.98
    no_return_target: float = 0.95
    #: phase lengths when the plan gives only a start day: 梳理交办, 集中化解, 巩固提升
    sorting_days: int = 10
    resolving_days: int = 70
    consolidating_days: int = 30

    def __post_init__(self) -> None:
        for name in ("resolution_target", "no_return_target"):
            if not 0 <= getattr(self, name) <= 1:
                raise InvalidInput(f"campaigns.{name}", "a share from 0 to 1 (0.98 for 98%)")
        for name in ("sorting_days", "resolving_days", "consolidating_days"):
            if getattr(self, name) < 1:
                raise InvalidInput(f"campaigns.{name}", "must be at least 1 day")


@dataclass(frozen=True)
class PrivacyPolicy:
    #: a closed case's contact is erased this many years after its last event
    contact_retention_years: int = 3

    def __post_init__(self) -> None:
        if self.contact_retention_years < 1:
            raise InvalidInput("privacy.contact_retention_years", "must be at least 1 year")


@dataclass(frozen=True)
class AccessPolicy:
    session_hours: int = 10
    token_days: int = 90
    failed_sign_ins_per_account: int = 5
    failed_sign_ins_per_address: int = 20
    failed_sign_in_minutes: int = 15

    def __post_init__(self) -> None:
        for name in ("session_hours", "token_days", "failed_sign_ins_per_account",
                     "failed_sign_ins_per_address", "failed_sign_in_minutes"):
            if getattr(self, name) < 1:
                raise InvalidInput(f"access.{name}", "must be at least 1")


@dataclass(frozen=True)
class ImportPolicy:
    """How much mess an import accepts in boundary files and points (docs/bundle.md)."""

    boundary_report_m2: float = 100.0
    boundary_tolerance: float = 0.01
    placeholder_min_records: int = 50

    def __post_init__(self) -> None:
        if self.boundary_report_m2 < 0:
            raise InvalidInput("imports.boundary_report_m2", "must not be negative")
        if not 0 <= self.boundary_tolerance < 1:
            raise InvalidInput("imports.boundary_tolerance", "a share from 0 up to 1, e.g. "
                               "0.01 for 1%")
        if self.placeholder_min_records < 2:
            raise InvalidInput("imports.placeholder_min_records", "must be at least 2")


@dataclass(frozen=True)
class RepeatPolicy:
    """When a new case repeats an earlier one (models.repeats)."""

    window_days: int = 180
    radius_m: float = 300.0
    min_similarity: float = 0.7

    def __post_init__(self) -> None:
        if self.window_days < 1:
            raise InvalidInput("repeats.window_days", "must be at least 1 day")
        if self.radius_m < 0:
            raise InvalidInput("repeats.radius_m", "must not be negative")
        if not 0 < self.min_similarity <= 1:
            raise InvalidInput("repeats.min_similarity", "must be above 0 and at most 1")


@dataclass(frozen=True)
class Open311Policy:
    lookups_per_address: int = 30
    requests_per_address: int = 60
    window_minutes: int = 15

    def __post_init__(self) -> None:
        for name in ("lookups_per_address", "requests_per_address", "window_minutes"):
            if getattr(self, name) < 1:
                raise InvalidInput(f"open311.{name}", "must be at least 1")


@dataclass(frozen=True)
class Policy:
    """The whole policy file, one section per attribute."""

    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    screening: ScreeningPolicy = field(default_factory=ScreeningPolicy)
    cycles: CyclePolicy = field(default_factory=CyclePolicy)
    imports: ImportPolicy = field(default_factory=ImportPolicy)
    privacy: PrivacyPolicy = field(default_factory=PrivacyPolicy)
    indicators: IndicatorPolicy = field(default_factory=IndicatorPolicy)
    campaigns: CampaignPolicy = field(default_factory=CampaignPolicy)
    access: AccessPolicy = field(default_factory=AccessPolicy)
    repeats: RepeatPolicy = field(default_factory=RepeatPolicy)
    open311: Open311Policy = field(default_factory=Open311Policy)


Section = TypeVar("Section")


def load_policy(path: Path | None = None) -> Policy:
    """The policy file at `path` (the shipped defaults when None), every key checked: an
    unknown section or key, or a value of the wrong type, is an InvalidInput naming it."""
    path = path.expanduser() if path else DEFAULT_POLICY_FILE
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInput("GRIDRISK_POLICY_FILE", f"{path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput("GRIDRISK_POLICY_FILE", f"{path} is not valid TOML: {exc}") from exc
    sections = {f.name: f for f in dataclasses.fields(Policy)}
    unknown = set(document) - set(sections)
    if unknown:
        raise InvalidInput("policy", f"unknown section(s) {', '.join(sorted(unknown))} in "
                           f"{path}; known: {', '.join(sections)}")
    hints = get_type_hints(Policy)
    return Policy(**{name: _section(hints[name], name, document[name])
                     for name in sections if name in document})


def _section(kind: type[Section], name: str, values: Any, default: Any = None) -> Section:
    """A table as its dataclass. A nested table (`[indicators.targets]`) is read against its
    default, so it need only name the keys it changes."""
    if not isinstance(values, dict):
        raise InvalidInput(name, "must be a table ([" + name + "])")
    hints = get_type_hints(kind)
    unknown = set(values) - set(hints)
    if unknown:
        raise InvalidInput(name, f"unknown setting(s) {', '.join(sorted(unknown))}")
    defaults = {f.name: f.default for f in dataclasses.fields(kind)}  # type: ignore[arg-type]
    given = {key: _section(hints[key], f"{name}.{key}", value, defaults[key])
             if dataclasses.is_dataclass(hints[key]) else _value(f"{name}.{key}", hints[key],
                                                                  value)
             for key, value in values.items()}
    return dataclasses.replace(default, **given) if default is not None else kind(**given)


def _value(key: str, hint: Any, value: Any) -> Any:
    """A TOML value as its setting's type: tuples from arrays, daily periods from tables;
    a value of another type is refused by name (TOML bools are not ints here)."""
    if hint is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise InvalidInput(key, f"expected a whole number, got {value!r}")
    if hint is float and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise InvalidInput(key, f"expected a number, got {value!r}")
    if hint is str and not isinstance(value, str):
        raise InvalidInput(key, f"expected text, got {value!r}")
    if hint is bool and not isinstance(value, bool):
        raise InvalidInput(key, f"expected true or false, got {value!r}")
    if getattr(hint, "__origin__", None) is tuple:
        if not isinstance(value, list):
            raise InvalidInput(key, f"expected a list, got {value!r}")
        (item, _) = hint.__args__
        if item is DailyPeriod:
            return tuple(_daily_period(key, p) for p in value)
        return tuple(_value(key, item, v) for v in value)
    return float(value) if hint is float else value


def _daily_period(key: str, value: Any) -> DailyPeriod:
    if not isinstance(value, dict) or set(value) != {"name", "start", "end"}:
        raise InvalidInput(key, "each daily period has a name, a start and an end date")
    if not all(isinstance(value[k], date) for k in ("start", "end")):
        raise InvalidInput(key, f"{value.get('name')}: start and end are dates like 2026-02-14")
    return DailyPeriod(name=str(value["name"]), start=value["start"], end=value["end"])
