"""One HTTP exchange with the fake: the request as received and the reply to send."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.fake_sheets.errors import ApiError

JSON_CONTENT_TYPE = "application/json; charset=UTF-8"


@dataclass(frozen=True)
class ApiRequest:
    """A request to the fake, routed: which operation it is and its quota bucket.

    :param path: the raw (still percent-encoded) URL path.
    :param query: the raw query string, without ``?``.
    :param operation: e.g. ``values.get``, ``spreadsheets.batchUpdate``,
        ``drive.files.create``; ``unknown`` when no route matches.
    :param quota: ``read`` or ``write`` for Sheets calls, ``drive`` for Drive calls.
    :param number: 1 for the first request the handler serves, then 2, 3...
    """

    method: str
    path: str
    query: str
    body: bytes
    headers: dict[str, str]
    operation: str = "unknown"
    quota: str = "read"
    spreadsheet_id: str | None = None
    number: int = 0

    def json(self) -> Any:
        """Return the body parsed as JSON (``None`` when empty)."""
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    """The fake's response: status, headers and body bytes.

    With ``dropped`` set, the transport sends nothing at all, as when a response is
    lost after the server committed the change.
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    dropped: bool = False

    @classmethod
    def from_json(cls, status: int, payload: Any) -> Reply:
        """Return a JSON reply, pretty-printed with two-space indents like Google's."""
        text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
        return cls(status, {"Content-Type": JSON_CONTENT_TYPE}, text.encode("utf-8"))

    @classmethod
    def from_error(cls, error: ApiError) -> Reply:
        """Return the reply for an API error; its body's code equals the status."""
        return cls.from_json(error.code, error.body())

    def json(self) -> Any:
        """Return the body parsed as JSON (``None`` when empty)."""
        return json.loads(self.body) if self.body else None
