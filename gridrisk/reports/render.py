"""A report Document as HTML (one page that opens with no network: charts inline), PDF (the
same HTML laid out by WeasyPrint, fonts embedded) and XLSX (a sheet per table, the same rows;
charts as images on their own sheet).

Why WeasyPrint for the PDF: it lays out the very HTML the service shows, so the PDF's tables
cannot drift from the page's; it embeds (a subset of) the Noto CJK font, so the Chinese text
shows and copies in any reader, pdftotext included; it needs no browser at run time, only
Pango from Debian (libpango-1.0-0, libpangoft2-1.0-0). reportlab's built-in CJK fonts are not
embedded (a reader without them shows boxes), and headless Chromium's print-to-PDF would make
a browser a run-time dependency of the service."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from gridrisk.errors import InvalidInput
from gridrisk.reports.documents import Column, Document, Table
from gridrisk.reports.schemas import Rate, percent

TEMPLATES = Path(__file__).with_name("templates")
environment = Environment(loader=FileSystemLoader(TEMPLATES),
                          autoescape=select_autoescape(["html"]))
#: Excel's limit on a sheet name
SHEET_NAME_CHARS = 31
WORDS = {
    "zh": {"region": "区域", "period": "时段", "made": "生成日期", "about": "说明",
           "charts": "图表", "counts": "分子/分母", "title": "标题"},
    "en": {"region": "Region", "period": "Period", "made": "Made on", "about": "About",
           "charts": "Charts", "counts": "numerator/denominator", "title": "Title"},
}


def meta_line(doc: Document) -> str:
    words, zh = WORDS[doc.lang], doc.lang == "zh"
    colon, to = ("：", " — ") if zh else (": ", " to ")
    parts = [f"{words['region']}{colon}{doc.region_name}"
             + (f"（{doc.region_code}）" if zh else f" ({doc.region_code})")]
    if doc.period:
        parts.append(f"{words['period']}{colon}{doc.period.first}{to}{doc.period.last}")
    parts.append(f"{words['made']}{colon}{doc.generated_on}")
    return " · ".join(parts)


def to_html(doc: Document, *, links: Sequence[tuple[str, str]] = ()) -> str:
    """The report as one HTML page; `links` (label, href) go above the title on screen and
    are left out of print."""
    return environment.get_template("report.html").render(
        doc=doc, meta=meta_line(doc), links=list(links), cell=_html_cell,
        b64=lambda png: base64.b64encode(png).decode("ascii"))


def _html_cell(row: dict[str, Any], column: Column) -> Markup:
    value = row.get(column.key)
    kind = column.kind
    if kind == "rate" and isinstance(value, Rate):
        return Markup('<td class="rate">{}<small>{}/{}</small></td>').format(
            value.percent(), value.numerator, value.denominator)
    css = kind if kind != "text" else ""
    late = " late" if row.get("_late") == column.key else ""
    return Markup('<td class="{}{}">{}</td>').format(css, late, escape(shown(value, kind)))


def shown(value: Any, kind: str) -> str:
    """A value as the HTML and PDF show it."""
    if value is None:
        return "—" if kind in ("percent", "points", "number", "rate") else ""
    if kind == "percent":
        return percent(value)
    if kind == "points":
        return f"{value:+.1f}"
    if kind == "number":
        return f"{value:.1f}"
    if kind == "rate" and isinstance(value, Rate):
        return value.percent()
    return str(value)


def to_pdf(doc: Document) -> bytes:
    """The same HTML as a PDF (A4 landscape, page numbers)."""
    from weasyprint import HTML

    return HTML(string=to_html(doc), base_url=str(TEMPLATES)).write_pdf()  # type: ignore[no-any-return]


def to_xlsx(doc: Document) -> bytes:
    """A first sheet about the report, a sheet per table (a rate as its share, formatted as a
    percentage, beside its numerator/denominator), header rows frozen, widths that fit, dates
    as Excel dates; a sheet of charts when the report has any."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Font, PatternFill

    words = WORDS[doc.lang]
    book = Workbook()
    about = book.active
    about.title = words["about"]
    period = [[words["period"], doc.period.first, doc.period.last]] if doc.period else []
    about_rows: list[list[object]] = [
        [words["title"], doc.title], [words["region"], f"{doc.region_name}（{doc.region_code}）"],
        *period, [words["made"], doc.generated_on], [doc.note]]
    for about_row in about_rows:
        about.append(_xlsx_safe(about_row, ILLEGAL_CHARACTERS_RE))
    for row in about.iter_rows(min_row=3):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    _fit(about)
    names: set[str] = {about.title}
    header_font, header_fill = Font(bold=True), PatternFill("solid", fgColor="F2E6E6")
    for section, table in ((s, t) for s in doc.sections for t in s.tables):
        sheet = book.create_sheet(_sheet_name(table.title or section.title, names))
        headers: list[str] = []
        for column in table.columns:
            headers.append(column.title)
            if column.kind == "rate":
                headers.append(f"{column.title} {words['counts']}")
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font, cell.fill = header_font, header_fill
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for row in table.rows:
            sheet.append(_xlsx_safe(_xlsx_row(row, table), ILLEGAL_CHARACTERS_RE))
        _formats(sheet, table)
        if table.total and table.rows:
            for cell in sheet[sheet.max_row]:
                cell.font = header_font
        sheet.freeze_panes = "A2"
        _fit(sheet)
    charts = [c for s in doc.sections for c in s.charts]
    if charts:
        sheet = book.create_sheet(_sheet_name(words["charts"], names))
        at = 1
        for chart in charts:
            sheet.cell(row=at, column=1, value=chart.title).font = header_font
            image = Image(io.BytesIO(chart.png))
            sheet.add_image(image, f"A{at + 1}")
            at += int(image.height / 20) + 3
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_safe(values: list[Any], illegal: re.Pattern[str]) -> list[Any]:
    """A case's summary may hold control characters (a pasted form feed, a stray NUL-like
    byte) that the XLSX format cannot store; each becomes U+FFFD so the reader sees that
    something was there and the sheet still opens."""
    return [illegal.sub("\ufffd", v) if isinstance(v, str) else v for v in values]


def _xlsx_row(row: dict[str, Any], table: Table) -> list[Any]:
    values: list[Any] = []
    for column in table.columns:
        value = row.get(column.key)
        if column.kind == "rate":
            rate = value if isinstance(value, Rate) else None
            values.append("—" if rate is None or rate.rate is None else rate.rate)
            values.append("" if rate is None else f"{rate.numerator}/{rate.denominator}")
        elif column.kind in ("percent", "points", "number"):
            values.append("—" if value is None else value)
        else:
            values.append(value)
    return values


def _formats(sheet: Any, table: Table) -> None:
    index = 1
    for column in table.columns:
        number_format = {"rate": "0.0%", "percent": "0.0%", "points": "+0.0;-0.0;0.0",
                         "number": "0.0", "date": "yyyy-mm-dd", "int": "0"}.get(column.kind)
        if number_format:
            for cells in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                for cell in cells:
                    if not isinstance(cell.value, str):
                        cell.number_format = number_format
        index += 2 if column.kind == "rate" else 1


def _sheet_name(title: str, taken: set[str]) -> str:
    """A unique sheet name within Excel's limits (31 characters, no []:*?/\\)."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)[:SHEET_NAME_CHARS]
    name, n = clean, 2
    while name in taken:
        suffix = f" ({n})"
        name, n = clean[:SHEET_NAME_CHARS - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def _fit(sheet: Any) -> None:
    """Column widths that fit the longest value (a CJK character counts twice), within
    reason."""
    widths: dict[str, float] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            text = cell.value.isoformat() if isinstance(cell.value, date) else str(cell.value)
            if isinstance(cell.value, float):
                text = f"{cell.value:.3f}"
            width = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
            widths[cell.column_letter] = max(widths.get(cell.column_letter, 0), width)
    for letter, widest in widths.items():
        sheet.column_dimensions[letter].width = min(max(8, widest + 2), 60)


#: each format's media type
FORMATS = {"html": "text/html; charset=utf-8", "pdf": "application/pdf",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def render(doc: Document, fmt: str) -> bytes:
    """The document as html, pdf or xlsx."""
    if fmt == "html":
        return to_html(doc).encode("utf-8")
    if fmt == "pdf":
        return to_pdf(doc)
    if fmt == "xlsx":
        return to_xlsx(doc)
    raise InvalidInput("format", f"'{fmt}' is not one of {', '.join(FORMATS)}")


def write_files(doc: Document, folder: Path, formats: Sequence[str] = tuple(FORMATS)
                ) -> list[Path]:
    """The document in each format, as <kind>-<region>-<period>.<format> in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        path = folder / f"{doc.slug}.{fmt}"
        path.write_bytes(render(doc, fmt))
        written.append(path)
    return written
