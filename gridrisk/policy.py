"""The policy file: the rules an office tunes without touching code (deadlines, screening
cadences, cycle thresholds and schedule). Defaults ship in policy.toml next to this module;
a file of the same shape (GRIDRISK_POLICY_FILE) replaces them, section by section. Every key
is documented in docs/policy.md. A change changes what is derived (deadlines, coverage,
worklists), never stored events or records."""

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

    def __post_init__(self) -> None:
        if self.cell_cadence != "weekly":
            raise InvalidInput("screening.cell_cadence", "only weekly is supported for cells")


@dataclass(frozen=True)
class CyclePolicy:
    due_soon_days: int = 7
    investigate_min_score: float = 0.3
    follow_up_days: int = 30
    tasks_per_worker_per_day: int = 4
    trend_cycles: int = 12
    scheduled: tuple[str, ...] = CADENCES
    daily_at: str = "06:30"
    weekly_on: str = "monday"
    monthly_on: int = 1

    def __post_init__(self) -> None:
        if self.tasks_per_worker_per_day < 1:
            raise InvalidInput("cycles.tasks_per_worker_per_day", "must be at least 1")
        if not 0 <= self.investigate_min_score <= 1:
            raise InvalidInput("cycles.investigate_min_score", "must be between 0 and 1")
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
        try:
            return time.fromisoformat(self.daily_at)
        except ValueError as exc:
            raise InvalidInput("cycles.daily_at", f"'{self.daily_at}' is not a time like "
                               "06:30") from exc

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    access: AccessPolicy = field(default_factory=AccessPolicy)
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


def _section(kind: type[Section], name: str, values: Any) -> Section:
    if not isinstance(values, dict):
        raise InvalidInput(name, "must be a table ([" + name + "])")
    hints = get_type_hints(kind)
    unknown = set(values) - set(hints)
    if unknown:
        raise InvalidInput(name, f"unknown setting(s) {', '.join(sorted(unknown))}")
    return kind(**{key: _value(f"{name}.{key}", hints[key], value)
                   for key, value in values.items()})


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
