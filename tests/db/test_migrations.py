"""Alembic migrations go up and down cleanly on a real PostGIS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, inspect, text

from gridrisk.db.engine import current_revision, downgrade_to, head_revision, upgrade_to_head

TABLES = {"regions", "cells", "cases", "case_events", "screening_records", "import_runs"}


@pytest.fixture
def scratch_db(scratch_url: str) -> Iterator[Engine]:
    engine = create_engine(scratch_url)
    yield engine
    engine.dispose()


def test_up_down_up(scratch_db: Engine) -> None:
    upgrade_to_head(scratch_db)
    assert current_revision(scratch_db) == head_revision()
    assert set(inspect(scratch_db).get_table_names()) >= TABLES
    gist = {ix["name"] for ix in inspect(scratch_db).get_indexes("cells")}
    assert "ix_cells_geom" in gist

    downgrade_to(scratch_db, "base")
    assert current_revision(scratch_db) is None
    assert not TABLES & set(inspect(scratch_db).get_table_names())

    upgrade_to_head(scratch_db)
    assert set(inspect(scratch_db).get_table_names()) >= TABLES


def test_check_constraints_hold_the_spec_codes(engine: Engine) -> None:
    with engine.connect() as conn, pytest.raises(Exception, match="ck_regions_level"):
        conn.execute(text("INSERT INTO regions (code, name, level, geom) VALUES "
                          "('X', 'x', 'province', ST_GeomFromText("
                          "'MULTIPOLYGON(((0 0,1 0,1 1,0 0)))', 4326))"))


def test_tables_and_migrations_agree(engine: Engine) -> None:
    """Every change to a tables.py has its migration (autogenerate finds nothing to do)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from gridrisk.db.metadata import metadata

    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in differences if "spatial_ref_sys" not in str(d)] == []
