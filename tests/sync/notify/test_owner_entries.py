"""Warnings about owners without an entry in notifications.owners, on every run.

An owner renamed in the sheet (``Bo Chen`` to ``Robert``) no longer matches
the entry of the old name, so it gets no digest of its own. Runs warn of it
each time, also in ``run --json``, and ``doctor`` flags it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from config.models import Pipeline
from rules.grid import CellValue
from sync.cli import cli
from sync.commands.doctor import doctor
from sync.notify.owner_entries import warn_owner_entries
from tests.sync.notify.samples import SHEET_ROWS, build_team_pipeline, sync_result
from tests.sync.pipeline_files import SheetDeal, write_deals, write_definition

CLOSED_URL = "http://127.0.0.1:9"
FIX = (
    "Add each owner under notifications.owners as column 'Owner' spells the "
    "name (case and spaces do not matter), and rename or remove the entries "
    "that match no owner."
)
NO_ONE = (
    "Until then their items reach no one, because "
    "notifications.manager_digest_to is not set either."
)


def team_pipeline(**changes: Any) -> Pipeline:
    notifications: dict[str, Any] = {
        "owners": {
            "Ana Lima": {"webhooks": ["team-chat"]},
            "Bo Chen": {"webhooks": ["team-chat"]},
        },
        "manager_digest_to": {"webhooks": ["team-chat"]},
        "channels": [{"kind": "webhook", "id": "team-chat", "url": CLOSED_URL}],
    }
    notifications.update(changes)
    return build_team_pipeline(notifications)


def rows_with_owners(*owners: str) -> list[list[CellValue]]:
    return [
        SHEET_ROWS[0],
        *(
            [f"D-{number}", "Acme", owner, "Lead", "Call", dt.date(2025, 10, 9)]
            for number, owner in enumerate(owners, start=1)
        ),
    ]


def owner_warnings(
    pipeline: Pipeline, rows: list[list[CellValue]], caplog: pytest.LogCaptureFixture
) -> list[str]:
    assert pipeline.notifications is not None
    result = sync_result(pipeline, rows)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="sync.notify"):
        warn_owner_entries(result, pipeline.notifications)
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING
    ]


def test_renamed_owner_warned(caplog: pytest.LogCaptureFixture) -> None:
    rows = rows_with_owners("Ana Lima", "Robert", "Robert")

    warnings = owner_warnings(team_pipeline(), rows, caplog)

    assert warnings == [
        (
            "digests: 1 owner of tab 'Deals' in Team.xlsx has no entry in "
            "notifications.owners and gets no digest of its own: 'Robert' (2 rows). "
            "1 entry in notifications.owners matches no owner with deals on the tab: "
            f"'Bo Chen'. {FIX} Until then their items go only into the manager's "
            "digest."
        )
    ]


def test_owner_spellings_counted_together(caplog: pytest.LogCaptureFixture) -> None:
    rows = rows_with_owners("Ana Lima", "Bo Chen", "Robert", "robert ", "ROBERT")

    (warning,) = owner_warnings(team_pipeline(), rows, caplog)

    # The run writes the three spellings of one owner as one.
    assert "(3 rows)" in warning
    assert "matches no owner" not in warning


def test_owner_in_other_case_not_warned(caplog: pytest.LogCaptureFixture) -> None:
    rows = rows_with_owners("ana lima", "BO  CHEN")

    assert owner_warnings(team_pipeline(), rows, caplog) == []


def test_owners_named_up_to_five(caplog: pytest.LogCaptureFixture) -> None:
    owners = ["Ana Lima", "Bo Chen", *(f"Owner {number}" for number in range(1, 8))]
    rows = rows_with_owners(*owners)

    warnings = owner_warnings(team_pipeline(manager_digest_to=None), rows, caplog)

    assert warnings == [
        (
            "digests: 7 owners of tab 'Deals' in Team.xlsx have no entry in "
            "notifications.owners and get no digest of their own: 'Owner 1' (1 row), "
            "'Owner 2' (1 row), 'Owner 3' (1 row), 'Owner 4' (1 row), 'Owner 5' "
            f"(1 row) and 2 more. {FIX} {NO_ONE}"
        )
    ]


def test_misspelt_entry_suggested(caplog: pytest.LogCaptureFixture) -> None:
    owners = {
        "Ana Lima": {"webhooks": ["team-chat"]},
        "Bo Chn": {"webhooks": ["team-chat"]},
    }
    pipeline = team_pipeline(owners=owners, manager_digest_to=None)

    warnings = owner_warnings(pipeline, SHEET_ROWS, caplog)

    assert warnings == [
        (
            "digests: 1 owner of tab 'Deals' in Team.xlsx has no entry in "
            "notifications.owners and gets no digest of its own: 'Bo Chen' (1 row; "
            "the entry 'Bo Chn' may be meant for it). 1 entry in "
            "notifications.owners matches no owner with deals on the tab: 'Bo Chn'. "
            f"{FIX} {NO_ONE}"
        )
    ]


def test_entry_of_other_owner_not_suggested(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # 'Bo Chen' has an entry and deals, so it is no misspelling of 'Bo Chan'.
    rows = rows_with_owners("Ana Lima", "Bo Chen", "Bo Chan")

    warnings = owner_warnings(team_pipeline(manager_digest_to=None), rows, caplog)

    assert warnings == [
        (
            "digests: 1 owner of tab 'Deals' in Team.xlsx has no entry in "
            "notifications.owners and gets no digest of its own: 'Bo Chan' (1 row). "
            f"{FIX} {NO_ONE}"
        )
    ]


def test_entry_without_deals_warned(caplog: pytest.LogCaptureFixture) -> None:
    rows = rows_with_owners("Ana Lima")

    warnings = owner_warnings(team_pipeline(), rows, caplog)

    assert warnings == [
        (
            "digests: 1 entry in notifications.owners matches no owner with deals on "
            f"the tab: 'Bo Chen'. {FIX}"
        )
    ]


def test_email_to_addresses_named(caplog: pytest.LogCaptureFixture) -> None:
    channel = {
        "kind": "email",
        "smtp_host": "127.0.0.1",
        "smtp_port": 9,
        "from_address": "pipesheet@example.com",
        "to": ["sales-lead@example.com"],
    }
    owners = {"Ana Lima": {"email": "ana@example.com"}}
    pipeline = team_pipeline(owners=owners, manager_digest_to=None, channels=[channel])

    (warning,) = owner_warnings(pipeline, SHEET_ROWS, caplog)

    assert warning.endswith(
        "Until then their digests go only to the 'to' addresses of the e-mail channels."
    )


def test_no_owner_entries_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    pipeline = team_pipeline(owners={})

    assert owner_warnings(pipeline, SHEET_ROWS, caplog) == []


def renamed_owner_definition(folder: Path) -> Path:
    """Write a workbook whose deals belong to Ana and Robert; Ben has the entry."""
    deals = [SheetDeal("D-1", "Ana", "Lead"), SheetDeal("D-2", "Robert", "Lead")]
    write_deals(folder / "pipeline.xlsx", deals)
    return write_definition(folder, webhook_url=CLOSED_URL)


RENAMED_WARNING = (
    "digests: 1 owner of tab 'Deals' in pipeline.xlsx has no entry in "
    "notifications.owners and gets no digest of its own: 'Robert' (1 row). 1 "
    "entry in notifications.owners matches no owner with deals on the tab: "
    f"'Ben'. {FIX} {NO_ONE}"
)


def test_every_run_warns_in_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    definition = renamed_owner_definition(tmp_path)
    monkeypatch.setenv("PIPESHEET_STATE", str(tmp_path / "state.sqlite"))
    runner = CliRunner()

    # Replayed days send no digest, so no request leaves the test.
    outputs = [
        runner.invoke(
            cli,
            ["run", str(definition), "--as-of", day, "--json", "-q"],
            catch_exceptions=False,
        )
        for day in ("2025-09-29", "2025-09-30")
    ]

    for output in outputs:
        assert output.exit_code == 0, output.output
        warnings = json.loads(output.stdout)["warnings"]
        assert RENAMED_WARNING in warnings


def test_doctor_flags_owner_entries(tmp_path: Path) -> None:
    definition = renamed_owner_definition(tmp_path)

    output = CliRunner().invoke(doctor, [str(definition)], catch_exceptions=False)

    assert output.exit_code == 0, output.output
    assert f"! Owner entries    {RENAMED_WARNING}" in output.output
