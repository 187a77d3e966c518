"""Digests posted as JSON to webhooks: generic, Slack, Feishu/Lark, DingTalk, WeCom.

Payload of each format (``text`` is the digest's short chat body)::

    generic   {"owner", "date", "subject", "text", "items": [...]}  (full text,
              "owner" null for the manager's digest)
    slack     {"text"}
    feishu    {"msg_type": "text", "content": {"text"}}  + "timestamp", "sign"
    dingtalk  {"msgtype": "markdown", "markdown": {"title", "text"}}
    wecom     {"msgtype": "markdown", "markdown": {"content"}}

Signed bots: Feishu checks ``sign`` = base64(HMAC-SHA256 with the key
"timestamp\\nsecret" over an empty message), timestamp in seconds, both in the
body. DingTalk checks ``sign`` = base64(HMAC-SHA256 with the key "secret" over
"timestamp\\nsecret"), timestamp in milliseconds, both as URL parameters.
NOTE: both schemes follow client code written against the custom-bot guides of
Feishu and DingTalk; they were not tried against the live services.

The webhook URL often contains the bot's token, so it is never logged or put
into an error message; only its host is.

No redirect is followed. For a 301, 302 or 303, urllib would send a GET
without the digest to whatever host the ``Location`` header names. So every
redirect is a failed post whose error names the status and the ``Location``
host, and a later run of the same day tries again.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from email.message import Message
from typing import IO, Any

from config.models import OwnerContact, WebhookChannel, WebhookFormat
from rules.digest import DigestItem, OwnerDigest
from sync.notify.credentials import read_credential
from sync.notify.errors import ChannelUnreachableError, DeliveryError
from sync.notify.network_errors import describe_network_error

logger = logging.getLogger(__name__)

# Seconds a webhook may take to connect and to respond.
WEBHOOK_TIMEOUT_SECONDS = 15.0
# WeCom rejects markdown content over 4096 bytes of UTF-8.
WECOM_CONTENT_BYTES = 4096
# Characters of a receiver's response quoted in an error message.
RESPONSE_QUOTE_LIMIT = 200

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

JsonObject = dict[str, Any]


class WebhookSender:
    """Posts digests to the webhook of one ``kind: webhook`` channel.

    Only owners whose contact lists this channel's id in ``webhooks`` are served.
    """

    def __init__(
        self,
        channel: WebhookChannel,
        environ: Mapping[str, str],
        *,
        timeout: float = WEBHOOK_TIMEOUT_SECONDS,
    ) -> None:
        self.channel = channel
        self.environ = environ
        self.timeout = timeout

    @property
    def channel_id(self) -> str:
        return self.channel.id

    @property
    def kind(self) -> str:
        return f"webhook/{self.channel.format.value}"

    def serves(self, contact: OwnerContact | None) -> bool:
        """Return True when the contact lists this channel in ``webhooks``."""
        return contact is not None and self.channel.id in contact.webhooks

    def send(
        self, digest: OwnerDigest, contact: OwnerContact | None, now: dt.datetime
    ) -> None:
        """Post one digest in the channel's format, signed when it has a secret.

        :raises DeliveryError: the receiver was unreachable, timed out, responded
            with an HTTP error or a redirect, or responded 200 with an error code
            in its JSON.
        :raises MissingCredentialError: the signing secret variable is not set.
        """
        secret = None
        if self.channel.secret_env is not None:
            secret = read_credential(
                self.environ, self.channel.secret_env, self.channel.id
            )

        url, payload = build_request(self.channel, digest, secret, now)
        response = self._post(url, payload)
        check_response(self.channel, response)

    def _post(self, url: str, payload: JsonObject) -> str:
        body = json.dumps(payload, ensure_ascii=False).encode()
        request = urllib.request.Request(
            url,
            data=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="POST",
        )
        opener = urllib.request.build_opener(NoRedirectHandler())
        try:
            with opener.open(request, timeout=self.timeout) as response:
                response_body: bytes = response.read()
        except urllib.error.HTTPError as error:
            # The receiver responded, so the next digest may still be taken.
            raise DeliveryError(self._failure(describe_http_error(error))) from error
        except OSError as error:
            failure = self._failure(describe_http_error(error, self.timeout))
            raise ChannelUnreachableError(failure) from error
        except http.client.HTTPException as error:
            raise DeliveryError(self._failure(describe_http_error(error))) from error
        return response_body.decode("utf-8", "replace")

    def _failure(self, reason: str) -> str:
        host = urllib.parse.urlsplit(self.channel.url).hostname
        return f"channel {self.channel.id!r}: posting to {host} failed: {reason}"


class NoRedirectHandler(urllib.request.HTTPRedirectHandler):
    """A handler that follows no redirect, so urllib raises it as an ``HTTPError``."""

    def http_error_302(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
    ) -> None:
        return None

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def build_request(
    channel: WebhookChannel,
    digest: OwnerDigest,
    secret: str | None,
    now: dt.datetime,
) -> tuple[str, JsonObject]:
    """Return the URL to post to and the JSON payload, signed when ``secret`` is set."""
    payload = build_payload(channel.format, digest)
    url = channel.url

    if secret is not None and channel.format is WebhookFormat.FEISHU:
        timestamp = str((now - _EPOCH) // dt.timedelta(seconds=1))
        payload |= {"timestamp": timestamp, "sign": sign_feishu(timestamp, secret)}
    if secret is not None and channel.format is WebhookFormat.DINGTALK:
        timestamp = str((now - _EPOCH) // dt.timedelta(milliseconds=1))
        query = {"timestamp": timestamp, "sign": sign_dingtalk(timestamp, secret)}
        separator = "&" if urllib.parse.urlsplit(url).query else "?"
        url += separator + urllib.parse.urlencode(query)
    return url, payload


def build_payload(webhook_format: WebhookFormat, digest: OwnerDigest) -> JsonObject:
    """Return the JSON body a receiver of ``webhook_format`` expects for a digest."""
    if webhook_format is WebhookFormat.SLACK:
        return {"text": escape_slack(digest.chat_text)}
    if webhook_format is WebhookFormat.FEISHU:
        return {"msg_type": "text", "content": {"text": digest.chat_text}}
    if webhook_format is WebhookFormat.DINGTALK:
        markdown = {"title": digest.subject, "text": digest.markdown}
        return {"msgtype": "markdown", "markdown": markdown}
    if webhook_format is WebhookFormat.WECOM:
        content = digest.markdown_within(WECOM_CONTENT_BYTES)
        if content is None:
            content = fit_utf8(digest.markdown, WECOM_CONTENT_BYTES)
        return {"msgtype": "markdown", "markdown": {"content": content}}

    return {
        "owner": digest.owner,
        "date": digest.digest_date.isoformat(),
        "subject": digest.subject,
        "text": digest.text,
        "items": [item_json(item) for item in digest.items],
    }


def item_json(item: DigestItem) -> JsonObject:
    """Return one digest item as the generic format lists it."""
    return {
        "id": item.identity,
        "kind": item.kind.value,
        "code": item.code.value,
        "severity": item.severity.value,
        "owner": item.owner,
        "deal_id": item.deal_id,
        "row": item.row,
        "account": item.account,
        "stage": item.stage,
        "due": item.due.isoformat() if item.due is not None else None,
        "message": item.message,
        "new": item.is_new,
    }


def sign_feishu(timestamp: str, secret: str) -> str:
    """Return the Feishu/Lark bot signature of ``timestamp`` (seconds)."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def sign_dingtalk(timestamp: str, secret: str) -> str:
    """Return the DingTalk bot signature of ``timestamp`` (milliseconds)."""
    message = f"{timestamp}\n{secret}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def check_response(channel: WebhookChannel, response: str) -> None:
    """Raise when a receiver responded HTTP 200 but reported an error in its JSON.

    On success Feishu responds ``{"code": 0}``, DingTalk and WeCom
    ``{"errcode": 0}``. Any other code means that the message was dropped.

    :raises DeliveryError: with the receiver's code and message.
    """
    if channel.format not in (
        WebhookFormat.FEISHU,
        WebhookFormat.DINGTALK,
        WebhookFormat.WECOM,
    ):
        return
    try:
        parsed = json.loads(response)
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        return

    code = parsed.get("code", parsed.get("errcode", 0))
    if code in (0, None):
        return
    message = parsed.get("msg", parsed.get("errmsg", ""))
    host = urllib.parse.urlsplit(channel.url).hostname
    raise DeliveryError(
        f"channel {channel.id!r}: {host} rejected the digest with code {code!r}: "
        f"{str(message)[:RESPONSE_QUOTE_LIMIT]!r}; for a signature error, check "
        "the secret and the clock of this machine"
    )


def describe_http_error(error: BaseException, timeout: float | None = None) -> str:
    """Describe a failed POST in one line, without the URL.

    :param timeout: the seconds waited, named in the message of a timeout.
    """
    if isinstance(error, urllib.error.HTTPError) and 300 <= error.code < 400:
        error.close()
        return describe_redirect(error)
    if isinstance(error, urllib.error.HTTPError):
        with error:
            body = error.read().decode("utf-8", "replace")[:RESPONSE_QUOTE_LIMIT]
        return f"HTTP {error.code} {error.reason}: {body!r}"
    if isinstance(error, urllib.error.URLError) and isinstance(
        error.reason, TimeoutError
    ):
        return describe_timeout(timeout)
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
        plain = describe_network_error(reason) if isinstance(reason, OSError) else None
        if isinstance(reason, ConnectionRefusedError | socket.gaierror):
            plain = f"{plain}; check the channel's url, and that the receiver runs"
        return plain or f"{reason}"
    if isinstance(error, TimeoutError):
        return describe_timeout(timeout)
    return f"{type(error).__name__}: {error}"


def describe_timeout(timeout: float | None) -> str:
    """Describe a post that got no response in time.

    The receiver may have taken the digest before the timeout, so the post
    of a later run can deliver it twice.
    """
    waited = "" if timeout is None else f" after {timeout:g} s"
    return (
        f"timed out{waited} without a response; the receiver may still have "
        "taken the digest"
    )


def describe_redirect(error: urllib.error.HTTPError) -> str:
    """Describe a redirect response by its status and where ``Location`` points.

    Only the scheme, host and port of ``Location`` are named, because the rest
    can contain a token.
    """
    status = f"HTTP {error.code} {error.reason}"
    target = redirect_origin(error.url, error.headers.get("Location"))
    if target is None:
        return f"{status}, a redirect without a usable Location header"
    return (
        f"{status}, a redirect to {target!r}, which is not followed. If the "
        "receiver has moved there, set the channel's url to its new address"
    )


def redirect_origin(request_url: str, location: str | None) -> str | None:
    """Return ``scheme://host[:port]`` of a redirect's target, or None without one.

    A relative ``Location`` is read against the URL that was posted to.
    """
    if not location:
        return None
    target = urllib.parse.urlsplit(urllib.parse.urljoin(request_url, location))
    if not target.hostname:
        return None
    try:
        port = target.port
    except ValueError:
        port = None
    host = f"[{target.hostname}]" if ":" in target.hostname else target.hostname
    return f"{target.scheme}://{host}" + ("" if port is None else f":{port}")


def escape_slack(text: str) -> str:
    """Escape the three characters Slack reads as markup in message text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit_utf8(text: str, limit: int) -> str:
    """Return ``text`` cut at a line end so that its UTF-8 form fits ``limit`` bytes.

    A first line longer than the limit is cut within the line.

    Only for a body that :meth:`OwnerDigest.markdown_within` cannot shorten,
    because this cut drops the line that counts the items left out.
    """
    if len(text.encode()) <= limit:
        return text
    lines = text.split("\n")
    while lines and len(("\n".join(lines) + "\n…").encode()) > limit:
        lines.pop()
    if lines:
        return "\n".join(lines) + "\n…"
    # The first line alone is too long (a subject of thousands of characters):
    # it is cut between characters, so the message still starts with its text.
    cut = text.split("\n", 1)[0].encode()[: limit - len("…".encode())]
    return cut.decode(errors="ignore") + "…"
