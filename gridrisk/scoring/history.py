"""The database's cases, case files, screenings and repeat links as a models.History.

Free text reaches the model with the phone and identity card numbers typed into it masked
(privacy.masking): the text features, and so the model file, never hold one.

State and deadlines come from derive_state's own replay (CaseState.after, the step
derive_state folds over a case file), kept after every event instead of only at the end, so
the model sees exactly the bundle spec's deadlines, extensions and reopenings. Repeat links
follow the policy's [repeats] rules (gridrisk.cases.repeats)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Result, text

from gridrisk.cases.repeats import linked_repeats
from gridrisk.cases.service import latest_data_on
from gridrisk.cases.state import CaseState, EventFacts, derive_state
from gridrisk.errors import InvalidInput
from gridrisk.policy import DeadlinePolicy, Policy
from gridrisk.privacy.masking import mask_texts
from models.columns import (
    CASE_COLUMNS,
    CELL_COLUMNS,
    NEIGHBOUR_COLUMNS,
    REPEAT_COLUMNS,
    SCREENING_COLUMNS,
    TIMELINE_COLUMNS,
)
from models.history import History

DATE_COLUMNS = ("on", "accepted_on", "accept_by", "handle_by")
STATE_COLUMNS = ("is_open", "accepted_on", "accept_by", "handle_by", "extended")
EVENT_COLUMNS = ["case_id", "on", "type", "level", "parties", "detail"]
#: case files in replay order (local day, then as recorded) without corrected events, as
#: gridrisk.cases.service.CASE_FILES reads them, plus level and parties
CASE_FILES = """
    SELECT e.case_id, (e.at AT TIME ZONE :tz)::date AS on_day, e.type, e.level, e.parties,
           e.detail
    FROM case_events e JOIN cases k USING (case_id)
    WHERE (e.at AT TIME ZONE :tz)::date <= :until AND k.received_on <= :until
      AND NOT EXISTS (SELECT 1 FROM case_events c WHERE c.corrects = e.id
                      AND (c.at AT TIME ZONE :tz)::date <= :until)
    ORDER BY e.case_id, on_day, e.id"""


def states_after_each_event(received_on: date, events: Sequence[EventFacts], *,
                            is_complex: bool, policy: DeadlinePolicy,
                            due_on: date | None = None) -> list[CaseState]:
    """The state on receipt, then after each event: derive_state of every prefix, in one
    pass (derive_state keeps only the last)."""
    state = derive_state(received_on, [], is_complex=is_complex, policy=policy, due_on=due_on)
    states = [state]
    for event in events:
        state = state.after(event, policy, is_complex=is_complex)
        states.append(state)
    return states


def load_history(conn: Connection, *, policy: Policy, timezone: str,
                 until: date | None = None) -> History:
    """Everything known at the end of local day `until` (default: the data's last day)."""
    latest = latest_data_on(conn, timezone=timezone)
    if latest is None:
        raise InvalidInput("cases", "the database holds no cases: import a bundle first")
    known_until = min(latest, until) if until else latest
    params = {"until": known_until, "tz": timezone}
    cases = _frame(conn.execute(text(
        "SELECT case_id, received_on, channel, category, parties, complex, cell_code,"
        " responsible_unit, summary, (due_at AT TIME ZONE :tz)::date FROM cases"
        " WHERE received_on <= :until ORDER BY case_id"), params), [*CASE_COLUMNS, "due_on"])
    cases["summary"] = mask_texts(cases["summary"])
    events = _frame(conn.execute(text(CASE_FILES), params), EVENT_COLUMNS)
    screenings = _frame(conn.execute(text(
        "SELECT cell_code, (screened_at AT TIME ZONE :tz)::date, found, severity, outcome"
        " FROM screening_records WHERE (screened_at AT TIME ZONE :tz)::date <= :until"),
        params), SCREENING_COLUMNS)
    cells = pd.DataFrame(conn.execute(text("SELECT code FROM cells ORDER BY code")).all(),
                         columns=CELL_COLUMNS)
    timeline = replayed_timeline(cases, events, policy.deadlines)  # from the details as typed
    timeline["detail"] = mask_texts(timeline["detail"])
    cases = cases.drop(columns="due_on")
    cases["received_on"] = pd.to_datetime(cases["received_on"])
    screenings["screened_on"] = pd.to_datetime(screenings["screened_on"])
    repeats = linked_repeats(conn, rules=policy.repeats, until=known_until)[REPEAT_COLUMNS]
    return History(cases=cases, timeline=timeline,
                   screenings=screenings, cells=cells, neighbours=cell_neighbours(conn),
                   known_until=pd.Timestamp(known_until), repeats=repeats)


def _frame(result: Result[Any], columns: list[str]) -> pd.DataFrame:
    """Query rows as a frame, built column by column (much faster than from Row objects)."""
    rows = result.all()
    return pd.DataFrame({c: list(v) for c, v in zip(columns, zip(*rows, strict=True),
                                                    strict=True)} if rows else
                        {c: [] for c in columns}, columns=columns)


def cell_neighbours(conn: Connection) -> pd.DataFrame:
    """Pairs of cells whose polygons share a border (or overlap), both ways round."""
    rows = conn.execute(text(
        "SELECT a.code, b.code FROM cells a JOIN cells b"
        " ON a.code <> b.code AND ST_Intersects(a.geom, b.geom) ORDER BY a.code, b.code")).all()
    return pd.DataFrame(rows, columns=NEIGHBOUR_COLUMNS)


def replayed_timeline(cases: pd.DataFrame, events: pd.DataFrame, policy: DeadlinePolicy
                      ) -> pd.DataFrame:
    """Receipt rows and event rows in case-file order, each with the state after it. A
    `due_on` column of `cases` (the local day of due_at, or None) sets the first
    acceptance's deadline."""
    received = pd.DataFrame({"case_id": cases["case_id"], "seq": 0, "on": cases["received_on"],
                             "type": "received"})
    events = events.assign(seq=events.groupby("case_id", sort=False).cumcount() + 1)
    timeline = pd.concat([received, events], ignore_index=True).sort_values(
        ["case_id", "seq"], kind="stable", ignore_index=True)
    facts = list(map(EventFacts, events["on"].tolist(), events["type"].tolist(),
                     events["detail"].tolist()))
    case_ids = events["case_id"].tolist()
    starts = [i for i in range(len(case_ids)) if i == 0 or case_ids[i] != case_ids[i - 1]]
    ends = [*starts[1:], len(facts)] if starts else []
    files = {case_ids[a]: facts[a:b] for a, b in zip(starts, ends, strict=True)}
    columns: dict[str, list[object]] = {c: [] for c in STATE_COLUMNS}
    ordered = cases.sort_values("case_id", kind="stable")  # the timeline's order
    due = ordered["due_on"] if "due_on" in ordered else pd.Series(None, index=ordered.index)
    for case_id, received_on, is_complex, due_on in zip(
            ordered["case_id"].tolist(), ordered["received_on"].tolist(),
            ordered["complex"].tolist(), due.tolist(), strict=True):
        for state in states_after_each_event(received_on, files.get(case_id, []),
                                             is_complex=is_complex, policy=policy,
                                             due_on=due_on if isinstance(due_on, date)
                                             else None):
            for column in STATE_COLUMNS:
                columns[column].append(getattr(state, column))
    timeline = timeline.assign(**columns)  # type: ignore[arg-type]  # stubs: no list[object]
    for column in DATE_COLUMNS:
        timeline[column] = pd.to_datetime(timeline[column])
    timeline["parties"] = pd.to_numeric(timeline["parties"]).astype("Int64")
    return timeline[TIMELINE_COLUMNS]
