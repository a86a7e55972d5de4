"""A hand-built county whose every indicator for October 2026 is worked out by hand in
test_indicators.py: two townships, three villages, four cells, ten cases, each written to
reach one rule of the indicator spec, and screenings around a daily period (1–3 October).

    示范县 K ─ 城关镇 T1 ─ 东湖村 V11 (cells V11-A, V11-B)
             └ 河口乡 T2 ─ 西岗村 V21 (its own cell), 南庄村 V22 (its own cell)

The follow-up window is 90 days, so a closing's window ends in October when it was closed
from 3 July to 2 August; an accept-by day (receipt + 15) is in October for cases received
from 16 September to 16 October.
"""

from __future__ import annotations

from pathlib import Path

from ..bundle.conftest import box, feature, write_csv, write_geojson

COUNTY, T1, T2 = "K", "T1", "T2"
V11, V21, V22 = "V11", "V21", "V22"
CELL_A, CELL_B = "V11-A", "V11-B"
POLICY_TOML = """
[screening]
daily_periods = [{name = "国庆", start = 2026-10-01, end = 2026-10-03}]
"""

REGIONS = [
    feature(box(114.0, 34.0, 114.3, 34.1), code=COUNTY, name="示范县", level="county",
            parent_code="", households=3000),
    feature(box(114.0, 34.0, 114.1, 34.1), code=T1, name="城关镇", level="township",
            parent_code=COUNTY),
    feature(box(114.1, 34.0, 114.3, 34.1), code=T2, name="河口乡", level="township",
            parent_code=COUNTY),
    feature(box(114.0, 34.0, 114.1, 34.1), code=V11, name="东湖村", level="village",
            parent_code=T1),
    feature(box(114.1, 34.0, 114.2, 34.1), code=V21, name="西岗村", level="village",
            parent_code=T2),
    feature(box(114.2, 34.0, 114.3, 34.1), code=V22, name="南庄村", level="village",
            parent_code=T2),
]
CELLS = [
    feature(box(114.0, 34.0, 114.1, 34.05), code=CELL_A, name="东湖一网格", region_code=V11),
    feature(box(114.0, 34.05, 114.1, 34.1), code=CELL_B, name="东湖二网格", region_code=V11),
]
CASE_HEADER = ["case_id", "received_on", "channel", "category", "parties", "lon", "lat",
               "region_code", "cell_code", "complex", "responsible_unit",
               "responsible_official", "summary", "due_at"]


def case(case_id: str, received_on: str, where: str, *, complex_: bool = False,
         unit: str = "城关镇人民政府", official: str = "王副镇长", due_at: str = "",
         category: str = "land_requisition", parties: int = 1) -> dict[str, str]:
    place = {"cell_code": where} if where.startswith("V11-") else {"region_code": where}
    return {"case_id": case_id, "received_on": received_on, "channel": "visit",
            "category": category, "parties": str(parties), "complex": str(complex_).lower(),
            "responsible_unit": unit, "responsible_official": official,
            "summary": f"事项 {case_id}", "due_at": due_at, **place}


CASES = [
    # A1: received and closed in October, closed on the month's last day
    case("A1", "2026-10-02", CELL_A),
    # A2: closed 2 August, its window ends 31 October; refiled after the window
    case("A2", "2026-07-01", CELL_A, category="wages_labour"),
    # A3: closed, reopened, closed again: two closings, two windows ending in October
    case("A3", "2026-06-01", CELL_B, official="李书记", parties=6),
    # A4: the source's deadline (due_at 10 October) replaces accepted + 30 days (3 October)
    case("A4", "2026-09-01", CELL_B, due_at="2026-10-10T17:00:00+08:00"),
    # A5: extended by 15 days to 5 October, still open: late and overdue; escalated
    case("A5", "2026-08-20", CELL_A, official="李书记"),
    # B1: received in October, declined after its accept-by day
    case("B1", "2026-10-05", V21, unit="河口乡人民政府", official="张乡长"),
    # B2: closed in May, refiled in October and not yet accepted again (no deadline)
    case("B2", "2026-05-01", V21, unit="河口乡人民政府", official="张乡长"),
    # B3: never decided, its accept-by day (25 September) long past; escalated
    case("B3", "2026-09-10", V22, unit="县人社局", official="赵局长",
         category="wages_labour"),
    # B4: closed 2 October and escalated the next day: a return after the closing
    case("B4", "2026-08-01", V22, unit="县人社局", official="赵局长"),
    # B5: complex, withdrawn on its deadline day (accepted 16 August + 60 days)
    case("B5", "2026-08-15", V21, complex_=True, unit="河口乡人民政府", official="张乡长"),
]
EVENT_HEADER = ["case_id", "at", "type", "level", "parties", "detail"]


def event(case_id: str, at: str, kind: str, detail: str = "", level: str = ""
          ) -> dict[str, str]:
    return {"case_id": case_id, "at": at, "type": kind, "detail": detail, "level": level}


EVENTS = [
    event("A1", "2026-10-03", "accepted"),
    event("A1", "2026-10-10", "site_visit"),
    event("A1", "2026-10-31T18:30:00+08:00", "closed", "resolved"),
    event("A2", "2026-07-02", "accepted"),
    event("A2", "2026-08-02", "closed", "resolved"),
    event("A2", "2026-08-20", "followed_up", "satisfied"),
    event("A2", "2026-11-01", "refiled", level="county"),
    event("A3", "2026-06-02", "accepted"),
    event("A3", "2026-07-10", "closed", "resolved"),
    event("A3", "2026-07-20", "followed_up", "unsatisfied"),
    event("A3", "2026-07-25", "reopened"),
    event("A3", "2026-07-26", "accepted"),
    event("A3", "2026-07-31", "closed", "agreement_signed"),
    event("A3", "2026-08-10", "followed_up", "basically_satisfied"),
    event("A4", "2026-09-03", "accepted"),
    event("A4", "2026-10-08", "closed", "resolved"),
    event("A5", "2026-08-21", "accepted"),
    event("A5", "2026-09-15", "extended", "延期15日：需补充调查"),
    event("A5", "2026-10-12", "escalated", level="city"),
    event("B1", "2026-10-25", "not_accepted"),
    event("B2", "2026-05-02", "accepted"),
    event("B2", "2026-05-20", "closed", "resolved"),
    event("B2", "2026-10-10", "refiled", level="township"),
    event("B3", "2026-10-20", "escalated", level="province"),
    event("B4", "2026-08-02", "accepted"),
    event("B4", "2026-10-02", "closed", "resolved"),
    event("B4", "2026-10-03", "escalated", level="national"),
    event("B5", "2026-08-16", "accepted"),
    event("B5", "2026-10-15", "closed", "withdrawn"),
]
SCREENING_HEADER = ["record_id", "screened_at", "worker", "cell_code", "found", "category",
                    "severity", "parties", "lon", "lat", "crs", "outcome", "case_id",
                    "summary"]


def screened(record_id: str, at: str, cell: str) -> dict[str, str]:
    return {"record_id": record_id, "screened_at": at, "worker": "W1", "cell_code": cell,
            "found": "false"}


SCREENINGS = [
    # V11-A: 1 Oct on time, 2 Oct late (16:00), 3 Oct none; the three whole weeks; and the
    # week of 26 October, which is not wholly in October
    screened("S-A1", "2026-10-01T09:00:00+08:00", CELL_A),
    screened("S-A2", "2026-10-02T16:00:00+08:00", CELL_A),
    screened("S-A3", "2026-10-06T10:00:00+08:00", CELL_A),
    screened("S-A4", "2026-10-13T10:00:00+08:00", CELL_A),
    screened("S-A5", "2026-10-20T10:00:00+08:00", CELL_A),
    screened("S-A6", "2026-10-27T10:00:00+08:00", CELL_A),
    # V11-B: 15:00:00 is on time, 15:00:01 is not; one week screened
    screened("S-B1", "2026-10-01T15:00:00+08:00", CELL_B),
    screened("S-B2", "2026-10-02T14:59:00+08:00", CELL_B),
    screened("S-B3", "2026-10-03T15:00:01+08:00", CELL_B),
    screened("S-B4", "2026-10-07T10:00:00+08:00", CELL_B),
    # V21: never screened
    # V22: 2 Oct at 07:00 UTC is 15:00 local (on time); 3 Oct; 4 Oct is in the week of
    # 28 September (not wholly in October); the week of 5 October
    screened("S-C1", "2026-10-02T07:00:00+00:00", V22),
    screened("S-C2", "2026-10-03T10:00:00+08:00", V22),
    screened("S-C3", "2026-10-04T10:00:00+08:00", V22),
    screened("S-C4", "2026-10-05T10:00:00+08:00", V22),
]


def write_county(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_geojson(folder / "regions.geojson", REGIONS)
    write_geojson(folder / "cells.geojson", CELLS)
    write_csv(folder / "cases.csv", CASE_HEADER, CASES)
    write_csv(folder / "case_events.csv", EVENT_HEADER, EVENTS)
    write_csv(folder / "screenings.csv", SCREENING_HEADER, SCREENINGS)
    return folder


def write_policy(folder: Path) -> Path:
    path = folder / "policy.toml"
    path.write_text(POLICY_TOML, encoding="utf-8")
    return path
