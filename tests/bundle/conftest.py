"""A tiny hand-made bundle whose every count and location is known, for import tests.

The county, its one township and two villages form a 0.2° × 0.1° rectangle near Xuchang:
village A (west half) is split into cells A-S (south) and A-N (north); village B (east
half) has no cells file entry, so it is its own cell.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

COUNTY, TOWNSHIP = "411000000000", "411000001000"
VILLAGE_A, VILLAGE_B = "411000001201", "411000001202"
CELL_AS, CELL_AN = "41100000120101", "41100000120102"


def box(west: float, south: float, east: float, north: float) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(geometry: dict | None, **properties: object) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def write_geojson(path: Path, features: list[dict]) -> None:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")


def write_csv(path: Path, header: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


REGIONS = [
    feature(box(114.0, 34.0, 114.2, 34.1), code=COUNTY, name="示范县", level="county",
            parent_code="", households=1500),
    feature(box(114.0, 34.0, 114.2, 34.1), code=TOWNSHIP, name="城关镇", level="township",
            parent_code=COUNTY, households=1500),
    feature(box(114.0, 34.0, 114.1, 34.1), code=VILLAGE_A, name="东湖村", level="village",
            parent_code=TOWNSHIP, households=800),
    feature(box(114.1, 34.0, 114.2, 34.1), code=VILLAGE_B, name="西岗社区", level="community",
            parent_code=TOWNSHIP, households=700),
]
CELLS = [
    feature(box(114.0, 34.0, 114.1, 34.05), code=CELL_AS, name="第一网格",
            region_code=VILLAGE_A),
    feature(box(114.0, 34.05, 114.1, 34.1), code=CELL_AN, name="第二网格",
            region_code=VILLAGE_A),
]
CASE_HEADER = ["case_id", "received_on", "channel", "category", "parties", "lon", "lat", "crs",
               "cell_code", "region_code", "complex", "responsible_unit",
               "responsible_official", "summary"]
CASES = [
    {"case_id": "C1", "received_on": "2025-03-01", "channel": "visit",
     "category": "land_requisition", "parties": "6", "lon": "114.03", "lat": "34.02",
     "crs": "wgs84", "complex": "true", "responsible_unit": "城关镇人民政府",
     "responsible_official": "王副镇长", "summary": "征地补偿款未足额发放"},
    {"case_id": "C2", "received_on": "2025-03-05", "channel": "phone",
     "category": "wages_labour", "parties": "1", "cell_code": CELL_AN, "complex": "false",
     "responsible_unit": "县人社局", "responsible_official": "李科长", "summary": "工资拖欠"},
    {"case_id": "C3", "received_on": "2025-04-10", "channel": "online",
     "category": "property_management", "parties": "2", "lon": "114.15", "lat": "34.05",
     "complex": "false", "responsible_unit": "西岗社区居委会",
     "responsible_official": "赵主任", "summary": "物业费纠纷"},
    {"case_id": "C4", "received_on": "2025-05-02", "channel": "letter", "category": "other",
     "parties": "1", "region_code": VILLAGE_B, "complex": "false",
     "responsible_unit": "城关镇人民政府", "responsible_official": "王副镇长",
     "summary": "邻里纠纷"},
]
EVENT_HEADER = ["case_id", "at", "type", "level", "parties", "detail"]
EVENTS = [
    {"case_id": "C1", "at": "2025-03-03", "type": "accepted"},
    {"case_id": "C1", "at": "2025-03-10T10:00:00+08:00", "type": "met_complainant"},
    {"case_id": "C1", "at": "2025-03-10T15:30:00+08:00", "type": "site_visit"},
    {"case_id": "C1", "at": "2025-04-20", "type": "escalated", "level": "city",
     "parties": "8"},
    {"case_id": "C2", "at": "2025-03-06", "type": "accepted"},
    {"case_id": "C2", "at": "2025-03-20", "type": "closed", "detail": "resolved"},
    {"case_id": "C2", "at": "2025-04-01", "type": "followed_up", "detail": "satisfied"},
    {"case_id": "C3", "at": "2025-04-11", "type": "accepted"},
    {"case_id": "C3", "at": "2025-04-11", "type": "site_visit"},
    {"case_id": "C3", "at": "2025-04-11", "type": "site_visit"},
]
SCREENING_HEADER = ["record_id", "screened_at", "worker", "cell_code", "found", "category",
                    "severity", "parties", "lon", "lat", "crs", "outcome", "case_id",
                    "summary"]
SCREENINGS = [
    {"record_id": "S1", "screened_at": "2025-03-03T09:00:00+08:00", "worker": "W1",
     "cell_code": CELL_AS, "found": "false"},
    {"record_id": "S2", "screened_at": "2025-03-03T10:00:00+08:00", "worker": "W1",
     "cell_code": CELL_AN, "found": "true", "category": "wages_labour", "severity": "medium",
     "parties": "3", "lon": "114.05", "lat": "34.07", "outcome": "became_case",
     "case_id": "C2", "summary": "工地欠薪"},
    {"record_id": "S3", "screened_at": "2025-03-04T09:00:00+08:00", "worker": "W2",
     "cell_code": VILLAGE_B, "found": "false"},
]


def write_tiny_bundle(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_geojson(folder / "regions.geojson", REGIONS)
    write_geojson(folder / "cells.geojson", CELLS)
    write_csv(folder / "cases.csv", CASE_HEADER, CASES)
    write_csv(folder / "case_events.csv", EVENT_HEADER, EVENTS)
    write_csv(folder / "screenings.csv", SCREENING_HEADER, SCREENINGS)
    return folder


@pytest.fixture
def tiny_bundle(tmp_path: Path) -> Path:
    return write_tiny_bundle(tmp_path / "tiny")


CONTACT_HEADER = ["case_id", "name", "phone", "id_number", "address"]
#: one contact per kind of value: a Chinese name with a mobile and an identity number ending
#: in X, a Latin name with a landline, a name alone
CONTACTS = [
    {"case_id": "C1", "name": "欧阳建华", "phone": "138 1234 8000",
     "id_number": "11010519491231002x", "address": "城关镇东湖村3组"},
    {"case_id": "C2", "name": "John Smith", "phone": "(0371) 6123 4567",
     "id_number": "", "address": ""},
    {"case_id": "C3", "name": "李娜", "phone": "", "id_number": "", "address": ""},
]


def write_contacts(folder: Path, rows: list[dict] = CONTACTS) -> Path:
    write_csv(folder / "contacts.csv", CONTACT_HEADER, rows)
    return folder


def table_checksums(conn: Connection) -> dict[str, str]:
    """An md5 of every row of every table the import writes to (all of them but the run log,
    which gains a row per run by design), in a fixed order."""
    tables = conn.execute(text(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        "AND table_type = 'BASE TABLE' AND table_name NOT IN "
        "('import_runs', 'spatial_ref_sys', 'alembic_version') ORDER BY table_name")).scalars()
    return {table: conn.execute(text(
        f"SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {table} t"
    )).scalar_one() for table in tables}
