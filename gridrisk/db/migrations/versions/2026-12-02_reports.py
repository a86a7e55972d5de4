"""reports: backlog campaigns, their phases and frozen case lists (issue 15)

Revision ID: a15_reports
Revises: a14_privacy
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'a15_reports'
down_revision = 'a14_privacy'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('region_code', sa.Text(), nullable=False),
    sa.Column('launched_on', sa.Date(), nullable=False),
    sa.Column('rule', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('resolution_target', sa.Float(), nullable=False),
    sa.Column('no_return_target', sa.Float(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("name <> ''", name=op.f('ck_campaigns_name')),
    sa.CheckConstraint('resolution_target BETWEEN 0 AND 1', name=op.f('ck_campaigns_resolution_target')),
    sa.CheckConstraint('no_return_target BETWEEN 0 AND 1', name=op.f('ck_campaigns_no_return_target')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_campaigns_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    op.create_index(op.f('ix_campaigns_region_code'), 'campaigns', ['region_code'], unique=False)
    op.create_table('campaign_phases',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.CheckConstraint("phase IN ('sorting', 'resolving', 'consolidating')", name=op.f('ck_campaign_phases_phase')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_campaign_phases_dates')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_phases_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'phase', name=op.f('pk_campaign_phases'))
    )
    op.create_table('campaign_cases',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Text(), nullable=False),
    sa.Column('ledger_no', sa.Integer(), nullable=False),
    sa.Column('leader', sa.Text(), nullable=True),
    sa.Column('team', sa.Text(), nullable=True),
    sa.Column('plan', sa.Text(), nullable=True),
    sa.Column('deadline_on', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_cases_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_campaign_cases_case_id_cases')),
    sa.PrimaryKeyConstraint('campaign_id', 'case_id', name=op.f('pk_campaign_cases')),
    sa.UniqueConstraint('campaign_id', 'ledger_no', name=op.f('uq_campaign_cases_campaign_id_ledger_no'))
    )
    op.create_index(op.f('ix_campaign_cases_case_id'), 'campaign_cases', ['case_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_campaign_cases_case_id'), table_name='campaign_cases')
    op.drop_table('campaign_cases')
    op.drop_table('campaign_phases')
    op.drop_index(op.f('ix_campaigns_region_code'), table_name='campaigns')
    op.drop_table('campaigns')
