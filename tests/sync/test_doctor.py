"""Tests of ``pipesheet doctor``: the checklist it prints and its exit code.

Google Sheets checks sign in with a real service-account key file; the token
request and the API calls go to ``responses``, never to Google.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result

from config.loader import load_pipeline
from config.models import Locale
from config.shipped import shipped_definition
from rules.grid import CellValue
from sync.commands.doctor import doctor
from sync.run import run_sync
from sync.sources.excel import ExcelWorkbook
from sync.starter import build_starter_workbook
from sync.xlsx.relationships import OFFICE_DOCUMENT, STRICT_OFFICE_DOCUMENT
from tests.fake_sheets import FakeSheets
from tests.sync.fake_spreadsheets import (
    DEALS_HEADER,
    SERVICE_ACCOUNT,
    TOKEN_URI,
    make_pipeline,
    upload_workbook,
    write_key_file,
)
from tests.sync.test_read_only import FIXTURES

DEALS: list[list[CellValue]] = [DEALS_HEADER, ["D-1", "Acme", "Lead", 100, None]]
ACCOUNTS: list[list[CellValue]] = [["Account"], ["Acme"], ["Beta"]]
ALLOWED = {"account": {"from_tab": {"tab": "Accounts", "column": "Account"}}}
OUTPUT_TABS_PASSED = (
    "✓ Output tabs   no tab of yours is named 'Funnel', 'Follow-ups', 'Problems', "
    "'Definitions', 'Stage log'"
)


def protections_passed(column: str) -> str:
    return (
        f"✓ Protections   no protection keeps the service account from column "
        f"{column} of 'Deals' or the generated tabs"
    )


TOKEN = {"access_token": "test-token", "expires_in": 3600, "token_type": "Bearer"}


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    """The fake API and a token endpoint, served through ``responses``."""
    served = FakeSheets()
    with served.responses() as mock:
        mock.add("POST", TOKEN_URI, json=TOKEN)
        yield served


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return write_key_file(tmp_path / "key.json")


def write_definition(
    tmp_path: Path, spreadsheet_id: str, credentials: Path, **changes: Any
) -> Path:
    """Write a Google Sheets definition file; return its path."""
    pipeline = make_pipeline(spreadsheet_id, allowed=ALLOWED, **changes)
    data = pipeline.model_dump(mode="json", exclude_defaults=True)
    data["source"]["credentials"] = str(credentials)
    path = tmp_path / "pipeline.yaml"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def run_doctor(*args: str) -> Result:
    return CliRunner().invoke(doctor, list(args), catch_exceptions=False)


def lines(result: Result) -> list[str]:
    return result.output.splitlines()


# Google Sheets.


def test_ready_spreadsheet_passes_every_check(
    fake: FakeSheets, tmp_path: Path, key_file: Path
) -> None:
    spreadsheet_id = upload_workbook(
        fake, "Pipeline", {"Deals": DEALS, "Accounts": ACCOUNTS}
    )
    definition = write_definition(tmp_path, spreadsheet_id, key_file)

    result = run_doctor(str(definition))

    assert result.exit_code == 0
    assert lines(result) == [
        "✓ Definition    'Test pipeline', source.kind google_sheets",
        (
            f"✓ Credentials   key file {str(key_file)!r} (from source.credentials) for "
            f"the service account {SERVICE_ACCOUNT}"
        ),
        (
            "✓ Access        spreadsheet 'Pipeline' (2 tabs, locale en_US, time zone "
            "Etc/GMT)"
        ),
        f"✓ Edit access   {SERVICE_ACCOUNT} may edit it",
        "✓ Tab           'Deals' with 2 rows",
        (
            "✓ Header row    row 1: 'Deal ID', 'Account', 'Stage', 'Amount', "
            "'Next Step Date'"
        ),
        (
            "✓ Columns       all 4 required columns found: id → 'Deal ID', account → "
            "'Account', stage → 'Stage', amount → 'Amount'"
        ),
        "✓ Status        column F, headed 'pipesheet status'",
        OUTPUT_TABS_PASSED,
        protections_passed("F"),
        "✓ List account  tab 'Accounts', column 'Account': 2 values",
        "",
        "All checks passed.",
    ]


def test_spreadsheet_time_zone_warned(
    fake: FakeSheets, tmp_path: Path, key_file: Path
) -> None:
    spreadsheet_id = upload_workbook(
        fake, "Pipeline", {"Deals": DEALS, "Accounts": ACCOUNTS}
    )
    properties = {"properties": {"timeZone": "Asia/Taipei"}, "fields": "timeZone"}
    fake.batch_update(spreadsheet_id, [{"updateSpreadsheetProperties": properties}])

    result = run_doctor(str(write_definition(tmp_path, spreadsheet_id, key_file)))

    assert result.exit_code == 0
    assert lines(result)[2] == (
        "! Access        spreadsheet 'Pipeline' (2 tabs, locale en_US, time zone "
        "Asia/Taipei). Spreadsheet 'Pipeline' is set to the time zone Asia/Taipei, "
        "but the definition sets no timezone, so runs count days in UTC. For 8 "
        "hours of each day a run checks a different day than the spreadsheet's "
        "today. Add 'timezone: Asia/Taipei' to the definition, or 'timezone: UTC' "
        "to keep UTC without this warning."
    )
    assert lines(result)[3] == f"✓ Edit access   {SERVICE_ACCOUNT} may edit it"


def test_doctor_writes_nothing(
    fake: FakeSheets, tmp_path: Path, key_file: Path
) -> None:
    spreadsheet_id = upload_workbook(
        fake, "Pipeline", {"Deals": DEALS, "Accounts": ACCOUNTS}
    )
    before = fake.read(spreadsheet_id, "Deals")

    run_doctor(str(write_definition(tmp_path, spreadsheet_id, key_file)))

    writes = [request.json() for request in fake.requests if request.quota == "write"]
    assert writes == [{"requests": []}]
    assert fake.read(spreadsheet_id, "Deals") == before


def test_doctor_sends_one_write_three_reads(
    fake: FakeSheets, tmp_path: Path, key_file: Path
) -> None:
    spreadsheet_id = upload_workbook(
        fake, "Pipeline", {"Deals": DEALS, "Accounts": ACCOUNTS}
    )

    run_doctor(str(write_definition(tmp_path, spreadsheet_id, key_file)))

    assert sorted(request.operation for request in fake.requests) == [
        "spreadsheets.batchUpdate",
        "spreadsheets.get",
        "values.batchGet",
        "values.batchGet",
    ]


def test_unshared_spreadsheet_says_whom_to_share_with(
    fake: FakeSheets, tmp_path: Path, key_file: Path
) -> None:
    private = fake.create("Private", tabs=("Deals",), owner="someone@example.com")
    definition = write_definition(tmp_path, private, key_file)

    result = run_doctor(str(definition))

    assert result.exit_code == 1
    assert lines(result)[2:] == [
        (
            f"✗ Access        The service account {SERVICE_ACCOUNT!r} has no access to "
            f"spreadsheet {private!r} (HTTP 403 PERMISSION_DENIED from Google). Share "
            f"the spreadsheet with {SERVICE_ACCOUNT} as Editor (Share button in Google "
            "Sheets), then run again."
        ),
        "· Edit access   not checked, because access failed",
        "· Tab           not checked, because access failed",
        "· Header row    not checked, because access failed",
        "· Columns       not checked, because access failed",
        "· Status        not checked, because access failed",
        "· Output tabs   not checked, because access failed",
        "· Protections   not checked, because access failed",
        "· List account  not checked, because access failed",
        "",
        "1 check failed; fix it and run pipesheet doctor again.",
    ]


def test_view_only_access_fails_edit_check(
    fake: FakeSheets, tmp_path: Path, key_file: Path
) -> None:
    spreadsheet_id = upload_workbook(
        fake, "Pipeline", {"Deals": DEALS, "Accounts": ACCOUNTS}
    )
    fake.spreadsheet(spreadsheet_id).owner = "someone@example.com"
    fake.store.share(spreadsheet_id, SERVICE_ACCOUNT, "reader")

    result = run_doctor(str(write_definition(tmp_path, spreadsheet_id, key_file)))

    assert result.exit_code == 1
    assert lines(result)[3] == (
        f"✗ Edit access   The service account {SERVICE_ACCOUNT!r} may view "
        "spreadsheet 'Pipeline' but not edit it, so no run can write to it. Share "
        f"the spreadsheet with {SERVICE_ACCOUNT} as Editor (Share button in Google "
        "Sheets), then run again."
    )
    assert lines(result)[4] == "✓ Tab           'Deals' with 2 rows"


def test_status_column_over_cell_limit_fails(
    fake: FakeSheets, tmp_path: Path, key_file: Path
) -> None:
    spreadsheet_id = upload_workbook(
        fake, "Pipeline", {"Deals": DEALS, "Accounts": ACCOUNTS}
    )
    # Five columns of 1,900,000 rows are within the limit; a sixth is not.
    grid = {"sheetId": 0, "gridProperties": {"rowCount": 1_900_000}}
    request = {"properties": grid, "fields": "gridProperties.rowCount"}
    fake.batch_update(spreadsheet_id, [{"updateSheetProperties": request}])

    result = run_doctor(str(write_definition(tmp_path, spreadsheet_id, key_file)))

    assert result.exit_code == 1
    failed = [line for line in lines(result) if line.startswith("✗")]
    assert failed == [
        (
            "✗ Cell limit    Writing would give spreadsheet 'Pipeline' 11,400,003 "
            "cells, above Google's limit of 10,000,000 (empty cells count too). Every "
            "run stops before it writes. It has 9,500,003 cells now, and the write "
            "adds 1,900,000 for the new status column F of tab 'Deals' (1,900,000 "
            "rows). Its largest tab is 'Deals', with 1,900,000 rows and 5 columns. "
            "Delete the unused rows and columns of tab 'Deals', or move old data to "
            "another spreadsheet."
        )
    ]


def test_tab_of_one_row_counted_singular(
    fake: FakeSheets, tmp_path: Path, key_file: Path
) -> None:
    spreadsheet_id = upload_workbook(
        fake, "Pipeline", {"Deals": [DEALS_HEADER], "Accounts": ACCOUNTS}
    )

    result = run_doctor(str(write_definition(tmp_path, spreadsheet_id, key_file)))

    assert lines(result)[4] == "✓ Tab           'Deals' with 1 row"


def test_missing_key_file_skips_the_rest(fake: FakeSheets, tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    definition = write_definition(tmp_path, "1" + "a" * 43, missing)

    result = run_doctor(str(definition))

    assert result.exit_code == 1
    assert lines(result)[1].startswith(
        f"✗ Credentials   Google credentials file {str(missing)!r} (from "
        "source.credentials) not found."
    )
    assert lines(result)[2] == "· Access        not checked, because credentials failed"


def test_missing_column_and_list_tab(
    fake: FakeSheets, tmp_path: Path, key_file: Path
) -> None:
    deals: list[list[CellValue]] = [["Deal ID", "Stage"], ["D-1", "Lead"]]
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": deals})

    result = run_doctor(str(write_definition(tmp_path, spreadsheet_id, key_file)))

    assert result.exit_code == 1
    assert lines(result)[5:11] == [
        "✓ Header row    row 1: 'Deal ID', 'Stage'",
        (
            "✗ Columns       Workbook 'Pipeline', tab 'Deals': required columns are "
            "missing in header row 1. No column for 'account' (looked for 'Account'), "
            "which the stages 'Lead', 'Proposal' require. No column for 'amount' "
            "(looked for 'Amount'), which stage 'Proposal' requires. Headers found: "
            "A 'Deal ID', B 'Stage'. Rename the header in the sheet, or add the "
            "sheet's header text to the field's aliases in the definition. If the "
            "sheet does not keep that column, add it, or take the field out of the "
            "stage's required list in the definition. Workbook 'Pipeline', tab "
            "'Deals': no column for 'next_step_date' (looked for 'Next Step Date'), "
            "which the follow-up checks read, so none runs: no open deal is found "
            "overdue or due soon. Headers found: A 'Deal ID', B 'Stage'. Rename the "
            "header in the sheet, or add the sheet's header text to the field's "
            "aliases in the definition. If the sheet does not keep that column, "
            "delete 'next_step_date' from columns."
        ),
        "✓ Status        column C, headed 'pipesheet status'",
        OUTPUT_TABS_PASSED,
        protections_passed("C"),
        (
            "· List account  the pipeline tab has no column for 'account', so runs "
            "do not read this list"
        ),
    ]
    assert lines(result)[-1] == "1 check failed; fix it and run pipesheet doctor again."


def test_unreadable_definition_fails_first(tmp_path: Path) -> None:
    definition = tmp_path / "broken.yaml"
    definition.write_text("name: [unclosed\n", encoding="utf-8")

    result = run_doctor(str(definition))

    assert result.exit_code == 1
    assert lines(result)[0].startswith(f"✗ Definition  {definition}")


# Excel workbooks.


@pytest.fixture
def starter(tmp_path: Path) -> Path:
    return build_starter_workbook(
        tmp_path / "pipeline.xlsx", Locale.EN, as_of=dt.date(2025, 9, 30)
    )


def write_deals_and_definition(
    folder: Path, rows: Sequence[Sequence[CellValue]], definition_text: str
) -> Path:
    """Write ``rows`` as tab Deals of deals.xlsx and the definition beside it."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Deals"
    for row in rows:
        sheet.append(row)
    workbook.save(folder / "deals.xlsx")
    definition = folder / "pipeline.yaml"
    definition.write_text(definition_text, encoding="utf-8")
    return definition


def save_as_strict(path: Path) -> None:
    """Mark the package's workbook part as Strict Open XML, as Excel's save does."""
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    members["_rels/.rels"] = members["_rels/.rels"].replace(
        OFFICE_DOCUMENT.encode(), STRICT_OFFICE_DOCUMENT.encode()
    )
    with zipfile.ZipFile(path, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)


def test_strict_workbook_rejected_as_by_run(starter: Path) -> None:
    # The Workbook step gives the run's message, as check and dry runs do.
    save_as_strict(starter)

    result = run_doctor("b2b-en", "--source", str(starter))

    assert result.exit_code == 1
    assert lines(result)[1] == (
        "✗ Workbook      Workbook 'pipeline.xlsx' is saved as Strict Open XML, "
        "which pipesheet does not write. Save it as an Excel Workbook (.xlsx) in "
        "Excel."
    )
    assert lines(result)[3] == "· Tab           not checked, because workbook failed"


def test_json_lists_checks(starter: Path) -> None:
    result = run_doctor("b2b-en", "--source", str(starter), "--json")

    document = json.loads(result.output)
    assert result.exit_code == 0
    assert document["passed"] is True
    assert [check["name"] for check in document["checks"]][:3] == [
        "Definition",
        "Workbook",
        "Not open",
    ]
    assert {check["outcome"] for check in document["checks"]} == {"passed"}


def test_json_failed_check_exits_one(starter: Path) -> None:
    save_as_strict(starter)

    result = run_doctor("b2b-en", "--source", str(starter), "--json")

    document = json.loads(result.output)
    assert result.exit_code == 1
    assert document["passed"] is False
    assert document["checks"][1] == {
        "name": "Workbook",
        "outcome": "failed",
        "detail": (
            "Workbook 'pipeline.xlsx' is saved as Strict Open XML, which pipesheet "
            "does not write. Save it as an Excel Workbook (.xlsx) in Excel."
        ),
    }


def test_ready_workbook_passes_every_check(starter: Path) -> None:
    result = run_doctor("b2b-en", "--source", str(starter))

    assert result.exit_code == 0
    assert [line[:16] for line in lines(result)[:-1]] == [
        "✓ Definition    ",
        "✓ Workbook      ",
        "✓ Not open      ",
        "✓ Tab           ",
        "✓ Row order     ",
        "✓ Header row    ",
        "✓ Columns       ",
        "✓ Status        ",
        "✓ Output tabs   ",
        "✓ List owner    ",
        "✓ List product  ",
        "",
    ]
    assert lines(result)[-1] == "All checks passed."


def test_hidden_status_column_warned(starter: Path) -> None:
    workbook = openpyxl.load_workbook(starter)
    workbook["Deals"].column_dimensions.group("R", "XFD", hidden=True)
    workbook.save(starter)

    result = run_doctor("b2b-en", "--source", str(starter))

    status = next(line for line in lines(result) if "Status" in line[:16])
    assert status.startswith("! Status        ")
    assert "the status column R is hidden" in status
    assert result.exit_code == 0


def test_month_first_text_dates_warned(starter: Path) -> None:
    workbook = openpyxl.load_workbook(starter)
    deals = workbook["Deals"]
    close_column = [cell.value for cell in deals[3]].index("Expected Close") + 1
    deals.cell(row=4, column=close_column).value = "12/31/2026"
    workbook.save(starter)

    result = run_doctor("b2b-en", "--source", str(starter))

    columns = next(line for line in lines(result) if line.startswith("! Columns"))
    assert columns.endswith(
        "Workbook 'pipeline.xlsx', tab 'Deals', column 'Expected Close': the text "
        "date J4 '12/31/2026' is valid only when read month first, but the "
        "definition's date_order is 'dmy'. If the sheet's dates are written month "
        "first, set date_order: mdy in the definition. The setting applies to "
        "every date column of the tab."
    )
    assert result.exit_code == 0


def test_list_of_one_value_counted_singular(starter: Path) -> None:
    workbook = openpyxl.load_workbook(starter)
    lists = workbook["Lists"]
    owner_column = [cell.value for cell in lists[1]].index("Owner") + 1
    for row in range(3, lists.max_row + 1):
        lists.cell(row=row, column=owner_column).value = None
    workbook.save(starter)

    result = run_doctor("b2b-en", "--source", str(starter))

    owner = next(line for line in lines(result) if line.startswith("✓ List owner"))
    assert owner.endswith("column 'Owner': 1 value")


def test_empty_list_warned(starter: Path) -> None:
    workbook = openpyxl.load_workbook(starter)
    lists = workbook["Lists"]
    product_column = [cell.value for cell in lists[1]].index("Product") + 1
    for row in range(2, lists.max_row + 1):
        lists.cell(row=row, column=product_column).value = None
    workbook.save(starter)

    result = run_doctor("b2b-en", "--source", str(starter))

    product = next(line for line in lines(result) if "List product" in line)
    assert product == (
        "! List product  tab 'Lists', column 'Product': 0 values. The list is "
        "empty, so runs report each filled cell of field 'product' as not in the "
        "allowed list. Add the allowed values under column 'Product' of tab "
        "'Lists', or delete allowed.product from the definition."
    )
    assert result.exit_code == 0


def test_workbook_open_in_excel_fails(starter: Path) -> None:
    starter.with_name("~$" + starter.name).write_bytes(b"")

    result = run_doctor("b2b-en", "--source", str(starter))

    assert result.exit_code == 1
    assert lines(result)[2] == (
        "✗ Not open      Workbook 'pipeline.xlsx' is open in Excel, so a run would "
        "not write. Close it; if nobody has it open, delete the lock file "
        f"{str(starter.with_name('~$pipeline.xlsx'))!r}."
    )


def test_read_only_workbook_fails_writable(tmp_path: Path) -> None:
    path = Path(shutil.copy(FIXTURES / "starter.ods", tmp_path))

    result = run_doctor("b2b-en", "--source", str(path))

    assert result.exit_code == 1
    assert [line[:16] for line in lines(result)[:4]] == [
        "✓ Definition    ",
        "✓ Workbook      ",
        "✗ Writable      ",
        "✓ Not open      ",
    ]
    assert lines(result)[2] == (
        "✗ Writable      Workbook 'starter.ods' is an OpenDocument spreadsheet "
        "(.ods): `pipesheet check` and `pipesheet run --dry-run` read it, but a run "
        "cannot write its status column and tabs. Save it as Excel Workbook (.xlsx) "
        "to run on it."
    )
    assert any(
        line.startswith("✓ Columns       all 8 required columns")
        for line in lines(result)
    )
    unwritten = "not checked, because pipesheet does not write starter.ods"
    assert f"· Status        {unwritten}" in lines(result)
    assert f"· Output tabs   {unwritten}" in lines(result)


def writable_line(result: Result) -> str:
    return next(line for line in lines(result) if line.startswith("✗ Writable"))


def test_read_only_file_fails_writable(starter: Path) -> None:
    starter.chmod(0o444)

    result = run_doctor("b2b-en", "--source", str(starter))

    assert result.exit_code == 1
    assert writable_line(result) == (
        "✗ Writable      Workbook 'pipeline.xlsx' is read-only. Make it writable "
        "or run pipesheet run with --output PATH."
    )


@pytest.mark.skipif(not hasattr(os, "statvfs"), reason="POSIX statvfs")
def test_read_only_file_system_fails_writable(
    starter: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stands in for a file system mounted read-only over the workbook's folder.
    statvfs = os.statvfs

    def read_only(path: str | Path) -> os.statvfs_result:
        fields = list(statvfs(path))
        fields[8] |= os.ST_RDONLY  # f_flag is the ninth field.
        return os.statvfs_result(fields)

    monkeypatch.setattr(os, "statvfs", read_only)
    # access() fails for any file on such a file system.
    monkeypatch.setattr(os, "access", lambda path, mode: False)

    result = run_doctor("b2b-en", "--source", str(starter))

    assert result.exit_code == 1
    assert writable_line(result) == (
        "✗ Writable      Workbook 'pipeline.xlsx' is on a read-only file system "
        f"(folder {str(starter.parent)!r}). Remount it read-write, or run "
        "pipesheet run with --output PATH on a writable file system."
    )


def test_unwritable_folder_fails_writable(
    starter: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root may write any folder, so access() plays the part of a folder
    # without the write permission.
    access = os.access
    folder = str(starter.parent)

    def denied_folder(path: str | Path, mode: int) -> bool:
        return str(path) != folder and access(path, mode)

    monkeypatch.setattr(os, "access", denied_folder)

    result = run_doctor("b2b-en", "--source", str(starter))

    assert result.exit_code == 1
    assert writable_line(result) == (
        f"✗ Writable      Folder {folder!r} of workbook 'pipeline.xlsx' is not "
        "writable. pipesheet writes the new workbook to a temporary file in that "
        "folder and renames it over the old one, so it needs to create files "
        "there. Make the folder writable, or run pipesheet run with --output "
        "PATH in a writable folder."
    )
    assert list(starter.parent.iterdir()) == [starter]


def test_csv_lists_skipped(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        ",,\n,,\nDeal ID,Account,Owner,Stage,Amount,Expected Close,Next Step Date,"
        "Lost Reason\nD-1,Acme,Ana,Lead,100,2025-12-01,2025-10-01,\n",
        encoding="utf-8",
    )

    result = run_doctor("b2b-en", "--source", str(path))

    assert result.exit_code == 1
    skipped = "is a CSV file without tab 'Lists', so runs do not check these values"
    assert lines(result)[-4:-2] == [
        f"· List owner    deals.csv {skipped}",
        (
            "· List product  the pipeline tab has no column for 'product', so runs "
            "do not read this list"
        ),
    ]
    assert lines(result)[-1] == "1 check failed; fix it and run pipesheet doctor again."
    unwritten = "not checked, because pipesheet does not write deals.csv"
    assert lines(result)[-6:-4] == [
        f"· Status        {unwritten}",
        f"· Output tabs   {unwritten}",
    ]


def test_missing_workbook_fails(tmp_path: Path) -> None:
    missing = tmp_path / "missing.xlsx"

    result = run_doctor("b2b-en", "--source", str(missing))

    assert result.exit_code == 1
    assert lines(result)[1] == (
        f"✗ Workbook      Workbook {str(missing)!r} from --source not found. Check "
        "--source; a relative path is read from the folder pipesheet runs in."
    )
    assert lines(result)[3] == "· Tab           not checked, because workbook failed"


@pytest.mark.parametrize(
    "name", ["Problems", "stage LOG"], ids=["problems", "stage-log"]
)
def test_user_tab_named_like_output_fails(starter: Path, name: str) -> None:
    workbook = openpyxl.load_workbook(starter)
    workbook.create_sheet(name)["A1"] = "Notes of our own"
    workbook.save(starter)

    result = run_doctor("b2b-en", "--source", str(starter))

    assert result.exit_code == 1
    assert lines(result)[8] == (
        f"✗ Output tabs   Workbook 'pipeline.xlsx' already has a tab {name!r} that "
        "pipesheet did not create, so pipesheet will not overwrite it. Rename that "
        "tab, or choose another name for the generated tab under outputs.tabs in "
        "the pipeline definition."
    )
    assert lines(result)[-1] == "1 check failed; fix it and run pipesheet doctor again."


def test_very_hidden_user_tab_named(starter: Path) -> None:
    workbook = openpyxl.load_workbook(starter)
    sheet = workbook.create_sheet("Problems")
    sheet["A1"] = "Kept by a macro"
    sheet.sheet_state = "veryHidden"
    workbook.save(starter)

    result = run_doctor("b2b-en", "--source", str(starter))

    assert result.exit_code == 1
    assert lines(result)[8] == (
        "✗ Output tabs   Workbook 'pipeline.xlsx' already has a tab 'Problems' "
        "that pipesheet did not create, so pipesheet will not overwrite it. The "
        "tab is very hidden, so Excel's Unhide dialog does not list it. Choose "
        "another name for the generated tab under outputs.tabs in the pipeline "
        "definition, or show the tab from Excel's VBA editor and rename it: press "
        "Alt+F11, select the sheet in the Project window and set Visible to -1 - "
        "xlSheetVisible in its Properties window."
    )


def test_tabs_of_earlier_run_pass(starter: Path) -> None:
    run_sync(
        load_pipeline(shipped_definition("b2b-en")),
        ExcelWorkbook(starter),
        dt.date(2025, 9, 30),
    )

    result = run_doctor("b2b-en", "--source", str(starter))

    assert result.exit_code == 0
    assert lines(result)[8].startswith("✓ Output tabs   ")


def test_team_status_column_fails(starter: Path) -> None:
    workbook = openpyxl.load_workbook(starter)
    deals = workbook["Deals"]
    deals["R3"] = "pipesheet status"
    deals["R4"] = "waiting on legal"
    workbook.save(starter)

    result = run_doctor("b2b-en", "--source", str(starter))

    assert result.exit_code == 1
    assert lines(result)[7].startswith(
        "✗ Status        Workbook 'pipeline.xlsx', tab 'Deals': column R has the "
        "status header 'pipesheet status' but contains values pipesheet did not "
        "write, such as R4 = 'waiting on legal'"
    )


STAGE_NEEDS_CLOSE_DATE = """\
name: Close dates
source: {path: deals.xlsx, tab: Deals}
columns:
  id: {aliases: [Deal ID]}
  stage: {aliases: [Stage]}
  close_date: {aliases: [Close Date]}
stages:
  - {name: Proposal, required: [close_date], next_step_required: false}
  - {name: Won, outcome: won}
"""


@pytest.mark.parametrize(
    ("header", "columns_line"),
    [
        (
            "Close Date",
            (
                "✓ Columns      all 3 required columns found: id → 'Deal ID', stage "
                "→ 'Stage', close_date → 'Close Date'"
            ),
        ),
        (
            "Expected Close",
            (
                "✗ Columns      Workbook 'deals.xlsx', tab 'Deals': required columns "
                "are missing in header row 1. No column for 'close_date' (looked for "
                "'Close Date'), which stage 'Proposal' requires. Headers found: A "
                "'Deal ID', B 'Stage', C 'Expected Close'. Rename the header in the "
                "sheet, or add the sheet's header text to the field's aliases in the "
                "definition. If the sheet does not keep that column, add it, or take "
                "the field out of the stage's required list in the definition."
            ),
        ),
    ],
    ids=["found", "missing"],
)
def test_stage_required_column_checked(
    tmp_path: Path, header: str, columns_line: str
) -> None:
    definition = write_deals_and_definition(
        tmp_path,
        [["Deal ID", "Stage", header], ["D-1", "Proposal", None]],
        STAGE_NEEDS_CLOSE_DATE,
    )

    result = run_doctor(str(definition))

    assert columns_line in lines(result)
    assert result.exit_code == (0 if header == "Close Date" else 1)


WIN_RATE_PERIOD = """\
name: Win rate period
source: {path: deals.xlsx, tab: Deals}
columns:
  id: {aliases: [Deal ID]}
  stage: {aliases: [Stage]}
  close_date: {aliases: [Close Date]}
  region: {aliases: [Territory]}
stages:
  - {name: Proposal, next_step_required: false}
  - {name: Won, outcome: won}
metrics: {win_rate_days: 90}
"""


@pytest.mark.parametrize(
    ("headers", "columns_line", "exit_code"),
    [
        (
            ["Deal ID", "Stage", "Closed", "Region"],
            (
                "✗ Columns      Workbook 'deals.xlsx', tab 'Deals': "
                "metrics.win_rate_days reads the field 'close_date' (looked for "
                "'Close Date', nearest header 'Closed' in column C), which has no "
                "column. This option counts the deals that closed in the period by "
                "their close date, so the period is not applied: win rates, won and "
                "lost figures, the average cycle and velocity count every closed "
                "deal, as without the option. Headers found: A 'Deal ID', B 'Stage', "
                "C 'Closed', D 'Region'. Rename the header in the sheet, or add the "
                "sheet's header text to the field's aliases in the definition. If "
                "the sheet does not keep that column, delete metrics.win_rate_days "
                "from the definition. Workbook 'deals.xlsx', tab 'Deals': no column "
                "for 'region' (looked for 'Territory'). Without their columns, no "
                "value of these fields is checked, counted or shown, in allowed "
                "lists, group_by breakdowns or figures. Headers found: A 'Deal ID', "
                "B 'Stage', C 'Closed', D 'Region'. Rename the header in the sheet, "
                "or add the sheet's header text to the field's aliases in the "
                "definition. If the sheet does not keep one of these columns, delete "
                "its field from columns."
            ),
            1,
        ),
        (
            ["Deal ID", "Stage", "Close Date", "Region"],
            (
                "! Columns      all 2 required columns found: id → 'Deal ID', stage "
                "→ 'Stage'. Workbook 'deals.xlsx', tab 'Deals': no column for "
                "'region' (looked for 'Territory'). Without their columns, no value "
                "of these fields is checked, counted or shown, in allowed lists, "
                "group_by breakdowns or figures. Headers found: A 'Deal ID', B "
                "'Stage', C 'Close Date', D 'Region'. Rename the header in the sheet, "
                "or add the sheet's header text to the field's aliases in the "
                "definition. If the sheet does not keep one of these columns, delete "
                "its field from columns."
            ),
            0,
        ),
    ],
    ids=["option-column-missing", "other-column-missing"],
)
def test_unfound_optional_column_reported(
    tmp_path: Path, headers: list[str], columns_line: str, exit_code: int
) -> None:
    definition = write_deals_and_definition(
        tmp_path, [headers, ["D-1", "Proposal", None, None]], WIN_RATE_PERIOD
    )

    result = run_doctor(str(definition))

    assert columns_line in lines(result)
    assert result.exit_code == exit_code


KNOWN_OPTIONAL = """\
name: Known optional fields
source: {path: deals.xlsx, tab: Deals}
columns:
  id: {aliases: [Deal ID]}
  stage: {aliases: [Stage]}
  probability: {aliases: [Probability]}
  created_date: {aliases: [Created]}
stages:
  - {name: Proposal, next_step_required: false}
  - {name: Won, outcome: won}
"""


def test_unfound_known_optional_column_warned(tmp_path: Path) -> None:
    # No option reads the probability or the created date, but the metrics do.
    definition = write_deals_and_definition(
        tmp_path,
        [["Deal ID", "Stage", "Win %"], ["D-1", "Proposal", 0.5]],
        KNOWN_OPTIONAL,
    )

    result = run_doctor(str(definition))

    assert (
        "! Columns      all 2 required columns found: id → 'Deal ID', stage → "
        "'Stage'. Workbook 'deals.xlsx', tab 'Deals': no column for 'probability' "
        "(looked for 'Probability'), 'created_date' (looked for 'Created'). Without "
        "their columns, no value of these fields is checked, counted or shown, in "
        "allowed lists, group_by breakdowns or figures. Headers found: A 'Deal ID', "
        "B 'Stage', C 'Win %'. Rename the header in the sheet, or add the sheet's "
        "header text to the field's aliases in the definition. If the sheet does "
        "not keep one of these columns, delete its field from columns."
    ) in lines(result)
    assert result.exit_code == 0


MAPPED_NEAR_HEADER = """\
name: Mapped near header
source: {path: deals.xlsx, tab: Deals}
columns:
  id: {aliases: [Deal ID]}
  stage: {aliases: [Stage]}
  next_step_date: {aliases: [Next Step Date]}
  next_step: {aliases: [Next Step]}
allowed:
  next_step: {values: [Call, Demo]}
stages:
  - {name: Proposal}
  - {name: Won, outcome: won}
"""


def test_unfound_column_suggests_no_mapped_header(tmp_path: Path) -> None:
    # 'Next Step Date' is nearest to 'Next Step', but next_step_date reads it.
    definition = write_deals_and_definition(
        tmp_path,
        [["Deal ID", "Stage", "Next Step Date"], ["D-1", "Proposal", None]],
        MAPPED_NEAR_HEADER,
    )

    result = run_doctor(str(definition))

    columns = next(line for line in lines(result) if "Columns" in line[:16])
    assert "no column for 'next_step' (looked for 'Next Step')." in columns


REACHED_IF_FILLED = """\
name: Funnel proof
source: {path: deals.xlsx, tab: Deals}
columns:
  id: {aliases: [Deal ID]}
  stage: {aliases: [Stage]}
  created_date: {aliases: [Engage Date]}
followups: {require_next_step_date: false}
stages:
  - {name: Prospecting}
  - {name: Engaging, reached_if_filled: [created_date]}
  - {name: Won, outcome: won}
  - {name: Lost, outcome: lost}
"""


def test_reached_if_filled_column_missing_fails(tmp_path: Path) -> None:
    definition = write_deals_and_definition(
        tmp_path,
        [["Deal ID", "Stage", "Engaged"], ["D-1", "Lost", dt.date(2026, 5, 1)]],
        REACHED_IF_FILLED,
    )

    result = run_doctor(str(definition))

    assert (
        "✗ Columns      Workbook 'deals.xlsx', tab 'Deals': stages[1] ('Engaging')"
        ".reached_if_filled reads the field 'created_date' (looked for 'Engage "
        "Date', nearest header 'Engaged' in column C), which has no column. This "
        "option counts a deal with 'created_date' filled as having reached stage "
        "'Engaging' in the funnel, so no deal counts as reaching the stage by that "
        "field. Headers found: A 'Deal ID', B 'Stage', C 'Engaged'. Rename the "
        "header in the sheet, or add the sheet's header text to the field's aliases "
        "in the definition. If the sheet does not keep that column, delete "
        "stages[1] ('Engaging').reached_if_filled from the definition."
    ) in lines(result)
    assert result.exit_code == 1


GROUP_BY_REGION = """\
name: Regions
source: {path: deals.xlsx, tab: Deals}
columns:
  id: {aliases: [Deal ID]}
  stage: {aliases: [Stage]}
  region: {aliases: [Region]}
followups: {require_next_step_date: false}
stages:
  - {name: Lead}
  - {name: Won, outcome: won}
outputs: {group_by: [region]}
"""


def test_group_by_column_missing_fails(tmp_path: Path) -> None:
    definition = write_deals_and_definition(
        tmp_path, [["Deal ID", "Stage"], ["D-1", "Lead"]], GROUP_BY_REGION
    )

    result = run_doctor(str(definition))

    assert (
        "✗ Columns      Workbook 'deals.xlsx', tab 'Deals': outputs.group_by reads "
        "the field 'region' (looked for 'Region'), which has no column. This option "
        "breaks the Funnel tab's figures down by 'region', so the breakdown has one "
        "blank group that contains every deal. Headers found: A 'Deal ID', B "
        "'Stage'. Rename the header in the sheet, or add the sheet's header text to "
        "the field's aliases in the definition. If the sheet does not keep that "
        "column, delete 'region' from outputs.group_by."
    ) in lines(result)
    assert result.exit_code == 1


FOLLOWUPS_BY_DEFAULT = """\
name: Follow-ups by default
source: {path: deals.xlsx, tab: Deals}
columns:
  id: {aliases: [Deal ID]}
  stage: {aliases: [Stage]}
  owner: {aliases: [Owner]}
  next_step_date: {aliases: [Next Step Date]}
stages:
  - {name: Lead}
  - {name: Won, outcome: won}
"""
HEADERS_FOUND = (
    "Headers found: A 'Deal ID', B 'Stage', C 'Rep', D 'Next step on'. Rename the "
    "header in the sheet, or add the sheet's header text to the field's aliases "
    "in the definition."
)
# The warnings of a run and of doctor about the mapped columns that default
# checks read.
DEFAULT_COLUMN_WARNINGS = [
    (
        "Workbook 'deals.xlsx', tab 'Deals': no column for 'next_step_date' (looked "
        "for 'Next Step Date', nearest header 'Next step on' in column D), which "
        "the follow-up checks read, so none runs: no open deal is asked for a "
        f"next-step date or found overdue or due soon. {HEADERS_FOUND} If the sheet "
        "does not keep that column, delete 'next_step_date' from columns."
    ),
    (
        "Workbook 'deals.xlsx', tab 'Deals': no column for 'owner' (looked for "
        "'Owner', nearest header 'Rep' in column C), which the Follow-ups tab and "
        "the owner breakdown of the Funnel tab read, so they list every deal under "
        f"a blank owner. {HEADERS_FOUND} If the sheet does not keep that column, "
        "delete 'owner' from columns."
    ),
]


def write_renamed_followup_columns(tmp_path: Path) -> Path:
    """Write deals.xlsx with 'Rep' and 'Next step on' headers; return the definition."""
    definition = write_deals_and_definition(
        tmp_path,
        [
            ["Deal ID", "Stage", "Rep", "Next step on"],
            ["D-1", "Lead", "Ana", "2026-06-01"],
        ],
        FOLLOWUPS_BY_DEFAULT,
    )
    return definition


def test_default_check_column_missing_warned(tmp_path: Path) -> None:
    definition = write_renamed_followup_columns(tmp_path)

    result = run_doctor(str(definition))

    assert (
        "! Columns      all 2 required columns found: id → 'Deal ID', stage → "
        f"'Stage'. {' '.join(DEFAULT_COLUMN_WARNINGS)}"
    ) in lines(result)
    assert lines(result)[-1] == "All checks passed, but 1 marked ! need a look."
    assert result.exit_code == 0


def test_failed_columns_check_lists_warnings(tmp_path: Path) -> None:
    # The option's column fails the check; the default checks' columns that
    # a run warns of are listed in the same detail, not hidden behind it.
    definition = write_renamed_followup_columns(tmp_path)
    text = definition.read_text(encoding="utf-8")
    text = text.replace("stages:", "  close_date: {aliases: [Close Date]}\nstages:")
    definition.write_text(text + "metrics: {win_rate_days: 30}\n", encoding="utf-8")

    result = run_doctor(str(definition))

    columns = next(line for line in lines(result) if "Columns" in line[:16])
    assert columns.startswith(
        "✗ Columns      Workbook 'deals.xlsx', tab 'Deals': metrics.win_rate_days "
        "reads the field 'close_date' (looked for 'Close Date'), which has no column."
    )
    assert (
        f"{HEADERS_FOUND} If the sheet does not keep that column, delete "
        "metrics.win_rate_days from the definition."
    ) in columns
    assert columns.endswith(" ".join(DEFAULT_COLUMN_WARNINGS))
    assert result.exit_code == 1


REQUIRED_AND_OPTIONAL = """\
name: Required and optional
source: {path: deals.xlsx, tab: Deals}
columns:
  id: {aliases: [Deal ID]}
  stage: {aliases: [Stage]}
  amount: {aliases: [Amount]}
  region: {aliases: [Territory]}
stages:
  - {name: Lead, required: [amount], next_step_required: false}
  - {name: Won, outcome: won}
"""


def test_missing_required_column_lists_others(tmp_path: Path) -> None:
    # A missing required column must not hide the other missing columns
    # from the same doctor run.
    definition = write_deals_and_definition(
        tmp_path,
        [["Deal ID", "Stage", "Owner"], ["D-1", "Lead", "Ana"]],
        REQUIRED_AND_OPTIONAL,
    )

    result = run_doctor(str(definition))

    columns = next(line for line in lines(result) if "Columns" in line[:16])
    assert columns.startswith(
        "✗ Columns      Workbook 'deals.xlsx', tab 'Deals': required columns are "
        "missing in header row 1. No column for 'amount' (looked for 'Amount'), "
        "which stage 'Lead' requires."
    )
    assert "no column for 'region' (looked for 'Territory')." in columns
    assert columns.count("'amount'") == 1
    assert result.exit_code == 1


def test_missing_required_column_keeps_date_order_warning(starter: Path) -> None:
    # With every required column found, the Columns check warns that the
    # text dates in 'Expected Close' are month first. A missing required
    # column must not hide that warning from the same doctor run.
    workbook = openpyxl.load_workbook(starter)
    deals = workbook["Deals"]
    headers = [cell.value for cell in deals[3]]
    close_column = headers.index("Expected Close") + 1
    deals.cell(row=4, column=close_column).value = "12/31/2026"
    deals.cell(row=3, column=headers.index("Account") + 1).value = "Client"
    workbook.save(starter)

    result = run_doctor("b2b-en", "--source", str(starter))

    columns = next(line for line in lines(result) if "Columns" in line[:16])
    assert columns.startswith("✗ Columns")
    assert "No column for 'account'" in columns
    assert "valid only when read month first" in columns
    assert result.exit_code == 1


FIXED_HEADER_ROW = """\
name: Fixed header row
source: {path: deals.xlsx, tab: Deals, header_row: 1}
columns:
  id: {aliases: [Deal ID]}
  stage: {aliases: [Stage]}
  amount: {aliases: [Amount], required: true}
  region: {aliases: [Territory]}
stages:
  - {name: Lead, next_step_required: false}
  - {name: Won, outcome: won}
"""


def test_fixed_header_row_without_id_lists_others(tmp_path: Path) -> None:
    # A fixed header_row is known without the ID column, so the Header row
    # step passes and the Columns step names every missing column at once.
    definition = write_deals_and_definition(
        tmp_path, [["Stage", "Owner"], ["Lead", "Ana"]], FIXED_HEADER_ROW
    )

    result = run_doctor(str(definition))

    assert "✓ Header row   row 1: 'Stage', 'Owner'" in lines(result)
    columns = next(line for line in lines(result) if "Columns" in line[:16])
    assert "No column for 'id' (looked for 'Deal ID')." in columns
    assert "No column for 'amount' (looked for 'Amount')." in columns
    assert "no column for 'region' (looked for 'Territory')" in columns
    assert "✓ Status       column C, headed 'pipesheet status'" in lines(result)
    assert result.exit_code == 1


# Digest channels.

EMAIL_CHANNEL = """
notifications:
  owners:
    Ana Lima: {email: ana.lima@example.com}
  channels:
    - kind: email
      smtp_host: 127.0.0.1
      from_address: pipesheet@example.com
      username_env: PIPESHEET_TEST_SMTP_USER
      password_env: PIPESHEET_TEST_SMTP_PASSWORD
"""


@pytest.fixture
def email_definition(tmp_path: Path, starter: Path) -> Path:
    definition = shipped_definition("b2b-en").read_text(encoding="utf-8")
    path = tmp_path / "pipeline.yaml"
    path.write_text(definition + EMAIL_CHANNEL, encoding="utf-8")
    return path


def channel_line(result: Result) -> str:
    return next(line for line in lines(result) if line[2:].startswith("Channel"))


def test_unset_channel_variables_fail(
    email_definition: Path, starter: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIPESHEET_TEST_SMTP_USER", raising=False)
    monkeypatch.setenv("PIPESHEET_TEST_SMTP_PASSWORD", "")

    result = run_doctor(str(email_definition), "--source", str(starter))

    assert result.exit_code == 1
    assert channel_line(result) == (
        "✗ Channel email  the environment variables 'PIPESHEET_TEST_SMTP_USER' "
        "(username_env) and 'PIPESHEET_TEST_SMTP_PASSWORD' (password_env) are not "
        "set or empty, so every digest on this channel fails. Set them in the "
        "environment that pipesheet runs in, such as "
        "`export PIPESHEET_TEST_SMTP_USER=...` in the shell or "
        "`Environment=PIPESHEET_TEST_SMTP_USER=...` in the systemd unit, and run "
        "doctor in that environment."
    )
    assert lines(result)[-1] == "1 check failed; fix it and run pipesheet doctor again."


def test_one_unset_channel_variable_named(
    email_definition: Path, starter: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPESHEET_TEST_SMTP_USER", "pipesheet")
    monkeypatch.delenv("PIPESHEET_TEST_SMTP_PASSWORD", raising=False)

    result = run_doctor(str(email_definition), "--source", str(starter))

    assert result.exit_code == 1
    assert channel_line(result).startswith(
        "✗ Channel email  the environment variable 'PIPESHEET_TEST_SMTP_PASSWORD' "
        "(password_env) is not set or empty, so every digest on this channel fails. "
        "Set it in the environment that pipesheet runs in, such as "
        "`export PIPESHEET_TEST_SMTP_PASSWORD=...`"
    )


def test_set_channel_variables_pass_unprinted(
    email_definition: Path, starter: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPESHEET_TEST_SMTP_USER", "user-value-7")
    monkeypatch.setenv("PIPESHEET_TEST_SMTP_PASSWORD", "password-value-7")

    result = run_doctor(str(email_definition), "--source", str(starter))

    assert result.exit_code == 0
    assert channel_line(result) == (
        "✓ Channel email  username_env 'PIPESHEET_TEST_SMTP_USER', password_env "
        "'PIPESHEET_TEST_SMTP_PASSWORD' set"
    )
    assert "value-7" not in result.output


def save_pipeline_with_owner_list(path: Path, header: list[str]) -> None:
    workbook = openpyxl.Workbook()
    deals = workbook.active
    assert deals is not None
    deals.title = "Deals"
    deals.append(header)
    deals.append(["N1", "Acme", "Ana Lima", "Demo", 100, dt.datetime(2027, 1, 1)])
    lists = workbook.create_sheet("Lists")
    lists.append(["Owner"])
    lists.append(["Ana Lima"])
    workbook.save(path)


OWNER_LIST_HEADER = ["Deal ID", "Account", "Owner", "Stage", "Amount"]


def test_list_of_absent_column_skipped(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.xlsx"
    save_pipeline_with_owner_list(path, [*OWNER_LIST_HEADER, "Expected Close"])

    result = run_doctor("b2b-en", "--source", str(path))

    assert lines(result)[-4:-2] == [
        "✓ List owner    tab 'Lists', column 'Owner': 1 value",
        (
            "· List product  the pipeline tab has no column for 'product', so runs "
            "do not read this list"
        ),
    ]


def test_missing_list_column_fails(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.xlsx"
    save_pipeline_with_owner_list(path, [*OWNER_LIST_HEADER, "Product"])

    result = run_doctor("b2b-en", "--source", str(path))

    assert result.exit_code == 1
    assert lines(result)[-3] == (
        "✗ List product  Workbook 'pipeline.xlsx', tab 'Lists': no column headed "
        "'Product' in the first 10 rows, so the allowed values of 'product' cannot "
        "be read and runs do not check them. Row 1, the one with the most filled "
        "cells, has A1='Owner'. Add the column, fix allowed.product.from_tab.column, "
        "or delete allowed.product from the definition."
    )


# State database.


def older_state(folder: Path) -> Path:
    """Return a state database one schema revision behind the newest."""
    from alembic import command

    from sync.state.schema import alembic_config
    from sync.state.store import StateStore

    path = folder / "state.sqlite"
    StateStore.open(str(path)).close()
    command.downgrade(alembic_config(f"sqlite:///{path}"), "-1")
    return path


def state_revisions(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT version_num FROM alembic_version")
        return [row[0] for row in rows]


def test_current_state_database_passes(starter: Path, tmp_path: Path) -> None:
    from sync.state.schema import HEAD_REVISION
    from sync.state.store import StateStore

    path = tmp_path / "state.sqlite"
    StateStore.open(str(path)).close()

    result = run_doctor("b2b-en", "--source", str(starter), "--state", str(path))

    assert result.exit_code == 0
    assert (
        f"✓ State database  {str(path)!r}, schema revision {HEAD_REVISION!r}"
    ) in lines(result)


def test_older_state_database_noticed(starter: Path, tmp_path: Path) -> None:
    from sync.state.schema import HEAD_REVISION

    path = older_state(tmp_path)
    [old] = state_revisions(path)

    result = run_doctor("b2b-en", "--source", str(starter), "--state", str(path))

    assert result.exit_code == 0
    assert (
        f"! State database  {str(path)!r} has schema revision {old!r}, and the "
        f"next run upgrades it to {HEAD_REVISION!r}. pipesheet versions that "
        f"predate revision {HEAD_REVISION!r} cannot open it afterwards."
    ) in result.output
    assert state_revisions(path) == [old]


def test_newer_state_database_fails(starter: Path, tmp_path: Path) -> None:
    path = older_state(tmp_path)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")

    result = run_doctor("b2b-en", "--source", str(starter), "--state", str(path))

    assert result.exit_code == 1
    assert (
        f"✗ State database  State database {str(path)!r} was written by a newer "
        "pipesheet: it has schema revision '9999'"
    ) in result.output
    assert state_revisions(path) == ["9999"]


def test_missing_state_database_unlisted(starter: Path, tmp_path: Path) -> None:
    path = tmp_path / "none.sqlite"

    result = run_doctor("b2b-en", "--source", str(starter), "--state", str(path))

    assert result.exit_code == 0
    assert "State database" not in result.output
    assert not path.exists()


def test_empty_state_database_passes(starter: Path, tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    path.touch()

    result = run_doctor("b2b-en", "--source", str(starter), "--state", str(path))

    assert result.exit_code == 0
    assert (
        f"✓ State database  {str(path)!r} is empty, so no run has been recorded "
        "in it yet. The next run creates pipesheet's tables in it."
    ) in lines(result)
    assert path.stat().st_size == 0


def test_foreign_state_database_fails(starter: Path, tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE contacts (id INTEGER)")
    connection.close()

    result = run_doctor("b2b-en", "--source", str(starter), "--state", str(path))

    assert result.exit_code == 1
    assert (
        f"✗ State database  {str(path)!r} is not a pipesheet state database: it "
        "has a table named 'contacts' but no pipesheet schema revision."
    ) in result.output


def record_removed_stage_run(starter: Path, path: Path) -> None:
    """Record a run that saw deal D-1 in 'Scoping', a stage b2b-en does not name."""
    from rules.history import DealSnapshot
    from sync.state.keys import workbook_key
    from sync.state.records import RunOutcome
    from sync.state.store import StateStore

    key = workbook_key(load_pipeline(shipped_definition("b2b-en")), str(starter))
    with StateStore.open(str(path)) as store:
        run_id = store.start_run(key, "Deals", dt.date(2025, 9, 30))
        store.save_snapshot(run_id, [DealSnapshot("D-1", "Scoping", None, None, 4)])
        store.finish_run(run_id, RunOutcome.OK)


def test_removed_stage_named_before_upgrade(starter: Path, tmp_path: Path) -> None:
    from alembic import command

    from sync.state.schema import alembic_config

    path = tmp_path / "state.sqlite"
    record_removed_stage_run(starter, path)
    command.downgrade(alembic_config(f"sqlite:///{path}"), "0006")
    before = path.read_bytes()

    result = run_doctor("b2b-en", "--source", str(starter), "--state", str(path))

    assert result.exit_code == 0
    assert "the next run upgrades it" in result.output
    assert (
        "! Recorded stages  The last recorded run saw deals in stages" in result.output
    )
    assert "Warning" not in result.output
    assert path.read_bytes() == before


def test_recorded_removed_stage_needs_a_look(starter: Path, tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    record_removed_stage_run(starter, path)

    result = run_doctor("b2b-en", "--source", str(starter), "--state", str(path))

    assert result.exit_code == 0
    assert (
        "! Recorded stages  The last recorded run saw deals in stages that the "
        "definition no longer names: 'Scoping' (1 deal)."
    ) in result.output
    assert "If a stage was removed, move its deals" in result.output
    assert "All checks passed." not in result.output
    assert lines(result)[-1] == "All checks passed, but 1 marked ! need a look."
