"""Exporting a region and everything under it back to a bundle that re-imports to the same rows.

The region's ancestors come along (without their cases) so that the bundle imports into an
empty database: a township needs its county. A case file is written as corrected (an event
that a later event corrects is left out: the bundle has no column to link the two) and in the
order it replays (by local day, then as recorded), so that it imports to the same states.

Complainants' contacts stay out, and the phone and identity card numbers typed into free text
(summaries, event details) are masked, unless the export asks for contacts by name: then
contacts.csv is written and the free text goes out as typed, so the bundle round-trips."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from gridrisk.bundle.validate import (
    CASE_COLUMNS,
    CONTACT_COLUMNS,
    EVENT_COLUMNS,
    SCREENING_COLUMNS,
)
from gridrisk.errors import InvalidInput
from gridrisk.privacy.masking import mask_texts
from gridrisk.privacy.service import region_contacts
from gridrisk.privacy.vault import Vault
from gridrisk.regions.errors import UnknownRegion

SUBTREE = """
WITH RECURSIVE below AS (
    SELECT code FROM regions WHERE code = :code
    UNION ALL SELECT r.code FROM regions r JOIN below b ON r.parent_code = b.code
), above AS (
    SELECT code, parent_code FROM regions WHERE code = :code
    UNION ALL SELECT r.code, r.parent_code FROM regions r JOIN above a ON r.code = a.parent_code
)
"""


def export_region(conn: Connection, code: str, out: Path, *, timezone: str = "Asia/Shanghai",
                  with_contacts: bool = False, vault: Vault | None = None) -> dict[str, int]:
    """Write the bundle to `out` (a folder, or a .zip when the name ends so); row counts.
    `with_contacts` (an administrator's choice, by name) adds contacts.csv, opened with
    `vault`, readable by its owner only, and leaves free text unmasked; without it, a
    contacts.csv left in the folder by an earlier export is removed."""
    if conn.execute(text("SELECT 1 FROM regions WHERE code = :code"), {"code": code}).first() \
            is None:
        raise UnknownRegion(code)
    if with_contacts and vault is None:
        raise InvalidInput("with_contacts", "contacts are opened with the secret key, and "
                           "none was given")
    out = Path(out)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / (out.stem if out.suffix == ".zip" else out.name)
        folder.mkdir()
        counts = _write_bundle(conn, code, folder, timezone,
                               free_text=_as_typed if with_contacts else mask_texts)
        if with_contacts:
            assert vault is not None
            counts["contacts"] = _write_contacts(conn, code, folder, vault)
        if out.suffix == ".zip":
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.make_archive(str(out.with_suffix("")), "zip", folder.parent, folder.name)
            if with_contacts:
                out.chmod(0o600)
        else:
            out.mkdir(parents=True, exist_ok=True)
            # an earlier export's contacts must not linger beside a bundle without them
            (out / "contacts.csv").unlink(missing_ok=True)
            for file in folder.iterdir():
                shutil.copyfile(file, out / file.name)
            if with_contacts:
                (out / "contacts.csv").chmod(0o600)
    return counts


def _frame(conn: Connection, sql: str, code: str, timezone: str) -> pd.DataFrame:
    result = conn.execute(text(SUBTREE + sql), {"code": code, "tz": timezone})
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def _geo(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    geoms = shapely.from_wkb([bytes(g) for g in frame.pop("wkb")])
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")


def _write_bundle(conn: Connection, code: str, folder: Path, timezone: str, *,
                  free_text: Callable[[pd.Series], pd.Series]) -> dict[str, int]:
    regions = _frame(conn, """
        SELECT code, name, level, parent_code, households, ST_AsBinary(geom) AS wkb
        FROM regions WHERE code IN (SELECT code FROM below UNION SELECT code FROM above)
        ORDER BY code""", code, timezone)
    regions["households"] = regions["households"].astype("Int64")
    _geo(regions).to_file(folder / "regions.geojson", driver="GeoJSON", engine="pyogrio",
                          layer_options={"COORDINATE_PRECISION": 15})
    cells = _frame(conn, """
        SELECT code, name, region_code, ST_AsBinary(geom) AS wkb FROM cells
        WHERE region_code IN (SELECT code FROM below) ORDER BY code""", code, timezone)
    _geo(cells).to_file(folder / "cells.geojson", driver="GeoJSON", engine="pyogrio",
                        layer_options={"COORDINATE_PRECISION": 15})

    cases = _frame(conn, """
        SELECT case_id, received_on, channel, category, parties,
               ST_X(geom) AS lon, ST_Y(geom) AS lat, 'wgs84' AS crs, cell_code, region_code,
               complex, responsible_unit, responsible_official, summary, due_at
        FROM cases WHERE region_code IN (SELECT code FROM below)
        ORDER BY case_id""", code, timezone)
    cases["received_on"] = cases["received_on"].astype(str)
    cases["due_at"] = _iso_times(pd.to_datetime(cases["due_at"], utc=True).dt.tz_convert(
        timezone))
    cases["crs"] = cases["crs"].where(cases["lon"].notna(), None)
    cases["complex"] = cases["complex"].map({True: "true", False: "false"})
    cases["summary"] = free_text(cases["summary"])
    _to_csv(cases, folder / "cases.csv", CASE_COLUMNS)

    events = _frame(conn, """
        SELECT e.case_id, e.at, e.at_is_date, e.type, e.level, e.parties, e.detail
        FROM case_events e JOIN cases c USING (case_id)
        WHERE c.region_code IN (SELECT code FROM below)
          AND NOT EXISTS (SELECT 1 FROM case_events k WHERE k.corrects = e.id)
        ORDER BY e.case_id, (e.at AT TIME ZONE :tz)::date, e.id""", code, timezone)
    local = pd.to_datetime(events["at"], utc=True).dt.tz_convert(timezone)
    events["at"] = _iso_times(local).where(~events["at_is_date"].astype(bool),
                                           local.dt.strftime("%Y-%m-%d"))
    events["parties"] = events["parties"].astype("Int64")
    events["detail"] = free_text(events["detail"])
    _to_csv(events, folder / "case_events.csv", EVENT_COLUMNS)

    screenings = _frame(conn, """
        SELECT s.record_id, s.screened_at, s.worker, s.cell_code, s.found, s.category,
               s.severity, s.parties, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat,
               CASE WHEN s.geom IS NOT NULL THEN 'wgs84' END AS crs, s.outcome, s.case_id,
               s.summary
        FROM screening_records s JOIN cells c ON c.code = s.cell_code
        WHERE c.region_code IN (SELECT code FROM below) ORDER BY s.record_id""", code, timezone)
    screenings["screened_at"] = _iso_times(
        pd.to_datetime(screenings["screened_at"], utc=True).dt.tz_convert(timezone))
    screenings["found"] = screenings["found"].map({True: "true", False: "false"})
    screenings["parties"] = screenings["parties"].astype("Int64")
    screenings["summary"] = free_text(screenings["summary"])
    _to_csv(screenings, folder / "screenings.csv", SCREENING_COLUMNS)
    return {"regions": len(regions), "cells": len(cells), "cases": len(cases),
            "case_events": len(events), "screenings": len(screenings)}


def _write_contacts(conn: Connection, code: str, folder: Path, vault: Vault) -> int:
    case_ids = _frame(conn, "SELECT case_id FROM cases "
                      "WHERE region_code IN (SELECT code FROM below)", code, "UTC")["case_id"]
    contacts = region_contacts(conn, vault, case_ids)
    _to_csv(contacts, folder / "contacts.csv", CONTACT_COLUMNS)
    return len(contacts)


def _as_typed(texts: pd.Series) -> pd.Series:
    return texts


def _iso_times(local: pd.Series) -> pd.Series:
    """ISO 8601 with the offset written as +08:00, to the microsecond only when needed."""
    whole = local.dt.microsecond.eq(0)
    text_ = local.dt.strftime("%Y-%m-%dT%H:%M:%S").where(
        whole, local.dt.strftime("%Y-%m-%dT%H:%M:%S.%f"))
    offset = local.dt.strftime("%z")
    iso: pd.Series = text_ + offset.str[:3] + ":" + offset.str[3:]
    return iso


def _to_csv(frame: pd.DataFrame, path: Path, columns: dict[str, bool]) -> None:
    frame[list(columns)].to_csv(path, index=False, encoding="utf-8")
