"""Every table, imported once so that Base.metadata is complete (Alembic, tests)."""

from gridrisk.access.tables import AuditEntry, Token, User, UserScope
from gridrisk.bundle.tables import ImportRun
from gridrisk.campaigns.tables import Campaign, CampaignCase, CampaignPhaseRow
from gridrisk.cases.tables import Case, CaseEvent
from gridrisk.cycles.tables import Assignment, Cycle, CycleCase, CycleCell
from gridrisk.db.base import Base
from gridrisk.idempotency.tables import IdempotentWrite
from gridrisk.open311.tables import CaseReceipt
from gridrisk.privacy.tables import Contact
from gridrisk.regions.tables import Cell, Region
from gridrisk.screening.tables import ScreeningRecord

metadata = Base.metadata
TABLES = (Region, Cell, Case, CaseEvent, ScreeningRecord, ImportRun, IdempotentWrite, Cycle,
          CycleCell, CycleCase, Assignment, Contact, Campaign, CampaignPhaseRow,
          CampaignCase, User, UserScope, Token, AuditEntry, CaseReceipt)
