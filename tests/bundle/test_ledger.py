"""Excel ledgers on a hand-made XLSX as offices keep them: merged title rows above the header,
a header with a line break, blank rows, Excel date serials and text dates, Chinese names for
categories and channels, places named by village, and an unknown category value."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Connection, text

from gridrisk.bundle.errors import BundleFileError, RejectedRows
from gridrisk.bundle.ledger import as_moment, import_ledger, load_mapping
from gridrisk.bundle.service import import_bundle

from .conftest import (
    COUNTY,
    REGIONS,
    VILLAGE_A,
    VILLAGE_B,
    box,
    feature,
    table_checksums,
    write_geojson,
)

MAPPING = """
[sheet]
name = "信访台账"

[columns]
case_id = "编号"
received_on = "登记日期"
channel = "来源"
category = "问题类别"
parties = "人数"
village = "所属村（社区）"
township = "所属乡镇"
complex = "疑难复杂"
responsible_unit = "责任单位"
responsible_official = "包案领导"
summary = "反映问题"

[values.channel]
"12345热线" = "phone"

[values.category]
"拖欠农民工工资" = "wages_labour"

[values.closure]
"已化解" = "resolved"

[[events]]
type = "accepted"
at = "受理日期"

[[events]]
type = "closed"
at = "办结日期"
detail = "办结方式"
"""
HEADER = ["序号", "编号", "登记日期", "来源", "问题类别", "人数", "所属乡镇", "所属村（社区）",
          "疑难复杂", "责任单位", "包案领导", "反映问题", "受理\n日期", "办结日期", "办结方式"]
#: Excel serial day of 2025-03-14
SERIAL_0314 = 45730


def ledger_rows() -> list[list[object]]:
    """Data rows as typed into Excel (the comments say how each date was entered)."""
    return [
        # an Excel date cell; a serial number typed in a General cell; a text date
        [1, "TZ-001", datetime(2025, 3, 10), "来访", "征地拆迁", 6, "城关镇", "东湖村", "是",
         "城关镇人民政府", "王副镇长", "征地补偿款未足额发放", SERIAL_0314, "2025年4月2日",
         "已化解"],
        [2, "TZ-002", "2025/3/12", "12345热线", "拖欠农民工工资", 3, "城关镇", "西岗社区",
         "否", "县人社局", "李科长", "工地欠薪", "2025.3.13", None, None],
        None,  # a blank row between entries
        [3, "TZ-003", "2025年3月15日", "来信", "房屋漏水", 1, "", "西岗社区", "否",
         "城关镇人民政府", "赵主任", "楼顶漏水无人维修", None, None, None],
        [4, 4.0, "2025-03-16", "网上信访", "物业管理", 2, "", VILLAGE_B, "否",
         "西岗社区居委会", "赵主任", "物业费纠纷", "2025-03-17", None, None],
    ]


def write_ledger(path: Path, rows: list[list[object]] | None = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "信访台账"
    sheet.append(["城关镇信访事项化解台账"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    sheet.append(["填报单位：城关镇信访办", None, None, None, None, None, None, None,
                  "填报日期：2025年4月30日"])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=8)
    sheet.append(HEADER)
    for row in rows if rows is not None else ledger_rows():
        sheet.append(row or [None] * len(HEADER))
    sheet.cell(row=4, column=3).number_format = "yyyy-mm-dd"
    book.create_sheet("说明").append(["本表每月报送一次"])
    book.save(path)
    return path


@pytest.fixture
def imported(conn: Connection, tiny_bundle: Path) -> Connection:
    import_bundle(conn, tiny_bundle)
    return conn


@pytest.fixture
def mapping(tmp_path: Path) -> Path:
    path = tmp_path / "mapping.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


def test_an_unknown_category_refuses_the_ledger_naming_sheet_row_and_column(
        imported: Connection, tmp_path: Path, mapping: Path) -> None:
    ledger = write_ledger(tmp_path / "台账.xlsx")
    before = table_checksums(imported)

    with pytest.raises(RejectedRows) as caught:
        import_ledger(imported, ledger, mapping)

    assert table_checksums(imported) == before
    (problem,) = caught.value.report.errors()
    # title rows 1-2, header row 3, data from row 4, a blank row 6: TZ-003 is on row 7
    assert (problem["file"], problem["line"], problem["column"], problem["value"]) == (
        "台账.xlsx[信访台账]", 7, "问题类别", "房屋漏水")
    assert problem["reason"] == ("unknown category '房屋漏水': add it to [values.category] "
                                 "of the mapping (it names 拖欠农民工工资)")


def test_good_rows_are_written_with_their_events_and_places(
        imported: Connection, tmp_path: Path, mapping: Path) -> None:
    ledger = write_ledger(tmp_path / "台账.xlsx")

    report = import_ledger(imported, ledger, mapping, write_good_rows=True)

    assert report.written["cases"]["inserted"] == 3
    cases = {r.case_id: r for r in imported.execute(text(
        "SELECT case_id, received_on, channel, category, parties, complex, region_code, "
        "cell_code FROM cases WHERE case_id IN ('TZ-001', 'TZ-002', '4')"))}
    assert str(cases["TZ-001"].received_on) == "2025-03-10"
    assert (cases["TZ-001"].channel, cases["TZ-001"].category) == ("visit", "land_requisition")
    assert (cases["TZ-001"].parties, cases["TZ-001"].complex) == (6, True)
    # a village of two cells: the case sits in the village, in no one cell
    assert (cases["TZ-001"].region_code, cases["TZ-001"].cell_code) == (VILLAGE_A, None)
    assert (cases["TZ-002"].channel, cases["TZ-002"].category) == ("phone", "wages_labour")
    assert (cases["TZ-002"].region_code, cases["TZ-002"].cell_code) == (VILLAGE_B, VILLAGE_B)
    assert cases["4"].region_code == VILLAGE_B  # a case id and a village typed as numbers/code
    events = imported.execute(text(
        "SELECT case_id, (at AT TIME ZONE 'Asia/Shanghai')::date::text, type, detail "
        "FROM case_events WHERE case_id LIKE 'TZ-%' OR case_id = '4' ORDER BY case_id, at"
    )).all()
    assert [tuple(e) for e in events] == [
        ("4", "2025-03-17", "accepted", None),
        ("TZ-001", "2025-03-14", "accepted", None),
        ("TZ-001", "2025-04-02", "closed", "resolved"),
        ("TZ-002", "2025-03-13", "accepted", None),
    ]
    assert report.files == {"台账.xlsx[信访台账]": {"read": 4, "rejected": 1, "accepted": 3},
                            "台账.xlsx[信访台账] events": {"read": 4, "rejected": 0,
                                                          "accepted": 4}}


def test_a_second_import_changes_nothing(imported: Connection, tmp_path: Path,
                                         mapping: Path) -> None:
    ledger = write_ledger(tmp_path / "台账.xlsx")
    import_ledger(imported, ledger, mapping, write_good_rows=True)
    before = table_checksums(imported)

    report = import_ledger(imported, ledger, mapping, write_good_rows=True)

    assert table_checksums(imported) == before
    assert all(w["inserted"] == w["updated"] == 0 for w in report.written.values())


def test_the_mapping_names_the_missing_category(imported: Connection, tmp_path: Path,
                                                mapping: Path) -> None:
    mapping.write_text(MAPPING.replace('"拖欠农民工工资" = "wages_labour"',
                                       '"拖欠农民工工资" = "wages_labour"\n"房屋漏水" = '
                                       '"housing_property"'), encoding="utf-8")

    report = import_ledger(imported, write_ledger(tmp_path / "台账.xlsx"), mapping)

    assert report.rejects.empty and report.written["cases"]["inserted"] == 4


def test_refused_events_and_unreadable_dates_name_their_column(
        imported: Connection, tmp_path: Path, mapping: Path) -> None:
    rows = ledger_rows()
    rows[1][13] = "2025-03-12"  # closed the day before it was accepted (13 March)
    rows[1][14] = "已化解"
    rows[4][2] = "三月十六日"
    ledger = write_ledger(tmp_path / "台账.xlsx", rows)

    report = import_ledger(imported, ledger, mapping, write_good_rows=True, check_only=True)

    found = {(r.file, r.line, r.column): r.reason for r in report.rejects.itertuples()}
    assert found[("台账.xlsx[信访台账] events", 5, "办结日期")] == (
        "refused by the case workflow: a case is closed only after it was accepted")
    assert found[("台账.xlsx[信访台账]", 8, "登记日期")].startswith(
        "not a date: expected an Excel date, a serial day number or a text like 2025-03-14, "
        "2025/03/14, 2025.03.14, 2025年03月14日")


def test_a_village_name_two_townships_share(conn: Connection, tiny_bundle: Path,
                                            tmp_path: Path, mapping: Path) -> None:
    regions = json.loads(json.dumps(REGIONS))
    regions[0]["geometry"] = box(114.0, 34.0, 114.3, 34.1)
    write_geojson(tiny_bundle / "regions.geojson", [*regions, *[
        feature(box(114.2, 34.0, 114.3, 34.1), code="411000002000", name="北关镇",
                level="township", parent_code=COUNTY),
        feature(box(114.2, 34.0, 114.3, 34.1), code="411000002201", name="东湖村",
                level="village", parent_code="411000002000")]])
    import_bundle(conn, tiny_bundle)
    rows = ledger_rows()
    rows[0][6] = ""  # no township for TZ-001
    rows[1][6], rows[1][7] = "北关镇", "东湖村"
    ledger = write_ledger(tmp_path / "台账.xlsx", rows)

    report = import_ledger(conn, ledger, mapping, check_only=True)

    found = {(r.line, r.column): r.reason for r in report.rejects.itertuples()
             if r.file == "台账.xlsx[信访台账]"}
    assert found[(4, "所属村（社区）")] == (
        f"2 villages or communities have this name ({VILLAGE_A}, 411000002201): map a "
        "township column to tell them apart, or give the code")
    assert (5, "所属村（社区）") not in found  # 东湖村 of 北关镇 is known


@pytest.mark.parametrize(("value", "moment"), [
    (datetime(2025, 3, 14), "2025-03-14"),
    (datetime(2025, 3, 14, 9, 30), "2025-03-14T09:30:00"),
    (SERIAL_0314, "2025-03-14"),
    (SERIAL_0314 + 0.5, "2025-03-14T12:00:00"),
    ("45730", "2025-03-14"),
    ("2025年3月14日", "2025-03-14"),
    ("２０２５年３月１４日", "2025-03-14"),
    ("2025/3/14", "2025-03-14"),
    ("2025.3.14", "2025-03-14"),
    ("2025/3/14 9:30", "2025-03-14T09:30:00"),
    ("20250314", "2025-03-14"),
    ("3/14/2025", None),
    ("2025年3月", None),
])
def test_dates_as_ledgers_write_them(value: object, moment: str | None) -> None:
    assert as_moment(value, load_mapping_defaults()) == moment


def load_mapping_defaults() -> tuple[str, ...]:
    from gridrisk.bundle.ledger import DATE_FORMATS

    return DATE_FORMATS


@pytest.mark.parametrize(("change", "field", "reason"), [
    (("[columns]", "[columns]\nplace = \"地点\""), "mapping.toml:columns.place",
     "not a field a ledger can feed"),
    (('case_id = "编号"\n', ""), "mapping.toml:columns.case_id", "required"),
    (('type = "closed"', 'type = "finished"'), "mapping.toml:events[1].type",
     "unknown event type 'finished'"),
    (("[values.channel]", "[values.channels]"), "mapping.toml:values.channels",
     "not a vocabulary"),
])
def test_a_bad_mapping_is_refused_by_key(tmp_path: Path, change: tuple[str, str], field: str,
                                         reason: str) -> None:
    path = tmp_path / "mapping.toml"
    path.write_text(MAPPING.replace(*change), encoding="utf-8")
    with pytest.raises(BundleFileError) as caught:
        load_mapping(path)
    assert caught.value.field == field and reason in caught.value.reason


def test_a_missing_sheet_or_column_is_named(imported: Connection, tmp_path: Path,
                                            mapping: Path) -> None:
    ledger = write_ledger(tmp_path / "台账.xlsx")
    mapping.write_text(MAPPING.replace('name = "信访台账"', 'name = "台账"'), encoding="utf-8")
    with pytest.raises(BundleFileError) as caught:
        import_ledger(imported, ledger, mapping)
    assert caught.value.field == "台账.xlsx:台账"
    assert "the workbook has 信访台账, 说明" in caught.value.reason

    mapping.write_text(MAPPING.replace('[sheet]\nname = "信访台账"',
                                       '[sheet]\nname = "信访台账"\nheader_row = 2'),
                       encoding="utf-8")
    with pytest.raises(BundleFileError) as caught:
        import_ledger(imported, ledger, mapping)
    assert caught.value.field == "台账.xlsx[信访台账]:编号"


def test_the_shipped_sample_imports_into_the_small_demo_county(county_conn: Connection
                                                               ) -> None:
    """examples/ledger: the sample ledger and its mapping, made for the small demo county of
    seed 5 (the tests' county), import whole, and again without change."""
    examples = Path(__file__).resolve().parents[2] / "examples" / "ledger"

    report = import_ledger(county_conn, examples / "台账示例.xlsx", examples / "mapping.toml")

    assert report.rejects.empty, report.rejects.to_string()
    assert report.written["cases"] == {"inserted": 8, "updated": 0, "unchanged": 0}
    assert report.written["case_events"]["inserted"] == 8 + 4 + 3
    again = import_ledger(county_conn, examples / "台账示例.xlsx", examples / "mapping.toml")
    assert all(w["inserted"] == w["updated"] == 0 for w in again.written.values())
