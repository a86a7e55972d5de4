"""Stored results of writes that carried a client-generated id, so a retry gets the first
answer instead of making a second record."""

from datetime import datetime

from sqlalchemy import DateTime, Integer, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from gridrisk.db.base import Base


class IdempotentWrite(Base):
    __tablename__ = "idempotent_writes"

    #: the Idempotency-Key header, or the record's own id, prefixed by what it writes
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    #: fingerprint of the request body: the same key with another body is a conflict
    request_hash: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    #: the response body exactly as first sent, so a replay is byte for byte the same
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
