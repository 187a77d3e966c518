"""Tests for sending the due digests of a sync run, once per owner, channel and day."""

from __future__ import annotations

import datetime as dt
import logging
import ssl
from typing import Any

import pytest

from config.models import OwnerContact, Pipeline
from rules.digest import OwnerDigest
from rules.grid import CellValue
from sync.notify.base import DigestSender
from sync.notify.dispatch import DeliveryStatus, DigestReport, send_due_digests
from sync.notify.email import EmailSender
from sync.notify.ledger import InMemoryDigestLedger, SentDigest
from sync.notify.webhook import WebhookSender
from sync.run import RunResult
from tests.sync.notify.samples import (
    AS_OF,
    SHEET_ROWS,
    build_team_pipeline,
    sync_result,
)
from tests.sync.notify.servers import (
    LOOPBACK,
    LoopbackSmtpServer,
    SilentServer,
    WebhookReceiver,
    closed_loopback_port,
)

WORKBOOK = "/data/Team.xlsx"
# 08:30 in Berlin (CEST, UTC+2) on AS_OF: past the digest hour of 8.
DUE_NOW = dt.datetime(2025, 9, 30, 6, 30, tzinfo=dt.UTC)
NEXT_DAY = dt.date(2025, 10, 1)
NEXT_DAY_NOW = dt.datetime(2025, 10, 1, 6, 30, tzinfo=dt.UTC)
# The end of a warning about a digest of AS_OF that a channel did not take.
RETRY_SENTENCE = (
    "A later run on 2025-09-30 sends it again. From 2025-10-01, that day's digest "
    "replaces it and lists the items that are still open."
)


def team_notifications(receiver_url: str, **changes: Any) -> dict[str, Any]:
    notifications: dict[str, Any] = {
        "digest_hour": 8,
        "owners": {
            "Ana Lima": {"webhooks": ["team-chat"]},
            "Bo Chen": {"webhooks": ["team-chat"]},
        },
        "manager_digest_to": {"webhooks": ["lead-chat"]},
        "channels": [
            {"kind": "webhook", "id": "team-chat", "url": f"{receiver_url}/team"},
            {"kind": "webhook", "id": "lead-chat", "url": f"{receiver_url}/lead"},
        ],
    }
    notifications.update(changes)
    return notifications


def send(
    result: RunResult,
    pipeline: Pipeline,
    ledger: InMemoryDigestLedger,
    now: dt.datetime = DUE_NOW,
    **options: Any,
) -> DigestReport:
    options.setdefault("environ", {})
    return send_due_digests(
        result, pipeline, ledger, now, workbook_key=WORKBOOK, **options
    )


def deliveries_of(report: DigestReport) -> list[tuple[str, str, DeliveryStatus]]:
    return [
        (delivery.owner, delivery.channel, delivery.status)
        for delivery in report.deliveries
    ]


@pytest.fixture
def pipeline(receiver: WebhookReceiver) -> Pipeline:
    return build_team_pipeline(team_notifications(receiver.url))


def test_due_digests_sent_to_each_owner(
    receiver: WebhookReceiver, pipeline: Pipeline
) -> None:
    report = send(sync_result(pipeline), pipeline, InMemoryDigestLedger())

    assert deliveries_of(report) == [
        ("Ana Lima", "team-chat", DeliveryStatus.SENT),
        ("Bo Chen", "team-chat", DeliveryStatus.SENT),
        (None, "lead-chat", DeliveryStatus.SENT),
    ]
    assert [(r.path, r.json()["owner"]) for r in receiver.requests] == [
        ("/team", "Ana Lima"),
        ("/team", "Bo Chen"),
        ("/lead", None),
    ]


@pytest.mark.parametrize("star", ["*", "＊"], ids=["ascii", "full-width"])
def test_owner_named_star_apart_from_manager(
    receiver: WebhookReceiver, star: str
) -> None:
    notifications = team_notifications(receiver.url)
    # The manager's channel, so that both digests are recorded for one channel.
    notifications["owners"] = {star: {"webhooks": ["lead-chat"]}}
    pipeline = build_team_pipeline(notifications)
    rows = [
        [star if cell == "Ana Lima" else cell for cell in row] for row in SHEET_ROWS
    ]
    ledger = InMemoryDigestLedger()

    first = send(sync_result(pipeline, rows), pipeline, ledger)
    second = send(sync_result(pipeline, rows), pipeline, ledger)

    assert deliveries_of(first) == [
        (star, "lead-chat", DeliveryStatus.SENT),
        (None, "lead-chat", DeliveryStatus.SENT),
    ]
    assert [
        (r.path, r.json()["owner"], len(r.json()["items"])) for r in receiver.requests
    ] == [
        ("/lead", star, 2),
        ("/lead", None, 3),
    ]
    assert deliveries_of(second) == [
        (star, "lead-chat", DeliveryStatus.ALREADY_SENT),
        (None, "lead-chat", DeliveryStatus.ALREADY_SENT),
    ]


def test_owner_digest_lists_their_items(
    receiver: WebhookReceiver, pipeline: Pipeline
) -> None:
    send(sync_result(pipeline), pipeline, InMemoryDigestLedger())

    ana = receiver.requests[0].json()
    assert ana["subject"] == (
        "pipesheet: 1 overdue follow-up, 1 problem for Ana Lima "
        "(Team pipeline, 2025-09-30)"
    )
    assert [(item["deal_id"], item["code"]) for item in ana["items"]] == [
        ("D-1", "followup-overdue"),
        ("D-2", "missing-required"),
    ]


def test_digest_greets_owner_as_sheet_spells(receiver: WebhookReceiver) -> None:
    notifications = team_notifications(receiver.url, manager_digest_to=None)
    notifications["owners"] = {
        "ana  lima": {"webhooks": ["team-chat"]},
        "BO CHEN": {"webhooks": ["team-chat"]},
    }
    pipeline = build_team_pipeline(notifications)

    send(sync_result(pipeline), pipeline, InMemoryDigestLedger())

    ana, bo = (request.json() for request in receiver.requests)
    assert ana["subject"] == (
        "pipesheet: 1 overdue follow-up, 1 problem for Ana Lima "
        "(Team pipeline, 2025-09-30)"
    )
    assert ana["text"].startswith("pipesheet digest for Ana Lima: Team pipeline")
    assert (
        bo["subject"]
        == "pipesheet: 1 follow-up due soon for Bo Chen (Team pipeline, 2025-09-30)"
    )


SNOOZE_HINT = (
    "To leave a deal's follow-up out of the next digest, put a date in "
    "Snooze Until or mark Acknowledged."
)


@pytest.mark.parametrize(
    ("width", "hinted"),
    [(8, True), (6, False)],
    ids=["sheet-has-columns", "sheet-lacks-columns"],
)
def test_digest_hint_only_for_sheet_columns(
    receiver: WebhookReceiver, pipeline: Pipeline, width: int, hinted: bool
) -> None:
    rows = [row[:width] for row in SHEET_ROWS]

    send(sync_result(pipeline, rows), pipeline, InMemoryDigestLedger())

    text = receiver.requests[0].json()["text"]
    assert (SNOOZE_HINT in text) is hinted
    assert ("Snooze Until" in text) is hinted


def test_sent_digest_recorded_in_ledger(
    receiver: WebhookReceiver, pipeline: Pipeline
) -> None:
    ledger = InMemoryDigestLedger()

    send(sync_result(pipeline), pipeline, ledger)

    ana = ledger.records[0]
    assert (ana.workbook_key, ana.owner, ana.channel) == (
        WORKBOOK,
        "analima",
        "team-chat",
    )
    assert ana.digest_date == AS_OF
    assert ana.sent_at == DUE_NOW
    assert ana.items == {item["id"] for item in receiver.requests[0].json()["items"]}
    assert len(ana.content_hash) == 64


def test_second_call_same_day_sends_nothing(
    receiver: WebhookReceiver, pipeline: Pipeline
) -> None:
    ledger = InMemoryDigestLedger()
    send(sync_result(pipeline), pipeline, ledger)
    later = DUE_NOW + dt.timedelta(hours=3)

    report = send(sync_result(pipeline), pipeline, ledger, later)

    assert [delivery.status for delivery in report.deliveries] == [
        DeliveryStatus.ALREADY_SENT
    ] * 3
    assert len(receiver.requests) == 3


def test_restart_does_not_resend(receiver: WebhookReceiver, pipeline: Pipeline) -> None:
    records: list[SentDigest] = []
    send(sync_result(pipeline), pipeline, InMemoryDigestLedger(records))

    report = send(sync_result(pipeline), pipeline, InMemoryDigestLedger(records))

    assert report.sent == []
    assert len(receiver.requests) == 3


def respelt_rows(first: str, second: str) -> list[list[CellValue]]:
    """Return SHEET_ROWS with Ana Lima's two deals owned by ``first`` and ``second``."""
    header, ana_1, ana_2, *rest = SHEET_ROWS
    return [
        header,
        [*ana_1[:2], first, *ana_1[3:]],
        [*ana_2[:2], second, *ana_2[3:]],
        *rest,
    ]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (("ana lima", "Ana Lima"), ("Ana Lima", "ana lima")),
        (("ana lima", "ana lima"), ("Ana Lima", "Ana Lima")),
        (("Ana Lima", "Ana Lima"), (" ANA  LIMA", "Ana Lima")),
    ],
    ids=["rows-sorted", "case-retyped", "spaces-and-case"],
)
def test_respelt_owner_not_sent_again_same_day(
    receiver: WebhookReceiver,
    pipeline: Pipeline,
    before: tuple[str, str],
    after: tuple[str, str],
) -> None:
    ledger = InMemoryDigestLedger()
    send(sync_result(pipeline, respelt_rows(*before)), pipeline, ledger)
    later = DUE_NOW + dt.timedelta(hours=1)

    report = send(sync_result(pipeline, respelt_rows(*after)), pipeline, ledger, later)

    assert report.sent == []
    assert len(receiver.requests) == 3


def test_respelt_owner_items_old_next_day(
    receiver: WebhookReceiver, pipeline: Pipeline
) -> None:
    ledger = InMemoryDigestLedger()
    send(sync_result(pipeline, respelt_rows("ana lima", "ana lima")), pipeline, ledger)
    rows = respelt_rows("ANA LIMA", "ana  lima")

    send(sync_result(pipeline, rows, NEXT_DAY), pipeline, ledger, NEXT_DAY_NOW)

    ana = receiver.requests[3].json()
    assert ana["owner"] == "Ana Lima"
    assert [item["new"] for item in ana["items"]] == [False, False]


def test_padded_chinese_owner_gets_one_digest(
    receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    owners = {"王芳": {"webhooks": ["team-chat"]}}
    pipeline = build_team_pipeline(
        team_notifications(receiver.url, owners=owners, manager_digest_to=None)
    )
    rows = respelt_rows("王\u3000芳", "王芳")[:3]

    with caplog.at_level(logging.WARNING, logger="sync.notify"):
        report = send(sync_result(pipeline, rows), pipeline, InMemoryDigestLedger())

    assert deliveries_of(report) == [("王芳", "team-chat", DeliveryStatus.SENT)]
    [digest] = [request.json() for request in receiver.requests]
    assert [item["deal_id"] for item in digest["items"]] == ["D-1", "D-2"]
    assert caplog.records == []


def test_next_day_lists_same_items_as_old(
    receiver: WebhookReceiver, pipeline: Pipeline
) -> None:
    ledger = InMemoryDigestLedger()
    send(sync_result(pipeline), pipeline, ledger)

    report = send(sync_result(pipeline, as_of=NEXT_DAY), pipeline, ledger, NEXT_DAY_NOW)

    ana = receiver.requests[3].json()
    assert len(report.sent) == 3
    assert ana["date"] == "2025-10-01"
    assert [item["new"] for item in ana["items"]] == [False, False]
    assert "Still open:" in ana["text"]


def test_new_row_listed_first_next_day(
    receiver: WebhookReceiver, pipeline: Pipeline
) -> None:
    ledger = InMemoryDigestLedger()
    send(sync_result(pipeline), pipeline, ledger)
    new_row = ["D-4", "Orbit", "Ana Lima", "Lead", "Call", dt.date(2025, 9, 30)]

    rows = [*SHEET_ROWS, new_row]
    send(sync_result(pipeline, rows, NEXT_DAY), pipeline, ledger, NEXT_DAY_NOW)

    ana = receiver.requests[3].json()
    assert [(item["deal_id"], item["new"]) for item in ana["items"]] == [
        ("D-4", True),
        ("D-1", False),
        ("D-2", False),
    ]


def test_snoozed_deal_left_out_of_digest(
    receiver: WebhookReceiver, pipeline: Pipeline
) -> None:
    snoozed = [*SHEET_ROWS[1], dt.date(2025, 10, 3)]
    rows = [SHEET_ROWS[0], snoozed, *SHEET_ROWS[2:]]

    send(sync_result(pipeline, rows), pipeline, InMemoryDigestLedger())

    ana = receiver.requests[0].json()
    assert [item["deal_id"] for item in ana["items"]] == ["D-2"]


@pytest.mark.parametrize(
    ("now", "dry_run", "as_of", "reason"),
    [
        (
            dt.datetime(2025, 9, 30, 5, 30, tzinfo=dt.UTC),
            False,
            AS_OF,
            "digests go out from 8:00 Europe/Berlin; the run started at 07:30",
        ),
        (DUE_NOW, True, AS_OF, "a dry run sends no digests"),
        (
            DUE_NOW,
            False,
            dt.date(2025, 9, 29),
            (
                "the run is for 2025-09-29, not for today (2025-09-30 in "
                "Europe/Berlin), and digests go out only with runs for today"
            ),
        ),
    ],
    ids=["before-digest-hour", "dry-run", "replay-of-other-day"],
)
def test_nothing_due_sends_nothing(
    receiver: WebhookReceiver,
    pipeline: Pipeline,
    now: dt.datetime,
    dry_run: bool,
    as_of: dt.date,
    reason: str,
) -> None:
    result = sync_result(pipeline, as_of=as_of, dry_run=dry_run)

    report = send(result, pipeline, InMemoryDigestLedger(), now)

    assert report.skipped == reason
    assert report.deliveries == []
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("now", "dry_run", "as_of", "level"),
    [
        (DUE_NOW, False, dt.date(2025, 9, 29), logging.INFO),
        (DUE_NOW, False, dt.date(2025, 10, 1), logging.INFO),
        (DUE_NOW, True, dt.date(2025, 9, 29), logging.DEBUG),
        (dt.datetime(2025, 9, 30, 5, 30, tzinfo=dt.UTC), False, AS_OF, logging.DEBUG),
    ],
    ids=["earlier-day", "later-day", "dry-run", "before-digest-hour"],
)
def test_skip_reason_log_level(
    receiver: WebhookReceiver,
    pipeline: Pipeline,
    caplog: pytest.LogCaptureFixture,
    now: dt.datetime,
    dry_run: bool,
    as_of: dt.date,
    level: int,
) -> None:
    caplog.set_level(logging.DEBUG, logger="sync.notify.dispatch")
    result = sync_result(pipeline, as_of=as_of, dry_run=dry_run)

    report = send(result, pipeline, InMemoryDigestLedger(), now)

    records = [rec for rec in caplog.records if "not sent" in rec.getMessage()]
    assert [record.levelno for record in records] == [level]
    assert report.skipped is not None
    assert records[0].getMessage().endswith(report.skipped)


def test_definition_without_notifications_sends_nothing() -> None:
    pipeline = build_team_pipeline()

    report = send(sync_result(pipeline), pipeline, InMemoryDigestLedger())

    assert report.skipped == "the definition has no notifications"


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (dt.datetime(2025, 9, 29, 23, 59, tzinfo=dt.UTC), False),
        (dt.datetime(2025, 9, 30, 0, 0, tzinfo=dt.UTC), True),
        (dt.datetime(2025, 9, 30, 15, 59, tzinfo=dt.UTC), True),
    ],
    ids=["07:59-shanghai", "08:00-shanghai", "23:59-shanghai"],
)
def test_digest_hour_in_pipeline_time_zone(
    receiver: WebhookReceiver, now: dt.datetime, due: bool
) -> None:
    pipeline = build_team_pipeline(team_notifications(receiver.url), "Asia/Shanghai")

    report = send(sync_result(pipeline), pipeline, InMemoryDigestLedger(), now)

    assert (len(report.sent) == 3) is due


def test_run_across_midnight_sends_start_day(receiver: WebhookReceiver) -> None:
    pipeline = build_team_pipeline(team_notifications(receiver.url))
    ledger = InMemoryDigestLedger()
    # 23:59:50 in Berlin on AS_OF, and 00:00:05 on the next day.
    started = dt.datetime(2025, 9, 30, 21, 59, 50, tzinfo=dt.UTC)
    ended = dt.datetime(2025, 9, 30, 22, 0, 5, tzinfo=dt.UTC)

    report = send(sync_result(pipeline), pipeline, ledger, ended, run_started=started)

    assert report.skipped is None
    assert len(report.sent) == 3
    assert {delivery.digest_date for delivery in report.sent} == {AS_OF}
    assert {request.json()["date"] for request in receiver.requests} == {"2025-09-30"}
    assert ledger.was_sent(WORKBOOK, "Ana Lima", "team-chat", AS_OF)


def test_digest_hour_read_at_run_start(receiver: WebhookReceiver) -> None:
    # A run started at 07:59 in Berlin, before the digest hour of 8, sends
    # nothing even when it ends after 08:00, as the schedule check assumes.
    pipeline = build_team_pipeline(team_notifications(receiver.url))
    started = dt.datetime(2025, 9, 30, 5, 59, tzinfo=dt.UTC)
    ended = dt.datetime(2025, 9, 30, 6, 0, 30, tzinfo=dt.UTC)

    report = send(
        sync_result(pipeline),
        pipeline,
        InMemoryDigestLedger(),
        ended,
        run_started=started,
    )

    assert report.skipped == (
        "digests go out from 8:00 Europe/Berlin; the run started at 07:59"
    )
    assert receiver.requests == []


def test_digest_without_hour_sent_by_first_run(receiver: WebhookReceiver) -> None:
    notifications = team_notifications(receiver.url)
    del notifications["digest_hour"]
    pipeline = build_team_pipeline(notifications)
    # 06:10 in Berlin: before any usual digest hour, and the day's first run.
    early = dt.datetime(2025, 9, 30, 4, 10, tzinfo=dt.UTC)
    ledger = InMemoryDigestLedger()

    first = send(sync_result(pipeline), pipeline, ledger, early)
    second = send(sync_result(pipeline), pipeline, ledger, DUE_NOW)

    assert first.skipped is None
    assert len(first.sent) == 3
    assert second.sent == []


def test_digest_sent_on_spring_forward_day(receiver: WebhookReceiver) -> None:
    # Berlin skips 02:00-03:00 on 2025-03-30; a digest hour of 2 still fires.
    pipeline = build_team_pipeline(team_notifications(receiver.url, digest_hour=2))
    result = sync_result(pipeline, as_of=dt.date(2025, 3, 30))
    now = dt.datetime(2025, 3, 30, 1, 10, tzinfo=dt.UTC)

    report = send(result, pipeline, InMemoryDigestLedger(), now)

    assert report.skipped is None
    assert len(report.sent) == 2


def test_failing_channel_retried_next_call(
    receiver: WebhookReceiver, pipeline: Pipeline, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = InMemoryDigestLedger()
    receiver.responses.append((500, b"try later"))

    with caplog.at_level(logging.WARNING, logger="sync.notify.dispatch"):
        first = send(sync_result(pipeline), pipeline, ledger)
    retry = send(
        sync_result(pipeline), pipeline, ledger, DUE_NOW + dt.timedelta(hours=1)
    )

    assert deliveries_of(first)[0] == ("Ana Lima", "team-chat", DeliveryStatus.FAILED)
    assert deliveries_of(retry) == [
        ("Ana Lima", "team-chat", DeliveryStatus.SENT),
        ("Bo Chen", "team-chat", DeliveryStatus.ALREADY_SENT),
        (None, "lead-chat", DeliveryStatus.ALREADY_SENT),
    ]
    assert [record.getMessage() for record in caplog.records] == [
        (
            "The digest of 2025-09-30 (2 items) for 'Ana Lima' in "
            "notifications.owners was not sent through generic webhook channel "
            f"'team-chat'. Posting to {LOOPBACK} failed: HTTP 500 Internal Server "
            "Error: 'try later'. A later run on 2025-09-30 sends it again. From "
            "2025-10-01, that day's digest replaces it and lists the items that are "
            "still open."
        )
    ]


def test_recovered_channel_lists_items_as_new(receiver: WebhookReceiver) -> None:
    notifications = team_notifications(receiver.url, manager_digest_to=None)
    notifications["owners"]["Ana Lima"] = {"webhooks": ["team-chat", "ana-chat"]}
    notifications["channels"].append(
        {"kind": "webhook", "id": "ana-chat", "url": f"{receiver.url}/ana"}
    )
    pipeline = build_team_pipeline(notifications)
    ledger = InMemoryDigestLedger()
    receiver.responses += [(200, b"ok"), (500, b"try later")]
    send(sync_result(pipeline), pipeline, ledger)

    send(sync_result(pipeline, as_of=NEXT_DAY), pipeline, ledger, NEXT_DAY_NOW)

    ana_next_day = {
        request.path: request.json()
        for request in receiver.requests[3:]
        if request.json()["owner"] == "Ana Lima"
    }
    team_items = ana_next_day["/team"]["items"]
    ana_items = ana_next_day["/ana"]["items"]
    assert [item["new"] for item in team_items] == [False, False]
    assert [item["new"] for item in ana_items] == [True, True]
    assert "Still open:" not in ana_next_day["/ana"]["text"]


def sent_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [
        (record.levelno, record.getMessage().split(" kind=")[0])
        for record in caplog.records
        if record.getMessage().startswith("digest sent ")
    ]


def test_sent_digest_logged_by_entry(
    receiver: WebhookReceiver, pipeline: Pipeline, caplog: pytest.LogCaptureFixture
) -> None:
    rows = respelt_rows("ana lima", "ANA LIMA")

    with caplog.at_level(logging.DEBUG, logger="sync.notify.dispatch"):
        send(sync_result(pipeline, rows), pipeline, InMemoryDigestLedger())

    assert [line for line in sent_lines(caplog) if line[0] == logging.INFO] == [
        (logging.INFO, "digest sent entry='Ana Lima' channel=team-chat"),
        (logging.INFO, "digest sent entry='Bo Chen' channel=team-chat"),
        (logging.INFO, "digest sent entry=manager_digest_to channel=lead-chat"),
    ]
    assert "ana lima" not in caplog.text
    assert "ANA LIMA" not in caplog.text


class CatchAllSender:
    """A channel that takes every digest, as an e-mail channel with 'to' does."""

    channel_id = "team-inbox"
    kind = "test"

    def serves(self, contact: OwnerContact | None) -> bool:
        return True

    def send(
        self, digest: OwnerDigest, contact: OwnerContact | None, now: dt.datetime
    ) -> None:
        return None


def test_owner_without_entry_named_at_debug_only(
    receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    notifications = team_notifications(receiver.url, manager_digest_to=None)
    del notifications["owners"]["Bo Chen"]
    pipeline = build_team_pipeline(notifications)

    with caplog.at_level(logging.DEBUG, logger="sync.notify.dispatch"):
        send(
            sync_result(pipeline),
            pipeline,
            InMemoryDigestLedger(),
            channels=[CatchAllSender()],
        )

    assert sent_lines(caplog) == [
        (logging.DEBUG, "digest sent for owner 'Ana Lima' on channel team-inbox"),
        (logging.INFO, "digest sent entry='Ana Lima' channel=team-inbox"),
        (logging.DEBUG, "digest sent for owner 'Bo Chen' on channel team-inbox"),
        (logging.INFO, "digest sent entry=none channel=team-inbox"),
    ]


def test_refused_connection_reported_not_raised(receiver: WebhookReceiver) -> None:
    closed = f"http://{LOOPBACK}:{closed_loopback_port()}"
    notifications = team_notifications(receiver.url)
    notifications["channels"][0]["url"] = f"{closed}/team"
    pipeline = build_team_pipeline(notifications)

    report = send(sync_result(pipeline), pipeline, InMemoryDigestLedger())

    assert [delivery.owner for delivery in report.failed] == ["Ana Lima", "Bo Chen"]
    assert report.failed[0].error == (
        f"channel 'team-chat': posting to {LOOPBACK} failed: the connection was "
        "refused, so no server listens at that address and port; check the "
        "channel's url, and that the receiver runs"
    )
    assert [delivery.owner for delivery in report.sent] == [None]


def test_silent_smtp_server_tried_once_per_run(
    receiver: WebhookReceiver,
    silent_server: SilentServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    notifications = team_notifications(receiver.url)
    notifications["owners"]["Ana Lima"] = {"email": "ana.lima@example.com"}
    notifications["owners"]["Bo Chen"] = {"email": "bo.chen@example.com"}
    notifications["channels"].append(
        {
            "kind": "email",
            "smtp_host": LOOPBACK,
            "smtp_port": silent_server.port,
            "starttls": False,
            "from_address": "pipesheet@example.com",
        }
    )
    pipeline = build_team_pipeline(notifications)
    assert pipeline.notifications is not None
    email = pipeline.notifications.channels[2]
    senders = [EmailSender(email, {}, timeout=0.2)]  # type: ignore[arg-type]
    ledger = InMemoryDigestLedger()

    with caplog.at_level(logging.WARNING, logger="sync.notify.dispatch"):
        first = send(sync_result(pipeline), pipeline, ledger, channels=senders)
    retry = send(sync_result(pipeline), pipeline, ledger, channels=senders)

    error = (
        f"channel 'email': sending the digest through {LOOPBACK}:"
        f"{silent_server.port} failed: timed out after 0.2 s without a reply from "
        "the server"
    )
    assert [delivery.owner for delivery in first.failed] == ["Ana Lima", "Bo Chen"]
    assert [delivery.error for delivery in first.failed] == [error, error]
    assert [delivery.owner for delivery in retry.failed] == ["Ana Lima", "Bo Chen"]
    assert len(silent_server.connections) == 2
    assert caplog.records[1].getMessage() == (
        "The digest of 2025-09-30 (1 item) for 'Bo Chen' in notifications.owners "
        "was not sent through e-mail channel 'email'. It was not tried, because "
        "the channel failed for an earlier digest of this run. Sending the digest "
        f"through {LOOPBACK}:{silent_server.port} failed: timed out after 0.2 s "
        "without a reply from the server. A later run on 2025-09-30 sends it "
        "again. From 2025-10-01, that day's digest replaces it and lists the items "
        "that are still open."
    )


def test_refused_smtp_connection_warned_as_sentence(
    receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    port = closed_loopback_port()
    notifications = team_notifications(receiver.url)
    notifications["owners"] = {"ana  lima": {"email": "ana.lima@example.com"}}
    notifications["manager_digest_to"] = {"email": "lead@example.com"}
    notifications["channels"] = [
        {
            "kind": "email",
            "smtp_host": LOOPBACK,
            "smtp_port": port,
            "starttls": False,
            "from_address": "pipesheet@example.com",
        }
    ]
    pipeline = build_team_pipeline(notifications)

    with caplog.at_level(logging.WARNING, logger="sync.notify.dispatch"):
        report = send(sync_result(pipeline), pipeline, InMemoryDigestLedger())

    refused = (
        f"Sending the digest through {LOOPBACK}:{port} failed: the connection was "
        "refused, so no server listens at that address and port; check smtp_host "
        "and smtp_port of the channel, and that the mail server runs."
    )
    assert [delivery.owner for delivery in report.failed] == [
        "ana  lima",
        None,
    ]
    assert [record.getMessage() for record in caplog.records] == [
        (
            "The digest of 2025-09-30 (2 items) for 'ana  lima' in "
            "notifications.owners was not sent through e-mail channel 'email'. "
            f"{refused} {RETRY_SENTENCE}"
        ),
        (
            "The digest of 2025-09-30 (3 items) for the manager "
            "(notifications.manager_digest_to) was not sent through e-mail channel "
            "'email'. It was not tried, because the channel failed for an earlier "
            f"digest of this run. {refused} {RETRY_SENTENCE}"
        ),
    ]


def email_notifications(receiver_url: str, smtp_port: int) -> dict[str, Any]:
    notifications = team_notifications(receiver_url, manager_digest_to=None)
    notifications["owners"]["Ana Lima"] = {"email": "ana.lima@example.com"}
    notifications["owners"]["Bo Chen"] = {"email": "bo.chen@example.com"}
    notifications["channels"] = [
        {
            "kind": "email",
            "smtp_host": LOOPBACK,
            "smtp_port": smtp_port,
            "from_address": "pipesheet@example.com",
            "username_env": "SMTP_USER",
            "password_env": "SMTP_PASSWORD",
        }
    ]
    return notifications


def email_senders(pipeline: Pipeline, tls: ssl.SSLContext) -> list[DigestSender]:
    assert pipeline.notifications is not None
    (channel,) = pipeline.notifications.channels
    environ = {"SMTP_USER": "pipesheet", "SMTP_PASSWORD": "s3cret-pass"}
    return [EmailSender(channel, environ, ssl_context=tls)]  # type: ignore[arg-type]


def test_refused_address_does_not_stop_channel(
    receiver: WebhookReceiver,
    smtp_server: LoopbackSmtpServer,
    client_tls: ssl.SSLContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    smtp_server.mailbox.refused = {"ana.lima@example.com"}
    pipeline = build_team_pipeline(email_notifications(receiver.url, smtp_server.port))
    senders = email_senders(pipeline, client_tls)

    with caplog.at_level(logging.WARNING, logger="sync.notify.dispatch"):
        report = send(
            sync_result(pipeline), pipeline, InMemoryDigestLedger(), channels=senders
        )

    assert deliveries_of(report) == [
        ("Ana Lima", "email", DeliveryStatus.FAILED),
        ("Bo Chen", "email", DeliveryStatus.SENT),
    ]
    assert smtp_server.mailbox.envelopes[0].rcpt_tos == ["bo.chen@example.com"]
    assert [
        record.getMessage()
        for record in caplog.records
        if record.name == "sync.notify.dispatch"
    ] == [
        (
            "The digest of 2025-09-30 (2 items) for 'Ana Lima' in "
            "notifications.owners was not sent through e-mail channel 'email'. "
            f"Sending the digest through {LOOPBACK}:{smtp_server.port} failed: the "
            "server refused recipient 'ana.lima@example.com' (550 5.1.1 mailbox "
            "unavailable); correct notifications.owners['Ana Lima'].email. Later "
            "runs try again, and fail the same way until this is fixed."
        )
    ]


def test_wrong_password_tried_once_per_run(
    receiver: WebhookReceiver,
    smtp_server: LoopbackSmtpServer,
    client_tls: ssl.SSLContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    smtp_server.password = "changed-pass"
    pipeline = build_team_pipeline(email_notifications(receiver.url, smtp_server.port))
    senders = email_senders(pipeline, client_tls)

    with caplog.at_level(logging.WARNING, logger="sync.notify.dispatch"):
        report = send(
            sync_result(pipeline), pipeline, InMemoryDigestLedger(), channels=senders
        )

    warnings = [
        record.getMessage()
        for record in caplog.records
        if record.name == "sync.notify.dispatch"
    ]
    assert [delivery.owner for delivery in report.failed] == ["Ana Lima", "Bo Chen"]
    assert len(warnings) == 2
    assert "535 5.7.8 Authentication credentials invalid" in warnings[1]
    assert "It was not tried, because the channel failed" in warnings[1]


def test_http_error_does_not_stop_channel(
    receiver: WebhookReceiver, pipeline: Pipeline
) -> None:
    receiver.responses.append((500, b"try later"))

    report = send(sync_result(pipeline), pipeline, InMemoryDigestLedger())

    assert deliveries_of(report) == [
        ("Ana Lima", "team-chat", DeliveryStatus.FAILED),
        ("Bo Chen", "team-chat", DeliveryStatus.SENT),
        (None, "lead-chat", DeliveryStatus.SENT),
    ]


def test_refused_webhook_tried_once_per_run(receiver: WebhookReceiver) -> None:
    closed = f"http://{LOOPBACK}:{closed_loopback_port()}"
    notifications = team_notifications(receiver.url)
    notifications["channels"][0]["url"] = f"{closed}/team"
    notifications["channels"][1]["url"] = f"{closed}/lead"
    pipeline = build_team_pipeline(notifications)

    report = send(sync_result(pipeline), pipeline, InMemoryDigestLedger())

    assert [delivery.owner for delivery in report.failed] == [
        "Ana Lima",
        "Bo Chen",
        None,
    ]
    assert report.failed[1].error == report.failed[0].error


def test_missing_secret_fails_only_that_channel(
    receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    notifications = team_notifications(receiver.url)
    notifications["channels"][0] |= {"format": "dingtalk", "secret_env": "DING_SECRET"}
    pipeline = build_team_pipeline(notifications)

    report = send(sync_result(pipeline), pipeline, InMemoryDigestLedger())

    assert len(report.failed) == 2
    assert report.failed[0].kind == "webhook/dingtalk"
    assert report.failed[0].error == (
        "channel 'team-chat': the environment variable 'DING_SECRET' is not set "
        "or is empty; set it in the environment of the pipesheet service, or "
        "remove it from the channel in the definition"
    )
    assert len(report.sent) == 1


def test_secrets_and_tokens_never_logged(
    receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    notifications = team_notifications(receiver.url)
    notifications["channels"][0] |= {
        "url": f"{receiver.url}/robot/send?access_token=tok-4f2a",
        "format": "dingtalk",
        "secret_env": "DING_SECRET",
    }
    pipeline = build_team_pipeline(notifications)
    receiver.responses += [(500, b"boom"), (200, b'{"errcode": 310000}')]

    with caplog.at_level(logging.DEBUG):
        send(
            sync_result(pipeline),
            pipeline,
            InMemoryDigestLedger(),
            environ={"DING_SECRET": "SEC-very-secret"},
        )

    assert len(caplog.records) > 2
    assert "SEC-very-secret" not in caplog.text
    assert "tok-4f2a" not in caplog.text


def test_email_and_webhook_channels_together(
    receiver: WebhookReceiver,
    smtp_server: LoopbackSmtpServer,
    client_tls: ssl.SSLContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    notifications = team_notifications(receiver.url)
    notifications["owners"]["Ana Lima"]["email"] = "ana.lima@example.com"
    notifications["channels"].append(
        {
            "kind": "email",
            "smtp_host": LOOPBACK,
            "smtp_port": smtp_server.port,
            "from_address": "pipesheet@example.com",
            "username_env": "SMTP_USER",
            "password_env": "SMTP_PASSWORD",
        }
    )
    pipeline = build_team_pipeline(notifications)
    assert pipeline.notifications is not None
    team_chat, lead_chat, email = pipeline.notifications.channels
    environ = {"SMTP_USER": "pipesheet", "SMTP_PASSWORD": "s3cret-pass"}
    senders = [
        WebhookSender(team_chat, environ),  # type: ignore[arg-type]
        EmailSender(email, environ, ssl_context=client_tls),  # type: ignore[arg-type]
    ]

    with caplog.at_level(logging.DEBUG):
        report = send(
            sync_result(pipeline), pipeline, InMemoryDigestLedger(), channels=senders
        )

    assert deliveries_of(report) == [
        ("Ana Lima", "team-chat", DeliveryStatus.SENT),
        ("Ana Lima", "email", DeliveryStatus.SENT),
        ("Bo Chen", "team-chat", DeliveryStatus.SENT),
    ]
    assert smtp_server.mailbox.envelopes[0].rcpt_tos == ["ana.lima@example.com"]
    assert "s3cret-pass" not in caplog.text


def test_owner_without_contact_gets_no_digest(receiver: WebhookReceiver) -> None:
    # tests/sync/notify/test_owner_entries.py tests the warning of every run.
    notifications = team_notifications(receiver.url)
    del notifications["owners"]["Bo Chen"]
    pipeline = build_team_pipeline(notifications)

    report = send(sync_result(pipeline), pipeline, InMemoryDigestLedger())

    assert [delivery.owner for delivery in report.sent] == [
        "Ana Lima",
        None,
    ]


def test_owner_without_contact_quiet_with_email_to(
    smtp_server: LoopbackSmtpServer,
    client_tls: ssl.SSLContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    channel = {
        "kind": "email",
        "smtp_host": LOOPBACK,
        "smtp_port": smtp_server.port,
        "from_address": "pipesheet@example.com",
        "to": ["sales-lead@example.com"],
    }
    notifications = {"owners": {}, "channels": [channel]}
    pipeline = build_team_pipeline(notifications)
    assert pipeline.notifications is not None
    email = pipeline.notifications.channels[0]
    senders = [EmailSender(email, {}, ssl_context=client_tls)]  # type: ignore[arg-type]

    with caplog.at_level(logging.INFO, logger="sync.notify"):
        report = send(
            sync_result(pipeline), pipeline, InMemoryDigestLedger(), channels=senders
        )

    assert [delivery.owner for delivery in report.sent] == ["Ana Lima", "Bo Chen"]
    assert "no entry in notifications.owners" not in caplog.text


BLANK_OWNER_ROWS: list[list[CellValue]] = [
    *SHEET_ROWS,
    ["D-4", "Orbit", None, "Lead", "Call", dt.date(2025, 9, 1)],
    ["D-5", None, "  ", "Qualified", "Demo", dt.date(2025, 9, 2)],
]


def test_blank_owner_items_warned_once(
    receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    notifications = team_notifications(receiver.url, manager_digest_to=None)
    pipeline = build_team_pipeline(notifications)

    with caplog.at_level(logging.WARNING, logger="sync.notify"):
        send(sync_result(pipeline, BLANK_OWNER_ROWS), pipeline, InMemoryDigestLedger())

    # D-4 has an overdue follow-up. D-5 has one too, and a missing account.
    assert [record.getMessage() for record in caplog.records] == [
        (
            "digests: 3 digest items (follow-ups and problems) on 2 rows of tab "
            "'Deals' in Team.xlsx with a blank 'Owner' cell reach no one, because "
            "notifications.manager_digest_to is not set. Fill in the owners in "
            "the sheet, or set notifications.manager_digest_to in the definition."
        )
    ]


def test_blank_owner_items_warned_once_a_day(
    receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    notifications = team_notifications(receiver.url, manager_digest_to=None)
    pipeline = build_team_pipeline(notifications)
    ledger = InMemoryDigestLedger()
    later = DUE_NOW + dt.timedelta(hours=1)

    with caplog.at_level(logging.WARNING, logger="sync.notify"):
        for now in (DUE_NOW, later):
            send(sync_result(pipeline, BLANK_OWNER_ROWS), pipeline, ledger, now)
        same_day = len(caplog.records)
        next_day = sync_result(pipeline, BLANK_OWNER_ROWS, NEXT_DAY)
        send(next_day, pipeline, ledger, NEXT_DAY_NOW)

    assert same_day == 1
    assert len(caplog.records) == 2
    assert "with a blank 'Owner' cell reach no one" in caplog.records[1].getMessage()


def test_unmapped_owner_column_warned(
    receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    notifications = team_notifications(receiver.url, manager_digest_to=None)
    pipeline = build_team_pipeline(notifications)
    columns = {k: v for k, v in pipeline.columns.items() if k != "owner"}
    pipeline = pipeline.model_copy(update={"columns": columns})
    rows = [row[:2] + row[3:] for row in SHEET_ROWS[:2]]

    with caplog.at_level(logging.WARNING, logger="sync.notify"):
        send(sync_result(pipeline, rows), pipeline, InMemoryDigestLedger())

    assert [record.getMessage() for record in caplog.records] == [
        (
            "digests: 1 digest item (follow-ups and problems) on 1 row of tab "
            "'Deals' in Team.xlsx reaches no one, because the definition maps no "
            "owner column and notifications.manager_digest_to is not set. Add "
            "columns.owner to the definition, or set "
            "notifications.manager_digest_to in the definition."
        )
    ]


def test_blank_owner_items_quiet_with_manager(
    receiver: WebhookReceiver, pipeline: Pipeline, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="sync.notify"):
        report = send(
            sync_result(pipeline, BLANK_OWNER_ROWS), pipeline, InMemoryDigestLedger()
        )

    assert None in [delivery.owner for delivery in report.sent]
    assert caplog.records == []


class BrokenLedger(InMemoryDigestLedger):
    """A ledger whose database fails on the named operation."""

    def __init__(self, failing: str) -> None:
        super().__init__()
        self.failing = failing

    def sent_items(self, workbook_key: str, owner: str, channel: str) -> set[str]:
        self._fail_if("sent_items")
        return super().sent_items(workbook_key, owner, channel)

    def record_sent(self, *args: Any, **kwargs: Any) -> None:
        self._fail_if("record_sent")
        super().record_sent(*args, **kwargs)

    def _fail_if(self, operation: str) -> None:
        if operation == self.failing:
            raise ConnectionError("database is locked")


def test_unreadable_ledger_sends_nothing(
    receiver: WebhookReceiver, pipeline: Pipeline, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="sync.notify.dispatch"):
        report = send(sync_result(pipeline), pipeline, BrokenLedger("sent_items"))

    assert report.skipped == (
        "reading sent digests failed: ConnectionError: database is locked"
    )
    assert [record.getMessage() for record in caplog.records] == [
        (
            "No digest of workbook 'Team.xlsx' was sent, because reading the record "
            "of sent digests in the state database failed: ConnectionError: "
            "database is locked. A later run of the same day tries again."
        )
    ]
    assert receiver.requests == []


def test_unrecorded_send_logged_as_error(
    receiver: WebhookReceiver, pipeline: Pipeline, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="sync.notify.dispatch"):
        report = send(sync_result(pipeline), pipeline, BrokenLedger("record_sent"))

    assert len(report.sent) == 3
    assert caplog.records[0].getMessage() == (
        "The digest of 2025-09-30 for 'Ana Lima' in notifications.owners was sent "
        "through channel 'team-chat', but recording it in the state database "
        "failed: ConnectionError: database is locked. A later run on 2025-09-30 "
        "may send it again."
    )


def test_naive_now_rejected(pipeline: Pipeline) -> None:
    naive = dt.datetime(2025, 9, 30, 8, 30)

    with pytest.raises(ValueError, match="naive datetime"):
        send(sync_result(pipeline), pipeline, InMemoryDigestLedger(), naive)
