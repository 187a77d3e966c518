"""Bring a state database's schema up to date with Alembic, without an ini file.

The migrations ship inside the package (``sync/state/migrations``), so an
installed wheel can upgrade a database as well as a checkout can. To write a
new migration from a checkout::

    from alembic import command
    from sync.state.schema import alembic_config

    config = alembic_config("sqlite:///scratch.sqlite")
    command.upgrade(config, "head")
    command.revision(config, "add a column", autogenerate=True, rev_id="0002")
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")

# Any fixed number: PostgreSQL sessions that take this advisory lock migrate
# one at a time, so two processes opening a new database never race.
MIGRATION_LOCK_ID = 7_401_552_013


def alembic_config(url: str | None = None) -> Config:
    """Return an Alembic configuration for the packaged migrations.

    :param url: the database for Alembic to open itself; leave it out when a
        connection is passed through ``config.attributes["connection"]``.
    """
    config = Config()
    config.set_main_option("script_location", _escape(str(MIGRATIONS)))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", _escape(url))
    return config


def upgrade_schema(connection: sa.Connection) -> None:
    """Run every pending migration on ``connection`` and commit.

    The caller must not be in a transaction. On SQLite the migration transaction
    takes the write lock when it begins (see :mod:`sync.state.engine`); on
    PostgreSQL it takes an advisory lock, so concurrent upgrades wait.
    """
    with connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID}
            )
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _escape(value: str) -> str:
    # Alembic's Config is a ConfigParser, which would read % as interpolation.
    return value.replace("%", "%%")
