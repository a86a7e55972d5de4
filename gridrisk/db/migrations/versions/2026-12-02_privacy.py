"""privacy: complainant contacts, sealed, one row per case

Revision ID: a14_privacy
Revises: 0003
Create Date: 2026-12-02 21:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = 'a14_privacy'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contacts',
    sa.Column('case_id', sa.Text(), nullable=False),
    sa.Column('key_id', sa.Text(), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('length(sealed) > 28', name=op.f('ck_contacts_sealed')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_contacts_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_contacts'))
    )


def downgrade() -> None:
    op.drop_table('contacts')
