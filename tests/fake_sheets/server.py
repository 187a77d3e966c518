"""Serve the fake over HTTP on 127.0.0.1, for end-to-end tests of the CLI.

The server binds port 0 (the OS picks a free port) and runs in a background
thread while its context is open::

    with FakeSheetsServer(handler) as server:
        client = local_gspread_client(server.base_url)

gspread has no setting for its base URL: its URL constants are copied into
several modules at import time. :func:`local_gspread_client` therefore uses an
``HTTPClient`` subclass that rewrites Google's hosts to the server's address.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import gspread
from google.auth.credentials import AnonymousCredentials
from gspread.http_client import HTTPClient

from tests.fake_sheets.handler import FakeSheetsHandler

logger = logging.getLogger(__name__)

GOOGLE_BASES = ("https://sheets.googleapis.com", "https://www.googleapis.com")
SHUTDOWN_POLL_SECONDS = 0.02
"""How often the serving thread checks for shutdown; short so tests stop fast."""


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeSheetsHandler

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.fake.handle(
            self.command, parts.path, parts.query, body, dict(self.headers)
        )
        if reply.dropped:
            self.close_connection = True
            return

        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("fake Sheets server: %s", format % args)


class FakeSheetsServer:
    """The fake on a loopback ``ThreadingHTTPServer``, started and stopped as a
    context manager."""

    def __init__(self, handler: FakeSheetsHandler | None = None) -> None:
        self.handler = handler if handler is not None else FakeSheetsHandler()
        request_handler = type(
            "FakeRequestHandler", (_RequestHandler,), {"fake": self.handler}
        )
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), request_handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name="fake-sheets-server",
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, to use in place of Google's hosts."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeSheetsServer:
        self._thread.start()
        logger.info("fake Sheets server listening on %s", self.base_url)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def local_http_client(base_url: str) -> type[HTTPClient]:
    """Return an ``HTTPClient`` class that sends Google requests to ``base_url``."""

    class LocalHTTPClient(HTTPClient):
        def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> Any:
            for google_base in GOOGLE_BASES:
                if endpoint.startswith(google_base):
                    endpoint = base_url + endpoint[len(google_base) :]
                    break
            return super().request(method, endpoint, *args, **kwargs)

    return LocalHTTPClient


def anonymous_credentials() -> AnonymousCredentials:
    """Return google-auth credentials that send no token and never refresh."""
    return AnonymousCredentials()  # type: ignore[no-untyped-call]


def local_gspread_client(base_url: str) -> gspread.Client:
    """Return a gspread client with anonymous credentials talking to ``base_url``.

    Proxy variables are ignored (``trust_env`` off) so traffic stays on loopback.
    """
    client = gspread.Client(
        anonymous_credentials(), http_client=local_http_client(base_url)
    )
    client.http_client.session.trust_env = False
    return client
