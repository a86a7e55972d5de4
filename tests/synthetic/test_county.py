"""The synthetic county: deterministic, nested, and within the bundle spec's rules."""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gridrisk.regions.coords import to_wgs84_by_row
from gridrisk.synthetic import SCALES, generate_bundle
from gridrisk.vocab import (
    COLLECTIVE_PARTIES,
    LEVELLED_EVENTS,
    Category,
    Channel,
    ClosureType,
    Crs,
    EventLevel,
    EventType,
    Outcome,
    RegionLevel,
    Satisfaction,
    Severity,
)

FILES = ("regions.geojson", "cells.geojson", "cases.csv", "case_events.csv", "screenings.csv",
         "contacts.csv", "known_repeats.csv")
END_ON = date(2026, 10, 31)
LEVEL_RANK = {level.value: rank for rank, level in enumerate(EventLevel)}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("county") / "seed1"
    generate_bundle(out, seed=1, scale="small", end_on=END_ON)
    return out


@pytest.fixture(scope="module")
def regions(bundle: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(bundle / "regions.geojson", engine="pyogrio")


@pytest.fixture(scope="module")
def cells(bundle: Path, regions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Every cell the importer will know: split cells plus unsplit villages as their own."""
    split = gpd.read_file(bundle / "cells.geojson", engine="pyogrio")
    holders = regions[regions["level"].isin([RegionLevel.village, RegionLevel.community])]
    unsplit = holders[~holders["code"].isin(split["region_code"])]
    whole = gpd.GeoDataFrame({"code": unsplit["code"], "region_code": unsplit["code"]},
                             geometry=unsplit.geometry.to_numpy(), crs=split.crs)
    return pd.concat([split[["code", "region_code", "geometry"]], whole], ignore_index=True)


def read_csv(bundle: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(bundle / name, dtype=str, keep_default_na=False)


def wgs84(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The rows' points in WGS84, whatever datum each declares."""
    return to_wgs84_by_row(rows["lon"].to_numpy(float), rows["lat"].to_numpy(float),
                           rows["crs"].to_numpy(str))


@pytest.fixture(scope="module")
def cases(bundle: Path) -> pd.DataFrame:
    return read_csv(bundle, "cases.csv")


@pytest.fixture(scope="module")
def events(bundle: Path) -> pd.DataFrame:
    return read_csv(bundle, "case_events.csv")


@pytest.fixture(scope="module")
def screenings(bundle: Path) -> pd.DataFrame:
    return read_csv(bundle, "screenings.csv")


def test_same_seed_writes_identical_files(bundle: Path, tmp_path: Path) -> None:
    counts = generate_bundle(tmp_path, seed=1, scale="small", end_on=END_ON)
    assert set(counts) == set(FILES)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (bundle / name).read_bytes(), name


def test_another_seed_gives_another_county(bundle: Path, tmp_path: Path) -> None:
    generate_bundle(tmp_path, seed=2, scale="small", end_on=END_ON)
    for name in FILES:
        assert (tmp_path / name).read_bytes() != (bundle / name).read_bytes(), name


def test_unknown_scale_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown scale 'huge'"):
        generate_bundle(tmp_path, scale="huge")


def test_progress_advances_to_done(tmp_path: Path) -> None:
    seen: list[tuple[str, float]] = []
    generate_bundle(tmp_path, seed=3, progress=lambda step, done: seen.append((step, done)))
    fractions = [done for _, done in seen]
    assert fractions == sorted(fractions)
    assert seen[0] == ("geography", 0.0)
    assert seen[-1] == ("done", 1.0)


def test_small_scale_sizes(regions: gpd.GeoDataFrame, cells: gpd.GeoDataFrame,
                           cases: pd.DataFrame, events: pd.DataFrame,
                           screenings: pd.DataFrame) -> None:
    levels = regions["level"].value_counts()
    assert levels[RegionLevel.county] == 1
    assert levels[RegionLevel.township] == SCALES["small"].n_townships
    assert 90 <= levels[RegionLevel.village] + levels[RegionLevel.community] <= 110
    assert 10 <= levels[RegionLevel.community] <= 40
    split_villages = cells.loc[cells["code"] != cells["region_code"], "region_code"].nunique()
    assert 20 <= split_villages <= 50
    assert 2_700 <= len(cases) <= 3_300
    assert 4 * len(cases) <= len(events) <= 12 * len(cases)
    assert 0.7 * len(cells) * 78 <= len(screenings) <= len(cells) * 80


def test_codes_and_names_follow_the_statistical_scheme(regions: gpd.GeoDataFrame,
                                                       cells: gpd.GeoDataFrame) -> None:
    assert regions["code"].is_unique
    assert regions["code"].str.fullmatch(r"\d{12}").all()
    county = regions[regions["level"] == RegionLevel.county].iloc[0]
    assert county["code"].endswith("000000")
    assert county["name"].endswith("县")
    townships = regions[regions["level"] == RegionLevel.township]
    assert (townships["code"].str[:6] == county["code"][:6]).all()
    assert townships["code"].str.endswith("000").all()
    assert townships["name"].str.contains("(?:镇|乡|街道)$").all()
    lower = regions[regions["level"].isin([RegionLevel.village, RegionLevel.community])]
    number = lower["code"].str[-3:].astype(int)
    is_community = lower["level"] == RegionLevel.community
    assert number[is_community].between(1, 199).all()
    assert number[~is_community].between(200, 399).all()
    assert lower.loc[is_community, "name"].str.endswith("社区").all()
    assert lower.loc[~is_community, "name"].str.endswith("村").all()
    assert not lower.duplicated(["parent_code", "name"]).any()
    assert (lower["code"].str[:9] == lower["parent_code"].str[:9]).all()
    split = cells[cells["code"] != cells["region_code"]]
    assert split["code"].str.fullmatch(r"\d{14}").all()
    assert (split["code"].str[:12] == split["region_code"]).all()
    assert cells["code"].is_unique


def test_households_add_up(regions: gpd.GeoDataFrame) -> None:
    households = regions.set_index("code")["households"]
    lower = regions[regions["level"].isin([RegionLevel.village, RegionLevel.community])]
    village_households = lower.loc[lower["level"] == RegionLevel.village, "households"]
    assert village_households.between(150, 3000).all()
    sums = lower.groupby("parent_code")["households"].sum()
    assert (households[sums.index] == sums).all()
    townships = regions[regions["level"] == RegionLevel.township]
    county = regions[regions["level"] == RegionLevel.county].iloc[0]
    assert townships["households"].sum() == county["households"]


def test_regions_nest_and_tile(regions: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> None:
    assert regions.geometry.is_valid.all()
    assert cells.geometry.is_valid.all()
    shape = dict(zip(regions["code"], regions.geometry, strict=True))
    children = regions[regions["parent_code"].notna()]
    parents = np.array([shape[code] for code in children["parent_code"]], dtype=object)
    inside = shapely.area(shapely.intersection(children.geometry.to_numpy(), parents))
    assert (inside / shapely.area(children.geometry.to_numpy()) >= 0.999).all()
    area = pd.Series(shapely.area(regions.geometry.to_numpy()), index=regions["code"])
    child_sums = area[children["code"]].groupby(children["parent_code"].to_numpy()).sum()
    assert np.allclose(child_sums, area[child_sums.index], rtol=1e-3)
    cell_sums = pd.Series(shapely.area(cells.geometry.to_numpy())).groupby(
        cells["region_code"].to_numpy()).sum()
    assert np.allclose(cell_sums, area[cell_sums.index], rtol=1e-3)


def test_vocabulary(cases: pd.DataFrame, events: pd.DataFrame,
                    screenings: pd.DataFrame) -> None:
    def allowed(values: pd.Series, vocabulary: type) -> bool:
        return bool(values[values != ""].isin([v.value for v in vocabulary]).all())

    assert allowed(cases["channel"], Channel)
    assert allowed(cases["category"], Category)
    assert allowed(cases["crs"], Crs)
    assert cases["complex"].isin(["true", "false"]).all()
    assert (cases["parties"].astype(int) >= 1).all()
    assert allowed(events["type"], EventType)
    assert allowed(events["level"], EventLevel)
    closed = events[events["type"] == EventType.closed]
    assert closed["detail"].isin([c.value for c in ClosureType]).all()
    followed = events[events["type"] == EventType.followed_up]
    assert followed["detail"].isin([s.value for s in Satisfaction]).all()
    assert screenings["found"].isin(["true", "false"]).all()
    assert allowed(screenings["category"], Category)
    assert allowed(screenings["severity"], Severity)
    assert allowed(screenings["outcome"], Outcome)
    assert allowed(screenings["crs"], Crs)


def test_ids_are_unique(cases: pd.DataFrame, screenings: pd.DataFrame) -> None:
    assert cases["case_id"].is_unique
    assert screenings["record_id"].is_unique


def test_cases_name_known_places(cases: pd.DataFrame, cells: gpd.GeoDataFrame,
                                 regions: gpd.GeoDataFrame) -> None:
    holders = regions.loc[regions["level"].isin([RegionLevel.village, RegionLevel.community]),
                          "code"]
    cell_codes = cases.loc[cases["cell_code"] != "", "cell_code"]
    assert cell_codes.isin(cells["code"]).all()
    assert cases.loc[cases["region_code"] != "", "region_code"].isin(holders).all()
    located = (cases["lon"] != "") | (cases["cell_code"] != "") | (cases["region_code"] != "")
    assert located.all()
    share = (cases["lon"] == "").mean()
    assert 0.03 <= share <= 0.12
    both = cases[(cases["cell_code"] != "") & (cases["region_code"] != "")]
    cell_parent = cells.set_index("code")["region_code"]
    assert (cell_parent[both["cell_code"]].to_numpy() == both["region_code"].to_numpy()).all()


def test_points_lie_in_their_cell_and_county(cases: pd.DataFrame, cells: gpd.GeoDataFrame,
                                             regions: gpd.GeoDataFrame) -> None:
    points = cases[cases["lon"] != ""]
    assert points["lon"].str.fullmatch(r"-?\d+\.\d{7}").all()
    assert set(points["crs"]) == {c.value for c in Crs}
    lon, lat = wgs84(points)
    county = regions.loc[regions["level"] == RegionLevel.county].geometry.iloc[0]
    assert shapely.contains_xy(county, lon, lat).all()
    with_cell = (points["cell_code"] != "").to_numpy()
    shapes = cells.set_index("code").geometry
    cell_shapes = shapes[points["cell_code"].to_numpy()[with_cell]].to_numpy()
    assert shapely.contains_xy(cell_shapes, lon[with_cell], lat[with_cell]).all()
    tree = shapely.STRtree(cells.geometry.to_numpy())
    hits = tree.query(shapely.points(lon, lat), predicate="within")
    assert (np.bincount(hits[0], minlength=len(points)) == 1).all()


def test_case_files_stay_in_the_window(cases: pd.DataFrame, events: pd.DataFrame) -> None:
    assert events["case_id"].isin(cases["case_id"]).all()
    assert events["at"].str.fullmatch(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:00\+08:00)?").all()
    received = cases.set_index("case_id")["received_on"]
    day = events["at"].str[:10]
    assert (day >= received[events["case_id"]].to_numpy()).all()
    assert (day <= END_ON.isoformat()).all()
    assert 0.05 <= (events["at"].str.len() > 10).mean() <= 0.4
    recent = cases[cases["received_on"] >= "2026-10-20"]["case_id"]
    closed = events[events["type"] == EventType.closed]["case_id"]
    assert recent.isin(closed).mean() < 0.2


def test_case_files_follow_the_rules(cases: pd.DataFrame, events: pd.DataFrame) -> None:
    """Replays every case file with the spec's state rules."""
    complex_ = cases.set_index("case_id")["complex"] == "true"
    unit = cases.set_index("case_id")["responsible_unit"]
    due_at = cases.set_index("case_id")["due_at"]
    overdue = 0
    for case_id, case_file in events.groupby("case_id", sort=False):
        handling = (EventLevel.county if unit[case_id].startswith("县")
                    else EventLevel.township).value
        is_open, deadline, extended, opinion = True, None, False, False
        source_due = pd.Timestamp(due_at[case_id][:10]) if due_at[case_id] else None
        for at, kind, level, parties, detail in case_file[
                ["at", "type", "level", "parties", "detail"]].itertuples(index=False):
            day = pd.Timestamp(at[:10])
            assert (level != "") == (kind in LEVELLED_EVENTS), (case_id, kind)
            assert (parties != "") == (kind in (EventType.refiled, EventType.escalated))
            if kind == EventType.accepted:
                deadline = source_due or day + pd.Timedelta(days=60 if complex_[case_id] else 30)
                is_open, extended, opinion, source_due = True, False, False, None
            elif kind == EventType.not_accepted:
                assert deadline is None and detail.startswith(("属于", "不属于", "涉嫌"))
                is_open = False
            elif kind == EventType.extended:
                assert is_open and not extended and deadline is not None and day < deadline
                days = re.fullmatch(r"延期(\d+)日", detail)
                assert days is not None and int(days.group(1)) <= 30
                deadline += pd.Timedelta(days=int(days.group(1)))
                extended = True
            elif kind == EventType.opinion_issued:
                opinion = True
            elif kind in (EventType.review_requested, EventType.rereview_requested):
                assert opinion and LEVEL_RANK[level] > LEVEL_RANK[handling]
            elif kind == EventType.escalated:
                assert LEVEL_RANK[level] > LEVEL_RANK[handling]
                assert int(parties) >= 1
            elif kind == EventType.closed:
                assert is_open
                overdue += deadline is not None and day > deadline
                is_open = False
            elif kind in (EventType.refiled, EventType.reopened):
                assert not is_open
                is_open = True
    assert overdue / len(cases) < 0.15


def test_escalation_rate_is_realistic(cases: pd.DataFrame, events: pd.DataFrame) -> None:
    escalating = {EventType.escalated, EventType.refiled, EventType.review_requested,
                  EventType.rereview_requested, EventType.reopened}
    escalated = events.loc[events["type"].isin(escalating), "case_id"].unique()
    share = len(escalated) / len(cases)
    assert 0.06 <= share <= 0.2
    collective = cases["parties"].astype(int) >= COLLECTIVE_PARTIES
    escalated_cases = cases["case_id"].isin(escalated)
    assert escalated_cases[collective].mean() > escalated_cases[~collective].mean()


def test_nothing_found_means_nothing_filled(screenings: pd.DataFrame) -> None:
    empty = screenings[screenings["found"] == "false"]
    for column in ("category", "severity", "parties", "lon", "lat", "crs", "outcome",
                   "case_id", "summary"):
        assert (empty[column] == "").all(), column
    found = screenings[screenings["found"] == "true"]
    for column in ("category", "severity", "parties", "lon", "lat", "crs", "outcome"):
        assert (found[column] != "").all(), column
    assert 0.04 <= len(found) / len(screenings) <= 0.12
    assert screenings["screened_at"].str.fullmatch(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\+08:00").all()


def test_screenings_cover_known_cells(screenings: pd.DataFrame, cells: gpd.GeoDataFrame) -> None:
    assert screenings["cell_code"].isin(cells["code"]).all()
    assert screenings["worker"].str.fullmatch(r"W\d{12}(\d{2})?").all()
    cells_per_worker = screenings.groupby("worker")["cell_code"].nunique()
    assert cells_per_worker.between(1, 3).all()
    found = screenings[screenings["found"] == "true"]
    shapes = cells.set_index("code").geometry[found["cell_code"]].to_numpy()
    assert shapely.contains_xy(shapes, found["lon"].astype(float), found["lat"].astype(float)).all()
    weeks = screenings.groupby("cell_code").size()
    assert weeks.min() < weeks.max()  # coverage varies between cells


def test_screenings_that_became_cases(screenings: pd.DataFrame, cases: pd.DataFrame,
                                      cells: gpd.GeoDataFrame) -> None:
    became = screenings[screenings["outcome"] == Outcome.became_case]
    assert len(became) > 0
    assert (screenings["case_id"] != "").eq(screenings["outcome"] == Outcome.became_case).all()
    case = cases.set_index("case_id").loc[became["case_id"]]
    assert (case["channel"] == Channel.screening).all()
    assert (case["received_on"].to_numpy() >= became["screened_at"].str[:10].to_numpy()).all()
    cell_of_case = case["cell_code"].to_numpy()
    named = cell_of_case != ""
    assert (cell_of_case[named] == became["cell_code"].to_numpy()[named]).all()
    unnamed = ~named
    shapes = cells.set_index("code").geometry[became["cell_code"].to_numpy()[unnamed]]
    lon, lat = wgs84(case[unnamed])
    assert shapely.contains_xy(shapes.to_numpy(), lon, lat).all()
    from_screening = cases[cases["channel"] == Channel.screening]
    assert from_screening["case_id"].isin(became["case_id"]).all()


@pytest.mark.slow
@pytest.mark.parametrize("scale", ["small", "medium"])
def test_generation_time(scale: str, tmp_path: Path) -> None:
    started = time.perf_counter()
    counts = generate_bundle(tmp_path, scale=scale)
    print(f"\n{scale}: {time.perf_counter() - started:.1f} s for {counts}")
