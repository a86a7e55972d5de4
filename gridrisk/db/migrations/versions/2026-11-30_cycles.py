"""cycles: screening cycles, per-cell results, worklists, assignments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 00:58:40.903547
"""

from alembic import op
import sqlalchemy as sa
import geoalchemy2
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cycles',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('cadence', sa.Text(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('region_code', sa.Text(), nullable=False),
    sa.Column('horizon_days', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Text(), nullable=False),
    sa.Column('policy', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('input_fingerprint', sa.Text(), nullable=False),
    sa.Column('engine', sa.Text(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('n_cells', sa.Integer(), nullable=False),
    sa.Column('n_cases', sa.Integer(), nullable=False),
    sa.Column('notes', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.CheckConstraint("cadence IN ('daily', 'weekly', 'monthly')", name=op.f('ck_cycles_cadence')),
    sa.CheckConstraint("engine IN ('local', 'dask')", name=op.f('ck_cycles_engine')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_cycles_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycles'))
    )
    op.create_index('ix_cycles_region_code_cadence_as_of', 'cycles', ['region_code', 'cadence', 'as_of'], unique=False)
    op.create_table('cycle_cells',
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('cell_code', sa.Text(), nullable=False),
    sa.Column('expected_escalations', sa.Float(), nullable=False),
    sa.Column('n_open', sa.Integer(), nullable=False),
    sa.Column('n_overdue', sa.Integer(), nullable=False),
    sa.Column('n_due_soon', sa.Integer(), nullable=False),
    sa.Column('n_collective', sa.Integer(), nullable=False),
    sa.Column('n_high_disputes', sa.Integer(), nullable=False),
    sa.Column('n_missed_screenings', sa.Integer(), nullable=False),
    sa.Column('households', sa.Float(), nullable=True),
    sa.Column('escalations_per_1000', sa.Float(), nullable=True),
    sa.Column('open_per_1000', sa.Float(), nullable=True),
    sa.Column('gi_z', sa.Float(), nullable=False),
    sa.Column('gi_p', sa.Float(), nullable=False),
    sa.Column('hotspot', sa.Text(), nullable=False),
    sa.Column('trend', sa.Text(), nullable=False),
    sa.CheckConstraint("hotspot IN ('hot_99', 'hot_95', 'hot_90', 'none', 'cold_90', 'cold_95', 'cold_99')", name=op.f('ck_cycle_cells_hotspot')),
    sa.CheckConstraint("trend IN ('new', 'persistent', 'intensifying', 'diminishing', 'sporadic', '')", name=op.f('ck_cycle_cells_trend')),
    sa.ForeignKeyConstraint(['cell_code'], ['cells.code'], name=op.f('fk_cycle_cells_cell_code_cells')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_cycle_cells_cycle_id_cycles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cycle_id', 'cell_code', name=op.f('pk_cycle_cells'))
    )
    op.create_table('assignments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('cell_code', sa.Text(), nullable=False),
    sa.Column('case_id', sa.Text(), nullable=True),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('proposed_to', sa.Text(), nullable=True),
    sa.Column('assignee', sa.Text(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind = 'screening' OR case_id IS NOT NULL", name=op.f('ck_assignments_case_task')),
    sa.CheckConstraint("kind IN ('investigation', 'follow_up', 'screening')", name=op.f('ck_assignments_kind')),
    sa.CheckConstraint("status <> 'accepted' OR assignee IS NOT NULL", name=op.f('ck_assignments_accepted_assignee')),
    sa.CheckConstraint("status <> 'done' OR outcome IS NOT NULL", name=op.f('ck_assignments_done_outcome')),
    sa.CheckConstraint("status IN ('proposed', 'accepted', 'dropped', 'done')", name=op.f('ck_assignments_status')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_assignments_case_id_cases')),
    sa.ForeignKeyConstraint(['cell_code'], ['cells.code'], name=op.f('fk_assignments_cell_code_cells')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_assignments_cycle_id_cycles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments'))
    )
    op.create_index('ix_assignments_assignee_status', 'assignments', ['assignee', 'status'], unique=False)
    op.create_index('ix_assignments_cycle_id_cell_code', 'assignments', ['cycle_id', 'cell_code'], unique=False)
    op.create_table('cycle_cases',
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Text(), nullable=False),
    sa.Column('cell_code', sa.Text(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('rank_in_cell', sa.Integer(), nullable=False),
    sa.Column('reason_1', sa.Text(), nullable=False),
    sa.Column('reason_2', sa.Text(), nullable=False),
    sa.Column('reason_3', sa.Text(), nullable=False),
    sa.Column('deadline_on', sa.Date(), nullable=True),
    sa.Column('days_left', sa.Integer(), nullable=True),
    sa.Column('overdue', sa.Boolean(), nullable=False),
    sa.Column('collective', sa.Boolean(), nullable=False),
    sa.Column('category', sa.Text(), nullable=False),
    sa.Column('responsible_unit', sa.Text(), nullable=False),
    sa.Column('responsible_official', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_cycle_cases_case_id_cases')),
    sa.ForeignKeyConstraint(['cell_code'], ['cells.code'], name=op.f('fk_cycle_cases_cell_code_cells')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycles.id'], name=op.f('fk_cycle_cases_cycle_id_cycles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cycle_id', 'case_id', name=op.f('pk_cycle_cases'))
    )
    op.create_index('ix_cycle_cases_cycle_id_cell_code_rank_in_cell', 'cycle_cases', ['cycle_id', 'cell_code', 'rank_in_cell'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_cycle_cases_cycle_id_cell_code_rank_in_cell', table_name='cycle_cases')
    op.drop_table('cycle_cases')
    op.drop_index('ix_assignments_cycle_id_cell_code', table_name='assignments')
    op.drop_index('ix_assignments_assignee_status', table_name='assignments')
    op.drop_table('assignments')
    op.drop_table('cycle_cells')
    op.drop_index('ix_cycles_region_code_cadence_as_of', table_name='cycles')
    op.drop_table('cycles')
