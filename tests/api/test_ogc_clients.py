"""OGC API – Features read by clients nobody here wrote: GDAL's OAPIF driver (through pyogrio)
and OWSLib, against uvicorn on 127.0.0.1, on the small demo county with a weekly cycle run in
the module's transaction, as a township supervisor who must see only their township."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from owslib.ogcapi.features import Features
from sqlalchemy import Connection, Engine, text

from api.app import create_app
from gridrisk.cases.service import list_cases
from gridrisk.cycles.run import CycleInputs, run_cycle
from gridrisk.settings import Settings

from ..accounts import bearer, grant
from ..conftest import rolled_back
from ..county import POLICY, TIMEZONE
from ..live import serving

AS_OF = date(2026, 8, 31)
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Served:
    url: str
    township: str
    token: str
    expected: dict[str, int]


def _expected(conn: Connection, township: str, cycle_id: int) -> dict[str, int]:
    """What the township holds, counted without the OGC layers' code."""
    def count(sql: str) -> int:
        return int(conn.execute(text(sql), {"t": township, "cycle": cycle_id}).scalar_one())
    under = "(SELECT code FROM regions WHERE code = :t OR parent_code = :t)"
    cells_under = f"(SELECT code FROM cells WHERE region_code IN {under})"
    return {
        "regions": count(f"SELECT count(*) FROM regions WHERE code IN {under}"),
        "cells": count(f"SELECT count(*) FROM cells WHERE code IN {cells_under}"),
        "cycle_cells_weekly": count("SELECT count(*) FROM cycle_cells WHERE cycle_id = :cycle"
                                    f" AND cell_code IN {cells_under}"),
        "cycle_cells_daily": 0, "cycle_cells_monthly": 0,
        "hotspots": count("SELECT count(*) FROM cycle_cells WHERE cycle_id = :cycle AND "
                          f"hotspot LIKE 'hot%' AND cell_code IN {cells_under}"),
        "open_cases": list_cases(conn, policy=POLICY.deadlines, timezone=TIMEZONE, region=township,  # type: ignore[arg-type]
                                 state="open", limit=1).total,
    }


@pytest.fixture(scope="module")
def served(county: Engine, cycle_data_dir, tmp_path_factory) -> Iterator[Served]:  # type: ignore[no-untyped-def]
    for conn in rolled_back(county):
        inputs = CycleInputs(registry_root=cycle_data_dir / "models", policy_file=None,
                             timezone=TIMEZONE, threads=1)
        cycle = run_cycle(conn, inputs, cadence="weekly", as_of=AS_OF)
        township = conn.execute(text(
            "SELECT code FROM regions WHERE level = 'township' ORDER BY code LIMIT 1")
        ).scalar_one()
        token = grant(conn, "supervisor", [township])
        app = create_app(Settings(data_dir=cycle_data_dir, model_threads=1,
                                  timezone=TIMEZONE), bind=conn)
        with serving(app) as base:
            yield Served(f"{base}/ogc", township, token,
                         _expected(conn, township, cycle.id))


#: GDAL in a process of its own, as QGIS would be: pyogrio holds the interpreter while its
#: driver waits on HTTP, which would stall the server's thread in this process. It sends the
#: token with GDAL_HTTP_AUTH=BEARER (the OAPIF driver sets its own headers, so
#: GDAL_HTTP_HEADERS would not be sent) and reads each layer page by page (PAGE_SIZE).
GDAL_READS = """
import json, sys
import pyogrio
source, token, page_size = sys.argv[1], sys.argv[2], sys.argv[3]
if token:
    pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": token})
try:
    names = [name for name, _ in pyogrio.list_layers(source)]
except pyogrio.errors.DataSourceError as exc:
    print(json.dumps({"error": str(exc)}))
    sys.exit(0)
found = {}
for name in names:
    frame = pyogrio.read_dataframe(source, layer=name, PAGE_SIZE=page_size)
    found[name] = {"n": len(frame), "columns": list(frame.columns),
                   "crs": frame.crs.to_string() if frame.crs else None,
                   "valid": bool(frame.is_valid.all()),
                   "values": {c: frame[c].astype(str).tolist() for c in ("code", "n_open")
                              if c in frame}}
print(json.dumps(found))
"""


def gdal_reads(url: str, token: str, page_size: int = 7) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", GDAL_READS, f"OAPIF:{url}", token,
                           str(page_size)], capture_output=True, text=True, timeout=600,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_gdal_reads_every_collection_page_by_page_and_only_the_township(
        served: Served) -> None:
    layers = gdal_reads(served.url, served.token, page_size=7)
    assert {name: found["n"] for name, found in layers.items()} == served.expected
    assert served.expected["cells"] > 7 * 5  # many pages, each followed by its next link
    for found in layers.values():
        assert found["crs"] == "OGC:CRS84" and found["valid"]
    assert {"code", "name", "region_code", "region_name"} <= set(layers["cells"]["columns"])
    assert len(set(layers["cells"]["values"]["code"])) == served.expected["cells"]
    assert {"expected_escalations", "n_open", "hotspot", "trend", "gi_z", "as_of"} <= set(
        layers["cycle_cells_weekly"]["columns"])
    assert sum(int(n) for n in layers["cycle_cells_weekly"]["values"]["n_open"]) > 0
    cases = set(layers["open_cases"]["columns"])
    assert {"case_id", "category", "handle_by", "overdue_days", "summary"} <= cases
    assert not {"responsible_official", "contact", "name", "phone"} & cases
    codes = layers["regions"]["values"]["code"]
    assert served.township in codes and all(c.startswith(served.township[:9]) for c in codes)


def test_gdal_without_a_token_is_refused(served: Served) -> None:
    assert "401" in gdal_reads(served.url, "")["error"]


def test_owslib_lists_the_collections_and_reads_items_in_a_bbox(served: Served) -> None:
    api = Features(served.url, headers=bearer(served.token))
    assert set(api.conformance()["conformsTo"]) >= {
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"}
    ids = [c["id"] for c in api.collections()["collections"]]
    assert set(ids) == set(served.expected)
    cells = api.collection_items("cells", limit=1000)
    assert cells["numberMatched"] == served.expected["cells"]
    west, south, east, north = api.collection("cells")["extent"]["spatial"]["bbox"][0]
    middle = (west + east) / 2
    half = api.collection_items("cells", bbox=[west, south, middle, north], limit=1000)
    assert 0 < half["numberReturned"] < served.expected["cells"]
    for feature in half["features"]:
        xs = [x for ring in feature["geometry"]["coordinates"][0] for x, _ in ring]
        assert min(xs) <= middle
