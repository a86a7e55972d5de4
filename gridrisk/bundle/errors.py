"""What can be wrong with a bundle: a whole file, or some of its rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gridrisk.errors import InvalidInput

if TYPE_CHECKING:
    from gridrisk.bundle.report import ImportReport

#: columns of a rejects frame: one row per problem found; `cause` is empty for a problem of
#: the row itself and names the root problem (e.g. "regions.geojson feature 2") for a row
#: rejected because something it depends on was
REJECT_COLUMNS = ["file", "line", "column", "value", "reason", "cause"]


class BundleFileError(InvalidInput):
    """A problem with a whole file (missing, not UTF-8, empty, a missing column): nothing is
    imported, whatever the mode."""

    slug = "bundle-file"
    title = "Unreadable bundle file"


class RejectedRows(InvalidInput):
    """Rows broke the bundle's rules and the caller chose all-or-nothing: nothing was written.
    Carries the whole report; its first error names the field."""

    slug = "rejected-rows"
    title = "Rejected rows"

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.rejects = report.rejects
        first = report.errors(limit=1)[0]
        more = f" (and {len(self.rejects) - 1} more problems)" if len(self.rejects) > 1 else ""
        where = (f"{first['file']}:{first['line']}:{first['column']}" if first["kind"] == "row"
                 else first["file"])
        super().__init__(where, f"{first.get('reason') or first['message']}{more}; "
                         "nothing was written")

    def fields(self) -> list[dict[str, Any]]:
        return [
            {"field": f"{r.file}:{r.line}:{r.column}", "reason": r.reason}
            for r in self.rejects.head(100).itertuples()
        ]
