"""The escalation-risk model on medium demo counties: ranking quality against the baselines,
calibration against the base rate, training and scoring time.

Per seed (default 1, 2, 3): a private embedded PostGIS cluster gets the medium county
(generated, imported); `train_model` runs end to end as `gridrisk model train --horizon 30`
does (load, examples, rolling-origin backtest over 6 origins, final fit, registry), timed; its
backtest gives precision@100 of the model and of both baselines and the Brier scores of the
model and of the base-rate predictor. On the first seed, the same backtest with the logistic
estimator (the alternative to gradient boosting), and scoring of 100,000 open cases (the open
cases of the last day, repeated) with the registered model: probabilities alone, then
probabilities with their reasons as `gridrisk model score` computes them.

Targets (reported, never asserted): mean precision@100 ≥ 2× the best baseline's, Brier
< 0.85× the base rate's, training < 60 s, scoring 100k < 5 s. Results: bench/out/model.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
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

PRECISION_RATIO_TARGET = 2.0
BRIER_RATIO_TARGET = 0.85
TRAIN_SECONDS_TARGET = 60.0
SCORE_SECONDS_TARGET = 5.0
HORIZON = 30


def one_seed(seed: int, scratch: Path, args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import create_engine

    from gridrisk.bundle.service import import_bundle
    from gridrisk.db.embedded import EmbeddedCluster
    from gridrisk.db.engine import upgrade_to_head
    from gridrisk.policy import DeadlinePolicy
    from gridrisk.privacy.vault import Vault
    from gridrisk.scoring.history import load_history
    from gridrisk.scoring.service import train_model
    from gridrisk.synthetic import generate_bundle
    from models.backtest import run_backtest
    from models.examples import examples_at, snapshot_days

    policy = DeadlinePolicy()
    cluster = EmbeddedCluster(scratch / f"pg{seed}", durable=False)
    cluster.start()
    engine = create_engine(cluster.url)
    result: dict[str, Any] = {"seed": seed}
    try:
        upgrade_to_head(engine)
        county = scratch / f"county{seed}"
        generate_bundle(county, seed=seed, scale=args.scale)
        start = time.perf_counter()
        with engine.begin() as conn:
            import_bundle(conn, county, timezone="Asia/Shanghai", policy=policy,
                          vault=Vault(scratch / "secret.key"))
        result["import_seconds"] = round(time.perf_counter() - start, 1)
        console.print(f"  seed {seed}: county imported ({result['import_seconds']} s)")

        registry = scratch / f"models{seed}"
        start = time.perf_counter()
        with engine.connect() as conn:
            trained = train_model(conn, registry_root=registry, horizon_days=HORIZON,
                                  as_of=None, policy=policy, timezone="Asia/Shanghai",
                                  threads=args.threads)
        result["train_seconds"] = round(time.perf_counter() - start, 1)
        summary = trained.backtest.summary
        baselines = summary.loc[["most_overdue", "most_returns"], "precision_at_100"]
        result |= {
            "model_precision_at_100": round(float(summary.loc["model", "precision_at_100"]), 3),
            "baseline_precision_at_100": baselines.round(3).to_dict(),
            "best_baseline_precision_at_100": round(float(baselines.max()), 3),
            "model_average_precision": round(float(summary.loc["model", "average_precision"]),
                                             3),
            "model_brier": round(float(summary.loc["model", "brier"]), 4),
            "base_rate_brier": round(float(summary.loc["base_rate", "brier"]), 4),
            "brier_ratio": round(trained.backtest.brier_ratio(), 3),
            "origins": trained.backtest.origins,
            "beats_baselines": trained.backtest.beats_baselines(),
            "n_examples": trained.card["n_examples"], "base_rate": trained.card["base_rate"],
        }
        result["precision_ratio"] = round(result["model_precision_at_100"]
                                          / result["best_baseline_precision_at_100"], 3)
        console.print(f"  seed {seed}: trained in {result['train_seconds']} s; P@100 "
                      f"{result['model_precision_at_100']} vs best baseline "
                      f"{result['best_baseline_precision_at_100']}; Brier ratio "
                      f"{result['brier_ratio']}")

        with engine.connect() as conn:
            start = time.perf_counter()
            history = load_history(conn, policy=policy, timezone="Asia/Shanghai")
            result["load_seconds"] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()
        examples = examples_at(history, snapshot_days(history, horizon_days=HORIZON), HORIZON)
        result["examples_seconds"] = round(time.perf_counter() - start, 1)
        from models.pipeline import fit_risk_model

        start = time.perf_counter()
        fit_risk_model(examples, horizon_days=HORIZON, threads=args.threads)
        result["final_fit_seconds"] = round(time.perf_counter() - start, 1)
        if seed == args.seeds[0]:
            result["scoring"] = score_100k(history, registry, trained.model_id, args)
            start = time.perf_counter()
            logistic = run_backtest(examples, horizon_days=HORIZON, estimator="logistic",
                                    threads=args.threads)
            result["logistic"] = {
                "precision_at_100": round(float(logistic.summary.loc["model",
                                                                     "precision_at_100"]), 3),
                "average_precision": round(float(logistic.summary.loc["model",
                                                                      "average_precision"]), 3),
                "brier_ratio": round(logistic.brier_ratio(), 3),
                "backtest_seconds": round(time.perf_counter() - start, 1)}
            console.print(f"  logistic: {result['logistic']}")
    finally:
        engine.dispose()
        cluster.destroy()
    return result


def score_100k(history: Any, registry: Path, model_id: str, args: argparse.Namespace
               ) -> dict[str, Any]:
    """Probabilities alone, then probabilities with reasons (as gridrisk scores), for 100k
    open cases: the last day's, repeated."""
    from gridrisk.scoring.service import score_features
    from models.features import features_at
    from models.pipeline import risk_scores
    from models.registry import load_model

    model, card = load_model(registry, model_id)
    open_now = features_at(history, history.known_until)
    repeats = -(-args.score_rows // len(open_now))
    many = pd.concat([open_now] * repeats).iloc[:args.score_rows]
    many.index = pd.Index([f"B{i:07d}" for i in range(len(many))], name="case_id")
    start = time.perf_counter()
    scores = risk_scores(model, many, threads=args.threads)
    score_s = time.perf_counter() - start
    start = time.perf_counter()  # what `gridrisk model score` and cycles run: one call
    score_features(model, card, many, threads=args.threads)
    total_s = time.perf_counter() - start
    console.print(f"  scoring {len(many):,}: probabilities {score_s:.2f} s, probabilities "
                  f"with reasons {total_s:.2f} s")
    return {"rows": len(many), "distinct_open_cases": len(open_now),
            "score_seconds": round(score_s, 2), "total_seconds": round(total_s, 2),
            "mean_score": round(float(np.mean(scores)), 4)}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--threads", type=int, default=1,
                        help="model threads (default 1: the database and other work share the "
                        "2 cores, and OpenMP stalls when a core is taken)")
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
    mean = {k: round(float(np.mean([s[k] for s in seeds])), 3)
            for k in ("model_precision_at_100", "best_baseline_precision_at_100",
                      "precision_ratio", "brier_ratio", "train_seconds")}
    scoring = seeds[0]["scoring"]
    results: dict[str, Any] = {
        "bench": "model", "scale": args.scale, "horizon_days": HORIZON,
        "threads": args.threads, "seeds": seeds, "mean": mean,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    results["headline"] = [
        {"metric": "P@100 model / best baseline (mean)", "value": mean["precision_ratio"],
         "unit": "×", "target": f"≥ {PRECISION_RATIO_TARGET:g}",
         "ok": mean["precision_ratio"] >= PRECISION_RATIO_TARGET},
        {"metric": "P@100 model (mean)", "value": mean["model_precision_at_100"]},
        {"metric": "P@100 best baseline (mean)", "value": mean["best_baseline_precision_at_100"]},
        {"metric": "Brier model / base rate (mean)", "value": mean["brier_ratio"], "unit": "×",
         "target": f"< {BRIER_RATIO_TARGET:g}", "ok": mean["brier_ratio"] < BRIER_RATIO_TARGET},
        {"metric": "train (end to end, mean)", "value": mean["train_seconds"], "unit": "s",
         "target": f"< {TRAIN_SECONDS_TARGET:g}",
         "ok": max(s["train_seconds"] for s in seeds) < TRAIN_SECONDS_TARGET},
        {"metric": f"score {scoring['rows']:,} (probabilities)",
         "value": scoring["score_seconds"], "unit": "s", "target": f"< {SCORE_SECONDS_TARGET:g}",
         "ok": scoring["score_seconds"] < SCORE_SECONDS_TARGET},
        {"metric": f"score {scoring['rows']:,} (with reasons)",
         "value": scoring["total_seconds"], "unit": "s",
         "target": f"< {SCORE_SECONDS_TARGET:g}",
         "ok": scoring["total_seconds"] < SCORE_SECONDS_TARGET},
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    table = Table(title="model bench")
    for column in ("metric", "value", "target", "ok"):
        table.add_column(column)
    for row in results["headline"]:
        table.add_row(row["metric"], f"{row['value']} {row.get('unit', '')}",
                      row.get("target", ""), "" if "ok" not in row else str(row["ok"]))
    console.print(table)
    return results


if __name__ == "__main__":
    main()
