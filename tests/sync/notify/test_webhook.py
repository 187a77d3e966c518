"""Tests for posting digests to a loopback HTTP server in each webhook format."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import urllib.parse
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest

from config.models import OwnerContact, WebhookChannel
from sync.notify.errors import (
    ChannelUnreachableError,
    DeliveryError,
    MissingCredentialError,
)
from sync.notify.webhook import WECOM_CONTENT_BYTES, WebhookSender
from tests.sync.notify.samples import (
    ana_digest,
    build_team_pipeline,
    long_chinese_digest,
)
from tests.sync.notify.servers import (
    LOOPBACK,
    SilentServer,
    WebhookReceiver,
    closed_loopback_port,
)

# 2025-09-30 06:00:00.250 UTC: 1759212000 seconds after the epoch.
NOW = dt.datetime(2025, 9, 30, 6, 0, 0, 250_000, tzinfo=dt.UTC)
SECRET = "SEC-test-signing-secret"
CONTACT = OwnerContact(webhooks=["team-chat"])
CHAT_TEXT = (
    "pipesheet: 1 overdue follow-up for Ana Lima (Team pipeline, 2025-09-30)\n"
    "\n"
    "- D-1 · Acme Tools · Lead (row 2): follow-up 5 days overdue (2025-09-25): "
    "Send pricing"
)
MARKDOWN = (
    "**pipesheet: 1 overdue follow-up for Ana Lima (Team pipeline, 2025-09-30)**\n"
    "\n"
    "- D-1 · Acme Tools · Lead (row 2): follow-up 5 days overdue (2025-09-25): "
    "Send pricing"
)


def webhook_sender(
    url: str,
    webhook_format: str = "generic",
    secret_env: str | None = None,
    environ: dict[str, str] | None = None,
) -> WebhookSender:
    channel = WebhookChannel(
        kind="webhook",
        id="team-chat",
        url=url,
        format=webhook_format,  # type: ignore[arg-type]
        secret_env=secret_env,
    )
    return WebhookSender(channel, environ or {}, timeout=10)


def post_digest(
    receiver: WebhookReceiver, webhook_format: str, path: str = "/hook"
) -> Any:
    webhook_sender(receiver.url + path, webhook_format).send(ana_digest(), CONTACT, NOW)
    assert len(receiver.requests) == 1
    return receiver.requests[0].json()


@pytest.mark.parametrize(
    ("webhook_format", "payload"),
    [
        ("slack", {"text": CHAT_TEXT}),
        ("feishu", {"msg_type": "text", "content": {"text": CHAT_TEXT}}),
        (
            "dingtalk",
            {
                "msgtype": "markdown",
                "markdown": {
                    "title": (
                        "pipesheet: 1 overdue follow-up for Ana Lima "
                        "(Team pipeline, 2025-09-30)"
                    ),
                    "text": MARKDOWN,
                },
            },
        ),
        ("wecom", {"msgtype": "markdown", "markdown": {"content": MARKDOWN}}),
    ],
    ids=["slack", "feishu", "dingtalk", "wecom"],
)
def test_chat_payload_shape(
    receiver: WebhookReceiver, webhook_format: str, payload: dict[str, Any]
) -> None:
    assert post_digest(receiver, webhook_format) == payload


@pytest.mark.parametrize(
    ("webhook_format", "heading_of"),
    [
        ("generic", lambda payload: payload["subject"]),
        ("slack", lambda payload: payload["text"].split("\n")[0]),
        ("feishu", lambda payload: payload["content"]["text"].split("\n")[0]),
        ("dingtalk", lambda payload: payload["markdown"]["title"]),
        ("wecom", lambda payload: payload["markdown"]["content"].split("\n")[0]),
    ],
    ids=["generic", "slack", "feishu", "dingtalk", "wecom"],
)
def test_heading_names_definition(
    receiver: WebhookReceiver,
    webhook_format: str,
    heading_of: Callable[[Any], str],
) -> None:
    # Two workbooks in one service post to the same channel, so the heading
    # must tell their digests apart.
    berlin = build_team_pipeline().model_copy(update={"name": "Berlin\ndesk"})
    sender = webhook_sender(receiver.url + "/hook", webhook_format)

    sender.send(ana_digest(berlin), CONTACT, NOW)

    heading = heading_of(receiver.requests[0].json())
    assert "(Berlin desk, 2025-09-30)" in heading


def test_generic_payload_lists_items(receiver: WebhookReceiver) -> None:
    digest = ana_digest()

    payload = post_digest(receiver, "generic")

    assert payload == {
        "owner": "Ana Lima",
        "date": "2025-09-30",
        "subject": (
            "pipesheet: 1 overdue follow-up for Ana Lima (Team pipeline, 2025-09-30)"
        ),
        "text": digest.text,
        "items": [
            {
                "id": digest.items[0].identity,
                "kind": "overdue",
                "code": "followup-overdue",
                "severity": "warning",
                "owner": "Ana Lima",
                "deal_id": "D-1",
                "row": 2,
                "account": "Acme Tools",
                "stage": "Lead",
                "due": "2025-09-25",
                "message": "follow-up 5 days overdue (2025-09-25): Send pricing",
                "new": True,
            }
        ],
    }


def test_post_is_utf8_json(receiver: WebhookReceiver) -> None:
    post_digest(receiver, "generic")

    request = receiver.requests[0]
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert "Acme Tools · Lead".encode() in request.body


def test_slack_text_escapes_markup(receiver: WebhookReceiver) -> None:
    digest = dataclasses.replace(ana_digest(), chat_text="R&D <team> deal")

    webhook_sender(receiver.url, "slack").send(digest, CONTACT, NOW)

    assert receiver.requests[0].json() == {"text": "R&amp;D &lt;team&gt; deal"}


def test_feishu_signed_in_body(receiver: WebhookReceiver) -> None:
    sender = webhook_sender(
        receiver.url + "/open-apis/bot/v2/hook/abc",
        "feishu",
        "FEISHU_SECRET",
        {"FEISHU_SECRET": SECRET},
    )

    sender.send(ana_digest(), CONTACT, NOW)

    payload = receiver.requests[0].json()
    key = f"1759212000\n{SECRET}".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert payload["timestamp"] == "1759212000"
    assert payload["sign"] == expected
    assert payload["msg_type"] == "text"
    assert receiver.requests[0].path == "/open-apis/bot/v2/hook/abc"


def test_dingtalk_signed_in_url(receiver: WebhookReceiver) -> None:
    sender = webhook_sender(
        receiver.url + "/robot/send?access_token=tok123",
        "dingtalk",
        "DINGTALK_SECRET",
        {"DINGTALK_SECRET": SECRET},
    )

    sender.send(ana_digest(), CONTACT, NOW)

    url = urllib.parse.urlsplit(receiver.requests[0].path)
    query = urllib.parse.parse_qs(url.query)
    message = f"1759212000250\n{SECRET}".encode()
    digest = hmac.new(SECRET.encode(), message, hashlib.sha256).digest()
    assert url.path == "/robot/send"
    assert query["access_token"] == ["tok123"]
    assert query["timestamp"] == ["1759212000250"]
    assert query["sign"] == [base64.b64encode(digest).decode()]
    assert "timestamp" not in receiver.requests[0].json()


def test_missing_signing_secret_named() -> None:
    sender = webhook_sender("http://127.0.0.1:9/hook", "dingtalk", "DINGTALK_SECRET")

    with pytest.raises(MissingCredentialError) as raised:
        sender.send(ana_digest(), CONTACT, NOW)

    assert str(raised.value) == (
        "channel 'team-chat': the environment variable 'DINGTALK_SECRET' is not "
        "set or is empty; set it in the environment of the pipesheet service, or "
        "remove it from the channel in the definition"
    )


def test_wecom_content_keeps_count_line(receiver: WebhookReceiver) -> None:
    digest = long_chinese_digest(12, account="深圳前海智联供应链管理服务有限公司")
    assert len(digest.markdown.encode()) > WECOM_CONTENT_BYTES

    webhook_sender(receiver.url, "wecom").send(digest, CONTACT, NOW)

    content = receiver.requests[0].json()["markdown"]["content"]
    lines = content.splitlines()
    items = [line for line in lines if line.startswith("- ")]
    assert len(content.encode()) <= WECOM_CONTENT_BYTES
    assert items == digest.markdown.splitlines()[2 : 2 + len(items)]
    assert lines[-1] == (
        f"**……另有 {12 - len(items)} 项，请查看“待跟进”和“问题清单”表。**"
    )


def test_wecom_content_cut_at_line_as_last_resort(
    receiver: WebhookReceiver,
) -> None:
    long_markdown = "\n".join(f"- 商机 D-{row}: {'跟进' * 40}" for row in range(60))
    digest = dataclasses.replace(ana_digest(), markdown=long_markdown, content=None)

    webhook_sender(receiver.url, "wecom").send(digest, CONTACT, NOW)

    content = receiver.requests[0].json()["markdown"]["content"]
    assert len(content.encode()) <= WECOM_CONTENT_BYTES
    assert content.endswith("\n…")
    assert content.startswith("- 商机 D-0: ")


def test_http_error_reported_without_url(receiver: WebhookReceiver) -> None:
    receiver.responses.append((500, b"upstream exploded"))
    sender = webhook_sender(receiver.url + "/hook?token=tok123", "slack")

    with pytest.raises(DeliveryError) as raised:
        sender.send(ana_digest(), CONTACT, NOW)

    assert str(raised.value) == (
        f"channel 'team-chat': posting to {LOOPBACK} failed: HTTP 500 Internal "
        "Server Error: 'upstream exploded'"
    )


@pytest.mark.parametrize(
    "status", [301, 302, 303, 307, 308], ids=["301", "302", "303", "307", "308"]
)
def test_redirect_not_followed(receiver: WebhookReceiver, status: int) -> None:
    # The redirect points back at the receiver, on loopback, so a client that
    # follows it sends a second request there and nowhere else.
    receiver.responses.append((status, b""))
    receiver.location = f"{receiver.url}/moved?token=tok456"
    sender = webhook_sender(receiver.url + "/hook?token=tok123", "slack")

    with pytest.raises(DeliveryError) as raised:
        sender.send(ana_digest(), CONTACT, NOW)

    reason = HTTPStatus(status).phrase
    assert [request.path for request in receiver.requests] == ["/hook?token=tok123"]
    assert str(raised.value) == (
        f"channel 'team-chat': posting to {LOOPBACK} failed: HTTP {status} "
        f"{reason}, a redirect to {receiver.url!r}, which is not followed. If the "
        "receiver has moved there, set the channel's url to its new address"
    )


@pytest.mark.parametrize(
    ("location", "target"),
    [
        ("/moved", "a redirect to 'http://127.0.0.1:{port}'"),
        ("https://[::1]:8443/moved", "a redirect to 'https://[::1]:8443'"),
        (None, "a redirect without a usable Location header"),
        ("mailto:ana@example.com", "a redirect without a usable Location header"),
    ],
    ids=["relative", "ipv6-https", "no-location", "no-host"],
)
def test_redirect_target_named(
    receiver: WebhookReceiver, location: str | None, target: str
) -> None:
    receiver.responses.append((302, b""))
    receiver.location = location
    sender = webhook_sender(receiver.url + "/hook")

    with pytest.raises(DeliveryError) as raised:
        sender.send(ana_digest(), CONTACT, NOW)

    port = receiver.server.server_address[1]
    assert len(receiver.requests) == 1
    assert f"HTTP 302 Found, {target.format(port=port)}" in str(raised.value)


@pytest.mark.parametrize(
    ("webhook_format", "response", "message"),
    [
        (
            "feishu",
            b'{"code": 19021, "msg": "sign match fail"}',
            "code 19021: 'sign match fail'",
        ),
        (
            "dingtalk",
            b'{"errcode": 310000, "errmsg": "sign not match"}',
            "code 310000: 'sign not match'",
        ),
        (
            "wecom",
            b'{"errcode": 93000, "errmsg": "invalid webhook url"}',
            "code 93000: 'invalid webhook url'",
        ),
    ],
    ids=["feishu", "dingtalk", "wecom"],
)
def test_error_code_in_ok_response_reported(
    receiver: WebhookReceiver, webhook_format: str, response: bytes, message: str
) -> None:
    receiver.responses.append((200, response))

    with pytest.raises(DeliveryError) as raised:
        post_digest(receiver, webhook_format)

    assert str(raised.value) == (
        f"channel 'team-chat': {LOOPBACK} rejected the digest with {message}; "
        "for a signature error, check the secret and the clock of this machine"
    )


@pytest.mark.parametrize(
    ("webhook_format", "response"),
    [
        ("feishu", b'{"code": 0, "msg": "success"}'),
        ("dingtalk", b'{"errcode": 0, "errmsg": "ok"}'),
        ("slack", b"ok"),
        ("generic", b""),
    ],
    ids=["feishu", "dingtalk", "slack", "generic-empty"],
)
def test_success_response_accepted(
    receiver: WebhookReceiver, webhook_format: str, response: bytes
) -> None:
    receiver.responses.append((200, response))

    post_digest(receiver, webhook_format)

    assert receiver.responses == []


def test_refused_connection_reported() -> None:
    sender = webhook_sender(f"http://{LOOPBACK}:{closed_loopback_port()}/hook")

    with pytest.raises(DeliveryError) as raised:
        sender.send(ana_digest(), CONTACT, NOW)

    assert str(raised.value) == (
        f"channel 'team-chat': posting to {LOOPBACK} failed: the connection was "
        "refused, so no server listens at that address and port; check the "
        "channel's url, and that the receiver runs"
    )


def test_timeout_names_seconds(silent_server: SilentServer) -> None:
    channel = WebhookChannel(
        kind="webhook", id="team-chat", url=f"http://{LOOPBACK}:{silent_server.port}"
    )
    sender = WebhookSender(channel, {}, timeout=0.2)

    with pytest.raises(ChannelUnreachableError) as raised:
        sender.send(ana_digest(), CONTACT, NOW)

    assert str(raised.value) == (
        f"channel 'team-chat': posting to {LOOPBACK} failed: timed out after 0.2 s "
        "without a response; the receiver may still have taken the digest"
    )


@pytest.mark.parametrize(
    ("contact", "served"),
    [
        (CONTACT, True),
        (OwnerContact(webhooks=["other-chat"]), False),
        (OwnerContact(email="ana@example.com"), False),
        (None, False),
    ],
    ids=["listed", "other-webhook", "email-only", "no-contact"],
)
def test_webhook_serves_contacts_that_list_it(
    contact: OwnerContact | None, served: bool
) -> None:
    assert webhook_sender("https://hooks.example.com/T1").serves(contact) is served


def test_wecom_long_subject_cut(receiver: WebhookReceiver) -> None:
    subject = "**" + "华南区域大客户销售管道" * 200 + "**"
    markdown = subject + "\n\n- 商机 D-1: 跟进"
    digest = dataclasses.replace(ana_digest(), markdown=markdown, content=None)

    webhook_sender(receiver.url, "wecom").send(digest, CONTACT, NOW)

    content = receiver.requests[0].json()["markdown"]["content"]
    assert len(content.encode()) <= WECOM_CONTENT_BYTES
    assert len(content.encode()) > WECOM_CONTENT_BYTES - 4
    assert content.startswith("**华南区域大客户销售管道华南")
    assert content.endswith("…")
    assert "\n" not in content
