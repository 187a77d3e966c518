"""Replay gspread's recorded Google traffic against the fake and compare responses.

Each recording is one gspread test: an ordered list of real requests to the Sheets
and Drive APIs with the real responses (124 recordings, made with a service
account in 2023, MIT-licensed data). Every recording replays against a fresh fake,
and every response must match the recorded one: same status, same JSON body, or
the same text for non-JSON bodies.

Ignore rules, applied to both sides before comparing:

1. Ids. Ids the fake generates differ from Google's. The first time a recorded
   response carries an id under one of :data:`ID_KEYS`, the replay learns
   "recorded id → fake id"; later requests are rewritten to use the fake id (in
   the URL and under the same keys in JSON bodies), and recorded responses are
   compared with the learned ids substituted, including inside strings such as
   ``spreadsheetUrl``. The mapping must be one-to-one, and id 0 (the first tab
   of a new spreadsheet) is never mapped: the fake must use 0 too.
2. Timestamps. ``createdTime`` and ``modifiedTime`` values are replaced by a
   placeholder when they are RFC 3339 strings.
3. Etags. Keys named ``etag`` are removed.
4. Theme and default format. ``properties.defaultFormat`` and
   ``properties.spreadsheetTheme`` of a spreadsheet are removed.
5. Drive v2 upload replies (gspread's CSV import) are compared on ``kind``,
   ``id``, ``title`` and ``mimeType`` only: the real v2 File carries about forty
   account-specific fields (owners, export links, permissions) that gspread
   discards.

Response headers are not compared. The caller is the recording's service account,
so protected-range editors match.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from tests.fake_sheets.exchange import Reply
from tests.fake_sheets.fake import FakeSheets
from tests.shared_data import CONFORMANCE_FOLDER, missing_reason

CASSETTE_DIRECTORY = Path(
    os.environ.get("PIPESHEET_CONFORMANCE_DIR", CONFORMANCE_FOLDER)
)
RECORDING_ACCOUNT = "telegram-budgeter@telegram-budgeter.iam.gserviceaccount.com"
"""The service account that made the recordings; protected ranges list it."""

ID_KEYS = frozenset(
    {
        "id",
        "spreadsheetId",
        "destinationSpreadsheetId",
        "sheetId",
        "sourceSheetId",
        "newSheetId",
        "protectedRangeId",
        "namedRangeId",
        "metadataId",
        "chartId",
        "objectId",
    }
)
TIME_KEYS = frozenset({"createdTime", "modifiedTime"})
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
V2_UPLOAD_KEYS = ("kind", "id", "title", "mimeType")

_PREEXISTING_FILES = (
    "the recorded Drive account already held 31 spreadsheets left by earlier runs, "
    "which Drive files.list returned; a fresh fake contains only the file the "
    "recording created"
)
NOT_SERVED: dict[str, str] = {
    "ClientTest.test_open_all_has_metadata": _PREEXISTING_FILES,
    "ClientTest.test_openall": _PREEXISTING_FILES,
}
"""Recordings the fake does not reproduce, with the behaviour it lacks."""


def _setup_private_spreadsheet(fake: FakeSheets) -> None:
    fake.store.create_spreadsheet(
        "Someone else's spreadsheet",
        owner="someone-else@example.com",
        spreadsheet_id="1jIKzPs8LsiZZdLdeMEP-5ZIHw6RkjiOmj1LrJN706Yc",
    )


CASSETTE_SETUP: dict[str, Callable[[FakeSheets], None]] = {
    "ClientTest.test_access_private_spreadsheet": _setup_private_spreadsheet,
}
"""State a recording assumes before its first request (files it did not create)."""


def _is_id(key: str, value: Any) -> bool:
    return (
        key in ID_KEYS and isinstance(value, str | int) and not isinstance(value, bool)
    )


class IdMap:
    """Recorded ids mapped to the ids the fake generated for the same objects."""

    def __init__(self) -> None:
        self.ids: dict[Any, Any] = {}

    def learn(self, recorded: Any, actual: Any) -> None:
        """Record the fake's ids for the ids in a recorded response (parallel walk)."""
        if isinstance(recorded, dict) and isinstance(actual, dict):
            for key, value in recorded.items():
                if key not in actual:
                    continue
                if _is_id(key, value) and value != 0:
                    self._learn_one(value, actual[key])
                else:
                    self.learn(value, actual[key])
        elif isinstance(recorded, list) and isinstance(actual, list):
            for recorded_item, actual_item in zip(recorded, actual, strict=False):
                self.learn(recorded_item, actual_item)

    def _learn_one(self, recorded: Any, actual: Any) -> None:
        if recorded in self.ids:
            return
        taken_by = [key for key, value in self.ids.items() if value == actual]
        assert not taken_by, (
            f"the fake used id {actual!r} for both recorded ids {taken_by[0]!r} and "
            f"{recorded!r}"
        )
        self.ids[recorded] = actual

    def rewrite(self, value: Any) -> Any:
        """Return recorded JSON with learned ids replaced by the fake's."""
        if isinstance(value, dict):
            return {
                key: self.ids.get(item, item)
                if _is_id(key, item)
                else self.rewrite(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.rewrite(item) for item in value]
        if isinstance(value, str):
            return self.rewrite_text(value)
        return value

    def rewrite_text(self, text: str) -> str:
        """Replace learned string ids (spreadsheet ids) inside a URL or text."""
        for recorded, actual in self.ids.items():
            if isinstance(recorded, str) and len(recorded) >= 20:
                text = text.replace(recorded, str(actual))
        return text


def normalized(value: Any) -> Any:
    """Apply ignore rules 2–4 to a JSON value."""
    if isinstance(value, list):
        return [normalized(item) for item in value]
    if not isinstance(value, dict):
        return value
    result = {}
    for key, item in value.items():
        if key == "etag":
            continue
        if key in TIME_KEYS and isinstance(item, str) and RFC3339.match(item):
            result[key] = "<time>"
            continue
        result[key] = normalized(item)
    properties = result.get("properties")
    if "spreadsheetId" in result and isinstance(properties, dict):
        properties.pop("defaultFormat", None)
        properties.pop("spreadsheetTheme", None)
    return result


def first_difference(expected: Any, actual: Any, path: str = "$") -> str | None:
    """Return where two JSON values first differ, or ``None`` if they are equal."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            if key not in actual:
                recorded = expected[key]
                return f"{path}.{key}: missing from the fake's reply ({recorded!r})"
            if key not in expected:
                return f"{path}.{key}: not in the recording (fake sent {actual[key]!r})"
            found = first_difference(expected[key], actual[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return (
                f"{path}: {len(expected)} items recorded, fake sent {len(actual)}: "
                f"{actual!r}"
            )
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            found = first_difference(left, right, f"{path}[{index}]")
            if found:
                return found
        return None
    if expected != actual or type(expected) is not type(actual):
        return f"{path}: recorded {expected!r}, fake sent {actual!r}"
    return None


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def check_interaction(
    index: int, interaction: dict[str, Any], reply: Reply, ids: IdMap
) -> None:
    """Assert that the fake's reply matches one recorded response."""
    request = interaction["request"]
    response = interaction["response"]
    label = f"interaction {index}: {request['method']} {unquote(request['uri'])}"
    assert reply.status == response["status"]["code"], (
        f"{label}: recorded status {response['status']['code']}, "
        f"fake sent {reply.status}: "
        f"{reply.body[:300]!r}"
    )

    recorded_text = response["body"]["string"]
    recorded = _parse_json(recorded_text) if recorded_text else None
    if recorded is None:
        actual_text = reply.body.decode("utf-8")
        assert actual_text.strip() == recorded_text.strip(), f"{label}: body differs"
        return

    actual = reply.json()
    ids.learn(recorded, actual)
    expected = normalized(ids.rewrite(recorded))
    if "/upload/drive/v2/" in request["uri"]:
        expected = {key: expected[key] for key in V2_UPLOAD_KEYS if key in expected}
    difference = first_difference(expected, normalized(actual))
    assert difference is None, f"{label}: {difference}"


def replay(name: str) -> None:
    """Replay one recording against a fresh fake; fail at the first difference."""
    cassette = json.loads((CASSETTE_DIRECTORY / f"{name}.json").read_text("utf-8"))
    fake = FakeSheets(user=RECORDING_ACCOUNT)
    setup = CASSETTE_SETUP.get(name)
    if setup is not None:
        setup(fake)
    ids = IdMap()

    for index, interaction in enumerate(cassette["interactions"]):
        request = interaction["request"]
        parts = urlsplit(ids.rewrite_text(request["uri"]))
        body = request["body"] or ""
        parsed = _parse_json(body) if body else None
        if parsed is not None:
            body = json.dumps(ids.rewrite(parsed))
        reply = fake.handler.handle(
            request["method"], parts.path, parts.query, body.encode("utf-8"), {}
        )
        check_interaction(index, interaction, reply, ids)


def _recording_names() -> list[str]:
    if not CASSETTE_DIRECTORY.is_dir():
        return []
    return sorted(path.stem for path in CASSETTE_DIRECTORY.glob("*.json"))


RECORDINGS = _recording_names()
EXPECTED_PASSING = len([name for name in RECORDINGS if name not in NOT_SERVED])
"""How many recordings the fake reproduces exactly."""


def _parameters() -> list[Any]:
    return [
        pytest.param(
            name,
            id=name,
            marks=[pytest.mark.xfail(strict=True, reason=NOT_SERVED[name])]
            if name in NOT_SERVED
            else [],
        )
        for name in RECORDINGS
    ]


@pytest.mark.skipif(not RECORDINGS, reason=missing_reason(CASSETTE_DIRECTORY))
@pytest.mark.parametrize("name", _parameters())
def test_recording_replays_identically(name: str) -> None:
    replay(name)


def test_not_served_names_exist() -> None:
    unknown = sorted(set(NOT_SERVED) - set(RECORDINGS)) if RECORDINGS else []
    assert unknown == []
