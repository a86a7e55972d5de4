"""Alembic environment: runs on the connection or URL gridrisk hands it."""

from alembic import context
from sqlalchemy import create_engine

from gridrisk.db.metadata import metadata

config = context.config


def include_object(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    """PostGIS's own tables are not ours to migrate."""
    return not (type_ == "table" and reflected and compare_to is None)


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata,
                          include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("alembic: no connection given and no sqlalchemy.url set")
    engine = create_engine(url, hide_parameters=True)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata,
                          include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
