"""Serve ``/healthz`` and ``/metrics`` of ``pipesheet serve`` over HTTP.

A :class:`http.server.ThreadingHTTPServer` in a daemon thread, listening on
127.0.0.1 unless ``--health-host`` sets another address (IPv4 or IPv6). It
serves GET and HEAD. A HEAD request gets the status and headers a GET would
get, without the body.
"""

from __future__ import annotations

import datetime as dt
import errno
import http.server
import ipaddress
import json
import logging
import socket
import threading
from typing import Any

from config.errors import PipesheetError
from sync.health import ServiceHealth

logger = logging.getLogger(__name__)

METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
JSON_CONTENT_TYPE = "application/json"


class HealthEndpointError(PipesheetError):
    """The health endpoint cannot listen on the address and port it was given."""


class _IPv6HTTPServer(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


class HealthServer:
    """The HTTP endpoint of a service's :class:`ServiceHealth`.

    :param host: an IPv4 or IPv6 address, or a host name that resolves to IPv4.
    :param port: the TCP port; 0 lets the system pick one (see :attr:`port`).
    :raises HealthEndpointError: the address cannot be bound, e.g. the port is
        in use.
    """

    def __init__(self, health: ServiceHealth, host: str, port: int) -> None:
        self.health = health
        server_class = http.server.ThreadingHTTPServer
        if _is_ipv6(host):
            server_class = _IPv6HTTPServer
        try:
            self.server = server_class((host, port), self._handler())
        except OSError as error:
            raise HealthEndpointError(_bind_error_message(host, port, error)) from error
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
        host = f"[{self.host}]" if _is_ipv6(self.host) else self.host
        logger.info("health endpoint http://%s:%d/healthz", host, self.port)

    def stop(self) -> None:
        """Stop serving requests and close the socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        health = self.health

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._respond(*self._build_response(), send_body=True)

            def do_HEAD(self) -> None:
                # Load balancers and uptime probes often check with HEAD.
                self._respond(*self._build_response(), send_body=False)

            def _build_response(self) -> tuple[int, str, str]:
                path = self.path.split("?", 1)[0]
                if path == "/healthz":
                    status, body = health.healthz(dt.datetime.now(dt.UTC))
                    return status, JSON_CONTENT_TYPE, json.dumps(body, indent=2) + "\n"
                if path == "/metrics":
                    return 200, METRICS_CONTENT_TYPE, health.metrics_text()
                return 404, "text/plain", "Not found: use /healthz or /metrics\n"

            def _respond(
                self, status: int, content_type: str, text: str, send_body: bool
            ) -> None:
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if send_body:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                # Probes hit these paths every few seconds; one line each at
                # INFO would drown the run lines.
                logger.debug("health request %s", format % args)

        return Handler


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == 6
    except ValueError:
        return False  # A host name, resolved as IPv4 like the default server.


def _bind_error_message(host: str, port: int, error: OSError) -> str:
    where = f"--health-host {host!r} --health-port {port}"
    if isinstance(error, socket.gaierror):
        return (
            f"The health endpoint cannot listen on {where}: {host!r} is not an "
            "IP address or a host name this machine resolves to IPv4. Pass an "
            "address such as 127.0.0.1 or ::1."
        )
    if error.errno == errno.EADDRINUSE:
        fix = (
            f"port {port} is in use, maybe by another pipesheet serve. Pass "
            "another --health-port, or 0 to let the system pick a free one."
        )
    elif error.errno == errno.EADDRNOTAVAIL:
        fix = (
            f"{host!r} is not an address of this machine. Pass 127.0.0.1, ::1 "
            "or another address this machine has."
        )
    elif error.errno == errno.EACCES:
        fix = (
            f"port {port} needs administrator rights. Pass a --health-port of "
            "1024 or more."
        )
    else:
        fix = f"{error.strerror or error}. Check --health-host and --health-port."
    return f"The health endpoint cannot listen on {where}: {fix}"
