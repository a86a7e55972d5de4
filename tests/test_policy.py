"""The policy file: one reader, every key checked by name."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gridrisk.errors import InvalidInput
from gridrisk.policy import (
    DailyPeriod,
    DeadlinePolicy,
    ImportPolicy,
    Policy,
    RepeatPolicy,
    load_policy,
)


def policy_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_file_holds_the_defaults() -> None:
    assert load_policy() == Policy()


def test_a_file_replaces_the_sections_it_names(tmp_path: Path) -> None:
    policy = load_policy(policy_file(tmp_path, """
[deadlines]
handle_days = 20
[screening]
daily_periods = [{name = "春节", start = 2026-02-14, end = 2026-02-24}]
[cycles]
scheduled = ["weekly"]
investigate_min_score = 1
rank_by = "return"
[repeats]
window_days = 90
radius_m = 500
[imports]
boundary_tolerance = 0.05
placeholder_min_records = 200
"""))
    assert policy.deadlines == DeadlinePolicy(handle_days=20)
    assert policy.screening.daily_periods == (
        DailyPeriod("春节", date(2026, 2, 14), date(2026, 2, 24)),)
    assert policy.cycles.scheduled == ("weekly",)
    assert policy.cycles.investigate_min_score == 1.0
    assert policy.imports == ImportPolicy(boundary_tolerance=0.05, placeholder_min_records=200)
    assert policy.cycles.rank_by == "return"
    assert policy.repeats == RepeatPolicy(window_days=90, radius_m=500.0)


@pytest.mark.parametrize(("text", "field", "reason"), [
    ("[deadline]\nhandle_days = 20\n", "policy", "unknown section(s) deadline"),
    ("[deadlines]\nhandle_day = 20\n", "deadlines", "unknown setting(s) handle_day"),
    ("[deadlines]\nhandle_days = \"20\"\n", "deadlines.handle_days", "expected a whole number"),
    ("[deadlines]\nhandle_days = true\n", "deadlines.handle_days", "expected a whole number"),
    ("[deadlines]\nhandle_days = 0\n", "deadlines.handle_days", "at least 1 day"),
    ("[cycles]\nscheduled = \"weekly\"\n", "cycles.scheduled", "expected a list"),
    ("[privacy]\ncontact_retention_years = 0\n", "privacy.contact_retention_years",
     "at least 1 year"),
    ("[cycles]\nweekly_on = \"someday\"\n", "cycles.weekly_on", "not one of monday"),
    ("[cycles]\nrank_by = \"score\"\n", "cycles.rank_by", "not one of any, deadline, return"),
    ("[repeats]\nwindow_days = 0\n", "repeats.window_days", "at least 1 day"),
    ("[repeats]\nradius_m = -1\n", "repeats.radius_m", "must not be negative"),
    ("[repeats]\nmin_similarity = 1.5\n", "repeats.min_similarity", "at most 1"),
    ("[screening]\ndaily_periods = [{name = \"x\", start = 2026-02-14}]\n",
     "screening.daily_periods", "a name, a start and an end"),
    ("[screening]\ndaily_periods = [{name = \"x\", start = 2026-02-14, end = 2026-02-01}]\n",
     "screening.daily_periods", "before it starts"),
    ("[imports]\nboundary_tolerance = 1.5\n", "imports.boundary_tolerance", "a share"),
    ("[imports]\nplaceholder_min_records = 1\n", "imports.placeholder_min_records",
     "at least 2"),
    ("deadlines = 3\n", "deadlines", "must be a table"),
    ("[screening]\nreport_by = \"3pm\"\n", "screening.report_by", "not a time like"),
    ("[indicators]\nrank_by = \"luck\"\n", "indicators.rank_by", "not one of accept_on_time"),
    ("[indicators]\nfollow_up_window_days = 0\n", "indicators.follow_up_window_days",
     "at least 1 day"),
    ("[indicators.targets]\nresolution = 98\n", "indicators.targets.resolution",
     "a share from 0 to 1"),
    ("[indicators.targets]\nluck = 0.5\n", "indicators.targets", "unknown setting(s) luck"),
    ("[indicators.weights]\nresolution = \"high\"\n", "indicators.weights.resolution",
     "expected a number"),
    ("[indicators.weights]\nresolution = -1\n", "indicators.weights.resolution",
     "must not be negative"),
    ("[campaigns]\nresolving_days = 0\n", "campaigns.resolving_days", "at least 1 day"),
    ("[deadlines\n", "GRIDRISK_POLICY_FILE", "not valid TOML"),
])
def test_a_bad_setting_is_refused_by_name(tmp_path: Path, text: str, field: str,
                                          reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        load_policy(policy_file(tmp_path, text))
    assert refused.value.field == field
    assert reason in refused.value.reason


def test_a_nested_table_changes_only_the_keys_it_names(tmp_path: Path) -> None:
    policy = load_policy(policy_file(tmp_path, """
[indicators]
follow_up_window_days = 60
[indicators.targets]
resolution = 0.99
[indicators.weights]
coverage = 0
"""))
    defaults = Policy().indicators
    assert policy.indicators.follow_up_window_days == 60
    assert policy.indicators.targets.resolution == 0.99
    assert policy.indicators.targets.no_return == defaults.targets.no_return == 0.95
    assert policy.indicators.weights.coverage == 0
    assert policy.indicators.weights.resolution == defaults.weights.resolution == 30
    assert policy.screening.report_time().isoformat() == "15:00:00"


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        load_policy(tmp_path / "absent.toml")
