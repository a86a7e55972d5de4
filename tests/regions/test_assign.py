"""Point-to-cell lookups: the border rule, a named cell tried first, points outside."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from gridrisk.regions.assign import CellIndex


def index() -> CellIndex:
    return CellIndex(gpd.GeoDataFrame({"code": ["B", "A"]},
                                      geometry=[box(1, 0, 2, 1), box(0, 0, 1, 1)], crs=4326))


def test_a_point_on_a_shared_border_goes_to_the_first_code() -> None:
    assert index().assign(np.array([1.0, 0.5, 1.5, 5.0]), np.array([0.5] * 4)).tolist() == [
        "A", "A", "B", ""]


def test_in_some_cell_whatever_cell_is_named_beside_the_point() -> None:
    lon, lat = np.array([0.5, 0.5, 1.5, 5.0, 0.5]), np.array([0.5] * 5)
    named = np.array(["A", "B", "nowhere", "A", None], dtype=object)
    assert index().in_some_cell(lon, lat, named).tolist() == [True, True, True, False, True]
    assert index().holds(named, lon, lat).tolist() == [True, False, False, False, False]
    # as a file's column gives them: Arrow-backed text
    assert index().holds(pd.Series(named, dtype="str"), lon, lat).tolist() == [
        True, False, False, False, False]
