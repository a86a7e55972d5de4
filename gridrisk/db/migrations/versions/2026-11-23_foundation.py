"""foundation: regions, cells, cases, append-only case events, screening records, import runs

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 18:47:37.022999
"""

from alembic import op
import sqlalchemy as sa
import geoalchemy2
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION gridrisk_refuse_event_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'case events are append-only: % refused on event %', TG_OP, OLD.id
        USING ERRCODE = 'integrity_constraint_violation',
              HINT = 'record a new event that names the one it corrects';
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table('idempotent_writes',
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('request_hash', sa.Text(), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_idempotent_writes'))
    )
    op.create_table('import_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('mode', sa.Text(), nullable=False),
    sa.Column('written', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('n_rejected', sa.Integer(), nullable=False),
    sa.Column('warnings', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs'))
    )
    op.create_table('regions',
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('level', sa.Text(), nullable=False),
    sa.Column('parent_code', sa.Text(), nullable=True),
    sa.Column('households', sa.Integer(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint("code <> ''", name=op.f('ck_regions_code')),
    sa.CheckConstraint("level IN ('county', 'township', 'village', 'community')", name=op.f('ck_regions_level')),
    sa.CheckConstraint('households IS NULL OR households >= 0', name=op.f('ck_regions_households')),
    sa.ForeignKeyConstraint(['parent_code'], ['regions.code'], name=op.f('fk_regions_parent_code_regions')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_regions'))
    )
    op.create_index('ix_regions_geom', 'regions', ['geom'], unique=False, postgresql_using='gist')
    op.create_index(op.f('ix_regions_parent_code'), 'regions', ['parent_code'], unique=False)
    op.create_table('cells',
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('region_code', sa.Text(), nullable=False),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint("code <> ''", name=op.f('ck_cells_code')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_cells_region_code_regions')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_cells'))
    )
    op.create_index('ix_cells_geom', 'cells', ['geom'], unique=False, postgresql_using='gist')
    op.create_index(op.f('ix_cells_region_code'), 'cells', ['region_code'], unique=False)
    op.create_table('cases',
    sa.Column('case_id', sa.Text(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('category', sa.Text(), nullable=False),
    sa.Column('parties', sa.Integer(), nullable=False),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('region_code', sa.Text(), nullable=False),
    sa.Column('cell_code', sa.Text(), nullable=True),
    sa.Column('complex', sa.Boolean(), nullable=False),
    sa.Column('responsible_unit', sa.Text(), nullable=True),
    sa.Column('responsible_official', sa.Text(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("case_id <> ''", name=op.f('ck_cases_case_id')),
    sa.CheckConstraint("category IN ('land_requisition', 'wages_labour', 'housing_property', 'property_management', 'social_security', 'medical', 'environment', 'veterans', 'financial_loss', 'court_related', 'other')", name=op.f('ck_cases_category')),
    sa.CheckConstraint("channel IN ('visit', 'letter', 'phone', 'online', 'reception', 'screening', 'referral')", name=op.f('ck_cases_channel')),
    sa.CheckConstraint('parties >= 1', name=op.f('ck_cases_parties')),
    sa.ForeignKeyConstraint(['cell_code'], ['cells.code'], name=op.f('fk_cases_cell_code_cells')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_cases_region_code_regions')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_cases'))
    )
    op.create_index(op.f('ix_cases_cell_code'), 'cases', ['cell_code'], unique=False)
    op.create_index('ix_cases_geom', 'cases', ['geom'], unique=False, postgresql_using='gist')
    op.create_index(op.f('ix_cases_region_code'), 'cases', ['region_code'], unique=False)
    op.create_table('case_events',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.BigInteger(), nullable=False),
    sa.Column('occurrence', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('at_is_date', sa.Boolean(), nullable=False),
    sa.Column('type', sa.Text(), nullable=False),
    sa.Column('level', sa.Text(), nullable=True),
    sa.Column('parties', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('corrects', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['corrects'], ['case_events.id'], name=op.f('fk_case_events_corrects_case_events')),
    sa.UniqueConstraint('corrects', name=op.f('uq_case_events_corrects')),
    sa.CheckConstraint("level IS NULL OR level IN ('village', 'township', 'county', 'city', 'province', 'national')", name=op.f('ck_case_events_level')),
    sa.CheckConstraint("type IN ('accepted', 'not_accepted', 'site_visit', 'met_complainant', 'mediation', 'hearing', 'opinion_issued', 'review_requested', 'review_decided', 'rereview_requested', 'rereview_decided', 'extended', 'closed', 'followed_up', 'reopened', 'refiled', 'escalated')", name=op.f('ck_case_events_type')),
    sa.CheckConstraint('parties IS NULL OR parties >= 1', name=op.f('ck_case_events_parties')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_case_events_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events')),
    sa.UniqueConstraint('case_id', 'content_hash', 'occurrence', name=op.f('uq_case_events_case_id_content_hash_occurrence'))
    )
    op.create_index('ix_case_events_case_id_at', 'case_events', ['case_id', 'at'], unique=False)
    op.create_table('screening_records',
    sa.Column('record_id', sa.Text(), nullable=False),
    sa.Column('screened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('worker', sa.Text(), nullable=False),
    sa.Column('cell_code', sa.Text(), nullable=False),
    sa.Column('found', sa.Boolean(), nullable=False),
    sa.Column('category', sa.Text(), nullable=True),
    sa.Column('severity', sa.Text(), nullable=True),
    sa.Column('parties', sa.Integer(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('case_id', sa.Text(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.CheckConstraint("category IS NULL OR category IN ('land_requisition', 'wages_labour', 'housing_property', 'property_management', 'social_security', 'medical', 'environment', 'veterans', 'financial_loss', 'court_related', 'other')", name=op.f('ck_screening_records_category')),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('resolved_on_site', 'mediating', 'referred', 'became_case')", name=op.f('ck_screening_records_outcome')),
    sa.CheckConstraint("record_id <> ''", name=op.f('ck_screening_records_record_id')),
    sa.CheckConstraint("severity IS NULL OR severity IN ('low', 'medium', 'high')", name=op.f('ck_screening_records_severity')),
    sa.CheckConstraint('NOT found OR (category IS NOT NULL AND severity IS NOT NULL)', name=op.f('ck_screening_records_dispute_found')),
    sa.CheckConstraint('found OR (category IS NULL AND severity IS NULL AND outcome IS NULL)', name=op.f('ck_screening_records_nothing_found')),
    sa.CheckConstraint('parties IS NULL OR parties >= 1', name=op.f('ck_screening_records_parties')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.case_id'], name=op.f('fk_screening_records_case_id_cases')),
    sa.ForeignKeyConstraint(['cell_code'], ['cells.code'], name=op.f('fk_screening_records_cell_code_cells')),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_screening_records'))
    )
    op.create_index('ix_screening_records_cell_code_screened_at', 'screening_records', ['cell_code', 'screened_at'], unique=False)
    op.create_index('ix_screening_records_geom', 'screening_records', ['geom'], unique=False, postgresql_using='gist')
    op.execute(APPEND_ONLY_FUNCTION)
    op.execute(
        "CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events "
        "FOR EACH ROW EXECUTE FUNCTION gridrisk_refuse_event_change()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS case_events_append_only ON case_events")
    op.execute("DROP FUNCTION IF EXISTS gridrisk_refuse_event_change()")
    op.drop_index('ix_screening_records_geom', table_name='screening_records', postgresql_using='gist')
    op.drop_index('ix_screening_records_cell_code_screened_at', table_name='screening_records')
    op.drop_table('screening_records')
    op.drop_index('ix_case_events_case_id_at', table_name='case_events')
    op.drop_table('case_events')
    op.drop_index(op.f('ix_cases_region_code'), table_name='cases')
    op.drop_index('ix_cases_geom', table_name='cases', postgresql_using='gist')
    op.drop_index(op.f('ix_cases_cell_code'), table_name='cases')
    op.drop_table('cases')
    op.drop_index(op.f('ix_cells_region_code'), table_name='cells')
    op.drop_index('ix_cells_geom', table_name='cells', postgresql_using='gist')
    op.drop_table('cells')
    op.drop_index(op.f('ix_regions_parent_code'), table_name='regions')
    op.drop_index('ix_regions_geom', table_name='regions', postgresql_using='gist')
    op.drop_table('regions')
    op.drop_table('import_runs')
    op.drop_table('idempotent_writes')
