"""Screening cycles, their per-cell results and worklists, and the assignments they propose.

A cycle's rows are written once, when it runs, and never changed: a later cycle is a new row.
Only assignments move on (proposed → accepted/dropped → done)."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

# the tables these refer to, so that an insert through these classes finds them in the
# metadata wherever it runs (the API's POST /cycles imported nothing else)
from gridrisk.cases import tables as _cases  # noqa: F401
from gridrisk.db.base import Base, in_check
from gridrisk.regions import tables as _regions  # noqa: F401
from gridrisk.vocab import AssignmentKind, AssignmentStatus, Cadence, Engine, Hotspot, Trend


class Cycle(Base):
    __tablename__ = "cycles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cadence: Mapped[str] = mapped_column(Text)
    as_of: Mapped[date] = mapped_column(Date)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    horizon_days: Mapped[int] = mapped_column(Integer)
    model_id: Mapped[str] = mapped_column(Text)
    policy: Mapped[dict[str, Any]] = mapped_column(JSONB)
    input_fingerprint: Mapped[str] = mapped_column(Text)
    engine: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    seconds: Mapped[float] = mapped_column(Float)
    n_cells: Mapped[int] = mapped_column(Integer)
    n_cases: Mapped[int] = mapped_column(Integer)
    notes: Mapped[dict[str, Any]] = mapped_column(JSONB)

    __table_args__ = (
        CheckConstraint(in_check("cadence", Cadence), name="cadence"),
        CheckConstraint(in_check("engine", Engine), name="engine"),
        Index("ix_cycles_region_code_cadence_as_of", "region_code", "cadence", "as_of"),
    )


class CycleCell(Base):
    __tablename__ = "cycle_cells"

    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"),
                                          primary_key=True)
    cell_code: Mapped[str] = mapped_column(ForeignKey("cells.code"), primary_key=True)
    expected_escalations: Mapped[float] = mapped_column(Float)
    n_open: Mapped[int] = mapped_column(Integer)
    n_overdue: Mapped[int] = mapped_column(Integer)
    n_due_soon: Mapped[int] = mapped_column(Integer)
    n_collective: Mapped[int] = mapped_column(Integer)
    n_high_disputes: Mapped[int] = mapped_column(Integer)
    n_missed_screenings: Mapped[int] = mapped_column(Integer)
    households: Mapped[float | None] = mapped_column(Float)
    escalations_per_1000: Mapped[float | None] = mapped_column(Float)
    open_per_1000: Mapped[float | None] = mapped_column(Float)
    gi_z: Mapped[float] = mapped_column(Float)
    gi_p: Mapped[float] = mapped_column(Float)
    hotspot: Mapped[str] = mapped_column(Text)
    trend: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(in_check("hotspot", Hotspot), name="hotspot"),
        CheckConstraint(in_check("trend", Trend), name="trend"),
    )


class CycleCase(Base):
    """A cycle's worklist row: an open case, its score (the probability of the outcome the
    cycle ranks by) and why, and each outcome's probability and reasons."""

    __tablename__ = "cycle_cases"

    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"),
                                          primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), primary_key=True)
    cell_code: Mapped[str] = mapped_column(ForeignKey("cells.code"))
    score: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    rank_in_cell: Mapped[int] = mapped_column(Integer)
    reason_1: Mapped[str] = mapped_column(Text)
    reason_2: Mapped[str] = mapped_column(Text)
    reason_3: Mapped[str] = mapped_column(Text)
    #: None in cycles run before the model predicted each outcome
    p_any: Mapped[float | None] = mapped_column(Float)
    p_deadline: Mapped[float | None] = mapped_column(Float)
    p_return: Mapped[float | None] = mapped_column(Float)
    #: outcome → its reasons, strongest first
    reasons: Mapped[dict[str, list[str]] | None] = mapped_column(JSONB)
    deadline_on: Mapped[date | None] = mapped_column(Date)
    days_left: Mapped[int | None] = mapped_column(Integer)
    overdue: Mapped[bool] = mapped_column(Boolean)
    collective: Mapped[bool] = mapped_column(Boolean)
    category: Mapped[str] = mapped_column(Text)
    responsible_unit: Mapped[str] = mapped_column(Text)
    responsible_official: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_cycle_cases_cycle_id_cell_code_rank_in_cell", "cycle_id", "cell_code",
              "rank_in_cell"),
    )


class Assignment(Base):
    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    cell_code: Mapped[str] = mapped_column(ForeignKey("cells.code"))
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.case_id"))
    kind: Mapped[str] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    proposed_to: Mapped[str | None] = mapped_column(Text)
    assignee: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(in_check("kind", AssignmentKind), name="kind"),
        CheckConstraint(in_check("status", AssignmentStatus), name="status"),
        CheckConstraint("status <> 'accepted' OR assignee IS NOT NULL", name="accepted_assignee"),
        CheckConstraint("status <> 'done' OR outcome IS NOT NULL", name="done_outcome"),
        CheckConstraint("kind = 'screening' OR case_id IS NOT NULL", name="case_task"),
        Index("ix_assignments_cycle_id_cell_code", "cycle_id", "cell_code"),
        Index("ix_assignments_assignee_status", "assignee", "status"),
    )
