"""Workbook locks in the state database, so two processes never sync one workbook.

A lock is a row of the ``locks`` table keyed by workbook. Taking it is one
atomic statement: an INSERT that does nothing when the row exists, else an
UPDATE guarded by ``expires_at < now``. Processes sharing the database need no
other coordination, and a lock whose holder died is free again once it expires.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from sync.state.engine import upsert_insert
from sync.state.tables import as_utc, locks

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkbookLock:
    """The lock row of one workbook."""

    workbook_key: str
    holder: str
    acquired_at: dt.datetime
    expires_at: dt.datetime


def new_lock_holder() -> str:
    """Return a holder name unique to this attempt: ``host:pid:uuid``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"


def acquire_lock(
    connection: sa.Connection,
    workbook_key: str,
    holder: str,
    ttl: dt.timedelta,
    now: dt.datetime,
) -> bool:
    """Take the workbook's lock for ``ttl`` if it is free or expired.

    Run in a transaction of its own. Returns False while another holder's
    lock is unexpired, and also when ``holder`` itself holds it (use
    :func:`renew_lock` for that).

    :raises ValueError: ``ttl`` is not positive or ``now`` is naive.
    """
    _check_lock_times(ttl, now)
    values = {
        "workbook_key": workbook_key,
        "holder": holder,
        "acquired_at": now,
        "expires_at": now + ttl,
    }

    if _insert_if_absent(connection, values):
        logger.debug("lock %s taken by %s", workbook_key, holder)
        return True

    taken_over = connection.execute(
        sa.update(locks)
        .where(locks.c.workbook_key == workbook_key, locks.c.expires_at < now)
        .values(holder=holder, acquired_at=now, expires_at=now + ttl)
    ).rowcount
    if taken_over == 1:
        logger.info("lock %s expired; taken over by %s", workbook_key, holder)
    return taken_over == 1


def renew_lock(
    connection: sa.Connection,
    workbook_key: str,
    holder: str,
    ttl: dt.timedelta,
    now: dt.datetime,
) -> bool:
    """Extend the lock to ``now + ttl`` if ``holder`` still holds it.

    Returns False when another process has taken the lock over, so the
    caller has lost it and should stop writing.

    :raises ValueError: ``ttl`` is not positive or ``now`` is naive.
    """
    _check_lock_times(ttl, now)
    renewed = connection.execute(
        sa.update(locks)
        .where(locks.c.workbook_key == workbook_key, locks.c.holder == holder)
        .values(expires_at=now + ttl)
    ).rowcount
    return renewed == 1


def release_lock(connection: sa.Connection, workbook_key: str, holder: str) -> bool:
    """Delete the lock if ``holder`` holds it; return whether it did."""
    deleted = connection.execute(
        sa.delete(locks).where(
            locks.c.workbook_key == workbook_key, locks.c.holder == holder
        )
    ).rowcount
    return deleted == 1


def read_lock(connection: sa.Connection, workbook_key: str) -> WorkbookLock | None:
    """Return the workbook's lock row, expired or not, or None if there is none."""
    row = connection.execute(
        sa.select(locks).where(locks.c.workbook_key == workbook_key)
    ).one_or_none()
    if row is None:
        return None
    return WorkbookLock(row.workbook_key, row.holder, row.acquired_at, row.expires_at)


def _insert_if_absent(connection: sa.Connection, values: dict[str, object]) -> bool:
    """Insert the lock row unless one exists; return whether it inserted."""
    insert = upsert_insert(connection.dialect.name)
    if insert is not None:
        statement = (
            insert(locks)
            .values(values)
            .on_conflict_do_nothing()
            .returning(locks.c.workbook_key)
        )
        # RETURNING yields the row only when it was inserted; rowcount of an
        # INSERT is not reported by every driver.
        return connection.execute(statement).first() is not None

    # Other databases: a primary-key violation means the row exists, and the
    # SAVEPOINT keeps the caller's transaction usable after that error.
    try:
        with connection.begin_nested():
            connection.execute(sa.insert(locks).values(values))
    except sa.exc.IntegrityError:
        return False
    return True


def _check_lock_times(ttl: dt.timedelta, now: dt.datetime) -> None:
    if ttl <= dt.timedelta(0):
        raise ValueError(f"lock ttl {ttl!r} is not positive; pass e.g. 15 minutes")
    as_utc(now)
