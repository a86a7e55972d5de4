"""Import 1M screening records into a medium county.

Steps (each timed separately):

1. a private, durable embedded PostGIS cluster; the schema; the medium demo county (seed 1)
   generated and imported;
2. a bench bundle: the county's regions and cells, empty cases and case events, and
   ``--records`` screening records that all found a dispute at a WGS84 point inside a random
   cell (the heaviest row: every one is parsed, converted and assigned to a cell);
3. the baseline, in this process and with no database: ``pandas.read_csv`` of the screenings
   plus shapely STRtree point-to-cell assignment (best of 2);
4. gridrisk's import of the bench bundle, end to end including the commit, in a child process
   (its peak RSS comes from ``getrusage``), with per-step times from the progress callback;
5. a re-import of the same bundle, which must write nothing.

Figures are ratios against the baseline measured in the same run, never absolute limits.
Results go to ``bench/out/import.json``. Run ``python bench/import_bench.py --help``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from common import (
    bench_cluster,
    code_state,
    load_average,
    load_cells,
    machine,
    points_in_cells,
    write_results,
)
from rich.console import Console
from rich.table import Table

from gridrisk.cli.common import progress_bar
from gridrisk.privacy.vault import Vault

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
console = Console()

#: targets from the brief; reported, never asserted
RATIO_TARGET = 4.0  # issue 16 (issue 3 asked for 5)
RSS_TARGET_MB = 4096.0
#: the libraries whose versions move the figures
PACKAGES = ("pandas", "pyarrow", "numpy", "shapely", "psycopg", "sqlalchemy")

# Headers as written in the bundle spec (docs/bundle.md), not taken from
# gridrisk's own constants, so a drift between the two shows up here as rejected files.
CASE_HEADER = ["case_id", "received_on", "channel", "category", "parties", "lon", "lat", "crs",
               "cell_code", "region_code", "complex", "responsible_unit",
               "responsible_official", "summary"]
EVENT_HEADER = ["case_id", "at", "type", "level", "parties", "detail"]
SCREENING_HEADER = ["record_id", "screened_at", "worker", "cell_code", "found", "category",
                    "severity", "parties", "lon", "lat", "crs", "outcome", "case_id",
                    "summary"]
CATEGORIES = {
    "land_requisition": "征地补偿争议", "wages_labour": "拖欠工资",
    "housing_property": "房屋产权纠纷",
    "property_management": "物业服务纠纷", "social_security": "社保待遇诉求",
    "medical": "医疗纠纷", "environment": "环境污染投诉", "veterans": "退役军人诉求",
    "financial_loss": "投资理财受损", "court_related": "涉法涉诉", "other": "邻里纠纷",
}
SEVERITIES = ["low", "medium", "high"]
OUTCOMES = ["resolved_on_site", "mediating", "referred", "became_case"]

#: what happens between one progress call and the next, keyed by the earlier call (from
#: reading gridrisk/bundle/service.py; a step the importer renames just shows without one)
SEGMENT_NOTES = {
    ("读取文件", 0.0): "read regions/cells geometry files + cases.csv",
    ("读取文件", 0.4): "read case_events.csv + screenings.csv",
    ("读取文件", 1.0): "load_known: regions, cells (WKB), referenced cases from the DB",
    ("校验", 0.1): "check regions + cells, build CellIndex",
    ("校验", 0.3): "check cases",
    ("校验", 0.6): "check case events; screenings.csv: repeated ids over the whole file",
    ("写入 regions", 0.0): "COPY + upsert regions",
    ("写入 cells", 0.2): "COPY + upsert cells",
    ("写入 cases", 0.4): "COPY + upsert cases",
    ("写入 case_events", 0.6): "COPY + insert case events",
    ("写入 screening_records", 0.8): "stored keys; drop indexes and FKs (bulk path); convert "
                                    "and check the first batch",
    ("写入 screening_records", 1.0): "COPY of the last batch; rebuild the indexes, re-check "
                                    "the FKs (bulk path)",
    ("写入", 1.0): "insert the import_runs row",
    ("完成", 1.0): "return",
}


# -- small helpers ---------------------------------------------------------------------------


def timed(label: str) -> Callable[[Callable[[], Any]], tuple[Any, float]]:
    """Run a callable under a Rich status line; returns (its result, seconds)."""
    def run(work: Callable[[], Any]) -> tuple[Any, float]:
        with console.status(label):
            start = time.perf_counter()
            result = work()
            seconds = time.perf_counter() - start
        console.print(f"  {label}: [bold]{seconds:.2f} s[/]")
        return result, seconds
    return run


def step_seconds(calls: list[dict[str, Any]], end: float) -> dict[str, float]:
    """Seconds per step name: a step runs from its first progress call to the next step's."""
    steps: dict[str, float] = {}
    if calls and calls[0]["t"] > 0:
        steps["(before first progress call)"] = calls[0]["t"]
    starts = [c for i, c in enumerate(calls) if i == 0 or c["step"] != calls[i - 1]["step"]]
    for here, following in zip(starts, [*starts[1:], None], strict=True):
        stop = following["t"] if following else end
        steps[here["step"]] = steps.get(here["step"], 0.0) + stop - here["t"]
    return {k: round(v, 3) for k, v in steps.items()}


def segments(calls: list[dict[str, Any]], end: float) -> list[dict[str, Any]]:
    """Seconds between consecutive progress calls, with what the importer does there."""
    out = []
    for here, following in zip(calls, [*calls[1:], None], strict=True):
        stop = following["t"] if following else end
        key = (here["step"], round(here["fraction"], 2))
        out.append({"from": f"{here['step']} {here['fraction']:.0%}",
                    "note": SEGMENT_NOTES.get(key, ""), "seconds": round(stop - here["t"], 3)})
    return out


# -- the bench bundle ------------------------------------------------------------------------


def build_bench_bundle(county: Path, folder: Path, codes: np.ndarray, geoms: np.ndarray,
                       n: int, seed: int) -> dict[str, Any]:
    """The bench bundle: the county's geometry files, empty cases and events, n screenings."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem in ("regions", "cells"):
        for found in county.glob(f"{stem}.*"):
            shutil.copy2(found, folder / found.name)
    pd.DataFrame(columns=CASE_HEADER).to_csv(folder / "cases.csv", index=False)
    pd.DataFrame(columns=EVENT_HEADER).to_csv(folder / "case_events.csv", index=False)

    rng = np.random.default_rng(seed)
    cell = rng.integers(0, len(codes), size=n)
    lon, lat = points_in_cells(rng, geoms, cell)
    # local times spread over 2025, written with their +08:00 offset
    seconds = rng.integers(0, 365 * 86_400, size=n).astype("timedelta64[s]")
    local = np.datetime_as_string(np.datetime64("2025-01-01T00:00:00") + seconds, unit="s")
    category_names = np.array(list(CATEGORIES), dtype=object)
    category = rng.integers(0, len(CATEGORIES), size=n)
    summaries = np.array([f"排查发现{t}，已登记" for t in CATEGORIES.values()], dtype=object)
    workers = np.array([f"GW{i:05d}" for i in range(len(codes))], dtype=object)  # per cell
    frame = pd.DataFrame({
        "record_id": "BENCH-" + pd.Series(np.arange(n)).astype(str).str.zfill(8),
        "screened_at": pd.Series(local, dtype=object) + "+08:00",
        "worker": workers[cell],
        "cell_code": codes[cell],
        "found": "true",
        "category": category_names[category],
        "severity": np.array(SEVERITIES, dtype=object)[rng.integers(0, 3, size=n)],
        "parties": np.minimum(rng.geometric(0.45, size=n), 30),
        "lon": lon,
        "lat": lat,
        "crs": "wgs84",
        "outcome": np.array(OUTCOMES, dtype=object)[rng.integers(0, 4, size=n)],
        "case_id": "",
        "summary": summaries[category],
    }, columns=SCREENING_HEADER)
    frame.to_csv(folder / "screenings.csv", index=False, float_format="%.7f")
    return {"records": n, "cells": len(codes),
            "screenings_csv_mb": round((folder / "screenings.csv").stat().st_size / 2**20, 1)}


# -- the baseline ----------------------------------------------------------------------------


def baseline_once(csv_path: Path, codes: np.ndarray, geoms: np.ndarray) -> dict[str, Any]:
    """read_csv, then each point's first cell (by code) from an STRtree. No database."""
    start = time.perf_counter()
    frame = pd.read_csv(csv_path)
    read = time.perf_counter()
    tree = shapely.STRtree(geoms)
    points = shapely.points(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    point_idx, cell_idx = tree.query(points, predicate="intersects")
    order = np.lexsort((cell_idx, point_idx))
    point_idx, cell_idx = point_idx[order], cell_idx[order]
    first = np.r_[True, point_idx[1:] != point_idx[:-1]] if len(point_idx) else []
    assigned = np.full(len(points), "", dtype=object)
    assigned[point_idx[first]] = codes[cell_idx[first]]
    end = time.perf_counter()
    # read_csv takes all-digit codes for numbers: compare as text, outside the timing
    given = frame["cell_code"].astype(str).to_numpy(dtype=object)
    return {"seconds": end - start, "read_csv_seconds": read - start,
            "assign_seconds": end - read,
            "outside": int((assigned == "").sum()),
            "other_cell": int((assigned != given).sum())}


# -- the import, in a child process ----------------------------------------------------------


def child(spec: dict[str, Any]) -> None:
    """Runs in the child: import the bundle and print JSON lines (progress, then result)."""
    from sqlalchemy import create_engine, text

    from gridrisk.bundle.errors import RejectedRows
    from gridrisk.bundle.service import import_bundle

    def emit(event: dict[str, Any]) -> None:
        print(json.dumps(event, ensure_ascii=False), flush=True)

    engine = create_engine(spec["url"])
    calls: list[dict[str, Any]] = []
    start = time.perf_counter()

    def progress(step: str, fraction: float) -> None:
        call = {"step": step, "fraction": fraction, "t": time.perf_counter() - start}
        calls.append(call)
        emit({"event": "progress", **call})

    profiler = None
    if spec.get("profile"):
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
    conn = engine.connect()
    start = time.perf_counter()
    if profiler:
        profiler.start()
    transaction = conn.begin()
    emit({"event": "backend", "pid": conn.execute(text("SELECT pg_backend_pid()")).scalar()})
    try:
        report = import_bundle(conn, Path(spec["bundle"]), progress=progress)
    except RejectedRows as exc:
        emit({"event": "error", "message": str(exc),
              "rejects": exc.rejects.head(20).astype(str).to_dict("records")})
        raise SystemExit(2) from exc
    before_commit = time.perf_counter() - start
    if spec.get("profile"):
        transaction.rollback()  # the profile run leaves the database as it was
    else:
        transaction.commit()
    seconds = time.perf_counter() - start
    conn.close()
    if profiler:
        profiler.stop()
        Path(spec["profile"] + ".txt").write_text(
            profiler.output_text(unicode=True, color=False, show_all=False))
        Path(spec["profile"] + ".html").write_text(profiler.output_html())
    emit({"event": "result", "seconds": seconds, "commit_seconds": seconds - before_commit,
          "calls": calls, "written": report.written, "rejects": len(report.rejects),
          "warnings": len(report.warnings),
          "peak_rss_self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


class ServerMemory:
    """Samples the PostgreSQL server's memory while a child imports: PSS summed over the
    postmaster and its children (shared buffers counted once), and the import backend's."""

    def __init__(self, pgdata: Path, interval: float = 0.5) -> None:
        self.pgdata = pgdata
        self.interval = interval
        self.backend_pid: int | None = None
        self.peak_total_pss = 0
        self.peak_backend_pss = 0
        self.peak_backend_rss = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ServerMemory:
        try:
            import psutil  # noqa: F401
        except ImportError:
            return self
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()

    def _run(self) -> None:
        import psutil

        try:
            postmaster = psutil.Process(int(
                (self.pgdata / "postmaster.pid").read_text().split()[0]))
        except (OSError, ValueError, psutil.Error):
            return
        while not self._stop.is_set():
            total = 0
            for proc in [postmaster, *postmaster.children(recursive=True)]:
                try:
                    info = proc.memory_full_info()
                except psutil.Error:
                    continue
                total += info.pss
                if proc.pid == self.backend_pid:
                    self.peak_backend_pss = max(self.peak_backend_pss, info.pss)
                    self.peak_backend_rss = max(self.peak_backend_rss, info.rss)
            self.peak_total_pss = max(self.peak_total_pss, total)
            self._stop.wait(self.interval)

    def figures(self) -> dict[str, float] | None:
        if self._thread is None or not self.peak_total_pss:
            return None
        return {"peak_server_pss_mb": round(self.peak_total_pss / 2**20, 1),
                "peak_backend_pss_mb": round(self.peak_backend_pss / 2**20, 1),
                "peak_backend_rss_mb": round(self.peak_backend_rss / 2**20, 1)}


#: the bench cluster logs every statement that takes this long, to say where the server's
#: share of the import goes (a bench-only setting; cheap, as few statements are that slow)
SLOW_STATEMENT_MS = 100
_DURATION = re.compile(r"duration: ([0-9.]+) ms\s+(?:statement|execute [^:]*):\s*(.*)")


def log_slow_statements(engine: Any) -> None:
    from sqlalchemy import text

    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"ALTER SYSTEM SET log_min_duration_statement = {SLOW_STATEMENT_MS}"))
        conn.execute(text("SELECT pg_reload_conf()"))


def slow_statements(log: Path, offset: int) -> list[dict[str, Any]]:
    """Statements the server logged as slow since `offset`: seconds and the statement's start."""
    try:
        with log.open("rb") as handle:
            handle.seek(offset)
            tail = handle.read().decode("utf-8", "replace")
    except OSError:
        return []
    found = []
    for match in _DURATION.finditer(tail):
        statement = " ".join(match.group(2).split())
        found.append({"seconds": round(float(match.group(1)) / 1000, 3),
                      "statement": statement[:140] + ("…" if len(statement) > 140 else "")})
    return found


def _size(path: Path | None) -> int:
    try:
        return path.stat().st_size if path else 0
    except OSError:
        return 0


def import_in_child(label: str, url: str, bundle: Path, pgdata: Path, *,
                    server_log: Path | None = None, profile: Path | None = None
                    ) -> dict[str, Any]:
    """Run `child` in a fresh interpreter; its figures, plus the children's peak RSS and the
    server's slow statements meanwhile."""
    spec = {"url": url, "bundle": str(bundle), "profile": str(profile) if profile else None}
    log_offset = _size(server_log)
    command = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)]
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    with tempfile.TemporaryFile("w+") as stderr, ServerMemory(pgdata) as server, \
            progress_bar(label, transient=True) as progress:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            if not line.startswith("{"):
                continue
            event = json.loads(line)
            if event["event"] == "progress":
                progress(event["step"], event["fraction"])
            elif event["event"] == "backend":
                server.backend_pid = event["pid"]
            elif event["event"] == "result":
                result = event
            elif event["event"] == "error":
                error = event
        returncode = proc.wait()
        stderr.seek(0)
        errors = stderr.read()
    if result is None:
        detail = json.dumps(error, ensure_ascii=False, indent=1) if error else errors[-3000:]
        raise RuntimeError(f"{label}: the importing child failed (exit {returncode}):\n{detail}")
    end = result["seconds"]
    calls = result.pop("calls")
    return {
        "seconds": round(end, 3),
        # the largest child this process has waited for: the importer (pg_ctl & co are tiny)
        "peak_rss_children_mb": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "peak_rss_self_mb": round(result["peak_rss_self_mb"], 1),
        "commit_seconds": round(result["commit_seconds"], 3),
        "steps": {**step_seconds(calls, end - result["commit_seconds"]),
                  "commit": round(result["commit_seconds"], 3)},
        "segments": segments(calls, end - result["commit_seconds"]),
        "written": result["written"],
        "rejects": result["rejects"],
        "warnings": result["warnings"],
        "server_memory": server.figures(),
        "server_slow_statements": slow_statements(server_log, log_offset) if server_log else [],
    }


# -- the run ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000,
                        help="screening records in the bench bundle (default 1,000,000)")
    parser.add_argument("--scale", default="medium", help="county scale (default medium)")
    parser.add_argument("--seed", type=int, default=1, help="county seed (default 1)")
    parser.add_argument("--profile", action="store_true",
                        help="afterwards, profile one more import with pyinstrument (rolled "
                        "back) into bench/out/import-profile.{txt,html}")
    parser.add_argument("--keep", action="store_true",
                        help="keep the scratch folder and stop (not destroy) the cluster")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "import.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.child:
        child(json.loads(args.child))
        return {}
    from sqlalchemy import create_engine, text

    from gridrisk.bundle.service import import_bundle
    from gridrisk.db.engine import upgrade_to_head

    try:
        from gridrisk.synthetic import generate_bundle
    except ImportError as exc:
        raise SystemExit(f"gridrisk.synthetic.generate_bundle is not available yet: {exc}"
                         ) from exc

    if args.profile and importlib.util.find_spec("pyinstrument") is None:
        # say so now, not after the five minutes before the profiled run
        raise SystemExit("--profile needs pyinstrument: .venv/bin/python -m pip install "
                         "-c requirements.lock -e '.[bench]'")
    n = args.records
    console.rule(f"import bench: {n:,} screening records into a {args.scale} county")
    results: dict[str, Any] = {
        "bench": "import", "records": n, "scale": args.scale, "seed": args.seed,
        "machine": machine(),
        "code": code_state(PACKAGES, "gridrisk"),
        # other work on the machine skews timings: 1-minute load average at each phase
        "load_average": {"start": load_average()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    with bench_cluster("gridrisk-bench-", keep=args.keep) as (scratch, cluster):
        engine = None
        try:
            _, start_s = timed("start the embedded cluster (durable)")(cluster.start)
            engine = create_engine(cluster.url)
            timed("upgrade the schema")(lambda: upgrade_to_head(engine))
            log_slow_statements(engine)

            county = scratch / "county"
            with progress_bar("generate", transient=True) as progress:
                start = time.perf_counter()
                counts = generate_bundle(county, seed=args.seed, scale=args.scale,
                                         progress=progress)
                generate_s = time.perf_counter() - start
            console.print(f"  generate the {args.scale} county: [bold]{generate_s:.2f} s[/]")
            with progress_bar("county import", transient=True) as progress:
                start = time.perf_counter()
                with engine.begin() as conn:
                    county_report = import_bundle(conn, county, progress=progress,
                                                  vault=Vault(scratch / "secret.key"))
                county_s = time.perf_counter() - start
            console.print(f"  import the county: [bold]{county_s:.2f} s[/]")
            results["county"] = {"generate_seconds": round(generate_s, 3),
                                 "import_seconds": round(county_s, 3),
                                 "counts": counts if isinstance(counts, dict) else None,
                                 "written": county_report.written,
                                 "cluster_start_seconds": round(start_s, 3)}

            codes, geoms = load_cells(engine)
            bundle = scratch / "bench-bundle"
            built, build_s = timed(f"build the bench bundle ({n:,} records, {len(codes):,} cells)")(
                lambda: build_bench_bundle(county, bundle, codes, geoms, n, seed=args.seed))
            results["bench_bundle"] = {**built, "build_seconds": round(build_s, 3)}

            runs = []
            for attempt in (1, 2):
                with console.status(f"baseline run {attempt}: read_csv + STRtree assignment"):
                    run = baseline_once(bundle / "screenings.csv", codes, geoms)
                console.print(f"  baseline run {attempt}: read_csv {run['read_csv_seconds']:.2f} s"
                              f" + STRtree assignment {run['assign_seconds']:.2f} s = "
                              f"[bold]{run['seconds']:.2f} s[/]")
                runs.append(run)
            best = min(runs, key=lambda r: r["seconds"])
            results["baseline"] = {
                "seconds": round(best["seconds"], 3),
                "read_csv_seconds": round(best["read_csv_seconds"], 3),
                "assign_seconds": round(best["assign_seconds"], 3),
                "runs": [round(r["seconds"], 3) for r in runs],
                "points_outside_every_cell": best["outside"],
                "points_whose_first_cell_is_not_cell_code": best["other_cell"],
            }

            results["load_average"]["before_import"] = load_average()
            console.print("  gridrisk import of the bench bundle (child process) …")
            imported = import_in_child("import", cluster.url, bundle, cluster.pgdata,
                                       server_log=cluster.log_file)
            county_rows = county_report.written["screening_records"]["inserted"]
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT count(*) FROM screening_records")).scalar_one()
                bench_rows = conn.execute(text(
                    "SELECT count(*) FROM screening_records WHERE record_id LIKE 'BENCH-%'")
                ).scalar_one()
            # the county brought its own screenings; the bench's ids all start with BENCH-
            imported["screening_records_rows"] = bench_rows
            imported["screening_records_rows_with_county"] = rows
            imported["row_count_ok"] = bench_rows == n and rows == n + county_rows
            imported["records_per_second"] = round(n / imported["seconds"], 1)
            imported["ratio_to_baseline"] = round(imported["seconds"] / best["seconds"], 2)
            results["import"] = imported
            console.print(f"  import: [bold]{imported['seconds']:.2f} s[/]")

            results["load_average"]["after_import"] = load_average()
            # the host's speed drifts between runs by more than most changes gain: one more
            # baseline run right after the import shows how far it moved (the ratio keeps
            # the best run before the import, as issue 16 states it)
            with console.status("baseline once more, after the import"):
                after = baseline_once(bundle / "screenings.csv", codes, geoms)
            results["baseline"]["after_import_seconds"] = round(after["seconds"], 3)
            imported["ratio_to_baseline_after_import"] = round(
                imported["seconds"] / after["seconds"], 2)
            console.print(f"  baseline after the import: [bold]{after['seconds']:.2f} s[/] "
                          f"(import / it = {imported['ratio_to_baseline_after_import']:.2f}×)")
            console.print("  re-import of the same bundle (child process) …")
            again = import_in_child("re-import", cluster.url, bundle, cluster.pgdata,
                                    server_log=cluster.log_file)
            again["wrote_nothing"] = all(
                t["inserted"] == 0 and t["updated"] == 0 for t in again["written"].values())
            results["reimport"] = again
            console.print(f"  re-import: [bold]{again['seconds']:.2f} s[/]")

            if args.profile:
                profile = OUT_DIR / "import-profile"
                OUT_DIR.mkdir(parents=True, exist_ok=True)
                with engine.begin() as conn:
                    conn.execute(text("TRUNCATE screening_records"))
                console.print("  profiled import (pyinstrument, rolled back) …")
                profiled = import_in_child("profile", cluster.url, bundle, cluster.pgdata,
                                           server_log=cluster.log_file, profile=profile)
                results["profile"] = {"seconds": profiled["seconds"], "steps": profiled["steps"],
                                      "text": str(profile) + ".txt", "html": str(profile) + ".html"}
        finally:
            if engine is not None:
                engine.dispose()

    results["targets"] = {
        "ratio_max": RATIO_TARGET,
        "ratio_ok": results["import"]["ratio_to_baseline"] <= RATIO_TARGET,
        "peak_rss_mb_max": RSS_TARGET_MB,
        "peak_rss_ok": results["import"]["peak_rss_children_mb"] < RSS_TARGET_MB,
    }
    results["headline"] = headline(results)
    write_results(args.out, results)
    show(results)
    console.print(f"results: {args.out}")
    return results


def headline(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The figures a summary table shows: metric, value, unit, target, ok."""
    imp, base, again = results["import"], results["baseline"], results["reimport"]
    return [
        {"metric": "baseline (read_csv + STRtree)", "value": base["seconds"], "unit": "s"},
        {"metric": "import", "value": imp["seconds"], "unit": "s"},
        {"metric": "import / baseline", "value": imp["ratio_to_baseline"], "unit": "×",
         "target": f"≤ {RATIO_TARGET:g}", "ok": results["targets"]["ratio_ok"]},
        {"metric": "baseline after the import (drift)", "value": base["after_import_seconds"],
         "unit": "s"},
        {"metric": "import rate", "value": imp["records_per_second"], "unit": "records/s"},
        {"metric": "import peak RSS", "value": imp["peak_rss_children_mb"], "unit": "MB",
         "target": f"< {RSS_TARGET_MB:g}", "ok": results["targets"]["peak_rss_ok"]},
        {"metric": "rows in screening_records", "value": imp["screening_records_rows"],
         "unit": "rows", "target": f"= {results['records']:,}", "ok": imp["row_count_ok"]},
        {"metric": "re-import (writes nothing)", "value": again["seconds"], "unit": "s",
         "ok": again["wrote_nothing"]},
        {"metric": "county import", "value": results["county"]["import_seconds"], "unit": "s"},
    ]


def show(results: dict[str, Any]) -> None:
    table = Table(title=f"import bench: {results['records']:,} records, "
                  f"{results['bench_bundle']['cells']:,} cells")
    for column in ("metric", "value", "target", "ok"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for row in results["headline"]:
        ok = row.get("ok")
        table.add_row(row["metric"], f"{row['value']:,} {row['unit']}", row.get("target", ""),
                      "" if ok is None else ("[green]yes[/]" if ok else "[red]no[/]"))
    console.print(table)
    steps = Table(title="where the import's time goes")
    steps.add_column("step")
    steps.add_column("import s", justify="right")
    steps.add_column("re-import s", justify="right")
    again = results["reimport"]["steps"]
    for step, seconds in results["import"]["steps"].items():
        steps.add_row(step, f"{seconds:.2f}", f"{again.get(step, 0):.2f}")
    console.print(steps)
    slow = sorted(results["import"]["server_slow_statements"], key=lambda r: -r["seconds"])
    if slow:
        statements = Table(title=f"the import's slowest server statements (≥ {SLOW_STATEMENT_MS}"
                           " ms)")
        statements.add_column("s", justify="right", min_width=6, no_wrap=True)
        statements.add_column("statement", overflow="ellipsis", no_wrap=True, max_width=70)
        for row in slow[:8]:
            statements.add_row(f"{row['seconds']:.2f}", row["statement"])
        console.print(statements)
    server = results["import"].get("server_memory")
    if server:
        console.print(f"PostgreSQL during the import: peak {server['peak_server_pss_mb']} MB "
                      f"(PSS over all server processes), backend {server['peak_backend_pss_mb']}"
                      " MB PSS")


if __name__ == "__main__":
    main()
