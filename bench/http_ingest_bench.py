"""Screening-record ingest over HTTP: `gridrisk serve` against a bare FastAPI + asyncpg endpoint.

Steps:

1. a private, durable embedded PostGIS cluster; the schema; the demo county (medium, seed 1)
   generated and imported; a pool of valid request bodies (90 % "nothing found", 10 % a
   dispute at a WGS84 point inside the record's cell);
2. two servers on loopback, both with 2 uvicorn workers, on the same database:
   ``gridrisk serve`` and ``bench/bare_ingest_app.py`` (async, asyncpg, one INSERT with an
   ``ST_Contains`` cell lookup);
3. for each concurrency (8 and 32 connections), each server in turn (the order alternates):
   a short warm-up, then ``wrk`` for 30 s posting a unique record per request
   (``bench/http_ingest.lua``); requests/s and latency percentiles from wrk;
4. after each run: every acknowledged (201) record has its row; the requests still in flight
   when wrk stopped are sent again, as a phone would, and then the rows written by the run
   equal the records acknowledged;
5. when gridrisk misses a target (or with ``--diagnose always``): the cluster restarts with
   pg_stat_statements, and a short run per server counts statements per request and their
   server time, with a py-spy profile of gridrisk's workers.

Targets (ratios, as the load generator shares the 2 cores): gridrisk's throughput at least
0.5x the bare endpoint's, its p99 at most 2x the bare endpoint's, at each concurrency; no
errors; rows = acknowledged. Results go to ``bench/out/http_ingest.json``.
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
from common import (
    bench_cluster,
    code_state,
    load_average,
    load_cells,
    machine,
    write_results,
)
from http_diagnosis import diagnose, show_diagnosis
from http_records import ID_ROOT, bench_token, reset_records, sessions, stored_ids
from http_servers import (
    SERVERS,
    Server,
    bare_server,
    cpu_delta,
    cpu_times,
    free_port,
    gridrisk_server,
    machine_busy_seconds,
    postgres_processes,
    wait_for_quiet,
)
from rich.console import Console
from rich.table import Table
from wrk import build_pool, ensure_wrk, resend, run_wrk

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
#: the libraries whose versions move the figures
PACKAGES = ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "pydantic", "sqlalchemy",
            "psycopg", "asyncpg")
console = Console(width=None if sys.stdout.isatty() else 140)

#: targets from issue 9; reported, never asserted
THROUGHPUT_RATIO_MIN = 0.5
P99_RATIO_MAX = 2.0


# -- one measured run ------------------------------------------------------------------------


def measure(server: Server, *, connections: int, args: argparse.Namespace, engine: Any,
            pgdata: Path, pool: list[str], pool_file: Path, scratch: Path, nonce: str,
            token: str) -> dict[str, Any]:
    """Warm-up, then the measured wrk run, then the row checks and the retries."""
    tag = f"{server.name[0]}{connections}-{nonce}"
    wrk_options = {"connections": connections, "threads": args.threads,
                   "timeout": args.timeout, "pool_file": pool_file, "scratch": scratch,
                   "token": token}
    warmup = None
    if args.warmup > 0:
        with console.status(f"{server.name} @ {connections}: warm-up {args.warmup:g} s"):
            warm = run_wrk(server.url, prefix=f"{ID_ROOT}w{tag}-", seconds=args.warmup,
                           **wrk_options)
        warmup = {"seconds": args.warmup, "requests": warm["requests"],
                  "p99_ms": round(warm["latency_us"]["p99"] / 1000, 2)}
    reset_records(engine)
    quiet = wait_for_quiet(args.quiet_wait) if args.quiet_wait > 0 else None

    prefix = f"{ID_ROOT}{tag}-"
    load_before = load_average()
    machine_before = machine_busy_seconds()
    app_before = cpu_times(server.processes())
    pg_before = cpu_times(postgres_processes(pgdata))
    sessions_before = sessions(engine)
    with console.status(f"{server.name} @ {connections} connections: {args.duration:g} s"):
        summary = run_wrk(server.url, prefix=prefix, seconds=args.duration, **wrk_options)
    app_cpu = cpu_delta(app_before, cpu_times(server.processes()))
    pg_cpu = cpu_delta(pg_before, cpu_times(postgres_processes(pgdata)))
    machine_cpu = machine_busy_seconds() - machine_before

    seconds = summary["duration_us"] / 1e6
    threads = summary["threads"]
    sent = sum(t["sent"] for t in threads)
    acked = sum(t["acked"] for t in threads)
    statuses: collections.Counter[str] = collections.Counter()
    for t in threads:
        statuses.update(t["statuses"])
    errors = summary["errors"]
    non_2xx = sum(n for s, n in statuses.items() if not s.startswith("2"))
    socket_errors = errors["connect"] + errors["read"] + errors["write"] + errors["timeout"]

    # rows: every acknowledged record is stored; the rest were in flight when wrk stopped
    sent_ids = {f"{prefix}{t['tid']}-{n}" for t in threads for n in range(1, t["sent"] + 1)}
    pending = {t["tid"]: sorted(t["pending"]) for t in threads}
    pending_ids = {f"{prefix}{tid}-{n}" for tid, ns in pending.items() for n in ns}
    acked_ids = sent_ids - pending_ids
    rows, _, _ = stored_ids(engine, prefix)
    before_retry = {
        "rows": len(rows),
        "acknowledged": acked,
        "acknowledged_without_row": len(acked_ids - rows),
        "rows_not_sent": len(rows - sent_ids),
        "rows_unacknowledged": len(rows - acked_ids),
    }
    retry = resend(server.port, pool, prefix, pending, token) if pending_ids else {}
    time.sleep(1.5)  # backends report their statistics about once a second
    new_sessions = sessions(engine) - sessions_before
    rows, found_rows, point_rows = stored_ids(engine, prefix)
    retried_ok = sum(n for s, n in retry.items() if s.startswith("2"))
    acknowledged_total = acked + retried_ok
    rows_ok = (len(rows) == acknowledged_total and rows == sent_ids
               and before_retry["acknowledged_without_row"] == 0
               and before_retry["rows_not_sent"] == 0 and len(pending_ids) == sent - acked)

    latency = summary["latency_us"]
    result = {
        "server": server.name,
        "connections": connections,
        "seconds": round(seconds, 3),
        "requests": summary["requests"],
        "acknowledged_2xx": acked,
        "requests_per_second": round(acked / seconds, 1),
        "latency_ms": {k: round(v / 1000, 2) for k, v in latency.items()},
        "statuses": dict(statuses),
        "non_2xx": non_2xx,
        "socket_errors": {k: errors[k] for k in ("connect", "read", "write", "timeout")},
        "errors": non_2xx + socket_errors,
        "first_error": next((t["first_error"] for t in threads if t["first_error"]), None),
        "rows": {"before_retry": before_retry,
                 "in_flight_when_wrk_stopped": len(pending_ids),
                 "retried": retry,
                 "after_retry": len(rows),
                 "acknowledged_total": acknowledged_total,
                 "found": found_rows, "with_point": point_rows,
                 "ok": rows_ok},
        "cpu_seconds": {"app": round(app_cpu, 2), "postgres": round(pg_cpu, 2),
                        "wrk": summary["wrk_cpu_seconds"], "machine": round(machine_cpu, 2),
                        # whatever else ran meanwhile (other people's work, the kernel)
                        "other": round(machine_cpu - app_cpu - pg_cpu
                                       - summary["wrk_cpu_seconds"], 2),
                        "available": round(seconds * (os.cpu_count() or 1), 2)},
        "cpu_ms_per_request": {
            "app": round(1000 * app_cpu / max(acked, 1), 3),
            "postgres": round(1000 * pg_cpu / max(acked, 1), 3),
            "wrk": round(1000 * summary["wrk_cpu_seconds"] / max(acked, 1), 3)},
        # connections opened to the database during the run and its checks (the bench's
        # own few included): a pool that opens and closes connections under load shows here
        "new_db_sessions": new_sessions,
        "load_average_1m": {"before": load_before, "after": load_average()},
        "warmup": warmup,
        "quiet_before": quiet,
        "wrk": {"command": summary["command"], "text": summary["text"],
                "stdout": summary["stdout"]},
    }
    console.print(
        f"  {server.name:>8} @ {connections:>2}: [bold]{result['requests_per_second']:8.1f}"
        f" req/s[/]  p50 {result['latency_ms']['p50']:7.2f} ms  p99 "
        f"{result['latency_ms']['p99']:7.2f} ms  errors {result['errors']}  rows "
        f"{len(rows)} = acked {acknowledged_total} "
        f"({len(pending_ids)} in flight at stop, resent): "
        + ("[green]ok[/]" if rows_ok else "[red]MISMATCH[/]")
        + f"  other CPU {result['cpu_seconds']['other']:.1f} s")
    return result


# -- the run ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0,
                        help="seconds per measured run (default 30)")
    parser.add_argument("--warmup", type=float, default=5.0,
                        help="seconds of warm-up before each measured run (default 5; 0: none)")
    parser.add_argument("--connections", type=lambda s: [int(x) for x in s.split(",")],
                        default=[8, 32], help="comma-separated concurrencies (default 8,32)")
    parser.add_argument("--threads", type=int, default=1,
                        help="wrk threads (default 1: the load generator needs little CPU, "
                        "and the 2 cores are the servers')")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="wrk's per-request timeout in seconds (default 30)")
    parser.add_argument("--workers", type=int, default=2, help="workers per server (default 2)")
    parser.add_argument("--bare-pool", type=int, default=10,
                        help="asyncpg pool size per bare worker (default 10)")
    parser.add_argument("--scale", default="medium", help="county scale (default medium)")
    parser.add_argument("--seed", type=int, default=1, help="county and body seed (default 1)")
    parser.add_argument("--pool", type=int, default=5000,
                        help="distinct body templates (default 5000)")
    parser.add_argument("--found-share", type=float, default=0.1,
                        help="share of bodies with a dispute found (default 0.1)")
    parser.add_argument("--diagnose", choices=("auto", "always", "never"), default="auto",
                        help="pg_stat_statements + py-spy runs afterwards: when gridrisk "
                        "misses a target (auto, default), always or never")
    parser.add_argument("--diagnose-seconds", type=float, default=15.0,
                        help="seconds per diagnostic run (default 15)")
    parser.add_argument("--quiet-wait", type=float, default=180.0,
                        help="before each measured run, wait up to this many seconds for the "
                        "machine to be < 15 %% busy (default 180; 0: don't wait)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the scratch folder and stop (not destroy) the cluster")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "http_ingest.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    ensure_wrk()
    from sqlalchemy import create_engine

    from gridrisk.bundle.service import import_bundle
    from gridrisk.db.engine import upgrade_to_head
    from gridrisk.privacy.vault import Vault
    from gridrisk.synthetic import generate_bundle

    console.rule(f"http ingest bench: gridrisk serve vs bare FastAPI + asyncpg, "
                 f"{'/'.join(map(str, args.connections))} connections × {args.duration:g} s")
    nonce = os.urandom(3).hex()
    results: dict[str, Any] = {
        "bench": "http_ingest", "scale": args.scale, "seed": args.seed,
        "duration_seconds": args.duration, "warmup_seconds": args.warmup,
        "connections": args.connections, "wrk_threads": args.threads,
        "workers": args.workers, "bare_pool_per_worker": args.bare_pool,
        "machine": machine(),
        "code": {**code_state(PACKAGES, "gridrisk", "api"), "asyncpg": asyncpg.__version__},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    with bench_cluster("gridrisk-httpbench-", keep=args.keep) as (scratch, cluster):
        engine = None
        servers: dict[str, Server] = {}
        previous_sigterm = None
        if threading_is_main():
            previous_sigterm = signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            with console.status("start the embedded cluster (durable)"):
                cluster.start()
            engine = create_engine(cluster.url)
            upgrade_to_head(engine)
            county = scratch / "county"
            start = time.perf_counter()
            with console.status(f"generate and import the {args.scale} county"):
                counts = generate_bundle(county, seed=args.seed, scale=args.scale)
                with engine.begin() as conn:
                    import_bundle(conn, county, vault=Vault(scratch / "secret.key"))
            token = bench_token(engine)
            codes, geoms = load_cells(engine)
            pool = build_pool(codes, geoms, args.pool, args.found_share, args.seed)
            pool_file = scratch / "bodies.txt"
            pool_file.write_text("\n".join(pool) + "\n", encoding="utf-8")
            results["setup"] = {"county_seconds": round(time.perf_counter() - start, 1),
                                "county_counts": counts, "cells": len(codes),
                                "body_templates": len(pool),
                                "found_templates": sum('"found":true' in b for b in pool)}
            console.print(f"  {args.scale} county: {len(codes):,} cells; {len(pool):,} body "
                          f"templates ({results['setup']['found_templates']:,} found a dispute)")

            servers = {
                "gridrisk": gridrisk_server(cluster.url, scratch / "gridrisk-data", free_port(),
                                            args.workers, scratch / "gridrisk.log"),
                "bare": bare_server(cluster.url, free_port(), args.workers, args.bare_pool,
                                    scratch / "bare.log"),
            }
            for server in servers.values():
                with console.status(f"start {server.name} ({args.workers} workers)"):
                    server.start()
                console.print(f"  {server.name} up on {server.url} in {server.start_seconds:.1f} s")
            results["server_start_seconds"] = {n: round(s.start_seconds or 0, 1)
                                               for n, s in servers.items()}

            runs: list[dict[str, Any]] = []
            for i, connections in enumerate(args.connections):
                order = SERVERS if i % 2 == 0 else SERVERS[::-1]
                for name in order:
                    runs.append(measure(servers[name], connections=connections, args=args,
                                        engine=engine, pgdata=cluster.pgdata, pool=pool,
                                        pool_file=pool_file, scratch=scratch, nonce=nonce,
                                        token=token))
            results["runs"] = runs
            results["comparison"] = compare(runs, args.connections)
            results["targets"] = targets(results)
            missed = not all(v for k, v in results["targets"].items() if k.endswith("_ok"))
            if args.diagnose == "always" or (args.diagnose == "auto" and missed):
                results["diagnosis"] = diagnose(servers, cluster=cluster, engine=engine, args=args,
                                                pool_file=pool_file, scratch=scratch, nonce=nonce,
                                                token=token)
        finally:
            for server in servers.values():
                server.stop()
            if engine is not None:
                engine.dispose()
            if previous_sigterm is not None:
                signal.signal(signal.SIGTERM, previous_sigterm)


    results["headline"] = headline(results)
    write_results(args.out, results)
    show(results)
    console.print(f"results: {args.out}")
    return results


def threading_is_main() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def compare(runs: list[dict[str, Any]], concurrencies: list[int]) -> dict[str, Any]:
    out = {}
    for connections in concurrencies:
        by = {r["server"]: r for r in runs if r["connections"] == connections}
        g, b = by["gridrisk"], by["bare"]
        out[str(connections)] = {
            "throughput_ratio": round(g["requests_per_second"] / b["requests_per_second"], 3),
            "p99_ratio": round(g["latency_ms"]["p99"] / b["latency_ms"]["p99"], 3),
            "p50_ratio": round(g["latency_ms"]["p50"] / b["latency_ms"]["p50"], 3),
            "app_cpu_per_request_ratio": round(
                g["cpu_ms_per_request"]["app"] / max(b["cpu_ms_per_request"]["app"], 1e-9), 2),
            "postgres_cpu_per_request_ratio": round(
                g["cpu_ms_per_request"]["postgres"]
                / max(b["cpu_ms_per_request"]["postgres"], 1e-9), 2),
        }
    return out


def targets(results: dict[str, Any]) -> dict[str, Any]:
    comparison = results["comparison"]
    gridrisk_runs = [r for r in results["runs"] if r["server"] == "gridrisk"]
    return {
        "throughput_ratio_min": THROUGHPUT_RATIO_MIN,
        "throughput_ok": all(c["throughput_ratio"] >= THROUGHPUT_RATIO_MIN
                             for c in comparison.values()),
        "p99_ratio_max": P99_RATIO_MAX,
        "p99_ok": all(c["p99_ratio"] <= P99_RATIO_MAX for c in comparison.values()),
        "errors_ok": all(r["errors"] == 0 for r in gridrisk_runs),
        "rows_ok": all(r["rows"]["ok"] for r in results["runs"]),
    }


def headline(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The figures a summary table shows: metric, value, unit, target, ok."""
    rows: list[dict[str, Any]] = []
    for connections, c in results["comparison"].items():
        by = {r["server"]: r for r in results["runs"] if str(r["connections"]) == connections}
        for name in SERVERS:
            run = by[name]
            rows.append({"metric": f"{name} @ {connections}: throughput",
                         "value": run["requests_per_second"], "unit": "req/s"})
            rows.append({"metric": f"{name} @ {connections}: p50 / p99",
                         "value": f"{run['latency_ms']['p50']:.1f} / "
                         f"{run['latency_ms']['p99']:.1f}", "unit": "ms"})
        rows.append({"metric": f"gridrisk / bare @ {connections}: throughput",
                     "value": c["throughput_ratio"], "unit": "×",
                     "target": f"≥ {THROUGHPUT_RATIO_MIN:g}",
                     "ok": c["throughput_ratio"] >= THROUGHPUT_RATIO_MIN})
        rows.append({"metric": f"gridrisk / bare @ {connections}: p99", "value": c["p99_ratio"],
                     "unit": "×", "target": f"≤ {P99_RATIO_MAX:g}",
                     "ok": c["p99_ratio"] <= P99_RATIO_MAX})
    gridrisk_errors = sum(r["errors"] for r in results["runs"] if r["server"] == "gridrisk")
    bare_errors = sum(r["errors"] for r in results["runs"] if r["server"] == "bare")
    rows.append({"metric": "gridrisk errors (non-2xx + socket)", "value": gridrisk_errors,
                 "unit": "", "target": "0", "ok": gridrisk_errors == 0})
    rows.append({"metric": "bare errors (non-2xx + socket)", "value": bare_errors, "unit": ""})
    rows.append({"metric": "rows = acknowledged, every run",
                 "value": sum(r["rows"]["after_retry"] for r in results["runs"]),
                 "unit": "rows", "ok": results["targets"]["rows_ok"]})
    return rows


def show(results: dict[str, Any]) -> None:
    table = Table(title=f"http ingest: {results['workers']} workers each, "
                  f"{results['duration_seconds']:g} s per run, {results['scale']} county")
    for column in ("conns", "server", "req/s", "p50 ms", "p99 ms", "max ms", "errors",
                   "rows = acked", "app CPU ms/req", "pg CPU ms/req", "other CPU s"):
        table.add_column(column, justify="left" if column == "server" else "right")
    for run in sorted(results["runs"], key=lambda r: (r["connections"], r["server"] != "gridrisk")):
        rows = run["rows"]
        table.add_row(
            str(run["connections"]), run["server"], f"{run['requests_per_second']:,.1f}",
            f"{run['latency_ms']['p50']:.2f}", f"{run['latency_ms']['p99']:.2f}",
            f"{run['latency_ms']['max']:.1f}", str(run["errors"]),
            f"{rows['after_retry']:,} = {rows['acknowledged_total']:,} "
            + ("[green]ok[/]" if rows["ok"] else "[red]no[/]"),
            f"{run['cpu_ms_per_request']['app']:.2f}",
            f"{run['cpu_ms_per_request']['postgres']:.2f}",
            f"{run['cpu_seconds']['other']:.1f}")
    console.print(table)
    ratios = Table(title="gridrisk / bare (same run, same machine)")
    for column in ("conns", "throughput", "target", "p99", "target", "p50",
                   "app CPU/req", "pg CPU/req"):
        ratios.add_column(column, justify="right")
    for connections, c in results["comparison"].items():
        ratios.add_row(
            connections, f"{c['throughput_ratio']:.2f}×",
            _verdict(c["throughput_ratio"] >= THROUGHPUT_RATIO_MIN, f"≥ {THROUGHPUT_RATIO_MIN}"),
            f"{c['p99_ratio']:.2f}×", _verdict(c["p99_ratio"] <= P99_RATIO_MAX,
                                               f"≤ {P99_RATIO_MAX:g}"),
            f"{c['p50_ratio']:.2f}×", f"{c['app_cpu_per_request_ratio']:.2f}×",
            f"{c['postgres_cpu_per_request_ratio']:.2f}×")
    console.print(ratios)
    diagnosis = results.get("diagnosis")
    if diagnosis:
        show_diagnosis(diagnosis)


def _verdict(ok: bool, target: str) -> str:
    return f"{target} " + ("[green]yes[/]" if ok else "[red]no[/]")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        console.print("[red]interrupted[/]")
        raise SystemExit(130) from None
