"""Tests for the notifications section of a definition: digests and channels."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from config.errors import DefinitionError
from config.loader import load_pipeline, parse_pipeline
from config.models import EmailChannel, WebhookChannel, WebhookFormat

NOTIFICATIONS_YAML = """\
name: Test pipeline
source:
  tab: Deals
columns:
  id: {aliases: [Deal ID]}
  stage: {aliases: [Stage]}
  owner: {aliases: [Owner]}
stages:
  - name: Lead
  - name: Won
    outcome: won
timezone: Europe/Berlin
notifications:
  digest_hour: 7
  owners:
    Ana Lima: {email: ana.lima@example.com, webhooks: [team-chat]}
    Bo Chen: {webhooks: [team-chat]}
  manager_digest_to: {email: sales.lead@example.com}
  channels:
    - kind: email
      smtp_host: smtp.example.com
      from_address: pipesheet@example.com
      username_env: PIPESHEET_SMTP_USER
      password_env: PIPESHEET_SMTP_PASSWORD
    - kind: webhook
      id: team-chat
      url: https://oapi.dingtalk.com/robot/send?access_token=abc
      format: dingtalk
      secret_env: PIPESHEET_DINGTALK_SECRET
"""


def minimal_data(notifications: object) -> dict[str, object]:
    return {
        "name": "Test pipeline",
        "source": {"tab": "Deals"},
        "columns": {
            "id": {"aliases": ["Deal ID"]},
            "stage": {"aliases": ["Stage"]},
            "owner": {"aliases": ["Owner"]},
        },
        "stages": [{"name": "Lead"}, {"name": "Won", "outcome": "won"}],
        "notifications": notifications,
    }


def email_channel(**changes: object) -> dict[str, object]:
    channel: dict[str, object] = {
        "kind": "email",
        "smtp_host": "smtp.example.com",
        "from_address": "pipesheet@example.com",
    }
    channel.update(changes)
    return channel


def webhook_channel(**changes: object) -> dict[str, object]:
    channel: dict[str, object] = {
        "kind": "webhook",
        "id": "team-chat",
        "url": "https://hooks.example.com/T1",
    }
    channel.update(changes)
    return channel


def problem_lines(notifications: object) -> list[str]:
    with pytest.raises(DefinitionError) as raised:
        parse_pipeline(minimal_data(notifications), origin="team.yaml")
    heading, *lines = str(raised.value).splitlines()
    assert heading.startswith("team.yaml: invalid pipeline definition (")
    return [line.removeprefix("  - ") for line in lines]


def test_yaml_notifications_load_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(textwrap.dedent(NOTIFICATIONS_YAML), encoding="utf-8")

    notifications = load_pipeline(path).notifications

    assert notifications is not None
    email, webhook = notifications.channels
    assert isinstance(email, EmailChannel)
    assert isinstance(webhook, WebhookChannel)
    assert notifications.digest_hour == 7
    assert (email.id, email.smtp_port, email.starttls) == ("email", 587, True)
    assert email.password_env == "PIPESHEET_SMTP_PASSWORD"
    assert webhook.format is WebhookFormat.DINGTALK
    assert notifications.owners["Bo Chen"].webhooks == ["team-chat"]


def test_definition_without_notifications_has_none() -> None:
    data = minimal_data(None)
    del data["notifications"]

    assert parse_pipeline(data, origin="team.yaml").notifications is None


def test_owner_contact_found_ignoring_case_and_spaces() -> None:
    notifications = {
        "owners": {"Ana Lima": {"email": "ana@example.com"}},
        "channels": [email_channel()],
    }
    pipeline = parse_pipeline(minimal_data(notifications), origin="team.yaml")
    assert pipeline.notifications is not None

    contact = pipeline.notifications.contact_of(" ana  LIMA")

    assert contact is not None
    assert contact.email == "ana@example.com"
    assert pipeline.notifications.contact_of("Bo Chen") is None


@pytest.mark.parametrize(
    ("entry", "owner"),
    [
        ("Ana Lima", "Ana Lima\u200f"),
        ("Ana Lima\u200f", "Ana Lima"),
        ("Ana Lima", "\ufeffAna Li\u00adma"),
        ("王芳", "王\u3000芳"),
        ("王\u3000芳", "王芳"),
        ("王芳", "王 \u200b芳"),
    ],
    ids=[
        "mark-in-sheet",
        "mark-in-entry",
        "bom-and-soft-hyphen",
        "ideographic-space-in-sheet",
        "ideographic-space-in-entry",
        "space-and-zero-width-space",
    ],
)
def test_owner_contact_found_ignoring_invisible_marks(entry: str, owner: str) -> None:
    notifications = {
        "owners": {entry: {"email": "ana@example.com"}},
        "channels": [email_channel()],
    }
    pipeline = parse_pipeline(minimal_data(notifications), origin="team.yaml")
    assert pipeline.notifications is not None

    contact = pipeline.notifications.contact_of(owner)

    assert contact is not None
    assert contact.email == "ana@example.com"


@pytest.mark.parametrize(
    ("notifications", "line"),
    [
        (
            {"digest_hour": 24, "channels": [email_channel()]},
            (
                "notifications.digest_hour: invalid value 24; expected a whole "
                "number from 0 to 23"
            ),
        ),
        (
            {"channels": [email_channel(smtp_hots="mail", smtp_host="mail")]},
            (
                "notifications.channels[0].smtp_hots: unknown key 'smtp_hots'; did you "
                "mean 'smtp_host'? Valid keys here: kind, id, smtp_host, smtp_port, "
                "starttls, from_address, username_env, password_env, to"
            ),
        ),
        (
            {"channels": [webhook_channel(secret="abc")]},
            (
                "notifications.channels[0].secret: unknown key 'secret'; did you mean "
                "'secret_env'? Valid keys here: kind, id, url, format, secret_env"
            ),
        ),
        (
            {"channels": [email_channel()], "digest_time": 7},
            (
                "notifications.digest_time: unknown key 'digest_time'; did you mean "
                "'digest_hour'? Valid keys here: digest_hour, owners, channels, "
                "manager_digest_to"
            ),
        ),
        (
            {"channels": [email_channel(kind="emial")]},
            (
                "notifications.channels[0].kind: invalid value 'emial'; expected "
                "'email' or 'webhook'; did you mean 'email'?"
            ),
        ),
        (
            {"channels": [{"smtp_host": "mail"}]},
            (
                "notifications.channels[0].kind: missing; this key is required, "
                "expected 'email' or 'webhook'"
            ),
        ),
        (
            {"channels": [webhook_channel(format="teams")]},
            (
                "notifications.channels[0].format: invalid value 'teams'; expected "
                "'generic', 'slack', 'feishu', 'dingtalk' or 'wecom'"
            ),
        ),
        (
            {"channels": [webhook_channel(url="hooks.example.com/T1")]},
            (
                "notifications.channels[0].url: invalid value 'hooks.example.com/…'; "
                "expected an http:// or https:// URL, as the chat app shows it when "
                "you add the bot"
            ),
        ),
        (
            {"channels": [webhook_channel(url="https://")]},
            (
                "notifications.channels[0].url: invalid value 'https://'; the host "
                "is missing after the scheme. Copy the whole URL again from the "
                "chat app, such as 'https://hooks.example.com/T1/B2'"
            ),
        ),
        (
            {"channels": [webhook_channel(url="http://127.0.0.1:99999/hook")]},
            (
                "notifications.channels[0].url: invalid value "
                "'http://127.0.0.1:99999/…'; the port after the host is not a "
                "number from 1 to 65535. Copy the whole URL again from the chat "
                "app, such as 'https://hooks.example.com/T1/B2'"
            ),
        ),
        (
            {"channels": [webhook_channel(url="https://hooks.example.com:x/T1")]},
            (
                "notifications.channels[0].url: invalid value "
                "'https://hooks.example.com:x/…'; the port after the host is not a "
                "number from 1 to 65535. Copy the whole URL again from the chat "
                "app, such as 'https://hooks.example.com/T1/B2'"
            ),
        ),
        (
            {"channels": [webhook_channel(url="https://hooks.example.com/T1 B2")]},
            (
                "notifications.channels[0].url: invalid value "
                "'https://hooks.example.com/…'; the URL contains a space or line "
                "break, which a URL cannot contain. Copy the whole URL again from "
                "the chat app, such as 'https://hooks.example.com/T1/B2'"
            ),
        ),
        (
            {"channels": [webhook_channel(url="http://bot:pw9@127.0.0.1:8080/h")]},
            (
                "notifications.channels[0].url: invalid value "
                "'http://127.0.0.1:8080/…'; the URL has a user name or password "
                "before its host ('…@'), which pipesheet does not send. Delete "
                "that part. A bot's token goes in the URL's path or query, as the "
                "chat app gives it, and a feishu or dingtalk signing secret in the "
                "environment variable that 'secret_env' names"
            ),
        ),
        (
            {"channels": []},
            "notifications.channels: has 0 items; expected at least 1 item",
        ),
    ],
    ids=[
        "hour-out-of-range",
        "misspelled-email-key",
        "secret-instead-of-secret-env",
        "misspelled-section-key",
        "misspelled-kind",
        "missing-kind",
        "unknown-format",
        "url-without-scheme",
        "url-without-host",
        "url-port-out-of-range",
        "url-port-not-number",
        "url-with-space",
        "url-with-password",
        "no-channels",
    ],
)
def test_invalid_notifications_named_with_key_path(
    notifications: object, line: str
) -> None:
    assert problem_lines(notifications) == [line]


@pytest.mark.parametrize(
    ("channel", "line"),
    [
        (
            email_channel(password_env="sup3r secret!", username_env="SMTP_USER"),
            (
                "notifications.channels[0].password_env: invalid value "
                "'sup3r secret!'; expected the name of an environment variable, "
                "such as 'PIPESHEET_SMTP_PASSWORD', that holds the value (never the "
                "value itself)"
            ),
        ),
        (
            email_channel(username_env="SMTP_USER"),
            (
                "notifications.channels[0]: expected both 'username_env' and "
                "'password_env', or neither; add the missing one"
            ),
        ),
        (
            email_channel(
                username_env="SMTP_USER", password_env="SMTP_PASSWORD", starttls=False
            ),
            (
                "notifications.channels[0]: 'starttls: false' with a user name and "
                "password would send the password unencrypted; set 'starttls: true'"
            ),
        ),
        (
            email_channel(from_address="pipesheet"),
            (
                "notifications.channels[0].from_address: invalid e-mail address "
                "'pipesheet'; expected an address such as 'ana.lima@example.com'"
            ),
        ),
        (
            webhook_channel(format="slack", secret_env="SLACK_SECRET"),
            (
                "notifications.channels[0]: 'secret_env' is only used by the formats "
                "feishu and dingtalk, not 'slack'; delete it"
            ),
        ),
        (
            webhook_channel(id="team-chat-" * 7),
            (
                "notifications.channels[0].id: invalid value 'team-chat-team-chat-"
                "team-chat-team-chat-team-chat-team-chat-team-chat-'; expected an id "
                "of 1 to 64 characters, such as 'team-chat'"
            ),
        ),
        (
            webhook_channel(id=" "),
            (
                "notifications.channels[0].id: invalid value ' '; expected an id of 1 "
                "to 64 characters, such as 'team-chat'"
            ),
        ),
    ],
    ids=[
        "secret-in-env-key",
        "username-without-password",
        "password-without-starttls",
        "from-address-not-email",
        "secret-for-unsigned-format",
        "id-too-long",
        "blank-id",
    ],
)
def test_invalid_channel_rejected(channel: dict[str, object], line: str) -> None:
    assert problem_lines({"channels": [channel]}) == [line]


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        (
            {"owners": {"Ana Lima": {"webhooks": ["team-caht"]}}},
            (
                "notifications.owners['Ana Lima'].webhooks: 'team-caht' is not the id "
                "of a webhook channel; did you mean 'team-chat'?"
            ),
        ),
        (
            {"manager_digest_to": {"webhooks": ["email"]}},
            (
                "notifications.manager_digest_to.webhooks: 'email' is not the id of a "
                "webhook channel; webhook channels: team-chat"
            ),
        ),
        (
            {"owners": {"Ana Lima": {"email": "ana@example.com"}}},
            (
                "notifications.owners['Ana Lima'].email: no channel sends e-mail; add "
                "a channel with 'kind: email' or delete the address"
            ),
        ),
        (
            {
                "owners": {
                    "Ana Lima": {"webhooks": ["team-chat"]},
                    "ana  lima": {"webhooks": ["team-chat"]},
                }
            },
            (
                "notifications.owners['ana  lima']: the name matches 'Ana Lima' (case "
                "and spaces are ignored); merge the two entries"
            ),
        ),
        (
            {
                "owners": {
                    "王芳": {"webhooks": ["team-chat"]},
                    "王\u3000芳": {"webhooks": ["team-chat"]},
                }
            },
            (
                "notifications.owners['王\\u3000芳']: the name matches '王芳' (case "
                "and spaces are ignored); merge the two entries"
            ),
        ),
        (
            {"owners": {"Ana Lima": {}}},
            (
                "notifications.owners['Ana Lima']: expected 'email', 'webhooks' or "
                "both, got neither; add where this person's digest goes"
            ),
        ),
        (
            {"owners": {"Ana Lima": {"email": "Ana Lima"}}},
            (
                "notifications.owners['Ana Lima'].email: invalid e-mail address "
                "'Ana Lima'; expected an address such as 'ana.lima@example.com'"
            ),
        ),
        (
            {"owners": {"Ana Lima": {"email": "ana.lima@https://example.com"}}},
            (
                "notifications.owners['Ana Lima'].email: invalid e-mail address "
                "'ana.lima@https://example.com'; expected an address such as "
                "'ana.lima@example.com'"
            ),
        ),
        (
            {"owners": {"Ana Lima": {"email": "ana.lima@example.com,"}}},
            (
                "notifications.owners['Ana Lima'].email: invalid e-mail address "
                "'ana.lima@example.com,'; expected an address such as "
                "'ana.lima@example.com'"
            ),
        ),
        (
            {"owners": {"Ana": {"webhooks": ["team-caht"]}}},
            (
                "notifications.owners.Ana.webhooks: 'team-caht' is not the id of a "
                "webhook channel; did you mean 'team-chat'?"
            ),
        ),
        (
            {"owners": {"Ana": {"email": "Ana"}}},
            (
                "notifications.owners.Ana.email: invalid e-mail address 'Ana'; "
                "expected an address such as 'ana.lima@example.com'"
            ),
        ),
        (
            {"owners": {" ": {"webhooks": ["team-chat"]}}},
            (
                "notifications.owners[' ']: invalid owner name ' '; expected the "
                "name as the owner column writes it, with at least one character "
                "that is not a space"
            ),
        ),
    ],
    ids=[
        "misspelled-webhook-id",
        "email-channel-as-webhook",
        "email-without-email-channel",
        "owner-listed-twice",
        "owner-listed-with-ideographic-space",
        "empty-contact",
        "name-as-email",
        "url-after-at-sign",
        "comma-after-address",
        "plain-owner-webhook",
        "plain-owner-email",
        "blank-owner-name",
    ],
)
def test_invalid_contact_rejected(changes: dict[str, object], line: str) -> None:
    notifications = {"channels": [webhook_channel()], **changes}

    assert problem_lines(notifications) == [line]


def test_repeated_channel_id_rejected() -> None:
    channels = [webhook_channel(), webhook_channel(format="slack")]

    assert problem_lines({"channels": channels}) == [
        (
            "notifications.channels[1].id: the id 'team-chat' is already used by "
            "channels[0]; give each channel its own id"
        )
    ]


@pytest.mark.parametrize(
    ("host", "line"),
    [
        (
            "127.0.0.1:8025",
            (
                "invalid value '127.0.0.1:8025'; expected the SMTP server's host name "
                "or IP address alone, without the port 8025; set smtp_host to "
                "'127.0.0.1' and smtp_port to 8025"
            ),
        ),
        (
            "[::1]:2525",
            (
                "invalid value '[::1]:2525'; expected the SMTP server's host name or "
                "IP address alone, without the port 2525; set smtp_host to '::1' and "
                "smtp_port to 2525"
            ),
        ),
        (
            "smtp://mail.example.com:465",
            (
                "invalid value 'smtp://mail.example.com:465'; expected the SMTP "
                "server's host name or IP address alone, without the scheme 'smtp://' "
                "and the port 465; set smtp_host to 'mail.example.com' and smtp_port "
                "to 465"
            ),
        ),
        (
            "mail.example.com/smtp",
            (
                "invalid value 'mail.example.com/smtp'; expected the SMTP server's "
                "host name or IP address alone, without the path '/smtp'; set "
                "smtp_host to 'mail.example.com'"
            ),
        ),
        (
            "mail.example.com ",
            (
                "invalid value 'mail.example.com '; expected the SMTP server's host "
                "name or IP address alone, without the spaces around it; set "
                "smtp_host to 'mail.example.com'"
            ),
        ),
        (
            "mail example.com",
            (
                "invalid value 'mail example.com'; expected the SMTP server's host "
                "name or IP address alone, such as 'smtp.example.com'"
            ),
        ),
    ],
    ids=[
        "port",
        "bracketed-ipv6-port",
        "scheme-and-port",
        "path",
        "space",
        "space-inside",
    ],
)
def test_smtp_host_with_extras_rejected(host: str, line: str) -> None:
    notifications = {"channels": [email_channel(smtp_host=host)]}

    assert problem_lines(notifications) == [
        f"notifications.channels[0].smtp_host: {line}"
    ]


@pytest.mark.parametrize(
    "host",
    ["smtp.example.com", "mailhub", "smtp.example.com.", "127.0.0.1", "::1"],
    ids=["name", "single-label", "trailing-dot", "ipv4", "ipv6"],
)
def test_smtp_host_name_or_address_accepted(host: str) -> None:
    notifications = {"channels": [email_channel(smtp_host=host)]}

    pipeline = parse_pipeline(minimal_data(notifications), origin="team.yaml")

    assert pipeline.notifications is not None
    channel = pipeline.notifications.channels[0]
    assert isinstance(channel, EmailChannel)
    assert channel.smtp_host == host


@pytest.mark.parametrize(
    ("channel", "line"),
    [
        (
            "email",
            (
                "notifications.channels[0]: invalid value 'email'; expected a "
                "mapping whose key 'kind' is 'email' or 'webhook', such as "
                "{kind: email, smtp_host: ..., from_address: ...}; the keys of "
                "kind 'email' are kind, id, smtp_host, smtp_port, starttls, "
                "from_address, username_env, password_env, to"
            ),
        ),
        (
            "chat",
            (
                "notifications.channels[0]: invalid value 'chat'; expected a mapping "
                "whose key 'kind' is 'email' or 'webhook'"
            ),
        ),
    ],
    ids=["kind-name", "other-word"],
)
def test_channel_written_as_word_rejected(channel: str, line: str) -> None:
    assert problem_lines({"channels": [channel]}) == [line]


@pytest.mark.parametrize(
    "host",
    ["user:secret@smtp.example.com", "mailto:ops@example.com"],
    ids=["credentials", "mailto"],
)
def test_smtp_host_with_at_sign_rejected_unquoted(host: str) -> None:
    notifications = {"channels": [email_channel(smtp_host=host)]}

    [line] = problem_lines(notifications)

    assert line.startswith("notifications.channels[0].smtp_host: invalid value: ")
    assert "username_env and password_env" in line
    assert "secret" not in line
    assert "ops@" not in line


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/T1/B2",
        "https://oapi.dingtalk.com/robot/send?access_token=abc",
        "http://127.0.0.1:8080/hook",
        "http://[::1]:8080/hook",
    ],
    ids=["slack", "query", "ip-with-port", "ipv6-with-port"],
)
def test_webhook_url_accepted(url: str) -> None:
    pipeline = parse_pipeline(
        minimal_data({"channels": [webhook_channel(url=url)]}), origin="team.yaml"
    )

    assert pipeline.notifications is not None
    assert pipeline.notifications.channels[0] == WebhookChannel(
        kind="webhook", id="team-chat", url=url
    )


def test_rejected_webhook_url_hides_token() -> None:
    url = "https://oapi.example.com/robot/send?access_token=s3cret x"

    [line] = problem_lines({"channels": [webhook_channel(url=url)]})

    assert "s3cret" not in line
    assert "'https://oapi.example.com/…'" in line


def test_empty_recipient_list_rejected() -> None:
    lines = problem_lines({"channels": [email_channel(to=[])]})

    assert lines == [
        "notifications.channels[0].to: has 0 items; expected at least 1 item"
    ]


@pytest.mark.parametrize(
    "url",
    [
        "http://user:PW4711@127.0.0.1:18931/fail/TOKEN",
        "https://PW4711@hooks.example.com",
        "https://user:PW4711@hooks.example.com?x=1",
    ],
    ids=["user-and-password", "user-only", "query-after-host"],
)
def test_webhook_url_credentials_hidden(url: str) -> None:
    [line] = problem_lines({"channels": [webhook_channel(url=url)]})

    assert "PW4711" not in line
    assert "user name or password" in line
