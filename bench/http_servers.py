"""The servers the HTTP ingest bench measures (uvicorn in process groups of their own) and the
CPU they, PostgreSQL and the machine spend."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from rich.console import Console

BENCH_DIR = Path(__file__).resolve().parent
#: the two servers every run compares
SERVERS = ("gridrisk", "bare")
console = Console()


def free_port() -> int:
    from gridrisk.db.embedded import free_loopback_port

    return free_loopback_port()


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


def variant_server(name: str, url: str, data_dir: Path, port: int, workers: int, log: Path,
                   *, async_pool: int, gc_freeze: bool) -> Server:
    """gridrisk's code served another way (bench/gridrisk_variant_app.py)."""
    env = {**os.environ, "GRIDRISK_DATABASE_URL": url, "GRIDRISK_DATA_DIR": str(data_dir),
           "VARIANT_ASYNC_POOL": str(async_pool), "VARIANT_GC_FREEZE": "1" if gc_freeze else "0"}
    command = [sys.executable, "-m", "uvicorn", "gridrisk_variant_app:app_factory", "--factory",
               "--app-dir", str(BENCH_DIR), "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--log-level", "warning"]
    return Server(name, command, env, port, log, workers)


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
