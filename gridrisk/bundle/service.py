"""Importing a bundle: read, check every row, then write all of it (or only the good rows)
with COPY and upserts, inside the caller's transaction; or only check it and report.
screenings.csv, the largest file by far, is checked and written a batch at a time: the
server writes one batch while the next is checked, inside a savepoint that an
all-or-nothing import rolls back when a row turns out bad."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Connection, Table, text

from gridrisk.bundle.boundaries import metric_crs
from gridrisk.bundle.errors import REJECT_COLUMNS, BundleFileError, RejectedRows
from gridrisk.bundle.files import (
    BundleOptions,
    CsvRows,
    bundle_options,
    geometry_file,
    opened_bundle,
    read_csv_file,
    read_csv_rows,
    read_geometry_file,
)
from gridrisk.bundle.report import ImportReport, Notice
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
    RejectedAreas,
    ScreeningCheck,
    check_cases,
    check_cells,
    check_contacts,
    check_events,
    check_regions,
)
from gridrisk.db.bulk import BulkUpsert, copy_upsert, points_ewkb, polygons_ewkb
from gridrisk.policy import DeadlinePolicy, ImportPolicy, PrivacyPolicy, load_policy
from gridrisk.privacy.retention import closed_before, years_before
from gridrisk.privacy.service import write_contacts
from gridrisk.privacy.vault import Vault
from gridrisk.progress import Progress, no_progress
from gridrisk.regions.assign import CellIndex
from gridrisk.vocab import CELL_HOLDERS, Crs

CASES_FILE, EVENTS_FILE, SCREENINGS_FILE = "cases.csv", "case_events.csv", "screenings.csv"
CONTACTS_FILE = "contacts.csv"
#: root problems an import run keeps (the rejects file has them all)
RUN_ERRORS = 1000


@dataclass
class Rows:
    """A bundle's records as read, every value as text (see files.py), each file by the name
    its problems are reported under. Regions, cells and screenings may be absent (a ledger
    carries only cases and their events)."""

    regions: gpd.GeoDataFrame | None
    region_file: str
    cells: gpd.GeoDataFrame | None
    cell_file: str
    cases: pd.DataFrame
    case_file: str
    events: pd.DataFrame
    event_file: str
    screenings: CsvRows | None = None
    screening_file: str = SCREENINGS_FILE
    contacts: pd.DataFrame | None = None


def import_bundle(conn: Connection, path: Path, *, write_good_rows: bool = False,
                  check_only: bool = False, timezone: str = "Asia/Shanghai",
                  policy: DeadlinePolicy | None = None, imports: ImportPolicy | None = None,
                  boundary_crs: Crs | None = None, encoding: str | None = None,
                  vault: Vault | None = None, privacy: PrivacyPolicy | None = None,
                  progress: Progress | None = None) -> ImportReport:
    """Import a bundle folder or zip. All-or-nothing unless `write_good_rows`: then the good
    rows are written and the bad ones come back in the report's `rejects`. `check_only`
    writes nothing and returns the report an import would give (a whole file refused
    included). `boundary_crs` and `encoding` override the bundle's bundle.toml. A bundle with
    contacts.csv needs the `vault` that seals them; contacts the retention policy would
    erase are not kept. Never commits."""
    report_progress = progress or no_progress
    mode = mode_of(write_good_rows=write_good_rows, check_only=check_only)
    policy, imports = rules(policy, imports)
    notices: list[Notice] = []
    try:
        with opened_bundle(Path(path)) as folder:
            if (folder / CONTACTS_FILE).exists() and vault is None:
                raise BundleFileError(CONTACTS_FILE, "holds complainants' contacts: importing "
                                      "them needs the secret key that seals them (gridrisk "
                                      "import uses GRIDRISK_SECRET_KEY_FILE)")
            options = bundle_options(folder, boundary_crs=boundary_crs, encoding=encoding,
                                     notices=notices)
            rows = read_bundle(folder, options, notices, report_progress)
            checked = check_rows(conn, rows, timezone=timezone, policy=policy,
                                 imports=imports, notices=notices, progress=report_progress)
    except BundleFileError as exc:
        if not check_only:
            raise
        return ImportReport.refused_file(str(path), mode, exc, notices)

    def report_of(checked: Checked) -> ImportReport:
        return ImportReport(source=str(path), mode=mode,
                            options={**options.to_dict(), "timezone": timezone},
                            files=checked.files(), rejects=checked.rejects,
                            notices=checked.notices)

    def seal_contacts() -> dict[str, dict[str, int]]:
        if not len(checked.contacts):
            return {}
        assert vault is not None
        return {"contacts": _write_contacts(
            conn, checked, vault, retention_years=(privacy or load_policy().privacy
                                                   ).contact_retention_years,
            policy=policy, timezone=timezone)}
    return finish(conn, checked, report_of, mode=mode, progress=report_progress,
                  then=seal_contacts)


def rules(policy: DeadlinePolicy | None, imports: ImportPolicy | None
          ) -> tuple[DeadlinePolicy, ImportPolicy]:
    """The caller's policy sections, the shipped defaults for those not given."""
    if policy is not None and imports is not None:
        return policy, imports
    defaults = load_policy()
    return policy or defaults.deadlines, imports or defaults.imports


def mode_of(*, write_good_rows: bool, check_only: bool) -> str:
    return "check" if check_only else "good-rows" if write_good_rows else "all-or-nothing"


def finish(conn: Connection, checked: Checked, report_of: Callable[[Checked], ImportReport], *,
           mode: str, progress: Progress,
           then: Callable[[], dict[str, dict[str, int]]] | None = None) -> ImportReport:
    """Check screenings.csv and write what was checked as `mode` says (and what `then`
    writes after it), inside a savepoint; record the run. `report_of` makes the report once
    every row is checked."""
    writing = mode == "good-rows" or (mode == "all-or-nothing" and not len(checked.rejects))
    if not writing:
        for done, _ in checked.screenings.batches():
            progress("校验", done)
        report = report_of(checked.settled())
        report.outcome = "checked" if mode == "check" else "refused"
        if mode == "check":
            return report
        raise RejectedRows(report)
    with conn.begin_nested():
        written = write_checked(conn, checked, all_or_nothing=mode == "all-or-nothing",
                                progress=progress)
        report = report_of(checked.settled())
        if len(report.rejects) and mode == "all-or-nothing":
            report.outcome = "refused"
            raise RejectedRows(report)  # and the savepoint is rolled back
        report.written = written
        if then is not None:
            report.written |= then()
        report.outcome = "written"
        report.run_id = record_run(conn, report)
    progress("完成", 1.0)
    return report


def record_run(conn: Connection, report: ImportReport) -> int:
    """The run in import_runs, with its counts, errors (summarised: the first thousand root
    problems) and warnings."""
    summary = report.to_json(limit=RUN_ERRORS)
    run_id: int = conn.execute(
        cast(Table, ImportRun.__table__).insert().returning(ImportRun.id),
        {"source": report.source, "mode": report.mode, "outcome": report.outcome,
         "written": report.written, "n_rejected": len(report.rejects),
         "warnings": summary["warnings"], "errors": summary["errors"],
         "counts": summary["files"], "options": report.options},
    ).scalar_one()
    return run_id


def read_bundle(folder: Path, options: BundleOptions, notices: list[Notice],
                progress: Progress) -> Rows:
    progress("读取文件", 0.0)
    region_file = geometry_file(folder, "regions", required=True)
    assert region_file is not None
    regions = _numbered(read_geometry_file(region_file, REGION_PROPERTIES,
                                           datum=options.boundary_crs, notices=notices))
    cell_file = geometry_file(folder, "cells", required=False)
    cells = _numbered(read_geometry_file(cell_file, CELL_PROPERTIES,
                                         datum=options.boundary_crs, notices=notices)
                      ) if cell_file else None
    cases = read_csv_file(folder, CASES_FILE, CASE_COLUMNS, encoding=options.encoding,
                          notices=notices)
    progress("读取文件", 0.4)
    events = read_csv_file(folder, EVENTS_FILE, EVENT_COLUMNS, encoding=options.encoding,
                           notices=notices)
    screenings = read_csv_rows(folder, SCREENINGS_FILE, SCREENING_COLUMNS,
                               encoding=options.encoding, notices=notices)
    contacts = read_csv_file(folder, CONTACTS_FILE, CONTACT_COLUMNS, encoding=options.encoding,
                             notices=notices) if (folder / CONTACTS_FILE).exists() else None
    progress("读取文件", 1.0)
    return Rows(regions=regions, region_file=region_file.name, cells=cells,
                cell_file=cell_file.name if cell_file else "cells.geojson", cases=cases,
                case_file=CASES_FILE, events=events, event_file=EVENTS_FILE,
                screenings=screenings, contacts=contacts)


def check_rows(conn: Connection, rows: Rows, *, timezone: str, policy: DeadlinePolicy,
               imports: ImportPolicy, notices: list[Notice], progress: Progress) -> Checked:
    """Every row checked against the spec and the database, but those of screenings.csv,
    which `Checked.screenings` checks a batch at a time."""
    now = pd.Timestamp.now(tz="UTC")
    today = pd.Timestamp.now(tz=timezone).normalize()
    region_rows = rows.regions if rows.regions is not None else _no_features(
        REGION_PROPERTIES)
    screening_rows = rows.screenings if rows.screenings is not None else CsvRows.empty(
        SCREENING_COLUMNS)
    bundle_cells = set(rows.cells["code"]) if rows.cells is not None else set()
    referenced = (set(rows.events["case_id"].unique())
                  | set(screening_rows.frame(columns=["case_id"])["case_id"].unique())
                  | (set(rows.contacts["case_id"].unique()) if rows.contacts is not None
                     else set())) - {""}
    around = set(region_rows["parent_code"]) | (
        set(rows.cells["region_code"]) if rows.cells is not None else set())
    known = load_known(conn, skip_cells=bundle_cells, case_ids=sorted(referenced),
                       regions_around=sorted(around - {""}), bundle_regions=region_rows["code"],
                       timezone=timezone)
    metric = metric_crs([region_rows, known.cells])
    progress("校验", 0.1)
    regions, region_problems = check_regions(region_rows, known, rows.region_file,
                                             policy=imports, metric=metric, notices=notices)
    region_rejects = Rejected.of(rows.region_file, region_rows, regions, "code",
                                 region_problems)
    cells, cell_problems = check_cells(rows.cells, regions, region_rejects, known,
                                       rows.cell_file, policy=imports, metric=metric,
                                       notices=notices)
    # a rejected village or community takes its own cell (same code) with it
    cell_rejects = Rejected.of(rows.cell_file, rows.cells,
                               cells if rows.cells is not None else None, "code", cell_problems
                               ) + region_rejects.only(region_rows.loc[
                                   region_rows["level"].str.lower().isin(CELL_HOLDERS), "code"])
    known.cells = known.cells.loc[~known.cells["code"].isin(cells["code"])]
    index = CellIndex(pd.concat([cells[["code", "geometry"]], known.cells[["code", "geometry"]]],
                                ignore_index=True))
    areas = RejectedAreas(region_rows, regions, region_rejects, rows.cells, cells, cell_rejects)
    progress("校验", 0.3)
    cases, case_problems = check_cases(rows.cases, cells, cell_rejects, region_rejects, known,
                                       index, areas, today, label=rows.case_file,
                                       timezone=timezone, policy=imports, notices=notices)
    case_rejects = Rejected.of(rows.case_file, rows.cases, cases, "case_id", case_problems)
    progress("校验", 0.6)
    events, event_problems = check_events(rows.events, cases, case_rejects, known,
                                          label=rows.event_file, timezone=timezone, now=now,
                                          policy=policy)
    screenings = ScreeningCheck(
        screening_rows, cells, cell_rejects, cases, case_rejects, known, index, areas,
        label=rows.screening_file, timezone=timezone, now=now, policy=imports)
    problems = [region_problems, cell_problems, case_problems, event_problems]
    contacts = None
    if rows.contacts is not None:
        contacts, contact_problems = check_contacts(rows.contacts, cases, case_rejects, known,
                                                    today)
        problems.append(contact_problems)
    progress("校验", 0.8)
    rejects = pd.concat([p.frame() for p in problems], ignore_index=True)
    read = {file: len(frame) for file, frame in (
        (rows.region_file, rows.regions), (rows.cell_file, rows.cells),
        (rows.case_file, rows.cases), (rows.event_file, rows.events),
        (rows.screening_file, rows.screenings), (CONTACTS_FILE, rows.contacts))
        if frame is not None}
    kept = [*REJECT_COLUMNS, *(["origin"] if "origin" in rejects else [])]
    checked = Checked(regions=regions, cells=cells, cases=cases, events=events,
                      screenings=screenings, rejects=rejects[kept], notices=notices, read=read)
    if contacts is not None:
        checked.contacts = contacts
    return checked


def _numbered(features: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A geometry file's 'line' is the feature's number, counted from 1."""
    features.insert(0, "line", range(1, len(features) + 1))
    return features.reset_index(drop=True)


def _no_features(columns: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in ["line", *columns]},
                            geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")


def load_known(conn: Connection, *, skip_cells: set[str], case_ids: list[str],
               regions_around: list[str], bundle_regions: pd.Series, timezone: str) -> Known:
    """What the database holds that the bundle may refer to: all regions and cells, the
    outlines of the stored regions the bundle's regions and cells sit in or beside, and the
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
    shapes = conn.execute(text(
        "SELECT code, level, parent_code, ST_AsBinary(geom) FROM regions "
        "WHERE (code = ANY(:around) OR parent_code = ANY(:around)) AND code <> ALL(:bundle)"),
        {"around": regions_around, "bundle": list(bundle_regions)}).all()
    outlines = gpd.GeoDataFrame(
        {"code": [r[0] for r in shapes], "level": [r[1] for r in shapes],
         "parent_code": [r[2] for r in shapes]},
        geometry=shapely.from_wkb([bytes(r[3]) for r in shapes]), crs="EPSG:4326")
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
    return Known(regions=regions, cells=cells, shapes=outlines, cases=cases, events=events)


# -- writing ------------------------------------------------------------------------------


def write_checked(conn: Connection, checked: Checked, *, all_or_nothing: bool,
                  progress: Progress) -> dict[str, dict[str, int]]:
    """Write the checked tables, then screenings.csv as its batches are checked; with
    `all_or_nothing`, once a screening row is bad nothing more is written (the caller rolls
    back) and the rest is only checked."""
    tables = [
        ("regions", _region_rows(checked.regions), ["code"], ""),
        ("cells", _cell_rows(checked.cells), ["code"], ""),
        ("cases", _case_rows(checked.cases), ["case_id"], "version = cases.version + 1"),
        ("case_events", _event_rows(checked.events), ["case_id", "content_hash", "occurrence"],
         None),
    ]
    written = {}
    for step, (table, frame, key, on_change) in enumerate(tables):
        progress(f"写入 {table}", step / (len(tables) + 1))
        written[table] = copy_upsert(conn, table, frame, key, on_change=on_change)
    screenings = checked.screenings
    progress("写入 screening_records", len(tables) / (len(tables) + 1))
    with BulkUpsert(conn, "screening_records", screenings.keys, on_change="",
                    prepare=_screening_rows) as upsert:
        for done, batch in screenings.batches():
            progress("写入 screening_records", (len(tables) + done) / (len(tables) + 1))
            if not (all_or_nothing and screenings.refused):
                upsert.write(batch)
        if all_or_nothing and screenings.refused:
            upsert.abandon()
    written["screening_records"] = upsert.written
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
        checked.notices.append(Notice(
            "contacts_not_kept", CONTACTS_FILE,
            f"{CONTACTS_FILE}: {len(expired)} contacts not kept: their cases closed before "
            f"{cutoff} ([privacy] contact_retention_years = {retention_years})",
            {"count": len(expired)}))
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
