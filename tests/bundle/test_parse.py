"""The column parsers on their own, without a bundle or a database."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridrisk.bundle.parse import (
    Problems,
    _mixed_moments,
    flag_duplicates,
    is_in,
    parse_moment,
    present,
)


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


WITH_OFFSETS = ["2025-02-03T02:36:26+08:00", "2025-02-03T02:36:26Z", "2025-02-03 02:36:26+0800",
                "2025-02-03T02:36:26.123456+08:00", "2025-02-03T02:36:26-05", "",
                "2025-02-03T02:36+08:00", "2024-02-29T23:59:59+08:00"]


def moments(values: list[str], **options: object) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    rows = pd.DataFrame({"line": range(2, len(values) + 2),
                         "at": pd.Series(values, dtype="str")}).set_axis(
        pd.RangeIndex(50, 50 + len(values)))
    problems = Problems("x.csv")
    instants, is_date = parse_moment(rows, "at", problems, timezone="Asia/Shanghai",
                                     dates_allowed=False, **options)  # type: ignore[arg-type]
    return instants, is_date, problems.frame()


def test_times_with_offsets_read_as_by_the_general_path() -> None:
    instants, is_date, problems = moments(WITH_OFFSETS, required=False)

    text = pd.Series(WITH_OFFSETS, dtype="str").set_axis(instants.index)
    general, _ = _mixed_moments(text, present(text), timezone="Asia/Shanghai",
                                dates_allowed=False)
    pd.testing.assert_series_equal(instants, general)
    assert str(instants.dtype) == "datetime64[us, UTC]"
    assert instants.iloc[0] == pd.Timestamp("2025-02-02T18:36:26Z")
    assert not is_date.any() and problems.empty


def test_one_time_without_offset_is_local_time_and_a_date_is_refused() -> None:
    instants, _, problems = moments([*WITH_OFFSETS[:2], "2025-02-03T02:36:26", "2025-02-03"])

    assert instants.iloc[2] == pd.Timestamp("2025-02-02T18:36:26Z")  # Asia/Shanghai is +8
    assert problems[["line", "reason"]].to_dict("records") == [
        {"line": 5, "reason": "not an ISO time with its offset (e.g. 2025-03-14T09:30:00+08:00)"}]


@pytest.mark.parametrize("dtype", ["str", object])
def test_is_in_answers_as_pandas_isin(dtype: object) -> None:
    text = pd.Series(["网格", "", "a", "b", "A"], dtype=dtype, index=[3, 4, 5, 6, 7])

    found = is_in(text, pd.Index(["a", "网格"]))

    assert found.tolist() == text.isin(["a", "网格"]).tolist() == [True, False, True, False,
                                                                  False]
    assert found.index.equals(text.index)
    assert not is_in(text, []).any()
    # the codes a bundle holds, as pandas keeps them: an Arrow-backed index
    assert is_in(text, pd.Index(pd.Series(["b", "A"], dtype="str"))).tolist() == [
        False, False, False, True, True]
