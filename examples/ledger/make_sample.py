"""Writes 台账示例.xlsx, the sample ledger of docs/ledger.md, for the small demo county
(`gridrisk demo-data --seed 5 --scale small`), the way offices keep one: a merged title and
a note above the header, a header cell with a line break, a blank row, dates as Excel date
cells, serial numbers and text in several forms, places by village name or code.

    .venv/bin/python examples/ledger/make_sample.py  # regenerates it beside this file
"""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import openpyxl
from openpyxl.styles import Alignment, Font

from gridrisk.synthetic import generate_bundle

HERE = Path(__file__).resolve().parent
HEADER = ["序号", "事项编号", "登记日期", "信访形式", "问题类别", "人数", "所属乡镇（街道）",
          "所属村（社区）", "是否疑难复杂", "责任单位", "包案领导", "主要诉求", "受理\n日期",
          "办结日期", "办结方式", "回访日期", "回访满意度"]
#: (channel, category, parties, complex, summary, received, accepted, closed, how,
#:  followed up, satisfaction); dates as an office types them
ENTRIES = [
    ("来访", "征地拆迁", 6, "是", "征地补偿款未足额发放", datetime(2025, 6, 3), 45812,
     "2025年7月20日", "已化解", "2025/8/5", "满意"),
    ("12345热线", "拖欠农民工工资", 12, "否", "工地拖欠工资三个月", "2025/6/9", "2025.6.10",
     "2025-06-30", "签订协议", "2025年7月15日", "基本满意"),
    ("来信", "物业纠纷", 2, "否", "小区电梯长期停运", "2025.6.16", "2025.6.18", None, None,
     None, None),
    ("网上留言", "环境污染", 3, "否", "养殖场异味扰民", "2025年6月23日", "2025年6月24日",
     "2025年7月30日", "已化解", None, None),
    ("来电来访", "养老保险", 1, "否", "养老金待遇核定有误", 45834, 45835, None, None, None,
     None),
    ("领导接访", "涉法涉诉", 1, "是", "对土地承包纠纷判决不服", "2025-07-01", "2025-07-02",
     None, None, None, None),
    ("来访", "房产物业权属", 4, "否", "安置房产权证迟迟未办", "2025/7/8", "2025/7/9",
     "2025/8/20", "已化解", "2025/9/1", "不满意"),
    ("网上信访", "医疗纠纷", 1, "否", "手术后并发症赔偿争议", "2025.7.14", "2025.7.15", None,
     None, None, None),
]


def write_sample(regions: gpd.GeoDataFrame, out: Path) -> Path:
    villages = regions.loc[regions["level"].isin(["village", "community"])].sort_values(
        "code")
    townships = regions.set_index("code")["name"]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "信访事项台账"
    sheet.append([f"{regions.loc[regions['level'] == 'county', 'name'].iloc[0]}"
                  "信访事项化解工作台账"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(["填报单位：县信访局（盖章）", *[None] * 11, "填报日期：2025年9月30日"])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=6)
    sheet.append(HEADER)
    for number, entry in enumerate(ENTRIES, start=1):
        village = villages.iloc[(number * 7) % len(villages)]
        # every other row names its village by code, as some ledgers do
        place = village["code"] if number % 3 == 0 else village["name"]
        channel, category, parties, hard, summary, received, accepted, closed, how, \
            followed, satisfaction = entry
        sheet.append([number, f"TZ2025-{number:03d}", received, channel, category, parties,
                      townships[village["parent_code"]], place, hard, "县信访局",
                      "县委副书记", summary, accepted, closed, how, followed, satisfaction])
        if number == 4:
            sheet.append([])  # a blank row, as ledgers have
    for row in sheet.iter_rows(min_row=4, min_col=3, max_col=3):
        row[0].number_format = "yyyy-mm-dd"
    book.create_sheet("填表说明").append(["日期可填“2025年6月3日”“2025/6/3”或“2025.6.3”"])
    book.save(out)
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        bundle = Path(scratch) / "county"
        generate_bundle(bundle, seed=5, scale="small")
        out = write_sample(gpd.read_file(bundle / "regions.geojson"), HERE / "台账示例.xlsx")
    print(out)


if __name__ == "__main__":
    sys.exit(main())
