"""Import runs: what was imported, from where, how, with what result and warnings."""

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Integer, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gridrisk.db.base import Base


class ImportRun(Base):
    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    source: Mapped[str] = mapped_column(Text)
    #: all-or-nothing or good-rows (a check is never recorded: it writes nothing)
    mode: Mapped[str] = mapped_column(Text)
    #: written, or refused (all-or-nothing with bad rows, or a whole file refused)
    outcome: Mapped[str] = mapped_column(Text, server_default=text("'written'"))
    #: rows written per table, e.g. {"cases": {"inserted": 3012, "updated": 0, ...}}
    written: Mapped[dict[str, Any]] = mapped_column(JSONB)
    n_rejected: Mapped[int] = mapped_column(Integer)
    #: the report's warnings (gridrisk.bundle.report.Notice.to_dict), each with its kind
    warnings: Mapped[list[Any]] = mapped_column(JSONB)
    #: the report's errors: each root problem once, with what was rejected with it
    errors: Mapped[list[Any]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    #: per file: rows read, rejected, accepted
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    #: how the files were read: boundary datum, encoding, time zone
    options: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))

    __table_args__ = (
        CheckConstraint("outcome IN ('written', 'refused')", name="outcome"),
    )
