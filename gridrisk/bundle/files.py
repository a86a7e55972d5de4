"""Finding and reading a bundle's files: folder or zip, CSV or geometry, with file-level errors."""

from __future__ import annotations

import codecs
import csv
import io
import re
import stat
import tempfile
import tomllib
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyogrio

from gridrisk.bundle.boundaries import (
    boundaries_to_wgs84,
    check_declared_crs,
    check_wgs84_result,
)
from gridrisk.bundle.errors import BundleFileError
from gridrisk.bundle.report import Notice
from gridrisk.vocab import Crs

GEOMETRY_SUFFIXES = (".geojson", ".gpkg", ".shp")
#: the bundle's own settings, beside its files (docs/bundle.md)
SETTINGS_FILE = "bundle.toml"
#: what Excel on a Chinese Windows machine writes; tried when a CSV is not UTF-8
CHINESE_ENCODING = "gb18030"
#: a character a Chinese spreadsheet seldom holds: anything but ASCII, Latin-1, general
#: punctuation and symbols, CJK punctuation, ideographs and full-width forms. A GB18030
#: reading that yields one is taken for a file in another encoding, never guessed further
_IMPLAUSIBLE = re.compile(r"[^\x00-\x7f\u00a0-\u00ff\u2000-\u206f\u2100-\u22ff"
                          r"\u2460-\u24ff\u2500-\u257f\u25a0-\u26ff\u3000-\u303f"
                          r"\u3200-\u32ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
                          r"\ufe30-\ufe4f\uff00-\uffef]")

#: the UTF-8 byte-order mark Excel writes before a CSV's header
BOM = codecs.BOM_UTF8


@dataclass(frozen=True)
class BundleOptions:
    """How to read a bundle's files: the datum of its boundary files' degrees and the
    encoding of its CSV files (None: UTF-8, or GB18030 when detected)."""

    boundary_crs: Crs = Crs.wgs84
    encoding: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"boundary_crs": self.boundary_crs.value, "encoding": self.encoding}


def bundle_options(folder: Path, *, boundary_crs: Crs | None, encoding: str | None,
                   notices: list[Notice]) -> BundleOptions:
    """The bundle's bundle.toml (if any) with the caller's choices on top; a choice that
    overrides the bundle's own setting is noted."""
    declared = _read_settings(folder / SETTINGS_FILE)
    chosen = {"boundary_crs": Crs(boundary_crs).value if boundary_crs else None,
              "encoding": checked_encoding(encoding, "--encoding") if encoding else None}
    for key, value in chosen.items():
        if value is not None and key in declared and declared[key] != value:
            notices.append(Notice("option_overridden", SETTINGS_FILE,
                                  f"{SETTINGS_FILE} says {key} = \"{declared[key]}\"; the "
                                  f"command's {value} is used"))
    merged = {**declared, **{k: v for k, v in chosen.items() if v is not None}}
    return BundleOptions(boundary_crs=Crs(merged.get("boundary_crs", Crs.wgs84.value)),
                         encoding=merged.get("encoding"))


def _read_settings(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    try:
        settings = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BundleFileError(SETTINGS_FILE, f"not valid TOML: {exc}") from exc
    unknown = sorted(set(settings) - {"boundary_crs", "encoding"})
    if unknown:
        raise BundleFileError(SETTINGS_FILE, f"unknown setting(s) {', '.join(unknown)}; "
                              "known: boundary_crs, encoding")
    if not all(isinstance(v, str) for v in settings.values()):
        raise BundleFileError(SETTINGS_FILE, "settings are text, e.g. boundary_crs = \"gcj02\"")
    crs = settings.get("boundary_crs")
    if crs is not None and crs not in {c.value for c in Crs}:
        raise BundleFileError(f"{SETTINGS_FILE}:boundary_crs", f"unknown value {crs!r}; "
                              f"expected one of {', '.join(c.value for c in Crs)}")
    if "encoding" in settings:
        settings["encoding"] = checked_encoding(settings["encoding"],
                                                f"{SETTINGS_FILE}:encoding")
    return settings


def checked_encoding(name: str, field: str) -> str:
    """A codec name Python knows, normalised (GBK, gb2312, utf-8-sig...)."""
    try:
        return codecs.lookup(name).name
    except LookupError as exc:
        raise BundleFileError(field, f"unknown encoding {name!r}; e.g. utf-8, gb18030, "
                              "gbk") from exc


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


def read_geometry_file(path: Path, columns: list[str], *, datum: Crs,
                       notices: list[Notice]) -> gpd.GeoDataFrame:
    """Features in EPSG:4326 with the named properties as text ('' when missing). The
    coordinates must fit the CRS the file declares; `datum` names what its degrees really
    are (GCJ-02 or BD-09 outlines from Chinese web maps are moved to WGS84)."""
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
    check_declared_crs(frame, path.name)
    if not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
        check_wgs84_result(frame, path.name)
    frame = boundaries_to_wgs84(frame, datum, path.name, notices)
    return frame[[*columns, "geometry"]]


OPTIONAL_GEO_PROPERTIES = {"households", "parent_code"}


def _as_text(values: pd.Series) -> pd.Series:
    """Codes read as numbers (411502001201 in a GeoJSON) back to the text they stand for."""
    if pd.api.types.is_float_dtype(values):
        whole = values.dropna().mod(1).eq(0).all()
        text = values.map(lambda v: "" if pd.isna(v) else (f"{v:.0f}" if whole else repr(v)))
        return text.astype(str)
    return values.astype(object).where(values.notna(), "").astype(str).str.strip()


def read_csv_file(folder: Path, name: str, columns: dict[str, bool], *, encoding: str | None,
                  notices: list[Notice]) -> pd.DataFrame:
    """The whole file as `CsvRows.frame` gives it."""
    return read_csv_rows(folder, name, columns, encoding=encoding, notices=notices).frame()


def read_csv_rows(folder: Path, name: str, columns: dict[str, bool], *, encoding: str | None,
                  notices: list[Notice]) -> CsvRows:
    """Parsed by Arrow's CSV reader: every column as text, nothing guessed. `columns` maps
    each column to whether the file must have it. `encoding` None reads UTF-8, or GB18030
    when the file is not UTF-8 and reads as Chinese text (noted)."""
    path = folder / name
    if not path.exists():
        raise BundleFileError(name, "missing: the bundle must hold this file (it may hold "
                              "only a header row)")
    _check_not_empty(path)
    if encoding in (None, "utf-8", "utf-8-sig"):
        # parsed where the OS keeps the file (no copy of its bytes, which on a large file
        # costs more than the parse); Arrow checks the UTF-8 as it reads
        with pa.memory_map(str(path)) as mapped:
            body = mapped.read_buffer()
        if body.size >= len(BOM) and body.slice(0, len(BOM)).to_pybytes() == BOM:
            body = body.slice(len(BOM))
        try:
            return _parsed(body, name, columns)
        except _NotUtf8:
            pass
    raw = path.read_bytes()
    return _parsed(pa.py_buffer(utf8_body(raw, name, encoding, notices)), name, columns)


@dataclass
class CsvRows:
    """A CSV file as Arrow read it, turned into text frames a slice at a time: converting a
    million rows takes most of a second, which the import spends while the server writes
    the previous slice (bundle/service.py)."""

    table: pa.Table
    #: the line each record starts on (header = 1)
    lines: pd.Series
    columns: dict[str, bool]

    @classmethod
    def empty(cls, columns: dict[str, bool]) -> CsvRows:
        return cls(pa.table({c: pa.array([], pa.large_string()) for c in columns}),
                   pd.Series([], dtype="int64"), columns)

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def frame(self, start: int = 0, stop: int | None = None,
              columns: list[str] | None = None) -> pd.DataFrame:
        """Rows `start` to `stop` (indexed by their position in the file): all values as
        stripped text ('' = missing), with a `line` column; only `columns` if given."""
        stop = len(self) if stop is None else min(stop, len(self))
        part = self.table.slice(start, stop - start)
        index = pd.RangeIndex(start, stop)
        frame = pd.DataFrame({
            column: (pd.Series(pc.utf8_trim_whitespace(part.column(column)).to_pandas().array,
                               index=index)
                     if column in part.column_names else pd.Series("", index=index))
            for column in (columns or self.columns)
        }, index=index)
        frame.insert(0, "line", self.lines.iloc[start:stop].to_numpy())
        return frame


class _NotUtf8(Exception):
    """Bytes that are not UTF-8 where the header or a column should be text."""


def _parsed(body: pa.Buffer, name: str, columns: dict[str, bool]) -> CsvRows:
    breaks, first_break = _line_breaks(body)
    try:
        first = body.slice(0, first_break + 1 if breaks else None).to_pybytes().decode()
    except UnicodeDecodeError as exc:
        raise _NotUtf8 from exc
    header = [c.strip() for c in next(csv.reader(io.StringIO(first)))]
    missing = [c for c, required in columns.items() if required and c not in header]
    if missing:
        raise BundleFileError(f"{name}:{missing[0]}",
                              f"missing column; the header has {', '.join(header)}")
    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            convert_options=pacsv.ConvertOptions(
                # large_string is what pandas' str columns hold: no cast on the way in
                column_types=dict.fromkeys(header, pa.large_string()),
                include_columns=[c for c in columns if c in header],
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        if "invalid UTF8" in str(exc):
            raise _NotUtf8 from exc
        raise BundleFileError(name, f"not a well-formed CSV: {exc}") from exc
    return CsvRows(table, _record_lines(body, breaks, table.num_rows), columns)


#: bytes scanned for line breaks at a time: the scan's scratch array is this size, whatever
#: the file's (a fresh array the size of a large file costs more than the scan)
BREAK_WINDOW = 1 << 22


def _line_breaks(body: pa.Buffer) -> tuple[int, int]:
    """How many line breaks the body holds, and where the first is (-1 when none)."""
    data = np.frombuffer(body, dtype=np.uint8)
    scratch = np.empty(min(len(data), BREAK_WINDOW), dtype=bool)
    count, first = 0, -1
    for start in range(0, len(data), BREAK_WINDOW):
        window = data[start:start + BREAK_WINDOW]
        found = np.equal(window, ord("\n"), out=scratch[:len(window)])
        hits = int(np.count_nonzero(found))
        if hits and first < 0:
            first = start + int(np.argmax(found))
        count += hits
    return count, first


def _check_not_empty(path: Path) -> None:
    with path.open("rb") as handle:
        start = handle.read(4096)
    if not start.strip():
        raise BundleFileError(path.name, "empty file: expected at least a header row")


def utf8_body(raw: bytes, name: str, encoding: str | None, notices: list[Notice]) -> bytes:
    """The file's text as UTF-8 without a byte-order mark. A declared encoding is decoded
    strictly; undeclared, UTF-8 is tried, then GB18030, which must read as Chinese text."""
    if encoding not in (None, "utf-8", "utf-8-sig"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise BundleFileError(name, f"not {encoding} as declared (byte "
                                  f"0x{raw[exc.start]:02x} on line {_line_of(raw, exc.start)})"
                                  ": check the declared encoding") from exc
        return text.encode("utf-8")
    try:
        raw.decode("utf-8")
        return raw.removeprefix(BOM)
    except UnicodeDecodeError as exc:
        not_utf8 = f"not UTF-8 (byte 0x{raw[exc.start]:02x} on line {_line_of(raw, exc.start)})"
        if encoding is not None:
            raise BundleFileError(name, f"{not_utf8}, as declared: check the declared "
                                  "encoding") from exc
    advice = ("declare the file's encoding with --encoding (or in bundle.toml), e.g. big5, or "
              "save it as UTF-8")
    try:
        text = raw.decode(CHINESE_ENCODING)
    except UnicodeDecodeError as exc:
        raise BundleFileError(name, f"{not_utf8}, nor GB18030: {advice}") from exc
    odd = _IMPLAUSIBLE.search(text)
    if odd is not None:
        line = text.count("\n", 0, odd.start()) + 1
        raise BundleFileError(name, f"{not_utf8}, and read as GB18030 it gives unlikely "
                              f"characters ({odd.group()!r} on line {line}): {advice}")
    notices.append(Notice("encoding", name, f"{name}: not UTF-8; read as GB18030 (what Excel "
                          "writes on a Chinese Windows machine); declare --encoding to read "
                          "it otherwise", {"encoding": CHINESE_ENCODING}))
    return text.encode("utf-8")


def _line_of(raw: bytes, offset: int) -> int:
    return raw[:offset].count(b"\n") + 1


def _record_lines(body: pa.Buffer, breaks: int, n_records: int) -> pd.Series:
    """The line each record starts on (`breaks`: how many line breaks the body holds); quoted
    line breaks or blank lines make it differ from index + 2, and only then is the file
    walked record by record."""
    ends_in_break = body.size > 0 and body.slice(body.size - 1).to_pybytes() == b"\n"
    n_lines = breaks + (0 if ends_in_break else 1)
    if n_lines == n_records + 1:
        return pd.Series(range(2, n_records + 2))
    reader = csv.reader(io.StringIO(body.to_pybytes().decode("utf-8")))
    next(reader, None)
    starts = []
    previous_end = reader.line_num
    for row in reader:
        if row:
            starts.append(previous_end + 1)
        previous_end = reader.line_num
    return pd.Series(starts[:n_records])
