"""The tables of the run-state database (SQLAlchemy Core).

A schema change needs a new migration in ``sync/state/migrations/versions``;
the tables here describe the schema at the newest migration.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UtcDateTime(sa.TypeDecorator[dt.datetime]):
    """A point in time stored as UTC and read back as a UTC-aware datetime.

    SQLite keeps no time zone, so the value is converted to UTC before it is
    stored. A naive datetime is rejected because its zone would be a guess.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        utc = as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """Return an aware datetime converted to UTC.

    :raises ValueError: ``moment`` is naive, so its zone would be a guess.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"naive datetime {moment!r}; pass an aware one, "
            "e.g. datetime.now(timezone.utc)"
        )
    return moment.astimezone(dt.UTC)


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Key of a workbook: the resolved path of a file or a Google spreadsheet id.
WORKBOOK_KEY_LENGTH = 1024

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("workbook_key", sa.String(WORKBOOK_KEY_LENGTH), nullable=False),
    sa.Column("tab", sa.String(255), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime),
    # NULL while the run is in progress, or when its process died.
    sa.Column("outcome", sa.String(16)),
    sa.Column("deals", sa.Integer),
    sa.Column("errors", sa.Integer),
    sa.Column("warnings", sa.Integer),
    sa.Column("infos", sa.Integer),
    sa.Column("status_cells_written", sa.Integer),
    sa.Column("tabs_written", sa.JSON),
    sa.Column("api_requests", sa.Integer),
    sa.Column("bytes_written", sa.BigInteger),
    sa.Column("error", sa.Text),
    # True once save_snapshot stored this run's snapshot (possibly of no deals).
    sa.Column("has_snapshot", sa.Boolean, nullable=False, server_default=sa.false()),
    # The first day of the last month whose review the run wrote, planned or
    # found written; NULL for a run recorded before revision 0005, and for
    # a run that read no stage log and so reviewed nothing.
    sa.Column("reviewed_through", sa.Date),
    # The stages of the definition that an ok run used, in order, as a list of
    # [name, outcome] pairs. It is NULL for a run recorded before revision 0007.
    sa.Column("stages", sa.JSON),
    # Migration 0001 passed the full name "ck_runs_outcome", to which the naming
    # convention added its prefix again. A new database, built from this table,
    # gets the same name as a migrated one.
    sa.CheckConstraint(
        "outcome IN ('ok', 'failed', 'skipped', 'deferred')",
        name=sa.schema.conv("ck_runs_ck_runs_outcome"),
    ),
    sa.Index(None, "workbook_key", "id"),
)

# Each row contains one run's deal snapshot, packed by sync.state.packing.
run_snapshots = sa.Table(
    "run_snapshots",
    metadata,
    sa.Column(
        "run_id",
        sa.Integer,
        sa.ForeignKey("runs.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("packed", sa.LargeBinary, nullable=False),
)

# Each row contains the transitions of one record_transitions call, packed by
# sync.state.packing. The id orders the calls.
run_transitions = sa.Table(
    "run_transitions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "run_id",
        sa.Integer,
        sa.ForeignKey("runs.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("packed", sa.LargeBinary, nullable=False),
)

locks = sa.Table(
    "locks",
    metadata,
    sa.Column("workbook_key", sa.String(WORKBOOK_KEY_LENGTH), primary_key=True),
    # host:pid:uuid of the process that holds the lock.
    sa.Column("holder", sa.String(255), nullable=False),
    sa.Column("acquired_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
)

digests_sent = sa.Table(
    "digests_sent",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("workbook_key", sa.String(WORKBOOK_KEY_LENGTH), nullable=False),
    sa.Column("owner", sa.String(255), nullable=False),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("digest_date", sa.Date, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("sent_at", UtcDateTime, nullable=False),
    # One digest per owner, channel and day: inserting the row claims the send.
    sa.UniqueConstraint("workbook_key", "owner", "channel", "digest_date"),
)

digest_items = sa.Table(
    "digest_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("workbook_key", sa.String(WORKBOOK_KEY_LENGTH), nullable=False),
    sa.Column("owner", sa.String(255), nullable=False),
    # rules.digest.item_identity: a hash, so no deal ID is stored here.
    sa.Column("identity", sa.String(64), nullable=False),
    # The digest day of the first send on the channel that carried the item.
    sa.Column("first_sent_on", sa.Date, nullable=False),
    # The channel's id; "" for items recorded before channels were, which
    # count as sent on every channel.
    sa.Column("channel", sa.String(64), nullable=False, server_default=""),
    sa.UniqueConstraint("workbook_key", "owner", "channel", "identity"),
)
