"""Fixtures of the notify tests: loopback servers and a trusted test certificate."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync.notify.servers import (
    LoopbackSmtpServer,
    SilentServer,
    WebhookReceiver,
    write_self_signed_certificate,
)

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep urllib from sending loopback requests through a configured proxy."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return write_self_signed_certificate(tmp_path)


@pytest.fixture
def client_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    """Return a client context that trusts only the test certificate."""
    return ssl.create_default_context(cafile=str(certificate[0]))


@pytest.fixture
def smtp_server(certificate: tuple[Path, Path]) -> Iterator[LoopbackSmtpServer]:
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(*certificate)
    server = LoopbackSmtpServer(server_tls)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def plain_smtp_server() -> Iterator[LoopbackSmtpServer]:
    """Return an SMTP server without STARTTLS."""
    server = LoopbackSmtpServer(None)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    server.start()
    yield server
    server.stop()
