"""The per-township summary `gridrisk demo` prints after an import."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Connection, text

from gridrisk.cases.policy import DeadlinePolicy
from gridrisk.cases.service import case_states
from gridrisk.screening.service import weekly_coverage

SUMMARY_COLUMNS = ["township_code", "township", "cells", "open", "overdue",
                   "coverage_due", "coverage_done"]


def township_summary(conn: Connection, *, as_of: date, policy: DeadlinePolicy, timezone: str,
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
    coverage = weekly_coverage(conn, as_of=as_of, weeks=coverage_weeks,
                               timezone=timezone).merge(villages, on="region_code")
    cases = states.assign(overdue=states["overdue_days"] > 0).groupby(
        ["township_code", "township"]).agg(open=("is_open", "sum"), overdue=("overdue", "sum"))
    cells = coverage.groupby(["township_code", "township"]).agg(
        cells=("code", "size"), coverage_due=("due", "sum"), coverage_done=("done", "sum"))
    summary = cells.join(cases, how="outer").fillna(0).astype(int).reset_index()
    return summary[SUMMARY_COLUMNS].sort_values("township_code", ignore_index=True)
