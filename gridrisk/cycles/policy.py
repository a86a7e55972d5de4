"""The [cycles] section of the policy file: thresholds, capacity and the schedule."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import time
from pathlib import Path
from typing import Any

from gridrisk.cases.policy import read_policy_file
from gridrisk.errors import InvalidInput

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class CyclePolicy:
    due_soon_days: int = 7
    investigate_min_score: float = 0.3
    follow_up_days: int = 30
    tasks_per_worker_per_day: int = 4
    trend_cycles: int = 12
    scheduled: tuple[str, ...] = ("daily", "weekly", "monthly")
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
        unknown = [c for c in self.scheduled if c not in ("daily", "weekly", "monthly")]
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


def load_cycle_policy(path: Path | None = None) -> CyclePolicy:
    section = read_policy_file(path).get("cycles", {})
    unknown = set(section) - set(CyclePolicy.__dataclass_fields__)
    if unknown:
        raise InvalidInput("cycles", f"unknown setting(s) {', '.join(sorted(unknown))}")
    if "scheduled" in section:
        section = {**section, "scheduled": tuple(section["scheduled"])}
    return CyclePolicy(**section)
