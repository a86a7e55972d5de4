"""Complainant contacts, apart from the cases: one row per case, sealed (privacy.vault).
Nothing in a row is readable without the key file, and nothing is searchable but the case."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, LargeBinary, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from gridrisk.db.base import Base


class Contact(Base):
    __tablename__ = "contacts"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id", ondelete="CASCADE"),
                                         primary_key=True)
    #: which key sealed it (Vault.key_id): a wrong key file is named, never guessed at
    key_id: Mapped[str] = mapped_column(Text)
    #: nonce + AES-256-GCM ciphertext of {name, phone, id_number, address}, the case id as
    #: associated data
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())

    __table_args__ = (CheckConstraint("length(sealed) > 28", name="sealed"),)
