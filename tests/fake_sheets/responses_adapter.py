"""Serve the fake through ``responses``, so gspread's real HTTP code runs in-process.

``responses`` patches ``requests``' transport adapter, which gspread uses under
both ``AuthorizedSession`` and a plain ``Session``. Every call to the Sheets host
and to the Drive hosts goes to the handler. Any other URL fails with
``ConnectionError`` because nothing else is registered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import requests
import responses

from tests.fake_sheets.handler import FakeSheetsHandler

GOOGLE_URLS = (
    re.compile(r"https://sheets\.googleapis\.com/.*"),
    re.compile(r"https://www\.googleapis\.com/drive/v3/.*"),
    re.compile(r"https://www\.googleapis\.com/upload/drive/v2/.*"),
)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

ResponsesResult = Exception | tuple[int, dict[str, str], bytes]


def _body_bytes(request: requests.PreparedRequest) -> bytes:
    body = request.body or b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if not isinstance(body, bytes):
        raise TypeError(f"the fake needs a bytes or str body, got {type(body)!r}")
    return body


def _callback(
    handler: FakeSheetsHandler,
) -> Callable[[requests.PreparedRequest], ResponsesResult]:
    def serve(request: requests.PreparedRequest) -> ResponsesResult:
        parts = urlsplit(request.url or "")
        reply = handler.handle(
            request.method or "GET",
            parts.path,
            parts.query,
            _body_bytes(request),
            {name: str(value) for name, value in request.headers.items()},
        )
        if reply.dropped:
            return requests.exceptions.ReadTimeout(
                "fake Sheets API dropped the response after applying the call",
                request=request,
            )
        return reply.status, reply.headers, reply.body

    return serve


def register(mock: responses.RequestsMock, handler: FakeSheetsHandler) -> None:
    """Route every Sheets and Drive URL of ``mock`` to the handler."""
    callback = _callback(handler)
    for method in METHODS:
        for url in GOOGLE_URLS:
            mock.add_callback(method, url, callback=callback, content_type=None)


@contextmanager
def serve_with_responses(
    handler: FakeSheetsHandler,
) -> Iterator[responses.RequestsMock]:
    """Activate a ``responses`` mock serving the fake; yield it.

    Requests to other hosts raise ``requests.ConnectionError``, so a test can
    never reach the internet through ``requests`` while this is active.
    """
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        register(mock, handler)
        yield mock
