"""Screening coverage: which cells were screened at their cadence."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Connection, text


def weekly_coverage(conn: Connection, *, as_of: date, weeks: int, timezone: str
                    ) -> pd.DataFrame:
    """Per cell, the full weeks (Monday to Sunday, local time) before `as_of` that were due
    and those with at least one screening: columns code, region_code, due, done."""
    result = conn.execute(text("""
        WITH weeks AS (
            SELECT generate_series(date_trunc('week', CAST(:as_of AS date)) - make_interval(
                       weeks => :weeks), date_trunc('week', CAST(:as_of AS date))
                       - interval '1 week', interval '1 week')::date AS week
        ), done AS (
            SELECT DISTINCT cell_code, date_trunc('week', screened_at AT TIME ZONE :tz)::date
                   AS week
            FROM screening_records
            WHERE screened_at AT TIME ZONE :tz >= date_trunc('week', CAST(:as_of AS date))
                  - make_interval(weeks => :weeks)
        )
        SELECT c.code, c.region_code, count(w.week) AS due, count(d.week) AS done
        FROM cells c CROSS JOIN weeks w
        LEFT JOIN done d ON d.cell_code = c.code AND d.week = w.week
        GROUP BY c.code, c.region_code ORDER BY c.code"""),
        {"as_of": as_of, "weeks": weeks, "tz": timezone})
    return pd.DataFrame(result.all(), columns=["code", "region_code", "due", "done"])
