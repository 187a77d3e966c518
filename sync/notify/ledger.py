"""The record of digests already sent, so that a restart never sends one twice.

:class:`DigestLedger` is what :mod:`sync.notify.dispatch` needs from the state
database. :class:`InMemoryDigestLedger` keeps the record in a list, for tests
and for runs without a state database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from rules.text_forms import owner_key

# The ledger's owner key of the manager's digest. It contains a space, and
# owner_key removes every space, so no owner's key can equal it.
MANAGER_LEDGER_KEY = "(manager digest)"


def ledger_key(owner: str | None) -> str:
    """Return the key under which the ledger records an owner's digests.

    That is the :func:`~rules.text_forms.owner_key` of the name, or
    :data:`MANAGER_LEDGER_KEY` for the manager's digest (owner None).
    """
    return MANAGER_LEDGER_KEY if owner is None else owner_key(owner)


def is_recorded_owner(recorded: str, owner: str | None) -> bool:
    """Return True when an owner name read from the ledger is ``owner``'s.

    Older records may store a cell's spelling, so names are compared by key.
    The manager's key is compared as it is, because the key of an owner cell
    spelled ``(Manager Digest)`` is another one.
    """
    manager_record = recorded == MANAGER_LEDGER_KEY
    if owner is None or manager_record:
        return owner is None and manager_record
    return owner_key(recorded) == owner_key(owner)


@dataclass(frozen=True)
class SentDigest:
    """One digest sent to one owner through one channel on one day.

    ``owner`` is the :func:`ledger_key` of the owner.
    """

    workbook_key: str
    owner: str
    channel: str
    digest_date: dt.date
    content_hash: str
    items: frozenset[str]
    sent_at: dt.datetime


class DigestLedger(Protocol):
    """The store of sent digests, keyed by workbook, owner, channel and day.

    ``owner`` is an owner's name in any spelling, or None for the manager's
    digest. Names are matched and stored by :func:`ledger_key`, so the
    spellings of one owner share one record. ``channel`` is the channel's
    ``id`` from the definition.
    """

    def was_sent(
        self, workbook_key: str, owner: str | None, channel: str, digest_date: dt.date
    ) -> bool:
        """Return True when that owner's digest of that day went out on ``channel``."""
        ...

    def sent_items(
        self, workbook_key: str, owner: str | None, channel: str
    ) -> set[str]:
        """Return the identities of the items sent to ``owner`` on ``channel``."""
        ...

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
        """Record that a digest was sent; ``sent_at`` is timezone-aware."""
        ...


class InMemoryDigestLedger:
    """A :class:`DigestLedger` over a list of :class:`SentDigest`.

    Two ledgers built over the same list share their record, as a restarted
    service shares the state database with the one before it.
    """

    def __init__(self, records: list[SentDigest] | None = None) -> None:
        self.records: list[SentDigest] = records if records is not None else []

    def was_sent(
        self, workbook_key: str, owner: str | None, channel: str, digest_date: dt.date
    ) -> bool:
        return any(
            (record.workbook_key, record.channel, record.digest_date)
            == (workbook_key, channel, digest_date)
            and is_recorded_owner(record.owner, owner)
            for record in self.records
        )

    def sent_items(
        self, workbook_key: str, owner: str | None, channel: str
    ) -> set[str]:
        items: set[str] = set()
        for record in self.records:
            same_owner = is_recorded_owner(record.owner, owner)
            same_channel = record.channel == channel
            if record.workbook_key == workbook_key and same_owner and same_channel:
                items |= record.items
        return items

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
        if sent_at.tzinfo is None:
            raise ValueError(f"naive sent_at {sent_at!r}; pass an aware datetime")
        record = SentDigest(
            workbook_key=workbook_key,
            owner=ledger_key(owner),
            channel=channel,
            digest_date=digest_date,
            content_hash=content_hash,
            items=frozenset(items),
            sent_at=sent_at,
        )
        self.records.append(record)
