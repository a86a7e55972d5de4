"""Maps: the medium county's cycle map (HTML size, time to the load event in headless
Chromium) and the large county's vector tiles (median time at zooms 10, 12 and 14).

A private embedded PostGIS cluster gets the medium and the large county (cycle_bench's
`county`), a 30-day model trained on the medium county and a weekly cycle on each. The medium
map is built as `gridrisk map` builds it (assets inlined, a standalone file) and as the
service serves it (assets linked to /assets/maps), then opened `--loads` times in Debian's
chromium through Playwright from a uvicorn on 127.0.0.1: the time from navigation to the load
event is Playwright's `page.goto(..., wait_until="load")`. The tiles are fetched from the same
uvicorn (`/tiles/cells/{z}/{x}/{y}.mvt?cycle=ID`): every tile over the large county at zooms
10 and 12, and up to `--tiles` tiles at zoom 14 spread over the county, one at a time over a
kept-alive connection (http.client), after one warm-up pass.

Targets (reported, never asserted): medium map under 5 MB and loaded under 3 s; vector tiles
under 50 ms median. Results: bench/out/map.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import shutil
import socket
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from common import code_state
from cycle_bench import county, promoted_model
from rich.console import Console

from gridrisk.db.embedded import reachable_scratch

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
console = Console()


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def tiles_over(bounds: tuple[float, float, float, float], z: int, limit: int
               ) -> list[tuple[int, int, int]]:
    west, south, east, north = bounds
    x0, y0 = tile_xy(west, north, z)
    x1, y1 = tile_xy(east, south, z)
    every = [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    step = max(1, len(every) // limit)
    return every[::step][:limit]


def serve(app: Any) -> tuple[str, Any]:
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def weekly_cycle(url: str, inputs: Any) -> int:
    from sqlalchemy import create_engine

    from gridrisk.cycles.run import run_cycle

    engine = create_engine(url)
    with engine.begin() as conn:
        cycle_id = run_cycle(conn, inputs, cadence="weekly").id
    engine.dispose()
    return cycle_id


def map_html(url: str, cycle_id: int, asset_url: str | None) -> str:
    from sqlalchemy import create_engine

    from gridrisk.cycles.mapping import cycle_map_frames
    from gridrisk.vocab import labels
    from maps.cycle import cycle_map

    engine = create_engine(url)
    with engine.connect() as conn:
        cells, cases, outlines = cycle_map_frames(conn, cycle_id)
    engine.dispose()
    return cycle_map(cells, cases, outlines=outlines, asset_url=asset_url,
                     title=f"周期 {cycle_id}", code_labels=labels("zh"))


def load_times(base: str, paths: list[str], loads: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {p: [] for p in paths}
    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(loads):
            for path in paths:
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.on("request", lambda r: outside.append(r.url)
                        if not r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                        else None)
                started = time.perf_counter()
                page.goto(base + path, wait_until="load")
                times[path].append(time.perf_counter() - started)
                page.close()
        browser.close()
    if outside:
        raise RuntimeError(f"the map asked for {outside[:3]} outside 127.0.0.1")
    return times


def main(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--tiles", type=int, default=200)
    args = parser.parse_args(argv)

    from fastapi.responses import HTMLResponse
    from sqlalchemy import create_engine

    from api.app import create_app
    from gridrisk.db.embedded import EmbeddedCluster
    from gridrisk.settings import Settings

    scratch = reachable_scratch("gridrisk-map-bench-")
    cluster = EmbeddedCluster(scratch / "pg", durable=False)
    cluster.start()
    result: dict[str, Any] = {"code": code_state(("folium", "playwright"), "maps",
                                                 "gridrisk/regions/tiles.py")}
    try:
        cache = OUT_DIR / "counties"
        medium_url, _ = county(cluster, "medium", "medium", args.seed, cache)
        large_url, _ = county(cluster, "large", "large", args.seed, cache)
        inputs = promoted_model(medium_url, scratch / "data" / "models")
        medium_cycle, large_cycle = (weekly_cycle(u, inputs) for u in (medium_url, large_url))

        console.print("medium map …")
        standalone = map_html(medium_url, medium_cycle, None)
        served = map_html(medium_url, medium_cycle, "/assets/maps")
        medium_app = create_app(Settings(data_dir=scratch / "data"),
                                bind=create_engine(medium_url))
        medium_app.add_api_route("/bench/standalone", lambda: HTMLResponse(standalone))
        medium_app.add_api_route("/bench/served", lambda: HTMLResponse(served))
        base, medium_server = serve(medium_app)
        times = load_times(base, ["/bench/standalone", "/bench/served"], args.loads)
        medium_server.should_exit = True
        result["medium_map"] = {
            "standalone_mb": round(len(standalone.encode()) / 1e6, 2),
            "served_mb": round(len(served.encode()) / 1e6, 2),
            "load_seconds": {p: [round(t, 3) for t in ts] for p, ts in times.items()},
            "median_load_seconds": {p: round(statistics.median(ts), 3)
                                    for p, ts in times.items()}}

        console.print("large county tiles …")
        large_engine = create_engine(large_url, pool_size=4)
        with large_engine.connect() as conn:
            bounds = tuple(conn.exec_driver_sql(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                "(SELECT ST_Extent(geom) e FROM cells) s").one())
        large_app = create_app(Settings(data_dir=scratch / "data"), bind=large_engine)
        base, large_server = serve(large_app)
        tiles: dict[str, Any] = {}
        client = http.client.HTTPConnection(base.removeprefix("http://"), timeout=30)

        def fetch(path: str) -> bytes:
            client.request("GET", path)
            response = client.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"{path}: {response.status} {body[:200]!r}")
            return body

        for z in (10, 12, 14):
            wanted = tiles_over(bounds, z, args.tiles)  # type: ignore[arg-type]
            paths = [f"/tiles/cells/{z}/{x}/{y}.mvt?cycle={large_cycle}" for z, x, y in wanted]
            for path in paths:  # warm-up: the database's caches, the app's imports
                fetch(path)
            seconds, sizes = [], []
            for path in paths:
                started = time.perf_counter()
                sizes.append(len(fetch(path)))
                seconds.append(time.perf_counter() - started)
            tiles[str(z)] = {"tiles": len(paths),
                             "median_ms": round(1000 * statistics.median(seconds), 1),
                             "p95_ms": round(1000 * sorted(seconds)[int(0.95 * (
                                 len(seconds) - 1))], 1),
                             "median_kb": round(statistics.median(sizes) / 1024, 1),
                             "max_kb": round(max(sizes) / 1024, 1)}
        client.close()
        large_server.should_exit = True
        large_engine.dispose()
        result["large_tiles"] = tiles
    finally:
        cluster.destroy()
        shutil.rmtree(scratch, ignore_errors=True)

    medium = result["medium_map"]
    headline = [
        {"metric": "medium map, standalone file", "value": medium["standalone_mb"], "unit": "MB",
         "target": "< 5 MB", "ok": medium["standalone_mb"] < 5},
        {"metric": "medium map, as served", "value": medium["served_mb"], "unit": "MB",
         "target": "< 5 MB", "ok": medium["served_mb"] < 5}]
    for path, name in (("/bench/standalone", "standalone"), ("/bench/served", "served")):
        value = medium["median_load_seconds"][path]
        headline.append({"metric": f"medium map load event ({name}), median", "value": value,
                         "unit": "s", "target": "< 3 s", "ok": value < 3})
    for z, found in result["large_tiles"].items():
        headline.append({"metric": f"large county tile z{z}, median of {found['tiles']}",
                         "value": found["median_ms"], "unit": "ms", "target": "< 50 ms",
                         "ok": found["median_ms"] < 50})
    result["headline"] = headline
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "map.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    return result
