"""A campaign, its phases and its frozen case list. The list is written once, at launch;
afterwards only each case's six-ones (leader, team, plan) and campaign deadline change."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gridrisk.db.base import Base, in_check
from gridrisk.vocab import CampaignPhase


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    #: the day its case list was frozen, from the case files as known that day
    launched_on: Mapped[date] = mapped_column(Date)
    #: the scope rule the list was chosen by (schemas.ScopeRule)
    rule: Mapped[dict[str, Any]] = mapped_column(JSONB)
    resolution_target: Mapped[float] = mapped_column(Float)
    no_return_target: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())

    __table_args__ = (
        CheckConstraint("name <> ''", name="name"),
        CheckConstraint("resolution_target BETWEEN 0 AND 1", name="resolution_target"),
        CheckConstraint("no_return_target BETWEEN 0 AND 1", name="no_return_target"),
    )


class CampaignPhaseRow(Base):
    __tablename__ = "campaign_phases"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"),
                                             primary_key=True)
    phase: Mapped[str] = mapped_column(Text, primary_key=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint(in_check("phase", CampaignPhase), name="phase"),
        CheckConstraint("ends_on >= starts_on", name="dates"),
    )


class CampaignCase(Base):
    """A case of a campaign's frozen list with its six-ones (六个一) and campaign deadline."""

    __tablename__ = "campaign_cases"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"),
                                             primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), primary_key=True,
                                         index=True)
    #: the case's entry in the campaign's ledger (台账), 1, 2, … in case order
    ledger_no: Mapped[int] = mapped_column(Integer)
    leader: Mapped[str | None] = mapped_column(Text)
    team: Mapped[str | None] = mapped_column(Text)
    plan: Mapped[str | None] = mapped_column(Text)
    deadline_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())

    __table_args__ = (UniqueConstraint("campaign_id", "ledger_no"),)
