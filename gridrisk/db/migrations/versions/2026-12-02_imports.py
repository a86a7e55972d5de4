"""imports: each import run keeps its outcome, errors, counts and how its files were read

Revision ID: a16_imports
Revises: a14_access
Create Date: 2026-12-02 09:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = 'a16_imports'
down_revision = 'a14_access'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('import_runs', sa.Column('outcome', sa.Text(), server_default=sa.text("'written'"), nullable=False))
    op.add_column('import_runs', sa.Column('errors', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False))
    op.add_column('import_runs', sa.Column('counts', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False))
    op.add_column('import_runs', sa.Column('options', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False))
    op.create_check_constraint(op.f('ck_import_runs_outcome'), 'import_runs', "outcome IN ('written', 'refused')")


def downgrade() -> None:
    op.drop_constraint(op.f('ck_import_runs_outcome'), 'import_runs', type_='check')
    op.drop_column('import_runs', 'options')
    op.drop_column('import_runs', 'counts')
    op.drop_column('import_runs', 'errors')
    op.drop_column('import_runs', 'outcome')
