"""Proposed assignments: precedence, worker capacity per working day, cells with no worker."""

from __future__ import annotations

from datetime import date

import pandas as pd

from gridrisk.cycles.plan import candidate_tasks, propose, working_days
from gridrisk.vocab import Cadence

FRIDAY = date(2026, 8, 28)


def investigations(n: int, cell: str = "c1") -> pd.DataFrame:
    return pd.DataFrame({"case_id": [f"K{i:03d}" for i in range(n)], "cell_code": cell,
                         "score": [0.9 - i * 0.01 for i in range(n)], "reason_1": "已超期 3 天"})


NO_FOLLOW_UPS = pd.DataFrame(columns=["case_id", "cell_code", "closed_on", "follow_up_by"])
NO_SCREENINGS = pd.DataFrame(columns=["cell_code", "n_missed"])


def test_working_days_skip_the_weekend() -> None:
    assert working_days(FRIDAY, Cadence.daily) == [date(2026, 8, 31)]  # Monday
    assert working_days(FRIDAY, Cadence.weekly) == [date(2026, 8, d) for d in (31,)] + [
        date(2026, 9, d) for d in (1, 2, 3, 4)]
    assert len(working_days(FRIDAY, Cadence.monthly)) == 20  # 29 Aug – 27 Sep


def test_each_worker_gets_at_most_the_capacity_per_day() -> None:
    tasks = candidate_tasks(pd.concat([investigations(30, "c1"), investigations(3, "c2")
                                       .assign(case_id=lambda f: "L" + f["case_id"])]),
                            NO_FOLLOW_UPS, NO_SCREENINGS)
    workers = pd.DataFrame({"cell_code": ["c1", "c2"], "worker": ["W1", "W1"]})
    plan = propose(tasks, workers, as_of=FRIDAY, cadence=Cadence.weekly, per_worker_per_day=4)
    per_day = plan.proposed.groupby(["proposed_to", "due_on"]).size()
    assert per_day.max() == 4 and len(plan.proposed) == 20  # 5 working days × 4
    # the highest scores are kept, in order, and the rest is deferred, not dropped silently
    kept = plan.proposed["case_id"].tolist()
    assert kept == tasks["case_id"].tolist()[:20]
    assert plan.proposed["due_on"].is_monotonic_increasing
    assert plan.deferred["n"].sum() == 13


def test_investigations_come_before_follow_ups_before_screenings() -> None:
    follow_ups = pd.DataFrame({"case_id": ["F1"], "cell_code": ["c1"],
                               "closed_on": [date(2026, 8, 20)],
                               "follow_up_by": [date(2026, 9, 19)]})
    screenings = pd.DataFrame({"cell_code": ["c1"], "n_missed": [2]})
    tasks = candidate_tasks(investigations(2), follow_ups, screenings)
    plan = propose(tasks, pd.DataFrame({"cell_code": ["c1"], "worker": ["W1"]}), as_of=FRIDAY,
                   cadence=Cadence.daily, per_worker_per_day=3)
    assert plan.proposed["kind"].tolist() == ["investigation", "investigation", "follow_up"]
    assert plan.proposed["priority"].tolist() == [1, 2, 3]
    assert plan.deferred.to_dict("records") == [{"cell_code": "c1", "kind": "screening",
                                                 "n": 1}]
    assert "2026-09-19 前回访" in plan.proposed["reason"].iloc[2]


def test_a_cell_without_a_known_worker_is_planned_for_nobody_in_particular() -> None:
    plan = propose(candidate_tasks(investigations(3, "c9"), NO_FOLLOW_UPS, NO_SCREENINGS),
                   pd.DataFrame(columns=["cell_code", "worker"]), as_of=FRIDAY,
                   cadence=Cadence.daily, per_worker_per_day=2)
    assert plan.proposed["proposed_to"].isna().all() and len(plan.proposed) == 2
