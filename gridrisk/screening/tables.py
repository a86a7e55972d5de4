"""Screening records: a grid worker's screening of a cell."""

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from gridrisk.db.base import Base, in_check
from gridrisk.vocab import Category, Outcome, Severity


class ScreeningRecord(Base):
    __tablename__ = "screening_records"

    record_id: Mapped[str] = mapped_column(Text, primary_key=True)
    screened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    worker: Mapped[str] = mapped_column(Text)
    cell_code: Mapped[str] = mapped_column(ForeignKey("cells.code"))
    found: Mapped[bool] = mapped_column(Boolean)
    category: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str | None] = mapped_column(Text)
    parties: Mapped[int | None] = mapped_column(Integer)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.case_id"))
    summary: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("category IS NULL OR " + in_check("category", Category),
                        name="category"),
        CheckConstraint("severity IS NULL OR " + in_check("severity", Severity),
                        name="severity"),
        CheckConstraint("outcome IS NULL OR " + in_check("outcome", Outcome), name="outcome"),
        CheckConstraint("parties IS NULL OR parties >= 1", name="parties"),
        CheckConstraint("found OR (category IS NULL AND severity IS NULL AND outcome IS NULL)",
                        name="nothing_found"),
        CheckConstraint("NOT found OR (category IS NOT NULL AND severity IS NOT NULL)",
                        name="dispute_found"),
        CheckConstraint("record_id <> ''", name="record_id"),
        Index("ix_screening_records_cell_code_screened_at", "cell_code", "screened_at"),
        Index("ix_screening_records_geom", "geom", postgresql_using="gist"),
    )
