"""Hand-made histories for the model's tests: case files written as (case, day, type, detail)
with days counted from DAY0, replayed by gridrisk's own derive_state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from gridrisk.policy import DeadlinePolicy
from gridrisk.scoring.history import replayed_timeline
from models.columns import CASE_COLUMNS, NEIGHBOUR_COLUMNS, REPEAT_COLUMNS, SCREENING_COLUMNS
from models.examples import examples_at, snapshot_days
from models.history import History
from models.pipeline import fit_risk_model
from models.reasons import reference_values

DAY0 = date(2025, 3, 3)
CASE_DEFAULTS = {"channel": "visit", "category": "other", "parties": 1, "complex": False,
                 "cell_code": "A", "responsible_unit": "城关镇人民政府", "summary": "邻里纠纷"}


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


def history_of(cases: dict[str, int], events: list[tuple], *, known_until: int,  # type: ignore[type-arg]
               screenings: list[tuple] | None = None,  # type: ignore[type-arg]
               neighbours: list[tuple[str, str]] | None = None,
               attributes: dict[str, dict[str, object]] | None = None,
               repeats: list[tuple[str, str]] | None = None) -> History:
    """cases: id → day received; events: (id, day, type[, detail[, level[, parties]]]);
    screenings: (cell, day, found, severity, outcome); repeats: (later id, earlier id)."""
    case_rows = pd.DataFrame([{"case_id": case_id, "received_on": day(received),
                               **CASE_DEFAULTS, **(attributes or {}).get(case_id, {})}
                              for case_id, received in cases.items()], columns=CASE_COLUMNS)
    event_rows = pd.DataFrame([
        {"case_id": e[0], "on": day(e[1]), "type": e[2], "detail": e[3] if len(e) > 3 else None,
         "level": e[4] if len(e) > 4 else None, "parties": e[5] if len(e) > 5 else None}
        for e in events], columns=["case_id", "on", "type", "level", "parties", "detail"]
    ).sort_values(["case_id", "on"], kind="stable")
    timeline = replayed_timeline(case_rows, event_rows, DeadlinePolicy())
    case_rows["received_on"] = pd.to_datetime(case_rows["received_on"])
    screening_rows = pd.DataFrame([(c, pd.Timestamp(day(d)), f, s, o)
                                   for c, d, f, s, o in screenings or []],
                                  columns=SCREENING_COLUMNS)
    return History(cases=case_rows, timeline=timeline, screenings=screening_rows,
                   cells=pd.DataFrame({"cell_code": ["A", "B", "C"]}),
                   neighbours=pd.DataFrame(neighbours or [("A", "B"), ("B", "A")],
                                           columns=NEIGHBOUR_COLUMNS),
                   known_until=pd.Timestamp(day(known_until)),
                   repeats=pd.DataFrame(repeats or [], columns=REPEAT_COLUMNS))


def random_history(seed: int, *, n_cases: int = 80, known_until: int = 240) -> History:
    """Case files drawn along the workflow (with steps skipped, cut off at random so some
    stay open, some reopened or refiled), screenings in three cells, two units, and about
    one case in eight a repeat of an earlier one."""
    rng = np.random.default_rng(seed)
    cases, events, attributes = {}, [], {}
    script = [("accepted", None), ("met_complainant", None), ("site_visit", None),
              ("mediation", None), ("hearing", None), ("extended", "延期15日"), ("escalated", None),
              ("opinion_issued", None), ("review_requested", None), ("review_decided", None),
              ("rereview_requested", None), ("rereview_decided", None),
              ("closed", "resolved"), ("followed_up", "unsatisfied"), ("refiled", None),
              ("accepted", None), ("escalated", None), ("closed", "terminated_after_review"),
              ("reopened", None), ("accepted", None)]
    must = {"accepted", "closed", "opinion_issued", "review_decided", "reopened", "refiled"}
    for i in range(n_cases):
        case_id = f"K{i:03d}"
        received = int(rng.integers(0, known_until - 20))
        cases[case_id] = received
        steps = int(rng.integers(0, len(script) + 1))
        # a complainant who will escalate says so more often
        pressing = rng.random() < (0.7 if steps > script.index(("escalated", None)) else 0.1)
        attributes[case_id] = {
            "cell_code": "ABC"[(i // 2) % 3],
            "responsible_unit": ("城关镇人民政府", "县人社局")[i % 2],
            "category": ("land_requisition", "wages_labour", "other")[i % 3],
            "channel": ("visit", "letter", "online", "screening")[i % 4],
            "parties": int(rng.choice([1, 1, 2, 3, 6, 25])), "complex": bool(i % 4 == 0),
            "summary": ("征地补偿款未发放", "拖欠工资", "邻里纠纷", "")[i % 4]
            + (f"（{i % 40}号）" if i % 4 != 3 else "") + ("，要求赴省" if pressing else "")}
        on, chain_ok = received, True
        for kind, detail in script[:steps]:
            if kind not in must and rng.random() < 0.4:
                if kind in ("review_requested", "rereview_requested"):
                    chain_ok = False
                continue
            if kind in ("review_decided", "rereview_requested", "rereview_decided") and \
                    not chain_ok:
                continue
            on += int(rng.integers(0, 12))
            level = "city" if kind in ("escalated", "refiled", "review_requested") else None
            events.append((case_id, on, kind, detail, level, int(rng.integers(1, 40))))
    screenings = [("ABC"[int(rng.integers(0, 3))], int(rng.integers(0, known_until)),
                   bool(f), s, o)
                  for f, s, o in zip(rng.random(300) < 0.3,
                                     rng.choice(["low", "medium", "high"], 300),
                                     rng.choice(["resolved_on_site", "mediating"], 300),
                                     strict=True)]
    screenings = [(c, d, f, s if f else None, o if f else None) for c, d, f, s, o in screenings]
    ordered = sorted(cases, key=lambda c: (cases[c], c))
    repeats = [(later, ordered[int(rng.integers(0, i))]) for i, later in enumerate(ordered)
               if i and rng.random() < 0.12]
    return history_of(cases, [e for e in events if e[1] <= known_until],
                      known_until=known_until, screenings=screenings, attributes=attributes,
                      repeats=repeats)


@dataclass(frozen=True)
class Fitted:
    history: History
    examples: pd.DataFrame
    model: Pipeline
    reference: dict[str, object]


@pytest.fixture(scope="session")
def fitted() -> Fitted:
    """A model fitted on a random history of 600 cases (a second or two)."""
    history = random_history(7, n_cases=600)
    examples = examples_at(history, snapshot_days(history, horizon_days=30), 30)
    model, _ = fit_risk_model(examples, horizon_days=30, threads=1)
    return Fitted(history, examples, model, reference_values(examples))
