"""Importing a bundle: read, check every row, then write all of it (or only the good rows)
with COPY and upserts, inside the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from gridrisk.bundle.errors import REJECT_COLUMNS, BundleFileError, RejectedRows
from gridrisk.bundle.files import geometry_file, opened_bundle, read_csv_file, read_geometry_file
from gridrisk.bundle.tables import ImportRun
from gridrisk.bundle.validate import (
    CASE_COLUMNS,
    CELL_PROPERTIES,
    CONTACT_COLUMNS,
    EVENT_COLUMNS,
    REGION_PROPERTIES,
    SCREENING_COLUMNS,
    Checked,
    Known,
    Rejected,
    check_cases,
    check_cells,
    check_contacts,
    check_events,
    check_regions,
    check_screenings,
)
from gridrisk.db.bulk import copy_upsert, points_ewkb, polygons_ewkb
from gridrisk.policy import DeadlinePolicy, PrivacyPolicy, load_policy
from gridrisk.privacy.retention import closed_before, years_before
from gridrisk.privacy.service import write_contacts
from gridrisk.privacy.vault import Vault
from gridrisk.progress import Progress, no_progress
from gridrisk.regions.assign import CellIndex

CONTACTS_FILE = "contacts.csv"


@dataclass
class ImportReport:
    run_id: int
    #: per table: rows inserted, updated and unchanged
    written: dict[str, dict[str, int]]
    rejects: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


def import_bundle(conn: Connection, path: Path, *, write_good_rows: bool = False,
                  timezone: str = "Asia/Shanghai", policy: DeadlinePolicy | None = None,
                  vault: Vault | None = None, privacy: PrivacyPolicy | None = None,
                  progress: Progress | None = None) -> ImportReport:
    """Import a bundle folder or zip. All-or-nothing unless `write_good_rows`: then the good
    rows are written and the bad ones come back in `rejects`. A bundle with contacts.csv
    needs the `vault` that seals them; contacts the retention policy would erase are not
    kept. Never commits."""
    report = progress or no_progress
    deadlines = policy or load_policy().deadlines
    with opened_bundle(Path(path)) as folder:
        if (folder / CONTACTS_FILE).exists() and vault is None:
            raise BundleFileError(CONTACTS_FILE, "holds complainants' contacts: importing "
                                  "them needs the secret key that seals them (gridrisk "
                                  "import uses GRIDRISK_SECRET_KEY_FILE)")
        checked = check_bundle(conn, folder, timezone=timezone, policy=deadlines,
                               progress=report)
    if len(checked.rejects) and not write_good_rows:
        raise RejectedRows(checked.rejects)
    written = write_checked(conn, checked, progress=report)
    if len(checked.contacts):
        assert vault is not None
        written["contacts"] = _write_contacts(
            conn, checked, vault, retention_years=(privacy or load_policy().privacy
                                                   ).contact_retention_years,
            policy=deadlines, timezone=timezone)
    run = conn.execute(
        ImportRun.__table__.insert().returning(ImportRun.id),
        {"source": str(path), "mode": "good-rows" if write_good_rows else "all-or-nothing",
         "written": written, "n_rejected": len(checked.rejects), "warnings": checked.warnings},
    ).scalar_one()
    report("完成", 1.0)
    return ImportReport(run_id=run, written=written, rejects=checked.rejects,
                        warnings=checked.warnings)


def check_bundle(conn: Connection, folder: Path, *, timezone: str, policy: DeadlinePolicy,
                 progress: Progress) -> Checked:
    """Every file read and every row checked against the spec and the database."""
    now = pd.Timestamp.now(tz="UTC")
    today = pd.Timestamp.now(tz=timezone).normalize()
    warnings: list[str] = []
    progress("读取文件", 0.0)
    region_file = geometry_file(folder, "regions", required=True)
    assert region_file is not None
    region_rows = _numbered(read_geometry_file(region_file, REGION_PROPERTIES))
    cell_file = geometry_file(folder, "cells", required=False)
    cell_rows = _numbered(read_geometry_file(cell_file, CELL_PROPERTIES)) if cell_file else None
    case_rows = read_csv_file(folder, "cases.csv", CASE_COLUMNS)
    progress("读取文件", 0.4)
    event_rows = read_csv_file(folder, "case_events.csv", EVENT_COLUMNS)
    screening_rows = read_csv_file(folder, "screenings.csv", SCREENING_COLUMNS)
    contact_rows = read_csv_file(folder, CONTACTS_FILE, CONTACT_COLUMNS) if (
        folder / CONTACTS_FILE).exists() else None
    progress("读取文件", 1.0)

    bundle_cells = set(cell_rows["code"]) if cell_rows is not None else set()
    referenced = (set(event_rows["case_id"].unique())
                  | set(screening_rows["case_id"].unique())
                  | (set(contact_rows["case_id"].unique()) if contact_rows is not None
                     else set())) - {""}
    known = load_known(conn, skip_cells=bundle_cells, case_ids=sorted(referenced),
                       timezone=timezone)
    progress("校验", 0.1)
    regions, region_problems = check_regions(region_rows, known, region_file.name, warnings)
    region_rejects = Rejected.of(region_file.name, region_rows, regions, "code")
    cells, cell_problems = check_cells(cell_rows, regions, region_rejects, known,
                                       cell_file.name if cell_file else "cells.geojson",
                                       warnings)
    cell_rejects = Rejected.of(cell_file.name if cell_file else "", cell_rows,
                               cells if cell_rows is not None else None, "code")
    known.cells = known.cells.loc[~known.cells["code"].isin(cells["code"])]
    index = CellIndex(pd.concat([cells[["code", "geometry"]], known.cells[["code", "geometry"]]],
                                ignore_index=True))
    progress("校验", 0.3)
    cases, case_problems = check_cases(case_rows, cells, cell_rejects, region_rejects, known,
                                       index, today, timezone=timezone)
    case_rejects = Rejected.of("cases.csv", case_rows, cases, "case_id")
    progress("校验", 0.6)
    events, event_problems = check_events(event_rows, cases, case_rejects, known,
                                          timezone=timezone, now=now, policy=policy)
    progress("校验", 0.8)
    screenings, screening_problems = check_screenings(
        screening_rows, cells, cell_rejects, cases, case_rejects, known, index,
        timezone=timezone, now=now)
    problems = [region_problems, cell_problems, case_problems, event_problems,
                screening_problems]
    checked = Checked(regions=regions, cells=cells, cases=cases, events=events,
                      screenings=screenings, rejects=pd.DataFrame(), warnings=warnings)
    if contact_rows is not None:
        checked.contacts, contact_problems = check_contacts(contact_rows, cases, case_rejects,
                                                            known, today)
        problems.append(contact_problems)
    progress("校验", 1.0)
    rejects = pd.concat([p.frame() for p in problems], ignore_index=True)
    checked.rejects = rejects[REJECT_COLUMNS]
    return checked


def _numbered(features: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A geometry file's 'line' is the feature's number, counted from 1."""
    features.insert(0, "line", range(1, len(features) + 1))
    return features.reset_index(drop=True)


def load_known(conn: Connection, *, skip_cells: set[str], case_ids: list[str],
               timezone: str) -> Known:
    """What the database holds that the bundle may refer to: all regions and cells, and the
    cases (with their case files) that the bundle's events and screenings name."""
    regions = pd.DataFrame(conn.execute(text("SELECT code, level FROM regions")).all(),
                           columns=["code", "level"])
    rows = conn.execute(text(
        "SELECT code, region_code, ST_AsBinary(geom) FROM cells")).all()
    cells = gpd.GeoDataFrame(
        {"code": [r[0] for r in rows], "region_code": [r[1] for r in rows]},
        geometry=shapely.from_wkb([bytes(r[2]) for r in rows]), crs="EPSG:4326",
    )
    cells = cells.loc[~cells["code"].isin(skip_cells)].reset_index(drop=True)
    cases = pd.DataFrame(conn.execute(
        text("SELECT case_id, received_on, complex FROM cases WHERE case_id = ANY(:ids)"),
        {"ids": case_ids}).all(), columns=["case_id", "received_on", "complex"])
    events = pd.DataFrame(conn.execute(text(
        "SELECT case_id, (at AT TIME ZONE :tz)::date, type, detail, content_hash, occurrence, "
        "EXISTS (SELECT 1 FROM case_events c WHERE c.corrects = e.id) "
        "FROM case_events e WHERE case_id = ANY(:ids) ORDER BY case_id, 2, id"),
        {"ids": list(cases["case_id"]), "tz": timezone}).all(),
        columns=["case_id", "on_day", "type", "detail", "content_hash", "occurrence",
                 "corrected"])
    return Known(regions=regions, cells=cells, cases=cases, events=events)


# -- writing ------------------------------------------------------------------------------


def write_checked(conn: Connection, checked: Checked, *, progress: Progress
                  ) -> dict[str, dict[str, int]]:
    tables = [
        ("regions", _region_rows(checked.regions), ["code"], ""),
        ("cells", _cell_rows(checked.cells), ["code"], ""),
        ("cases", _case_rows(checked.cases), ["case_id"], "version = cases.version + 1"),
        ("case_events", _event_rows(checked.events), ["case_id", "content_hash", "occurrence"],
         None),
        ("screening_records", _screening_rows(checked.screenings), ["record_id"], ""),
    ]
    written = {}
    for step, (table, frame, key, on_change) in enumerate(tables):
        progress(f"写入 {table}", step / len(tables))
        written[table] = copy_upsert(conn, table, frame, key, on_change=on_change)
    progress("写入", 1.0)
    return written


def _write_contacts(conn: Connection, checked: Checked, vault: Vault, *, retention_years: int,
                    policy: DeadlinePolicy, timezone: str) -> dict[str, int]:
    """Sealed, after the cases and their files (the retention rule reads their state): a
    contact of a case closed longer ago than the retention is not kept."""
    today = pd.Timestamp.now(tz=timezone).date()
    cutoff = years_before(today, retention_years)
    contacts = checked.contacts
    expired = closed_before(conn, contacts["case_id"], cutoff, policy=policy, timezone=timezone)
    if expired:
        checked.warnings.append(
            f"{CONTACTS_FILE}: {len(expired)} contacts not kept: their cases closed before "
            f"{cutoff} ([privacy] contact_retention_years = {retention_years})")
    return write_contacts(conn, vault, contacts.loc[~contacts["case_id"].isin(expired)])


def _blank_to_null(values: pd.Series) -> pd.Series:
    return values.where(values.notna() & values.astype(str).ne(""), None)


def _region_rows(regions: gpd.GeoDataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "code": regions["code"], "name": regions["name"], "level": regions["level"],
        "parent_code": regions["parent_code"], "households": regions["households"],
        "geom": polygons_ewkb(regions.geometry.to_numpy(), regions.index),
    })


def _cell_rows(cells: gpd.GeoDataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "code": cells["code"], "name": cells["name"], "region_code": cells["region_code"],
        "geom": polygons_ewkb(cells.geometry.to_numpy(), cells.index),
    })


def _case_rows(cases: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "case_id": cases["case_id"], "received_on": cases["received_on"].astype(str),
        "channel": cases["channel"], "category": cases["category"],
        "parties": cases["parties"],
        "geom": points_ewkb(cases["lon"].to_numpy(), cases["lat"].to_numpy(), cases.index),
        "region_code": cases["region_code"], "cell_code": cases["cell_code"],
        "complex": cases["complex"],
        "responsible_unit": _blank_to_null(cases["responsible_unit"]),
        "responsible_official": _blank_to_null(cases["responsible_official"]),
        "summary": _blank_to_null(cases["summary"]),
        "due_at": cases["due_at"],
    })


def _event_rows(events: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "case_id": events["case_id"], "content_hash": events["content_hash"],
        "occurrence": events["occurrence"],
        "at": events["at"],
        "at_is_date": events["at_is_date"], "type": events["type"], "level": events["level"],
        "parties": events["parties"], "detail": events["detail"],
    })


def _screening_rows(screenings: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "record_id": screenings["record_id"],
        "screened_at": screenings["screened_at"],
        "worker": screenings["worker"], "cell_code": screenings["cell_code"],
        "found": screenings["found"], "category": screenings["category"],
        "severity": screenings["severity"], "parties": screenings["parties"],
        "geom": points_ewkb(screenings["lon"].to_numpy(), screenings["lat"].to_numpy(),
                            screenings.index),
        "outcome": screenings["outcome"],
        "case_id": screenings["case_id"], "summary": _blank_to_null(screenings["summary"]),
    })
