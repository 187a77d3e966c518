"""Alembic environment of the state database, configured from Python.

:func:`sync.state.schema.upgrade_schema` passes an open connection in
``config.attributes["connection"]``. A developer writing a new migration can
instead set ``sqlalchemy.url``; see :func:`sync.state.schema.alembic_config`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from sync.state.tables import metadata


def run_migrations(connection: sa.Connection) -> None:
    """Run the pending migrations on ``connection`` in one transaction."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite alters a table by copying it; batch mode writes that for us.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate through the given connection, or through a new engine."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return

    url = context.config.get_main_option("sqlalchemy.url")
    engine = sa.create_engine(url or "sqlite://", poolclass=sa.NullPool)
    with engine.connect() as new_connection:
        run_migrations(new_connection)
    engine.dispose()


def run_offline() -> None:
    """Write the migrations' SQL for ``sqlalchemy.url``'s dialect (``--sql``)."""
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
