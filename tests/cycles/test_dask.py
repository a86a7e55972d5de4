"""The Dask engine (one task per township on a real LocalCluster) equals the local one."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Connection

from gridrisk.cycles.run import CycleInputs, run_cycle

from .test_run import AS_OF, rows


@pytest.mark.slow
def test_dask_gives_the_same_cycle_as_the_local_engine(county_conn: Connection,
                                                       inputs: CycleInputs) -> None:
    local = run_cycle(county_conn, inputs, cadence="weekly", as_of=AS_OF)
    dask = run_cycle(county_conn, inputs, cadence="weekly", as_of=AS_OF, engine="dask")
    assert (local.engine, dask.engine) == ("local", "dask")
    assert dask.input_fingerprint == local.input_fingerprint
    for table, order in (("cycle_cells", "cell_code"), ("cycle_cases", "case_id"),
                         ("assignments", "priority")):
        pd.testing.assert_frame_equal(rows(county_conn, table, local.id, order),
                                      rows(county_conn, table, dask.id, order))
