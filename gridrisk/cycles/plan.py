"""The assignments a cycle proposes: investigations of high-risk cases, follow-ups of closed
cases, screenings of cells that missed their cadence, fitted into grid workers' days.

Order of precedence: investigations by score, then follow-ups by due day, then screenings by
missed slots. Each task goes to its cell's grid worker (the one who screened the cell most in
the last eight weeks) on the earliest working day of the cycle's period with room under the
worker's daily capacity; a cell with no known worker is planned as if it had one, and the
proposal names nobody for the supervisor to fill in. A task with no room is not proposed: it
counts as deferred and comes back in the next cycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from gridrisk.vocab import AssignmentKind, Cadence
from models.display import shown_probability

#: investigations: one row per candidate case
INVESTIGATION_COLUMNS = ["case_id", "cell_code", "score", "reason_1"]
#: follow-ups: closed cases with no follow-up since their closing
FOLLOW_UP_COLUMNS = ["case_id", "cell_code", "closed_on", "follow_up_by"]
#: screenings: cells that missed their latest screening slot
SCREENING_COLUMNS = ["cell_code", "n_missed"]
#: the grid worker of each cell (at most one row per cell)
WORKER_COLUMNS = ["cell_code", "worker"]
PLAN_COLUMNS = ["cell_code", "case_id", "kind", "priority", "reason", "proposed_to", "due_on"]
PERIOD_DAYS = {Cadence.daily: 1, Cadence.weekly: 7, Cadence.monthly: 30}


@dataclass(frozen=True)
class Plan:
    proposed: pd.DataFrame  # PLAN_COLUMNS, in priority order
    deferred: pd.DataFrame  # cell_code, kind, n: tasks that found no room


def working_days(as_of: date, cadence: Cadence) -> list[date]:
    """Monday to Friday in the days after `as_of` that the cycle's period covers (the next
    working day at least)."""
    days = [as_of + timedelta(days=d) for d in range(1, PERIOD_DAYS[cadence] + 1)]
    work = [d for d in days if d.weekday() < 5]
    if work:
        return work
    first = as_of + timedelta(days=1)
    while first.weekday() >= 5:
        first += timedelta(days=1)
    return [first]


def candidate_tasks(investigations: pd.DataFrame, follow_ups: pd.DataFrame,
                    screenings: pd.DataFrame) -> pd.DataFrame:
    """Every task worth doing, in precedence order: cell_code, case_id, kind, reason."""
    investigations = investigations.sort_values(["score", "case_id"],
                                                ascending=[False, True])
    follow_ups = follow_ups.sort_values(["follow_up_by", "case_id"])
    screenings = screenings.sort_values(["n_missed", "cell_code"], ascending=[False, True])
    return pd.concat([
        pd.DataFrame({"cell_code": investigations["cell_code"],
                      "case_id": investigations["case_id"],
                      "kind": AssignmentKind.investigation.value,
                      "reason": [f"风险 {shown_probability(s)}" + (f"：{r}" if r else "")
                                 for s, r in zip(investigations["score"],
                                                 investigations["reason_1"], strict=True)]}),
        pd.DataFrame({"cell_code": follow_ups["cell_code"], "case_id": follow_ups["case_id"],
                      "kind": AssignmentKind.follow_up.value,
                      "reason": [f"{c} 办结，{b} 前回访" for c, b in zip(
                          follow_ups["closed_on"], follow_ups["follow_up_by"], strict=True)]}),
        pd.DataFrame({"cell_code": screenings["cell_code"], "case_id": None,
                      "kind": AssignmentKind.screening.value,
                      "reason": [f"近期漏报排查 {n} 次" for n in screenings["n_missed"]]}),
    ], ignore_index=True)


def propose(tasks: pd.DataFrame, workers: pd.DataFrame, *, as_of: date, cadence: Cadence,
            per_worker_per_day: int) -> Plan:
    """Fit `tasks` (candidate_tasks' frame, in precedence order) into the workers' days."""
    days = working_days(as_of, cadence)
    worker_of = dict(zip(workers["cell_code"], workers["worker"], strict=True))
    load: dict[tuple[str, int], int] = {}
    due: list[date | None] = []
    for cell in tasks["cell_code"]:
        who = worker_of.get(cell) or f"\0{cell}"  # an unknown worker: one per cell
        slot = next((i for i in range(len(days))
                     if load.get((who, i), 0) < per_worker_per_day), None)
        if slot is not None:
            load[(who, slot)] = load.get((who, slot), 0) + 1
        due.append(days[slot] if slot is not None else None)
    planned = tasks.assign(due_on=due,  # type: ignore[arg-type]  # stubs refuse None in a list
                           proposed_to=tasks["cell_code"].map(worker_of))
    kept = planned["due_on"].notna().to_numpy()
    proposed = planned.loc[kept].reset_index(drop=True)
    proposed["priority"] = np.arange(1, len(proposed) + 1)
    proposed["proposed_to"] = proposed["proposed_to"].astype(object).where(
        proposed["proposed_to"].notna(), None)
    deferred = planned.loc[~kept].groupby(["cell_code", "kind"]).size().rename(
        "n").reset_index()
    return Plan(proposed=proposed[PLAN_COLUMNS], deferred=deferred)
