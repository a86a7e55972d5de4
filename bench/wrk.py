"""The HTTP ingest bench's load generator: wrk with bench/http_ingest.lua, posting screening
records from a pool of body templates, and the retries a phone would send."""

from __future__ import annotations

import collections
import http.client
import json
import os
import re
import resource
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
from common import points_in_cells
from rich.console import Console

LUA_SCRIPT = Path(__file__).resolve().parent / "http_ingest.lua"
#: wrk's template index for request n of thread t is (n + TEMPLATE_STRIDE t) mod pool size
TEMPLATE_STRIDE = 997
SEVERITIES = ["low", "medium", "high"]
OUTCOMES = ["resolved_on_site", "mediating", "referred"]
console = Console()


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


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime

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
            timeout: float, pool_file: Path, scratch: Path, token: str) -> dict[str, Any]:
    """One wrk run; its own summary (done() in the Lua script) plus the parsed text."""
    result_file = scratch / f"wrk-{prefix.strip('-')}.json"
    result_file.unlink(missing_ok=True)
    env = {**os.environ, "HB_POOL": str(pool_file), "HB_PREFIX": prefix,
           "HB_RESULT": str(result_file), "HB_TOKEN": token}
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


def resend(port: int, pool: list[str], prefix: str, pending: dict[int, list[int]],
           token: str) -> dict[str, int]:
    """Send the unacknowledged requests again, one by one, as a client retrying would."""
    statuses: collections.Counter[str] = collections.Counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        for tid, numbers in pending.items():
            for n in numbers:
                conn.request("POST", "/screenings",
                             request_body(pool, prefix, tid, n).encode(),
                             {"Content-Type": "application/json",
                              "Authorization": f"Bearer {token}"})
                answer = conn.getresponse()
                answer.read()
                statuses[str(answer.status)] += 1
    finally:
        conn.close()
    return dict(statuses)
