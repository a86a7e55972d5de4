"""When gridrisk misses a target of the HTTP ingest bench: statements per request
(pg_stat_statements), new connections, py-spy profiles of gridrisk's workers, and what-if
runs of gridrisk's app with other pool settings. Short runs, never the figures."""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from http_records import ID_ROOT, reset_records, sessions
from http_servers import (
    SERVERS,
    Server,
    cpu_delta,
    cpu_times,
    free_port,
    variant_server,
    wait_for_quiet,
)
from rich.console import Console
from rich.table import Table
from wrk import run_wrk

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
console = Console(width=None if sys.stdout.isatty() else 140)


def enable_pg_stat_statements(cluster: Any, engine: Any) -> Any:
    """Restart the cluster with pg_stat_statements; returns a new engine (the cluster may
    come back on another port)."""
    from sqlalchemy import create_engine, text

    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"))
    engine.dispose()
    cluster.stop()
    cluster.start()
    engine = create_engine(cluster.url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
    return engine


def statements(engine: Any, requests: int) -> list[dict[str, Any]]:
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT query, calls, total_exec_time, mean_exec_time, rows
            FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND query NOT ILIKE '%pg_stat_statements%'
            ORDER BY calls DESC""")).all()
    out = []
    for query, calls, total, mean, nrows in rows:
        if calls < requests * 0.05:
            continue
        out.append({"statement": " ".join(query.split())[:200], "calls": calls,
                    "per_request": round(calls / max(requests, 1), 3),
                    "mean_ms": round(mean, 3),
                    "ms_per_request": round(total / max(requests, 1), 3), "rows": nrows})
    return out


#: a frame in py-spy's raw output: "function (path:line)"
_FRAME = re.compile(r"^(?P<name>.*) \((?P<path>.*?)(?::(?P<line>\d+))?\)$")
#: where the project's own code lives, as paths in the profile (and the what-if app's)
_PROJECT = ("gridrisk/", "api/", "gridrisk_variant_app.py")
_LIBRARY_ROOTS = ("site-packages/", "/work/main/", "lib/python3.11/")


def _short(path: str) -> str:
    for marker in _LIBRARY_ROOTS:
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def _frames(stack: str) -> list[tuple[str, str, str]]:
    """(name, short path, line) per frame, outermost first, without py-spy's process
    frames (whose command lines may hold ';')."""
    while stack.startswith("process "):
        end = stack.find('";')
        if end < 0:
            return []
        stack = stack[end + 2:]
    out = []
    for frame in stack.split(";"):
        match = _FRAME.match(frame)
        if match:
            out.append((match["name"], _short(match["path"]), match["line"] or ""))
        else:
            out.append((frame, "", ""))
    return out


def summarise_profile(raw: Path) -> dict[str, Any]:
    """py-spy's raw stacks of the workers' threads. py-spy leaves out threads the OS has
    asleep, so a sample is a thread running or waiting for a CPU (on 2 busy cores, often the
    latter: a thread woken from its wait for PostgreSQL or for a queue still needs a core).
    Samples are sorted into: threadpool threads without a request (in their queue's wait),
    the event loop (in native code: uvloop I/O, httptools, epoll; or in Python), threads
    handling a request, and the event loop running an async endpoint (a stack through the
    project's code). Each request sample is charged to the deepest frame of the project's
    own code (with its line: which statement of record_screening, say), and the part in
    the driver (psycopg's wait; asyncpg, mostly its socket writes) is counted apart."""
    kinds: collections.Counter[str] = collections.Counter()
    phases: collections.Counter[str] = collections.Counter()
    phase_wait: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    loop_python: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = _frames(stack)
        if not frames:
            continue
        total += count
        names = [f"{name} ({path})" for name, path, _ in frames]
        leaf_name, leaf_path, _ = frames[-1]
        in_threadpool = any(n.startswith("WorkerThread.run") for n in names)
        if in_threadpool and leaf_name in ("Condition.wait", "Queue.get"):
            kinds["threadpool thread idle"] += count
            continue
        handling = in_threadpool or any(f[1].startswith(_PROJECT) for f in frames)
        if not handling:
            if leaf_name in ("Runner.run", "run_until_complete", "BaseEventLoop.run_forever"):
                kinds["event loop in native code (uvloop I/O, httptools, idle wait)"] += count
            else:
                kinds["event loop running Python"] += count
                loop_python[f"{leaf_name} ({leaf_path})"] += count
            continue
        kinds["threadpool thread handling a request" if in_threadpool
              else "event loop handling a request (async endpoint)"] += count
        for key in set(names):
            inclusive[key] += count
        own = [f for f in frames if f[1].startswith(_PROJECT)]
        if own:
            name, path, lineno = own[-1]
            phase = f"{name} ({path}:{lineno})"
        else:
            framework = [f for f in frames if f[1].split("/", 1)[0] in
                         ("fastapi", "starlette", "pydantic", "anyio")]
            phase = (f"{framework[-1][0]} ({framework[-1][1]})" if framework
                     else f"{leaf_name} ({leaf_path})")
        phases[phase] += count
        if (leaf_path.startswith("psycopg/") and "wait" in leaf_name.lower()) or (
                leaf_path.startswith("asyncpg/")):
            phase_wait[phase] += count
    request = (kinds["threadpool thread handling a request"]
               + kinds["event loop handling a request (async endpoint)"])
    generic = ("threading.py", "anyio/", "contextlib.py", "<sqlalchemy generated")
    return {
        "samples": total,
        "kinds": {k: round(v / max(total, 1), 3) for k, v in kinds.most_common()},
        "request_samples": request,
        "request_phases": [
            {"frame": k, "share": round(v / max(request, 1), 3),
             "waiting_on_postgres": round(phase_wait[k] / max(request, 1), 3)}
            for k, v in phases.most_common(15)],
        "request_waiting_on_postgres": round(sum(phase_wait.values()) / max(request, 1), 3),
        "request_inclusive": [
            {"frame": k, "share": round(v / max(request, 1), 3)}
            for k, v in inclusive.most_common(60)
            if not any(g in k for g in generic)][:30],
        "event_loop_python": [
            {"frame": k, "share": round(v / max(total, 1), 3)}
            for k, v in loop_python.most_common(10)],
    }


#: what-if runs of gridrisk's own app (bench/gridrisk_variant_app.py): POST /screenings's
#: asyncpg pool smaller or larger than gridrisk's (gridrisk.db.engine.ASYNC_POOL_SIZE, 10 per
#: worker), and the worker without gc.freeze() after start-up (api/app.py), so that the
#: collector's full passes walk every object the imports built
VARIANTS = {
    "gridrisk-apool5": {"async_pool": 5, "gc_freeze": True},
    "gridrisk-apool20": {"async_pool": 20, "gc_freeze": True},
    "gridrisk-nofreeze": {"async_pool": 10, "gc_freeze": False},
}


def diagnose(servers: dict[str, Server], *, cluster: Any, engine: Any, args: argparse.Namespace,
             pool_file: Path, scratch: Path, nonce: str, token: str) -> dict[str, Any]:
    """Statements per request (pg_stat_statements) and new connections for both servers and
    for gridrisk's app with other pool settings (VARIANTS), and py-spy profiles of the
    gridrisk workers, in short runs at each concurrency. Not part of the figures: the
    profiler and the statement statistics cost time of their own."""
    from sqlalchemy import text

    console.rule("diagnosis: pg_stat_statements, py-spy, pool what-ifs (short runs, "
                 "not the figures)")
    for server in servers.values():
        server.stop()
    engine = enable_pg_stat_statements(cluster, engine)
    for server in servers.values():
        server.env = {**server.env, "GRIDRISK_DATABASE_URL": cluster.url,
                      "BARE_DATABASE_URL": cluster.url}
    candidates = dict(servers)
    for name, options in VARIANTS.items():
        candidates[name] = variant_server(name, cluster.url, scratch / "gridrisk-data",
                                          free_port(), args.workers, scratch / f"{name}.log",
                                          **options)
    found: dict[str, Any] = {"seconds": args.diagnose_seconds, "variants": VARIANTS,
                             "runs": []}
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    for server in candidates.values():
        with console.status(f"start {server.name}"):
            server.start()
        try:
            for connections in args.connections:
                found["runs"].append(diagnostic_run(
                    server, connections, engine=engine, args=args, pool_file=pool_file,
                    scratch=scratch, nonce=nonce, token=token, py_spy=py_spy, reset_stats=text(
                        "SELECT pg_stat_statements_reset()")))
        finally:
            if server.name in VARIANTS:
                server.stop()
    reset_records(engine)
    engine.dispose()
    return found


def diagnostic_run(server: Server, connections: int, *, engine: Any, args: argparse.Namespace,
                   pool_file: Path, scratch: Path, nonce: str, token: str, py_spy: str,
                   reset_stats: Any) -> dict[str, Any]:
    options = {"connections": connections, "threads": args.threads, "timeout": args.timeout,
               "pool_file": pool_file, "scratch": scratch, "token": token}
    tag = f"{server.name[0]}{len(server.name)}x{connections}-{nonce}"
    run_wrk(server.url, prefix=f"{ID_ROOT}wd{tag}-", seconds=3, **options)
    reset_records(engine)
    if args.quiet_wait > 0:
        wait_for_quiet(min(args.quiet_wait, 60.0))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(reset_stats)
    sessions_before = sessions(engine)
    spy = None
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    raw = OUT_DIR / f"http-ingest-{server.name}-{connections}-pyspy.txt"
    if server.name.startswith("gridrisk") and Path(py_spy).exists() and server.proc:
        spy = subprocess.Popen(
            [py_spy, "record", "--pid", str(server.proc.pid), "--subprocesses",
             "--duration", str(max(int(args.diagnose_seconds) - 2, 1)), "--rate", "100",
             "--nonblocking", "--format", "raw", "--output", str(raw)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(1)
    label = (f"{server.name} @ {connections}: {args.diagnose_seconds:g} s with "
             "pg_stat_statements" + (" and py-spy" if spy else ""))
    app_before = cpu_times(server.processes())
    with console.status(label):
        summary = run_wrk(server.url, prefix=f"{ID_ROOT}d{tag}-",
                          seconds=args.diagnose_seconds, **options)
    app_cpu = cpu_delta(app_before, cpu_times(server.processes()))
    acked = sum(t["acked"] for t in summary["threads"])
    errors = summary["errors"]
    entry: dict[str, Any] = {
        "server": server.name, "connections": connections,
        "requests_per_second": round(acked / (summary["duration_us"] / 1e6), 1),
        "p50_ms": round(summary["latency_us"]["p50"] / 1000, 2),
        "p99_ms": round(summary["latency_us"]["p99"] / 1000, 2),
        "acknowledged": acked,
        "app_cpu_ms_per_request": round(1000 * app_cpu / max(acked, 1), 3),
        "errors": summary["requests"] - acked + sum(errors[k] for k in (
            "connect", "read", "write", "timeout")),
        "statements": statements(engine, acked),
    }
    time.sleep(1.5)  # backends report their statistics about once a second
    entry["new_db_sessions"] = sessions(engine) - sessions_before
    entry["statements_per_request"] = round(
        sum(s["per_request"] for s in entry["statements"]), 2)
    entry["server_ms_per_request"] = round(
        sum(s["ms_per_request"] for s in entry["statements"]), 3)
    if spy is not None:
        _, err = spy.communicate(timeout=60)
        entry["py_spy"] = ({"raw": str(raw.relative_to(BENCH_DIR.parent)),
                            **summarise_profile(raw)} if raw.exists()
                           else {"error": err[-500:]})
    console.print(f"  {server.name} @ {connections}: {entry['requests_per_second']} req/s, "
                  f"p99 {entry['p99_ms']} ms, app CPU {entry['app_cpu_ms_per_request']} ms/req, "
                  f"{entry['statements_per_request']} statements "
                  f"per request ({entry['server_ms_per_request']} ms), "
                  f"{entry['new_db_sessions']} new DB sessions")
    return entry


def show_diagnosis(diagnosis: dict[str, Any]) -> None:
    runs = diagnosis["runs"]
    summary = Table(title=f"diagnosis runs ({diagnosis['seconds']:g} s each, with "
                    "pg_stat_statements; py-spy on the gridrisk ones): not the figures")
    for column in ("server", "conns", "req/s", "p50 ms", "p99 ms", "errors", "app CPU ms/req",
                   "statements/req", "stmt ms/req", "new DB sessions"):
        summary.add_column(column, justify="left" if column == "server" else "right")
    for run in runs:
        summary.add_row(run["server"], str(run["connections"]),
                        f"{run['requests_per_second']:,.1f}", f"{run['p50_ms']:.1f}",
                        f"{run['p99_ms']:.1f}", str(run["errors"]),
                        f"{run['app_cpu_ms_per_request']:.2f}",
                        f"{run['statements_per_request']:.2f}",
                        f"{run['server_ms_per_request']:.3f}", str(run["new_db_sessions"]))
    console.print(summary)
    lowest = min(r["connections"] for r in runs)
    stmts = Table(title=f"statements per request at {lowest} connections (pg_stat_statements; "
                  "the pool's pre-ping is an empty query, which it does not count)")
    stmts.add_column("server", no_wrap=True)
    stmts.add_column("per req", justify="right")
    stmts.add_column("mean ms", justify="right")
    stmts.add_column("statement", overflow="ellipsis", no_wrap=True, max_width=90)
    for run in runs:
        if run["connections"] != lowest or run["server"] not in SERVERS:
            continue
        for s in run["statements"][:10]:
            stmts.add_row(run["server"], f"{s['per_request']:.2f}", f"{s['mean_ms']:.3f}",
                          s["statement"])
        stmts.add_section()
    console.print(stmts)
    for run in runs:
        spy = run.get("py_spy") or {}
        if not spy.get("request_phases"):
            continue
        kinds = ", ".join(f"{k} {v:.0%}" for k, v in spy["kinds"].items())
        prof = Table(title=f"{run['server']} @ {run['connections']}: where request threads' "
                     f"time goes (py-spy, {spy['request_samples']:,} of {spy['samples']:,} "
                     f"samples; {spy['request_waiting_on_postgres']:.0%} in the driver)",
                     caption=kinds)
        prof.add_column("share", justify="right")
        prof.add_column("in the driver", justify="right")
        prof.add_column("deepest gridrisk/api frame", overflow="ellipsis", no_wrap=True,
                        max_width=90)
        for row in spy["request_phases"][:8]:
            prof.add_row(f"{row['share']:.0%}", f"{row['waiting_on_postgres']:.0%}",
                         row["frame"])
        console.print(prof)
