"""The protocol every digest channel implements: e-mail, webhooks."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from config.models import OwnerContact
from rules.digest import OwnerDigest


class DigestSender(Protocol):
    """One configured channel that can deliver a digest."""

    @property
    def channel_id(self) -> str:
        """Return the channel's ``id`` from the definition, the key of its sends."""
        ...

    @property
    def kind(self) -> str:
        """Return the kind shown in logs, such as ``email`` or ``webhook/slack``."""
        ...

    def serves(self, contact: OwnerContact | None) -> bool:
        """Return True when this channel delivers the digest of that contact."""
        ...

    def send(
        self, digest: OwnerDigest, contact: OwnerContact | None, now: dt.datetime
    ) -> None:
        """Deliver one digest; ``now`` is timezone-aware.

        :raises DeliveryError: the digest was not delivered.
        """
        ...
