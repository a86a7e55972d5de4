"""The receipt token of a case: a complainant's key to its status. Only its SHA-256 is kept,
so the token is shown once, when it is issued."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from gridrisk.cases import tables as _cases  # noqa: F401  (the table this refers to)
from gridrisk.db.base import Base


class CaseReceipt(Base):
    __tablename__ = "case_receipts"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id", ondelete="CASCADE"),
                                         primary_key=True)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                server_default=func.now())
