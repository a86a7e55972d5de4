"""Screening cycles, worklists and assignments as the API takes and gives them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from gridrisk.cases.schemas import Code, PlausibleDay, Text
from gridrisk.vocab import AssignmentKind, AssignmentStatus, Cadence, Engine, Hotspot, Trend


class CycleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"cadence": "weekly", "as_of": "2026-06-28", "region_code": "410625000000"}]})

    cadence: Cadence
    as_of: PlausibleDay | None = Field(None, description="end of this local day; default: "
                                       "the data's latest day")
    region_code: Code | None = Field(None, description="default: the top region")
    engine: Engine = Engine.local


class CycleOut(BaseModel):
    id: int
    cadence: Cadence
    as_of: date
    region_code: str
    horizon_days: int
    model_id: str
    engine: Engine
    input_fingerprint: str = Field(description="same inputs, same fingerprint, same results")
    started_at: datetime
    seconds: float
    n_cells: int
    n_cases: int = Field(description="open cases scored")
    notes: dict[str, Any] = Field(description="totals, islands joined by distance, tasks "
                                  "deferred for lack of capacity, the policy used")


class CycleCellOut(BaseModel):
    cell_code: str
    cell_name: str
    township: str | None
    expected_escalations: float = Field(description="sum of the open cases' probabilities")
    n_open: int
    n_overdue: int
    n_due_soon: int
    n_collective: int
    n_high_disputes: int = Field(description="open high-severity disputes from screenings")
    n_missed_screenings: int
    households: float | None = Field(description="the village's households, shared among its "
                                     "cells by area")
    escalations_per_1000: float | None
    open_per_1000: float | None
    gi_z: float
    gi_p: float
    hotspot: Hotspot
    trend: Trend


class WorklistCase(BaseModel):
    case_id: str
    cell_code: str
    score: float = Field(description="probability, within the horizon, of the outcome the "
                         "cycle ranks by (the policy's cycles.rank_by; notes.rank_by)")
    rank: int = Field(description="rank in the cycle's region")
    rank_in_cell: int
    reasons: list[str] = Field(description="why the score is high")
    p_any: float | None = Field(description="probability of any escalation (期限或反复)")
    p_deadline: float | None = Field(description="probability that the handling deadline "
                                     "passes with the case open (期限风险)")
    p_return: float | None = Field(description="probability that the complainant comes back: "
                                   "refiled, review asked, escalated, reopened (反复风险)")
    deadline_reasons: list[str]
    return_reasons: list[str]
    deadline_on: date | None
    days_left: int | None = Field(description="negative: days overdue")
    overdue: bool
    collective: bool
    category: str
    responsible_unit: str
    responsible_official: str | None


class Worklist(BaseModel):
    cycle_id: int
    cell: CycleCellOut
    cases: list[WorklistCase]
    assignments: list[AssignmentOut]


class CellChange(BaseModel):
    cell_code: str
    before: Hotspot | None
    after: Hotspot | None
    expected_before: float
    expected_after: float


class CycleComparison(BaseModel):
    before: int
    after: int
    totals: dict[str, list[float]] = Field(description="name → [before, after]")
    new_hotspots: list[str]
    cooled_hotspots: list[str]
    biggest_rises: list[CellChange]
    newly_high_risk: list[str] = Field(description="cases at or above the investigation "
                                       "score now, not before")
    no_longer_open: list[str]


class AssignmentOut(BaseModel):
    id: int
    cycle_id: int
    cell_code: str
    case_id: str | None
    kind: AssignmentKind
    priority: int
    reason: str
    proposed_to: str | None
    assignee: str | None
    due_on: date
    status: AssignmentStatus
    decided_at: datetime | None
    note: str | None
    outcome: str | None
    done_at: datetime | None
    overdue: bool = Field(description="accepted, not done, past its due day")


class AssignmentDecision(BaseModel):
    """A supervisor's decision on a proposal: accept (to the proposed worker or another),
    reassign (to another worker), or drop."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"action": "accept"}, {"action": "reassign", "assignee": "W41100000120102"},
        {"action": "drop", "note": "已由镇综治中心处理"}]})

    action: str = Field(pattern="^(accept|reassign|drop)$")
    assignee: Code | None = None
    note: Text | None = None


class AssignmentOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"outcome": "已上门走访，诉求人同意调解", "note": "下周一再访"}]})

    outcome: Text = Field(min_length=1, description="what was done and found")
    note: Text | None = None


Worklist.model_rebuild()
