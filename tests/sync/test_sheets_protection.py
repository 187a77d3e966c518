"""Tests for protected ranges that keep the service account from writing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from config.errors import SourceError
from rules.grid import CellValue
from sync.commands.doctor import doctor
from sync.run import RunResult, run_sync
from sync.sources.sheets_protection import describe_protection
from sync.sources.sheets_requests import PROTECTION_DESCRIPTION
from sync.sources.sheets_retry import SheetsRequestError
from sync.sources.sheets_state import TabInfo
from tests.fake_sheets import FakeSheets
from tests.fake_sheets.protection import PROTECTED_MESSAGE
from tests.sync.fake_spreadsheets import (
    DEALS_HEADER,
    SERVICE_ACCOUNT,
    TOKEN_URI,
    give_to_person,
    make_pipeline,
    open_spreadsheet,
    upload_workbook,
    write_key_file,
)

AS_OF = dt.date(2025, 9, 10)
REP = "rep@example.com"
DEALS: list[list[CellValue]] = [
    DEALS_HEADER,
    ["D-1", "Acme", "Lead", 1000, None],
    ["D-2", "Beta", "Won", 5000, None],
]
TOKEN = {"access_token": "test-token", "expires_in": 3600, "token_type": "Bearer"}
FIX = (
    "In Google Sheets, open Data > Protect sheets and ranges, and add "
    f"{SERVICE_ACCOUNT} to the editors of that protection or remove it. Then run "
    "again."
)


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    served = FakeSheets()
    with served.responses() as mock:
        mock.add("POST", TOKEN_URI, json=TOKEN)
        yield served


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return write_key_file(tmp_path / "key.json")


def shared_by_rep(fake: FakeSheets) -> str:
    """Return a spreadsheet the rep owns and shares with the service account."""
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": DEALS})
    give_to_person(fake, spreadsheet_id, REP)
    return spreadsheet_id


def protect(fake: FakeSheets, spreadsheet_id: str, grid_range: dict[str, Any]) -> None:
    """Add the rep's hard protection, with only the rep as editor."""
    protection = {
        "range": grid_range,
        "description": "locked by sales ops",
        "warningOnly": False,
        "editors": {"users": [REP]},
    }
    fake.batch_update(
        spreadsheet_id, [{"addProtectedRange": {"protectedRange": protection}}]
    )


def sync(spreadsheet_id: str, key_file: Path) -> RunResult:
    pipeline = make_pipeline(spreadsheet_id)
    source = open_spreadsheet(spreadsheet_id, key_file=key_file, pipeline=pipeline)
    return run_sync(pipeline, source, AS_OF)


def test_protected_tab_named_on_write(fake: FakeSheets, key_file: Path) -> None:
    spreadsheet_id = shared_by_rep(fake)
    protect(fake, spreadsheet_id, {"sheetId": 0})

    with pytest.raises(SourceError) as raised:
        sync(spreadsheet_id, key_file)

    assert str(raised.value) == (
        "Spreadsheet 'Pipeline' has a protected range that the service account "
        f"{SERVICE_ACCOUNT} may not edit: the whole tab 'Deals' (\"locked by sales "
        f'ops"). Google Sheets rejected the write ("{PROTECTED_MESSAGE}"), so '
        f"nothing was written. {FIX}"
    )


def test_hardened_generated_tab_named(fake: FakeSheets, key_file: Path) -> None:
    spreadsheet_id = shared_by_rep(fake)
    sync(spreadsheet_id, key_file)
    funnel = fake.spreadsheet(spreadsheet_id).sheet_by_title("Funnel")
    assert funnel is not None
    hardened = {
        "protectedRangeId": funnel.protected_ranges[0]["protectedRangeId"],
        "warningOnly": False,
        "editors": {"users": [REP]},
    }
    update = {"protectedRange": hardened, "fields": "warningOnly,editors"}
    fake.batch_update(spreadsheet_id, [{"updateProtectedRange": update}])
    fake.write(spreadsheet_id, "Deals!C2", [["Won"]])

    with pytest.raises(SourceError) as raised:
        sync(spreadsheet_id, key_file)

    assert str(raised.value) == (
        "Spreadsheet 'Pipeline' has a protected range that the service account "
        f"{SERVICE_ACCOUNT} may not edit: the whole tab 'Funnel' "
        f'("{PROTECTION_DESCRIPTION}"). Google Sheets rejected the write '
        f'("{PROTECTED_MESSAGE}"), so nothing was written. {FIX}'
    )


def test_protection_beside_status_column_kept(fake: FakeSheets, key_file: Path) -> None:
    spreadsheet_id = shared_by_rep(fake)
    protect(
        fake, spreadsheet_id, {"sheetId": 0, "startColumnIndex": 0, "endColumnIndex": 1}
    )

    result = sync(spreadsheet_id, key_file)

    assert result.report is not None
    assert result.report.status_cells_written == 2


def write_definition(tmp_path: Path, spreadsheet_id: str, key_file: Path) -> Path:
    data = make_pipeline(spreadsheet_id).model_dump(mode="json", exclude_defaults=True)
    data["source"]["credentials"] = str(key_file)
    path = tmp_path / "pipeline.yaml"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_doctor_fails_protected_status_column(
    fake: FakeSheets, tmp_path: Path, key_file: Path
) -> None:
    spreadsheet_id = shared_by_rep(fake)
    protect(fake, spreadsheet_id, {"sheetId": 0, "startColumnIndex": 4})
    definition = write_definition(tmp_path, spreadsheet_id, key_file)

    result = CliRunner().invoke(doctor, [str(definition)], catch_exceptions=False)

    protections = [line for line in result.output.splitlines() if "Protections" in line]
    assert result.exit_code == 1
    assert protections == [
        (
            "✗ Protections  Spreadsheet 'Pipeline' has a protected range that the "
            f"service account {SERVICE_ACCOUNT} may not edit: range E1:E3 of tab "
            "'Deals' (\"locked by sales ops\"). A run would fail to write there, "
            f"and write nothing. {FIX}"
        )
    ]


def test_doctor_passes_rep_protection_with_account(
    fake: FakeSheets, tmp_path: Path, key_file: Path
) -> None:
    spreadsheet_id = shared_by_rep(fake)
    protect(fake, spreadsheet_id, {"sheetId": 0})
    sheet = fake.spreadsheet(spreadsheet_id).sheets[0]
    sheet.protected_ranges[0]["editors"]["users"].append(SERVICE_ACCOUNT)
    definition = write_definition(tmp_path, spreadsheet_id, key_file)

    result = CliRunner().invoke(doctor, [str(definition)], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert (
        "✓ Protections  no protection keeps the service account from column F of "
        "'Deals' or the generated tabs"
    ) in result.output.splitlines()


@pytest.mark.parametrize(
    ("grid_range", "expected"),
    [
        ({"sheetId": 3}, "the whole tab 'Deals'"),
        ({"startColumnIndex": 7, "endColumnIndex": 8}, "range H1:H1000 of tab 'Deals'"),
        ({"startRowIndex": 1, "startColumnIndex": 2}, "range C2:Z1000 of tab 'Deals'"),
        (
            {
                "startRowIndex": 1,
                "endRowIndex": 10,
                "startColumnIndex": 0,
                "endColumnIndex": 27,
            },
            "range A2:AA10 of tab 'Deals'",
        ),
    ],
    ids=["whole-tab", "one-column", "open-ends", "block"],
)
def test_protection_described_in_a1(grid_range: dict[str, Any], expected: str) -> None:
    tab = TabInfo(sheet_id=3, title="Deals", index=0, rows=1000, columns=26)

    assert describe_protection(tab, {"range": grid_range}) == expected


def test_protected_write_not_blamed_on_sharing(
    fake: FakeSheets, key_file: Path
) -> None:
    spreadsheet_id = shared_by_rep(fake)
    source = open_spreadsheet(spreadsheet_id, key_file=key_file)
    refused = SheetsRequestError(
        "spreadsheets.batchUpdate", 403, PROTECTED_MESSAGE, "PERMISSION_DENIED"
    )

    error = source._session.access_error(refused, writing=True)

    assert str(error) == (
        f"A protected range in spreadsheet {spreadsheet_id!r} keeps the service "
        f"account {SERVICE_ACCOUNT} from writing. Google Sheets rejected "
        f'spreadsheets.batchUpdate ("{PROTECTED_MESSAGE}"), so nothing was '
        "written. In Google Sheets, open Data > Protect sheets and ranges, find the "
        "protection over pipesheet's status column or generated tabs, and add "
        f"{SERVICE_ACCOUNT} to its editors or remove it. Then run again."
    )


# The run's calls, in order: metadata, values, date cells, re-read, write.
WRITE_CALL = 5


def protect_before_write(
    fake: FakeSheets, spreadsheet_id: str, grid_range: dict[str, Any]
) -> None:
    """Make the rep add a hard protection after the run's re-read, before its write."""
    fake.faults.before_call(
        len(fake.requests) + WRITE_CALL,
        lambda _store: protect(fake, spreadsheet_id, grid_range),
    )


def test_protection_added_during_run_named(fake: FakeSheets, key_file: Path) -> None:
    spreadsheet_id = shared_by_rep(fake)
    sync(spreadsheet_id, key_file)
    # D-1 loses its account, so its status changes from OK to an error.
    fake.write(spreadsheet_id, "Deals!B2", [[""]])
    before = fake.read(spreadsheet_id, "Deals")
    status_column = {"sheetId": 0, "startColumnIndex": 5, "endColumnIndex": 6}
    protect_before_write(fake, spreadsheet_id, status_column)

    with pytest.raises(SourceError) as raised:
        sync(spreadsheet_id, key_file)

    assert str(raised.value) == (
        "Spreadsheet 'Pipeline' has a protected range that the service account "
        f"{SERVICE_ACCOUNT} may not edit: range F1:F3 of tab 'Deals' (\"locked by "
        f'sales ops"). Google Sheets rejected the write ("{PROTECTED_MESSAGE}"), '
        f"so nothing was written. {FIX}"
    )
    assert fake.read(spreadsheet_id, "Deals") == before


def test_tab_protected_during_run_writes_nothing(
    fake: FakeSheets, key_file: Path
) -> None:
    spreadsheet_id = shared_by_rep(fake)
    sync(spreadsheet_id, key_file)
    fake.write(spreadsheet_id, "Deals!B2", [[""]])
    problems = fake.spreadsheet(spreadsheet_id).sheet_by_title("Problems")
    assert problems is not None
    before = fake.read(spreadsheet_id, "Problems")
    protect_before_write(fake, spreadsheet_id, {"sheetId": problems.sheet_id})

    with pytest.raises(SourceError, match="the whole tab 'Problems'"):
        sync(spreadsheet_id, key_file)

    assert fake.read(spreadsheet_id, "Problems") == before
    assert fake.read(spreadsheet_id, "Deals!F2") == [["OK"]]


def test_account_as_owner_not_held_by_protection(
    fake: FakeSheets, key_file: Path
) -> None:
    # The owner may edit every protected range, which is why the tests above
    # give the spreadsheet to the rep and only share it with the account.
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": DEALS})
    protect(fake, spreadsheet_id, {"sheetId": 0})

    result = sync(spreadsheet_id, key_file)

    assert result.report is not None
    assert result.report.status_cells_written == 2
