"""What an import (or a check) found: counts, errors with what depended on them, warnings;
as JSON and as a readable HTML page. The same report whether the import wrote, was refused,
or only checked."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from gridrisk.bundle.errors import REJECT_COLUMNS

#: notices that summarise rejected rows (an error, not a warning)
ERROR_SUMMARIES = {"points_outside_cells"}
#: rows of a summary whose reason carries this text are shown as the summary only
SUMMARISED_REASON = {"points_outside_cells": "is outside every cell"}
#: root problems listed one by one on the page and in the JSON; all are in the rejects file
PAGE_ROWS = 500
JSON_ROWS = 10_000


@dataclass(frozen=True)
class Notice:
    """Something found that did not reject a row, or a summary of many rows that did: a
    repaired polygon, an overlap under the tolerance, a placeholder point, a file read as
    GB18030, most points outside every cell."""

    kind: str
    file: str
    message: str
    facts: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "file": self.file, "message": self.message, **self.facts}


def locator(file: str, lines: pd.Series) -> pd.Series:
    """Where rows are, as the report and the rejects' `cause` name them: 'regions.geojson
    feature 4', 'cases.csv line 5', '台账.xlsx[Sheet1] row 7'."""
    word = "line" if file.endswith(".csv") else "row" if "[" in file else "feature"
    return f"{file} {word} " + lines.astype(int).astype(str)


@dataclass
class ImportReport:
    """One run: `mode` check, all-or-nothing or good-rows; `outcome` checked, written or
    refused. `rejects` holds every problem, one row each (REJECT_COLUMNS); `errors()`
    summarises them: each root problem once, with how many rows were rejected with it."""

    source: str
    mode: str
    options: dict[str, Any]
    #: per file: rows read, rejected, accepted
    files: dict[str, dict[str, int]]
    rejects: pd.DataFrame
    notices: list[Notice]
    outcome: str = "checked"
    #: per table: rows inserted, updated, unchanged (empty unless written)
    written: dict[str, dict[str, int]] = field(default_factory=dict)
    run_id: int | None = None
    #: a whole file refused (unreadable, coordinates outside its CRS...): nothing was read
    file_error: dict[str, str] | None = None
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @classmethod
    def refused_file(cls, source: str, mode: str, error: Any, notices: list[Notice]
                     ) -> ImportReport:
        return cls(source=source, mode=mode, options={}, files={},
                   rejects=pd.DataFrame(columns=REJECT_COLUMNS), notices=notices,
                   outcome="refused", file_error={"field": error.field,
                                                  "reason": error.reason})

    @property
    def warnings(self) -> list[Notice]:
        return [n for n in self.notices if n.kind not in ERROR_SUMMARIES]

    def errors(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The file error, the summaries (most points outside every cell...), then each root
        problem once with the rows of each file rejected because of it; at most `limit`
        root problems (all are in `rejects`)."""
        entries: list[dict[str, Any]] = []
        if self.file_error:
            entries.append({"kind": "file", **self.file_error})
        summaries = [n for n in self.notices if n.kind in ERROR_SUMMARIES]
        entries.extend({**n.to_dict(), "kind": n.kind} for n in summaries)
        own = self._root_problems(summaries)
        if limit is not None:
            own = own.head(limit)
        if own.empty:
            return entries
        followers = self.rejects.loc[self.rejects["cause"].ne("")].drop_duplicates(
            ["file", "line"])
        following = followers.groupby(["cause", "file"]).size()
        with_it = {root: {str(f): int(n) for f, n in following[root].items()}
                   for root in following.index.get_level_values(0).unique()}
        roots = pd.concat([locator(str(file), group["line"])
                           for file, group in own.groupby("file", sort=False)]).loc[own.index]
        first_of_row = ~roots.duplicated()
        for problem, root, first in zip(own.to_dict("records"), roots, first_of_row,
                                        strict=True):
            entry = {"kind": "row", "file": problem["file"], "line": int(problem["line"]),
                     "column": problem["column"], "value": problem["value"],
                     "reason": problem["reason"]}
            if first and root in with_it:
                entry["rejected_with_it"] = with_it[root]
            entries.append(entry)
        return entries

    def _root_problems(self, summaries: list[Notice]) -> pd.DataFrame:
        """Problems of rows themselves, but those a summary stands for."""
        own = self.rejects.loc[self.rejects["cause"].eq("")]
        for notice in summaries:
            own = own.loc[~(own["file"].eq(notice.file) & own["reason"].str.contains(
                SUMMARISED_REASON[notice.kind], regex=False))]
        return own

    def to_json(self, limit: int = JSON_ROWS) -> dict[str, Any]:
        """The report; at most `limit` root problems listed (`n_root_problems` says how
        many there are: rejects.csv has them all)."""
        errors = self.errors(limit)
        return {
            "source": self.source, "mode": self.mode, "outcome": self.outcome,
            "run_id": self.run_id, "at": self.at, "options": self.options,
            "files": self.files, "written": self.written,
            "n_problems": len(self.rejects),
            "n_root_problems": len(self._root_problems(
                [n for n in self.notices if n.kind in ERROR_SUMMARIES])),
            "n_rejected_rows": int(self.rejects.drop_duplicates(["file", "line"]).shape[0]),
            "errors": errors, "warnings": [n.to_dict() for n in self.warnings],
        }


# -- the page -----------------------------------------------------------------------------

TEXT = {
    "zh": {"title": "导入报告", "check": "仅校验（未写入）", "all-or-nothing": "全部或不写入",
           "good-rows": "写入合格的行", "checked": "已校验，未写入", "written": "已写入",
           "refused": "已拒绝，未写入", "source": "来源", "mode": "方式", "outcome": "结果",
           "at": "时间", "files": "文件", "read": "读取", "accepted": "合格", "rejected": "拒绝",
           "written_rows": "写入", "table": "表", "inserted": "新增", "updated": "更新",
           "unchanged": "未变", "errors": "错误", "warnings": "注意", "none": "无",
           "line": "行", "column": "列", "value": "值", "reason": "原因",
           "with_it": "因此一并拒绝", "more": "另有 {n} 个问题，全部见拒绝清单（rejects.csv）",
           "options": "读取方式", "colon": "："},
    "en": {"title": "Import report", "check": "check only (nothing written)",
           "all-or-nothing": "all or nothing", "good-rows": "write the good rows",
           "checked": "checked, nothing written", "written": "written",
           "refused": "refused, nothing written", "source": "Source", "mode": "Mode",
           "outcome": "Outcome", "at": "At", "files": "Files", "read": "read",
           "accepted": "accepted", "rejected": "rejected", "written_rows": "Written",
           "table": "table", "inserted": "inserted", "updated": "updated",
           "unchanged": "unchanged", "errors": "Errors", "warnings": "Warnings",
           "none": "none", "line": "line", "column": "column", "value": "value",
           "reason": "reason", "with_it": "rejected with it",
           "more": "{n} more problems: see the rejects file (rejects.csv)",
           "options": "Read as", "colon": ": "},
}


def report_page(report: ImportReport, *, lang: str = "zh") -> str:
    """A self-contained HTML page of the report (no scripts, no external assets)."""
    t = TEXT[lang]
    e = html.escape
    data = report.to_json(limit=PAGE_ROWS + 1)
    head = "".join(f"<tr><th>{t[k]}</th><td>{e(str(v))}</td></tr>" for k, v in (
        ("source", report.source), ("mode", t.get(report.mode, report.mode)),
        ("outcome", t.get(report.outcome, report.outcome)), ("at", report.at),
        ("options", ", ".join(f"{k} = {v}" for k, v in report.options.items() if v)))
    )
    files = "".join(
        f"<tr><td>{e(name)}</td><td>{c['read']:,}</td><td>{c['accepted']:,}</td>"
        f"<td class='{'bad' if c['rejected'] else ''}'>{c['rejected']:,}</td></tr>"
        for name, c in report.files.items())
    written = "".join(
        f"<tr><td>{e(name)}</td><td>{c['inserted']:,}</td><td>{c['updated']:,}</td>"
        f"<td>{c['unchanged']:,}</td></tr>" for name, c in report.written.items())
    rows = [x for x in data["errors"] if x["kind"] == "row"]
    summaries = [x for x in data["errors"] if x["kind"] != "row"]
    summary_items = "".join(
        f"<li><b>{e(x.get('file') or x.get('field', ''))}</b> {e(x.get('message') or x['reason'])}"
        "</li>" for x in summaries)
    error_rows = "".join(
        f"<tr><td>{e(x['file'])}</td><td>{x['line']}</td><td>{e(x['column'])}</td>"
        f"<td>{e(str(x['value'])[:60])}</td><td>{e(x['reason'])}</td>"
        f"<td>{e(_with_it(x.get('rejected_with_it')))}</td></tr>" for x in rows[:PAGE_ROWS])
    more = (f"<p>{t['more'].format(n=data['n_root_problems'] - PAGE_ROWS)}</p>"
            if len(rows) > PAGE_ROWS else "")
    warning_items = "".join(f"<li>{e(w['message'])}</li>" for w in data["warnings"])
    error_table = (f"<table><tr><th>{t['files']}</th><th>{t['line']}</th><th>{t['column']}</th>"
                   f"<th>{t['value']}</th><th>{t['reason']}</th><th>{t['with_it']}</th></tr>"
                   f"{error_rows}</table>{more}") if rows else ""
    no_errors = f"<p>{t['none']}</p>" if not data["errors"] else ""
    written_table = (f"<h2>{t['written_rows']}</h2><table><tr><th>{t['table']}</th>"
                     f"<th>{t['inserted']}</th><th>{t['updated']}</th><th>{t['unchanged']}</th>"
                     f"</tr>{written}</table>") if report.written else ""
    outcome = t.get(report.outcome, report.outcome)
    return f"""<!doctype html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t['title']}{t['colon']}{e(report.source)}</title>
<style>
body {{ font-family: system-ui, "Noto Sans CJK SC", sans-serif; margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; margin: .5rem 0 1.5rem; }}
th, td {{ border: 1px solid #ccc; padding: .25rem .5rem; text-align: left;
          vertical-align: top; }}
th {{ background: #f3f3f3; }}
.bad {{ color: #b00020; font-weight: bold; }}
.outcome-refused {{ color: #b00020; }} .outcome-written {{ color: #1b5e20; }}
li {{ margin: .25rem 0; }}
</style></head><body>
<h1 class="outcome-{report.outcome}">{t['title']}{t['colon']}{outcome}</h1>
<table>{head}</table>
<h2>{t['files']}</h2>
<table><tr><th>{t['files']}</th><th>{t['read']}</th><th>{t['accepted']}</th>
<th>{t['rejected']}</th></tr>{files}</table>
{written_table}
<h2>{t['errors']} ({data['n_rejected_rows']:,} {t['rejected']})</h2>
{no_errors}<ul>{summary_items}</ul>
{error_table}
<h2>{t['warnings']} ({len(data['warnings'])})</h2>
{f"<ul>{warning_items}</ul>" if warning_items else f"<p>{t['none']}</p>"}
</body></html>
"""


def _with_it(counts: dict[str, int] | None) -> str:
    return ", ".join(f"{file} {n:,}" for file, n in (counts or {}).items())
