"""The digests a run tried, as the ``digests`` value of ``run --json``."""

from __future__ import annotations

from typing import Any

from config.models import Notifications
from sync.notify.dispatch import Delivery, DeliveryStatus, DigestReport

MANAGER_ENTRY = "manager_digest_to"


def digests_as_json(
    report: DigestReport, notifications: Notifications
) -> dict[str, Any]:
    """Return the counts and each digest's outcome as a JSON-ready document.

    ``skipped`` is the reason no digest was due, such as a day other than
    today, or None. Each delivery names the owner as the sheet spells it and
    the ``notifications.owners`` entry it went to. That entry is
    ``manager_digest_to`` for the manager's digest, and None for an owner
    without an entry whose digest went to a channel's ``to`` list. The
    outcome is ``sent``, ``failed``, ``not tried`` (the channel failed for an
    earlier digest of the run) or ``already sent`` (by an earlier run that day).
    """
    return {
        "skipped": report.skipped,
        "sent": len(report.sent),
        "failed": len(report.failed),
        "deliveries": [
            _delivery_json(delivery, notifications) for delivery in report.deliveries
        ],
    }


def _delivery_json(delivery: Delivery, notifications: Notifications) -> dict[str, Any]:
    if delivery.owner is None:
        owner = None
        entry: str | None = MANAGER_ENTRY
    else:
        owner = delivery.greeted or delivery.owner
        entry = notifications.entry_of(delivery.owner)
    return {
        "owner": owner,
        "entry": entry,
        "channel": delivery.channel,
        "kind": delivery.kind,
        "date": delivery.digest_date.isoformat(),
        "items": delivery.items,
        "outcome": _outcome(delivery),
        "error": delivery.error,
    }


def _outcome(delivery: Delivery) -> str:
    if delivery.status is DeliveryStatus.FAILED and not delivery.tried:
        return "not tried"
    if delivery.status is DeliveryStatus.ALREADY_SENT:
        return "already sent"
    return delivery.status.value
