"""Worklist rows keep each risk apart: the probability of the deadline passing, of a return
and of either, with the reasons for each (issue 17)

Revision ID: a17_model
Revises: a16_imports
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'a17_model'
down_revision = 'a16_imports'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for outcome in ('any', 'deadline', 'return'):
        op.add_column('cycle_cases', sa.Column(f'p_{outcome}', sa.Float(), nullable=True))
    op.add_column('cycle_cases', sa.Column('reasons', postgresql.JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column('cycle_cases', 'reasons')
    for outcome in ('return', 'deadline', 'any'):
        op.drop_column('cycle_cases', f'p_{outcome}')
