"""A small synthetic cycle for map tests: a 4 × 4 grid of 0.01° cells near 116.4E 39.9N in
two townships, with known hotspots, missed screenings and cases."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from gridrisk.vocab import labels

WEST, SOUTH, SIZE = 116.38, 39.88, 0.01
HOTSPOTS = {0: ("hot_99", "intensifying"), 1: ("hot_95", "new"), 4: ("hot_90", "persistent"),
            15: ("cold_95", "diminishing"), 14: ("cold_90", "sporadic")}
CATEGORY_LABELS = {"land_requisition": "征地拆迁", "wages_labour": "劳资纠纷",
                   "property_management": "物业管理"}
#: what gridrisk hands a map: its vocabularies' names (here the Chinese ones)
CODE_LABELS = {**labels("zh"), "category": CATEGORY_LABELS}
#: cell G01's first case: the test in the browser clicks this cell and looks for it
TOP_CASE = "XF2025-0001"


def grid_cells() -> gpd.GeoDataFrame:
    rows = []
    for i in range(16):
        col, row = i % 4, i // 4
        hotspot, trend = HOTSPOTS.get(i, ("none", ""))
        households = None if i == 5 else 200 + 10 * i
        expected = round(3.2 / (1 + i), 3)
        rows.append({
            "cell_code": f"G{i + 1:02d}", "cell_name": f"第{i + 1}网格",
            "township": "东华门街道" if col < 2 else "景山街道",
            "expected_escalations": expected, "n_open": 3 if i < 8 else 1,
            "n_overdue": 1 if i in (0, 3) else 0, "n_due_soon": i % 3, "n_collective": int(i == 0),
            "n_high_disputes": int(i in (0, 2)), "n_missed_screenings": 2 if i in (7, 11) else 0,
            "households": households,
            "escalations_per_1000": np.nan if households is None else expected / households * 1000,
            "gi_z": 3.0 - 0.4 * i, "hotspot": hotspot, "trend": trend,
            "geometry": box(WEST + col * SIZE, SOUTH + row * SIZE,
                            WEST + (col + 1) * SIZE, SOUTH + (row + 1) * SIZE),
        })
    cells = gpd.GeoDataFrame(rows, crs=4326)
    cells["households"] = cells["households"].astype("Int64")
    return cells


def grid_cases() -> gpd.GeoDataFrame:
    rows = []
    categories = list(CATEGORY_LABELS)
    for i in range(16):
        col, row = i % 4, i // 4
        for k in range(3 if i < 8 else 1):
            score = round(0.95 - 0.05 * i - 0.1 * k, 3)
            rows.append({
                "case_id": f"XF2025-{i * 3 + k + 1:04d}", "cell_code": f"G{i + 1:02d}",
                "category": categories[(i + k) % 3], "score": score,
                # the first case: almost sure to pass its deadline, almost sure not to return
                "p_deadline": 0.9991 if i == k == 0 else round(score * 0.6, 3),
                "p_return": 0.002 if i == k == 0 else round(score * 0.5, 3), "rank": k + 1,
                "band": "high" if score >= 0.7 else "medium" if score >= 0.4 else "low",
                "overdue": i in (0, 3) and k == 0, "collective": i == 0 and k == 0,
                "handle_by": pd.NaT if k == 2 else pd.Timestamp("2025-06-01")
                + pd.Timedelta(days=i),
                "reason_1": "临近办理期限", "reason_2": "涉及人数较多" if k == 0 else "",
                "reason_3": "", "responsible_unit": "东华门街道办事处",
                "geometry": Point(WEST + (col + 0.3 + 0.2 * k) * SIZE,
                                  SOUTH + (row + 0.5) * SIZE),
            })
    return gpd.GeoDataFrame(rows, crs=4326)


def grid_outlines() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"region_code": ["110101001", "110101002"], "name": ["东华门街道", "景山街道"],
         "level": ["township", "township"]},
        geometry=[box(WEST, SOUTH, WEST + 2 * SIZE, SOUTH + 4 * SIZE),
                  box(WEST + 2 * SIZE, SOUTH, WEST + 4 * SIZE, SOUTH + 4 * SIZE)], crs=4326)


@pytest.fixture
def cells() -> gpd.GeoDataFrame:
    return grid_cells()


@pytest.fixture
def cases() -> gpd.GeoDataFrame:
    return grid_cases()


@pytest.fixture
def outlines() -> gpd.GeoDataFrame:
    return grid_outlines()
