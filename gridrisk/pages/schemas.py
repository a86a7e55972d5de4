"""What the web pages read beyond the JSON API's shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from gridrisk.cycles.schemas import WorklistCase


class OverdueCase(WorklistCase):
    """A worklist row past its deadline, with its cell's name for the overview."""

    cell_name: str


class CaseRisk(BaseModel):
    """A case's worklist row in one screening cycle: its risks there, for the case page."""

    cycle_id: int
    as_of: date
    horizon_days: int
    case: WorklistCase


class WorkerCell(BaseModel):
    """A cell a grid worker looks after: screened by them lately, or named in a task for
    them."""

    cell_code: str
    cell_name: str
    village: str
    last_screened_at: datetime | None = Field(description="the worker's latest screening "
                                              "of it")
    n_tasks: int = Field(description="accepted or proposed tasks for the worker in it")
    lon: float = Field(description="a point inside the cell (WGS84)")
    lat: float
    geometry: dict[str, Any] = Field(description="the cell's outline as GeoJSON (WGS84), "
                                     "simplified for a phone")
