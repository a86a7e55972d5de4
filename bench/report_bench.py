"""Reports on the large demo county (≈ 300k cases): the monthly bulletin end to end and the
indicators of every township, next to a plain SQL count of the same rows.

A private embedded PostGIS cluster gets the large county (seed 1, generated once into
bench/out/counties/), imported as `gridrisk import` does, and a stored weekly cycle as of the
month's last day whose cells carry hotspot classes (written by the bench, not run: this bench
times the bulletin, so its hotspot map is drawn, not the cycle). Then, `--repeats` times each:

- baseline: `SELECT count(*)` of the rows the indicators read (the county's cases, and their
  events of the types some figure reads, corrected ones left out) and of the month's
  screening records: what merely touching the same rows costs on the server;
- indicators: `reports.service.indicators(region=county, period=month, by="township")`, as
  GET /indicators and `gridrisk indicators --by township` run it (read, replay, count);
- bulletin: `gridrisk report monthly` without the files: build the Document (two months'
  figures, the ranking, the change, the hotspot map, the longest overdue cases), then render
  it as HTML, PDF and XLSX; each step timed.

Targets (reported, never asserted): bulletin < 10 s, indicators < 3 s. Results:
bench/out/report.json; the load average at the start is recorded (2 shared cores)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

from common import code_state
from cycle_bench import county
from rich.console import Console

from gridrisk.db.embedded import reachable_scratch

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
BULLETIN_TARGET, INDICATORS_TARGET = 10.0, 3.0
MONTH = "2026-10"
console = Console()

BASELINE = """
    SELECT (SELECT count(*) FROM cases WHERE region_code = ANY(:villages)),
           (SELECT count(*) FROM case_events e WHERE e.type = ANY(:types)
              AND e.id NOT IN (SELECT corrects FROM case_events WHERE corrects IS NOT NULL)
              AND e.case_id IN (SELECT case_id FROM cases WHERE region_code = ANY(:villages))),
           (SELECT count(*) FROM screening_records
              WHERE (screened_at AT TIME ZONE 'Asia/Shanghai')::date BETWEEN :first AND :last)"""


def store_cycle(url: str, as_of: date) -> int:
    """A weekly cycle as of `as_of` with a hotspot class on every cell (hot where the cell's
    code hashes low, as a stand-in for Gi*), so the bulletin draws a full map."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        region = conn.execute(text("SELECT code FROM regions WHERE parent_code IS NULL")
                              ).scalar_one()
        cycle_id = conn.execute(text("""
            INSERT INTO cycles (cadence, as_of, region_code, horizon_days, model_id, policy,
                                input_fingerprint, engine, seconds, n_cells, n_cases, notes)
            VALUES ('weekly', :as_of, :region, 30, 'bench', '{}', 'bench', 'local', 0, 0, 0,
                    '{}') RETURNING id"""), {"as_of": as_of, "region": region}).scalar_one()
        conn.execute(text("""
            INSERT INTO cycle_cells (cycle_id, cell_code, expected_escalations, n_open,
                n_overdue, n_due_soon, n_collective, n_high_disputes, n_missed_screenings,
                gi_z, gi_p, hotspot, trend)
            SELECT :id, code, 0, 0, 0, 0, 0, 0, 0, 0, 1,
                   CASE WHEN abs(hashtext(code)) % 100 < 3 THEN 'hot_99'
                        WHEN abs(hashtext(code)) % 100 < 6 THEN 'hot_95'
                        WHEN abs(hashtext(code)) % 100 < 8 THEN 'cold_95' ELSE 'none' END, ''
            FROM cells"""), {"id": cycle_id})
    engine.dispose()
    return int(cycle_id)


def timed(repeats: int, work: Any) -> tuple[list[float], Any]:
    seconds, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - started)
    return seconds, result


def main(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", default="large")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    from sqlalchemy import create_engine, text

    from gridrisk.db.embedded import EmbeddedCluster
    from gridrisk.policy import load_policy
    from gridrisk.reports.indicators import COUNTED_EVENTS
    from gridrisk.reports.periodic import Request, build_report
    from gridrisk.reports.periods import parse_period
    from gridrisk.reports.render import to_html, to_pdf, to_xlsx
    from gridrisk.reports.service import indicators

    load = {"start": os.getloadavg()}
    scratch = reachable_scratch("gridrisk-report-bench-")
    cluster = EmbeddedCluster(scratch / "pg", durable=False)
    cluster.start()
    result: dict[str, Any] = {"code": code_state(("pandas", "pyarrow", "weasyprint",
                                                  "openpyxl", "matplotlib"), "gridrisk",
                                                 "maps")}
    policy, month = load_policy(), parse_period(MONTH)
    try:
        url, result["import_seconds"] = county(cluster, "reports", args.scale, args.seed,
                                               OUT_DIR / "counties")
        result["cycle_id"] = store_cycle(url, month.last)
        engine = create_engine(url)
        with engine.connect() as conn:
            region = conn.execute(text("SELECT code FROM regions WHERE parent_code IS NULL")
                                  ).scalar_one()
            villages = conn.execute(text("SELECT code FROM regions WHERE level IN "
                                         "('village', 'community')")).scalars().all()
            conn.execute(text("ANALYZE"))
            load["measured"] = os.getloadavg()
            console.print("baseline …")
            baseline, counts = timed(args.repeats, lambda: conn.execute(text(BASELINE), {
                "villages": list(villages), "types": [t.value for t in COUNTED_EVENTS],
                "first": month.first, "last": month.last}).one())
            console.print("indicators by township …")
            figures, found = timed(args.repeats, lambda: indicators(
                conn, region_code=region, period=month, by="township", scope=None,
                policy=policy, timezone="Asia/Shanghai"))
            console.print("monthly bulletin …")
            steps: dict[str, list[float]] = {"build": [], "html": [], "pdf": [], "xlsx": []}
            sizes: dict[str, int] = {}
            for _ in range(args.repeats):
                started = time.perf_counter()
                doc = build_report("monthly", Request(conn, region, month, "zh", None, policy,
                                                      "Asia/Shanghai", date.today()))
                steps["build"].append(time.perf_counter() - started)
                for name, render in (("html", to_html), ("pdf", to_pdf), ("xlsx", to_xlsx)):
                    started = time.perf_counter()
                    output = render(doc)
                    steps[name].append(time.perf_counter() - started)
                    sizes[name] = len(output.encode() if isinstance(output, str) else output)
        engine.dispose()
    finally:
        cluster.destroy()
        shutil.rmtree(scratch, ignore_errors=True)
    load["end"] = os.getloadavg()

    bulletin = [sum(step[i] for step in steps.values()) for i in range(args.repeats)]
    med = {name: round(statistics.median(values), 2) for name, values in steps.items()}
    base, fig, bul = (statistics.median(baseline), statistics.median(figures),
                      statistics.median(bulletin))
    result.update({
        "rows": {"cases": counts[0], "events": counts[1], "screenings": counts[2],
                 "townships": len(found.units)},
        "baseline_seconds": [round(s, 3) for s in baseline],
        "indicators_seconds": [round(s, 2) for s in figures],
        "bulletin_seconds": [round(s, 2) for s in bulletin], "bulletin_steps": med,
        "bulletin_bytes": sizes, "load_average": load,
        "resolution": found.figures.resolution.model_dump()})
    result["headline"] = [
        {"metric": "plain SQL count of the same rows (baseline)", "value": round(base, 2),
         "unit": "s"},
        {"metric": f"indicators of {len(found.units)} townships", "value": round(fig, 2),
         "unit": "s", "target": f"< {INDICATORS_TARGET:g} s", "ok": fig < INDICATORS_TARGET},
        {"metric": "indicators / baseline", "value": round(fig / base, 1), "unit": "×"},
        {"metric": "monthly bulletin, build + HTML + PDF + XLSX", "value": round(bul, 2),
         "unit": "s", "target": f"< {BULLETIN_TARGET:g} s", "ok": bul < BULLETIN_TARGET},
        {"metric": "bulletin / baseline", "value": round(bul / base, 1), "unit": "×"},
        {"metric": "1-minute load average at the start", "value": round(load["start"][0], 2),
         "unit": ""},
    ]
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "report.json").write_text(json.dumps(result, ensure_ascii=False, indent=2,
                                                    default=str))
    return result


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(BENCH_DIR))
    print(json.dumps(main(sys.argv[1:])["headline"], ensure_ascii=False, indent=2))
