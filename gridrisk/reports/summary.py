"""The per-township summary `gridrisk demo` prints after an import."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Connection, text

from gridrisk.cases.service import case_states
from gridrisk.policy import DeadlinePolicy, ScreeningPolicy
from gridrisk.screening.service import coverage_frame

SUMMARY_COLUMNS = ["township_code", "township", "cells", "open", "overdue",
                   "coverage_due", "coverage_done"]


def township_summary(conn: Connection, *, as_of: date, policy: DeadlinePolicy,
                     screening_policy: ScreeningPolicy, timezone: str,
                     coverage_weeks: int = 4) -> pd.DataFrame:
    """Per township: cells, open and overdue cases on `as_of`, and screening coverage over
    the last `coverage_weeks` full weeks."""
    villages = pd.DataFrame(conn.execute(text(
        "SELECT v.code AS region_code, t.code AS township_code, t.name AS township "
        "FROM regions v JOIN regions t ON t.code = v.parent_code "
        "WHERE v.level IN ('village', 'community')")).all(),
        columns=["region_code", "township_code", "township"])
    states = case_states(conn, as_of=as_of, policy=policy, timezone=timezone).merge(
        villages, on="region_code")
    this_monday = as_of - timedelta(days=as_of.weekday())
    coverage = coverage_frame(conn, region_code=None, start=this_monday - timedelta(
        weeks=coverage_weeks), end=this_monday - timedelta(days=1), policy=screening_policy,
        timezone=timezone).merge(villages, on="region_code")
    cases = states.assign(overdue=states["overdue_days"] > 0).groupby(
        ["township_code", "township"]).agg(open=("is_open", "sum"), overdue=("overdue", "sum"))
    cells = coverage.groupby(["township_code", "township"]).agg(
        cells=("cell_code", "size"), coverage_due=("due", "sum"),
        coverage_done=("done", "sum"))
    summary = cells.join(cases, how="outer").fillna(0).astype(int).reset_index()
    return summary[SUMMARY_COLUMNS].sort_values("township_code", ignore_index=True)
