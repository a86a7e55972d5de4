"""Where the database is, and getting it to the schema's head before anything uses it.

Alembic and SQLAlchemy are imported where they are used, so that `gridrisk db url` (which
needs neither for the embedded cluster) answers at once (docs/cli.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from gridrisk.db.embedded import EmbeddedCluster
from gridrisk.errors import Unavailable
from gridrisk.settings import Settings

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def embedded_cluster(settings: Settings) -> EmbeddedCluster:
    return EmbeddedCluster(settings.data_path, bin_dir=settings.pg_bin_dir,
                           run_as=settings.pg_run_as)


def database_url(settings: Settings) -> str:
    """The configured server, or the embedded cluster (started when it is not running)."""
    if settings.database_url:
        from sqlalchemy.engine import make_url

        url = make_url(settings.database_url)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    return embedded_cluster(settings).ensure_running()


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade_to_head(engine: Engine) -> None:
    from alembic import command

    with engine.begin() as conn:
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def downgrade_to(engine: Engine, revision: str) -> None:
    from alembic import command

    with engine.begin() as conn:
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def check_postgis(engine: Engine) -> None:
    """Say clearly when the server lacks PostGIS instead of failing later in a migration."""
    from sqlalchemy import text

    with engine.connect() as conn:
        available = conn.execute(
            text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
        ).first()
    if not available:
        raise Unavailable(
            f"PostGIS is not available on the database server at {engine.url.host}: install "
            "the postgis package for its PostgreSQL version (Debian: postgresql-15-postgis-3)"
        )


def open_engine(settings: Settings, *, upgrade: bool = True) -> Engine:
    """An engine on a reachable PostGIS database at the schema's head."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    url = database_url(settings)
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    try:
        check_postgis(engine)
    except OperationalError as exc:
        raise Unavailable(f"cannot reach the database at {engine.url.host}: {exc.orig}") from exc
    if upgrade and current_revision(engine) != head_revision():
        upgrade_to_head(engine)
    return engine
