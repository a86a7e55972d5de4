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
import contextlib
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
from common import code_state, load_cells, points_in_cells
from rich.console import Console
from rich.table import Table

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
#: the libraries whose versions move the figures
PACKAGES = ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "pydantic", "sqlalchemy",
            "psycopg", "asyncpg")
LUA_SCRIPT = BENCH_DIR / "http_ingest.lua"
console = Console(width=None if sys.stdout.isatty() else 140)

#: targets from issue 9; reported, never asserted
THROUGHPUT_RATIO_MIN = 0.5
P99_RATIO_MAX = 2.0
#: record ids of this bench start with this (warm-ups with HB-w…)
ID_ROOT = "HB-"
#: wrk's template index for request n of thread t is (n + TEMPLATE_STRIDE t) mod pool size
TEMPLATE_STRIDE = 997
SERVERS = ("gridrisk", "bare")

SEVERITIES = ["low", "medium", "high"]
OUTCOMES = ["resolved_on_site", "mediating", "referred"]


# -- small helpers ---------------------------------------------------------------------------


def reachable_scratch(prefix: str) -> Path:
    """A folder the unprivileged server user can enter (as root the server runs as postgres)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def free_port() -> int:
    from gridrisk.db.embedded import free_loopback_port

    return free_loopback_port()


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0:
        console.print("  installing wrk with apt-get …")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "wrk"]
        if subprocess.run(install, env=env, capture_output=True, check=False).returncode:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True,
                           check=False)
            subprocess.run(install, env=env, capture_output=True, check=False)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("this bench needs wrk: install it with 'apt-get install -y wrk' "
                         "(as root)")
    return found


def ensure_asyncpg() -> str:
    try:
        import asyncpg
    except ImportError as exc:
        raise SystemExit("the bare baseline needs asyncpg (a bench-only dependency): "
                         f"{sys.executable} -m pip install asyncpg") from exc
    return str(asyncpg.__version__)


# -- the request bodies ----------------------------------------------------------------------


def build_pool(codes: np.ndarray, geoms: np.ndarray, size: int, found_share: float,
               seed: int) -> list[str]:
    """Body templates: each a JSON object's members after the record_id, closing brace
    included (the wrk script puts ``{"record_id":"…",`` in front)."""
    from gridrisk.vocab import Category

    rng = np.random.default_rng(seed)
    cell = rng.integers(0, len(codes), size=size)
    found = rng.random(size) < found_share
    lon = np.full(size, np.nan)
    lat = np.full(size, np.nan)
    lon[found], lat[found] = points_in_cells(rng, geoms, cell[found])
    seconds = rng.integers(0, 365 * 86_400, size=size).astype("timedelta64[s]")
    local = np.datetime_as_string(np.datetime64("2025-01-01T00:00:00") + seconds, unit="s")
    categories = [c.value for c in Category]
    templates = []
    for i in range(size):
        body: dict[str, Any] = {"screened_at": f"{local[i]}+08:00",
                                "worker": f"GW{cell[i]:05d}", "cell_code": codes[cell[i]],
                                "found": bool(found[i])}
        if found[i]:
            body.update(category=categories[rng.integers(len(categories))],
                        severity=SEVERITIES[rng.integers(3)],
                        parties=int(min(rng.geometric(0.45), 30)),
                        lon=float(lon[i]), lat=float(lat[i]),
                        outcome=OUTCOMES[rng.integers(len(OUTCOMES))],
                        summary="排查发现矛盾纠纷，已登记")
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        templates.append(text[1:])
    return templates


def request_body(pool: list[str], prefix: str, tid: int, n: int) -> str:
    """The body wrk sent as request n (1, 2, …) of thread tid (see http_ingest.lua)."""
    return f'{{"record_id":"{prefix}{tid}-{n}",{pool[(n + TEMPLATE_STRIDE * tid) % len(pool)]}'


# -- the servers -----------------------------------------------------------------------------


class Server:
    """A uvicorn server (master + workers) in its own process group."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], port: int,
                 log: Path, workers: int) -> None:
        self.name, self.command, self.env, self.port, self.log = name, command, env, port, log
        self.expected_workers = workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.start_seconds: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        """Start and wait until /health answers and every worker has finished starting
        (each imports the app: about 10 s for gridrisk, whose first answer comes from
        whichever worker is ready first)."""
        started = time.perf_counter()
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(self.command, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}):\n"
                                   f"{self.log_tail()}")
            if self._healthy() and self._workers_idle():
                self.start_seconds = time.perf_counter() - started
                return
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} did not get ready within {timeout:.0f} s:\n"
                           f"{self.log_tail()}")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=5) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def _workers_idle(self) -> bool:
        """Every expected worker is alive and has used < 5 % of a core over half a second."""
        import psutil

        workers = self.workers()
        if len(workers) < self.expected_workers:
            return False
        try:
            for worker in workers:
                worker.cpu_percent(None)
            time.sleep(0.5)
            return all(worker.cpu_percent(None) < 5.0 for worker in workers)
        except psutil.Error:
            return False

    def processes(self) -> list[Any]:
        import psutil

        if self.proc is None or self.proc.poll() is not None:
            return []
        try:
            master = psutil.Process(self.proc.pid)
            return [master, *master.children(recursive=True)]
        except psutil.Error:
            return []

    def workers(self) -> list[Any]:
        """The worker processes: the master's children but multiprocessing's resource
        tracker (the master serves nothing itself when there are several workers)."""
        import psutil

        procs = self.processes()
        if not procs or self.expected_workers == 1:
            return procs[:1]
        try:
            children = procs[0].children()
        except psutil.Error:
            return []
        return [p for p in children if "resource_tracker" not in " ".join(_cmdline(p))]

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        # workers left behind by a master that died first share its process group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def _cmdline(proc: Any) -> list[str]:
    import psutil

    try:
        return list(proc.cmdline())
    except psutil.Error:
        return []


def gridrisk_server(url: str, data_dir: Path, port: int, workers: int, log: Path) -> Server:
    env = {**os.environ, "GRIDRISK_DATABASE_URL": url, "GRIDRISK_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "gridrisk", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers)]
    return Server("gridrisk", command, env, port, log, workers)


def bare_server(url: str, port: int, workers: int, pool_size: int, log: Path) -> Server:
    env = {**os.environ, "BARE_DATABASE_URL": url, "BARE_POOL_SIZE": str(pool_size)}
    command = [sys.executable, "-m", "uvicorn", "bare_ingest_app:app", "--app-dir",
               str(BENCH_DIR), "--host", "127.0.0.1", "--port", str(port), "--workers",
               str(workers), "--log-level", "warning"]
    return Server("bare", command, env, port, log, workers)


# -- CPU accounting --------------------------------------------------------------------------


def postgres_processes(pgdata: Path) -> list[Any]:
    import psutil

    try:
        master = psutil.Process(int((pgdata / "postmaster.pid").read_text().split()[0]))
        return [master, *master.children(recursive=True)]
    except (OSError, ValueError, psutil.Error):
        return []


def cpu_times(processes: list[Any]) -> dict[int, float]:
    """CPU seconds per process; the first (the parent: postmaster, uvicorn's master) also
    carries the CPU of its children that have exited (PostgreSQL backends of connections
    closed meanwhile), under the key -1."""
    import psutil

    seen = {}
    for i, proc in enumerate(processes):
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        seen[proc.pid] = times.user + times.system
        if i == 0:
            seen[-1] = times.children_user + times.children_system
    return seen


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two snapshots: processes alive at either, and those that
    exited meanwhile (through their parent's children times)."""
    return sum(after.values()) - sum(before.values())


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    import psutil

    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


def wait_for_quiet(max_wait: float, busy_below: float = 15.0) -> dict[str, Any]:
    """Wait (at most max_wait s) until the machine is nearly idle (other engineers' work
    would skew the run): busy < busy_below % over 2 s. Returns the wait and the level."""
    import psutil

    start = time.monotonic()
    busy = psutil.cpu_percent(interval=2)
    with console.status("waiting for the machine to be quiet") as status:
        while busy >= busy_below and time.monotonic() - start < max_wait:
            status.update(f"waiting for the machine to be quiet: {busy:.0f} % busy")
            busy = psutil.cpu_percent(interval=2)
    waited = time.monotonic() - start
    if busy >= busy_below:
        console.print(f"  [yellow]the machine is still {busy:.0f} % busy after "
                      f"{waited:.0f} s: the run shares it[/]")
    return {"waited_seconds": round(waited, 1), "busy_percent": busy}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- the load generator ----------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def parse_wrk_text(out: str) -> dict[str, Any]:
    """What wrk prints with --latency: requests/s, percentiles (ms), non-2xx, socket errors."""
    parsed: dict[str, Any] = {}
    if match := re.search(r"Requests/sec:\s+([\d.]+)", out):
        parsed["requests_per_second"] = float(match.group(1))
    match = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    if match:
        parsed["requests"] = int(match.group(1))
    for pct, value, unit in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", out,
                                       re.MULTILINE):
        parsed[f"p{pct}_ms"] = round(float(value) * _UNITS[unit], 3)
    match = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    parsed["non_2xx"] = int(match.group(1)) if match else 0
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                      out)
    parsed["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"),
                                       map(int, match.groups()), strict=True)) if match else {}
    return parsed


def run_wrk(url: str, *, prefix: str, seconds: float, connections: int, threads: int,
            timeout: float, pool_file: Path, scratch: Path) -> dict[str, Any]:
    """One wrk run; its own summary (done() in the Lua script) plus the parsed text."""
    result_file = scratch / f"wrk-{prefix.strip('-')}.json"
    result_file.unlink(missing_ok=True)
    env = {**os.environ, "HB_POOL": str(pool_file), "HB_PREFIX": prefix,
           "HB_RESULT": str(result_file), "HB_TOKEN": TOKEN["value"]}
    command = ["wrk", "-t", str(min(threads, connections)), "-c", str(connections),
               "-d", f"{seconds:g}s", "--timeout", f"{timeout:g}s", "--latency",
               "-s", str(LUA_SCRIPT), url]
    cpu_before = children_cpu()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False,
                          timeout=seconds + 120)
    wrk_cpu = children_cpu() - cpu_before
    if proc.returncode != 0 or not result_file.exists():
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr[-2000:]}"
                           f"{proc.stdout[-2000:]}")
    summary = json.loads(result_file.read_text(errors="replace"))
    summary["text"] = parse_wrk_text(proc.stdout)
    summary["stdout"] = proc.stdout
    summary["command"] = " ".join(command)
    summary["wrk_cpu_seconds"] = round(wrk_cpu, 2)
    return summary


def resend(port: int, pool: list[str], prefix: str, pending: dict[int, list[int]]
           ) -> dict[str, int]:
    """Send the unacknowledged requests again, one by one, as a client retrying would."""
    statuses: collections.Counter[str] = collections.Counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        for tid, numbers in pending.items():
            for n in numbers:
                conn.request("POST", "/screenings",
                             request_body(pool, prefix, tid, n).encode(),
                             {"Content-Type": "application/json",
                              "Authorization": f"Bearer {TOKEN['value']}"})
                answer = conn.getresponse()
                answer.read()
                statuses[str(answer.status)] += 1
    finally:
        conn.close()
    return dict(statuses)


# -- the database ----------------------------------------------------------------------------


#: the API token the requests carry (gridrisk signs every caller in; the bare app ignores it)
TOKEN = {"value": ""}


def bench_token(engine: Any) -> str:
    """A supervisor of the whole county, who may record any grid worker's screenings."""
    from datetime import timedelta

    from sqlalchemy import text

    from gridrisk.access.service import add_user, issue_token
    from gridrisk.vocab import Role, TokenKind

    with engine.begin() as conn:
        top = conn.execute(text("SELECT code FROM regions WHERE parent_code IS NULL")
                           ).scalar_one()
        add_user(conn, "bench-supervisor", role=Role.supervisor, codes=[top],
                 password="bench password, never used")
        return issue_token(conn, "bench-supervisor", kind=TokenKind.api,
                           lifetime=timedelta(days=1))


def reset_records(engine: Any) -> None:
    """Remove the bench's rows so that each run starts from the county's table, vacuumed,
    right after a checkpoint."""
    from sqlalchemy import text

    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DELETE FROM screening_records WHERE record_id LIKE '{ID_ROOT}%'"))
        conn.execute(text("VACUUM ANALYZE screening_records"))
        conn.execute(text("CHECKPOINT"))


def sessions(engine: Any) -> int:
    """Sessions established to the database so far (PostgreSQL 14+): new connections."""
    from sqlalchemy import text

    with engine.connect() as conn:
        return int(conn.execute(text("SELECT sessions FROM pg_stat_database "
                                     "WHERE datname = current_database()")).scalar_one())


def stored_ids(engine: Any, prefix: str) -> tuple[set[str], int, int]:
    """The record ids stored with this prefix, how many found a dispute, how many have a
    point."""
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT record_id, found, geom IS NOT NULL "
                                 "FROM screening_records WHERE record_id LIKE :p"),
                            {"p": prefix + "%"}).all()
    return ({r[0] for r in rows}, sum(1 for r in rows if r[1]),
            sum(1 for r in rows if r[2]))


# -- one measured run ------------------------------------------------------------------------


def measure(server: Server, *, connections: int, args: argparse.Namespace, engine: Any,
            pgdata: Path, pool: list[str], pool_file: Path, scratch: Path, nonce: str
            ) -> dict[str, Any]:
    """Warm-up, then the measured wrk run, then the row checks and the retries."""
    tag = f"{server.name[0]}{connections}-{nonce}"
    wrk_options = {"connections": connections, "threads": args.threads,
                   "timeout": args.timeout, "pool_file": pool_file, "scratch": scratch}
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
    load_before = os.getloadavg()[0]
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
    retry = resend(server.port, pool, prefix, pending) if pending_ids else {}
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
        "load_average_1m": {"before": load_before, "after": os.getloadavg()[0]},
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


# -- diagnosis -------------------------------------------------------------------------------


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


def variant_server(name: str, url: str, data_dir: Path, port: int, workers: int, log: Path,
                   *, async_pool: int, gc_freeze: bool) -> Server:
    """gridrisk's code served another way (bench/gridrisk_variant_app.py)."""
    env = {**os.environ, "GRIDRISK_DATABASE_URL": url, "GRIDRISK_DATA_DIR": str(data_dir),
           "VARIANT_ASYNC_POOL": str(async_pool), "VARIANT_GC_FREEZE": "1" if gc_freeze else "0"}
    command = [sys.executable, "-m", "uvicorn", "gridrisk_variant_app:app_factory", "--factory",
               "--app-dir", str(BENCH_DIR), "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--log-level", "warning"]
    return Server(name, command, env, port, log, workers)


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
             pool_file: Path, scratch: Path, nonce: str) -> dict[str, Any]:
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
                    scratch=scratch, nonce=nonce, py_spy=py_spy, reset_stats=text(
                        "SELECT pg_stat_statements_reset()")))
        finally:
            if server.name in VARIANTS:
                server.stop()
    reset_records(engine)
    engine.dispose()
    return found


def diagnostic_run(server: Server, connections: int, *, engine: Any, args: argparse.Namespace,
                   pool_file: Path, scratch: Path, nonce: str, py_spy: str,
                   reset_stats: Any) -> dict[str, Any]:
    options = {"connections": connections, "threads": args.threads, "timeout": args.timeout,
               "pool_file": pool_file, "scratch": scratch}
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
    asyncpg_version = ensure_asyncpg()
    from sqlalchemy import create_engine

    from gridrisk.bundle.service import import_bundle
    from gridrisk.db.embedded import EmbeddedCluster
    from gridrisk.db.engine import upgrade_to_head
    from gridrisk.synthetic import generate_bundle

    console.rule(f"http ingest bench: gridrisk serve vs bare FastAPI + asyncpg, "
                 f"{'/'.join(map(str, args.connections))} connections × {args.duration:g} s")
    scratch = reachable_scratch("gridrisk-httpbench-")
    cluster = EmbeddedCluster(scratch / "data", durable=True)
    nonce = os.urandom(3).hex()
    results: dict[str, Any] = {
        "bench": "http_ingest", "scale": args.scale, "seed": args.seed,
        "duration_seconds": args.duration, "warmup_seconds": args.warmup,
        "connections": args.connections, "wrk_threads": args.threads,
        "workers": args.workers, "bare_pool_per_worker": args.bare_pool,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "code": {**code_state(PACKAGES, "gridrisk", "api"), "asyncpg": asyncpg_version},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
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
                import_bundle(conn, county)
        TOKEN["value"] = bench_token(engine)
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
                                    pool_file=pool_file, scratch=scratch, nonce=nonce))
        results["runs"] = runs
        results["comparison"] = compare(runs, args.connections)
        results["targets"] = targets(results)
        missed = not all(v for k, v in results["targets"].items() if k.endswith("_ok"))
        if args.diagnose == "always" or (args.diagnose == "auto" and missed):
            results["diagnosis"] = diagnose(servers, cluster=cluster, engine=engine, args=args,
                                            pool_file=pool_file, scratch=scratch, nonce=nonce)
    finally:
        for server in servers.values():
            server.stop()
        if engine is not None:
            engine.dispose()
        if args.keep:
            cluster.stop()
            console.print(f"  kept {scratch}")
        else:
            cluster.destroy()
            shutil.rmtree(scratch, ignore_errors=True)
        if previous_sigterm is not None:
            signal.signal(signal.SIGTERM, previous_sigterm)

    results["headline"] = headline(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
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


def _verdict(ok: bool, target: str) -> str:
    return f"{target} " + ("[green]yes[/]" if ok else "[red]no[/]")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        console.print("[red]interrupted[/]")
        raise SystemExit(130) from None
