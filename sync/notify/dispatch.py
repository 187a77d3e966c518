"""Send the day's digests after a sync run: once per owner, channel and day.

A digest is due when the run started today, in the pipeline's time zone, at or
after its digest hour, and the ledger has no send for that owner, channel and
day. A channel that fails is logged and tried again by a later run of the same
day. A run of a later day sends that day's digest instead, which lists the
items still open. Nothing here fails the sync. A
channel that times out, cannot be reached or rejects the login is not tried
again for the other owners of the same run, which fail with the same error. A
refused recipient or a rejected message fails that one digest only.

Delivery is at least once: a digest sent just before the process dies, and
not yet recorded, is sent again by the next run of that day. So is one whose
receiver took it but replied after the timeout.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import time
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from config.models import (
    EmailChannel,
    Notifications,
    OwnerContact,
    Pipeline,
    WebhookChannel,
)
from rules.digest import (
    OwnerDigest,
    build_digests,
    build_team_digest,
    collect_items,
    mark_sent_items,
)
from sync.notify.base import DigestSender
from sync.notify.email import EmailSender
from sync.notify.errors import (
    ChannelFailedError,
    DeliveryError,
    DigestRejectedError,
)
from sync.notify.ledger import DigestLedger
from sync.notify.owner_entries import log_items_without_owner
from sync.notify.webhook import WebhookSender
from sync.run import RunResult

logger = logging.getLogger(__name__)


class DeliveryStatus(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    ALREADY_SENT = "already-sent"


@dataclass(frozen=True)
class Delivery:
    """One digest for one owner on one channel: sent, failed or sent before.

    ``owner`` is None for the manager's digest.
    ``error`` is the reason of a failure, free of credentials and webhook URLs.
    ``tried`` is false for a failure not tried, because the channel failed for
    an earlier digest of the same run. ``greeted`` is the owner's name as the
    digest spells it, as most of their rows do.
    """

    owner: str | None
    channel: str
    kind: str
    digest_date: dt.date
    items: int
    status: DeliveryStatus
    error: str | None = None
    tried: bool = True
    greeted: str = ""


@dataclass(frozen=True)
class DigestReport:
    """The deliveries of one :func:`send_due_digests` call.

    ``skipped`` is the reason nothing was due, or None when digests were due.
    """

    deliveries: list[Delivery]
    skipped: str | None = None

    @property
    def sent(self) -> list[Delivery]:
        return self._with(DeliveryStatus.SENT)

    @property
    def failed(self) -> list[Delivery]:
        return self._with(DeliveryStatus.FAILED)

    def _with(self, status: DeliveryStatus) -> list[Delivery]:
        return [item for item in self.deliveries if item.status is status]


def send_due_digests(
    result: RunResult,
    pipeline: Pipeline,
    state: DigestLedger,
    now: dt.datetime,
    *,
    workbook_key: str,
    run_started: dt.datetime | None = None,
    channels: Sequence[DigestSender] | None = None,
    environ: Mapping[str, str] | None = None,
) -> DigestReport:
    """Send the digests of a run that are due and not yet sent, and record them.

    Nothing is sent for a dry run, for a run whose day is not the day it
    started on in the pipeline's time zone (a replay), or for a run started
    before the digest hour. Errors of a channel or of the ledger are logged and
    reported, never raised.

    :param state: the record of sent digests, read and written here.
    :param now: the current time, timezone-aware, which signatures and the
        ledger use.
    :param workbook_key: the key of the workbook in the state database.
    :param run_started: when the run started, timezone-aware; default ``now``.
        A run that starts before midnight and ends after it sends the digests
        of the day it started on.
    :param channels: the senders to use; built from the definition by default.
    :param environ: where credentials are read; ``os.environ`` by default.
    :raises ValueError: ``now`` is naive.
    """
    notifications = pipeline.notifications
    if notifications is None:
        return DigestReport([], skipped="the definition has no notifications")
    local_time(now, pipeline.timezone)  # Raises for a naive ``now``.
    local_start = local_time(run_started or now, pipeline.timezone)
    reason = not_due_reason(result, notifications, local_start, pipeline.timezone)
    if reason is not None:
        # A replay sends nothing although its items are overdue, which looks
        # like a failure, so it is logged at INFO. The other reasons are routine.
        replay = not result.dry_run and result.as_of != local_start.date()
        level = logging.INFO if replay else logging.DEBUG
        logger.log(level, "digests workbook=%s not sent: %s", result.workbook, reason)
        return DigestReport([], skipped=reason)

    senders = channels
    if senders is None:
        senders = build_senders(
            notifications, os.environ if environ is None else environ
        )
    try:
        addressed = address_digests(
            result, pipeline, notifications, state, workbook_key, now
        )
        routed = mark_per_channel(addressed, senders, pipeline, state, workbook_key)
    except Exception as error:  # The ledger must never fail the sync.
        logger.error(
            "No digest of workbook %r was sent, because reading the record of sent "
            "digests in the state database failed: %s. A later run of the same day "
            "tries again.",
            result.workbook,
            _error_text(error),
        )
        reason = f"reading sent digests failed: {_error_text(error)}"
        return DigestReport([], skipped=reason)

    # Channel id to the error of its first connection failure in this run.
    unreachable: dict[str, str] = {}
    deliveries = [
        _deliver(
            sender,
            digest,
            contact,
            state,
            workbook_key,
            now,
            notifications,
            unreachable,
        )
        for sender, digest, contact in routed
    ]
    report = DigestReport(deliveries)
    logger.info(
        "digests workbook=%s date=%s sent=%d failed=%d already_sent=%d",
        result.workbook,
        result.as_of,
        len(report.sent),
        len(report.failed),
        len(deliveries) - len(report.sent) - len(report.failed),
    )
    return report


def local_time(now: dt.datetime, time_zone: str) -> dt.datetime:
    """Return ``now`` in the pipeline's time zone.

    :raises ValueError: ``now`` is naive, so its zone would be a guess.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(
            f"naive datetime {now!r}; pass an aware one, "
            "e.g. datetime.now(timezone.utc)"
        )
    return now.astimezone(zoneinfo.ZoneInfo(time_zone))


def not_due_reason(
    result: RunResult,
    notifications: Notifications,
    local_start: dt.datetime,
    time_zone: str,
) -> str | None:
    """Return why no digest is due after this run, or None when they are due.

    :param local_start: when the run started, in the pipeline's time zone.
        Its date is "today", also for a run that ends on the next day.
    """
    if result.dry_run:
        return "a dry run sends no digests"
    if result.as_of != local_start.date():
        return (
            f"the run is for {result.as_of}, not for today ({local_start.date()} "
            f"in {time_zone}), and digests go out only with runs for today"
        )
    hour = notifications.digest_hour
    if hour is not None and local_start.hour < hour:
        return (
            f"digests go out from {notifications.digest_hour}:00 {time_zone}; "
            f"the run started at {local_start:%H:%M}"
        )
    return None


def build_senders(
    notifications: Notifications, environ: Mapping[str, str]
) -> list[DigestSender]:
    """Return a sender for each channel of the definition, in definition order."""
    senders: list[DigestSender] = []
    for channel in notifications.channels:
        if isinstance(channel, EmailChannel):
            senders.append(EmailSender(channel, environ))
        elif isinstance(channel, WebhookChannel):
            senders.append(WebhookSender(channel, environ))
    return senders


def address_digests(
    result: RunResult,
    pipeline: Pipeline,
    notifications: Notifications,
    state: DigestLedger,
    workbook_key: str,
    now: dt.datetime,
) -> list[tuple[OwnerDigest, OwnerContact | None]]:
    """Build the run's digests, each with the contact it goes to.

    Every item is marked new, and :func:`mark_per_channel` then marks the
    items each channel carried before. The manager's digest is built only when
    ``manager_digest_to`` is set. Items that no digest reaches are logged
    once a day. The owners without an entry are logged on every run, by
    :func:`sync.notify.owner_entries.warn_owner_entries`.

    :param now: the current time (aware), recorded when the items are logged.
    """
    sources = (result.followups, result.findings, result.deals, pipeline)
    digests = build_digests(*sources, result.as_of, {}, columns=result.columns)
    addressed = [(digest, contact_of(digest, notifications)) for digest in digests]

    if notifications.manager_digest_to is None:
        items = collect_items(*sources, result.as_of)
        log_items_without_owner(result, items, state, workbook_key, now)
    if notifications.manager_digest_to is not None:
        team = build_team_digest(*sources, result.as_of, set(), columns=result.columns)
        if team is not None:
            addressed.append((team, contact_of(team, notifications)))
    return addressed


def contact_of(
    digest: OwnerDigest, notifications: Notifications
) -> OwnerContact | None:
    """Return the contact a digest goes to: its owner's, or ``manager_digest_to``."""
    if digest.owner is None:
        return notifications.manager_digest_to
    return notifications.contact_of(digest.owner)


def mark_per_channel(
    addressed: Sequence[tuple[OwnerDigest, OwnerContact | None]],
    senders: Sequence[DigestSender],
    pipeline: Pipeline,
    state: DigestLedger,
    workbook_key: str,
) -> list[tuple[DigestSender, OwnerDigest, OwnerContact | None]]:
    """Pair each digest with the channels that deliver it, in digest order.

    Each channel's copy marks as not new the items that channel carried in the
    owner's earlier digests. So a channel that failed before lists as new the
    items that only the other channels carried.
    """
    routed: list[tuple[DigestSender, OwnerDigest, OwnerContact | None]] = []
    for digest, contact in addressed:
        for sender in senders:
            if not sender.serves(contact):
                continue
            sent = state.sent_items(workbook_key, digest.owner, sender.channel_id)
            routed.append((sender, mark_sent_items(digest, pipeline, sent), contact))
    return routed


def _deliver(
    sender: DigestSender,
    digest: OwnerDigest,
    contact: OwnerContact | None,
    state: DigestLedger,
    workbook_key: str,
    now: dt.datetime,
    notifications: Notifications,
    unreachable: dict[str, str],
) -> Delivery:
    """Send one digest unless it was sent before or its channel is unreachable.

    :param unreachable: channel ids that failed for every digest earlier in
        this run (timed out, could not be reached, rejected the login), with
        their error. A new channel failure is added.
    """
    delivery = Delivery(
        owner=digest.owner,
        channel=sender.channel_id,
        kind=sender.kind,
        digest_date=digest.digest_date,
        items=len(digest.items),
        status=DeliveryStatus.SENT,
        greeted=digest.greeted,
    )
    # Log lines name the definition's entry; the owner's name as a cell spells
    # it is logged at DEBUG only.
    entry = owner_entry_label(digest, notifications)
    try:
        key = (workbook_key, digest.owner, sender.channel_id, digest.digest_date)
        if state.was_sent(*key):
            return dataclasses.replace(delivery, status=DeliveryStatus.ALREADY_SENT)
        if sender.channel_id in unreachable:
            return _not_tried(delivery, entry, unreachable[sender.channel_id])
        started = time.perf_counter()
        sender.send(digest, contact, now)
    except ChannelFailedError as error:
        unreachable[sender.channel_id] = _error_text(error)
        return _failed(delivery, entry, error)
    except Exception as error:  # A channel must never fail the sync.
        return _failed(delivery, entry, error)

    logger.debug(
        "digest sent for owner %r on channel %s", digest.owner, delivery.channel
    )
    logger.info(
        "digest sent entry=%s channel=%s kind=%s items=%d new=%d seconds=%.2f",
        entry,
        sender.channel_id,
        sender.kind,
        len(digest.items),
        sum(1 for item in digest.items if item.is_new),
        time.perf_counter() - started,
    )
    _record(delivery, digest, entry, state, workbook_key, now)
    return delivery


def owner_entry_label(digest: OwnerDigest, notifications: Notifications) -> str:
    """Return how an INFO line names a digest's recipient: by definition content.

    That is the owner's entry under ``notifications.owners`` (quoted),
    ``manager_digest_to`` for the manager's digest, or ``none`` for an owner
    without an entry whose digest goes to a channel's ``to`` list.
    """
    if digest.owner is None:
        return "manager_digest_to"
    entry = notifications.entry_of(digest.owner)
    return "none" if entry is None else repr(entry)


def _failed(delivery: Delivery, entry: str, error: Exception) -> Delivery:
    # A permanent rejection comes back on the next run unless someone acts, so
    # the message does not promise that trying again helps.
    logger.debug(
        "digest not sent for owner %r on channel %s", delivery.owner, delivery.channel
    )
    next_run = _retry_sentence(delivery.digest_date)
    if isinstance(error, DigestRejectedError):
        next_run = "Later runs try again, and fail the same way until this is fixed."
    reason = _reason_sentence(_error_text(error), delivery.channel)
    logger.warning("%s %s %s", _unsent_digest(delivery, entry), reason, next_run)
    return dataclasses.replace(
        delivery, status=DeliveryStatus.FAILED, error=_error_text(error)
    )


def _not_tried(delivery: Delivery, entry: str, error: str) -> Delivery:
    # Trying again would wait for the same timeout once per owner, which can
    # take a run past --run-timeout. The ledger has no send, so the next run
    # tries the channel again.
    logger.debug(
        "digest not sent for owner %r on channel %s", delivery.owner, delivery.channel
    )
    logger.warning(
        "%s It was not tried, because the channel failed for an earlier digest of "
        "this run. %s %s",
        _unsent_digest(delivery, entry),
        _reason_sentence(error, delivery.channel),
        _retry_sentence(delivery.digest_date),
    )
    return dataclasses.replace(
        delivery, status=DeliveryStatus.FAILED, error=error, tried=False
    )


def _retry_sentence(digest_date: dt.date) -> str:
    """Say what becomes of an unsent digest, which the ledger does not record.

    A run of the same day builds and sends the day's digest again. A run of a
    later day sends that day's digest instead, which lists the items still
    open, as new unless an earlier digest on the channel carried them.
    """
    next_day = digest_date + dt.timedelta(days=1)
    return (
        f"A later run on {digest_date} sends it again. From {next_day}, that "
        "day's digest replaces it and lists the items that are still open."
    )


def _unsent_digest(delivery: Delivery, entry: str) -> str:
    """Describe an unsent digest for people: its day, recipient and channel.

    The recipient is named by the definition's entry, because log lines above
    DEBUG leave out cell contents such as the owner cell. Example: "The digest
    of 2026-12-06 (4 items) for 'ana  lima' in notifications.owners was not
    sent through e-mail channel 'email'."
    """
    recipient = _recipient(entry)
    items = "1 item" if delivery.items == 1 else f"{delivery.items} items"
    return (
        f"The digest of {delivery.digest_date} ({items}) for {recipient} was not sent "
        f"through {_channel_kind(delivery.kind)} channel {delivery.channel!r}."
    )


def _recipient(entry: str) -> str:
    # The entry as owner_entry_label returns it, in words for a sentence.
    if entry == "manager_digest_to":
        return "the manager (notifications.manager_digest_to)"
    if entry == "none":
        return "an owner without an entry in notifications.owners"
    return f"{entry} in notifications.owners"


def _channel_kind(kind: str) -> str:
    # "email" and "webhook/slack" in words for a sentence: "e-mail", "slack webhook".
    if kind == "email":
        return "e-mail"
    category, _, webhook_format = kind.partition("/")
    return f"{webhook_format} {category}" if webhook_format else kind


def _reason_sentence(error: str, channel: str) -> str:
    """Return a delivery error as a sentence, without the channel it names first.

    Before: "channel 'email': sending the digest through 127.0.0.1:25 failed: the
    connection was refused". After: "Sending the digest through 127.0.0.1:25
    failed: the connection was refused."
    """
    text = error.removeprefix(f"channel {channel!r}: ")
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else f"{text}."


def _record(
    delivery: Delivery,
    digest: OwnerDigest,
    entry: str,
    state: DigestLedger,
    workbook_key: str,
    now: dt.datetime,
) -> None:
    try:
        state.record_sent(
            workbook_key,
            digest.owner,
            delivery.channel,
            digest.digest_date,
            digest.content_hash,
            set(digest.identities),
            now,
        )
    except Exception as error:  # The ledger must never fail the sync.
        logger.error(
            "The digest of %s for %s was sent through channel %r, but recording it "
            "in the state database failed: %s. A later run on %s may send it again.",
            delivery.digest_date,
            _recipient(entry),
            delivery.channel,
            _error_text(error),
            delivery.digest_date,
        )


def _error_text(error: Exception) -> str:
    if isinstance(error, DeliveryError):
        return str(error)
    return f"{type(error).__name__}: {error}"
