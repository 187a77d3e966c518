"""Loopback servers the notify tests send to: SMTP (aiosmtpd) and HTTP.

Both listen on 127.0.0.1 with a port the system picks, run in a thread of
their own and record what they receive.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.server
import ipaddress
import json
import socket
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK = "127.0.0.1"


def write_self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """Write a certificate for 127.0.0.1 and its key; return both paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pipesheet test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(LOOPBACK))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )

    certificate_path = folder / "smtp-cert.pem"
    key_path = folder / "smtp-key.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_path, key_path


@dataclass
class SmtpMailbox:
    """What the SMTP server received: envelopes and the logins it saw."""

    envelopes: list[Envelope] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    secure_sessions: list[bool] = field(default_factory=list)
    # Addresses the server rejects at RCPT, as it rejects an unknown mailbox.
    refused: set[str] = field(default_factory=set)
    # Bytes of a message above which DATA is rejected with 552, as a relay
    # does that announces no SIZE limit; None accepts any size.
    max_data_bytes: int | None = None

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        if self.max_data_bytes is not None and len(content) > self.max_data_bytes:
            return "552 5.3.4 Message size exceeds fixed limit"
        self.envelopes.append(envelope)
        self.secure_sessions.append(session.ssl is not None)
        return "250 Message accepted for delivery"


class LoopbackSmtpServer:
    """An aiosmtpd server on 127.0.0.1 with STARTTLS and one user, in a thread."""

    def __init__(
        self,
        tls_context: ssl.SSLContext | None,
        user: str = "pipesheet",
        password: str = "s3cret-pass",
        size_limit: int = 33_554_432,
    ) -> None:
        """Prepare the server; ``size_limit`` is the SIZE its EHLO announces."""
        self.mailbox = SmtpMailbox()
        self.size_limit = size_limit
        self.tls_context = tls_context
        self.user = user
        self.password = password
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.port = 0

    def start(self) -> None:
        self.thread.start()
        created = asyncio.run_coroutine_threadsafe(
            self.loop.create_server(self._protocol, LOOPBACK, 0), self.loop
        )
        self.server = created.result(timeout=10)
        self.port = self.server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        async def close() -> None:
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def _protocol(self) -> SMTP:
        with_tls = self.tls_context is not None
        return SMTP(
            self.mailbox,
            loop=self.loop,
            hostname="smtp.test",
            tls_context=self.tls_context,
            require_starttls=with_tls,
            authenticator=self._authenticate,
            auth_require_tls=with_tls,
            data_size_limit=self.size_limit,
        )

    def _authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode()
        self.mailbox.logins.append(login)
        ok = login == self.user and auth_data.password.decode() == self.password
        return AuthResult(success=ok, handled=False)


@dataclass(frozen=True)
class ReceivedRequest:
    """One request the webhook receiver got.

    ``method`` is GET for a request of a client that followed a redirect.
    """

    path: str
    headers: dict[str, str]
    body: bytes
    method: str = "POST"

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """A loopback HTTP server that records every POST and responds from a queue.

    Each request takes the next response from ``responses``; when it is empty the
    response is 200 with the body ``ok``. Every response has the header
    ``Location: <location>`` when ``location`` is set. GET requests are recorded
    too, as a client that follows a redirect sends them.
    """

    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self.responses: list[tuple[int, bytes]] = []
        self.location: str | None = None
        self.server = http.server.ThreadingHTTPServer((LOOPBACK, 0), self._handler())
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.server.server_address[1]}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                headers = {key.lower(): value for key, value in self.headers.items()}
                request = ReceivedRequest(self.path, headers, body, self.command)
                receiver.requests.append(request)

                status, response = (
                    receiver.responses.pop(0) if receiver.responses else (200, b"ok")
                )
                self.send_response(status)
                if receiver.location is not None:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", str(len(response)))
                self.end_headers()
                self.wfile.write(response)

            do_GET = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass  # Keep the test output free of access logs.

        return Handler


def closed_loopback_port() -> int:
    """Return a loopback port that nothing listens on (it was free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
    return port


class SilentServer:
    """A loopback server that accepts connections and never sends a byte.

    It behaves like a stuck relay: every read of the client times out.
    """

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((LOOPBACK, 0))
        self._listener.listen(8)
        self.port: int = self._listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        # On Linux, shutdown wakes the thread blocked in accept; close does not.
        self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join()
        for connection in self.connections:
            connection.close()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # The listener was closed by stop().
                return
            self.connections.append(connection)
