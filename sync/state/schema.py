"""Bring a state database's schema up to date with Alembic, without an ini file.

The migrations ship inside the package (``sync/state/migrations``), so an
installed wheel can upgrade a database as well as a checkout can. An empty
database gets the newest schema straight from :mod:`sync.state.tables` instead,
and a test checks that it matches what the migrations build. To write a
new migration from a checkout::

    from alembic import command
    from sync.state.schema import alembic_config

    config = alembic_config("sqlite:///scratch.sqlite")
    command.upgrade(config, "head")
    command.revision(config, "add a column", autogenerate=True, rev_id="0002")
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from sync.state.errors import StateError
from sync.state.tables import metadata

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")

# The newest migration's revision. A database already at it needs no upgrade,
# and then Alembic, which takes about 0.1 s to import, is not imported. A test
# checks that this is the head of the migrations folder.
HEAD_REVISION = "0007"

# Any fixed number: PostgreSQL sessions that take this advisory lock migrate
# one at a time, so two processes opening a new database never race.
MIGRATION_LOCK_ID = 7_401_552_013

# The table in which Alembic records the revision, as Alembic creates it.
VERSION_TABLE = sa.Table(
    "alembic_version",
    sa.MetaData(),
    sa.Column("version_num", sa.String(32), nullable=False),
    sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


class UnknownRevisionError(StateError):
    """A schema revision recorded in the database that no packaged migration has."""

    def __init__(self, revisions: list[str]) -> None:
        self.revisions = revisions
        super().__init__(
            f"it has schema revision {', '.join(map(repr, revisions))}, which this "
            f"pipesheet does not know (its newest is {HEAD_REVISION!r})"
        )


class ForeignTablesError(StateError):
    """A database that another program made, in which pipesheet's tables must not go.

    It has tables named like pipesheet's but no pipesheet revision, or it is
    an SQLite file with tables that pipesheet did not create.
    """

    # How many of the tables the message names.
    NAMED_TABLES = 3

    def __init__(self, tables: list[str]) -> None:
        self.tables = tables
        noun = "a table" if len(tables) == 1 else "tables"
        names = ", ".join(map(repr, tables[: self.NAMED_TABLES]))
        if len(tables) > self.NAMED_TABLES:
            names += f" and {len(tables) - self.NAMED_TABLES} more"
        super().__init__(
            f"it has {noun} named {names} but no pipesheet schema revision"
        )


def alembic_config(url: str | None = None) -> Config:
    """Return an Alembic configuration for the packaged migrations.

    :param url: the database for Alembic to open itself; leave it out when a
        connection is passed through ``config.attributes["connection"]``.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", _escape(str(MIGRATIONS)))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", _escape(url))
    return config


def upgrade_schema(
    connection: sa.Connection,
    on_upgrade: Callable[[sa.Connection, list[str]], None] | None = None,
) -> None:
    """Run every pending migration on ``connection`` and commit.

    ``on_upgrade`` is called with the connection and the recorded revisions
    just before the first migration runs, within the transaction that holds
    the lock, so it can keep a copy of the database that no other process
    changes meanwhile. It is not called for a database at ``HEAD_REVISION``
    or a new one.

    The caller must not be in a transaction. On SQLite the migration transaction
    takes the write lock when it begins (see :mod:`sync.state.engine`); on
    PostgreSQL it takes an advisory lock, so concurrent upgrades wait. A
    database already at ``HEAD_REVISION`` is left alone in that same
    transaction, so opening it locks exactly as an upgrade does. A database
    without any table gets the newest schema at once, without Alembic.
    """
    with connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID}
            )
        recorded = recorded_revisions(connection)
        if recorded == [HEAD_REVISION]:
            return
        existing = sa.inspect(connection).get_table_names()
        if not existing:
            create_schema(connection)
            return
        _check_no_foreign_tables(recorded, existing)

        from alembic import command

        config = alembic_config()
        _check_known_revisions(config, recorded)
        if on_upgrade is not None:
            on_upgrade(connection, recorded)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def create_schema(connection: sa.Connection) -> None:
    """Create the newest schema in an empty database and record its revision.

    Running every migration gives the same tables but takes several times
    longer: 0.5 s against 0.07 s on SQLite, measured on a loaded machine.
    The caller has found no table in the database, within the transaction
    that holds the migration lock, so no table is looked up before it is
    created.
    """
    metadata.create_all(connection, checkfirst=False)
    VERSION_TABLE.create(connection)
    connection.execute(VERSION_TABLE.insert().values(version_num=HEAD_REVISION))


def schema_revisions(connection: sa.Connection) -> list[str]:
    """Return the revisions Alembic recorded in the database, none if it is new.

    The caller must not be in a transaction; this one reads and ends its own.
    """
    with connection.begin():
        return recorded_revisions(connection)


def recorded_revisions(connection: sa.Connection) -> list[str]:
    """Return the revisions in ``alembic_version``, within the caller's transaction."""
    if not sa.inspect(connection).has_table(VERSION_TABLE.name):
        return []
    query = sa.select(VERSION_TABLE.c.version_num)
    return [str(revision) for revision in connection.execute(query).scalars()]


def check_readable_revisions(connection: sa.Connection) -> list[str]:
    """Return the recorded revisions after checking that this pipesheet has them.

    It only reads, within the caller's transaction, so a command that must
    not change the database can find out whether it needs an upgrade.

    :raises ForeignTablesError: pipesheet's tables exist without a revision.
    :raises UnknownRevisionError: a newer pipesheet wrote the database.
    """
    recorded = recorded_revisions(connection)
    if recorded == [HEAD_REVISION]:
        return recorded
    existing = sa.inspect(connection).get_table_names()
    if existing:
        _check_no_foreign_tables(recorded, existing)
        _check_known_revisions(alembic_config(), recorded)
    return recorded


def _check_no_foreign_tables(recorded: list[str], existing: list[str]) -> None:
    """Check that pipesheet's tables are not already there without its revision.

    Other tables are left alone, so a shared PostgreSQL database still works.

    :raises ForeignTablesError: naming the tables in the way.
    """
    clashing = sorted(set(existing) & set(metadata.tables))
    if clashing and not recorded:
        raise ForeignTablesError(clashing)


def _check_known_revisions(config: Config, recorded: list[str]) -> None:
    """Check that every recorded revision has a packaged migration.

    A database that a newer pipesheet upgraded fails this check.

    :raises UnknownRevisionError: naming the unknown revisions.
    """
    from alembic.script import ScriptDirectory

    known = {
        script.revision
        for script in ScriptDirectory.from_config(config).walk_revisions()
    }
    unknown = [revision for revision in recorded if revision not in known]
    if unknown:
        raise UnknownRevisionError(unknown)


def _escape(value: str) -> str:
    # Alembic's Config is a ConfigParser, which would read % as interpolation.
    return value.replace("%", "%%")
