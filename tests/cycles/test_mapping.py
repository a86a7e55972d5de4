"""A cycle's frames meet the map builder's contract and draw a map; no complainant detail."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import Connection

from gridrisk.cycles.mapping import cycle_map_frames
from gridrisk.cycles.results import cycle_cells
from gridrisk.cycles.run import CycleInputs, run_cycle
from gridrisk.vocab import labels
from maps.columns import CASE_COLUMNS, CELL_COLUMNS, OUTLINE_COLUMNS
from maps.cycle import cycle_map

AS_OF = date(2026, 8, 31)

#: a script, style sheet or image loaded from another host
REMOTE = re.compile(r"""<(script|link|img)[^>]*(src|href)=["']?(https?:)?//""")


def test_frames_carry_the_documented_columns_and_draw(county_conn: Connection,
                                                      inputs: CycleInputs) -> None:
    cycle = run_cycle(county_conn, inputs, cadence="weekly", as_of=AS_OF)
    cells, cases, outlines = cycle_map_frames(county_conn, cycle.id)
    assert set(CELL_COLUMNS) <= set(cells.columns) and len(cells) == cycle.n_cells
    assert set(CASE_COLUMNS) <= set(cases.columns) and len(cases) == cycle.n_cases
    assert set(OUTLINE_COLUMNS) <= set(outlines.columns)
    assert {"county", "township"} == set(outlines["level"])
    assert cells.crs.to_epsg() == cases.crs.to_epsg() == 4326
    assert cases.geometry.notna().all() and not cases.geometry.is_empty.any()
    high = cases.loc[cases["band"] == "high", "score"]
    assert len(high) and high.min() >= 0.3 and set(cases["band"]) <= {"high", "medium", "low"}
    for column in (*cells.columns, *cases.columns):
        assert not any(w in column for w in ("complainant", "phone", "name_of", "id_card"))
    html = cycle_map(cells, cases, outlines=outlines, asset_url=None, title="周期",
                     code_labels=labels("zh"))
    assert "劳资纠纷" in html or "征地拆迁" in html
    assert REMOTE.search(html) is None


def test_a_region_with_no_open_case_still_maps(county_conn: Connection,
                                              inputs: CycleInputs) -> None:
    cycle = run_cycle(county_conn, inputs, cadence="weekly", as_of=AS_OF)
    quiet = next(c for c in reversed(cycle_cells(county_conn, cycle.id)) if c.n_open == 0)
    village = county_conn.exec_driver_sql(
        "SELECT region_code FROM cells WHERE code = %s", (quiet.cell_code,)).scalar()
    cells, cases, _ = cycle_map_frames(county_conn, cycle.id, village)
    if cases.empty:
        assert set(CASE_COLUMNS) <= set(cases.columns)
        assert "L.map(" in cycle_map(cells, cases, asset_url=None)
    assert quiet.cell_code in set(cells["cell_code"])
