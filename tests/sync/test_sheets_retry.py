"""Tests of bounded retries: the retry loop alone, then error storms on the fake API.

Waits go to a fake clock, so no test sleeps and none depends on timing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from gspread.exceptions import APIError

from config.errors import QuotaExceededError, SourceError
from rules.grid import CellValue
from sync import interrupts
from sync.interrupts import WriteProgress
from sync.run import RunResult, run_sync
from sync.sources.sheets_retry import (
    AmbiguousWriteError,
    RetryPolicy,
    SheetsCaller,
    SheetsRequestError,
)
from sync.sources.sheets_state import GENERATED_TAB_KEY, WRITE_MARKER_KEY
from tests.fake_sheets import FakeSheets
from tests.fake_sheets.exchange import ApiRequest
from tests.sync.fake_spreadsheets import (
    DEALS_HEADER,
    SERVICE_ACCOUNT,
    FakeClock,
    make_pipeline,
    open_spreadsheet,
    upload_workbook,
    write_key_file,
)

AS_OF = dt.date(2025, 9, 10)
DEALS: list[list[CellValue]] = [
    DEALS_HEADER,
    ["D-1", "Acme", "Lead", 1000, None],
    ["D-2", None, "Proposal", 5000, None],
]
GENERATED_TABS = ["Funnel", "Follow-ups", "Problems", "Definitions"]


class MaxJitter(random.Random):
    """A random source whose ``uniform`` returns the upper bound, for exact waits."""

    def uniform(self, a: float, b: float) -> float:
        return b


def api_error(
    status: int,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> APIError:
    """Return the error gspread raises for a response with ``status``."""
    response = requests.Response()
    response.status_code = status
    error = {"code": status, "message": f"Error {status}.", "status": "X"}
    response._content = json.dumps(body or {"error": error}).encode()
    response.headers.update(headers or {})
    return APIError(response)


def failing(*errors: Exception, result: str = "done") -> Callable[[], str]:
    """Return a request that raises each error in turn, then returns ``result``."""
    pending = list(errors)

    def send() -> str:
        if pending:
            raise pending.pop(0)
        return result

    return send


def make_caller(clock: FakeClock, **policy: Any) -> SheetsCaller:
    return SheetsCaller(
        workbook="spreadsheet 'Pipeline'",
        policy=RetryPolicy(**policy),
        clock=clock,
        random_source=MaxJitter(),
    )


# The retry loop.


def test_read_retried_until_success() -> None:
    clock = FakeClock()
    caller = make_caller(clock)

    result = caller.read("values.batchGet", failing(api_error(503), api_error(500)))

    assert result == "done"
    assert caller.counts.reads == 3
    assert clock.sleeps == [1.0, 2.0]


def test_waits_double_up_to_cap() -> None:
    clock = FakeClock()
    caller = make_caller(clock, max_delay=8.0)
    errors = [api_error(503) for _ in range(6)]

    caller.read("values.batchGet", failing(*errors))

    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_full_jitter_stays_under_cap() -> None:
    clock = FakeClock()
    caller = SheetsCaller(workbook="w", clock=clock, random_source=random.Random(7))
    errors = [api_error(503) for _ in range(5)]

    caller.read("values.batchGet", failing(*errors))

    caps = [1.0, 2.0, 4.0, 8.0, 16.0]
    assert all(0 <= wait <= cap for wait, cap in zip(clock.sleeps, caps, strict=True))


@pytest.mark.parametrize(
    ("error", "wait"),
    [
        (api_error(429, headers={"Retry-After": "7"}), 7.0),
        (
            api_error(
                429,
                body={
                    "error": {
                        "code": 429,
                        "message": "Quota exceeded.",
                        "status": "RESOURCE_EXHAUSTED",
                        "details": [
                            {
                                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                                "retryDelay": "12s",
                            }
                        ],
                    }
                },
            ),
            12.0,
        ),
        (
            api_error(
                503,
                headers={
                    "Retry-After": "Wed, 10 Sep 2025 08:00:30 GMT",
                    "Date": "Wed, 10 Sep 2025 08:00:00 GMT",
                },
            ),
            30.0,
        ),
    ],
    ids=["retry-after-seconds", "retry-info", "retry-after-date"],
)
def test_requested_wait_is_honoured(error: APIError, wait: float) -> None:
    clock = FakeClock()
    caller = make_caller(clock)

    caller.read("values.batchGet", failing(error))

    assert clock.sleeps == [wait]


def test_quota_past_deadline_raises_quota_error() -> None:
    clock = FakeClock()
    caller = make_caller(clock, deadline_seconds=60.0)
    errors = [api_error(429) for _ in range(20)]

    with pytest.raises(QuotaExceededError) as raised:
        caller.read("values.batchGet", failing(*errors))

    assert str(raised.value) == (
        "Google Sheets kept rejecting requests to spreadsheet 'Pipeline' for quota "
        "(HTTP 429 X) after 6 attempts of values.batchGet within the 60 s retry "
        "deadline. Nothing more was written. Run again (a scheduled run retries "
        "by itself). If this repeats, run pipesheet less often or give each "
        "worker its own service account."
    )
    assert sum(clock.sleeps) <= 60.0


def test_long_requested_wait_named() -> None:
    clock = FakeClock()
    caller = make_caller(clock)
    error = api_error(429, headers={"Retry-After": "3600"})

    with pytest.raises(QuotaExceededError) as raised:
        caller.read("spreadsheets.get", failing(error))

    assert str(raised.value) == (
        "Google Sheets asked pipesheet to wait 3,600 s before sending "
        "spreadsheets.get to spreadsheet 'Pipeline' again (HTTP 429 X), which is "
        "past the 180 s retry deadline. Nothing more was written. Run again (a "
        "scheduled run retries by itself). If this repeats, run pipesheet less "
        "often or give each worker its own service account."
    )
    assert clock.sleeps == []


def test_long_requested_wait_on_server_error() -> None:
    caller = make_caller(FakeClock())
    error = api_error(503, headers={"Retry-After": "600"})

    with pytest.raises(SourceError) as raised:
        caller.read("spreadsheets.get", failing(error))

    assert str(raised.value) == (
        "Google Sheets asked pipesheet to wait 600 s before sending "
        "spreadsheets.get to spreadsheet 'Pipeline' again (HTTP 503 X), which is "
        "past the 180 s retry deadline. Nothing more was written. Run again after "
        "that wait (a scheduled run retries by itself)."
    )


def test_quota_after_one_attempt_singular() -> None:
    caller = make_caller(FakeClock(), deadline_seconds=0.9)

    with pytest.raises(QuotaExceededError) as raised:
        caller.read("values.batchGet", failing(api_error(429)))

    assert str(raised.value).startswith(
        "Google Sheets rejected a request to spreadsheet 'Pipeline' for quota "
        "(HTTP 429 X) after 1 attempt of values.batchGet within the 1 s retry "
    )


def test_server_errors_past_deadline_raise() -> None:
    clock = FakeClock()
    caller = make_caller(clock, deadline_seconds=10.0)
    errors = [api_error(503) for _ in range(20)]

    with pytest.raises(SourceError) as raised:
        caller.read("spreadsheets.get", failing(*errors))

    assert str(raised.value) == (
        "Google Sheets did not complete spreadsheets.get on spreadsheet 'Pipeline' "
        "after 4 attempts within the 10 s retry deadline (last failure: HTTP 503 "
        "X). Nothing more was written. Run again (a scheduled run retries by "
        "itself). Check the network, or "
        "https://www.google.com/appsstatus."
    )
    assert clock.sleeps == [1.0, 2.0, 4.0]


SERVER_ERRORS_MESSAGE = (
    "Google Sheets did not complete spreadsheets.get on spreadsheet 'Pipeline' "
    "after 4 attempts within the 10 s retry deadline (last failure: HTTP 500 X). "
    "Nothing more was written. Run again (a scheduled run retries by itself). "
    "Check the network, or "
    "https://www.google.com/appsstatus. A 500 on every attempt can also mean "
    "that {account} lost its access or became a Viewer, also through a shared "
    "drive's members. Check that the spreadsheet's Share dialog still lists it "
    "as Editor; 'pipesheet doctor' prints that address and tests access."
)


def test_internal_errors_name_lost_access() -> None:
    caller = make_caller(FakeClock(), deadline_seconds=10.0)
    errors = [api_error(500) for _ in range(20)]

    with pytest.raises(SourceError) as raised:
        caller.read("spreadsheets.get", failing(*errors))

    account = "the service account (client_email in its JSON key file)"
    assert str(raised.value) == SERVER_ERRORS_MESSAGE.format(account=account)


def test_internal_errors_name_account_email() -> None:
    caller = make_caller(FakeClock(), deadline_seconds=10.0)
    caller.account_email = "sync@team.iam.gserviceaccount.com"
    errors = [api_error(500) for _ in range(20)]

    with pytest.raises(SourceError) as raised:
        caller.read("spreadsheets.get", failing(*errors))

    account = "the service account sync@team.iam.gserviceaccount.com"
    assert str(raised.value) == SERVER_ERRORS_MESSAGE.format(account=account)


def test_attempts_are_bounded() -> None:
    clock = FakeClock()
    caller = make_caller(clock, max_attempts=3, deadline_seconds=1000.0)
    errors = [api_error(500) for _ in range(5)]

    with pytest.raises(SourceError):
        caller.read("values.batchGet", failing(*errors))

    assert caller.counts.reads == 3


def test_quota_retries_bounded_by_deadline_only() -> None:
    clock = FakeClock()
    caller = make_caller(clock, max_attempts=3, deadline_seconds=1000.0)
    errors = [api_error(429) for _ in range(5)]

    result = caller.read("values.batchGet", failing(*errors))

    assert result == "done"
    assert caller.counts.reads == 6


def test_deadline_is_shared_by_requests() -> None:
    clock = FakeClock()
    caller = make_caller(clock, deadline_seconds=10.0)
    caller.read("spreadsheets.get", failing(*[api_error(503) for _ in range(3)]))

    with pytest.raises(SourceError):
        caller.read("values.batchGet", failing(*[api_error(503) for _ in range(3)]))

    assert clock.sleeps == [1.0, 2.0, 4.0, 1.0, 2.0]


@pytest.mark.parametrize("status", [400, 403, 404], ids=["400", "403", "404"])
def test_client_errors_are_not_retried(status: int) -> None:
    clock = FakeClock()
    caller = make_caller(clock)

    with pytest.raises(SheetsRequestError) as raised:
        caller.read("spreadsheets.get", failing(api_error(status)))

    assert raised.value.status == status
    assert caller.counts.reads == 1


@pytest.mark.parametrize(
    "error",
    [api_error(500), api_error(503), requests.exceptions.ReadTimeout("slow")],
    ids=["500", "503", "read-timeout"],
)
def test_ambiguous_write_is_not_retried(error: Exception) -> None:
    clock = FakeClock()
    caller = make_caller(clock)

    with pytest.raises(AmbiguousWriteError):
        caller.write("spreadsheets.batchUpdate", failing(error), idempotent=False)

    assert caller.counts.writes == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "error",
    [api_error(429), requests.exceptions.ConnectTimeout("no route")],
    ids=["quota", "connect-timeout"],
)
def test_unsent_write_is_retried(error: Exception) -> None:
    clock = FakeClock()
    caller = make_caller(clock)

    result = caller.write("spreadsheets.batchUpdate", failing(error), idempotent=False)

    assert result == "done"
    assert caller.counts.writes == 2


def test_idempotent_write_is_retried() -> None:
    caller = make_caller(FakeClock())

    caller.write("values.batchUpdate", failing(api_error(500)), idempotent=True)

    assert caller.counts.writes == 2


def test_connection_error_on_read_is_retried() -> None:
    caller = make_caller(FakeClock())

    caller.read(
        "values.batchGet", failing(requests.exceptions.ConnectionError("reset"))
    )

    assert caller.counts.reads == 2


def refused_connection() -> tuple[int, requests.RequestException]:
    """Return a loopback port nothing listens on, and requests' error for it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v4/spreadsheets/x?fields=" + "sheets%2C" * 80
    try:
        requests.get(url, timeout=5)
    except requests.RequestException as error:
        return port, error
    raise AssertionError(f"port {port} answered")


def test_unreachable_server_named_by_host() -> None:
    port, error = refused_connection()
    caller = make_caller(FakeClock(), max_attempts=2)

    with pytest.raises(SourceError) as raised:
        caller.read("spreadsheets.get", failing(error, error))

    assert str(raised.value) == (
        "Google Sheets did not complete spreadsheets.get on spreadsheet 'Pipeline' "
        "after 2 attempts within the 180 s retry deadline (last failure: "
        f"connection to 127.0.0.1:{port} failed: Connection refused). Nothing "
        "more was written. Run again (a scheduled run retries by itself). Check "
        "the network, or "
        "https://www.google.com/appsstatus."
    )


def test_each_retry_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caller = make_caller(FakeClock())

    with caplog.at_level(logging.WARNING, logger="sync.sources.sheets_retry"):
        caller.read("values.batchGet", failing(api_error(503)))

    assert caplog.messages == [
        (
            "Google Sheets values.batchGet on spreadsheet 'Pipeline' failed (HTTP 503 "
            "X); retry 1 in 1.0 s"
        )
    ]


# Error storms on the fake API, through a whole run.


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    served = FakeSheets()
    with served.responses():
        yield served


@pytest.fixture
def deals(fake: FakeSheets) -> str:
    return upload_workbook(fake, "Pipeline", {"Deals": DEALS})


def sync(fake: FakeSheets, spreadsheet_id: str, clock: FakeClock) -> RunResult:
    pipeline = make_pipeline(spreadsheet_id)
    source = open_spreadsheet(spreadsheet_id, pipeline=pipeline, clock=clock)
    return run_sync(pipeline, source, AS_OF)


def is_batch_update(request: ApiRequest) -> bool:
    return request.operation == "spreadsheets.batchUpdate"


def is_read(request: ApiRequest) -> bool:
    return request.quota == "read"


def written_once(fake: FakeSheets, spreadsheet_id: str) -> None:
    """Assert the generated tabs, their objects and the statuses exist exactly once."""
    spreadsheet = fake.spreadsheet(spreadsheet_id)
    assert [sheet.title for sheet in spreadsheet.sheets] == ["Deals", *GENERATED_TABS]
    assert len(spreadsheet.sheets[1].charts) == 1
    assert [len(sheet.protected_ranges) for sheet in spreadsheet.sheets] == [
        0,
        1,
        1,
        1,
        1,
    ]
    assert len(spreadsheet.sheets[0].conditional_formats) == 2
    keys = [item["metadataKey"] for item in spreadsheet.developer_metadata]
    assert sorted(keys) == [GENERATED_TAB_KEY] * 4 + [WRITE_MARKER_KEY]
    assert fake.read(spreadsheet_id, "Deals!F2:F3") == [
        ["OK"],
        ["ERROR: missing Account"],
    ]


def operations(fake: FakeSheets) -> list[str]:
    return [request.operation for request in fake.requests]


def test_503_storm_on_reads_then_success(fake: FakeSheets, deals: str) -> None:
    clock = FakeClock()
    fake.faults.fail_next(4, status=503, when=is_read)

    sync(fake, deals, clock)

    written_once(fake, deals)
    assert len(clock.sleeps) == 4
    assert sum(clock.sleeps) <= 180.0


def test_429_storm_ends_run_before_writing(fake: FakeSheets, deals: str) -> None:
    clock = FakeClock()
    fake.faults.fail_when(is_read, status=429)

    with pytest.raises(QuotaExceededError):
        sync(fake, deals, clock)

    assert [sheet.title for sheet in fake.spreadsheet(deals).sheets] == ["Deals"]
    assert "spreadsheets.batchUpdate" not in operations(fake)
    assert clock.now - 1000.0 <= 180.0


def test_internal_error_storm_names_key_account(
    fake: FakeSheets, deals: str, tmp_path: Path
) -> None:
    fake.faults.fail_when(lambda _request: True, status=500)
    key_file = write_key_file(tmp_path / "key.json")
    pipeline = make_pipeline(deals)
    source = open_spreadsheet(
        deals, key_file=key_file, pipeline=pipeline, clock=FakeClock()
    )

    with pytest.raises(SourceError) as raised:
        run_sync(pipeline, source, AS_OF)

    assert f"can also mean that the service account {SERVICE_ACCOUNT} lost" in str(
        raised.value
    )
    assert "spreadsheets.batchUpdate" not in operations(fake)


def test_quota_limit_waits_for_next_minute(fake: FakeSheets, deals: str) -> None:
    clock = FakeClock()
    fake.faults.limit_quota(clock.monotonic, reads_per_minute=2)

    sync(fake, deals, clock)

    written_once(fake, deals)
    assert sum(clock.sleeps) >= 60.0
    assert operations(fake).count("spreadsheets.batchUpdate") == 1


def followed_writes(monkeypatch: pytest.MonkeyPatch) -> list[WriteProgress]:
    """Return the list that receives each write progress the run reports."""
    reached: list[WriteProgress] = []
    monkeypatch.setattr(interrupts, "_followers", [])
    interrupts.follow_writes(reached.append)
    return reached


def test_lost_reply_of_write_is_not_resent(
    fake: FakeSheets, deals: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    fake.faults.drop_after_write(when=is_batch_update)
    reached = followed_writes(monkeypatch)

    report = sync(fake, deals, clock).report

    written_once(fake, deals)
    assert operations(fake).count("spreadsheets.batchUpdate") == 1
    assert report is not None
    assert report.status_cells_written == 2
    assert reached == [WriteProgress.COMMITTING, WriteProgress.WRITTEN]


def test_failed_write_is_confirmed_then_resent(fake: FakeSheets, deals: str) -> None:
    clock = FakeClock()
    fake.faults.fail_next(2, status=503, when=is_batch_update)

    sync(fake, deals, clock)

    written_once(fake, deals)
    assert operations(fake) == [
        "spreadsheets.get",
        "values.batchGet",
        "values.batchGet",
        "values.batchGet",
        "spreadsheets.batchUpdate",
        "spreadsheets.get",
        "values.batchGet",
        "spreadsheets.batchUpdate",
        "spreadsheets.get",
        "values.batchGet",
        "spreadsheets.batchUpdate",
        "values.batchGet",
    ]


def test_write_failing_every_time_writes_nothing(
    fake: FakeSheets, deals: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    fake.faults.fail_when(is_batch_update, status=503)
    reached = followed_writes(monkeypatch)

    with pytest.raises(SourceError) as raised:
        sync(fake, deals, clock)

    assert str(raised.value) == (
        "Writing to spreadsheet 'Pipeline' failed 3 times (HTTP 503 UNAVAILABLE), "
        "and a re-read shows it was not applied. Nothing was written. Run again (a "
        "scheduled run retries by itself)."
    )
    assert set(reached) == {WriteProgress.COMMITTING}
    assert [sheet.title for sheet in fake.spreadsheet(deals).sheets] == ["Deals"]
    assert fake.read(deals, "Deals") == fake.read(deals, "Deals!A1:E3")
    assert fake.spreadsheet(deals).sheets[0].column_count == 5


def test_write_failing_with_500_names_account(
    fake: FakeSheets, deals: str, tmp_path: Path
) -> None:
    fake.faults.fail_when(is_batch_update, status=500)
    key_file = write_key_file(tmp_path / "key.json")
    pipeline = make_pipeline(deals)
    source = open_spreadsheet(
        deals, key_file=key_file, pipeline=pipeline, clock=FakeClock()
    )

    with pytest.raises(SourceError) as raised:
        run_sync(pipeline, source, AS_OF)

    assert str(raised.value) == (
        "Writing to spreadsheet 'Pipeline' failed 3 times (HTTP 500 INTERNAL), and "
        "a re-read shows it was not applied. Nothing was written. Run again (a "
        "scheduled run retries by itself). A 500 on every attempt can also mean "
        f"that the service account {SERVICE_ACCOUNT} lost its access or became a "
        "Viewer, also through a shared drive's members. Check that the "
        "spreadsheet's Share dialog still lists it as Editor; 'pipesheet doctor' "
        "prints that address and tests access."
    )
    assert [sheet.title for sheet in fake.spreadsheet(deals).sheets] == ["Deals"]


def test_write_failing_with_mixed_5xx_no_account(fake: FakeSheets, deals: str) -> None:
    fake.faults.fail_next(1, status=503, when=is_batch_update)
    fake.faults.fail_when(is_batch_update, status=500)

    with pytest.raises(SourceError) as raised:
        sync(fake, deals, FakeClock())

    assert "lost its access" not in str(raised.value)


def test_rejected_write_says_nothing_written(fake: FakeSheets, deals: str) -> None:
    fake.faults.fail_when(is_batch_update, status=400)

    with pytest.raises(SourceError) as raised:
        sync(fake, deals, FakeClock())

    assert str(raised.value) == (
        "Google Sheets rejected spreadsheets.batchUpdate on spreadsheet 'Pipeline': "
        "HTTP 400 INVALID_ARGUMENT: Injected error 400. The write is one batch "
        "that Google applies whole or not at all, so nothing was written. The next "
        "run tries again. If this error repeats, run the same command with -vv "
        "after 'pipesheet' (pipesheet -vv run ...) and report its output with this "
        "message."
    )
    assert [sheet.title for sheet in fake.spreadsheet(deals).sheets] == ["Deals"]
