"""How log records read on stderr, and the warnings kept for --json."""

from __future__ import annotations

import logging
import os
import time

import pytest

from sync.log_output import (
    DebugFormatter,
    PeopleFormatter,
    ServiceFormatter,
    WarningCollector,
    is_not_interrupt,
    shorten_message,
)


def record(level: int, message: str) -> logging.LogRecord:
    return logging.LogRecord("sync.renamed_tab", level, __file__, 1, message, (), None)


def test_people_see_level_word_without_logger() -> None:
    formatter = PeopleFormatter()

    assert formatter.format(record(logging.WARNING, "Tab renamed")) == (
        "Warning: Tab renamed"
    )
    assert formatter.format(record(logging.ERROR, "Run failed")) == "Error: Run failed"


def test_debug_lines_name_level_and_logger() -> None:
    line = DebugFormatter().format(record(logging.INFO, "run workbook=a.xlsx"))

    assert line == "INFO sync.renamed_tab: run workbook=a.xlsx"


@pytest.mark.parametrize(
    ("zone", "offset"),
    [("America/New_York", "-05:00"), ("Asia/Shanghai", "+08:00"), ("UTC", "+00:00")],
)
def test_service_time_has_utc_offset(
    monkeypatch: pytest.MonkeyPatch, zone: str, offset: str
) -> None:
    # A service's schedules name their own time zones, so a local time
    # without its offset could not be compared with them.
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        line = record(logging.INFO, "service started")
        line.created = 1764979200.25  # 2025-12-06 00:00:00.250 UTC
        line.process = os.getpid()

        text = ServiceFormatter().format(line)
    finally:
        monkeypatch.undo()
        time.tzset()

    local = {"-05:00": "2025-12-05 19:00", "+08:00": "2025-12-06 08:00"}
    expected_time = f"{local.get(offset, '2025-12-06 00:00')}:00.250{offset}"
    assert (
        text == f"{expected_time} INFO sync.renamed_tab[{os.getpid()}]: service started"
    )


def test_collector_keeps_warnings_since_install() -> None:
    collector = WarningCollector()
    logger = logging.getLogger("tests.log_output")
    collector.install()
    try:
        logger.warning("before")
        collector.install()
        logger.info("not a warning")
        logger.warning("after %s", "install")
    finally:
        logging.getLogger().removeHandler(collector)

    assert list(collector.messages) == ["after install"]


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("stages: missing", 20, "stages: missing"),
        (
            "stages: missing; this key is required",
            20,
            "stages: missing; … (21 more characters)",
        ),
        ("valid keys: date_order, schedule", 20, "valid keys: … (21 more characters)"),
        (
            "valid keys: date_order, schedule",
            23,
            "valid keys: date_order, … (9 more characters)",
        ),
        ("abcdefghijklmnopqrstuvwxyz", 10, "abcdefghij … (16 more characters)"),
    ],
    ids=[
        "within-limit",
        "limit-in-word",
        "limit-in-underscored-word",
        "limit-at-space",
        "one-word",
    ],
)
def test_shorten_message_at_word(text: str, limit: int, expected: str) -> None:
    assert shorten_message(text, limit) == expected


def failed_record(error: BaseException) -> logging.LogRecord:
    logged = record(logging.ERROR, "Exception closing connection")
    logged.exc_info = (type(error), error, None)
    return logged


def test_interrupt_records_not_logged() -> None:
    collector = WarningCollector()

    collector.handle(failed_record(KeyboardInterrupt("SIGTERM")))
    collector.handle(failed_record(OSError("disk failed")))

    assert is_not_interrupt(failed_record(KeyboardInterrupt())) is False
    assert is_not_interrupt(failed_record(OSError("disk failed"))) is True
    assert list(collector.messages) == ["Exception closing connection"]
