"""The record of sent digests in the state database, shared by every process.

:class:`StateDigestLedger` implements :class:`sync.notify.ledger.DigestLedger`
over two tables: ``digests_sent`` has one row per owner, channel and day, and
``digest_items`` one row per owner, channel and item identity ever sent. Both have a
unique constraint, and rows are inserted with "do nothing on conflict", so
recording the same send twice (say, from a process that restarted) leaves one
row and raises nothing.

Rows store the owner key (:func:`sync.notify.ledger.ledger_key`), so the
spellings of one owner's name share one record, and the manager's digest has
a key that no owner's name folds to. Databases written before keys were
stored contain the owner cell's spelling, so reads compare the key of each
stored owner, not the stored text.

Deciding to send and recording the send are two steps (see
:mod:`sync.notify.dispatch`). Two processes never take them at once for one
workbook because digests are sent while the run holds the workbook's lock.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from sync.notify.ledger import is_recorded_owner, ledger_key
from sync.state.engine import upsert_insert
from sync.state.errors import StateError
from sync.state.store import StateStore
from sync.state.tables import as_utc, digest_items, digests_sent

logger = logging.getLogger(__name__)


class StateDigestLedger:
    """A :class:`~sync.notify.ledger.DigestLedger` kept in a :class:`StateStore`."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def was_sent(
        self, workbook_key: str, owner: str | None, channel: str, digest_date: dt.date
    ) -> bool:
        """Return True when that owner's digest of that day went out on ``channel``."""
        query = sa.select(digests_sent.c.owner).where(
            digests_sent.c.workbook_key == workbook_key,
            digests_sent.c.channel == channel,
            digests_sent.c.digest_date == digest_date,
        )
        with self._begin() as connection:
            stored = connection.execute(query).scalars()
            return any(is_recorded_owner(name, owner) for name in stored)

    def sent_items(
        self, workbook_key: str, owner: str | None, channel: str
    ) -> set[str]:
        """Return the identities of the items sent to ``owner`` on ``channel``.

        Items recorded before channels were (channel "") count for every channel.
        """
        names = (
            sa.select(digest_items.c.owner)
            .distinct()
            .where(digest_items.c.workbook_key == workbook_key)
        )
        with self._begin() as connection:
            stored = connection.execute(names).scalars()
            matching = [name for name in stored if is_recorded_owner(name, owner)]
            if not matching:
                return set()
            query = sa.select(digest_items.c.identity).where(
                digest_items.c.workbook_key == workbook_key,
                digest_items.c.owner.in_(matching),
                digest_items.c.channel.in_([channel, ""]),
            )
            return set(connection.execute(query).scalars())

    def record_sent(
        self,
        workbook_key: str,
        owner: str | None,
        channel: str,
        digest_date: dt.date,
        content_hash: str,
        items: set[str],
        sent_at: dt.datetime,
    ) -> None:
        """Record a sent digest and its items in one transaction.

        ``owner`` is stored as its :func:`~sync.notify.ledger.ledger_key`. A
        send already recorded for that owner, channel and day is kept as it
        is, and items recorded before keep the day they were first sent.

        :raises ValueError: ``sent_at`` is naive.
        :raises StateError: the database could not be written.
        """
        send = {
            "workbook_key": workbook_key,
            "owner": ledger_key(owner),
            "channel": channel,
            "digest_date": digest_date,
            "content_hash": content_hash,
            "sent_at": as_utc(sent_at),
        }
        item_rows = [
            {
                "workbook_key": workbook_key,
                "owner": ledger_key(owner),
                "channel": channel,
                "identity": identity,
                "first_sent_on": digest_date,
            }
            for identity in sorted(items)
        ]
        with self._begin() as connection:
            claimed = _insert_missing(connection, digests_sent, [send])
            _insert_missing(connection, digest_items, item_rows)
        if claimed == 0:
            logger.debug(
                "digest of %s on %s via %s was already recorded",
                owner,
                digest_date,
                channel,
            )

    @contextmanager
    def _begin(self) -> Iterator[sa.Connection]:
        try:
            with self.store.engine.begin() as connection:
                yield connection
        except sa.exc.OperationalError as error:
            raise StateError(
                f"State database {self.store.url!r} failed while reading or "
                f"recording sent digests: {error.orig}. Check that it is "
                "reachable and writable, then run again (a scheduled run retries by "
                "itself)."
            ) from error


def _insert_missing(
    connection: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]
) -> int:
    """Insert the rows that no unique constraint already covers.

    Returns how many were inserted. The count is exact for one row. For more
    rows it is a lower bound, because not every driver reports it.
    """
    if not rows:
        return 0
    insert = upsert_insert(connection.dialect.name)
    if insert is not None:
        statement = insert(table).on_conflict_do_nothing()
        return max(connection.execute(statement, list(rows)).rowcount, 0)

    # Other databases: a unique violation means the row exists, and the
    # SAVEPOINT keeps the transaction usable after that error.
    inserted = 0
    for row in rows:
        try:
            with connection.begin_nested():
                connection.execute(sa.insert(table).values(row))
            inserted += 1
        except sa.exc.IntegrityError:
            continue
    return inserted
