"""Finding and reading a bundle's files: folder or zip, CSV or geometry, with file-level errors."""

from __future__ import annotations

import csv
import io
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyogrio

from gridrisk.bundle.errors import BundleFileError

GEOMETRY_SUFFIXES = (".geojson", ".gpkg", ".shp")


@contextmanager
def opened_bundle(path: Path) -> Iterator[Path]:
    """The bundle's folder; a zip is checked and unpacked into a temporary folder first."""
    path = Path(path)
    if not path.exists():
        raise BundleFileError(str(path), "no such file or folder")
    if path.is_dir():
        yield path
        return
    if not zipfile.is_zipfile(path):
        raise BundleFileError(str(path), "a bundle is a folder or a .zip of one")
    with zipfile.ZipFile(path) as archive, tempfile.TemporaryDirectory() as scratch:
        unsafe = [info.filename for info in archive.infolist() if not _is_safe_member(info)]
        if unsafe:
            raise BundleFileError(
                path.name,
                "the zip holds paths that would land outside the bundle (absolute, '..' or "
                f"links): {', '.join(unsafe[:5])}; nothing was unpacked",
            )
        archive.extractall(scratch)
        yield _bundle_root(Path(scratch), path.name)


def _is_safe_member(info: zipfile.ZipInfo) -> bool:
    name = info.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    is_link = stat.S_ISLNK(info.external_attr >> 16)
    escapes = name.startswith("/") or ".." in parts or (bool(parts) and ":" in parts[0])
    return bool(parts) and not escapes and not is_link


def _bundle_root(unpacked: Path, label: str) -> Path:
    """A zip of a folder holds the bundle one level down."""
    if any((unpacked / f"regions{s}").exists() for s in GEOMETRY_SUFFIXES):
        return unpacked
    folders = [p for p in unpacked.iterdir() if p.is_dir() and not p.name.startswith("__")]
    if len(folders) == 1:
        return folders[0]
    raise BundleFileError(label, "no regions.geojson (or .gpkg, .shp) at the top of the zip")


def geometry_file(folder: Path, stem: str, *, required: bool) -> Path | None:
    found = [folder / f"{stem}{s}" for s in GEOMETRY_SUFFIXES if (folder / f"{stem}{s}").exists()]
    if len(found) > 1:
        raise BundleFileError(stem, f"more than one file: {', '.join(p.name for p in found)}")
    if not found:
        if required:
            raise BundleFileError(f"{stem}.geojson", "missing: the bundle must hold this file "
                                  "(or its .gpkg or .shp form)")
        return None
    return found[0]


def read_geometry_file(path: Path, columns: list[str]) -> gpd.GeoDataFrame:
    """Features in EPSG:4326 with the named properties as text ('' when missing)."""
    _check_not_empty(path)
    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as exc:  # pyogrio raises several GDAL error types
        raise BundleFileError(path.name, f"cannot be read as a geometry file: {exc}") from exc
    if frame.crs is None:
        raise BundleFileError(path.name, "declares no coordinate reference system "
                              "(a shapefile needs its .prj)")
    if path.suffix == ".shp":
        # dBase field names stop at 10 characters: region_code arrives as region_cod
        frame = frame.rename(columns={c[:10]: c for c in columns if c[:10] not in columns})
    missing = [c for c in columns if c not in frame.columns]
    required = [c for c in missing if c not in OPTIONAL_GEO_PROPERTIES]
    if required:
        raise BundleFileError(f"{path.name}:{required[0]}",
                              f"missing property; the file has {', '.join(frame.columns[:-1])}")
    for column in columns:
        frame[column] = _as_text(frame[column]) if column in frame.columns else ""
    if not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    return frame[[*columns, "geometry"]]


OPTIONAL_GEO_PROPERTIES = {"households", "parent_code"}


def _as_text(values: pd.Series) -> pd.Series:
    """Codes read as numbers (411502001201 in a GeoJSON) back to the text they stand for."""
    if pd.api.types.is_float_dtype(values):
        whole = values.dropna().mod(1).eq(0).all()
        text = values.map(lambda v: "" if pd.isna(v) else (f"{v:.0f}" if whole else repr(v)))
        return text.astype(str)
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def read_csv_file(folder: Path, name: str, columns: dict[str, bool]) -> pd.DataFrame:
    """All values as stripped text ('' = missing), with a `line` column (the record's line in
    the file, header = 1). `columns` maps each column to whether the file must have it.
    Parsed by Arrow's CSV reader: every column as text, nothing guessed."""
    path = folder / name
    if not path.exists():
        raise BundleFileError(name, "missing: the bundle must hold this file (it may hold "
                              "only a header row)")
    _check_not_empty(path)
    raw = path.read_bytes()
    _check_utf8(raw, name)
    body = raw.removeprefix(b"\xef\xbb\xbf")
    header = next(csv.reader(io.StringIO(body[:body.find(b"\n") + 1 or None].decode())))
    header = [c.strip() for c in header]
    missing = [c for c, required in columns.items() if required and c not in header]
    if missing:
        raise BundleFileError(f"{name}:{missing[0]}",
                              f"missing column; the header has {', '.join(header)}")
    try:
        table = pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                include_columns=[c for c in columns if c in header],
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        raise BundleFileError(name, f"not a well-formed CSV: {exc}") from exc
    frame = pd.DataFrame({
        column: (pc.utf8_trim_whitespace(table.column(column)).to_pandas()
                 if column in header else pd.Series("", index=range(table.num_rows)))
        for column in columns
    })
    frame.insert(0, "line", _record_lines(body, len(frame)))
    return frame


def _check_not_empty(path: Path) -> None:
    with path.open("rb") as handle:
        start = handle.read(4096)
    if not start.strip():
        raise BundleFileError(path.name, "empty file: expected at least a header row")


def _check_utf8(raw: bytes, name: str) -> None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BundleFileError(
            name, f"not UTF-8 (byte 0x{raw[exc.start]:02x} on line {line}); save the file as "
            "UTF-8 (a spreadsheet saved as GBK or GB18030 must be converted)"
        ) from exc


def _record_lines(body: bytes, n_records: int) -> pd.Series:
    """The line each record starts on; quoted line breaks or blank lines make it differ
    from index + 2, and only then is the file walked record by record."""
    n_lines = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
    if n_lines == n_records + 1:
        return pd.Series(range(2, n_records + 2))
    reader = csv.reader(io.StringIO(body.decode("utf-8")))
    next(reader, None)
    starts = []
    previous_end = reader.line_num
    for row in reader:
        if row:
            starts.append(previous_end + 1)
        previous_end = reader.line_num
    return pd.Series(starts[:n_records])
