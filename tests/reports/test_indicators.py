"""Every indicator of the spec on the hand-built county (tests/reports/county.py) for October
2026. The expected counts are worked out by hand from the case files, case by case:

城关镇 T1: A1 received 2 Oct, accepted 3 Oct, closed 31 Oct · A2 closed 2 Aug (window to
31 Oct), followed up satisfied, refiled 1 Nov · A3 closed 10 Jul (followed up unsatisfied,
reopened 25 Jul) and again 31 Jul (followed up basically satisfied) · A4 accepted 3 Sep with
due_at 10 Oct, closed 8 Oct · A5 accepted 21 Aug, extended 15 days to 5 Oct, open, escalated
to the city 12 Oct.
河口乡 T2: B1 received 5 Oct, declined 25 Oct (accept-by 20 Oct) · B2 closed in May, refiled
10 Oct, not accepted again · B3 received 10 Sep, never decided, escalated to the province
20 Oct · B4 closed 2 Oct, escalated to the national level 3 Oct · B5 complex, accepted 16 Aug,
withdrawn 15 Oct (its deadline day).
"""

from __future__ import annotations

from sqlalchemy import Connection

from gridrisk.policy import Policy
from gridrisk.reports.periods import parse_period
from gridrisk.reports.schemas import Figures, IndicatorsOut
from gridrisk.reports.service import indicators

from .conftest import TIMEZONE

#: (numerator, denominator) of every rate, by hand
T1 = {"accept_on_time": (1, 1),   # A1: accept-by 17 Oct, accepted 3 Oct
      "handle_on_time": (1, 2),   # A4 (due_at 10 Oct, closed 8 Oct) yes; A5 (5 Oct) no
      "resolution": (2, 3),       # A1, A4 closed; A5 open (A2, A3 not open in October)
      "no_return": (2, 3),        # A2; A3's second closing; not A3's first (reopened)
      "rated": (3, 3),
      "satisfied": (2, 3),        # A3's first closing was followed up unsatisfied
      "one_time": (1, 2),         # A2 yes; A3 was accepted twice
      "repeat": (0, 3),           # open in October: A1, A4, A5; none refiled
      "coverage": (9, 12),        # V11-A 5 of 6 slots, V11-B 4 of 6
      "zero_report": (3, 6)}      # V11-A 1 Oct; V11-B 1 Oct (15:00:00), 2 Oct
T2 = {"accept_on_time": (0, 1),   # B1 declined 25 Oct, after its accept-by day 20 Oct
      "handle_on_time": (1, 1),   # B5 withdrawn on its deadline day
      "resolution": (1, 4),       # B5; not B2 (refiled), B3 (open), B4 (escalated since);
                                  # B1 declined, so out of scope
      "no_return": (0, 0), "rated": (0, 0), "satisfied": (0, 0), "one_time": (0, 0),
      "repeat": (1, 5),           # open in October: all five; B2 refiled
      "coverage": (3, 12),        # V21 never screened; V22 2 days and 1 week
      "zero_report": (2, 6)}      # V22 2 Oct (07:00 UTC = 15:00 local) and 3 Oct
COUNTY = {code: (T1[code][0] + T2[code][0], T1[code][1] + T2[code][1]) for code in T1}


def counts(figures: Figures) -> dict[str, tuple[int, int]]:
    return {code: (getattr(figures, code).numerator, getattr(figures, code).denominator)
            for code in T1}


def october(conn: Connection, policy: Policy, by: str | None = "township") -> IndicatorsOut:
    return indicators(conn, region_code="K", period=parse_period("2026-10"), by=by,
                      policy=policy, timezone=TIMEZONE)


def test_every_rate_of_each_township(county_db: Connection, policy: Policy) -> None:
    found = october(county_db, policy)
    assert [(u.code, u.name) for u in found.units] == [("T1", "城关镇"), ("T2", "河口乡")]
    assert counts(found.units[0].figures) == T1
    assert counts(found.units[1].figures) == T2


def test_the_county_counts_are_the_sums_of_its_townships(county_db: Connection,
                                                         policy: Policy) -> None:
    found = october(county_db, policy)
    assert counts(found.figures) == COUNTY
    assert COUNTY["resolution"] == (3, 7) and COUNTY["handle_on_time"] == (2, 3)
    for code in ("escalations", "overdue_open"):
        assert getattr(found.figures, code).count == sum(
            getattr(u.figures, code).count for u in found.units)


def test_a_zero_denominator_is_shown_as_a_dash(county_db: Connection, policy: Policy) -> None:
    t2 = october(county_db, policy).units[1].figures
    assert t2.no_return.rate is None and t2.no_return.percent() == "—"
    assert t2.resolution.percent() == "25.0%"
    assert t2.days_to_close.rate == 61.5


def test_counts_escalations_overdue_and_days_to_close(county_db: Connection,
                                                      policy: Policy) -> None:
    found = october(county_db, policy)
    t1, t2, county = found.units[0].figures, found.units[1].figures, found.figures
    # A5 to the city; B3 to the province, B4 to the national level
    assert (t1.escalations.count, t2.escalations.count) == (1, 2)
    assert county.escalations.by_level == {"county": 0, "city": 1, "province": 1,
                                           "national": 1}
    # per 1,000 of the 8 cases open at any time in October
    assert county.escalations.open_cases == 8 and county.escalations.per_1000 == 375.0
    # A5 past its extended deadline; B3 past its accept-by day; B2 awaits re-acceptance and
    # has no deadline; B4 is closed
    assert (t1.overdue_open.count, t2.overdue_open.count) == (1, 1)
    # first closings in October: A1 29 days, A4 37, B4 62, B5 61
    assert (t1.days_to_close.denominator, t1.days_to_close.numerator) == (2, 66)
    assert (county.days_to_close.denominator, county.days_to_close.numerator) == (4, 189)
    assert county.days_to_close.rate == 47.25 and county.days_to_close.median == 49.0


def test_by_village(county_db: Connection, policy: Policy) -> None:
    found = october(county_db, policy, by="village")
    by_code = {u.code: u.figures for u in found.units}
    assert list(by_code) == ["V11", "V21", "V22"]
    assert counts(by_code["V11"]) == T1
    assert (by_code["V21"].resolution.numerator, by_code["V21"].resolution.denominator) == (1, 2)
    assert (by_code["V22"].resolution.numerator, by_code["V22"].resolution.denominator) == (0, 2)
    assert (by_code["V22"].coverage.numerator, by_code["V22"].coverage.denominator) == (3, 6)


def test_without_the_daily_period_no_zero_report_is_due(county_db: Connection) -> None:
    found = october(county_db, Policy(), by=None)
    assert (found.figures.zero_report.denominator, found.figures.zero_report.rate) == (0, None)
    # only the three whole weeks are due: V11-A 3, V11-B 1, V22 1
    assert (found.figures.coverage.numerator, found.figures.coverage.denominator) == (5, 12)


def test_the_window_and_the_due_at_deadline_move_the_figures(county_db: Connection,
                                                             policy: Policy) -> None:
    september = indicators(county_db, region_code="T1", period=parse_period("2026-09"),
                           by=None, policy=policy, timezone=TIMEZONE).figures
    # A5's extended deadline and A4's due_at are in October, not September; A3's first
    # window ends 8 October
    assert (september.handle_on_time.numerator, september.handle_on_time.denominator) == (0, 0)
    assert september.no_return.denominator == 0
    # A5 received 20 Aug (accept-by 4 Sep), accepted 21 Aug; A4 received 1 Sep (accept-by
    # 16 Sep), accepted 3 Sep
    assert (september.accept_on_time.numerator, september.accept_on_time.denominator) == (2, 2)


def test_a_period_before_any_case_has_only_dashes(county_db: Connection,
                                                  policy: Policy) -> None:
    found = indicators(county_db, region_code="K", period=parse_period("2020-01"), by="village",
                       policy=policy, timezone=TIMEZONE)
    # no case was received yet; the cells were due three whole weeks (6, 13, 20 January)
    assert counts(found.figures) == {**{code: (0, 0) for code in T1}, "coverage": (0, 12)}
    for unit in found.units:
        assert all(pair == (0, 0) for code, pair in counts(unit.figures).items()
                   if code != "coverage")
        assert unit.figures.resolution.percent() == "—" and unit.figures.overdue_open.count == 0
