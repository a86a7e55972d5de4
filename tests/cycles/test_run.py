"""Cycles on the small demo county: totals that add up, reproducibility, trend across
cycles, comparison, refusals; and the assignment lifecycle."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import Connection, text

from gridrisk.cases.schemas import CaseIn
from gridrisk.cases.service import open_case
from gridrisk.cycles.assignments import decide, get_assignment, list_assignments, record_outcome
from gridrisk.cycles.compare import compare_cycles
from gridrisk.cycles.engines import cell_totals
from gridrisk.cycles.results import cycle_cells, get_cycle, list_cycles, worklist
from gridrisk.cycles.run import CycleInputs, run_cycle
from gridrisk.cycles.schemas import AssignmentDecision, AssignmentOutcome
from gridrisk.errors import Conflict, InvalidInput, NotFound
from gridrisk.policy import DeadlinePolicy

from ..county import TIMEZONE

AS_OF = date(2026, 8, 31)  # a Monday, a month after the model's training data ends


def rows(conn: Connection, table: str, cycle_id: int, order: str) -> pd.DataFrame:
    frame = pd.DataFrame(conn.execute(text(
        f"SELECT * FROM {table} WHERE cycle_id = :id ORDER BY {order}"), {"id": cycle_id}
    ).mappings().all())
    return frame.drop(columns=[c for c in ("cycle_id", "id") if c in frame.columns])


def test_cell_totals_by_hand() -> None:
    cases = pd.DataFrame({"cell_code": ["a", "a", "b", "a"],
                          "overdue": [True, False, False, True],
                          "due_soon": [False, True, True, False],
                          "is_collective": [False, False, True, True]})
    totals = cell_totals(cases, pd.Series([0.5, 0.25, 0.1, 0.125]))
    assert totals.loc["a"].tolist() == [0.875, 3, 2, 1, 1]
    assert totals.loc["b"].tolist() == [0.1, 1, 0, 1, 1]


def test_a_weekly_cycle_totals_its_worklists_per_cell(county_conn: Connection,
                                                      inputs: CycleInputs) -> None:
    cycle = run_cycle(county_conn, inputs, cadence="weekly", as_of=AS_OF)
    assert (cycle.cadence, cycle.horizon_days, cycle.as_of) == ("weekly", 30, AS_OF)
    cases = rows(county_conn, "cycle_cases", cycle.id, "rank")
    cells = rows(county_conn, "cycle_cells", cycle.id, "cell_code").set_index("cell_code")
    assert cycle.n_cases == len(cases) > 50 and cycle.n_cells == len(cells) > 100
    assert cases["rank"].tolist() == list(range(1, len(cases) + 1))
    assert cases["score"].is_monotonic_decreasing
    by_cell = cases.groupby("cell_code")
    pd.testing.assert_series_equal(
        cells.loc[by_cell.size().index, "expected_escalations"],
        by_cell["score"].sum().rename("expected_escalations"), atol=1e-4)
    assert (cells.loc[by_cell.size().index, "n_open"] == by_cell.size()).all()
    assert (cells.loc[by_cell.size().index, "n_overdue"]
            == by_cell["days_left"].agg(lambda d: (d < 0).sum())).all()
    assert (cells.loc[by_cell.size().index, "n_due_soon"]
            == by_cell["days_left"].agg(lambda d: d.between(0, 7).sum())).all()
    quiet = cells.index.difference(by_cell.size().index)
    assert (cells.loc[quiet, ["n_open", "expected_escalations"]] == 0).all().all()
    with_households = cells.loc[cells["households"] > 0]
    pd.testing.assert_series_equal(
        with_households["escalations_per_1000"],
        (with_households["expected_escalations"] * 1000 / with_households["households"]),
        check_names=False)
    # missed screenings: the four full weeks before the as-of Monday, as coverage counts them
    assert cycle.notes["coverage_window"] == ["2026-08-03", "2026-08-30"]
    assert cells["n_missed_screenings"].between(0, 4).all()
    # hotspots are where the expected escalations are
    hot = cells.loc[cells["hotspot"].str.startswith("hot")]
    assert len(hot) and hot["expected_escalations"].mean() > cells[
        "expected_escalations"].mean()
    assert set(cells["trend"]) <= {"new", ""}  # the first weekly cycle
    assert (cells.loc[hot.index, "trend"] == "new").all()


def test_worklists_show_reasons_deadlines_and_who_is_responsible(
        county_conn: Connection, inputs: CycleInputs) -> None:
    cycle = run_cycle(county_conn, inputs, cadence="weekly", as_of=AS_OF)
    top = cycle_cells(county_conn, cycle.id, limit=1)[0]
    found = worklist(county_conn, cycle.id, top.cell_code)
    assert found.cell.cell_code == top.cell_code and found.cases
    assert [c.rank_in_cell for c in found.cases] == list(range(1, len(found.cases) + 1))
    first = found.cases[0]
    assert first.reasons and first.responsible_unit and first.responsible_official
    assert first.deadline_on == AS_OF + timedelta(days=first.days_left)
    assert first.overdue == (first.days_left < 0)
    for field in ("complainant", "phone", "name"):
        assert not any(field in key for key in first.model_dump())
    with pytest.raises(NotFound):
        worklist(county_conn, cycle.id, "no-such-cell")


def test_the_same_inputs_give_the_same_cycle(county_conn: Connection,
                                             inputs: CycleInputs) -> None:
    first = run_cycle(county_conn, inputs, cadence="weekly", as_of=AS_OF)
    second = run_cycle(county_conn, inputs, cadence="weekly", as_of=AS_OF)
    assert second.id != first.id
    assert second.input_fingerprint == first.input_fingerprint
    for table, order in (("cycle_cells", "cell_code"), ("cycle_cases", "case_id"),
                         ("assignments", "priority")):
        a, b = (rows(county_conn, table, c.id, order) for c in (first, second))
        pd.testing.assert_frame_equal(a, b)
    a_day_later = run_cycle(county_conn, inputs, cadence="weekly",
                            as_of=AS_OF + timedelta(days=1))
    assert a_day_later.input_fingerprint != first.input_fingerprint


def test_trend_and_comparison_read_earlier_cycles(county_conn: Connection,
                                                 inputs: CycleInputs) -> None:
    days = [AS_OF - timedelta(weeks=w) for w in (3, 2, 1, 0)]
    cycles = [run_cycle(county_conn, inputs, cadence="weekly", as_of=d) for d in days]
    last = cycles[-1]
    assert last.notes["earlier_cycles"] == [c.id for c in cycles[:-1]]
    cells = rows(county_conn, "cycle_cells", last.id, "cell_code")
    hot = cells["hotspot"].str.startswith("hot")
    assert (cells.loc[hot, "trend"] != "").all() and (cells.loc[~hot, "trend"] == "").all()
    assert set(cells.loc[hot, "trend"]) - {"new", "persistent", "sporadic", "intensifying",
                                          "diminishing"} == set()
    assert "persistent" in set(cells.loc[hot, "trend"]) or "sporadic" in set(
        cells.loc[hot, "trend"])
    change = compare_cycles(county_conn, cycles[-2].id, last.id)
    before = set(rows(county_conn, "cycle_cases", cycles[-2].id, "case_id")["case_id"])
    after = set(rows(county_conn, "cycle_cases", last.id, "case_id")["case_id"])
    assert change.no_longer_open == sorted(before - after)
    assert change.totals["open"] == [cycles[-2].notes["totals"]["open"],
                                     last.notes["totals"]["open"]]
    assert [c.id for c in list_cycles(county_conn, cadence="weekly")][:4] == [
        c.id for c in reversed(cycles)]


def test_refusals_name_the_field(county_conn: Connection, inputs: CycleInputs) -> None:
    with pytest.raises(InvalidInput) as caught:
        run_cycle(county_conn, inputs, cadence="hourly")
    assert caught.value.field == "cadence"
    with pytest.raises(InvalidInput) as caught:
        run_cycle(county_conn, inputs, cadence="weekly", as_of=date.today() + timedelta(days=9))
    assert caught.value.field == "as_of"
    with pytest.raises(NotFound, match="no promoted model for a 7-day horizon"):
        run_cycle(county_conn, inputs, cadence="daily", as_of=AS_OF)
    with pytest.raises(NotFound):
        run_cycle(county_conn, inputs, cadence="weekly", region_code="999999999999")
    with pytest.raises(NotFound):
        get_cycle(county_conn, 10**6)


def test_proposals_respect_capacity_and_move_through_decisions(
        county_conn: Connection, inputs: CycleInputs) -> None:
    cycle = run_cycle(county_conn, inputs, cadence="weekly", as_of=AS_OF)
    proposed = rows(county_conn, "assignments", cycle.id, "priority")
    assert set(proposed["kind"]) >= {"investigation"} and (proposed["status"] == "proposed").all()
    capacity = cycle.notes["policy"]["tasks_per_worker_per_day"]
    assert proposed.dropna(subset=["proposed_to"]).groupby(
        ["proposed_to", "due_on"]).size().max() <= capacity
    assert proposed["due_on"].between(AS_OF + timedelta(days=1),
                                      AS_OF + timedelta(days=7)).all()
    investigated = set(proposed.loc[proposed["kind"] == "investigation", "case_id"])
    cases = rows(county_conn, "cycle_cases", cycle.id, "rank")
    high = set(cases.loc[cases["score"] >= 0.3, "case_id"])
    assert investigated <= high
    assert len(investigated) + cycle.notes["deferred_tasks"].get("investigation", 0) == len(high)

    first, second, third, fourth = list_assignments(county_conn, cycle_id=cycle.id)[:4]
    accepted = decide(county_conn, first.id, AssignmentDecision(action="accept"))
    assert accepted.status == "accepted" and accepted.assignee == first.proposed_to
    moved = decide(county_conn, second.id, AssignmentDecision(action="reassign",
                                                              assignee="W-other"))
    assert moved.assignee == "W-other"
    dropped = decide(county_conn, third.id, AssignmentDecision(action="drop", note="已化解"))
    assert dropped.status == "dropped" and dropped.note == "已化解"
    with pytest.raises(Conflict):
        decide(county_conn, first.id, AssignmentDecision(action="accept"))
    with pytest.raises(Conflict):
        record_outcome(county_conn, third.id, AssignmentOutcome(outcome="x"))
    with pytest.raises(InvalidInput) as caught:
        decide(county_conn, fourth.id, AssignmentDecision(action="reassign"))
    assert caught.value.field == "assignee"
    done = record_outcome(county_conn, first.id, AssignmentOutcome(outcome="已约见信访人"))
    assert done.status == "done" and done.done_at is not None
    assert get_assignment(county_conn, first.id).outcome == "已约见信访人"
    # overdue: accepted, not done, past its day (the demo's as-of day is in the past)
    overdue = list_assignments(county_conn, cycle_id=cycle.id, overdue=True)
    assert [a.id for a in overdue] == [second.id]
    mine = list_assignments(county_conn, cycle_id=cycle.id, assignee="W-other")
    assert [a.id for a in mine] == [second.id]
    township = proposed["cell_code"].iloc[0][:9] + "000"
    here = list_assignments(county_conn, cycle_id=cycle.id, region_code=township)
    assert len(here) == (proposed["cell_code"].str[:9] == township[:9]).sum() > 0


def test_a_case_registered_without_its_unit_does_not_break_the_cycle(
        county_conn: Connection, inputs: CycleInputs) -> None:
    """The API takes a case without a responsible unit; the next cycle once failed on it."""
    cell = county_conn.execute(text("SELECT code FROM cells ORDER BY code LIMIT 1")).scalar_one()
    open_case(county_conn, CaseIn(case_id="NO-UNIT", received_on=AS_OF - timedelta(days=3),
                                  channel="visit", category="other", parties=1,
                                  cell_code=cell), policy=DeadlinePolicy(), timezone=TIMEZONE)
    cycle = run_cycle(county_conn, inputs, cadence="weekly", as_of=AS_OF)
    unit = county_conn.execute(text("SELECT responsible_unit FROM cycle_cases WHERE"
                                    " cycle_id = :id AND case_id = 'NO-UNIT'"),
                               {"id": cycle.id}).scalar_one()
    assert unit == ""
def test_worklists_keep_both_risks_and_rank_by_the_one_the_policy_names(
        county_conn: Connection, inputs: CycleInputs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    by_any = run_cycle(county_conn, inputs, cadence="weekly", as_of=AS_OF)
    policy = tmp_path / "policy.toml"
    policy.write_text('[cycles]\nrank_by = "deadline"\n', encoding="utf-8")
    by_deadline = run_cycle(county_conn, replace(inputs, policy_file=policy), cadence="weekly",
                            as_of=AS_OF)
    assert (by_any.notes["rank_by"], by_deadline.notes["rank_by"]) == ("any", "deadline")
    first, second = (rows(county_conn, "cycle_cases", c.id, "case_id").set_index("case_id")
                     for c in (by_any, by_deadline))
    pd.testing.assert_frame_equal(first[["p_any", "p_deadline", "p_return"]],
                                  second[["p_any", "p_deadline", "p_return"]])
    assert (first["score"] == first["p_any"]).all()
    assert (second["score"] == second["p_deadline"]).all()
    assert second.sort_values("rank")["p_deadline"].is_monotonic_decreasing
    assert (second["reason_1"] == second["reasons"].map(
        lambda r: (r["deadline"] or [""])[0])).all()
    cells = rows(county_conn, "cycle_cells", by_deadline.id, "cell_code").set_index("cell_code")
    totals = second.groupby("cell_code")["p_any"].sum()
    pd.testing.assert_series_equal(cells.loc[totals.index, "expected_escalations"], totals,
                                   check_names=False, atol=1e-4)
    top = cycle_cells(county_conn, by_deadline.id, limit=1)[0]
    listed = worklist(county_conn, by_deadline.id, top.cell_code).cases
    assert all(0 < c.p_deadline < 1 and 0 < c.p_return < 1 for c in listed)
    assert any(c.deadline_reasons for c in listed) and any(c.return_reasons for c in listed)
