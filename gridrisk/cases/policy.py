"""The policy file: deadlines and screening cadences. Defaults ship in policy.toml; a file of
the same shape (GRIDRISK_POLICY_FILE) replaces them."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

DEFAULT_POLICY_FILE = Path(__file__).with_name("policy.toml")


@dataclass(frozen=True)
class DeadlinePolicy:
    accept_days: int = 15
    handle_days: int = 30
    complex_handle_days: int = 60
    max_extension_days: int = 30


@dataclass(frozen=True)
class DailyPeriod:
    """A designated period in which every cell is screened every day."""

    name: str
    start: date
    end: date


@dataclass(frozen=True)
class ScreeningPolicy:
    cell_cadence: str = "weekly"
    daily_periods: tuple[DailyPeriod, ...] = field(default_factory=tuple)


def read_policy_file(path: Path | None) -> dict:  # type: ignore[type-arg]
    return tomllib.loads((path or DEFAULT_POLICY_FILE).read_text(encoding="utf-8"))


def load_policy(path: Path | None = None) -> DeadlinePolicy:
    return DeadlinePolicy(**read_policy_file(path).get("deadlines", {}))


def load_screening_policy(path: Path | None = None) -> ScreeningPolicy:
    section = read_policy_file(path).get("screening", {})
    periods = tuple(DailyPeriod(**p) for p in section.get("daily_periods", []))
    return ScreeningPolicy(cell_cadence=section.get("cell_cadence", "weekly"),
                           daily_periods=periods)
