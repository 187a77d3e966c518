"""Tests for sending digests by e-mail to a loopback aiosmtpd server."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import logging
import re
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

import pytest

from config.models import EmailChannel, Locale, OwnerContact
from rules.digest import OwnerDigest
from sync.notify import email as email_sender
from sync.notify.email import (
    AuthNotOffered,
    EmailSender,
    build_message,
    classify_smtp_error,
)
from sync.notify.errors import (
    ChannelFailedError,
    ChannelUnreachableError,
    DeliveryError,
    DigestRejectedError,
    MissingCredentialError,
)
from tests.sync.notify.samples import ana_digest, build_team_pipeline
from tests.sync.notify.servers import (
    LOOPBACK,
    LoopbackSmtpServer,
    SilentServer,
    closed_loopback_port,
)

NOW = dt.datetime(2025, 9, 30, 6, 0, tzinfo=dt.UTC)
ANA = OwnerContact(email="ana.lima@example.com")
CREDENTIALS = {"SMTP_USER": "pipesheet", "SMTP_PASSWORD": "s3cret-pass"}


def email_channel(port: int, **changes: object) -> EmailChannel:
    data: dict[str, object] = {
        "kind": "email",
        "smtp_host": LOOPBACK,
        "smtp_port": port,
        "from_address": "pipesheet@example.com",
        "username_env": "SMTP_USER",
        "password_env": "SMTP_PASSWORD",
    }
    data.update(changes)
    return EmailChannel.model_validate(data)


def sender(
    port: int,
    tls: ssl.SSLContext | None,
    environ: dict[str, str] | None = None,
    **changes: object,
) -> EmailSender:
    return EmailSender(
        email_channel(port, **changes),
        CREDENTIALS if environ is None else environ,
        ssl_context=tls,
        timeout=10,
        local_hostname="pipesheet.test",
    )


def received_message(server: LoopbackSmtpServer, index: int = 0) -> EmailMessage:
    content = server.mailbox.envelopes[index].original_content
    assert content is not None
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def body_of(message: EmailMessage) -> str:
    # Text travels with CRLF line ends.
    content = message.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def test_digest_sent_over_starttls_with_login(
    smtp_server: LoopbackSmtpServer, client_tls: ssl.SSLContext
) -> None:
    digest = ana_digest()

    sender(smtp_server.port, client_tls).send(digest, ANA, NOW)

    envelope = smtp_server.mailbox.envelopes[0]
    assert smtp_server.mailbox.secure_sessions == [True]
    assert smtp_server.mailbox.logins == ["pipesheet"]
    assert envelope.mail_from == "pipesheet@example.com"
    assert envelope.rcpt_tos == ["ana.lima@example.com"]


def test_email_carries_subject_and_body(
    smtp_server: LoopbackSmtpServer, client_tls: ssl.SSLContext
) -> None:
    digest = ana_digest()

    sender(smtp_server.port, client_tls).send(digest, ANA, NOW)

    message = received_message(smtp_server)
    # Python's e-mail package folds a subject of this length onto a line of its
    # own, after "Subject:", and its parser keeps the space that starts that line.
    assert message["Subject"].lstrip() == (
        "pipesheet: 1 overdue follow-up for Ana Lima (Team pipeline, 2025-09-30)"
    )
    assert message["To"] == "ana.lima@example.com"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"] == "Tue, 30 Sep 2025 06:00:00 +0000"
    assert body_of(message) == digest.text


def test_chinese_subject_survives_transport(
    smtp_server: LoopbackSmtpServer, client_tls: ssl.SSLContext
) -> None:
    english = build_team_pipeline()
    outputs = english.outputs.model_copy(update={"locale": Locale.ZH_CN})
    digest = ana_digest(english.model_copy(update={"outputs": outputs}))

    sender(smtp_server.port, client_tls).send(digest, ANA, NOW)

    message = received_message(smtp_server)
    assert (
        message["Subject"]
        == "pipesheet：Ana Lima，1 条逾期跟进（Team pipeline，2025-09-30）"
    )
    assert body_of(message) == digest.text


def test_to_list_replaces_owner_address(
    smtp_server: LoopbackSmtpServer, client_tls: ssl.SSLContext
) -> None:
    team_inbox = sender(
        smtp_server.port, client_tls, to=["sales@example.com", "lead@example.com"]
    )

    team_inbox.send(ana_digest(), None, NOW)

    assert smtp_server.mailbox.envelopes[0].rcpt_tos == [
        "sales@example.com",
        "lead@example.com",
    ]


@pytest.mark.parametrize(
    ("to", "contact", "served"),
    [
        (None, ANA, True),
        (None, OwnerContact(webhooks=["team-chat"]), False),
        (None, None, False),
        (["sales@example.com"], None, True),
    ],
    ids=["owner-email", "webhook-only-owner", "no-contact", "to-list"],
)
def test_email_channel_serves_owners_with_address(
    to: list[str] | None, contact: OwnerContact | None, served: bool
) -> None:
    channel = email_channel(587, to=to)

    assert EmailSender(channel, {}).serves(contact) is served


def test_wrong_password_reported_with_server_reply(
    smtp_server: LoopbackSmtpServer, client_tls: ssl.SSLContext
) -> None:
    environ = CREDENTIALS | {"SMTP_PASSWORD": "wrong-pass"}

    with pytest.raises(DeliveryError) as raised:
        sender(smtp_server.port, client_tls, environ).send(ana_digest(), ANA, NOW)

    assert str(raised.value) == (
        f"channel 'email': sending the digest through {LOOPBACK}:{smtp_server.port} "
        "failed: the server replied 535 5.7.8 Authentication credentials invalid"
    )
    assert smtp_server.mailbox.envelopes == []


def test_missing_password_variable_named() -> None:
    with pytest.raises(MissingCredentialError) as raised:
        sender(closed_loopback_port(), None, {"SMTP_USER": "pipesheet"}).send(
            ana_digest(), ANA, NOW
        )

    assert str(raised.value) == (
        "channel 'email': the environment variable 'SMTP_PASSWORD' is not set or "
        "is empty; set it in the environment of the pipesheet service, or remove "
        "it from the channel in the definition"
    )


def test_server_without_starttls_rejected(
    plain_smtp_server: LoopbackSmtpServer, client_tls: ssl.SSLContext
) -> None:
    with pytest.raises(DeliveryError) as raised:
        sender(plain_smtp_server.port, client_tls).send(ana_digest(), ANA, NOW)

    assert str(raised.value).endswith(
        "failed: the server does not offer STARTTLS; use a server that offers "
        "STARTTLS, or one that needs no login and then remove username_env and "
        "password_env and set 'starttls: false'"
    )
    assert plain_smtp_server.mailbox.envelopes == []


def test_server_without_starttls_fix_named(
    plain_smtp_server: LoopbackSmtpServer, client_tls: ssl.SSLContext
) -> None:
    relay = sender(
        plain_smtp_server.port, client_tls, {}, username_env=None, password_env=None
    )

    with pytest.raises(DeliveryError) as raised:
        relay.send(ana_digest(), ANA, NOW)

    assert str(raised.value) == (
        f"channel 'email': sending the digest through {LOOPBACK}:"
        f"{plain_smtp_server.port} failed: the server does not offer STARTTLS; "
        "set 'starttls: false' on the channel if the server runs on the same "
        "machine or network, or use a server that offers STARTTLS"
    )
    assert plain_smtp_server.mailbox.envelopes == []


def test_untrusted_certificate_rejected(smtp_server: LoopbackSmtpServer) -> None:
    system_trust = ssl.create_default_context()

    with pytest.raises(DeliveryError) as raised:
        sender(smtp_server.port, system_trust).send(ana_digest(), ANA, NOW)

    assert str(raised.value) == (
        f"channel 'email': sending the digest through {LOOPBACK}:{smtp_server.port} "
        "failed: the server's TLS certificate could not be verified (self-signed "
        "certificate)"
    )
    assert smtp_server.mailbox.envelopes == []


def test_plain_smtp_without_login_when_configured(
    plain_smtp_server: LoopbackSmtpServer,
) -> None:
    relay = sender(
        plain_smtp_server.port,
        None,
        {},
        starttls=False,
        username_env=None,
        password_env=None,
    )

    relay.send(ana_digest(), ANA, NOW)

    assert plain_smtp_server.mailbox.secure_sessions == [False]
    assert plain_smtp_server.mailbox.logins == []


@pytest.mark.parametrize(
    ("owner", "key"),
    [
        ("Ana Lima", "notifications.owners['Ana Lima'].email"),
        (None, "notifications.manager_digest_to.email"),
    ],
    ids=["owner", "manager"],
)
def test_refused_address_named_with_key(
    smtp_server: LoopbackSmtpServer, client_tls: ssl.SSLContext, owner: str, key: str
) -> None:
    smtp_server.mailbox.refused = {"ana.lima@example.com"}
    digest = dataclasses.replace(ana_digest(), owner=owner)

    with pytest.raises(DeliveryError) as raised:
        sender(smtp_server.port, client_tls).send(digest, ANA, NOW)

    assert str(raised.value) == (
        f"channel 'email': sending the digest through {LOOPBACK}:{smtp_server.port} "
        "failed: the server refused recipient 'ana.lima@example.com' (550 5.1.1 "
        f"mailbox unavailable); correct {key}"
    )
    assert type(raised.value) is DigestRejectedError
    assert smtp_server.mailbox.envelopes == []


def test_refused_to_address_logged(
    smtp_server: LoopbackSmtpServer,
    client_tls: ssl.SSLContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    smtp_server.mailbox.refused = {"nobody.team@example.com"}
    to = ["nobody.team@example.com", "sales@example.com"]

    with caplog.at_level(logging.WARNING, logger="sync.notify.email"):
        sender(smtp_server.port, client_tls, to=to).send(ana_digest(), None, NOW)

    assert smtp_server.mailbox.envelopes[0].rcpt_tos == ["sales@example.com"]
    warnings = [r.getMessage() for r in caplog.records if r.name == "sync.notify.email"]
    assert warnings == [
        (
            "digest e-mail channel=email: the server refused recipient "
            "'nobody.team@example.com' (550 5.1.1 mailbox unavailable), and the "
            "others got it; correct the 'to' list of channel 'email'"
        )
    ]


def test_refused_connection_reported() -> None:
    port = closed_loopback_port()

    with pytest.raises(DeliveryError) as raised:
        sender(port, None).send(ana_digest(), ANA, NOW)

    assert str(raised.value) == (
        f"channel 'email': sending the digest through {LOOPBACK}:{port} failed: "
        "the connection was refused, so no server listens at that address and "
        "port; check smtp_host and smtp_port of the channel, and that the mail "
        "server runs"
    )


def test_line_break_in_subject_folded_to_space() -> None:
    broken = dataclasses.replace(ana_digest(), subject="pipesheet: Ana\nLima")

    message = build_message(broken, "pipesheet@example.com", ["a@example.com"], NOW)

    assert message["Subject"] == "pipesheet: Ana Lima"


def test_silent_server_reported_as_timeout(silent_server: SilentServer) -> None:
    relay = EmailSender(email_channel(silent_server.port), CREDENTIALS, timeout=0.2)

    with pytest.raises(ChannelUnreachableError) as raised:
        relay.send(ana_digest(), ANA, NOW)

    assert str(raised.value) == (
        f"channel 'email': sending the digest through {LOOPBACK}:"
        f"{silent_server.port} failed: timed out after 0.2 s without a reply from "
        "the server"
    )


def test_wrong_password_fails_channel(
    smtp_server: LoopbackSmtpServer, client_tls: ssl.SSLContext
) -> None:
    environ = CREDENTIALS | {"SMTP_PASSWORD": "wrong-pass"}

    with pytest.raises(DeliveryError) as raised:
        sender(smtp_server.port, client_tls, environ).send(ana_digest(), ANA, NOW)

    assert type(raised.value) is ChannelFailedError


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ConnectionRefusedError(111, "Connection refused"), ChannelUnreachableError),
        (TimeoutError("timed out"), ChannelUnreachableError),
        (ssl.SSLCertVerificationError("bad certificate"), ChannelUnreachableError),
        (smtplib.SMTPServerDisconnected("closed"), ChannelUnreachableError),
        (smtplib.SMTPConnectError(554, b"no service"), ChannelUnreachableError),
        (smtplib.SMTPHeloError(501, b"bad name"), ChannelUnreachableError),
        (smtplib.SMTPAuthenticationError(535, b"bad login"), ChannelFailedError),
        (AuthNotOffered("no AUTH"), ChannelFailedError),
        (smtplib.SMTPNotSupportedError("no SMTPUTF8"), DigestRejectedError),
        (smtplib.SMTPSenderRefused(553, b"not yours", "p@x.test"), ChannelFailedError),
        (smtplib.SMTPSenderRefused(552, b"too big", "p@x.test"), DigestRejectedError),
        (
            smtplib.SMTPRecipientsRefused({"a@x.test": (550, b"unknown")}),
            DigestRejectedError,
        ),
        (
            smtplib.SMTPRecipientsRefused({"a@x.test": (450, b"try later")}),
            DeliveryError,
        ),
        (smtplib.SMTPDataError(552, b"too big"), DigestRejectedError),
        (smtplib.SMTPDataError(554, b"spam"), DigestRejectedError),
        (smtplib.SMTPDataError(451, b"try later"), DeliveryError),
    ],
    ids=[
        "refused-connection",
        "timeout",
        "tls-certificate",
        "disconnected",
        "greeting-554",
        "helo-501",
        "login-535",
        "no-auth",
        "no-smtputf8",
        "sender-553",
        "sender-552",
        "recipient-550",
        "recipient-450",
        "data-552",
        "data-554",
        "data-451",
    ],
)
def test_smtp_error_classified(
    error: BaseException, expected: type[DeliveryError]
) -> None:
    assert classify_smtp_error(error) is expected


def test_message_over_announced_size_not_sent(
    certificate: tuple[Path, Path], client_tls: ssl.SSLContext
) -> None:
    server = small_smtp_server(certificate, size_limit=300)
    digest = ana_digest()

    with pytest.raises(DigestRejectedError) as raised:
        sender(server.port, client_tls).send(digest, ANA, NOW)
    server.stop()

    # The Message-ID has a random part, so the size varies by a few bytes.
    size = re.search(r"e-mail is (\d+) bytes", str(raised.value))
    assert size is not None
    assert abs(int(size[1]) - message_size(digest)) < 10
    assert str(raised.value) == (
        f"channel 'email': sending the digest through {LOOPBACK}:{server.port} "
        f"failed: the digest e-mail is {size[1]} bytes, over the limit of 300 "
        "bytes that the server announces (EHLO SIZE); raise the server's message "
        "size limit"
    )
    assert server.mailbox.envelopes == []


def test_size_rejection_at_data_names_fix(
    smtp_server: LoopbackSmtpServer, client_tls: ssl.SSLContext
) -> None:
    smtp_server.mailbox.max_data_bytes = 100

    with pytest.raises(DigestRejectedError) as raised:
        sender(smtp_server.port, client_tls).send(ana_digest(), ANA, NOW)

    assert str(raised.value) == (
        f"channel 'email': sending the digest through {LOOPBACK}:{smtp_server.port} "
        "failed: the server replied 552 5.3.4 Message size exceeds fixed limit; "
        "raise the server's message size limit"
    )


def small_smtp_server(
    certificate: tuple[Path, Path], size_limit: int
) -> LoopbackSmtpServer:
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(*certificate)
    server = LoopbackSmtpServer(server_tls, size_limit=size_limit)
    server.start()
    return server


def message_size(digest: OwnerDigest) -> int:
    message = build_message(digest, "pipesheet@example.com", [ANA.email or ""], NOW)
    return len(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))


def test_login_without_auth_fails_channel() -> None:
    # A connected server whose EHLO reply listed no extension.
    smtp = smtplib.SMTP()
    smtp.ehlo_resp = b"mail.example.test"

    with pytest.raises(AuthNotOffered) as raised:
        email_sender._log_in(smtp, ("user", "secret"))

    assert classify_smtp_error(raised.value) is ChannelFailedError
