"""Digests sent as e-mail through an SMTP server, with STARTTLS by default."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import smtplib
import socket
import ssl
from collections.abc import Mapping
from email.message import EmailMessage

from config.models import EmailChannel, OwnerContact
from rules.digest import OwnerDigest
from sync.notify.credentials import read_credential
from sync.notify.errors import (
    ChannelFailedError,
    ChannelUnreachableError,
    DeliveryError,
    DigestRejectedError,
)
from sync.notify.network_errors import describe_network_error

logger = logging.getLogger(__name__)

# Seconds each SMTP step (connect, each command) may take before it times out.
SMTP_TIMEOUT_SECONDS = 30.0


class EmailSender:
    """Sends digests through the SMTP server of one ``kind: email`` channel.

    The digest goes to the channel's ``to`` addresses when it has them, else to
    the owner's ``email``. The user name and password are read from the
    environment at each send, so a fixed variable is picked up on the next run.
    """

    kind = "email"

    def __init__(
        self,
        channel: EmailChannel,
        environ: Mapping[str, str],
        *,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = SMTP_TIMEOUT_SECONDS,
        local_hostname: str | None = None,
    ) -> None:
        """Prepare a sender; nothing connects until :meth:`send`.

        :param ssl_context: for STARTTLS; the system's trusted CAs by default.
        :param local_hostname: the name given in EHLO; smtplib uses this
            machine's fully qualified name by default.
        """
        self.channel = channel
        self.environ = environ
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.timeout = timeout
        self.local_hostname = local_hostname

    @property
    def channel_id(self) -> str:
        return self.channel.id

    def serves(self, contact: OwnerContact | None) -> bool:
        """Return True when the channel has ``to`` addresses or the contact an email."""
        return bool(self.channel.to) or (contact is not None and bool(contact.email))

    def send(
        self, digest: OwnerDigest, contact: OwnerContact | None, now: dt.datetime
    ) -> None:
        """Send one digest as a plain-text e-mail.

        A digest that some recipients got counts as sent, and the refused
        addresses are logged as a warning.

        :raises ChannelUnreachableError: the server could not be reached,
            dropped the connection or timed out.
        :raises ChannelFailedError: the server rejected the STARTTLS upgrade,
            the login or the sender address.
        :raises DigestRejectedError: the server rejected every recipient or
            the message (5xx), or the message is over its size limit.
        :raises DeliveryError: the server replied with a temporary (4xx) error.
        :raises MissingCredentialError: a credential variable is not set.
        """
        recipients = self._recipients(contact)
        message = build_message(digest, self.channel.from_address, recipients, now)
        credentials = self._credentials()

        try:
            refused = self._deliver(message, credentials)
        except (smtplib.SMTPException, OSError) as error:
            problem = describe_smtp_error(error, self.timeout)
            if isinstance(error, StartTlsNotOffered):
                problem += f"; {starttls_fix(self.channel)}"
            if isinstance(error, smtplib.SMTPRecipientsRefused):
                problem += f"; correct {self._recipients_key(digest)}"
            if isinstance(error, OverSizeLimit) or is_size_rejection(error):
                problem += "; raise the server's message size limit"
            failure = classify_smtp_error(error)
            raise failure(
                f"channel {self.channel.id!r}: sending the digest through "
                f"{self.channel.smtp_host}:{self.channel.smtp_port} failed: "
                f"{problem}"
            ) from error

        if refused:
            logger.warning(
                "digest e-mail channel=%s: %s, and the others got it; correct %s",
                self.channel.id,
                describe_refused(refused),
                self._recipients_key(digest),
            )

    def _recipients_key(self, digest: OwnerDigest) -> str:
        # Where the definition sets the addresses the digest went to.
        if self.channel.to:
            return f"the 'to' list of channel {self.channel.id!r}"
        if digest.owner is None:
            return "notifications.manager_digest_to.email"
        return f"notifications.owners[{digest.owner!r}].email"

    def _recipients(self, contact: OwnerContact | None) -> list[str]:
        if self.channel.to:
            return list(self.channel.to)
        if contact is not None and contact.email:
            return [contact.email]
        raise DeliveryError(
            f"channel {self.channel.id!r}: no recipient; give the owner an "
            "'email' or the channel a 'to' list"
        )

    def _credentials(self) -> tuple[str, str] | None:
        username_env = self.channel.username_env
        password_env = self.channel.password_env
        if username_env is None or password_env is None:
            return None
        return (
            read_credential(self.environ, username_env, self.channel.id),
            read_credential(self.environ, password_env, self.channel.id),
        )

    def _deliver(
        self, message: EmailMessage, credentials: tuple[str, str] | None
    ) -> dict[str, tuple[int, bytes]]:
        """Send the message; return the recipients the server refused.

        :raises smtplib.SMTPRecipientsRefused: the server refused all of them.
        """
        channel = self.channel
        with smtplib.SMTP(
            channel.smtp_host,
            channel.smtp_port,
            local_hostname=self.local_hostname,
            timeout=self.timeout,
        ) as smtp:
            if channel.starttls:
                _start_tls(smtp, self.ssl_context)
            if credentials is not None:
                _log_in(smtp, credentials)

            check_size_limit(smtp, message)
            return smtp.send_message(message)


class StartTlsNotOffered(smtplib.SMTPNotSupportedError):
    """The server's EHLO reply lists no STARTTLS, so the channel cannot encrypt."""


class AuthNotOffered(smtplib.SMTPNotSupportedError):
    """The server's EHLO reply lists no AUTH, so no login on the channel can work."""


class OverSizeLimit(smtplib.SMTPException):
    """The message is larger than the SIZE limit in the server's EHLO reply."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"message of {size} bytes over the limit of {limit}")
        self.size = size
        self.limit = limit


def check_size_limit(smtp: smtplib.SMTP, message: EmailMessage) -> None:
    """Raise before sending when the server announced a smaller SIZE (RFC 1870).

    :raises OverSizeLimit: the message is larger than the announced limit.
    """
    announced = smtp.esmtp_features.get("size", "").strip()
    # "SIZE" without a number, or "SIZE 0", announces no fixed limit.
    limit = int(announced) if announced.isdigit() else 0
    if not limit:
        return
    size = len(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
    if size > limit:
        raise OverSizeLimit(size, limit)


def _start_tls(smtp: smtplib.SMTP, ssl_context: ssl.SSLContext | None) -> None:
    # smtplib raises SMTPNotSupportedError for a missing AUTH as well, so the
    # STARTTLS case gets its own type and its own fix in the message.
    try:
        smtp.starttls(context=ssl_context)
    except smtplib.SMTPNotSupportedError as error:
        raise StartTlsNotOffered(*error.args) from error


def _log_in(smtp: smtplib.SMTP, credentials: tuple[str, str]) -> None:
    # send_message raises SMTPNotSupportedError too, for a non-ASCII address
    # on a server without SMTPUTF8, which fails one digest, not the channel.
    try:
        smtp.login(*credentials)
    except smtplib.SMTPNotSupportedError as error:
        raise AuthNotOffered(*error.args) from error


def starttls_fix(channel: EmailChannel) -> str:
    """Return what to change when the channel's server does not offer STARTTLS."""
    if channel.username_env is not None:
        # The definition rejects 'starttls: false' with a login, so only a
        # server with STARTTLS or dropping the login helps.
        return (
            "use a server that offers STARTTLS, or one that needs no login and "
            "then remove username_env and password_env and set 'starttls: false'"
        )
    return (
        "set 'starttls: false' on the channel if the server runs on the same "
        "machine or network, or use a server that offers STARTTLS"
    )


def build_message(
    digest: OwnerDigest, from_address: str, recipients: list[str], now: dt.datetime
) -> EmailMessage:
    """Return the e-mail of a digest: its subject and plain-text body in UTF-8."""
    message = EmailMessage()
    # Owner names come from cells; a line break there would break the header.
    message["Subject"] = " ".join(digest.subject.split())
    message["From"] = from_address
    message["To"] = ", ".join(recipients)

    message["Date"] = email.utils.format_datetime(now)
    domain = from_address.rpartition("@")[2]
    message["Message-ID"] = email.utils.make_msgid("pipesheet", domain=domain)
    # RFC 3834: marks the mail as automatic so auto-replies are not sent back.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(digest.text)
    return message


def classify_smtp_error(error: BaseException) -> type[DeliveryError]:
    """Return the delivery error an SMTP or socket error becomes.

    ``smtplib.SMTPException`` subclasses ``OSError``, so the SMTP classes are
    checked before the socket errors. A rejected login or a missing STARTTLS
    fails every digest of the channel. A permanent (5xx) reply about one
    message or its recipients fails that digest only, so the next owner's
    digest may still go through.
    """
    if is_connection_failure(error):
        return ChannelUnreachableError
    channel_errors = (
        smtplib.SMTPAuthenticationError,
        StartTlsNotOffered,
        AuthNotOffered,
    )
    if isinstance(error, channel_errors):
        return ChannelFailedError
    if isinstance(error, smtplib.SMTPNotSupportedError):
        # Raised by send_message for a non-ASCII address on a server without
        # SMTPUTF8: other owners' digests may still go through.
        return DigestRejectedError
    if isinstance(error, OverSizeLimit) or is_size_rejection(error):
        return DigestRejectedError
    if isinstance(error, smtplib.SMTPSenderRefused):
        # Every digest of the channel has the same From address.
        return ChannelFailedError
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        permanent = all(code >= 500 for code in codes)
        return DigestRejectedError if permanent else DeliveryError
    if isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500:
        return DigestRejectedError
    return DeliveryError


def is_connection_failure(error: BaseException) -> bool:
    """Return True when the connection failed, not the server's reply to a digest.

    That is a timeout, a refused or dropped connection, a failed TLS handshake,
    or a greeting or EHLO the server rejected. It fails every digest of the
    channel. Other SMTP errors, although subclasses of ``OSError``, are replies.
    """
    connection_errors = (
        smtplib.SMTPConnectError,
        smtplib.SMTPServerDisconnected,
        smtplib.SMTPHeloError,
    )
    if isinstance(error, connection_errors):
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def is_size_rejection(error: BaseException) -> bool:
    """Return True for reply 552 to MAIL or DATA: the message is too large.

    RFC 5321 names 552 "exceeded storage allocation", and RFC 1870 uses it at
    MAIL for a SIZE over the server's limit.
    """
    replies = (smtplib.SMTPSenderRefused, smtplib.SMTPDataError)
    return isinstance(error, replies) and error.smtp_code == 552


def is_timeout(error: BaseException) -> bool:
    """Return True when the error is a timeout, also when smtplib wraps one.

    smtplib turns a timeout while it waits for a reply into
    ``SMTPServerDisconnected("Connection unexpectedly closed: timed out")`` and
    keeps the ``TimeoutError`` as the exception's context.
    """
    if isinstance(error, TimeoutError):
        return True
    wrapped = isinstance(error, smtplib.SMTPServerDisconnected)
    return wrapped and isinstance(error.__context__, TimeoutError)


def describe_smtp_error(error: BaseException, timeout: float) -> str:
    """Describe an SMTP or socket error in one line, without credentials."""
    if is_timeout(error):
        return f"timed out after {timeout:g} s without a reply from the server"
    if isinstance(error, StartTlsNotOffered):
        return "the server does not offer STARTTLS"
    if isinstance(error, OverSizeLimit):
        return (
            f"the digest e-mail is {error.size} bytes, over the limit of "
            f"{error.limit} bytes that the server announces (EHLO SIZE)"
        )
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
        return f"the server replied {error.smtp_code} {text}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return describe_refused(error.recipients)
    plain = describe_network_error(error)
    if isinstance(error, ConnectionRefusedError | socket.gaierror):
        plain = (
            f"{plain}; check smtp_host and smtp_port of the channel, and that the "
            "mail server runs"
        )
    return plain or f"{type(error).__name__}: {error}"


def describe_refused(refused: Mapping[str, tuple[int, bytes | str]]) -> str:
    """Describe the recipients a server refused, each with the server's reply.

    >>> describe_refused({"a@example.com": (550, b"5.1.1 mailbox unavailable")})
    "the server refused recipient 'a@example.com' (550 5.1.1 mailbox unavailable)"
    """
    replies = []
    for address, (code, reply) in refused.items():
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
        replies.append(f"{address!r} ({code} {text})")
    noun = "recipient" if len(replies) == 1 else "recipients"
    return f"the server refused {noun} {', '.join(replies)}"
