"""When the scheduler runs which cadence."""

from __future__ import annotations

from datetime import date, datetime
from itertools import islice
from zoneinfo import ZoneInfo

import pytest

from gridrisk.cycles.schedule import as_of_for, due_on, upcoming
from gridrisk.errors import InvalidInput
from gridrisk.policy import CyclePolicy

ZONE = ZoneInfo("Asia/Shanghai")


def test_daily_weekly_and_monthly_runs_fall_on_their_days() -> None:
    policy = CyclePolicy(daily_at="07:15", weekly_on="monday", monthly_on=1)
    runs = list(islice(upcoming(datetime(2026, 11, 29, 8, 0, tzinfo=ZONE), policy), 3))
    assert runs[0] == (datetime(2026, 11, 30, 7, 15, tzinfo=ZONE), ["daily", "weekly"])
    assert runs[1] == (datetime(2026, 12, 1, 7, 15, tzinfo=ZONE), ["daily", "monthly"])
    assert runs[2][1] == ["daily"]
    assert as_of_for(runs[0][0]) == date(2026, 11, 29)


def test_a_run_later_today_is_still_upcoming() -> None:
    policy = CyclePolicy(daily_at="23:00")
    when, _ = next(upcoming(datetime(2026, 11, 30, 22, 59, tzinfo=ZONE), policy))
    assert when == datetime(2026, 11, 30, 23, 0, tzinfo=ZONE)


def test_only_the_scheduled_cadences_run() -> None:
    policy = CyclePolicy(scheduled=("weekly",), weekly_on="friday")
    assert due_on(date(2026, 12, 4), policy) == ["weekly"]
    assert due_on(date(2026, 12, 3), policy) == []
    when, cadences = next(upcoming(datetime(2026, 11, 30, tzinfo=ZONE), policy))
    assert when.date() == date(2026, 12, 4) and cadences == ["weekly"]
    assert list(upcoming(datetime(2026, 11, 30, tzinfo=ZONE), CyclePolicy(scheduled=()))) == []


@pytest.mark.parametrize(("field", "value"), [("weekly_on", "someday"), ("monthly_on", 31),
                                              ("daily_at", "25:00"),
                                              ("tasks_per_worker_per_day", 0)])
def test_bad_settings_name_the_field(field: str, value: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        CyclePolicy(**{field: value})
    assert caught.value.field == f"cycles.{field}"
