"""Run a screening cycle: database → frames → model → hotspots → worklists → proposed
assignments, written once.

A cycle reads everything known at the end of its as-of day; the input fingerprint digests
every input that shapes its results (cases, case files, screenings, cells, the model, the
policy, the earlier cycles its trend reads), so a rerun on the same inputs gives the same
fingerprint and the same rows."""

from __future__ import annotations

import hashlib
import json
import time as clock
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import insert, text

from gridrisk.access.scope import EVERYTHING, Scope
from gridrisk.cases.service import latest_data_on
from gridrisk.cycles import plan
from gridrisk.cycles.engines import run_engine
from gridrisk.cycles.hotspots import hotspots
from gridrisk.cycles.results import get_cycle
from gridrisk.cycles.schemas import (
    CycleCellOut,
    CycleOut,
)
from gridrisk.cycles.tables import Assignment, Cycle, CycleCase, CycleCell
from gridrisk.cycles.trend import is_hot, trend_classes
from gridrisk.db.base import Db, connection_of
from gridrisk.errors import InvalidInput
from gridrisk.policy import CyclePolicy, ScreeningPolicy, load_policy
from gridrisk.progress import Progress, no_progress
from gridrisk.regions.service import get_region
from gridrisk.scoring.history import load_history
from gridrisk.scoring.service import PROBABILITY_COLUMNS, REASON_COLUMNS, load_scoring_model
from gridrisk.screening.service import coverage_frame, screening_slots
from gridrisk.settings import Settings
from gridrisk.vocab import COVERAGE_WEEKS, HORIZON_DAYS, AssignmentStatus, Cadence, Engine
from models.columns import OUTCOMES
from models.features import DISPUTE_DAYS, features_at
from models.history import History, day_number
from models.reasons import N_REASONS

#: the region and every region below it, each with its township (NULL above townships)
REGIONS_BELOW = """
    WITH RECURSIVE up AS (
        SELECT code, level, parent_code FROM regions WHERE code = :region
        UNION ALL SELECT r.code, r.level, r.parent_code FROM regions r
        JOIN up ON r.code = up.parent_code),
    below AS (
        SELECT code, (SELECT code FROM up WHERE level = 'township') AS township
        FROM regions WHERE code = :region
        UNION ALL SELECT r.code, COALESCE(b.township,
                              CASE WHEN r.level = 'township' THEN r.code END)
        FROM regions r JOIN below b ON r.parent_code = b.code)"""
CELLS_IN_REGION = REGIONS_BELOW + """
    SELECT c.code AS cell_code, c.name AS cell_name, b.township AS township_code,
           t.name AS township,
           v.households * ST_Area(c.geom::geography)
               / NULLIF(sum(ST_Area(c.geom::geography)) OVER (PARTITION BY c.region_code), 0)
               AS households,
           ST_AsBinary(c.geom) AS wkb
    FROM cells c JOIN below b ON b.code = c.region_code
    JOIN regions v ON v.code = c.region_code LEFT JOIN regions t ON t.code = b.township
    ORDER BY c.code"""
#: the grid worker of each cell: who screened it most in the eight weeks to the as-of day
CELL_WORKERS = """
    SELECT DISTINCT ON (cell_code) cell_code, worker FROM screening_records
    WHERE (screened_at AT TIME ZONE :tz)::date BETWEEN :since AND :as_of
    GROUP BY cell_code, worker
    ORDER BY cell_code, count(*) DESC, max(screened_at) DESC, worker"""
CELL_COLUMNS = [c for c in CycleCellOut.model_fields if c not in ("cell_name", "township")]
CASE_COLUMNS = ["case_id", "cell_code", "score", "rank", "rank_in_cell", "reason_1",
                "reason_2", "reason_3", "p_any", "p_deadline", "p_return", "reasons",
                "deadline_on", "days_left", "overdue", "collective", "category",
                "responsible_unit", "responsible_official"]


@dataclass(frozen=True)
class CycleInputs:
    """What a cycle is run on, named once so that the CLI, the API and the scheduler agree."""

    registry_root: Path
    policy_file: Path | None
    timezone: str
    threads: int | None = None
    dask_address: str | None = None

    @classmethod
    def of(cls, settings: Settings) -> CycleInputs:
        return cls(registry_root=settings.models_path, policy_file=settings.policy_file,
                   timezone=settings.timezone, threads=settings.model_threads,
                   dask_address=settings.dask_address)


def run_cycle(db: Db, inputs: CycleInputs, *, cadence: str, as_of: date | None = None,
              region_code: str | None = None, engine: str = Engine.local,
              model_id: str | None = None, progress: Progress = no_progress,
              scope: Scope = EVERYTHING) -> CycleOut:
    """Score every open case of the region for the cadence's horizon, total per cell, find
    hotspots and their trend, rank worklists and propose assignments; store it all."""
    started = clock.perf_counter()
    cadence_ = _choice(Cadence, cadence, "cadence")
    engine_ = _choice(Engine, engine, "engine")
    region = _region(db, region_code, scope)
    whole = load_policy(inputs.policy_file)
    policy, screening_policy, cycle_policy = whole.deadlines, whole.screening, whole.cycles
    latest = latest_data_on(connection_of(db), timezone=inputs.timezone)
    if latest is None:
        raise InvalidInput("cases", "the database holds no cases: import a bundle first")
    as_of = as_of or latest
    if as_of > datetime.now(ZoneInfo(inputs.timezone)).date():
        raise InvalidInput("as_of", f"{as_of} is in the future")
    horizon = HORIZON_DAYS[cadence_]
    model_id, model, card = load_scoring_model(inputs.registry_root, model_id, horizon)

    progress("读取数据", 0.0)
    history = load_history(connection_of(db), policy=whole, timezone=inputs.timezone,
                           until=as_of)
    cells = _cells(db, region)
    progress("读取数据", 1.0)
    open_cases, without_cell = _open_cases(db, history, cells, as_of, cycle_policy)
    scored, totals = run_engine(engine_, model, card, open_cases, threads=inputs.threads,
                                dask_address=inputs.dask_address,
                                progress=lambda f: progress("评分", f))

    progress("汇总与热点", 0.0)
    window = _coverage_window(as_of, cadence_, screening_policy)
    coverage = coverage_frame(db, region_code=region, start=window[0], end=window[1],
                              policy=screening_policy, timezone=inputs.timezone
                              ).set_index("cell_code")
    cell_frame = _cell_results(cells, totals, coverage, history, as_of)
    found, islands = hotspots(cell_frame, "expected_escalations")
    cell_frame = cell_frame.join(found)
    earlier = _earlier_cycles(db, region, cadence_, as_of, cycle_policy.trend_cycles - 1)
    cell_frame["trend"] = _trends(earlier, cell_frame).reindex(cell_frame.index).fillna("")
    worklist = _worklist(open_cases, scored, cycle_policy.rank_by)
    progress("汇总与热点", 1.0)

    progress("分派建议", 0.0)
    proposal = _proposals(db, inputs, history, worklist, cell_frame, coverage, as_of=as_of,
                          cadence=cadence_, policy=cycle_policy,
                          last_slot=screening_slots(*window, screening_policy)["slot"].iloc[-1])
    fingerprint = _fingerprint(history, cell_frame, earlier, model_id=model_id,
                               cadence=cadence_, as_of=as_of, region=region,
                               policies=[policy, screening_policy, cycle_policy,
                                         whole.repeats])
    notes = {
        "totals": {"expected_escalations": round(float(cell_frame["expected_escalations"]
                                                       .sum()), 3),
                   "open": int(cell_frame["n_open"].sum()),
                   "overdue": int(cell_frame["n_overdue"].sum()),
                   "hot_cells": int(is_hot(cell_frame["hotspot"]).sum())},
        "islands_joined": islands,
        "open_cases_without_cell": without_cell,
        "coverage_window": [str(window[0]), str(window[1])],
        "deferred_tasks": proposal.deferred.groupby("kind")["n"].sum().astype(int).to_dict(),
        "earlier_cycles": [int(i) for i in earlier["cycle_id"].unique()],
        "policy": cycle_policy.to_dict(),
        "rank_by": cycle_policy.rank_by,
    }
    cycle_id = _store(db, cycle=dict(
        cadence=cadence_.value, as_of=as_of, region_code=region, horizon_days=horizon,
        model_id=model_id, policy={"deadlines": policy.__dict__,
                                   "cycles": cycle_policy.to_dict()},
        input_fingerprint=fingerprint, engine=engine_.value,
        seconds=round(clock.perf_counter() - started, 3), n_cells=len(cell_frame),
        n_cases=len(worklist), notes=notes), cells=cell_frame, cases=worklist,
        proposed=proposal.proposed)
    progress("分派建议", 1.0)
    return get_cycle(db, cycle_id)


def _choice(kind: Any, value: str, field: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise InvalidInput(field, f"'{value}' is not one of "
                           f"{', '.join(k.value for k in kind)}") from None


def _region(db: Db, code: str | None, scope: Scope = EVERYTHING) -> str:
    if code is None and not scope.everything:
        if len(scope.regions) != 1:
            raise InvalidInput("region_code", "name the region to run the cycle for")
        code = scope.regions[0]
    if code is not None:
        return get_region(db, code, scope=scope).code
    tops = db.execute(text("SELECT code FROM regions WHERE parent_code IS NULL ORDER BY code")
                      ).scalars().all()
    if not tops:
        raise InvalidInput("region", "the database holds no regions: import a bundle first")
    if len(tops) > 1:
        raise InvalidInput("region", f"the database holds {len(tops)} top regions "
                           f"({', '.join(tops[:5])}): name one")
    return str(tops[0])


def _cells(db: Db, region: str) -> gpd.GeoDataFrame:
    rows = db.execute(text(CELLS_IN_REGION), {"region": region}).all()
    if not rows:
        raise InvalidInput("region", f"region {region} holds no grid cells")
    frame = pd.DataFrame(rows, columns=["cell_code", "cell_name", "township_code", "township",
                                        "households", "wkb"])
    return gpd.GeoDataFrame(frame.drop(columns="wkb"), geometry=shapely.from_wkb(
        frame["wkb"].map(bytes).to_numpy()), crs=4326).set_index("cell_code")


def _open_cases(db: Db, history: History, cells: gpd.GeoDataFrame, as_of: date,
                policy: CyclePolicy) -> tuple[pd.DataFrame, int]:
    """FEATURES and FACT_COLUMNS of each case open at the end of `as_of` in the region's
    cells, plus its deadline and what the worklist shows; and the number of open cases
    anywhere that have no cell (placed by region only), which no cell total counts."""
    features = features_at(history, pd.Timestamp(as_of))
    facts = history.cases.set_index("case_id").loc[features.index, ["cell_code",
                                                                    "responsible_unit"]]
    without_cell = int(facts["cell_code"].isna().sum())
    features = features.loc[facts["cell_code"].isin(cells.index).to_numpy()]
    facts = facts.loc[features.index]
    officials: dict[str, str | None] = dict(db.execute(text(
        "SELECT case_id, responsible_official FROM cases WHERE case_id = ANY(:ids)"),
        {"ids": features.index.tolist()}).all())
    to_deadline = (features["days_left"] - features["days_overdue"]).astype(int)
    frame = features.assign(
        cell_code=facts["cell_code"],
        # a case registered without its unit (the API allows it) is on the worklist with none
        responsible_unit_name=facts["responsible_unit"].fillna(""),
        township_code=facts["cell_code"].map(cells["township_code"]).fillna(""),
        overdue=features["days_overdue"] > 0,
        due_soon=(to_deadline >= 0) & (to_deadline <= policy.due_soon_days),
        is_collective=features["collective"] == 1,
        days_to_deadline=to_deadline,
        deadline_on=[as_of + timedelta(days=int(d)) for d in to_deadline],
        responsible_official=[officials.get(c) for c in features.index])  # type: ignore[misc]
    return frame, without_cell


def _coverage_window(as_of: date, cadence: Cadence, policy: ScreeningPolicy
                     ) -> tuple[date, date]:
    """The last full screening slots before the as-of day's own unfinished slot."""
    slots = screening_slots(as_of - timedelta(days=7), as_of + timedelta(days=7), policy)
    slot = slots.loc[slots["day"] == as_of, "slot"].iloc[0]
    last_day = max(slots.loc[slots["slot"] == slot, "day"])
    end = as_of if last_day <= as_of else min(slots.loc[slots["slot"] == slot, "day"]
                                              ) - timedelta(days=1)
    return end - timedelta(weeks=COVERAGE_WEEKS[cadence]) + timedelta(days=1), end


def _cell_results(cells: gpd.GeoDataFrame, totals: pd.DataFrame, coverage: pd.DataFrame,
                  history: History, as_of: date) -> gpd.GeoDataFrame:
    frame = cells.join(totals)
    counts = ["n_open", "n_overdue", "n_due_soon", "n_collective"]
    frame[counts] = frame[counts].fillna(0).astype(int)
    frame["expected_escalations"] = frame["expected_escalations"].fillna(0.0).astype(float)
    p, day = history.prepared, day_number(as_of)
    recent = (p.screened_day <= day) & (p.screened_day > day - DISPUTE_DAYS) & p.screened_high
    disputes = pd.Series(p.screened_cell[recent]).value_counts()
    frame["n_high_disputes"] = frame.index.map(disputes).fillna(0).astype(int)
    frame["n_missed_screenings"] = (coverage["due"] - coverage["done"]).reindex(
        frame.index).fillna(0).astype(int)
    households = frame["households"].astype(float)
    per_1000 = 1000 / households.where(households > 0)
    frame["households"] = households
    frame["escalations_per_1000"] = frame["expected_escalations"] * per_1000
    frame["open_per_1000"] = frame["n_open"] * per_1000
    return frame


def _earlier_cycles(db: Db, region: str, cadence: Cadence, as_of: date, n: int
                    ) -> pd.DataFrame:
    """Cell rows of the latest run on each of the `n` as-of days before this one."""
    rows = db.execute(text("""
        WITH chosen AS (
            SELECT DISTINCT ON (as_of) id, as_of FROM cycles
            WHERE region_code = :region AND cadence = :cadence AND as_of < :as_of
            ORDER BY as_of DESC, id DESC LIMIT :n)
        SELECT k.id, k.as_of, c.cell_code, c.gi_z, c.hotspot
        FROM chosen k JOIN cycle_cells c ON c.cycle_id = k.id
        ORDER BY k.as_of, c.cell_code"""),
        {"region": region, "cadence": cadence.value, "as_of": as_of, "n": max(n, 0)}).all()
    return pd.DataFrame(rows, columns=["cycle_id", "as_of", "cell_code", "gi_z", "hotspot"])


def _trends(earlier: pd.DataFrame, cells: pd.DataFrame) -> pd.Series:
    days = sorted(earlier["as_of"].unique())
    now = pd.DataFrame({"cycle_seq": len(days), "cell_code": cells.index,
                        "gi_z": cells["gi_z"].to_numpy(),
                        "hotspot": cells["hotspot"].to_numpy()})
    before = earlier.assign(cycle_seq=earlier["as_of"].map({d: i for i, d in enumerate(days)}))
    return trend_classes(pd.concat([before[now.columns], now], ignore_index=True))


def _worklist(cases: pd.DataFrame, scored: pd.DataFrame, rank_by: str) -> pd.DataFrame:
    """CASE_COLUMNS: the open cases, highest score first (ties by case id); the score and
    reason_1..3 are those of the outcome the policy ranks by."""
    ranked = {"score": scored[f"p_{rank_by}"], **{
        f"reason_{i}": scored[f"reason_{rank_by}_{i}"] for i in range(1, N_REASONS + 1)}}
    reasons = [{o: [r for r in row if r] for o, row in zip(
        OUTCOMES, np.split(np.asarray(values, dtype=object), len(OUTCOMES)), strict=True)}
        for values in scored[REASON_COLUMNS].to_numpy()]
    frame = scored[PROBABILITY_COLUMNS].assign(**ranked, reasons=reasons).join(  # type: ignore[arg-type]
        cases[["cell_code", "deadline_on", "days_to_deadline", "overdue",
                               "is_collective", "category", "responsible_unit_name",
                               "responsible_official"]]).rename(columns={
        "responsible_unit_name": "responsible_unit", "days_to_deadline": "days_left",
        "is_collective": "collective"})
    frame = frame.rename_axis("case_id").reset_index().sort_values(
        ["score", "case_id"], ascending=[False, True], ignore_index=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    frame["rank_in_cell"] = frame.groupby("cell_code").cumcount() + 1
    floats = ["score", *PROBABILITY_COLUMNS]
    frame[floats] = frame[floats].astype(float)
    return frame[CASE_COLUMNS]


def _proposals(db: Db, inputs: CycleInputs, history: History, worklist: pd.DataFrame,
               cells: pd.DataFrame, coverage: pd.DataFrame, *, as_of: date,
               cadence: Cadence, policy: CyclePolicy, last_slot: str) -> plan.Plan:
    investigations = worklist.loc[worklist["score"] >= policy.investigate_min_score,
                                  plan.INVESTIGATION_COLUMNS]
    follow_ups = _follow_ups_due(history, as_of, policy.follow_up_days)
    follow_ups = follow_ups.loc[follow_ups["cell_code"].isin(cells.index)]
    missed_last = coverage["missed"].reindex(cells.index).map(
        lambda slots: isinstance(slots, list) and last_slot in slots).to_numpy(bool)
    screenings = pd.DataFrame({"cell_code": cells.index[missed_last],
                               "n_missed": cells["n_missed_screenings"].to_numpy()[missed_last]})
    workers = pd.DataFrame(db.execute(text(CELL_WORKERS), {
        "tz": inputs.timezone, "since": as_of - timedelta(weeks=8), "as_of": as_of}).all(),
        columns=plan.WORKER_COLUMNS)
    tasks = plan.candidate_tasks(investigations, follow_ups, screenings)
    return plan.propose(tasks, workers, as_of=as_of, cadence=cadence,
                        per_worker_per_day=policy.tasks_per_worker_per_day)


def _follow_ups_due(history: History, as_of: date, follow_up_days: int) -> pd.DataFrame:
    """Cases closed at the as-of day, closed within the last two follow-up windows, with no
    follow-up since their latest closing."""
    day = pd.Timestamp(as_of)
    timeline = history.timeline.loc[history.timeline["on"] <= day]
    latest = timeline.groupby("case_id", sort=False).tail(1).set_index("case_id")
    closed = timeline.loc[timeline["type"] == "closed"].groupby("case_id")["on"].max()
    followed = timeline.loc[timeline["type"] == "followed_up"].groupby("case_id")["on"].max()
    frame = pd.DataFrame({"closed_on": closed}).join(latest["is_open"]).join(
        followed.rename("followed_on"))
    due = frame.loc[~frame["is_open"].astype(bool)
                    & (frame["followed_on"].isna() | (frame["followed_on"] < frame["closed_on"]))
                    & (frame["closed_on"] > day - pd.Timedelta(days=2 * follow_up_days))]
    cells = history.cases.set_index("case_id")["cell_code"]
    return pd.DataFrame({
        "case_id": due.index.to_numpy(dtype=object),
        "cell_code": cells.reindex(due.index).to_numpy(dtype=object),
        "closed_on": due["closed_on"].dt.date.to_numpy(),
        "follow_up_by": (due["closed_on"] + pd.Timedelta(days=follow_up_days)).dt.date
        .to_numpy()}).dropna(subset=["cell_code"])


def _fingerprint(history: History, cells: pd.DataFrame, earlier: pd.DataFrame, *,
                 model_id: str, cadence: Cadence, as_of: date, region: str,
                 policies: list[Any]) -> str:
    digest = hashlib.sha256(json.dumps(
        [model_id, cadence.value, str(as_of), region, [repr(p) for p in policies]]).encode())
    frames = [history.cases, history.timeline, history.screenings,
              cells[["township_code", "households"]].reset_index(),
              earlier[["as_of", "cell_code", "gi_z", "hotspot"]]]
    for frame in frames:
        hashed = pd.util.hash_pandas_object(frame.astype(str), index=False)
        digest.update(np.sort(hashed.to_numpy()).tobytes())
    digest.update(b"".join(shapely.to_wkb(cells.geometry.to_numpy())))
    return digest.hexdigest()[:16]


def _store(db: Db, *, cycle: dict[str, Any], cells: pd.DataFrame, cases: pd.DataFrame,
           proposed: pd.DataFrame) -> int:
    cycle_id = db.execute(insert(Cycle).values(**cycle).returning(Cycle.id)).scalar_one()
    cell_rows = cells.reset_index()[["cell_code", *[c for c in CELL_COLUMNS
                                                    if c != "cell_code"]]]
    db.execute(insert(CycleCell), _records(cell_rows, cycle_id=cycle_id))
    if len(cases):
        db.execute(insert(CycleCase), _records(cases, cycle_id=cycle_id))
    if len(proposed):
        db.execute(insert(Assignment), _records(
            proposed, cycle_id=cycle_id, status=AssignmentStatus.proposed.value))
    return int(cycle_id)


def _records(frame: pd.DataFrame, **constant: Any) -> list[dict[str, Any]]:
    """Rows as plain Python values (NaN → None) for an executemany insert."""
    clean = frame.astype(object).where(frame.notna(), None)
    rows = cast(list[dict[str, Any]], clean.to_dict("records"))  # columns are names
    return [{**row, **constant} for row in rows]


# -- reading cycles ----------------------------------------------------------------------
