"""What several benches share: which code and machine were measured, the load on it, a
private cluster, cells and points inside them, the results file."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from rich.console import Console

REPO = Path(__file__).resolve().parent.parent
console = Console()


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform()}


def load_average() -> float:
    """The 1-minute load average: other work on the shared cores skews every timing."""
    return os.getloadavg()[0]


@contextlib.contextmanager
def bench_cluster(prefix: str, *, keep: bool, durable: bool = True
                  ) -> Iterator[tuple[Path, Any]]:
    """A scratch folder and a private embedded cluster in it (not started: callers time the
    start). Afterwards the cluster is destroyed with the folder, or with `keep` stopped and
    both kept for a look."""
    from gridrisk.db.embedded import EmbeddedCluster, reachable_scratch

    scratch = reachable_scratch(prefix)
    cluster = EmbeddedCluster(scratch / "data", durable=durable)
    try:
        yield scratch, cluster
    finally:
        if keep:
            cluster.stop()
            console.print(f"  kept {scratch}")
        else:
            cluster.destroy()
            shutil.rmtree(scratch, ignore_errors=True)


def write_results(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")



def code_state(packages: tuple[str, ...], *paths: str) -> dict[str, Any]:
    """Which gridrisk was measured: the commit, files changed since under `paths`, the
    versions of `packages`, and wrk's when it is installed."""
    def run(*command: str) -> str:
        try:
            done = subprocess.run(command, cwd=REPO, capture_output=True, text=True,
                                  check=False)
        except OSError:
            return ""
        return (done.stdout or done.stderr).strip()

    versions: dict[str, str | None] = {}
    for name in packages:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return {"commit": run("git", "rev-parse", "--short", "HEAD"),
            "changed": run("git", "status", "--porcelain", "--", *paths).splitlines(),
            "versions": versions,
            "wrk": (run("wrk", "--version").splitlines() or [None])[0]}


def load_cells(engine: Any) -> tuple[np.ndarray, np.ndarray]:
    """Every cell in the database (villages without cells are their own cell there), sorted
    by code: codes and shapely geometries."""
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT code, ST_AsBinary(geom) FROM cells ORDER BY code")
                            ).all()
    codes = np.array([r[0] for r in rows], dtype=object)
    geoms = shapely.from_wkb([bytes(r[1]) for r in rows])
    return codes, geoms


def points_in_cells(rng: np.random.Generator, geoms: np.ndarray, cell: np.ndarray,
                    decimals: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """A point strictly inside `geoms[cell[i]]` for every i: uniform in the cell's bounding
    box, kept when inside, redrawn otherwise. Coordinates are rounded to `decimals` before the
    test (n / 10**d is what parsing the written text gives back), so the written point is the
    tested one."""
    shapely.prepare(geoms)
    bounds = shapely.bounds(geoms)
    scale = 10.0 ** decimals
    lon = np.full(len(cell), np.nan)
    lat = np.full(len(cell), np.nan)
    pending = np.arange(len(cell))
    for _ in range(200):
        if not len(pending):
            break
        box = bounds[cell[pending]]
        x = np.round(rng.uniform(box[:, 0], box[:, 2]) * scale) / scale
        y = np.round(rng.uniform(box[:, 1], box[:, 3]) * scale) / scale
        inside = shapely.contains_xy(geoms[cell[pending]], x, y)
        lon[pending[inside]], lat[pending[inside]] = x[inside], y[inside]
        pending = pending[~inside]
    if len(pending):
        raise RuntimeError(f"{len(pending)} points found no place inside their cell")
    return lon, lat
