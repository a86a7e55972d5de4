"""The database as a models.History: derive_state's states after every event, as-of cuts
that match what the database knew, cell neighbours from polygons."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Connection, Engine, text

from gridrisk.bundle.service import import_bundle
from gridrisk.cases.state import EventFacts, derive_state
from gridrisk.errors import InvalidInput
from gridrisk.scoring.history import cell_neighbours, load_history, states_after_each_event
from models.features import features_at
from models.history import History

from ..bundle.conftest import CELL_AN, CELL_AS, VILLAGE_B
from ..county import POLICY, TIMEZONE


def test_the_state_after_each_event_is_derive_state_of_that_prefix(
        county: Engine, county_history: History) -> None:
    timeline = county_history.timeline
    cases = county_history.cases.set_index("case_id")
    with county.connect() as conn:
        due = dict(conn.execute(text("SELECT case_id, (due_at AT TIME ZONE :tz)::date FROM cases"
                                     " WHERE due_at IS NOT NULL"), {"tz": TIMEZONE}).all())
    assert due, "the county gives some cases a source deadline"
    for case_id in [*cases.index[::97], *list(due)[::41]]:
        rows = timeline.loc[timeline["case_id"] == case_id].sort_values("seq")
        facts = [EventFacts(r.on.date(), r.type, r.detail) for r in rows.iloc[1:].itertuples()]
        received = cases.loc[case_id, "received_on"].date()
        states = states_after_each_event(received, facts, is_complex=cases.loc[
            case_id, "complex"], policy=POLICY.deadlines, due_on=due.get(case_id))
        for n, state in enumerate(states):
            assert state == derive_state(received, facts[:n], is_complex=cases.loc[
                case_id, "complex"], policy=POLICY.deadlines, due_on=due.get(case_id))
            row = rows.iloc[n]
            assert bool(row["is_open"]) == state.is_open
            assert (pd.NaT if state.handle_by is None else pd.Timestamp(state.handle_by)
                    ) is row["handle_by"] or row["handle_by"] == pd.Timestamp(state.handle_by)


@pytest.mark.parametrize("as_of", ["2025-09-30", "2026-03-15", "2026-08-01"])
def test_features_from_the_database_as_of_a_day_equal_the_full_history_cut_there(
        county: Engine, county_history: History, as_of: str) -> None:
    with county.connect() as conn:
        then = load_history(conn, policy=POLICY, timezone=TIMEZONE,
                            until=date.fromisoformat(as_of))
    pd.testing.assert_frame_equal(features_at(then, as_of),
                                  features_at(county_history, as_of), check_exact=True)
    pd.testing.assert_frame_equal(features_at(county_history.truncated(as_of), as_of),
                                  features_at(county_history, as_of), check_exact=True)


def test_neighbours_are_cells_that_share_a_border(conn: Connection, tiny_bundle) -> None:  # type: ignore[no-untyped-def]
    import_bundle(conn, tiny_bundle, timezone=TIMEZONE, policy=POLICY.deadlines)
    pairs = set(map(tuple, cell_neighbours(conn).to_numpy()))
    assert {(CELL_AS, CELL_AN), (CELL_AN, CELL_AS), (CELL_AS, VILLAGE_B),
            (VILLAGE_B, CELL_AN)} <= pairs
    assert all((b, a) in pairs for a, b in pairs)


def test_an_empty_database_says_to_import_first(conn: Connection) -> None:
    with pytest.raises(InvalidInput, match="import a bundle first"):
        load_history(conn, policy=POLICY, timezone=TIMEZONE)


def test_the_history_carries_a_source_deadline_into_the_timeline(conn: Connection,
                                                                 tiny_bundle) -> None:  # type: ignore[no-untyped-def]
    import_bundle(conn, tiny_bundle, timezone=TIMEZONE, policy=POLICY.deadlines)
    conn.execute(text("UPDATE cases SET due_at = '2025-03-20T18:00:00+08:00' "
                      "WHERE case_id = 'C1'"))
    history = load_history(conn, policy=POLICY, timezone=TIMEZONE)
    accepted = history.timeline.loc[(history.timeline["case_id"] == "C1")
                                    & (history.timeline["type"] == "accepted")]
    assert accepted["handle_by"].tolist() == [pd.Timestamp("2025-03-20")]
    assert "due_on" not in history.cases.columns


def test_free_text_reaches_the_model_masked(conn: Connection, tiny_bundle) -> None:  # type: ignore[no-untyped-def]
    """The numbers typed into a summary or a detail never reach the text features (and so
    the model file); deadlines still come from the details as typed (延期15日)."""
    from ..bundle.conftest import CASE_HEADER, CASES, EVENT_HEADER, EVENTS, write_csv

    write_csv(tiny_bundle / "cases.csv", CASE_HEADER,
              [{**CASES[0], "summary": "征地补偿，电话13912345678"}, *CASES[1:]])
    extension = {"case_id": "C1", "at": "2025-03-20", "type": "extended",
                 "detail": "延期15日，身份证11010519491231002X"}
    write_csv(tiny_bundle / "case_events.csv", EVENT_HEADER, [*EVENTS, extension])
    import_bundle(conn, tiny_bundle, timezone=TIMEZONE, policy=POLICY.deadlines)

    history = load_history(conn, policy=POLICY, timezone=TIMEZONE)

    summary = history.cases.set_index("case_id").loc["C1", "summary"]
    assert summary == "征地补偿，电话139****5678"
    row = history.timeline.loc[history.timeline["type"] == "extended"].iloc[0]
    assert row["detail"] == "延期15日，身份证1101**********002X"
    assert row["handle_by"] == pd.Timestamp("2025-05-17")  # 60 days from 03-03, then 15
    assert "13912345678" not in features_at(history, "2025-04-01").to_csv()
