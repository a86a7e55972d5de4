"""The risk model on medium demo counties, against the oracle and the baselines: ranking and
calibration of each outcome, repeat linking, training and scoring time.

Per seed (default 1, 2, 3): a private embedded PostGIS cluster gets the medium county
(generated, imported); `train_model` runs end to end as `gridrisk model train --horizon 30`
does (load with repeat links, examples, rolling-origin backtest over 6 origins for every
outcome, final fit, registry), timed. The generator's oracle (gridrisk.synthetic.oracle: the
true probability of each outcome, re-simulated from the hidden state 200 times) is computed
for the cases open at the same origins and scored with the same metrics on the same rows.
The repeat links are measured against the county's known repeats, and the last day's scores
show how the probabilities spread (a county where every case reads "> 99%" is the defect).
On the first seed, 100,000 open cases (the last day's, repeated) are scored with the
registered model: probabilities alone, then with the reasons of every outcome, as
`gridrisk model score` and cycles compute them.

Targets (reported, never asserted), 30-day horizon, means over seeds: for `any`, P@100 ≥
0.9× the oracle's and ≥ 1.5× the best baseline's, AP ≥ 0.85× the oracle's, Brier ≤ 1.1× the
oracle's; for `deadline` and `return`, AP ≥ 1.3× the best baseline fit for it; training all
outcomes < 90 s; scoring 100k with reasons < 8 s. Results: bench/out/model.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from gridrisk.db.embedded import reachable_scratch

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
console = Console()

HORIZON = 30
END_ON = date(2026, 10, 31)
TARGETS = {"any_p100_vs_oracle": 0.9, "any_p100_vs_baseline": 1.5, "any_ap_vs_oracle": 0.85,
           "any_brier_vs_oracle": 1.1, "deadline_ap_vs_baseline": 1.3,
           "return_ap_vs_baseline": 1.3, "train_seconds": 90.0, "score_seconds": 8.0}
OUTCOMES = ("any", "deadline", "return")


def one_seed(seed: int, scratch: Path, args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import create_engine

    from gridrisk.bundle.service import import_bundle
    from gridrisk.cases.repeats import linked_repeats
    from gridrisk.db.embedded import EmbeddedCluster
    from gridrisk.db.engine import upgrade_to_head
    from gridrisk.policy import Policy
    from gridrisk.privacy.vault import Vault
    from gridrisk.scoring.service import train_model
    from gridrisk.synthetic import generate_bundle
    from gridrisk.synthetic.oracle import oracle_frame
    from models.repeats import linking_quality

    policy = Policy()
    cluster = EmbeddedCluster(scratch / f"pg{seed}", durable=False)
    cluster.start()
    engine = create_engine(cluster.url)
    result: dict[str, Any] = {"seed": seed, "load_average_at_start": os.getloadavg()[0]}
    try:
        upgrade_to_head(engine)
        county = scratch / f"county{seed}"
        start = time.perf_counter()
        generate_bundle(county, seed=seed, scale=args.scale, end_on=END_ON)
        result["generate_seconds"] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()
        with engine.begin() as conn:
            import_bundle(conn, county, timezone="Asia/Shanghai", policy=policy.deadlines,
                          vault=Vault(scratch / "secret.key"))
        result["import_seconds"] = round(time.perf_counter() - start, 1)

        registry = scratch / f"models{seed}"
        start = time.perf_counter()
        with engine.connect() as conn:
            trained = train_model(conn, registry_root=registry, horizon_days=HORIZON,
                                  as_of=None, policy=policy, timezone="Asia/Shanghai",
                                  threads=args.threads)
        result["train_seconds"] = round(time.perf_counter() - start, 1)
        backtest = trained.backtest
        console.print(f"  seed {seed}: generated {result['generate_seconds']} s, imported "
                      f"{result['import_seconds']} s, trained {result['train_seconds']} s")

        start = time.perf_counter()
        oracle = oracle_frame(seed=seed, scale=args.scale, end_on=END_ON,
                              as_of=[date.fromisoformat(o) for o in backtest.origins],
                              horizons=[HORIZON], replicates=args.replicates)
        result["oracle_seconds"] = round(time.perf_counter() - start, 1)
        result["outcomes"] = compared(backtest, oracle)
        result["base_rates"] = trained.card["base_rates"]

        with engine.connect() as conn:
            links = linked_repeats(conn, rules=policy.repeats)
        known = pd.read_csv(county / "known_repeats.csv", dtype=str)
        result["repeat_linking"] = {k: round(v, 3) if isinstance(v, float) else v
                                    for k, v in linking_quality(links, known).items()}
        with engine.connect() as conn:
            result["last_day"] = spread(conn, registry, trained.model_id, policy, args)
        for outcome in OUTCOMES:
            row = result["outcomes"][outcome]
            console.print(f"  seed {seed} {outcome}: P@100 {row['model']['precision_at_100']}"
                          f" (oracle {row['oracle']['precision_at_100']}, best baseline "
                          f"{row['best_baseline']['precision_at_100']}), AP "
                          f"{row['model']['average_precision']} (oracle "
                          f"{row['oracle']['average_precision']}, best baseline "
                          f"{row['best_baseline']['average_precision']}), Brier "
                          f"{row['model']['brier']} (oracle {row['oracle']['brier']})")
        console.print(f"  seed {seed}: repeat links {result['repeat_linking']}")
        if seed == args.seeds[0]:
            with engine.connect() as conn:
                result["scoring"] = score_100k(conn, registry, trained.model_id, policy, args)
    finally:
        engine.dispose()
        cluster.destroy()
    return result


def compared(backtest: Any, oracle: pd.DataFrame) -> dict[str, Any]:
    """Per outcome, averaged over the backtest's origins: the model, each baseline fit for
    the outcome and the oracle, on the same cases."""
    from sklearn.metrics import brier_score_loss

    from models.backtest import BASELINES_FOR, MODEL, ranking_metrics

    oracle = oracle.assign(origin=oracle["as_of"].astype(str))
    rows = backtest.predictions.merge(oracle, on=["origin", "case_id"], how="left",
                                      suffixes=("", "_oracle"), validate="one_to_one")
    missing = int(rows["p_any_oracle"].isna().sum())
    if missing:
        raise RuntimeError(f"{missing} backtest cases have no oracle probability")
    out: dict[str, Any] = {}
    for outcome in OUTCOMES:
        per_origin = []
        for _, here in rows.groupby("origin"):
            labels = here[f"y_{outcome}"].to_numpy()
            p = here[f"p_{outcome}_oracle"].to_numpy()
            per_origin.append({**ranking_metrics(labels, p),
                               "brier": float(brier_score_loss(labels, p, labels=[0, 1]))})
        oracle_mean = pd.DataFrame(per_origin).mean()
        summary = backtest.of(outcome)
        baselines = summary.loc[list(BASELINES_FOR[outcome])]
        metrics = ["precision_at_100", "average_precision", "brier"]
        model = summary.loc[MODEL]
        best = {m: float(baselines[m].max()) for m in ("precision_at_100",
                                                       "average_precision")}
        out[outcome] = {
            "model": {m: round(float(model[m]), 4) for m in metrics},
            "oracle": {m: round(float(oracle_mean[m]), 4) for m in metrics},
            "baselines": {name: {m: round(float(baselines.loc[name, m]), 4)
                                 for m in ("precision_at_100", "average_precision")}
                          for name in baselines.index},
            "best_baseline": {m: round(v, 4) for m, v in best.items()},
            "p100_vs_oracle": round(float(model["precision_at_100"]
                                          / oracle_mean["precision_at_100"]), 3),
            "ap_vs_oracle": round(float(model["average_precision"]
                                        / oracle_mean["average_precision"]), 3),
            "brier_vs_oracle": round(float(model["brier"] / oracle_mean["brier"]), 3),
            "p100_vs_baseline": round(float(model["precision_at_100"]
                                            / best["precision_at_100"]), 3),
            "ap_vs_baseline": round(float(model["average_precision"]
                                          / best["average_precision"]), 3),
            "brier_vs_base_rate": round(backtest.brier_ratio(outcome), 3),
        }
    return out


def spread(conn: Any, registry: Path, model_id: str, policy: Any, args: argparse.Namespace
           ) -> dict[str, Any]:
    """How the last day's probabilities spread over the open cases."""
    from gridrisk.scoring.service import PROBABILITY_COLUMNS, score_cases
    from models.display import shown_probability

    day = END_ON
    scores = score_cases(conn, registry_root=registry, as_of=day, horizon_days=HORIZON,
                         model_id=model_id, policy=policy, timezone="Asia/Shanghai",
                         threads=args.threads)
    result: dict[str, Any] = {"as_of": str(day), "open_cases": len(scores)}
    for column in PROBABILITY_COLUMNS:
        p = scores[column]
        shown = p.map(shown_probability)
        result[column] = {
            "quantiles": {q: round(float(p.quantile(q)), 3) for q in (0.1, 0.5, 0.9, 0.99)},
            "share_over_99": round(float((shown == "> 99%").mean()), 4),
            "share_over_90": round(float((p >= 0.9).mean()), 4),
            "distinct": int(p.nunique())}
    return result


def score_100k(conn: Any, registry: Path, model_id: str, policy: Any,
               args: argparse.Namespace) -> dict[str, Any]:
    """Probabilities alone, then probabilities with every outcome's reasons (as gridrisk
    scores), for 100k open cases: the last day's, repeated."""
    from gridrisk.scoring.history import load_history
    from gridrisk.scoring.service import score_features
    from models.features import features_at
    from models.pipeline import risk_scores
    from models.registry import load_model

    model, card = load_model(registry, model_id)
    history = load_history(conn, policy=policy, timezone="Asia/Shanghai")
    open_now = features_at(history, history.known_until)
    repeats = -(-args.score_rows // len(open_now))
    many = pd.concat([open_now] * repeats).iloc[:args.score_rows]
    many.index = pd.Index([f"B{i:07d}" for i in range(len(many))], name="case_id")
    start = time.perf_counter()
    risk_scores(model, many, threads=args.threads)
    score_s = time.perf_counter() - start
    start = time.perf_counter()  # what `gridrisk model score` and cycles run: one call
    score_features(model, card, many, threads=args.threads)
    total_s = time.perf_counter() - start
    console.print(f"  scoring {len(many):,}: probabilities {score_s:.2f} s, with the reasons "
                  f"of every outcome {total_s:.2f} s")
    return {"rows": len(many), "distinct_open_cases": len(open_now),
            "score_seconds": round(score_s, 2), "total_seconds": round(total_s, 2),
            "load_average_at_start": os.getloadavg()[0]}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--threads", type=int, default=1,
                        help="model threads (default 1: the database and other work share the "
                        "2 cores, and OpenMP stalls when a core is taken)")
    parser.add_argument("--replicates", type=int, default=200,
                        help="futures the oracle re-simulates per as-of day")
    parser.add_argument("--score-rows", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=OUT_DIR / "model.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    console.rule(f"model bench: {args.scale} county, seeds {args.seeds}, {HORIZON}-day horizon")
    scratch = reachable_scratch("gridrisk-model-bench-")
    try:
        seeds = [one_seed(seed, scratch, args) for seed in args.seeds]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    def mean(path: tuple[str, ...]) -> float:
        values = []
        for s in seeds:
            value: Any = s
            for key in path:
                value = value[key]
            values.append(value)
        return round(float(np.mean(values)), 3)

    summary = {
        "any_p100_vs_oracle": mean(("outcomes", "any", "p100_vs_oracle")),
        "any_p100_vs_baseline": mean(("outcomes", "any", "p100_vs_baseline")),
        "any_ap_vs_oracle": mean(("outcomes", "any", "ap_vs_oracle")),
        "any_brier_vs_oracle": mean(("outcomes", "any", "brier_vs_oracle")),
        "deadline_ap_vs_baseline": mean(("outcomes", "deadline", "ap_vs_baseline")),
        "return_ap_vs_baseline": mean(("outcomes", "return", "ap_vs_baseline")),
        "train_seconds": round(max(s["train_seconds"] for s in seeds), 1),
        "score_seconds": seeds[0]["scoring"]["total_seconds"],
    }
    lower_is_better = {"any_brier_vs_oracle", "train_seconds", "score_seconds"}
    headline = [{"metric": name, "value": value,
                 "target": ("≤ " if name in lower_is_better else "≥ ") + f"{TARGETS[name]:g}",
                 "ok": value <= TARGETS[name] if name in lower_is_better
                 else value >= TARGETS[name]} for name, value in summary.items()]
    results: dict[str, Any] = {
        "bench": "model", "scale": args.scale, "horizon_days": HORIZON,
        "threads": args.threads, "replicates": args.replicates, "seeds": seeds,
        "headline": headline,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    table = Table(title="model bench (train: the slowest seed; score: the first seed)")
    for column in ("metric", "value", "target", "ok"):
        table.add_column(column)
    for row in headline:
        table.add_row(row["metric"], str(row["value"]), row["target"], str(row["ok"]))
    console.print(table)
    return results


if __name__ == "__main__":
    main()
