"""When `gridrisk cycle schedule` runs cycles: every day at the policy's hour (daily), on the
policy's weekday (weekly) and on the policy's day of the month (monthly). A run at time t
uses the as-of day before t, the last complete day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from gridrisk.policy import WEEKDAYS, CyclePolicy
from gridrisk.vocab import Cadence


def due_on(day: date, policy: CyclePolicy) -> list[Cadence]:
    """The cadences that run on a local day, in the policy's order of size."""
    due = {Cadence.daily: True, Cadence.weekly: WEEKDAYS[day.weekday()] == policy.weekly_on,
           Cadence.monthly: day.day == policy.monthly_on}
    return [c for c in Cadence if due[c] and c.value in policy.scheduled]


def upcoming(after: datetime, policy: CyclePolicy) -> Iterator[tuple[datetime, list[Cadence]]]:
    """Run times strictly after `after` (a local, zone-aware time), each with its cadences;
    days with nothing scheduled are skipped."""
    if not policy.scheduled:
        return
    at = policy.run_time()
    day = after.date()
    while True:
        when = datetime.combine(day, at, tzinfo=after.tzinfo)
        cadences = due_on(day, policy)
        if when > after and cadences:
            yield when, cadences
        day += timedelta(days=1)


def as_of_for(when: datetime) -> date:
    return when.date() - timedelta(days=1)
