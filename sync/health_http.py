"""Serve ``/healthz`` and ``/metrics`` of ``pipesheet serve`` over HTTP.

A :class:`http.server.ThreadingHTTPServer` in a daemon thread, listening on
127.0.0.1 unless ``--health-host`` sets another address. It serves GET only.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import logging
import threading
from typing import Any

from sync.health import ServiceHealth

logger = logging.getLogger(__name__)

METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
JSON_CONTENT_TYPE = "application/json"


class HealthServer:
    """The HTTP endpoint of a service's :class:`ServiceHealth`.

    :param port: the TCP port; 0 lets the system pick one (see :attr:`port`).
    :raises OSError: the address cannot be bound, e.g. the port is in use.
    """

    def __init__(self, health: ServiceHealth, host: str, port: int) -> None:
        self.health = health
        self.server = http.server.ThreadingHTTPServer((host, port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="pipesheet health", daemon=True
        )

    @property
    def host(self) -> str:
        """Return the address the server listens on."""
        return str(self.server.server_address[0])

    @property
    def port(self) -> int:
        """Return the port the server listens on."""
        return int(self.server.server_address[1])

    def start(self) -> None:
        """Start serving requests in a thread of its own."""
        self.thread.start()
        logger.info("health endpoint http://%s:%d/healthz", self.host, self.port)

    def stop(self) -> None:
        """Stop serving requests and close the socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        health = self.health

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/healthz":
                    status, body = health.healthz(dt.datetime.now(dt.UTC))
                    text = json.dumps(body, indent=2) + "\n"
                    self._respond(status, JSON_CONTENT_TYPE, text)
                elif path == "/metrics":
                    self._respond(200, METRICS_CONTENT_TYPE, health.metrics_text())
                else:
                    self._respond(
                        404, "text/plain", "Not found: use /healthz or /metrics\n"
                    )

            def _respond(self, status: int, content_type: str, text: str) -> None:
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                # Probes hit these paths every few seconds; one line each at
                # INFO would drown the run lines.
                logger.debug("health request %s", format % args)

        return Handler
