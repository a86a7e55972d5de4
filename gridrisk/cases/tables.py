"""Cases and their append-only case files."""

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gridrisk.db.base import Base, in_check
from gridrisk.vocab import Category, Channel, EventLevel, EventType


class Case(Base):
    __tablename__ = "cases"

    case_id: Mapped[str] = mapped_column(Text, primary_key=True)
    received_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    parties: Mapped[int] = mapped_column(Integer)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    #: empty only when the case names a village with several cells and no point
    cell_code: Mapped[str | None] = mapped_column(ForeignKey("cells.code"), index=True)
    complex: Mapped[bool] = mapped_column(Boolean, default=False)
    responsible_unit: Mapped[str | None] = mapped_column(Text)
    responsible_official: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    #: the handling deadline the source system set (bundle spec: due_at)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __table_args__ = (
        CheckConstraint(in_check("channel", Channel), name="channel"),
        CheckConstraint(in_check("category", Category), name="category"),
        CheckConstraint("parties >= 1", name="parties"),
        CheckConstraint("case_id <> ''", name="case_id"),
        Index("ix_cases_geom", "geom", postgresql_using="gist"),
    )


class CaseEvent(Base):
    """One entry of a case file. The database refuses UPDATE and DELETE (a trigger)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    #: hash of the event's content, and which repeat of that content this is: together with
    #: case_id, the upsert key on re-import (the bundle gives events no id)
    content_hash: Mapped[int] = mapped_column(BigInteger)
    occurrence: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: the source gave a date without a time of day
    at_is_date: Mapped[bool] = mapped_column(Boolean, default=False)
    type: Mapped[str] = mapped_column(Text)
    level: Mapped[str | None] = mapped_column(Text)
    parties: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)
    #: the earlier event this one corrects (events are never edited): derivation replays the
    #: correction in its place
    corrects: Mapped[int | None] = mapped_column(ForeignKey("case_events.id"), unique=True)

    __table_args__ = (
        UniqueConstraint("case_id", "content_hash", "occurrence"),
        CheckConstraint(in_check("type", EventType), name="type"),
        CheckConstraint("level IS NULL OR " + in_check("level", EventLevel), name="level"),
        CheckConstraint("parties IS NULL OR parties >= 1", name="parties"),
        Index("ix_case_events_case_id_at", "case_id", "at"),
    )
