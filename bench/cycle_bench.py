"""Screening cycles end to end: a weekly cycle on the medium county, and medium against large
with both engines.

A private embedded PostGIS cluster gets the medium county (and, unless --skip-large, the large
one in a second database), generated and imported; a 30-day model is trained on the medium
county and promoted. Then `run_cycle` runs as `gridrisk cycle run --cadence weekly` does
(read the history, features, scores with reasons, cell totals, Gi* hotspots and trend,
worklists, proposals, storing), timed with the wall clock, `--repeats` times per county and
engine (the median is reported). The large county is scored with the medium county's model
(same features; the bench measures time, not accuracy).

Targets (reported, never asserted): weekly cycle on the medium county under 20 s; from
medium to large, time grows close to linearly with the number of cases (reported as the
ratio of the time ratio to the case ratio: 1.0 is linear). Results: bench/out/cycle.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from common import code_state
from rich.console import Console

from gridrisk.db.embedded import reachable_scratch

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
TARGET_SECONDS = 20.0
console = Console()


def county(cluster: Any, name: str, scale: str, seed: int, cache: Path) -> tuple[str, float]:
    """A database holding the county; its URL and the import seconds."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from gridrisk.bundle.service import import_bundle
    from gridrisk.db.engine import upgrade_to_head
    from gridrisk.policy import DeadlinePolicy
    from gridrisk.privacy.vault import Vault
    from gridrisk.synthetic import generate_bundle

    bundle = cache / f"county-{scale}-seed{seed}"
    if not (bundle / "screenings.csv").exists():
        console.print(f"generating the {scale} county …")
        generate_bundle(bundle, seed=seed, scale=scale)
    admin = create_engine(cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = make_url(cluster.url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    upgrade_to_head(engine)
    started = time.perf_counter()
    with engine.begin() as conn:
        import_bundle(conn, bundle, timezone="Asia/Shanghai", policy=DeadlinePolicy(),
                      vault=Vault(cache / "secret.key"))
    seconds = time.perf_counter() - started
    engine.dispose()
    return url, seconds


def promoted_model(url: str, registry: Path) -> Any:
    """CycleInputs whose registry holds a 30-day model trained on the county at `url`, and
    promoted."""
    from sqlalchemy import create_engine

    from gridrisk.cycles.run import CycleInputs
    from gridrisk.policy import Policy
    from gridrisk.scoring.service import promote_model, train_model

    engine = create_engine(url)
    with engine.connect() as conn:
        trained = train_model(conn, registry_root=registry, horizon_days=30, as_of=None,
                              policy=Policy(), timezone="Asia/Shanghai", threads=1)
    engine.dispose()
    promote_model(registry, trained.model_id, force=True)
    return CycleInputs(registry_root=registry, policy_file=None, timezone="Asia/Shanghai",
                       threads=1)


def timed_cycles(url: str, inputs: Any, engine_name: str, repeats: int) -> dict[str, Any]:
    from sqlalchemy import create_engine

    from gridrisk.cycles.run import run_cycle

    engine = create_engine(url)
    seconds, cycle = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        with engine.begin() as conn:
            cycle = run_cycle(conn, inputs, cadence="weekly", engine=engine_name)
        seconds.append(time.perf_counter() - started)
    engine.dispose()
    assert cycle is not None
    return {"seconds": [round(s, 2) for s in seconds], "median": round(statistics.median(
        seconds), 2), "cases": cycle.n_cases, "cells": cycle.n_cells,
        "fingerprint": cycle.input_fingerprint, "hot_cells": cycle.notes["totals"]["hot_cells"]}


def main(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--engines", default="local,dask")
    args = parser.parse_args(argv)

    from gridrisk.db.embedded import EmbeddedCluster

    scratch = reachable_scratch("gridrisk-cycle-bench-")
    cache = OUT_DIR / "counties"
    cluster = EmbeddedCluster(scratch / "pg", durable=False)
    cluster.start()
    result: dict[str, Any] = {"code": code_state(("scikit-learn", "esda", "dask"),
                                                 "gridrisk", "models")}
    try:
        medium_url, result["medium_import_seconds"] = county(cluster, "medium", "medium",
                                                              args.seed, cache)
        inputs = promoted_model(medium_url, scratch / "models")
        engines = args.engines.split(",")
        runs: dict[str, dict[str, Any]] = {}
        for name in engines:
            console.print(f"medium county, {name} engine …")
            runs[f"medium/{name}"] = timed_cycles(medium_url, inputs, name, args.repeats)
        if not args.skip_large:
            large_url, result["large_import_seconds"] = county(cluster, "large", "large",
                                                                args.seed, cache)
            for name in engines:
                console.print(f"large county, {name} engine …")
                runs[f"large/{name}"] = timed_cycles(large_url, inputs, name, args.repeats)
        result["runs"] = runs
    finally:
        cluster.destroy()
        shutil.rmtree(scratch, ignore_errors=True)

    medium = runs["medium/local"]["median"]
    headline = [{"metric": "weekly cycle, medium county (local)", "value": medium, "unit": "s",
                 "target": f"< {TARGET_SECONDS:g} s", "ok": medium < TARGET_SECONDS}]
    for name in engines:
        if f"large/{name}" in runs:
            m, l_ = runs[f"medium/{name}"], runs[f"large/{name}"]
            growth = (l_["median"] / m["median"]) / (l_["cases"] / m["cases"])
            result[f"growth_vs_linear_{name}"] = round(growth, 2)
            headline += [
                {"metric": f"weekly cycle, large county ({name})", "value": l_["median"],
                 "unit": "s", "target": "report"},
                {"metric": f"time ratio ÷ case ratio, medium→large ({name})",
                 "value": round(growth, 2), "unit": "×", "target": "≈ 1 (linear)",
                 "ok": growth < 1.5}]
        if name != "local":
            headline.append({"metric": f"{name} = local (same fingerprint)",
                             "value": str(runs[f"medium/{name}"]["fingerprint"]
                                          == runs["medium/local"]["fingerprint"]),
                             "target": "True"})
    result["headline"] = headline
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "cycle.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    return result
