"""Tests of the Google Sheets source against the fake Sheets API.

Most tests serve the fake in-process through ``responses``; one runs the real
``pipesheet`` command against the fake on a loopback HTTP server.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from click.testing import CliRunner

from config.errors import (
    DefinitionError,
    SheetLayoutError,
    SourceError,
    WorkbookBusyError,
    WorkbookNotFoundError,
)
from config.loader import load_pipeline
from config.models import Pipeline, SourceKind
from rules.findings import Code
from rules.grid import CellValue
from sync.cli import cli
from sync.maven import build_maven_workbook
from sync.report import result_as_json
from sync.run import RunResult, run_sync
from sync.run_process import RUN_CONTROL, run_definition, run_workbook_job
from sync.sources import sheets_write
from sync.sources.excel import ExcelWorkbook
from sync.sources.google_sheets import GoogleSpreadsheet, merged_blocks
from sync.sources.sheets_auth import spreadsheet_key
from sync.sources.sheets_state import GENERATED_TAB_KEY, Rectangle
from sync.state.records import RunOutcome
from sync.state.store import StateStore
from tests.fake_sheets import FakeSheets, FakeSheetsServer
from tests.fake_sheets.oauth import TOKEN_PATH, TokenServingHandler
from tests.fake_sheets.responses_adapter import register
from tests.fake_sheets.store import Sheet, Store
from tests.fifo_files import released_fifo
from tests.shared_data import MAVEN_FOLDER
from tests.sync.fake_spreadsheets import (
    CELL_FIELDS,
    DEALS_HEADER,
    SERVICE_ACCOUNT,
    TOKEN_URI,
    give_to_person,
    make_pipeline,
    open_spreadsheet,
    upload_tab,
    upload_workbook,
    write_key_file,
)

AS_OF = dt.date(2025, 9, 10)
LATER = dt.date(2025, 9, 11)
DEALS: list[list[CellValue]] = [
    DEALS_HEADER,
    ["D-1", "Acme", "Lead", 1000, dt.date(2025, 9, 1)],
    ["D-2", "Beta", "Proposal", 5000, dt.date(2025, 9, 20)],
    ["D-3", None, "Lead", 2000, dt.date(2025, 9, 15)],
    ["D-4", "Delta", "Won", 7000, None],
    ["D-5", "Echo", "Proposal", None, dt.date(2025, 9, 12)],
]
STATUS_OF = {
    "D-1": "WARN: follow-up 9 days overdue",
    "D-2": "OK",
    "D-3": "ERROR: missing Account",
    "D-4": "OK",
    "D-5": "ERROR: missing Amount",
}
GENERATED_TABS = ["Funnel", "Follow-ups", "Problems", "Definitions"]
STATUS_HEADER = "pipesheet status"
# The run's calls, in order: metadata, values, date cells, re-read, write,
# and the check that each status written is on its deal's row.
RE_READ_CALL = 4
WRITE_CALL = 5
# A run on an unchanged sheet: metadata, values, date cells, and no write.
UNCHANGED_RUN_CALLS = ["spreadsheets.get", "values.batchGet", "values.batchGet"]


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    """A fake Sheets API served through ``responses`` for the whole test."""
    served = FakeSheets()
    with served.responses():
        yield served


@pytest.fixture
def deals(fake: FakeSheets) -> str:
    """A spreadsheet with the Deals tab; return its id."""
    return upload_workbook(fake, "Pipeline", {"Deals": DEALS})


@pytest.fixture
def shared_deals(fake: FakeSheets) -> str:
    """The Deals spreadsheet owned by a rep and shared with the service account."""
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": DEALS})
    give_to_person(fake, spreadsheet_id, "rep@example.com")
    return spreadsheet_id


def sync(fake: FakeSheets, spreadsheet_id: str, as_of: dt.date = AS_OF) -> RunResult:
    """Run one sync of the test definition on a fake spreadsheet."""
    pipeline = make_pipeline(spreadsheet_id)
    return run_sync(
        pipeline, open_spreadsheet(spreadsheet_id, pipeline=pipeline), as_of
    )


def statuses_by_id(fake: FakeSheets, spreadsheet_id: str) -> dict[str, str]:
    """Return each deal ID on the Deals tab with the status on its row."""
    rows = fake.read(spreadsheet_id, "Deals")
    status_column = rows[0].index(STATUS_HEADER)
    return {
        row[0]: row[status_column] if len(row) > status_column else ""
        for row in rows[1:]
        if row and row[0]
    }


def operations(fake: FakeSheets, since: int = 0) -> list[str]:
    return [request.operation for request in fake.requests[since:]]


def edit(
    fake: FakeSheets,
    spreadsheet_id: str,
    requests: list[dict[str, Any]],
    call: int = RE_READ_CALL,
) -> None:
    """Make the fake apply batchUpdate requests just before one request of the run.

    :param call: the number of that request in the run, 1 for the first; by
        default the re-read before the write.
    """
    number = len(fake.requests) + call

    def mutate(_store: Store) -> None:
        fake.batch_update(spreadsheet_id, requests)

    fake.faults.before_call(number, mutate)


def stored_value(fake: FakeSheets, spreadsheet_id: str, tab: str, cell: str) -> Any:
    """Return a cell's stored userEnteredValue, e.g. ``{"stringValue": "0042"}``."""
    sheet = fake.spreadsheet(spreadsheet_id).sheet_by_title(tab)
    assert sheet is not None
    column = ord(cell[0]) - ord("A")
    return sheet.cell(int(cell[1:]) - 1, column).value


# The Maven CRM data: the same findings and figures as the .xlsx run.


@dataclasses.dataclass
class MavenRuns:
    excel: dict[str, Any]
    excel_tabs: list[list[list[CellValue]]]
    sheets: dict[str, Any]
    sheets_tabs: list[list[list[CellValue]]]
    first_run_calls: list[str]
    second_run_calls: list[str]
    second_run_report: Any


@pytest.fixture(scope="module")
def maven_runs(tmp_path_factory: pytest.TempPathFactory) -> MavenRuns:
    if not MAVEN_FOLDER.is_dir():
        pytest.skip(f"the Maven CRM CSV files are not in {MAVEN_FOLDER}")
    path = tmp_path_factory.mktemp("maven") / "maven-crm.xlsx"
    build_maven_workbook(MAVEN_FOLDER, path)
    pipeline = load_pipeline(Path("config/examples/maven-crm.yaml").resolve())
    as_of = dt.date(2017, 12, 31)
    workbook = ExcelWorkbook(path)
    excel = run_sync(pipeline, workbook, as_of, dry_run=True)

    fake = FakeSheets()
    tabs = {name: workbook.read_tab(name).rows for name in workbook.tab_names()}
    spreadsheet_id = upload_workbook(fake, "Maven CRM", tabs)
    google = pipeline.model_copy(
        update={
            "source": pipeline.source.model_copy(
                update={"kind": SourceKind.GOOGLE_SHEETS, "spreadsheet": spreadsheet_id}
            )
        }
    )
    with fake.responses():
        sheets = run_sync(
            google, open_spreadsheet(spreadsheet_id, pipeline=google), as_of
        )
        first = operations(fake)
        second = run_sync(
            google, open_spreadsheet(spreadsheet_id, pipeline=google), as_of
        )
    return MavenRuns(
        excel=result_as_json(excel, pipeline),
        excel_tabs=[tab.grid for tab in excel.plan.tabs],
        sheets=result_as_json(sheets, google),
        sheets_tabs=[tab.grid for tab in sheets.plan.tabs],
        first_run_calls=first,
        second_run_calls=operations(fake, len(first)),
        second_run_report=second.report,
    )


@pytest.mark.parametrize(
    "key",
    ["findings_by_code", "findings", "followups", "metrics", "deals", "header_row"],
    ids=["counts", "findings", "followups", "metrics", "deals", "header-row"],
)
def test_maven_matches_excel_run(maven_runs: MavenRuns, key: str) -> None:
    assert maven_runs.sheets[key] == maven_runs.excel[key]


def test_maven_generated_tabs_match_excel(maven_runs: MavenRuns) -> None:
    assert maven_runs.sheets_tabs == maven_runs.excel_tabs


def test_maven_first_run_takes_six_calls(maven_runs: MavenRuns) -> None:
    assert maven_runs.first_run_calls == [
        "spreadsheets.get",
        "values.batchGet",
        "values.batchGet",
        "values.batchGet",
        "spreadsheets.batchUpdate",
        "values.batchGet",
    ]


def test_maven_first_run_writes_every_status(maven_runs: MavenRuns) -> None:
    written = maven_runs.sheets["written"]

    assert written["status_cells"] == 8800
    assert written["tabs"] == GENERATED_TABS
    # The re-read, the write, and the check that each status is on its row.
    assert written["requests"] == 3


def test_maven_second_run_only_reads(maven_runs: MavenRuns) -> None:
    assert maven_runs.second_run_calls == UNCHANGED_RUN_CALLS
    assert maven_runs.second_run_report is None


# One run on a small pipeline.


def test_statuses_land_on_their_rows(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)

    assert statuses_by_id(fake, deals) == STATUS_OF


def test_status_header_written(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)

    assert fake.read(deals, "Deals!F1") == [[STATUS_HEADER]]


def test_run_report_counts_write_calls(fake: FakeSheets, deals: str) -> None:
    report = sync(fake, deals).report

    assert report is not None
    assert report.status_cells_written == 5
    assert report.tabs_written == GENERATED_TABS
    assert report.requests == 3
    assert report.skipped == []
    assert report.output == f"https://docs.google.com/spreadsheets/d/{deals}/edit"


def test_source_counts_every_call(fake: FakeSheets, deals: str) -> None:
    pipeline = make_pipeline(deals)
    source = open_spreadsheet(deals, pipeline=pipeline)

    run_sync(pipeline, source, AS_OF)

    assert source.requests_made == 6
    assert source.read_requests == 5
    assert source.write_requests == 1


def test_second_run_sends_no_write(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)
    before = len(fake.requests)

    result = sync(fake, deals)

    assert result.report is None
    assert operations(fake, before) == UNCHANGED_RUN_CALLS


def test_shared_spreadsheet_rerun_rewrites_tabs(
    fake: FakeSheets, shared_deals: str
) -> None:
    sync(fake, shared_deals)
    fake.write(shared_deals, "Deals!B2", [[""]])

    report = sync(fake, shared_deals, LATER).report

    # Generated tabs carry a warning-only protection, which lets a shared
    # account write, as it lets the owner.
    assert report is not None
    assert "Problems" in report.tabs_written
    assert statuses_by_id(fake, shared_deals)["D-1"].startswith(
        "ERROR: missing Account"
    )


def test_shared_spreadsheet_second_run_only_reads(
    fake: FakeSheets, shared_deals: str
) -> None:
    sync(fake, shared_deals)
    before = len(fake.requests)

    sync(fake, shared_deals)

    assert operations(fake, before) == UNCHANGED_RUN_CALLS


def test_generated_tabs_added_after_pipeline(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)

    titles = [sheet.title for sheet in fake.spreadsheet(deals).sheets]
    assert titles == ["Deals", *GENERATED_TABS]


def test_generated_tabs_carry_metadata(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)

    spreadsheet = fake.spreadsheet(deals)
    tagged = {
        item["location"]["sheetId"]
        for item in spreadsheet.developer_metadata
        if item["metadataKey"] == GENERATED_TAB_KEY
    }
    generated = {sheet.sheet_id for sheet in spreadsheet.sheets[1:]}
    assert tagged == generated


def test_generated_tabs_have_warning_protection(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)

    for sheet in fake.spreadsheet(deals).sheets[1:]:
        assert len(sheet.protected_ranges) == 1, sheet.title
        assert sheet.protected_ranges[0]["warningOnly"] is True, sheet.title


def test_funnel_gets_one_column_chart(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)

    funnel = fake.spreadsheet(deals).sheet_by_title("Funnel")
    assert funnel is not None
    assert len(funnel.charts) == 1
    spec = funnel.charts[0]["spec"]
    assert spec["basicChart"]["chartType"] == "COLUMN"
    assert spec["title"] == "Deals that reached each stage"


@pytest.mark.parametrize("title", GENERATED_TABS)
def test_generated_tab_header_row_frozen_and_bold(
    fake: FakeSheets, deals: str, title: str
) -> None:
    sync(fake, deals)

    sheet = fake.spreadsheet(deals).sheet_by_title(title)
    assert sheet is not None
    assert sheet.grid["frozenRowCount"] == 3
    assert sheet.cell(2, 0).format["textFormat"] == {"bold": True}
    assert sheet.cell(2, 1).format["textFormat"] == {"bold": True}
    assert "textFormat" not in sheet.cell(3, 0).format


@pytest.mark.parametrize(
    ("title", "last_column"),
    [("Follow-ups", 10), ("Problems", 8)],
    ids=["follow-ups", "problems"],
)
def test_list_tab_gets_basic_filter(
    fake: FakeSheets, deals: str, title: str, last_column: int
) -> None:
    sync(fake, deals)

    sheet = fake.spreadsheet(deals).sheet_by_title(title)
    assert sheet is not None
    assert sheet.basic_filter is not None
    assert sheet.basic_filter["range"] == {
        "sheetId": sheet.sheet_id,
        "startRowIndex": 2,
        "endRowIndex": sheet.row_count,
        "startColumnIndex": 0,
        "endColumnIndex": last_column,
    }


def test_funnel_gets_no_basic_filter(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)

    funnel = fake.spreadsheet(deals).sheet_by_title("Funnel")
    assert funnel is not None
    assert funnel.basic_filter is None


def test_generated_numbers_get_thousands_formats(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)

    funnel = fake.spreadsheet(deals).sheet_by_title("Funnel")
    problems = fake.spreadsheet(deals).sheet_by_title("Problems")
    assert funnel is not None
    assert problems is not None
    # Funnel row 4 is the first stage: deals now (C) and value now (D).
    assert funnel.cell(3, 2).value == {"numberValue": 2}
    assert funnel.cell(3, 2).format["numberFormat"] == {
        "type": "NUMBER",
        "pattern": "#,##0",
    }
    assert funnel.cell(3, 3).format["numberFormat"] == {
        "type": "NUMBER",
        "pattern": "#,##0.00",
    }
    # Problems column A contains sheet row numbers, which keep the General format.
    assert "numberValue" in (problems.cell(3, 0).value or {})
    assert "numberFormat" not in problems.cell(3, 0).format


def test_pipeline_tab_gets_highlight_rules(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)

    rules = fake.spreadsheet(deals).sheets[0].conditional_formats
    formulas = [
        rule["booleanRule"]["condition"]["values"][0]["userEnteredValue"]
        for rule in rules
    ]
    assert formulas == ['=LEFT($F2,7)="ERROR: "', '=LEFT($F2,6)="WARN: "']
    assert rules[0]["ranges"] == [
        {"sheetId": 0, "startRowIndex": 1, "startColumnIndex": 0, "endColumnIndex": 6}
    ]


def test_user_highlight_rule_kept_first(fake: FakeSheets, deals: str) -> None:
    user_rule = {
        "ranges": [{"sheetId": 0, "startRowIndex": 1, "startColumnIndex": 2}],
        "booleanRule": {
            "condition": {"type": "TEXT_EQ", "values": [{"userEnteredValue": "Won"}]},
            "format": {"backgroundColor": {"green": 1}},
        },
    }
    fake.batch_update(deals, [{"addConditionalFormatRule": {"rule": user_rule}}])

    sync(fake, deals)
    sync(fake, deals, LATER)

    rules = fake.spreadsheet(deals).sheets[0].conditional_formats
    assert len(rules) == 3
    assert rules[0]["booleanRule"]["condition"]["type"] == "TEXT_EQ"


def test_highlights_off_removes_own_rules(fake: FakeSheets, deals: str) -> None:
    user_rule = {
        "ranges": [{"sheetId": 0, "startRowIndex": 1, "startColumnIndex": 2}],
        "booleanRule": {
            "condition": {"type": "TEXT_EQ", "values": [{"userEnteredValue": "Won"}]},
            "format": {"backgroundColor": {"green": 1}},
        },
    }
    fake.batch_update(deals, [{"addConditionalFormatRule": {"rule": user_rule}}])
    sync(fake, deals)
    on = make_pipeline(deals)
    off = on.model_copy(
        update={"outputs": on.outputs.model_copy(update={"highlight_rows": False})}
    )

    removed = run_sync(off, open_spreadsheet(deals, pipeline=off), AS_OF)
    before = len(fake.requests)
    again = run_sync(off, open_spreadsheet(deals, pipeline=off), AS_OF)

    rules = fake.spreadsheet(deals).sheets[0].conditional_formats
    assert [rule["booleanRule"]["condition"]["type"] for rule in rules] == ["TEXT_EQ"]
    assert removed.plan.remove_highlights
    assert removed.report is not None
    assert not again.plan.remove_highlights
    assert "spreadsheets.batchUpdate" not in operations(fake, before)


def test_highlights_back_on_adds_rules(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)
    on = make_pipeline(deals)
    off = on.model_copy(
        update={"outputs": on.outputs.model_copy(update={"highlight_rows": False})}
    )
    run_sync(off, open_spreadsheet(deals, pipeline=off), AS_OF)

    added = run_sync(on, open_spreadsheet(deals, pipeline=on), AS_OF)
    before = len(fake.requests)
    again = run_sync(on, open_spreadsheet(deals, pipeline=on), AS_OF)

    rules = fake.spreadsheet(deals).sheets[0].conditional_formats
    assert len(rules) == 2
    assert added.plan.add_highlights
    assert added.report is not None
    assert not again.plan.add_highlights
    assert "spreadsheets.batchUpdate" not in operations(fake, before)


def test_renamed_output_tab_named_not_deleted(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)
    pipeline = make_pipeline(deals)
    tabs = pipeline.outputs.tabs.model_copy(update={"funnel": "Pipeline funnel"})
    outputs = pipeline.outputs.model_copy(update={"tabs": tabs})
    renamed = pipeline.model_copy(update={"outputs": outputs})

    result = run_sync(renamed, open_spreadsheet(deals, pipeline=renamed), AS_OF)

    notices = [f for f in result.findings if f.code is Code.OLD_GENERATED_TAB]
    titles = [sheet.title for sheet in fake.spreadsheet(deals).sheets]
    assert [f.params for f in notices] == [{"tab": "Funnel", "source_tab": "Deals"}]
    assert "Funnel" in titles
    assert "Pipeline funnel" in titles


def test_renamed_tab_gets_no_notice(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)
    rename_funnel(fake, deals)

    result = sync(fake, deals, LATER)

    notices = [f for f in result.findings if f.code is Code.OLD_GENERATED_TAB]
    titles = [sheet.title for sheet in fake.spreadsheet(deals).sheets]
    assert notices == []
    assert "Funnel Q3 snapshot" in titles
    assert "Funnel" in titles


def test_renamed_unrecorded_tab_gets_notice(fake: FakeSheets, deals: str) -> None:
    # A tab written by a version that recorded no name looks like a tab the
    # definition no longer names, so the notice stays.
    sync(fake, deals)
    funnel = rename_funnel(fake, deals)
    for item in fake.spreadsheet(deals).developer_metadata:
        on_funnel = item["location"].get("sheetId") == funnel.sheet_id
        if on_funnel and item["metadataKey"] == GENERATED_TAB_KEY:
            item["metadataValue"] = "{}"

    result = sync(fake, deals, LATER)

    notices = [f for f in result.findings if f.code is Code.OLD_GENERATED_TAB]
    assert [f.params for f in notices] == [
        {"tab": "Funnel Q3 snapshot", "source_tab": "Deals"}
    ]


def rename_funnel(fake: FakeSheets, spreadsheet_id: str) -> Sheet:
    """Rename the generated Funnel tab as a person keeping a snapshot would."""
    funnel = fake.spreadsheet(spreadsheet_id).sheet_by_title("Funnel")
    assert funnel is not None
    funnel.properties["title"] = "Funnel Q3 snapshot"
    return funnel


def test_header_respelling_reported_written(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)
    pipeline = make_pipeline(deals)
    header = pipeline.outputs.status_header.upper()
    outputs = pipeline.outputs.model_copy(update={"status_header": header})
    respelled = pipeline.model_copy(update={"outputs": outputs})

    result = run_sync(respelled, open_spreadsheet(deals, pipeline=respelled), AS_OF)

    assert result.report is not None
    assert result.report.status_cells_written == 0
    assert result.report.status_header_written
    assert result_as_json(result, respelled)["written"]["status_header"] is True


def test_inserted_column_keeps_rules(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)
    columns = {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 1, "endIndex": 2}
    fake.batch_update(deals, [{"insertDimension": {"range": columns}}])
    before = len(fake.requests)

    sync(fake, deals, LATER)

    # Google moved the rules' references with the status column, F to G.
    rules = fake.spreadsheet(deals).sheets[0].conditional_formats
    formulas = [
        rule["booleanRule"]["condition"]["values"][0]["userEnteredValue"]
        for rule in rules
    ]
    assert formulas == ['=LEFT($G2,7)="ERROR: "', '=LEFT($G2,6)="WARN: "']
    assert operations(fake, before).count("spreadsheets.get") == 1


def test_moved_status_header_replaces_rules(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)
    # Someone moves the status header from F1 to a new column G by hand.
    more = {"sheetId": 0, "dimension": "COLUMNS", "length": 1}
    fake.batch_update(deals, [{"appendDimension": more}])
    fake.write(deals, "Deals!F1:G1", [["", STATUS_HEADER]])
    before = len(fake.requests)

    sync(fake, deals, LATER)

    rules = fake.spreadsheet(deals).sheets[0].conditional_formats
    formulas = [
        rule["booleanRule"]["condition"]["values"][0]["userEnteredValue"]
        for rule in rules
    ]
    assert formulas == ['=LEFT($G2,7)="ERROR: "', '=LEFT($G2,6)="WARN: "']
    # The new status column's empty cells are read for formulas. Rules are
    # deleted by position, so the metadata is read again before the write.
    assert operations(fake, before) == [
        "spreadsheets.get",
        "values.batchGet",
        "values.batchGet",
        "values.batchGet",
        "values.batchGet",
        "spreadsheets.get",
        "spreadsheets.batchUpdate",
        "values.batchGet",
    ]


def test_status_column_right_of_helper_formulas(fake: FakeSheets, deals: str) -> None:
    # Formulas whose result is empty fill column F, under no header.
    more = {"sheetId": 0, "dimension": "COLUMNS", "length": 2}
    fake.batch_update(deals, [{"appendDimension": more}])
    helpers = [[f'=IF(C{row}="Lost","lost","")'] for row in range(2, 7)]
    fake.write(deals, "Deals!F2:F6", helpers)

    sync(fake, deals)

    cells = fake.read(deals, "Deals!F1:G6", value_render="FORMULA")
    assert [row[0] for row in cells[1:]] == [row[0] for row in helpers]
    assert cells[0] == ["", STATUS_HEADER]
    assert [row[1] for row in cells[1:]] == list(STATUS_OF.values())


def test_formula_in_status_cell_stops_run(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)
    fake.write(deals, "Deals!F3", [['=IF(C3="Won","won","")']])
    fake.write(deals, "Deals!C2", [["Proposal"]])
    before = len(fake.requests)

    with pytest.raises(SheetLayoutError) as raised:
        sync(fake, deals, LATER)

    assert str(raised.value) == (
        "Workbook 'Pipeline', tab 'Deals': status cell F3 contains a formula "
        "whose result is empty, and pipesheet does not overwrite formulas. Move "
        "it out of column F, or give the statuses a column of their own: set "
        "outputs.status_header in the definition to a header no column has, and "
        "runs add the status column right of your cells. Nothing was written."
    )
    assert "spreadsheets.batchUpdate" not in operations(fake, before)
    cell = fake.read(deals, "Deals!F3", value_render="FORMULA")
    assert cell == [['=IF(C3="Won","won","")']]


def test_later_run_replaces_tabs_in_place(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)
    funnel_id = fake.spreadsheet(deals).sheets[1].sheet_id

    sync(fake, deals, LATER)

    spreadsheet = fake.spreadsheet(deals)
    assert [sheet.title for sheet in spreadsheet.sheets] == ["Deals", *GENERATED_TABS]
    assert spreadsheet.sheets[1].sheet_id == funnel_id
    assert len(spreadsheet.sheets[1].charts) == 1
    assert len(spreadsheet.developer_metadata) == len(GENERATED_TABS) + 1


def test_shorter_tab_trims_old_rows(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)
    upload_tab(fake, deals, "Deals", [DEALS[0], DEALS[2], DEALS[4]])

    sync(fake, deals, LATER)

    problems = fake.spreadsheet(deals).sheet_by_title("Problems")
    assert problems is not None
    assert problems.row_count == 4
    assert fake.read(deals, "Problems!A4") == [["No problems found."]]


def test_user_tab_named_like_generated_tab(fake: FakeSheets) -> None:
    spreadsheet_id = upload_workbook(
        fake, "Pipeline", {"Deals": DEALS, "Funnel": [["My own funnel notes"]]}
    )

    with pytest.raises(SheetLayoutError) as raised:
        sync(fake, spreadsheet_id)

    assert str(raised.value) == (
        "Workbook 'Pipeline' already has a tab 'Funnel' that pipesheet did not "
        "create, so pipesheet will not overwrite it. Rename that tab, or choose "
        "another name for the generated tab under outputs.tabs in the pipeline "
        "definition. Nothing was written."
    )
    assert fake.read(spreadsheet_id, "Funnel") == [["My own funnel notes"]]
    assert [request for request in fake.requests if request.quota == "write"] == []


def test_user_tab_naming_pipesheet_kept(fake: FakeSheets) -> None:
    notes = [["Open issues from the pipesheet rollout"], ["Train the reps"]]
    spreadsheet_id = upload_workbook(
        fake, "Pipeline", {"Deals": DEALS, "Problems": notes}
    )

    with pytest.raises(SheetLayoutError, match="tab 'Problems' that pipesheet did not"):
        sync(fake, spreadsheet_id)

    assert fake.read(spreadsheet_id, "Problems") == notes


def test_edited_banner_tab_still_replaced(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)
    upload_tab(fake, deals, "Funnel", [["Our funnel"], ["typed here"]])

    sync(fake, deals, LATER)

    banner = fake.read(deals, "Funnel!A1")[0][0]
    assert banner.startswith("Generated by pipesheet from tab 'Deals'")


# Authentication and access.


def test_unshared_spreadsheet_names_account(fake: FakeSheets, tmp_path: Path) -> None:
    private = fake.create("Private", tabs=("Deals",), owner="someone@example.com")
    key_file = write_key_file(tmp_path / "key.json")
    source = open_spreadsheet(private, key_file=key_file)

    with pytest.raises(SourceError) as raised:
        source.read_tab("Deals")

    assert str(raised.value) == (
        f"The service account {SERVICE_ACCOUNT!r} has no access to spreadsheet "
        f"{private!r} (HTTP 403 PERMISSION_DENIED from Google). Share the "
        f"spreadsheet with {SERVICE_ACCOUNT} as Editor (Share button in Google "
        "Sheets), then run again."
    )


def test_view_only_access_writes_nothing(fake: FakeSheets, tmp_path: Path) -> None:
    viewed = upload_workbook(fake, "Pipeline", {"Deals": DEALS})
    fake.spreadsheet(viewed).owner = "someone@example.com"
    fake.store.share(viewed, SERVICE_ACCOUNT, "reader")
    pipeline = make_pipeline(viewed)
    key_file = write_key_file(tmp_path / "key.json")
    source = open_spreadsheet(viewed, key_file=key_file, pipeline=pipeline)

    with pytest.raises(SourceError) as raised:
        run_sync(pipeline, source, AS_OF)

    assert str(raised.value) == (
        f"The service account {SERVICE_ACCOUNT!r} may view spreadsheet 'Pipeline' "
        f"but not edit it, so nothing was written. Share the spreadsheet with "
        f"{SERVICE_ACCOUNT} as Editor (Share button in Google Sheets), then run "
        "again."
    )


def test_rejected_key_names_key_file(tmp_path: Path) -> None:
    fake = FakeSheets()
    spreadsheet_id = fake.create("Pipeline")
    key_file = write_key_file(tmp_path / "key.json")
    rejection = {
        "error": "invalid_grant",
        "error_description": "Invalid JWT Signature.",
    }
    with fake.responses() as mock:
        mock.add("POST", TOKEN_URI, json=rejection, status=400)
        source = GoogleSpreadsheet(spreadsheet_id, credentials=key_file)
        with pytest.raises(SourceError) as raised:
            source.tab_names()

    assert str(raised.value) == (
        f"Google rejected the credentials of the service account {SERVICE_ACCOUNT!r} "
        "at its token endpoint oauth2.googleapis.com (invalid_grant: Invalid JWT "
        "Signature.). "
        f"The key in {str(key_file)!r} may have been deleted or disabled. " + KEY_ADVICE
    )


def test_rejected_token_shows_google_message(tmp_path: Path) -> None:
    fake = FakeSheets()
    spreadsheet_id = fake.create("Pipeline")
    key_file = write_key_file(tmp_path / "key.json")
    message = "Request had invalid authentication credentials."
    rejection = {
        "error": {"code": 401, "message": message, "status": "UNAUTHENTICATED"}
    }
    with fake.responses() as mock:
        mock.add("POST", TOKEN_URI, json=rejection, status=401)
        source = GoogleSpreadsheet(spreadsheet_id, credentials=key_file)
        with pytest.raises(SourceError) as raised:
            source.tab_names()

    assert str(raised.value) == (
        f"Google rejected the credentials of the service account {SERVICE_ACCOUNT!r} "
        f"at its token endpoint oauth2.googleapis.com (HTTP 401 UNAUTHENTICATED: "
        f"{message}). "
        f"The key in {str(key_file)!r} may have been deleted or disabled. " + KEY_ADVICE
    )


def test_missing_spreadsheet_is_not_found(fake: FakeSheets) -> None:
    missing = "1" + "x" * 43
    source = open_spreadsheet(missing)

    with pytest.raises(WorkbookNotFoundError) as raised:
        source.tab_names()

    assert str(raised.value) == (
        f"Spreadsheet {missing!r} not found (HTTP 404 from Google). Check "
        "source.spreadsheet: copy the address from the browser while the sheet is "
        "open. If the address is right, share the spreadsheet as Editor with the "
        "e-mail address (client_email) in the service account's JSON key file."
    )


def test_disabled_api_says_to_enable_it(tmp_path: Path) -> None:
    fake = FakeSheets()
    spreadsheet_id = fake.create("Pipeline")
    message = "Google Sheets API has not been used in project 42 before."
    body = {
        "error": {
            "code": 403,
            "message": message,
            "status": "PERMISSION_DENIED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "SERVICE_DISABLED",
                }
            ],
        }
    }
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        url = f"https://sheets.googleapis.com/v4/spreadsheets/{spreadsheet_id}"
        mock.add("GET", url, json=body, status=403)
        register(mock, fake.handler)
        source = open_spreadsheet(
            spreadsheet_id, key_file=write_key_file(tmp_path / "k")
        )
        with pytest.raises(SourceError) as raised:
            source.tab_names()

    assert str(raised.value) == (
        "The Google Sheets API is not enabled in the Cloud project of the service "
        f"account {SERVICE_ACCOUNT!r} ({message}). Enable 'Google Sheets API' under "
        "APIs & Services > Library in the Google Cloud console, wait a few "
        "minutes, then run again."
    )


def test_office_file_in_drive_says_to_convert(fake: FakeSheets) -> None:
    # Google's response when the id names an .xlsx stored in Drive.
    spreadsheet_id = fake.create("Pipeline")
    message = "This operation is not supported for this document"
    body = {"error": {"code": 400, "message": message, "status": "FAILED_PRECONDITION"}}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        url = f"https://sheets.googleapis.com/v4/spreadsheets/{spreadsheet_id}"
        mock.add("GET", url, json=body, status=400)
        register(mock, fake.handler)
        source = open_spreadsheet(spreadsheet_id)
        with pytest.raises(SourceError) as raised:
            source.tab_names()

    assert str(raised.value) == (
        f"Spreadsheet {spreadsheet_id!r} is a file stored in Google Drive, such as "
        "an .xlsx uploaded without conversion, not a Google Sheets spreadsheet "
        f"(HTTP 400 FAILED_PRECONDITION from Google: {message}). Open it in Google "
        "Sheets, choose File > Save as Google Sheets, and put the new "
        "spreadsheet's address in source.spreadsheet. Or download it (File > "
        "Download > Microsoft Excel) and set source to {kind: excel, path: <the "
        "file>}."
    )


KEY_ADVICE = (
    "In the Google Cloud console open IAM & Admin > Service accounts, choose the "
    "account, then Keys > Add key > Create new key > JSON, and point "
    "source.credentials (or PIPESHEET_GOOGLE_CREDENTIALS) at the downloaded file."
)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "not found. Check source.credentials. " + KEY_ADVICE),
        (
            "{not json",
            "is not valid JSON (Expecting property name enclosed in "
            "double quotes: line 1 column 2 (char 1)). " + KEY_ADVICE,
        ),
        (
            json.dumps({"installed": {"client_id": "x"}}),
            "is an OAuth client ID file, not a service-account key; pipesheet "
            "signs in as a service account. " + KEY_ADVICE,
        ),
        (
            json.dumps({"type": "service_account", "client_email": "a@b"}),
            "lacks private_key, token_uri, so it is damaged or was edited. "
            + KEY_ADVICE,
        ),
    ],
    ids=["missing", "not-json", "oauth-client", "incomplete"],
)
def test_bad_key_file_is_named(
    tmp_path: Path, content: str | None, problem: str
) -> None:
    key_file = tmp_path / "key.json"
    if content is not None:
        key_file.write_text(content, encoding="utf-8")

    with pytest.raises(SourceError) as raised:
        GoogleSpreadsheet("1" + "a" * 43, credentials=key_file)

    assert str(raised.value) == (
        f"Google credentials file {str(key_file)!r} (from source.credentials) "
        + problem
    )


def test_fifo_key_file_is_named(tmp_path: Path) -> None:
    with released_fifo(tmp_path / "key.json") as key_file:
        with pytest.raises(SourceError) as raised:
            GoogleSpreadsheet("1" + "a" * 43, credentials=key_file)

    assert str(raised.value) == (
        f"Google credentials file {str(key_file)!r} (from source.credentials) is "
        "a FIFO (named pipe), not a regular file. Check source.credentials. "
        + KEY_ADVICE
    )


def test_no_credentials_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIPESHEET_GOOGLE_CREDENTIALS", raising=False)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)

    with pytest.raises(SourceError) as raised:
        GoogleSpreadsheet("1" + "a" * 43)

    assert str(raised.value) == (
        "No Google credentials are configured. Set source.credentials in the "
        "definition, or the environment variable PIPESHEET_GOOGLE_CREDENTIALS or "
        "GOOGLE_APPLICATION_CREDENTIALS, to the path of a service account's JSON "
        "key file. " + KEY_ADVICE
    )


def test_credentials_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = write_key_file(tmp_path / "key.json")
    monkeypatch.setenv("PIPESHEET_GOOGLE_CREDENTIALS", str(key_file))

    source = GoogleSpreadsheet("1" + "a" * 43)

    assert source.service_account_email == SERVICE_ACCOUNT


def test_every_request_has_a_timeout() -> None:
    fake = FakeSheets()
    spreadsheet_id = fake.create("Pipeline")
    with fake.responses() as mock:
        open_spreadsheet(spreadsheet_id).tab_names()
        timeouts = [call.request.req_kwargs["timeout"] for call in mock.calls]

    assert timeouts == [(10.0, 120.0)]


@pytest.mark.parametrize(
    ("reference", "key"),
    [
        (
            "https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWx_-9/edit#gid=0",
            "1AbCdEfGhIjKlMnOpQrStUvWx_-9",
        ),
        ("1AbCdEfGhIjKlMnOpQrStUvWx_-9", "1AbCdEfGhIjKlMnOpQrStUvWx_-9"),
        ("  1AbCdEfGhIjKlMnOpQrStUvWx_-9 ", "1AbCdEfGhIjKlMnOpQrStUvWx_-9"),
        (
            (
                "https://docs.google.com/spreadsheets/u/1/d/"
                "1AbCdEfGhIjKlMnOpQrStUvWx_-9/edit?usp=sharing"
            ),
            "1AbCdEfGhIjKlMnOpQrStUvWx_-9",
        ),
        (
            (
                "https://docs.google.com/a/example.com/spreadsheets/d/"
                "1AbCdEfGhIjKlMnOpQrStUvWx_-9/edit"
            ),
            "1AbCdEfGhIjKlMnOpQrStUvWx_-9",
        ),
    ],
    ids=["url", "id", "id-with-spaces", "second-account-url", "workspace-url"],
)
def test_spreadsheet_key_from_reference(reference: str, key: str) -> None:
    assert spreadsheet_key(reference) == key


def test_bad_spreadsheet_reference_rejected() -> None:
    with pytest.raises(DefinitionError) as raised:
        spreadsheet_key("Pipeline 2025")

    assert str(raised.value) == (
        "source.spreadsheet 'Pipeline 2025' is neither a Google Sheets URL nor a "
        "spreadsheet id. Copy the address from the browser while the sheet is open "
        "(https://docs.google.com/spreadsheets/d/<id>/edit) and paste it as "
        "source.spreadsheet."
    )


def test_published_address_rejected() -> None:
    published = "https://docs.google.com/spreadsheets/d/e/2PACX-1vQabcdefghij/pubhtml"

    with pytest.raises(DefinitionError) as raised:
        spreadsheet_key(published)

    assert str(raised.value) == (
        f"source.spreadsheet {published!r} is the address of a copy published to "
        "the web, which does not contain the spreadsheet id. Open the spreadsheet "
        "itself and copy the address from the browser "
        "(https://docs.google.com/spreadsheets/d/<id>/edit) into source.spreadsheet."
    )


def test_bad_source_option_named_in_error(tmp_path: Path) -> None:
    definition = tmp_path / "pipeline.yaml"
    definition.write_text(
        json.dumps(make_pipeline("1" + "a" * 43).model_dump(mode="json")),
        encoding="utf-8",
    )

    result = CliRunner().invoke(
        cli, ["check", str(definition), "--source", "Pipeline 2025"]
    )

    assert result.exit_code == 1
    assert (
        "--source 'Pipeline 2025' is neither a Google Sheets URL nor a spreadsheet "
        "id. Copy the address from the browser while the sheet is open "
        "(https://docs.google.com/spreadsheets/d/<id>/edit) and paste it as "
        "--source." in result.output
    )


# Layout problems stop the run before any write.


def test_missing_tab_lists_existing_tabs(fake: FakeSheets) -> None:
    spreadsheet_id = upload_workbook(fake, "Other", {"Sheet1": DEALS})

    with pytest.raises(SheetLayoutError) as raised:
        sync(fake, spreadsheet_id)

    assert str(raised.value) == (
        "Tab 'Deals' not found in workbook 'Other'. Existing tabs: 'Sheet1'. Fix "
        "source.tab in the pipeline definition or rename the tab."
    )


def test_missing_column_stops_before_writing(fake: FakeSheets) -> None:
    rows: list[list[CellValue]] = [["Deal ID", "Stage", "Amount"], ["D-1", "Lead", 3]]
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": rows})

    with pytest.raises(SheetLayoutError) as raised:
        sync(fake, spreadsheet_id)

    assert str(raised.value) == (
        "Workbook 'Pipeline', tab 'Deals': required columns are missing in header "
        "row 1. No column for 'account' (looked for 'Account'), which the stages "
        "'Lead', 'Proposal' require. Headers found: A 'Deal ID', B 'Stage', "
        "C 'Amount'. Rename the header in "
        "the sheet, or add the sheet's header text to the field's aliases in the "
        "definition. If the sheet does not keep that column, add it, or take the "
        "field out of the stage's required list in the definition."
    )
    assert "spreadsheets.batchUpdate" not in operations(fake)


def test_stage_past_xfd_gets_status(fake: FakeSheets) -> None:
    # Google Sheets tabs go to column ZZZ, past Excel's last column XFD.
    gap: list[CellValue] = [None] * 16_400
    rows = [
        ["Deal ID", "Account", "Amount", *gap, "Stage"],
        ["D-1", "Acme", 100, *gap, "Lead"],
    ]
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": rows})

    report = sync(fake, spreadsheet_id).report

    assert report is not None
    assert report.status_cells_written == 1
    header = fake.read(spreadsheet_id, "Deals!XFX1:XFY2")
    assert header == [["Stage", STATUS_HEADER], ["Lead", "OK"]]


def test_cell_in_zzz_stops_run(fake: FakeSheets) -> None:
    gap: list[CellValue] = [None] * 18_273
    rows = [DEALS_HEADER[:4], ["D-1", "Acme", "Lead", 100, *gap, "oops"]]
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": rows})

    with pytest.raises(SheetLayoutError) as raised:
        sync(fake, spreadsheet_id)

    assert str(raised.value) == (
        "Workbook 'Pipeline', tab 'Deals': the status column goes right of every "
        "filled cell, but cell ZZZ2 ('oops') is in ZZZ, the last column a sheet "
        "has. Clear that cell, or head a free column 'pipesheet status' where the "
        "status should go. Nothing was written."
    )
    assert "spreadsheets.batchUpdate" not in operations(fake)


# People editing the sheet while a run is under way.


def sort_descending(spreadsheet_id: str) -> list[dict[str, Any]]:
    area = {"sheetId": 0, "startRowIndex": 1, "startColumnIndex": 0}
    spec = {"dimensionIndex": 0, "sortOrder": "DESCENDING"}
    return [{"sortRange": {"range": area, "sortSpecs": [spec]}}]


def insert_rows(spreadsheet_id: str) -> list[dict[str, Any]]:
    rows = {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 3}
    return [{"insertDimension": {"range": rows}}]


def delete_d2(spreadsheet_id: str) -> list[dict[str, Any]]:
    rows = {"sheetId": 0, "dimension": "ROWS", "startIndex": 2, "endIndex": 3}
    return [{"deleteDimension": {"range": rows}}]


@pytest.mark.parametrize(
    ("change", "skipped"),
    [(sort_descending, []), (insert_rows, []), (delete_d2, ["D-2"])],
    ids=["sort", "insert", "delete"],
)
def test_moved_rows_get_their_own_status(
    fake: FakeSheets,
    deals: str,
    change: Callable[[str], list[dict[str, Any]]],
    skipped: list[str],
) -> None:
    edit(fake, deals, change(deals))

    report = sync(fake, deals).report

    expected = {key: value for key, value in STATUS_OF.items() if key not in skipped}
    assert statuses_by_id(fake, deals) == expected
    assert report is not None
    assert report.skipped == skipped


def status_column(fake: FakeSheets, spreadsheet_id: str) -> list[list[Any]]:
    """Return column A and the status column F of each row below the header.

    Rows after the last filled one are left out.
    """
    rows = fake.read(spreadsheet_id, "Deals")[1:]
    pairs = [[row[0] if row else "", row[5] if len(row) > 5 else ""] for row in rows]
    while pairs and pairs[-1] == ["", ""]:
        pairs.pop()
    return pairs


def edit_before_write(
    fake: FakeSheets, spreadsheet_id: str, requests: list[dict[str, Any]]
) -> None:
    """Make the fake apply batchUpdate requests after the re-read, before the write.

    The tab gets five empty rows first, so a deleted row leaves the write
    inside the grid, as in a real sheet with room below the table.
    """
    rows = {"sheetId": 0, "dimension": "ROWS", "length": 5}
    fake.batch_update(spreadsheet_id, [{"appendDimension": rows}])

    def mutate(_store: Store) -> None:
        fake.batch_update(spreadsheet_id, requests)

    fake.faults.before_call(len(fake.requests) + WRITE_CALL, mutate)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            sort_descending,
            [[deal, STATUS_OF[deal]] for deal in ("D-5", "D-4", "D-3", "D-2", "D-1")],
        ),
        (
            insert_rows,
            [["", ""], ["", ""]] + [[deal, STATUS_OF[deal]] for deal in STATUS_OF],
        ),
        (
            delete_d2,
            [[deal, STATUS_OF[deal]] for deal in ("D-1", "D-3", "D-4", "D-5")],
        ),
    ],
    ids=["sort", "insert", "delete"],
)
def test_rows_moved_during_write_get_fixed(
    fake: FakeSheets,
    deals: str,
    change: Callable[[str], list[dict[str, Any]]],
    expected: list[list[Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    edit_before_write(fake, deals, change(deals))
    before = len(fake.requests)

    with caplog.at_level(logging.WARNING):
        sync(fake, deals)

    assert status_column(fake, deals) == expected
    assert operations(fake, before)[4:] == [
        "spreadsheets.batchUpdate",
        "values.batchGet",
        "spreadsheets.batchUpdate",
        "values.batchGet",
    ]
    assert any(
        message.startswith("Rows of tab 'Deals' of spreadsheet 'Pipeline' moved ")
        for message in caplog.messages
    )


def test_moved_rows_warning_names_rows(
    fake: FakeSheets, deals: str, caplog: pytest.LogCaptureFixture
) -> None:
    edit_before_write(fake, deals, delete_d2(deals))

    with caplog.at_level(logging.WARNING):
        sync(fake, deals)

    assert (
        "Rows of tab 'Deals' of spreadsheet 'Pipeline' moved or got other deal "
        "IDs while pipesheet wrote their statuses, so it rewrote or cleared the "
        "status cells of rows 3, 4, 5 and 6 to keep each status on its own deal's "
        "row."
    ) in caplog.messages


def test_note_typed_after_misplaced_write_kept(
    fake: FakeSheets, deals: str, caplog: pytest.LogCaptureFixture
) -> None:
    edit_before_write(fake, deals, sort_descending(deals))
    # Someone types into a cell that got another deal's status, just after
    # the write and before the check reads it.
    number = len(fake.requests) + WRITE_CALL + 1
    fake.faults.before_call(
        number, lambda _store: fake.write(deals, "Deals!F2", [["Call Monday"]])
    )

    with caplog.at_level(logging.WARNING):
        sync(fake, deals)

    assert status_column(fake, deals)[0] == ["D-5", "Call Monday"]
    assert statuses_by_id(fake, deals)["D-1"] == STATUS_OF["D-1"]
    assert (
        "The status cells of row 2 of tab 'Deals' of spreadsheet 'Pipeline' "
        "(column F) may show another deal's status, because those rows changed "
        "again while pipesheet wrote them. The next run corrects them."
    ) in caplog.messages


def test_id_changed_during_write_cleared(fake: FakeSheets, deals: str) -> None:
    number = len(fake.requests) + WRITE_CALL
    fake.faults.before_call(
        number, lambda _store: fake.write(deals, "Deals!A3", [["D-2b"]])
    )

    sync(fake, deals)

    assert status_column(fake, deals)[1] == ["D-2b", ""]
    assert statuses_by_id(fake, deals)["D-3"] == STATUS_OF["D-3"]


def test_rows_moved_after_write_left_alone(fake: FakeSheets, deals: str) -> None:
    number = len(fake.requests) + WRITE_CALL + 1
    fake.faults.before_call(
        number, lambda _store: fake.batch_update(deals, sort_descending(deals))
    )
    before = len(fake.requests)

    sync(fake, deals)

    assert statuses_by_id(fake, deals) == STATUS_OF
    assert operations(fake, before)[4:] == [
        "spreadsheets.batchUpdate",
        "values.batchGet",
    ]


def test_status_typed_by_person_is_kept(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)
    fake.write(deals, "Deals!B4", [["Gamma"]])
    number = len(fake.requests) + RE_READ_CALL
    fake.faults.before_call(
        number, lambda _store: fake.write(deals, "Deals!F4", [["Called, waiting"]])
    )

    report = sync(fake, deals).report

    assert statuses_by_id(fake, deals)["D-3"] == "Called, waiting"
    assert report is not None
    assert report.skipped == ["D-3"]


def test_row_edited_during_run_is_skipped(fake: FakeSheets, deals: str) -> None:
    number = len(fake.requests) + RE_READ_CALL
    fake.faults.before_call(
        number, lambda _store: fake.write(deals, "Deals!C2", [["Won"]])
    )

    report = sync(fake, deals).report

    assert statuses_by_id(fake, deals)["D-1"] == ""
    assert report is not None
    assert report.skipped == ["D-1"]


def test_skipped_status_logged_singular(
    fake: FakeSheets, deals: str, caplog: pytest.LogCaptureFixture
) -> None:
    number = len(fake.requests) + RE_READ_CALL
    fake.faults.before_call(
        number, lambda _store: fake.write(deals, "Deals!C2", [["Won"]])
    )

    with caplog.at_level(logging.WARNING):
        sync(fake, deals)

    assert (
        "Skipped 1 status cell of tab 'Deals' of spreadsheet 'Pipeline' that "
        "changed since the read (moved, vanished or edited): deal 'D-1'. The next "
        "run writes them."
    ) in caplog.messages


def test_header_change_warning_names_tab(
    fake: FakeSheets, deals: str, caplog: pytest.LogCaptureFixture
) -> None:
    inserted = {"sheetId": 0, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1}
    edit(fake, deals, [{"insertDimension": {"range": inserted}}])

    with caplog.at_level(logging.WARNING):
        sync(fake, deals)

    assert (
        "In tab 'Deals' of spreadsheet 'Pipeline', the header row 1 changed during "
        "the run, so no status was written. The next run writes them."
    ) in caplog.messages
    assert (
        "Skipped 5 status cells of tab 'Deals' of spreadsheet 'Pipeline' that "
        "changed since the read (moved, vanished or edited): deals 'D-1', 'D-2', "
        "'D-3', 'D-4', 'D-5'. The next run writes them."
    ) in caplog.messages


def test_progress_names_spreadsheet_title(fake: FakeSheets, deals: str) -> None:
    pipeline = make_pipeline(deals)
    source = open_spreadsheet(deals, pipeline=pipeline)
    messages: list[str] = []

    run_sync(pipeline, source, AS_OF, progress=messages.append)

    assert messages[0] == "Reading tab 'Deals' of Pipeline"


# Rows 7 and 8 have no unique ID: row 7 has none, row 8 is a copy of row 6.
DEALS_WITHOUT_UNIQUE_ID: list[list[CellValue]] = [
    *DEALS,
    [None, "Foxtrot", "Lead", 300, dt.date(2025, 9, 20)],
    DEALS[5],
]


def statuses_by_row(fake: FakeSheets, spreadsheet_id: str) -> list[str]:
    """Return the status of every row below the header of the Deals tab."""
    rows = fake.read(spreadsheet_id, "Deals")
    status_column = rows[0].index(STATUS_HEADER)
    return [row[status_column] if len(row) > status_column else "" for row in rows[1:]]


def test_rows_without_unique_id_get_status(fake: FakeSheets) -> None:
    spreadsheet_id = upload_workbook(
        fake, "Pipeline", {"Deals": DEALS_WITHOUT_UNIQUE_ID}
    )

    report = sync(fake, spreadsheet_id).report

    assert statuses_by_row(fake, spreadsheet_id) == [
        STATUS_OF["D-1"],
        STATUS_OF["D-2"],
        STATUS_OF["D-3"],
        STATUS_OF["D-4"],
        "ERROR: ID also on row 8 (+1 more problem)",
        "ERROR: missing Deal ID",
        "ERROR: ID also on row 6 (+1 more problem)",
    ]
    assert report is not None
    assert report.skipped == []


def test_rows_without_unique_id_stay_written(fake: FakeSheets) -> None:
    spreadsheet_id = upload_workbook(
        fake, "Pipeline", {"Deals": DEALS_WITHOUT_UNIQUE_ID}
    )
    sync(fake, spreadsheet_id)
    calls = len(fake.requests)

    result = sync(fake, spreadsheet_id)

    assert result.plan.status_cells == []
    assert "spreadsheets.batchUpdate" not in operations(fake, calls)


def test_sort_never_moves_status_without_id(fake: FakeSheets) -> None:
    spreadsheet_id = upload_workbook(
        fake, "Pipeline", {"Deals": DEALS_WITHOUT_UNIQUE_ID}
    )
    edit(fake, spreadsheet_id, sort_descending(spreadsheet_id))

    report = sync(fake, spreadsheet_id).report

    # After the sort: D-5, D-5, D-4, D-3, D-2, D-1, then the row without an ID.
    assert statuses_by_row(fake, spreadsheet_id) == [
        "",
        "",
        STATUS_OF["D-4"],
        STATUS_OF["D-3"],
        STATUS_OF["D-2"],
        STATUS_OF["D-1"],
        "",
    ]
    assert report is not None
    assert report.skipped == ["row:6", "row:7", "row:8"]


def test_row_without_id_edited_during_run(fake: FakeSheets) -> None:
    spreadsheet_id = upload_workbook(
        fake, "Pipeline", {"Deals": DEALS_WITHOUT_UNIQUE_ID}
    )
    number = len(fake.requests) + RE_READ_CALL
    fake.faults.before_call(
        number, lambda _store: fake.write(spreadsheet_id, "Deals!A7", [["D-6"]])
    )

    report = sync(fake, spreadsheet_id).report

    assert statuses_by_row(fake, spreadsheet_id)[5] == ""
    assert report is not None
    assert report.skipped == ["row:7"]


def test_status_column_taken_during_run(fake: FakeSheets) -> None:
    rows = [[*DEALS[0], None], *DEALS[1:]]
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": rows})
    number = len(fake.requests) + RE_READ_CALL
    fake.faults.before_call(
        number, lambda _store: fake.write(spreadsheet_id, "Deals!F1", [["Notes"]])
    )

    report = sync(fake, spreadsheet_id).report

    assert fake.read(spreadsheet_id, "Deals!F1:F6") == [["Notes"]]
    assert report is not None
    assert report.skipped == list(STATUS_OF)
    assert report.tabs_written == GENERATED_TABS


@pytest.mark.parametrize("at", [1, 4], ids=["column-b", "column-e"])
def test_column_inserted_in_first_run(fake: FakeSheets, deals: str, at: int) -> None:
    columns = {
        "sheetId": 0,
        "dimension": "COLUMNS",
        "startIndex": at,
        "endIndex": at + 1,
    }
    edit(fake, deals, [{"insertDimension": {"range": columns}}])

    report = sync(fake, deals).report

    header = fake.read(deals, "Deals!A1:F1")[0]
    assert header[5] == "Next Step Date"
    assert "pipesheet status" not in header
    assert fake.read(deals, "Deals!F5") == []
    assert report is not None
    assert report.skipped == list(STATUS_OF)


def test_header_only_tab_written(fake: FakeSheets) -> None:
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": [DEALS_HEADER]})

    report = sync(fake, spreadsheet_id).report

    assert report is not None
    assert report.tabs_written == GENERATED_TABS
    assert fake.spreadsheet(spreadsheet_id).sheets[0].conditional_formats == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": 0, "title": "Old deals"},
                    "fields": "title",
                }
            },
            (
                "Tab 'Deals' of spreadsheet 'Pipeline' was renamed to 'Old deals' "
                "while pipesheet was running, so nothing was written. Rename it "
                "back, or set source.tab to the new name, then run again."
            ),
        ),
        (
            {"deleteSheet": {"sheetId": 0}},
            (
                "Tab 'Deals' of spreadsheet 'Pipeline' was deleted while pipesheet "
                "was running, so nothing was written. Restore it (File > Version "
                "history) or point source.tab at the right tab, then run again."
            ),
        ),
    ],
    ids=["renamed", "deleted"],
)
# The values read, the date cells read, and the re-read before the write.
@pytest.mark.parametrize(
    "call", [2, 3, RE_READ_CALL], ids=["values", "dates", "re-read"]
)
def test_pipeline_tab_changed_stops_write(
    fake: FakeSheets, change: dict[str, Any], message: str, call: int
) -> None:
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": DEALS, "Notes": []})
    edit(fake, spreadsheet_id, [change], call)

    with pytest.raises(WorkbookBusyError) as raised:
        sync(fake, spreadsheet_id)

    assert str(raised.value) == message
    assert "spreadsheets.batchUpdate" not in operations(fake)


def test_list_tab_deleted_before_values_read(fake: FakeSheets) -> None:
    lists = [["Account"], ["Acme"], ["Beta"]]
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": DEALS, "Lists": lists})
    lists_tab = fake.spreadsheet(spreadsheet_id).sheet_by_title("Lists")
    assert lists_tab is not None
    edit(fake, spreadsheet_id, [{"deleteSheet": {"sheetId": lists_tab.sheet_id}}], 2)
    pipeline = make_pipeline(
        spreadsheet_id,
        allowed={"account": {"from_tab": {"tab": "Lists", "column": "Account"}}},
    )

    with pytest.raises(WorkbookBusyError) as raised:
        run_sync(pipeline, open_spreadsheet(spreadsheet_id, pipeline=pipeline), AS_OF)

    assert str(raised.value) == (
        "Tab 'Lists' of spreadsheet 'Pipeline' was deleted while pipesheet was "
        "running, so nothing was written. Restore it (File > Version history) or "
        "point allowed.account.from_tab.tab at the right tab, then run again."
    )
    assert "spreadsheets.batchUpdate" not in operations(fake)


@pytest.mark.parametrize(
    "change",
    [
        lambda sheet_id: {"deleteSheet": {"sheetId": sheet_id}},
        lambda sheet_id: {
            "updateSheetProperties": {
                "properties": {"sheetId": sheet_id, "title": "Old funnel"},
                "fields": "title",
            }
        },
    ],
    ids=["deleted", "renamed"],
)
@pytest.mark.parametrize(
    "call", [2, 3, RE_READ_CALL], ids=["values", "dates", "re-read"]
)
def test_generated_tab_gone_is_not_recreated(
    fake: FakeSheets,
    deals: str,
    change: Callable[[int], dict[str, Any]],
    call: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sync(fake, deals)
    funnel = fake.spreadsheet(deals).sheet_by_title("Funnel")
    assert funnel is not None
    edit(fake, deals, [change(funnel.sheet_id)], call)

    with caplog.at_level(logging.WARNING, logger="sync.sources.sheets_write"):
        report = sync(fake, deals, LATER).report

    assert report is not None
    assert report.skipped == ["tab:Funnel"]
    assert report.tabs_written == GENERATED_TABS[1:]
    assert fake.spreadsheet(deals).sheet_by_title("Funnel") is None
    assert (
        "Generated tab 'Funnel' of Pipeline was deleted or renamed during the run; "
        "it is not recreated until the next run"
    ) in caplog.text


def replace_funnel(spreadsheet_id: str, funnel_id: int) -> list[dict[str, Any]]:
    """Return requests that delete pipesheet's Funnel and add a user's own Funnel."""
    start = {"sheetId": 4242, "rowIndex": 0, "columnIndex": 0}
    notes = [
        {"values": [{"userEnteredValue": {"stringValue": text}}]}
        for text in ("My funnel notes", "keep me")
    ]
    return [
        {"deleteSheet": {"sheetId": funnel_id}},
        {"addSheet": {"properties": {"sheetId": 4242, "title": "Funnel"}}},
        {"updateCells": {"start": start, "rows": notes, "fields": "userEnteredValue"}},
    ]


@pytest.mark.parametrize(
    "when", [edit, edit_before_write], ids=["before-reread", "before-write"]
)
def test_user_tab_replacing_generated_kept(
    fake: FakeSheets,
    deals: str,
    when: Callable[[FakeSheets, str, list[dict[str, Any]]], None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    sync(fake, deals)
    funnel = fake.spreadsheet(deals).sheet_by_title("Funnel")
    assert funnel is not None
    when(fake, deals, replace_funnel(deals, funnel.sheet_id))

    with caplog.at_level(logging.WARNING, logger="sync.sources.sheets_write"):
        report = sync(fake, deals, LATER).report

    assert fake.read(deals, "Funnel") == [["My funnel notes"], ["keep me"]]
    user_tab = fake.spreadsheet(deals).sheet_by_title("Funnel")
    assert user_tab is not None
    assert [
        entry
        for entry in fake.spreadsheet(deals).developer_metadata
        if entry.get("location", {}).get("sheetId") == 4242
    ] == []
    assert report is not None
    assert report.skipped == ["tab:Funnel"]
    assert report.tabs_written == GENERATED_TABS[1:]
    assert (
        "Generated tab 'Funnel' of Pipeline was deleted or renamed during the run, "
        "and another tab now has its name. pipesheet left that tab as it is. "
        "Rename it before the next run, or that run stops"
    ) in caplog.text


def rename_and_replace_funnel(funnel_id: int) -> list[dict[str, Any]]:
    """Return requests that rename pipesheet's Funnel and add an empty user Funnel."""
    renamed = {"sheetId": funnel_id, "title": "Funnel old"}
    return [
        {"updateSheetProperties": {"properties": renamed, "fields": "title"}},
        {"addSheet": {"properties": {"sheetId": 4242, "title": "Funnel"}}},
    ]


@pytest.mark.parametrize(
    "call", [2, 3, RE_READ_CALL], ids=["values", "dates", "re-read"]
)
def test_user_tab_taking_renamed_tab_name(
    fake: FakeSheets, deals: str, call: int, caplog: pytest.LogCaptureFixture
) -> None:
    sync(fake, deals)
    funnel = fake.spreadsheet(deals).sheet_by_title("Funnel")
    assert funnel is not None
    before = fake.read(deals, "Funnel")
    edit(fake, deals, rename_and_replace_funnel(funnel.sheet_id), call)

    with caplog.at_level(logging.WARNING, logger="sync.sources.sheets_write"):
        report = sync(fake, deals, LATER).report

    assert report is not None
    assert report.skipped == ["tab:Funnel"]
    assert report.tabs_written == GENERATED_TABS[1:]
    assert fake.read(deals, "Funnel") == []
    assert fake.read(deals, "Funnel old") == before
    assert (
        "Generated tab 'Funnel' of Pipeline was deleted or renamed during the run, "
        "and another tab now has its name. pipesheet left that tab as it is. "
        "Rename it before the next run, or that run stops"
    ) in caplog.text


def test_user_tab_replacing_generated_stops_next_run(
    fake: FakeSheets, deals: str
) -> None:
    sync(fake, deals)
    funnel = fake.spreadsheet(deals).sheet_by_title("Funnel")
    assert funnel is not None
    edit_before_write(fake, deals, replace_funnel(deals, funnel.sheet_id))
    sync(fake, deals, LATER)

    with pytest.raises(SheetLayoutError, match="tab 'Funnel' that pipesheet did not"):
        sync(fake, deals, LATER)

    assert fake.read(deals, "Funnel") == [["My funnel notes"], ["keep me"]]


def test_user_tab_added_under_new_tab_name(fake: FakeSheets, deals: str) -> None:
    add = {"addSheet": {"properties": {"sheetId": 4242, "title": "Funnel"}}}
    edit_before_write(fake, deals, [add])

    with pytest.raises(SheetLayoutError, match="tab 'Funnel' that pipesheet did not"):
        sync(fake, deals)

    assert fake.spreadsheet(deals).sheet_by_title("Problems") is None


def test_generated_tab_returns_next_run(fake: FakeSheets, deals: str) -> None:
    sync(fake, deals)
    funnel = fake.spreadsheet(deals).sheet_by_title("Funnel")
    assert funnel is not None
    edit(fake, deals, [{"deleteSheet": {"sheetId": funnel.sheet_id}}])
    sync(fake, deals, LATER)

    sync(fake, deals, LATER)

    assert fake.spreadsheet(deals).sheet_by_title("Funnel") is not None


# Type fidelity, both ways.

TYPED_DEALS: list[list[CellValue]] = [
    DEALS_HEADER,
    ["0042", "=1+1", "Lead", 20250101, dt.date(2025, 9, 1)],
    ["D-2", "Beta", "=A1", 500, "2025-09-20"],
]


@pytest.fixture
def typed(fake: FakeSheets) -> str:
    return upload_workbook(fake, "Typed", {"Deals": TYPED_DEALS})


def test_read_keeps_cell_types(fake: FakeSheets, typed: str) -> None:
    grid = open_spreadsheet(typed).read_tab("Deals")

    assert grid.rows[1] == ["0042", "=1+1", "Lead", 20250101, dt.date(2025, 9, 1)]
    assert grid.rows[2] == ["D-2", "Beta", "=A1", 500, "2025-09-20"]


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("A2", {"stringValue": "0042"}),
        ("B2", {"stringValue": "=1+1"}),
        ("D2", {"numberValue": 20250101.0}),
        ("E2", {"numberValue": 45901.0}),
        ("E3", {"stringValue": "2025-09-20"}),
    ],
    ids=["leading-zeros", "formula-like-text", "date-like-number", "date", "text-date"],
)
def test_run_leaves_user_cells_as_typed(
    fake: FakeSheets, typed: str, cell: str, value: dict[str, Any]
) -> None:
    sync(fake, typed)

    assert stored_value(fake, typed, "Deals", cell) == value


def test_formula_like_value_stays_text_in_problems(
    fake: FakeSheets, typed: str
) -> None:
    sync(fake, typed)

    problems = fake.read(typed, "Problems!A5:E5", value_render="FORMULA")
    assert problems == [[3, "D-2", "", "Stage", "=A1"]]
    assert stored_value(fake, typed, "Problems", "E5") == {"stringValue": "=A1"}


def test_status_text_stays_text(fake: FakeSheets, typed: str) -> None:
    sync(fake, typed)

    assert stored_value(fake, typed, "Deals", "F3") == {
        "stringValue": "ERROR: unknown stage '=A1'"
    }


def test_followup_due_is_a_date_cell(fake: FakeSheets, typed: str) -> None:
    sync(fake, typed)

    sheet = fake.spreadsheet(typed).sheet_by_title("Follow-ups")
    assert sheet is not None
    due = sheet.cell(3, 5)
    assert due.value == {"numberValue": 45901.0}
    assert due.format["numberFormat"] == {"type": "DATE", "pattern": "yyyy-mm-dd"}
    assert fake.read(typed, "'Follow-ups'!F4") == [["2025-09-01"]]


def test_dates_read_back_without_churn(fake: FakeSheets, typed: str) -> None:
    sync(fake, typed)
    before = len(fake.requests)

    result = sync(fake, typed)

    assert result.report is None
    assert operations(fake, before) == UNCHANGED_RUN_CALLS


# The size of the one write request.


def test_write_size_counts_bytes_sent(fake: FakeSheets) -> None:
    rows = [*DEALS, ["D-6", "Foxtrot", "线索", 100, dt.date(2025, 9, 20)]]
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": rows})

    report = sync(fake, spreadsheet_id).report

    [write] = [q for q in fake.requests if q.operation == "spreadsheets.batchUpdate"]
    assert report is not None
    assert report.bytes_written == len(write.body)
    assert b'": ' not in write.body
    assert "unknown stage '线索'".encode() in write.body


def test_too_large_write_names_largest_tabs(
    fake: FakeSheets, deals: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sheets_write, "MAX_REQUEST_BYTES", 2000)

    with pytest.raises(SourceError) as raised:
        sync(fake, deals)

    message = str(raised.value)
    assert message.startswith("The write to spreadsheet 'Pipeline' would be ")
    assert ", so nothing was written. Its largest parts: tab 'Funnel' " in message
    assert message.count(" bytes, ") == 3
    assert "breakdown under outputs.group_by" in message
    assert "spreadsheets.batchUpdate" not in operations(fake)


def test_sizes_by_tab_counts_each_request() -> None:
    requests: list[dict[str, Any]] = [
        {"updateCells": {"range": {"sheetId": 7}, "fields": "userEnteredValue"}},
        {"updateSheetProperties": {"properties": {"sheetId": 7}, "fields": "x"}},
        {"createDeveloperMetadata": {"developerMetadata": {"metadataKey": "k"}}},
    ]

    sizes = sheets_write.sizes_by_tab(requests, {7: "Stage log"})

    # Each request's compact JSON: 67 + 67 bytes for tab 7, 69 for the other.
    assert sizes == {"Stage log": 134, None: 69}


# Cells formatted as dates or times in the pipeline tab read as the Excel
# source reads them. fake.write types values as the Google Sheets UI does.

DATE_CELL_COLUMNS = {
    "id": {"aliases": ["Deal ID"], "type": "text", "required": True},
    "account": {"aliases": ["Account"]},
    "owner": {"aliases": ["Owner"]},
    "stage": {"aliases": ["Stage"], "required": True},
    "amount": {"aliases": ["Amount"]},
    "close_date": {"aliases": ["Close Date"]},
    "created_date": {"aliases": ["Created"]},
}
DATE_CELL_HEADER = [
    "Deal ID",
    "Account",
    "Owner",
    "Stage",
    "Amount",
    "Close Date",
    "Created",
]


def sync_typed_row(
    fake: FakeSheets, row: list[str], **changes: Any
) -> tuple[str, dict[str, Any]]:
    """Run a sheet with one deal typed as in the UI; return its id and JSON result."""
    blank_row: list[CellValue] = [None] * len(DATE_CELL_HEADER)
    tabs = {"Deals": [DATE_CELL_HEADER, blank_row]}
    spreadsheet_id = upload_workbook(fake, "Pipeline", tabs)
    fake.write(spreadsheet_id, "Deals!A2", [row])
    pipeline = make_pipeline(spreadsheet_id, columns=DATE_CELL_COLUMNS, **changes)
    source = open_spreadsheet(spreadsheet_id, pipeline=pipeline)
    return spreadsheet_id, result_as_json(run_sync(pipeline, source, AS_OF), pipeline)


def test_date_in_amount_is_bad_amount(fake: FakeSheets) -> None:
    row = ["D-1", "Acme", "Ana Lima", "Proposal", "12/10/2026", "9/20/2025", ""]

    _, document = sync_typed_row(fake, row)

    [finding] = document["findings"]
    assert finding["code"] == Code.BAD_AMOUNT.value
    assert finding["value"] == "2026-12-10"
    assert finding["message"] == (
        "Amount '2026-12-10' cannot be read: a date or time, not a number; if you "
        "typed a number, the cell is formatted as a date: format it as a number."
    )
    assert document["metrics"]["open_value"] == 0


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (
            "Owner",
            (
                "Owner '2026-12-10' is not in the allowed list (allowed.owner.values "
                "in the pipeline definition); use one of: Ana Lima, or add it to "
                "that list."
            ),
        ),
        (
            "Created",
            (
                "Created '12:30' cannot be read: a time of day without a date; "
                "type the date like 2025-09-09 or use a date cell."
            ),
        ),
    ],
    ids=["date-in-owner", "time-in-created"],
)
def test_date_cells_named_as_shown(fake: FakeSheets, column: str, message: str) -> None:
    row = ["D-1", "Acme", "12/10/2026", "Proposal", "500", "9/20/2025", "12:30"]
    allowed = {"owner": {"values": ["Ana Lima"]}}

    _, document = sync_typed_row(fake, row, allowed=allowed)

    messages = {item["column"]: item["message"] for item in document["findings"]}
    assert messages[column] == message


@pytest.mark.parametrize(
    ("value", "number_format", "message"),
    [
        (
            1.5,
            {"type": "TIME", "pattern": "[h]:mm:ss"},
            (
                "Created '36:00:00' cannot be read: not a date; use a date cell or "
                "type the date like 2025-09-09."
            ),
        ),
        (
            2958466,
            {"type": "DATE", "pattern": "yyyy-mm-dd"},
            (
                "Created '2958466' cannot be read: looks like a number formatted as "
                "a date (dates must fall between 1970-01-01 and 2200-12-31); type "
                "the date like 2025-09-09 or use a date cell."
            ),
        ),
    ],
    ids=["duration", "past-9999"],
)
def test_number_cells_past_dates_named(
    fake: FakeSheets, value: float, number_format: dict[str, str], message: str
) -> None:
    row: list[CellValue] = ["D-1", "Acme", "Ana", "Lead", 5, None, None]
    spreadsheet_id = upload_workbook(
        fake, "Pipeline", {"Deals": [DATE_CELL_HEADER, row]}
    )
    cell = {
        "userEnteredValue": {"numberValue": value},
        "userEnteredFormat": {"numberFormat": number_format},
    }
    start = {"sheetId": 0, "rowIndex": 1, "columnIndex": 6}
    update = {"start": start, "rows": [{"values": [cell]}], "fields": CELL_FIELDS}
    fake.batch_update(spreadsheet_id, [{"updateCells": update}])
    pipeline = make_pipeline(spreadsheet_id, columns=DATE_CELL_COLUMNS)

    source = open_spreadsheet(spreadsheet_id, pipeline=pipeline)
    document = result_as_json(run_sync(pipeline, source, AS_OF), pipeline)

    assert [finding["message"] for finding in document["findings"]] == [message]


@pytest.mark.parametrize(
    ("formula", "findings"),
    [
        ("=DATE(2025,9,1)", [("2025-09-01", "followup-overdue")]),
        ("=E3-19", [("2025-09-01", "followup-overdue")]),
        ("=NA()", [("#N/A", "formula-error")]),
    ],
    ids=["date-function", "date-minus-days", "not-available"],
)
def test_formula_date_cell_read_as_date(
    fake: FakeSheets, deals: str, formula: str, findings: list[tuple[str, str]]
) -> None:
    fake.write(deals, "Deals!E2", [[formula]])
    pipeline = make_pipeline(deals)

    result = run_sync(pipeline, open_spreadsheet(deals, pipeline=pipeline), AS_OF)

    document = result_as_json(result, pipeline)
    found = [
        (finding["value"], finding["code"])
        for finding in document["findings"]
        if finding["row"] == 2
    ]
    assert found == findings


def test_close_date_cell_reads_as_typed_text(fake: FakeSheets) -> None:
    typed_as_date = ["D-1", "Acme", "Ana Lima", "Won", "500", "9/2/2025", "7/1/2025"]
    typed_as_text = [
        "D-1",
        "Acme",
        "Ana Lima",
        "Won",
        "500",
        "'2025-09-02",
        "'2025-07-01",
    ]

    _, from_dates = sync_typed_row(fake, typed_as_date)
    _, from_text = sync_typed_row(fake, typed_as_text)

    assert from_dates["findings"] == from_text["findings"] == []
    assert from_dates["metrics"] == from_text["metrics"]
    assert from_dates["metrics"]["won_value"] == 500


def test_date_in_amount_rerun_sends_no_write(fake: FakeSheets) -> None:
    row = ["D-1", "Acme", "Ana Lima", "Proposal", "12/10/2026", "9/20/2025", "12:30"]
    spreadsheet_id, _ = sync_typed_row(fake, row)
    before = len(fake.requests)

    pipeline = make_pipeline(spreadsheet_id, columns=DATE_CELL_COLUMNS)
    source = open_spreadsheet(spreadsheet_id, pipeline=pipeline)
    result = run_sync(pipeline, source, AS_OF)

    assert result.report is None
    assert operations(fake, before) == UNCHANGED_RUN_CALLS


def test_plain_number_beside_equal_date_gets_status(fake: FakeSheets) -> None:
    # "Paste values only" of a date leaves its serial number without a format:
    # 45920 is 2025-09-20.
    rows: list[list[CellValue]] = [
        DEALS_HEADER,
        ["D-1", "Acme", "Lead", 1000, dt.date(2025, 9, 20)],
        ["D-2", "Beta", "Lead", 2000, 45920],
    ]
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": rows})

    first = sync(fake, spreadsheet_id).report
    before = len(fake.requests)
    second = sync(fake, spreadsheet_id).report

    assert first is not None
    assert first.skipped == []
    assert statuses_by_id(fake, spreadsheet_id) == {"D-1": "OK", "D-2": "OK"}
    assert second is None
    assert operations(fake, before) == UNCHANGED_RUN_CALLS


def test_long_message_rerun_sends_no_write(fake: FakeSheets) -> None:
    # The unknown-stage message quotes the 30,000-character value, so it is
    # longer than a cell holds.
    rows: list[list[CellValue]] = [
        DEALS_HEADER,
        ["D-1", "Acme", "x" * 30_000, 1000, None],
    ]
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": rows})

    sync(fake, spreadsheet_id)
    before = len(fake.requests)
    second = sync(fake, spreadsheet_id).report

    problems = fake.read(spreadsheet_id, "Problems")
    messages = [row[7] for row in problems[3:]]
    assert second is None
    assert operations(fake, before) == UNCHANGED_RUN_CALLS
    assert any(message.endswith(" more characters)") for message in messages)
    assert max(map(len, messages)) == 32_767


# The real command line against the fake on a loopback server.


def test_cli_run_against_loopback_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeSheets()
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": DEALS})
    handler = TokenServingHandler(fake.store, fake.faults)
    with FakeSheetsServer(handler) as server:
        key_file = write_key_file(
            tmp_path / "key.json", token_uri=server.base_url + TOKEN_PATH
        )
        definition = tmp_path / "pipeline.yaml"
        definition.write_text(_definition_yaml(spreadsheet_id), encoding="utf-8")
        monkeypatch.setenv("PIPESHEET_SHEETS_ENDPOINT", server.base_url)
        monkeypatch.setenv("PIPESHEET_GOOGLE_CREDENTIALS", str(key_file))
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        monkeypatch.setenv("PIPESHEET_STATE", str(tmp_path / "state.sqlite"))
        monkeypatch.chdir(tmp_path)

        arguments = [
            "run",
            str(definition),
            "--as-of",
            AS_OF.isoformat(),
            "--json",
            "-q",
        ]
        result = CliRunner().invoke(cli, arguments, catch_exceptions=False)

    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["written"]["requests"] == 3
    assert document["written"]["status_cells"] == 5
    assert statuses_by_id(fake, spreadsheet_id) == STATUS_OF
    assert set(fake.store.tokens.values()) == {SERVICE_ACCOUNT}
    assert [request.operation for request in handler.requests] == [
        "spreadsheets.get",
        "values.batchGet",
        "values.batchGet",
        "values.batchGet",
        "spreadsheets.batchUpdate",
        "values.batchGet",
    ]


def test_service_run_counts_reads_and_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeSheets()
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": DEALS})
    handler = TokenServingHandler(fake.store, fake.faults)
    state = str(tmp_path / "state.sqlite")
    definition = tmp_path / "pipeline.yaml"
    definition.write_text(_definition_yaml(spreadsheet_id), encoding="utf-8")
    with FakeSheetsServer(handler) as server:
        key_file = write_key_file(
            tmp_path / "key.json", token_uri=server.base_url + TOKEN_PATH
        )
        monkeypatch.setenv("PIPESHEET_SHEETS_ENDPOINT", server.base_url)
        monkeypatch.setenv("PIPESHEET_GOOGLE_CREDENTIALS", str(key_file))
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")

        writing = run_definition(str(definition), None, state)
        sent_by_writing = len(handler.requests)
        unchanged = run_definition(str(definition), None, state)
        sent_by_unchanged = len(handler.requests) - sent_by_writing

    with StateStore.open(state) as store:
        recorded = [run.api_requests for run in reversed(store.runs())]
    assert writing.outcome is RunOutcome.OK
    assert sent_by_writing == 6
    assert writing.api_requests == sent_by_writing
    assert sent_by_unchanged == 3
    assert unchanged.api_requests == sent_by_unchanged
    assert recorded == [sent_by_writing, sent_by_unchanged]


def test_failed_run_counts_requests_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeSheets()
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": DEALS})
    fake.faults.fail_when(lambda r: r.operation == "spreadsheets.batchUpdate", 400)
    handler = TokenServingHandler(fake.store, fake.faults)
    state = str(tmp_path / "state.sqlite")
    definition = tmp_path / "pipeline.yaml"
    definition.write_text(_definition_yaml(spreadsheet_id), encoding="utf-8")
    with FakeSheetsServer(handler) as server:
        serve_key_file(server.base_url, tmp_path, monkeypatch)
        summary = run_definition(str(definition), None, state)
        sent = len(handler.requests)

    with StateStore.open(state) as store:
        recorded = store.runs()
    assert summary.outcome is RunOutcome.FAILED
    assert sent > 0
    assert summary.api_requests == sent
    assert [run.outcome for run in recorded] == [RunOutcome.FAILED]
    assert recorded[0].api_requests == sent


def test_stopped_run_counts_requests_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeSheets()
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": DEALS})
    third_call, released = threading.Event(), threading.Event()

    def hang(_store: Store) -> None:
        third_call.set()
        released.wait(LOOPBACK_WAIT_SECONDS)

    # The run's process hangs in its third request, the re-read before the write.
    fake.faults.before_call(3, hang)
    handler = TokenServingHandler(fake.store, fake.faults)
    state = str(tmp_path / "state.sqlite")
    StateStore.open(state).close()
    definition = tmp_path / "pipeline.yaml"
    definition.write_text(_definition_yaml(spreadsheet_id), encoding="utf-8")
    with FakeSheetsServer(handler) as server:
        serve_key_file(server.base_url, tmp_path, monkeypatch)
        stopper = threading.Thread(target=stop_runs_after, args=(third_call,))
        stopper.start()
        try:
            summary = run_workbook_job(
                str(definition), None, state, spreadsheet_id, LOOPBACK_WAIT_SECONDS
            )
        finally:
            stopper.join()
            released.set()
            RUN_CONTROL.reset()

    with StateStore.open(state) as store:
        recorded = store.runs()
    assert summary.outcome is RunOutcome.FAILED
    assert summary.api_requests == 3
    assert [run.outcome for run in recorded] == [RunOutcome.FAILED]
    assert recorded[0].api_requests == 3


# Long enough for a run's process to import pipesheet on a busy machine.
LOOPBACK_WAIT_SECONDS = 120.0


def stop_runs_after(event: threading.Event) -> None:
    """Stop the running runs at once when ``event`` is set."""
    event.wait(LOOPBACK_WAIT_SECONDS)
    RUN_CONTROL.request_stop(0)


def serve_key_file(
    base_url: str, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point pipesheet, in this process and its children, at a loopback fake."""
    key_file = write_key_file(folder / "key.json", token_uri=base_url + TOKEN_PATH)
    monkeypatch.setenv("PIPESHEET_SHEETS_ENDPOINT", base_url)
    monkeypatch.setenv("PIPESHEET_GOOGLE_CREDENTIALS", str(key_file))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


def _definition_yaml(spreadsheet_id: str) -> str:
    pipeline: Pipeline = make_pipeline(spreadsheet_id)
    data = pipeline.model_dump(mode="json", exclude_defaults=True)
    return json.dumps(data)


def test_ids_not_text_get_status(fake: FakeSheets) -> None:
    # The re-read matches rows by ID, so each of these IDs must give the key
    # the plan was made with: TRUE/FALSE, and a float of 17 significant digits.
    rows: list[list[CellValue]] = [
        DEALS_HEADER,
        [True, "Acme", "Won", 1000, None],
        [False, "Beta", "Won", 1000, None],
        [0.1 + 0.2, "Gamma", "Won", 1000, None],
        ["D-4", "Delta", "Won", 1000, None],
    ]
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": rows})

    report = sync(fake, spreadsheet_id).report

    assert report is not None
    assert report.skipped == []
    assert statuses_by_row(fake, spreadsheet_id) == [
        "ERROR: Deal ID 'TRUE' is not text",
        "ERROR: Deal ID 'FALSE' is not text",
        "ERROR: Deal ID '0.3' is not text",
        "OK",
    ]


def test_merges_kept_as_grid_blocks() -> None:
    merges = [Rectangle(3, 4, 8, 10), Rectangle(0, None, 0, 2)]

    assert merged_blocks(merges) == [(4, 8, 4, 9)]


def test_two_row_merged_header(fake: FakeSheets) -> None:
    # Deal ID, Account and Stage merged down over rows 1-2, and the group
    # title Deal across D1:E1 over Amount and Next Step Date.
    top: list[CellValue] = ["Deal ID", "Account", "Stage", "Deal", None]
    below: list[CellValue] = [None, None, None, "Amount", "Next Step Date"]
    rows = [top, below, *DEALS[1:]]
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": rows})
    sheet_id = fake.spreadsheet(spreadsheet_id).sheet_by_title("Deals").sheet_id
    blocks = [(0, 2, 0, 1), (0, 2, 1, 2), (0, 2, 2, 3), (0, 1, 3, 5)]
    merges = [
        {
            "mergeCells": {
                "range": {
                    "sheetId": sheet_id,
                    "startRowIndex": first_row,
                    "endRowIndex": end_row,
                    "startColumnIndex": first_column,
                    "endColumnIndex": end_column,
                }
            }
        }
        for first_row, end_row, first_column, end_column in blocks
    ]
    fake.batch_update(spreadsheet_id, merges)

    result = sync(fake, spreadsheet_id)

    assert result.columns.header_row == 2
    rows = fake.read(spreadsheet_id, "Deals")
    assert rows[:2] == [
        ["Deal ID", "Account", "Stage", "Deal"],
        ["", "", "", "Amount", "Next Step Date", STATUS_HEADER],
    ]
    assert {row[0]: row[5] for row in rows[2:]} == STATUS_OF
    before = len(fake.requests)
    sync(fake, spreadsheet_id)
    assert operations(fake, before) == UNCHANGED_RUN_CALLS


def test_merged_account_counts_for_each_row(fake: FakeSheets, deals: str) -> None:
    sheet_id = fake.spreadsheet(deals).sheet_by_title("Deals").sheet_id
    cells = {"sheetId": sheet_id, "startRowIndex": 2, "endRowIndex": 4}
    cells.update(startColumnIndex=1, endColumnIndex=2)
    fake.batch_update(deals, [{"mergeCells": {"range": cells}}])

    result = sync(fake, deals)

    assert [
        finding.row for finding in result.findings if finding.field == "account"
    ] == []
    assert statuses_by_id(fake, deals)["D-3"] == "OK"
    assert fake.read(deals, "Deals!B3:B4") == [["Beta"]]


def test_decomposed_id_gets_status(fake: FakeSheets) -> None:
    # "MÜN-001" stored with U and a combining diaeresis, as macOS saves it.
    # Reading composes the ID, and the re-read before the write must too.
    decomposed = "MU\u0308N-001"
    rows: list[list[CellValue]] = [
        DEALS_HEADER,
        [decomposed, "Acme", "Lead", 1000, dt.date(2025, 9, 20)],
        ["D-2", "Beta", "Lead", 500, dt.date(2025, 9, 20)],
    ]
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": rows})

    result = sync(fake, spreadsheet_id)

    assert statuses_by_id(fake, spreadsheet_id)[decomposed] == "OK"
    assert result.report is not None
    assert result.report.skipped == []
