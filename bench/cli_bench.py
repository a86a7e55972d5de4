"""How fast the gridrisk command answers: `gridrisk --help` and `gridrisk db url`, cold and
warm, against `python -c pass` in the same run (the interpreter's own start is the floor).

    .venv/bin/python bench/cli_bench.py [--repeat 7]

Cold: the first run after the OS page cache dropped what it could (`drop_caches` needs root;
without it, the first run after a fresh byte-compile of gridrisk is the coldest we can get);
warm: the median of `--repeat` runs after that. Each figure is a wall-clock time of a whole
process, so it is what a user waits; peak RSS comes from the child's rusage."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import code_state

REPO = Path(__file__).resolve().parent.parent
GRIDRISK = Path(sys.executable).with_name("gridrisk")
TARGET_SECONDS = 0.5
#: what each measured command is, as argv
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "gridrisk --help": [str(GRIDRISK), "--help"],
    "gridrisk db url": [str(GRIDRISK), "db", "url"],
}


def drop_caches() -> bool:
    """Ask the kernel to forget cached file pages (root only); whether it could."""
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds of wall clock and MB of peak RSS of one run of `argv` (that child's own
    rusage, from wait4)."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    errors = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {errors[-500:]}")
    return seconds, usage.ru_maxrss / 1024


def measure(argv: list[str], *, repeat: int, env: dict[str, str]) -> dict[str, Any]:
    dropped = drop_caches()
    cold, _ = timed(argv, env)
    warm_runs = [timed(argv, env) for _ in range(repeat)]
    warm = statistics.median(s for s, _ in warm_runs)
    return {"cold_seconds": round(cold, 3), "warm_seconds": round(warm, 3),
            "warm_runs": [round(s, 3) for s, _ in warm_runs],
            "peak_rss_mb": round(max(mb for _, mb in warm_runs), 1),
            "caches_dropped": dropped}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="warm runs per command")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    # `db url` must not start a database: a configured URL is printed as it is
    env = {**os.environ, "GRIDRISK_DATABASE_URL": "postgresql://bench@127.0.0.1:1/bench",
           "GRIDRISK_LANG": "zh"}
    results: dict[str, Any] = {
        "code": code_state(("typer", "rich", "sqlalchemy"), "gridrisk/cli"),
        "loadavg": os.getloadavg(),
        "commands": {name: measure(argv_, repeat=args.repeat, env=env)
                     for name, argv_ in COMMANDS.items()},
    }
    floor = results["commands"]["python -c pass"]
    for figures in results["commands"].values():
        figures["warm_over_python"] = round(figures["warm_seconds"] / floor["warm_seconds"], 1)
    results["headline"] = headline(results)
    return results


def headline(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, figures in results["commands"].items():
        measured = name != "python -c pass"
        for kind in ("cold", "warm"):
            seconds = figures[f"{kind}_seconds"]
            rows.append({"metric": f"{name} ({kind})", "value": seconds, "unit": "s",
                         **({"target": f"< {TARGET_SECONDS:g}",
                             "ok": seconds < TARGET_SECONDS} if measured else {})})
        rows.append({"metric": f"{name} peak RSS", "value": figures["peak_rss_mb"],
                     "unit": "MB"})
    return rows


if __name__ == "__main__":
    from run import save, show

    outcome = main()
    save({"cli": outcome})
    show({"cli": outcome})
