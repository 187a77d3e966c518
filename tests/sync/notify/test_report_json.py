"""The ``digests`` value of ``run --json``: each digest the run tried, and how."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sync.cli import cli
from tests.sync.notify.servers import WebhookReceiver, closed_loopback_port
from tests.sync.pipeline_files import (
    TIME_ZONE,
    SheetDeal,
    write_deals,
    write_definition,
)

# From midnight, so that a run on any hour of today sends the day's digests.
NOTIFICATIONS = """\
notifications:
  digest_hour: 0
  owners:
    Ana: {{webhooks: [chat]}}
    Ben: {{webhooks: [down]}}
  manager_digest_to: {{webhooks: [down]}}
  channels:
    - {{kind: webhook, id: chat, url: "{chat_url}", format: generic}}
    - {{kind: webhook, id: down, url: "{down_url}", format: generic}}
"""


def run_json(folder: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("PIPESHEET_STATE", str(folder / "state.sqlite"))
    output = CliRunner().invoke(
        cli, ["run", str(folder / "pipeline.yaml"), "--json", "-q"]
    )
    assert output.exit_code == 0, output.output
    document: dict[str, Any] = json.loads(output.stdout)
    return document


@pytest.fixture
def team_folder(tmp_path: Path, receiver: WebhookReceiver) -> Path:
    """Write a workbook with an overdue deal of Ana and of Ben, due today."""
    today = dt.datetime.now(zoneinfo.ZoneInfo(TIME_ZONE)).date()
    overdue = today - dt.timedelta(days=5)
    deals = [
        SheetDeal("D-1", "Ana", "Lead", next_step=overdue),
        SheetDeal("D-2", "Ben", "Lead", next_step=overdue),
    ]
    write_deals(tmp_path / "pipeline.xlsx", deals)
    definition = write_definition(tmp_path)
    down_url = f"http://127.0.0.1:{closed_loopback_port()}/hook"
    notifications = NOTIFICATIONS.format(chat_url=receiver.url, down_url=down_url)
    definition.write_text(definition.read_text() + notifications, encoding="utf-8")
    return tmp_path


def test_json_lists_digest_outcomes(
    team_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = run_json(team_folder, monkeypatch)

    digests = document["digests"]
    outcomes = [
        (item["owner"], item["entry"], item["channel"], item["outcome"])
        for item in digests["deliveries"]
    ]
    assert outcomes == [
        ("Ana", "Ana", "chat", "sent"),
        ("Ben", "Ben", "down", "failed"),
        (None, "manager_digest_to", "down", "not tried"),
    ]
    assert (digests["sent"], digests["failed"], digests["skipped"]) == (1, 2, None)
    assert digests["deliveries"][0]["error"] is None
    assert "connection was refused" in digests["deliveries"][1]["error"]
    assert "connection was refused" in digests["deliveries"][2]["error"]


def test_json_digests_already_sent(
    team_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_json(team_folder, monkeypatch)

    document = run_json(team_folder, monkeypatch)

    outcomes = [item["outcome"] for item in document["digests"]["deliveries"]]
    assert outcomes == ["already sent", "failed", "not tried"]


def test_json_digests_null_without_notifications(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_deals(tmp_path / "pipeline.xlsx", [SheetDeal("D-1", "Ana", "Lead")])
    write_definition(tmp_path)

    document = run_json(tmp_path, monkeypatch)

    assert document["digests"] is None
    assert "warnings" in document


def test_json_owner_spelled_as_sheet(
    team_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    definition = team_folder / "pipeline.yaml"
    text = definition.read_text(encoding="utf-8")
    definition.write_text(text.replace("    Ana: {", "    ana: {"), encoding="utf-8")

    document = run_json(team_folder, monkeypatch)

    first = document["digests"]["deliveries"][0]
    assert first["owner"] == "Ana"
    assert first["entry"] == "ana"
