"""How log records read on stderr, and the warnings kept for --json."""

from __future__ import annotations

import logging

import pytest

from sync.log_output import (
    DebugFormatter,
    PeopleFormatter,
    WarningCollector,
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
