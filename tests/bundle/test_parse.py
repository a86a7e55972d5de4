"""The column parsers on their own, without a bundle or a database."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridrisk.bundle.parse import Problems, flag_duplicates


def first_lines(ids: list[str], lines: list[int]) -> dict[int, int]:
    """Each repeated id's line → the line it first appeared on, walked one id at a time."""
    seen: dict[str, int] = {}
    repeats = {}
    for value, line in zip(ids, lines, strict=True):
        if value == "":
            continue
        if value in seen:
            repeats[line] = seen[value]
        else:
            seen[value] = line
    return repeats


@pytest.mark.parametrize("dtype", ["str", object])
def test_flag_duplicates_names_each_repeats_first_line(dtype: object) -> None:
    rng = np.random.default_rng(7)
    ids = rng.integers(0, 300, 2_000).astype(str)
    ids[rng.random(len(ids)) < 0.1] = ""  # missing ids are not repeats of each other
    lines = list(range(2, len(ids) + 2))
    # a batch: indexed by position in the file, not from 0
    rows = pd.DataFrame({"line": lines, "code": pd.Series(ids, dtype=dtype)}).set_axis(
        pd.RangeIndex(100, 100 + len(ids)))
    problems = Problems("x.csv")

    repeated = flag_duplicates(rows, "code", problems)

    expected = first_lines(list(ids), lines)
    found = problems.frame()
    assert dict(zip(found["line"], found["reason"], strict=True)) == {
        line: f"duplicate id: first on line {first}" for line, first in expected.items()}
    assert repeated.index.equals(rows.index)
    assert set(rows.loc[repeated, "line"]) == set(expected)


def test_flag_duplicates_without_repeats_records_nothing() -> None:
    rows = pd.DataFrame({"line": [2, 3, 4], "code": pd.Series(["b", "", "a"], dtype="str")})
    problems = Problems("x.csv")

    repeated = flag_duplicates(rows, "code", problems)

    assert not problems
    assert not repeated.any()
