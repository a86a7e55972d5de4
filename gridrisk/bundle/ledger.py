"""Excel ledgers (台账) in: a sheet whose columns differ from office to office, read through a
mapping file (docs/ledger.md) into the bundle's cases and case events, then checked and
written exactly as a bundle's are (problems named by sheet, Excel row and column header).

A ledger carries cases, one a row, and the events its date columns record (受理日期,
办结日期, 回访日期...): each filled date column is one event of that row's case. It names
places by village or community (a code or a name), not by point; the region tree and cells
must be imported first."""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from sqlalchemy import Connection, text

from gridrisk.bundle.errors import REJECT_COLUMNS, BundleFileError
from gridrisk.bundle.parse import Problems, present
from gridrisk.bundle.report import ImportReport, Notice
from gridrisk.bundle.service import Rows, check_rows, finish, mode_of, rules
from gridrisk.bundle.validate import CASE_COLUMNS, EVENT_COLUMNS, Checked
from gridrisk.policy import DeadlinePolicy, ImportPolicy
from gridrisk.progress import Progress, no_progress
from gridrisk.vocab import CELL_HOLDERS, LABELS, EventType

#: bundle fields a ledger column may feed: cases.csv's, with the place as a village or
#: community (code or name; `township` tells apart villages of the same name) instead of a
#: point
CASE_FIELDS = [c for c in CASE_COLUMNS if c not in ("lon", "lat", "crs", "region_code")]
FIELDS = [*CASE_FIELDS, "village", "township"]
REQUIRED = ("case_id", "received_on", "channel", "category", "parties")
#: fields read as dates or times (a deadline column, when cases.csv has one, is one too)
DATE_FIELDS = tuple(f for f in ("received_on", "due_at") if f in CASE_FIELDS)
#: the vocabularies a mapping may add names to, with the field or event detail they read
VOCABULARIES = {"channel": "channel", "category": "category", "closure": "closed",
                "satisfaction": "followed_up"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
#: a date column's number is an Excel serial day (1900 date system) from 1 up to 9999-12-31
EXCEL_EPOCH = datetime(1899, 12, 30)
MAX_SERIAL = 2_958_465
#: rows searched for the header when the mapping does not give its row
HEADER_SEARCH_ROWS = 30


@dataclass(frozen=True)
class LedgerEvent:
    """A date column whose filled cells are events of the row's case."""

    type: EventType
    at: str
    detail: str | None = None


@dataclass(frozen=True)
class LedgerMapping:
    sheet: str | None
    header_row: int | None
    #: bundle field → the ledger's column header
    columns: dict[str, str]
    #: bundle field → the value used when the ledger has no such column or the cell is empty
    defaults: dict[str, str]
    #: vocabulary → the ledger's text → bundle code (on top of gridrisk's Chinese names)
    values: dict[str, dict[str, str]]
    date_formats: tuple[str, ...]
    events: tuple[LedgerEvent, ...] = field(default_factory=tuple)

    def headers(self) -> list[str]:
        events = [h for e in self.events for h in (e.at, e.detail) if h]
        return [*self.columns.values(), *events]


def load_mapping(path: Path) -> LedgerMapping:
    """The mapping file, every key checked: an unknown field, event type or vocabulary, or a
    field no column or default feeds, is refused by name."""
    name = Path(path).name
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BundleFileError(name, "no such mapping file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise BundleFileError(name, f"not valid TOML: {exc}") from exc
    unknown = set(document) - {"sheet", "columns", "defaults", "values", "dates", "events"}
    if unknown:
        raise BundleFileError(name, f"unknown section(s) {', '.join(sorted(unknown))}; known: "
                              "sheet, columns, defaults, values, dates, events")
    sheet = _table(document, "sheet", name)
    columns = {k: _text(v, f"{name}:columns.{k}") for k, v in
               _table(document, "columns", name).items()}
    defaults = {k: _text(v, f"{name}:defaults.{k}") for k, v in
                _table(document, "defaults", name).items()}
    for section, given in (("columns", columns), ("defaults", defaults)):
        wrong = sorted(set(given) - set(FIELDS))
        if wrong:
            raise BundleFileError(f"{name}:{section}.{wrong[0]}", "not a field a ledger can "
                                  f"feed; known: {', '.join(FIELDS)}")
    missing = [f for f in REQUIRED if f not in columns and f not in defaults]
    if missing:
        raise BundleFileError(f"{name}:columns.{missing[0]}", "required: name the column "
                              "that feeds it (or give it under [defaults])")
    if "village" not in columns and "cell_code" not in columns:
        raise BundleFileError(f"{name}:columns.village", "required: the column naming each "
                              "case's village or community (code or name), or its cell_code")
    values = {}
    for vocabulary, names in _table(document, "values", name).items():
        if vocabulary not in VOCABULARIES:
            raise BundleFileError(f"{name}:values.{vocabulary}", "not a vocabulary; known: "
                                  f"{', '.join(VOCABULARIES)}")
        if not isinstance(names, dict):
            raise BundleFileError(f"{name}:values.{vocabulary}", "must be a table of "
                                  "ledger text = code")
        values[vocabulary] = {_normal(k): _text(v, f"{name}:values.{vocabulary}.{k}")
                              for k, v in names.items()}
    dates = _table(document, "dates", name)
    formats = tuple(_text(f, f"{name}:dates.formats") for f in dates.get("formats",
                                                                        DATE_FORMATS))
    events = tuple(_event(spec, f"{name}:events[{i}]")
                   for i, spec in enumerate(document.get("events", [])))
    kinds = [e.type for e in events]
    if len(kinds) != len(set(kinds)):
        raise BundleFileError(f"{name}:events", "one date column per event type")
    header_row = sheet.get("header_row")
    if header_row is not None and (not isinstance(header_row, int) or header_row < 1):
        raise BundleFileError(f"{name}:sheet.header_row", "an Excel row number, from 1")
    return LedgerMapping(sheet=sheet.get("name"), header_row=header_row,
                         columns={k: _normal(v) for k, v in columns.items()},
                         defaults=defaults, values=values, date_formats=formats, events=events)


def _table(document: dict[str, Any], key: str, name: str) -> dict[str, Any]:
    value = document.get(key, {})
    if not isinstance(value, dict):
        raise BundleFileError(f"{name}:{key}", f"must be a table ([{key}])")
    return value


def _text(value: Any, field_name: str) -> str:
    if not isinstance(value, str):
        raise BundleFileError(field_name, f"expected text, got {value!r}")
    return value


def _event(spec: Any, field_name: str) -> LedgerEvent:
    if not isinstance(spec, dict) or not {"type", "at"} <= set(spec) <= {"type", "at",
                                                                         "detail"}:
        raise BundleFileError(field_name, "an event has a type, an at column and optionally a "
                              "detail column")
    try:
        kind = EventType(spec["type"])
    except ValueError as exc:
        raise BundleFileError(f"{field_name}.type", f"unknown event type {spec['type']!r}; "
                              f"known: {', '.join(e.value for e in EventType)}") from exc
    detail = spec.get("detail")
    return LedgerEvent(type=kind, at=_normal(_text(spec["at"], f"{field_name}.at")),
                       detail=_normal(_text(detail, f"{field_name}.detail")) if detail else None)


def _normal(value: str) -> str:
    """Headers and values as a person reads them: full-width forms folded (NFKC), no spaces
    or line breaks ('受理\\n日期' is 受理日期)."""
    return "".join(unicodedata.normalize("NFKC", value).split())


# -- reading the sheet --------------------------------------------------------------------


@dataclass
class Sheet:
    """The ledger's data rows as Excel gave them: `line` is the Excel row number; columns by
    normalised header; blank rows left out."""

    label: str
    header_row: int
    rows: pd.DataFrame
    #: normalised header → as the sheet writes it
    headers: dict[str, str]


def read_sheet(path: Path, mapping: LedgerMapping) -> Sheet:
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError as exc:
        raise BundleFileError(Path(path).name, "no such file") from exc
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors
        raise BundleFileError(Path(path).name, f"cannot be read as an XLSX workbook: {exc}"
                              ) from exc
    try:
        if mapping.sheet is not None and mapping.sheet not in book.sheetnames:
            raise BundleFileError(f"{Path(path).name}:{mapping.sheet}", "no such sheet; the "
                                  f"workbook has {', '.join(book.sheetnames)}")
        sheet = book[mapping.sheet] if mapping.sheet else book.worksheets[0]
        cells = list(sheet.iter_rows(values_only=True))
    finally:
        book.close()
    label = f"{Path(path).name}[{sheet.title}]"
    wanted = mapping.headers()
    header_row = mapping.header_row or _find_header(cells, wanted)
    if header_row is None or header_row > len(cells):
        raise BundleFileError(label, f"no row among the first {HEADER_SEARCH_ROWS} holds every "
                              f"mapped column ({', '.join(wanted)}); give [sheet] header_row")
    written = [str(v).strip() if v is not None else "" for v in cells[header_row - 1]]
    header = [_normal(v) for v in written]
    missing = [h for h in wanted if h not in header]
    if missing:
        raise BundleFileError(f"{label}:{missing[0]}", f"missing column; row {header_row} has "
                              f"{', '.join(h for h in header if h)}")
    positions = {h: header.index(h) for h in wanted}
    data = [(n, row) for n, row in enumerate(cells[header_row:], start=header_row + 1)
            if any(v is not None and str(v).strip() for v in row)]
    frame = pd.DataFrame({h: [row[i] if i < len(row) else None for _, row in data]
                          for h, i in positions.items()}, dtype=object)
    frame.insert(0, "line", [n for n, _ in data])
    return Sheet(label=label, header_row=header_row, rows=frame,
                 headers=dict(zip(header, written, strict=True)))


def _find_header(cells: list[tuple[Any, ...]], wanted: list[str]) -> int | None:
    """The first row holding every mapped header (title rows merged above it are skipped)."""
    for number, row in enumerate(cells[:HEADER_SEARCH_ROWS], start=1):
        present_headers = {_normal(str(v)) for v in row if v is not None}
        if set(wanted) <= present_headers:
            return number
    return None


# -- values to the bundle's text ------------------------------------------------------------


def _as_text(value: Any) -> str:
    """A cell as the bundle's text: whole numbers without '.0' (codes typed as numbers),
    full-width forms folded."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return unicodedata.normalize("NFKC", str(value)).strip()


def as_moment(value: Any, formats: tuple[str, ...]) -> str | None:
    """An ISO date ('2025-03-14') or local time ('2025-03-14T09:30:00') from an Excel date, a
    serial day number or a text in one of `formats` (a time after the date is kept);
    None when it is none of these."""
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(float(value))
    text_ = _as_text(value)
    if text_.isdigit() and len(text_) <= 5:
        return _serial(float(text_))
    day, _, clock = text_.partition(" ")
    for fmt in formats:
        try:
            parsed = datetime.strptime(day, fmt)
        except ValueError:
            continue
        if not clock:
            return parsed.date().isoformat()
        for clock_format in ("%H:%M", "%H:%M:%S"):
            try:
                moment = datetime.strptime(clock.strip(), clock_format).time()
            except ValueError:
                continue
            return _iso(datetime.combine(parsed.date(), moment))
        return None
    return None


def _serial(days: float) -> str | None:
    if not 1 <= days <= MAX_SERIAL:
        return None
    return _iso(EXCEL_EPOCH + timedelta(days=days))


def _iso(moment: datetime) -> str:
    if moment.time() == time():
        return moment.date().isoformat()
    return moment.replace(microsecond=0).isoformat()


def _codes(vocabulary: str, mapping: LedgerMapping) -> dict[str, str]:
    """The ledger's names of a vocabulary's codes: gridrisk's Chinese and English names,
    the codes themselves, then the mapping's own names on top."""
    names = {code: code for code in LABELS["zh"][vocabulary]}
    for lang in ("zh", "en"):
        names.update({_normal(n): c for c, n in LABELS[lang][vocabulary].items()})
    return {**names, **mapping.values.get(vocabulary, {})}


# -- the ledger as bundle rows --------------------------------------------------------------


def ledger_rows(conn: Connection, sheet: Sheet, mapping: LedgerMapping,
                problems: Problems, event_problems: Problems) -> tuple[pd.DataFrame,
                                                                        pd.DataFrame]:
    """The sheet as cases.csv and case_events.csv rows (text, `line` = Excel row). What
    cannot be translated (an unknown category, a date in no known format, a village that
    does not exist or is ambiguous) is recorded with the ledger's own reason and left as
    written, so the bundle's checks reject the row too."""
    rows = sheet.rows
    cases = pd.DataFrame({"line": rows["line"]})
    for field_name in FIELDS:
        header = mapping.columns.get(field_name)
        given = rows[header].map(_as_text) if header else pd.Series("", index=rows.index)
        default = mapping.defaults.get(field_name, "")
        cases[field_name] = given.where(present(given), default)
    for field_name in DATE_FIELDS:
        header = mapping.columns.get(field_name)
        raw = rows[header] if header else pd.Series("", index=rows.index)
        cases[field_name] = _dates(cases, field_name, raw, mapping, problems)
    for vocabulary in ("channel", "category"):
        cases[vocabulary] = _translated(cases, vocabulary, vocabulary, mapping, problems)
    cases["region_code"] = _villages(conn, cases, problems)
    for column in ("lon", "lat", "crs"):
        cases[column] = ""
    cases = cases[["line", *CASE_COLUMNS]]

    events = []
    for origin, spec in enumerate(mapping.events):
        at = rows[spec.at]
        filled = at.map(lambda v: v is not None and str(v).strip() != "")
        frame = pd.DataFrame({"line": rows["line"], "case_id": cases["case_id"],
                              "type": spec.type.value, "level": "", "parties": "",
                              "origin": origin})
        frame["at"] = _dates(frame.assign(at=at.map(_as_text)), "at", at, mapping,
                             event_problems)
        detail = rows[spec.detail].map(_as_text) if spec.detail else pd.Series(
            "", index=rows.index)
        frame["detail"] = detail
        closing = next((v for v, kind in VOCABULARIES.items() if kind == spec.type), None)
        if closing and spec.detail:
            frame["detail"] = _translated(frame, "detail", closing, mapping,
                                          event_problems)
        events.append(frame.loc[filled.to_numpy()])
    columns = ["line", *EVENT_COLUMNS, "origin"]
    event_rows = (pd.concat(events).sort_values(["line", "origin"], kind="stable")
                  if events else pd.DataFrame(columns=columns))
    return cases, event_rows[columns].reset_index(drop=True)


def _dates(frame: pd.DataFrame, column: str, raw: pd.Series, mapping: LedgerMapping,
           problems: Problems) -> pd.Series:
    moments = raw.map(lambda v: as_moment(v, mapping.date_formats) if pd.notna(v) and
                      str(v).strip() else "")
    unreadable = moments.isna()
    examples = ", ".join(datetime(2025, 3, 14).strftime(f) for f in mapping.date_formats)
    problems.add(frame, unreadable, column, "not a date: expected an Excel date, a serial "
                 f"day number or a text like {examples}", frame[column])
    return moments.where(~unreadable, frame[column]).astype(str)


def _translated(frame: pd.DataFrame, column: str, vocabulary: str, mapping: LedgerMapping,
                problems: Problems) -> pd.Series:
    names = _codes(vocabulary, mapping)
    given = frame[column]
    codes = given.map(lambda v: names.get(_normal(v)) if v else "")
    unknown = codes.isna()
    listed = sorted(mapping.values.get(vocabulary, {}))
    problems.add(frame, unknown, column, f"unknown {vocabulary} '" + given + "': add it to "
                 f"[values.{vocabulary}] of the mapping"
                 + (f" (it names {', '.join(listed)})" if listed else ""))
    return codes.where(~unknown, given).astype(str)


def _villages(conn: Connection, cases: pd.DataFrame, problems: Problems) -> pd.Series:
    """Each row's village or community code, from its code or name (and township)."""
    places = pd.DataFrame(conn.execute(text(
        "SELECT v.code, v.name, v.level, t.code, t.name FROM regions v "
        "LEFT JOIN regions t ON t.code = v.parent_code WHERE v.level = ANY(:levels)"),
        {"levels": [lv.value for lv in CELL_HOLDERS]}).all(),
        columns=["code", "name", "level", "township_code", "township_name"])
    places["key"] = places["name"].map(_normal)
    given, township = cases["village"], cases["township"]
    by_code = given.isin(places["code"])
    resolved = given.where(by_code, "")
    named = present(given) & ~by_code
    matches = cases.loc[named, ["village", "township"]].reset_index().merge(
        places, left_on=cases.loc[named, "village"].map(_normal).to_numpy(), right_on="key")
    in_township = matches["township"].eq("") | matches["township"].eq(
        matches["township_code"]) | matches["township"].map(_normal).eq(
        matches["township_name"].map(lambda v: _normal(v or "")))
    matches = matches.loc[in_township]
    found = matches.groupby("index")["code"].agg(list)
    sole = found[found.map(len) == 1].map(lambda codes: codes[0])
    resolved.loc[sole.index] = sole
    ambiguous = found[found.map(len) > 1]
    reason = pd.Series("", index=cases.index, dtype=object)
    reason[ambiguous.index] = ambiguous.map(
        lambda codes: f"{len(codes)} villages or communities have this name ("
        f"{', '.join(codes)}): map a township column to tell them apart, or give the code")
    nowhere = named & ~cases.index.isin(found.index)
    reason[nowhere] = ("no village or community with this code or name"
                       + township[nowhere].map(lambda t: f" in township {t}" if t else ""))
    problems.add(cases, reason.ne(""), "region_code", reason, cases["village"])
    return resolved.where(resolved.ne("") | ~present(given), given)


def import_ledger(conn: Connection, path: Path, mapping_path: Path, *,
                  write_good_rows: bool = False, check_only: bool = False,
                  timezone: str = "Asia/Shanghai", policy: DeadlinePolicy | None = None,
                  imports: ImportPolicy | None = None, progress: Progress | None = None
                  ) -> ImportReport:
    """Import a ledger as a bundle of cases and case events: all-or-nothing unless
    `write_good_rows`; `check_only` writes nothing. Idempotent by case id (and by event,
    as a bundle's events are). Never commits."""
    report_progress = progress or no_progress
    mode = mode_of(write_good_rows=write_good_rows, check_only=check_only)
    policy, imports = rules(policy, imports)
    mapping = load_mapping(mapping_path)
    report_progress("读取台账", 0.0)
    sheet = read_sheet(path, mapping)
    events_label = f"{sheet.label} events"
    own, own_events = Problems(sheet.label), Problems(events_label)
    cases, events = ledger_rows(conn, sheet, mapping, own, own_events)
    report_progress("读取台账", 1.0)
    notices: list[Notice] = []
    checked = check_rows(
        conn, Rows(regions=None, region_file="", cells=None, cell_file="", cases=cases,
                   case_file=sheet.label, events=events, event_file=events_label),
        timezone=timezone, policy=policy, imports=imports, notices=notices,
        progress=report_progress)

    def report_of(checked: Checked) -> ImportReport:
        checked.rejects = _in_ledger_terms(checked.rejects, own, own_events, sheet,
                                           events_label, mapping)
        return ImportReport(source=str(path), mode=mode,
                            options={"mapping": str(mapping_path), "sheet": sheet.label,
                                     "header_row": sheet.header_row, "timezone": timezone},
                            files=checked.files(), rejects=checked.rejects,
                            notices=checked.notices)
    return finish(conn, checked, report_of, mode=mode, progress=report_progress)


def _in_ledger_terms(rejects: pd.DataFrame, own: Problems, own_events: Problems,
                     sheet: Sheet, events_label: str, mapping: LedgerMapping) -> pd.DataFrame:
    """The ledger's own reasons in place of the bundle's for the same cell, and every
    column named by its header as the sheet writes it."""
    mine = pd.concat([own.frame(), own_events.frame()], ignore_index=True)
    key = ["file", "line", "column", "origin"]
    for frame in (mine, rejects):
        if "origin" not in frame:
            frame["origin"] = pd.NA
    said = pd.MultiIndex.from_frame(mine[key].astype(str))
    repeated = pd.MultiIndex.from_frame(rejects[key].astype(str)).isin(said)
    found = pd.concat([mine, rejects.loc[~repeated]], ignore_index=True)
    headers = {**mapping.columns, "region_code": mapping.columns.get(
        "village", mapping.columns.get("cell_code", "region_code")),
        "lon": mapping.columns.get("village", "lon")}
    in_cases = found["file"].eq(sheet.label)
    found.loc[in_cases, "column"] = found.loc[in_cases, "column"].map(
        lambda c: headers.get(c, c))
    in_events = found["file"].eq(events_label)
    found.loc[in_events, "column"] = [
        _event_header(mapping.events[int(o)], c) if pd.notna(o) else c
        for o, c in zip(found.loc[in_events, "origin"], found.loc[in_events, "column"],
                        strict=True)]
    found["column"] = found["column"].map(lambda c: sheet.headers.get(c, c))
    return found[REJECT_COLUMNS].sort_values(["file", "line"], kind="stable",
                                             ignore_index=True)


def _event_header(spec: LedgerEvent, column: str) -> str:
    """The ledger column an event's problem is about: its detail column, else its date
    column (the cell that is the event)."""
    if column == "detail" and spec.detail:
        return spec.detail
    return spec.at
