"""GeoPackages opened by pyogrio and by GDAL's own ogrinfo (Debian's gdal-bin): the layers,
their counts and CRS, the QGIS styles in layer_styles, and no complainant detail."""

from __future__ import annotations

import re
import subprocess
from datetime import date
from pathlib import Path
from xml.etree import ElementTree as ET

import pyogrio
import pytest
from sqlalchemy import Connection, text

from gridrisk.bundle.service import import_bundle
from gridrisk.cycles.run import CycleInputs, run_cycle
from gridrisk.errors import InvalidInput
from gridrisk.gis.geopackage import export_cycle_gpkg, export_region_gpkg
from gridrisk.gis.layers import CaseRules
from gridrisk.vocab import Hotspot

from ..bundle.conftest import CELL_AN, COUNTY, VILLAGE_A, write_tiny_bundle
from ..cli.test_commands import gridrisk
from ..county import POLICY, TIMEZONE

RULES = CaseRules(POLICY.deadlines, TIMEZONE)
AS_OF = date(2026, 8, 31)


def ogrinfo(path: Path) -> dict[str, tuple[int, str]]:
    """Layer → (feature count, CRS id) as GDAL's command-line tool reports them."""
    report = subprocess.run(["ogrinfo", "-ro", "-so", "-al", str(path)], capture_output=True,
                            text=True, check=True).stdout
    layers = {}
    for block in report.split("Layer name: ")[1:]:
        name = block.splitlines()[0].strip()
        count = int(re.search(r"Feature Count: (\d+)", block).group(1))  # type: ignore[union-attr]
        crs = re.findall(r'ID\["EPSG",(\d+)\]', block)
        layers[name] = (count, f"EPSG:{crs[-1]}" if crs else "")
    return layers


def test_a_region_exports_its_regions_cells_and_cases(conn: Connection, tmp_path: Path
                                                      ) -> None:
    import_bundle(conn, write_tiny_bundle(tmp_path / "tiny"))
    conn.execute(text("UPDATE cases SET summary = '张三 电话13812348000 身份证11010519491231002X' "
                      "WHERE case_id = 'C2'"))
    out = tmp_path / "county.gpkg"

    counts = export_region_gpkg(conn, COUNTY, out, rules=RULES)

    assert counts == {"regions": 4, "cells": 3, "cases": 4}
    assert ogrinfo(out) == {"regions": (4, "EPSG:4326"), "cells": (3, "EPSG:4326"),
                            "cases": (4, "EPSG:4326"), "layer_styles": (3, "")}
    cases = pyogrio.read_dataframe(out, layer="cases")
    assert cases.crs.to_epsg() == 4326
    assert set(cases.geom_type) == {"Point"}
    by_id = cases.set_index("case_id")
    assert by_id.loc["C2", "located"] == "cell" and by_id.loc["C2", "cell_code"] == CELL_AN
    assert by_id.loc["C1", "located"] == "point"
    assert by_id.loc["C2", "summary"] == "张三 电话138****8000 身份证1101**********002X"
    assert "responsible_official" not in cases.columns
    raw = out.read_bytes()
    assert b"13812348000" not in raw and "王副镇长".encode() not in raw
    village = export_region_gpkg(conn, VILLAGE_A, tmp_path / "village.gpkg", rules=RULES)
    assert village == {"regions": 1, "cells": 2, "cases": 2}


def test_a_wrong_suffix_writes_nothing(conn: Connection, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"ends in \.gpkg"):
        export_region_gpkg(conn, COUNTY, tmp_path / "county.zip", rules=RULES)
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_a_cycle_exports_its_layers_with_hotspots_styled(county_conn: Connection,
                                                         inputs: CycleInputs,
                                                         tmp_path: Path) -> None:
    cycle = run_cycle(county_conn, inputs, cadence="weekly", as_of=AS_OF)
    out = tmp_path / "cycle.gpkg"

    counts = export_cycle_gpkg(county_conn, cycle.id, out)

    assert counts["cycle_cells"] == cycle.n_cells and counts["worklist"] == cycle.n_cases
    found = ogrinfo(out)
    assert found["cycle_cells"] == (cycle.n_cells, "EPSG:4326")
    assert found["worklist"] == (cycle.n_cases, "EPSG:4326")
    assert found["outlines"][0] >= 1 and found["layer_styles"] == (3, "")
    cells = pyogrio.read_dataframe(out, layer="cycle_cells")
    assert set(cells["hotspot"]) <= {h.value for h in Hotspot}
    worklist = pyogrio.read_dataframe(out, layer="worklist")
    assert set(worklist["band"]) <= {"high", "medium", "low"}
    assert "responsible_official" not in worklist.columns
    styles = pyogrio.read_dataframe(out, layer="layer_styles").set_index("f_table_name")
    assert set(styles.index) == {"cycle_cells", "worklist", "outlines"}
    assert styles["useAsDefault"].all() and set(styles["f_geometry_column"]) == {"geom"}
    renderer = ET.fromstring(styles.loc["cycle_cells", "styleQML"].split("\n", 1)[1]).find(
        "renderer-v2")
    assert renderer is not None and renderer.get("attr") == "hotspot"
    assert renderer.get("type") == "categorizedSymbol"
    coloured = {c.get("value") for c in renderer.iter("category")}
    assert coloured == {h.value for h in Hotspot}
    hot = next(c for c in renderer.iter("category") if c.get("value") == "hot_99")
    symbol = renderer.find(f"symbols/symbol[@name='{hot.get('symbol')}']")
    assert symbol is not None
    colour = symbol.find("layer/Option/Option[@name='color']")
    assert colour is not None and colour.get("value") == "178,24,43,200"


@pytest.mark.slow
def test_gridrisk_export_and_cycle_export_from_the_command_line(tmp_path: Path,
                                                                scratch_url: str) -> None:
    env = {"GRIDRISK_DATABASE_URL": scratch_url, "GRIDRISK_DATA_DIR": str(tmp_path / "d")}
    gridrisk("import", str(write_tiny_bundle(tmp_path / "tiny")), env=env, cwd=tmp_path)
    done = gridrisk("export", "--region", COUNTY, "--format", "gpkg",
                    str(tmp_path / "county.gpkg"), env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert ogrinfo(tmp_path / "county.gpkg")["cells"] == (3, "EPSG:4326")
    refused = gridrisk("export", "--region", COUNTY, "--format", "gpkg",
                       str(tmp_path / "county.geojson"), env=env, cwd=tmp_path)
    assert refused.returncode == 1 and ".gpkg" in refused.stderr
    missing = gridrisk("cycle", "export", str(tmp_path / "cycle.gpkg"), env=env, cwd=tmp_path)
    assert missing.returncode == 1 and "no screening cycle" in missing.stderr
