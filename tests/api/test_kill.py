"""The service killed with SIGKILL, twice, while 1,000 screening records are sent by a signed-in
grid worker, each retried with its own id until it is acknowledged: every acknowledged record
is stored once, with one audit entry, and nothing is lost."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import Engine, text

from ..accounts import bearer, grant
from ..bundle.conftest import CELL_AN, CELL_AS
from .test_live import committed  # noqa: F401  (a fixture)

pytestmark = pytest.mark.slow

RECORDS = 1000
KILL_AFTER = (250, 600)  # acknowledged records
SENDERS = 8
#: seconds a record may take to be acknowledged, restarts included
PATIENCE = 120


class Server:
    """gridrisk's app under uvicorn in a process of its own (its own group, so that the kill
    reaches only what this test started)."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "api.app:app_from_environment", "--factory",
                 "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
                env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=2).status_code:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"the server did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(20)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_kill_9_during_1000_submissions_loses_and_doubles_nothing(
        committed: Engine, tmp_path: Path) -> None:  # noqa: F811
    worker = "W-kill"
    token = grant(committed, "worker", [CELL_AS, CELL_AN], name=worker)
    env = {**os.environ, "GRIDRISK_DATABASE_URL": committed.url.render_as_string(
        hide_password=False), "GRIDRISK_DATA_DIR": str(tmp_path / "data")}
    server = Server(env, free_port(), tmp_path / "server.log")
    base = f"http://127.0.0.1:{server.port}"
    acknowledged: list[str] = []
    lock = threading.Lock()
    kills: list[int] = []
    retries = [0]

    def send(n: int) -> None:
        record = {"record_id": f"KILL-{n:04d}", "screened_at": "2026-09-01T09:00:00+08:00",
                  "worker": worker, "cell_code": CELL_AS if n % 2 else CELL_AN,
                  "found": False}
        deadline = time.monotonic() + PATIENCE
        with httpx.Client(base_url=base, headers=bearer(token), timeout=10) as client:
            while time.monotonic() < deadline:
                try:
                    response = client.post("/screenings", json=record)
                except httpx.TransportError:
                    response = None
                if response is not None and response.status_code == 201:
                    with lock:
                        acknowledged.append(record["record_id"])
                    return
                with lock:
                    retries[0] += 1
                time.sleep(0.2)  # down, or answering 503 while it comes back: again

    def killer() -> None:
        for after in KILL_AFTER:
            while len(acknowledged) < after:
                time.sleep(0.01)
            server.kill()
            kills.append(len(acknowledged))
            server.start()

    server.start()
    try:
        killing = threading.Thread(target=killer)
        killing.start()
        with ThreadPoolExecutor(SENDERS) as pool:
            list(pool.map(send, range(RECORDS)))
        killing.join(PATIENCE)
    finally:
        server.stop()

    with committed.connect() as conn:
        stored = dict(conn.execute(text(
            "SELECT record_id, count(*) FROM screening_records WHERE record_id LIKE 'KILL-%'"
            " GROUP BY record_id")).all())
        audited = dict(conn.execute(text(
            "SELECT target, count(*) FROM audit_log WHERE action = 'record_screening'"
            " AND target LIKE 'KILL-%' GROUP BY target")).all())
    print(f"kill -9 at {kills} acknowledged; {len(acknowledged)} acknowledged, "
          f"{retries[0]} retries, {len(stored)} stored")
    assert len(kills) == len(KILL_AFTER)
    assert len(acknowledged) == len(set(acknowledged)) == RECORDS
    assert set(stored) == set(acknowledged)
    assert set(stored.values()) == {1}
    assert audited == stored  # the entry commits with its record, never alone or twice
