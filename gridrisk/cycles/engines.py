"""Scoring and per-cell aggregation of a cycle's open cases, in one process or partitioned by
township on dask.distributed. Both engines run the same function on each part; a case's score
depends on its own features only and a cell lies in one township, so the parts add up to the
same result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from gridrisk.errors import Unavailable
from gridrisk.scoring.service import SCORED_COLUMNS, score_features
from gridrisk.vocab import Engine
from models.features import FEATURES

#: per open case, besides FEATURES: what the cell totals count
FACT_COLUMNS = ["cell_code", "township_code", "overdue", "due_soon", "is_collective"]
AGGREGATE_COLUMNS = ["expected_escalations", "n_open", "n_overdue", "n_due_soon",
                     "n_collective"]


def score_part(model: Any, card: dict[str, Any], part: pd.DataFrame, threads: int | None
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each outcome's probability and reasons per case (index case_id: SCORED_COLUMNS) and
    AGGREGATE_COLUMNS per cell (index cell_code) for one part of the open cases (FEATURES +
    FACT_COLUMNS)."""
    scored = score_features(model, card, part[FEATURES], threads=threads)
    return scored, cell_totals(part, scored["p_any"])


def cell_totals(cases: pd.DataFrame, scores: pd.Series) -> pd.DataFrame:
    """AGGREGATE_COLUMNS per cell: the sum of the probabilities of any escalation is the
    number of escalations to expect within the horizon."""
    return cases[["cell_code", "overdue", "due_soon", "is_collective"]].assign(
        score=scores).groupby("cell_code").agg(
        expected_escalations=("score", "sum"), n_open=("score", "size"),
        n_overdue=("overdue", "sum"), n_due_soon=("due_soon", "sum"),
        n_collective=("is_collective", "sum"))


def run_engine(engine: Engine, model: Any, card: dict[str, Any], cases: pd.DataFrame, *,
               threads: int | None = None, dask_address: str | None = None,
               progress: Callable[[float], None] = lambda _: None
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """score_part over every open case: at once, or one task per township on Dask."""
    if not len(cases):
        return (pd.DataFrame(columns=SCORED_COLUMNS, index=pd.Index([], name="case_id")),
                pd.DataFrame(columns=AGGREGATE_COLUMNS, index=pd.Index([], name="cell_code")))
    if engine == Engine.local:
        scored, totals = score_part(model, card, cases, threads)
    else:
        parts = [part for _, part in cases.groupby("township_code", sort=True)]
        results = _on_dask(model, card, parts, dask_address, progress)
        scored = pd.concat([r[0] for r in results])
        totals = pd.concat([r[1] for r in results])
    progress(1.0)
    return scored.loc[cases.index], totals.sort_index()


def _on_dask(model: Any, card: dict[str, Any], parts: list[pd.DataFrame],
             address: str | None, progress: Callable[[float], None]
             ) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """Each township's part as one task; a LocalCluster of this machine's cores when no
    scheduler address is given. Each worker scores with one thread: Dask supplies the
    parallelism."""
    from dask.distributed import Client, LocalCluster, as_completed

    try:
        cluster = None if address else LocalCluster(
            n_workers=None, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(address or cluster, timeout="20s")
    except OSError as exc:
        raise Unavailable(f"Dask scheduler {address or 'LocalCluster'}: {exc}") from exc
    try:
        shared = client.scatter(model, broadcast=True)
        futures = [client.submit(score_part, shared, card, part, 1, pure=False)
                   for part in parts]
        for done, _ in enumerate(as_completed(futures), start=1):
            progress(done / len(futures))
        scored: list[tuple[pd.DataFrame, pd.DataFrame]] = client.gather(futures)
        return scored
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
