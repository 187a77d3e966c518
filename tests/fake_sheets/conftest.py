"""Fixtures for the fake's own tests, and the conformance count in pytest's summary."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest

from tests.fake_sheets.exchange import Reply
from tests.fake_sheets.fake import FakeSheets

FIXED_NOW = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
CONFORMANCE_TEST = "test_conformance.py::test_recording_replays_identically"


class Client:
    """Send raw API calls to a fake's handler, as a transport would."""

    def __init__(self, fake: FakeSheets) -> None:
        self.fake = fake

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: str = "",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """Send one call; ``path`` is raw (percent-encoded) and ``body`` is JSON."""
        payload = b"" if body is None else json.dumps(body).encode("utf-8")
        return self.fake.handler.handle(method, path, query, payload, headers or {})

    def values_path(self, spreadsheet_id: str, a1_range: str, suffix: str = "") -> str:
        """Return the path gspread builds for a values call on a range."""
        encoded = quote(a1_range, safe="")
        return f"/v4/spreadsheets/{spreadsheet_id}/values/{encoded}{suffix}"


@pytest.fixture
def fake() -> FakeSheets:
    """A fresh fake with a fixed clock."""
    return FakeSheets(now=lambda: FIXED_NOW)


@pytest.fixture
def client(fake: FakeSheets) -> Client:
    """A raw client of the fake's handler."""
    return Client(fake)


@pytest.fixture
def spreadsheet_id(fake: FakeSheets) -> str:
    """A spreadsheet titled Pipeline with the tabs Deals (id 0) and Funnel."""
    return fake.create("Pipeline", tabs=("Deals", "Funnel"))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print how many gspread recordings the fake replays identically."""
    outcomes: dict[str, int] = {}
    for outcome in ("passed", "failed", "xfailed", "xpassed"):
        reports = terminalreporter.stats.get(outcome, [])
        outcomes[outcome] = sum(
            1 for report in reports if CONFORMANCE_TEST in report.nodeid
        )
    total = sum(outcomes.values())
    if total:
        terminalreporter.write_line(
            f"gspread conformance: {outcomes['passed']} of {total} recordings replay "
            f"identically ({outcomes['xfailed']} expected failures, "
            f"{outcomes['failed']} unexpected failures, "
            f"{outcomes['xpassed']} newly passing)"
        )
