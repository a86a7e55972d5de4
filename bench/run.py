"""Run gridrisk's benchmarks and collect their results.

    .venv/bin/python bench/run.py                 every bench/*_bench.py
    .venv/bin/python bench/run.py import          only bench/import_bench.py
    .venv/bin/python bench/run.py import -- --records 100000   arguments for the benches

Each bench module has ``main(argv) -> dict``; its dict lands under the bench's name in
bench/out/results.json (other benches' earlier results are kept), and its ``headline`` rows
(metric, value, unit, target, ok) make up the table printed at the end.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "out" / "results.json"
console = Console()


def available() -> list[str]:
    return sorted(p.name.removesuffix("_bench.py") for p in BENCH_DIR.glob("*_bench.py"))


def run(names: list[str], argv: list[str]) -> dict[str, Any]:
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    results: dict[str, Any] = {}
    for name in names:
        module = importlib.import_module(f"{name}_bench")
        start = time.perf_counter()
        try:
            result = module.main(list(argv))
        except (Exception, SystemExit) as exc:
            console.print(f"[red]{name} failed:[/] {exc!r}")
            traceback.print_exc()
            result = {"error": repr(exc)}
        result["wall_seconds"] = round(time.perf_counter() - start, 1)
        result["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        results[name] = result
    return results


def save(results: dict[str, Any]) -> dict[str, Any]:
    stored: dict[str, Any] = {}
    if RESULTS.exists():
        try:
            stored = json.loads(RESULTS.read_text()).get("results", {})
        except (json.JSONDecodeError, AttributeError):
            stored = {}
    stored.update(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                                   "results": stored}, ensure_ascii=False, indent=2) + "\n")
    return stored


def show(results: dict[str, Any]) -> None:
    table = Table(title="benchmarks (ratios are against a baseline measured in the same run)")
    for column in ("bench", "metric", "value", "target", "ok"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for name, result in results.items():
        if "error" in result:
            table.add_row(name, "[red]failed[/]", "", "", result["error"][:60])
            continue
        for row in result.get("headline", []):
            ok = row.get("ok")
            value = row["value"]
            shown = f"{value:,}" if isinstance(value, int | float) else str(value)
            table.add_row(name, row["metric"], f"{shown} {row.get('unit', '')}".strip(),
                          row.get("target", ""),
                          "" if ok is None else ("[green]yes[/]" if ok else "[red]no[/]"))
        table.add_section()
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--" in argv:
        split = argv.index("--")
        names, passed = argv[:split], argv[split + 1:]
    else:
        names, passed = argv, []
    if any(n in ("-h", "--help") for n in names):
        console.print(__doc__)
        console.print(f"benches: {', '.join(available())}")
        return 0
    names = [n.removesuffix(".py").removesuffix("_bench") for n in names] or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        console.print(f"[red]no such bench:[/] {', '.join(unknown)} "
                      f"(have: {', '.join(available())})")
        return 2
    results = run(names, passed)
    save(results)
    show(results)
    console.print(f"results: {RESULTS}")
    return 1 if any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
