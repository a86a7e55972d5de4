"""What can be wrong with a bundle: a whole file, or some of its rows."""

from typing import Any

import pandas as pd

from gridrisk.errors import InvalidInput

#: columns of a rejects frame: one row per problem found
REJECT_COLUMNS = ["file", "line", "column", "value", "reason"]


class BundleFileError(InvalidInput):
    """A problem with a whole file (missing, not UTF-8, empty, a missing column): nothing is
    imported, whatever the mode."""

    slug = "bundle-file"
    title = "Unreadable bundle file"


class RejectedRows(InvalidInput):
    """Rows broke the bundle's rules and the caller chose all-or-nothing: nothing was written."""

    slug = "rejected-rows"
    title = "Rejected rows"

    def __init__(self, rejects: pd.DataFrame) -> None:
        self.rejects = rejects
        first = rejects.iloc[0]
        more = f" (and {len(rejects) - 1} more problems)" if len(rejects) > 1 else ""
        super().__init__(
            f"{first['file']}:{first['line']}:{first['column']}",
            f"{first['reason']}{more}; nothing was written",
        )

    def fields(self) -> list[dict[str, Any]]:
        return [
            {"field": f"{r.file}:{r.line}:{r.column}", "reason": r.reason}
            for r in self.rejects.head(100).itertuples()
        ]
