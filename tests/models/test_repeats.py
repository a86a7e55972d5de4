"""Repeat links: the same category, near in place and time, a summary alike in its
character n-grams and in its figures; each pair judged on its own two cases."""

from __future__ import annotations

import pandas as pd
import pytest

from models.repeats import CANDIDATE_COLUMNS, find_repeats, linking_quality

RULES = {"window_days": 180, "radius_m": 300.0, "min_similarity": 0.7}
#: about 100 m east of the first case, and 2 km east
NEAR, FAR = 113.5011, 113.5220
ORIGINAL = "反映幸福社区3号楼2单元502所购商品房逾期未交房，要求开发商履约"


def case(case_id: str, received: str, *, category: str = "housing_property",
         cell: str = "C1", lon: float | None = 113.5, lat: float | None = 34.0,
         summary: str = ORIGINAL) -> dict[str, object]:
    return {"case_id": case_id, "received_on": pd.Timestamp(received), "category": category,
            "cell_code": cell, "lon": lon, "lat": lat, "summary": summary}


def links(*cases: dict[str, object]) -> pd.DataFrame:
    return find_repeats(pd.DataFrame(list(cases), columns=CANDIDATE_COLUMNS), **RULES)


def test_a_repeat_call_on_the_same_matter_is_linked_to_the_earlier_case() -> None:
    found = links(case("A", "2026-03-01"),
                  case("B", "2026-03-20", summary="再次反映：" + ORIGINAL, cell="C2", lon=NEAR))
    assert found[["case_id", "repeats_case_id", "days_apart"]].values.tolist() == [
        ["B", "A", 19]]
    assert 90 < found["metres_apart"].iloc[0] < 110 and found["similarity"].iloc[0] >= 0.7


@pytest.mark.parametrize(("why", "later"), [
    ("another category", case("B", "2026-03-20", category="property_management")),
    ("too late", case("B", "2026-09-30")),
    ("another cell, far away", case("B", "2026-03-20", cell="C9", lon=FAR)),
    ("another flat", case("B", "2026-03-20", summary=ORIGINAL.replace("502", "1702"))),
    ("another matter", case("B", "2026-03-20",
                            summary="反映幸福社区3号楼2单元502电梯长期故障无人维修")),
])
def test_what_is_not_a_repeat(why: str, later: dict[str, object]) -> None:
    assert links(case("A", "2026-03-01"), later).empty, why


def test_the_same_cell_links_cases_without_points() -> None:
    found = links(case("A", "2026-03-01", lon=None, lat=None),
                  case("B", "2026-03-05", lon=None, lat=None, summary="重复反映：" + ORIGINAL))
    assert found["case_id"].tolist() == ["B"] and found["metres_apart"].isna().all()


def test_a_pair_is_judged_alone_so_one_case_and_a_county_agree() -> None:
    county = [case("A", "2026-03-01"), case("B", "2026-03-20", summary="再次反映：" + ORIGINAL),
              case("C", "2026-04-02", summary="多次来电反映：" + ORIGINAL, lon=NEAR),
              *(case(f"N{i}", f"2026-03-{i + 2:02d}", summary=f"反映幸福社区{i + 10}号楼物业乱收费",
                     category="property_management") for i in range(20))]
    everything = links(*county)
    assert set(zip(everything["case_id"], everything["repeats_case_id"], strict=True)) == {
        ("B", "A"), ("C", "A"), ("C", "B")}
    pd.testing.assert_frame_equal(links(*county[:3]), everything)


def test_linking_quality_counts_pairs_of_one_matter_and_repeats_found() -> None:
    found = pd.DataFrame({"case_id": ["B", "C", "D"], "repeats_case_id": ["A", "B", "X"]})
    known = pd.DataFrame({"case_id": ["B", "C", "E"], "repeats_case_id": ["A", "A", "A"]})
    quality = linking_quality(found, known)
    assert quality["precision"] == pytest.approx(2 / 3)
    assert quality["recall"] == pytest.approx(2 / 3)
