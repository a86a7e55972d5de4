"""What changed between two cycles, in the caller's cells."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text

from gridrisk.access.scope import EVERYTHING, Scope
from gridrisk.cycles.results import get_cycle
from gridrisk.cycles.schemas import (
    CellChange,
    CycleComparison,
)
from gridrisk.cycles.trend import is_hot
from gridrisk.db.base import Db


def compare_cycles(db: Db, before: int, after: int, *, top: int = 10,
                   scope: Scope = EVERYTHING) -> CycleComparison:
    """What changed from one cycle to another in the caller's cells: totals, hotspots that
    appeared or cooled, the cells whose expected escalations rose most, cases newly
    high-risk or no longer open."""
    a, b = get_cycle(db, before, scope=scope), get_cycle(db, after, scope=scope)
    threshold = b.notes["policy"]["investigate_min_score"]
    held = scope.holds_cell("cell_code")
    cells = {}
    for cycle in (a, b):
        cells[cycle.id] = pd.DataFrame(db.execute(text(
            "SELECT cell_code, hotspot, expected_escalations, n_open, n_overdue"
            f" FROM cycle_cells WHERE cycle_id = :id AND {held}"),
            {"id": cycle.id, **scope.params}).all(),
            columns=["cell_code", "hotspot", "expected", "open", "overdue"]
        ).set_index("cell_code")
    both = cells[a.id].join(cells[b.id], how="outer", suffixes=("_a", "_b"))  # type: ignore[call-arg]
    hot_a = is_hot(both["hotspot_a"].fillna("none"))
    hot_b = is_hot(both["hotspot_b"].fillna("none"))
    both["rise"] = both["expected_b"].fillna(0) - both["expected_a"].fillna(0)
    rises = both.sort_values(["rise"], ascending=False).head(top)
    scores: dict[int, dict[str, float]] = {}
    for cycle in (a, b):
        scores[cycle.id] = dict(db.execute(text(
            f"SELECT case_id, score FROM cycle_cases WHERE cycle_id = :id AND {held}"),
            {"id": cycle.id, **scope.params}).all())
    totals = {"expected_escalations": [round(float(cells[c.id]["expected"].sum()), 3)
                                       for c in (a, b)],
              "open": [float(cells[c.id]["open"].sum()) for c in (a, b)],
              "overdue": [float(cells[c.id]["overdue"].sum()) for c in (a, b)],
              "hot_cells": [float(is_hot(cells[c.id]["hotspot"]).sum()) for c in (a, b)]}
    return CycleComparison(
        before=a.id, after=b.id, totals=totals,
        new_hotspots=sorted(both.index[hot_b & ~hot_a]),
        cooled_hotspots=sorted(both.index[hot_a & ~hot_b]),
        biggest_rises=[CellChange(
            cell_code=code, before=_or_none(r.hotspot_a), after=_or_none(r.hotspot_b),
            expected_before=float(np.nan_to_num(r.expected_a)),
            expected_after=float(np.nan_to_num(r.expected_b))) for code, r in rises.iterrows()
            if r.rise > 0],
        newly_high_risk=sorted(c for c, s in scores[b.id].items() if s >= threshold
                               and scores[a.id].get(c, 0.0) < threshold),
        no_longer_open=sorted(set(scores[a.id]) - set(scores[b.id])))


def _or_none(value: Any) -> Any:
    return None if value is None or value != value else value
