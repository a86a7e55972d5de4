"""Reading cases with their derived state."""

from __future__ import annotations

from datetime import date
from itertools import groupby

import pandas as pd
from sqlalchemy import Connection, text

from gridrisk.cases.policy import DeadlinePolicy
from gridrisk.cases.state import EventFacts, derive_state

CASE_STATE_COLUMNS = ["case_id", "region_code", "cell_code", "received_on", "is_open",
                      "accept_by", "handle_by", "overdue_days"]


def case_states(conn: Connection, *, as_of: date, policy: DeadlinePolicy, timezone: str
                ) -> pd.DataFrame:
    """Every case received by `as_of`, its state derived from the events known on `as_of`."""
    cases = conn.execute(text(
        "SELECT case_id, region_code, cell_code, received_on, complex FROM cases "
        "WHERE received_on <= :as_of ORDER BY case_id"), {"as_of": as_of}).all()
    events = conn.execute(text(
        "SELECT case_id, (at AT TIME ZONE :tz)::date AS on_day, type, detail FROM case_events "
        "WHERE (at AT TIME ZONE :tz)::date <= :as_of ORDER BY case_id, on_day, id"),
        {"as_of": as_of, "tz": timezone}).all()
    files = {case_id: [EventFacts(e.on_day, e.type, e.detail) for e in group]
             for case_id, group in groupby(events, key=lambda e: e.case_id)}
    rows = []
    for case in cases:
        state = derive_state(case.received_on, files.get(case.case_id, []),
                             is_complex=case.complex, policy=policy)
        rows.append((case.case_id, case.region_code, case.cell_code, case.received_on,
                     state.is_open, state.accept_by, state.handle_by,
                     state.overdue_days(as_of)))
    return pd.DataFrame(rows, columns=CASE_STATE_COLUMNS)


def latest_data_on(conn: Connection, *, timezone: str) -> date | None:
    """The newest day any case, event or screening speaks of: the natural 'as of' of a bundle."""
    return conn.execute(text(
        "SELECT greatest((SELECT max(received_on) FROM cases),"
        " (SELECT max((at AT TIME ZONE :tz)::date) FROM case_events),"
        " (SELECT max((screened_at AT TIME ZONE :tz)::date) FROM screening_records))"),
        {"tz": timezone}).scalar()
