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


@dataclass(frozen=True)
class SentDigest:
    """One digest sent to one owner through one channel on one day."""

    workbook_key: str
    owner: str
    channel: str
    digest_date: dt.date
    content_hash: str
    items: frozenset[str]
    sent_at: dt.datetime


class DigestLedger(Protocol):
    """The store of sent digests, keyed by workbook, owner, channel and day.

    ``owner`` is an owner's name in any spelling, or
    :data:`rules.digest.TEAM_DIGEST_OWNER` for the manager's digest. Names are
    matched and stored by :func:`rules.text_forms.owner_key`, so the spellings
    of one owner share one record. ``channel`` is the channel's ``id`` from the
    definition.
    """

    def was_sent(
        self, workbook_key: str, owner: str, channel: str, digest_date: dt.date
    ) -> bool:
        """Return True when that owner's digest of that day went out on ``channel``."""
        ...

    def sent_items(self, workbook_key: str, owner: str, channel: str) -> set[str]:
        """Return the identities of the items sent to ``owner`` on ``channel``."""
        ...

    def record_sent(
        self,
        workbook_key: str,
        owner: str,
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
        self, workbook_key: str, owner: str, channel: str, digest_date: dt.date
    ) -> bool:
        return any(
            (record.workbook_key, record.channel, record.digest_date)
            == (workbook_key, channel, digest_date)
            and owner_key(record.owner) == owner_key(owner)
            for record in self.records
        )

    def sent_items(self, workbook_key: str, owner: str, channel: str) -> set[str]:
        items: set[str] = set()
        for record in self.records:
            same_owner = owner_key(record.owner) == owner_key(owner)
            same_channel = record.channel == channel
            if record.workbook_key == workbook_key and same_owner and same_channel:
                items |= record.items
        return items

    def record_sent(
        self,
        workbook_key: str,
        owner: str,
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
            owner=owner_key(owner),
            channel=channel,
            digest_date=digest_date,
            content_hash=content_hash,
            items=frozenset(items),
            sent_at=sent_at,
        )
        self.records.append(record)
