"""open311: the receipt token of a case (its hash), a complainant's key to its status

Revision ID: a18_ogc
Revises: a17_model
Create Date: 2026-12-02 21:30:00
"""

from alembic import op
import sqlalchemy as sa

revision = 'a18_ogc'
down_revision = 'a17_model'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_receipts',
    sa.Column('case_id', sa.Text(), nullable=False),
    sa.Column('token_hash', sa.Text(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_case_receipts_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_receipts')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_case_receipts_token_hash'))
    )


def downgrade() -> None:
    op.drop_table('case_receipts')
