"""Where a caller may look and write: the regions they hold (with everything under them) and,
for a grid worker, their cells. Services take a Scope and put it into their SQL, so that a
record outside it is not found, exactly as if it did not exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gridrisk.regions.sql import regions_under

#: the regions the caller holds and every region under them
SCOPE_REGIONS = regions_under("code = ANY(CAST(:scope_regions AS text[]))")


@dataclass(frozen=True)
class Scope:
    """`regions`: roots held with everything under them; `cells`: cells held besides (a grid
    worker's). `everything`: the command line and internal jobs, which see it all."""

    regions: tuple[str, ...] = ()
    cells: tuple[str, ...] = ()
    everything: bool = False

    @property
    def params(self) -> dict[str, Any]:
        """The bind parameters every condition below uses: merge them into the query's."""
        return {"scope_regions": list(self.regions), "scope_cells": list(self.cells)}

    def holds(self, region: str, cell: str | None = None) -> str:
        """A condition: the row whose region and cell columns are named is in scope."""
        if self.everything:
            return "TRUE"
        parts = [f"{region} IN {SCOPE_REGIONS}"] if self.regions else []
        if self.cells and cell is not None:
            parts.append(f"{cell} = ANY(CAST(:scope_cells AS text[]))")
        return "(" + " OR ".join(parts) + ")" if parts else "FALSE"

    def holds_cell(self, cell: str) -> str:
        """A condition: the cell code in column `cell` is a cell in scope."""
        if self.everything:
            return "TRUE"
        return (f"{cell} IN (SELECT s.code FROM cells s WHERE "
                f"{self.holds('s.region_code', 's.code')})")

EVERYTHING = Scope(everything=True)
