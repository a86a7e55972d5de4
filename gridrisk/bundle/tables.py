"""Import runs: what was imported, from where, with what result."""

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gridrisk.db.base import Base


class ImportRun(Base):
    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    source: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(Text)
    #: rows written per file, e.g. {"cases.csv": 3012}
    written: Mapped[dict[str, Any]] = mapped_column(JSONB)
    n_rejected: Mapped[int] = mapped_column(Integer)
    #: repaired geometries and other notes that did not reject a row
    warnings: Mapped[list[Any]] = mapped_column(JSONB)
