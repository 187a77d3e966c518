"""End-to-end tests of one sync run on a starter workbook."""

from __future__ import annotations

import datetime as dt
import io
import logging
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter  # type: ignore[import-untyped]
from openpyxl.formatting.rule import CellIsRule
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from python_calamine import CalamineWorkbook
from rich.console import Console

from config.errors import SheetLayoutError
from config.loader import load_pipeline, parse_pipeline
from config.models import Locale, MetricsSettings, Pipeline
from config.shipped import shipped_definition
from rules.deals import ColumnMap
from rules.findings import Code, Severity
from rules.grid import CellValue, SheetGrid
from rules.messages import render_message
from sync.plan import StatusWrite, WritePlan
from sync.report import result_as_json, show_result
from sync.run import (
    RunResult,
    read_allowed_lists,
    read_existing_tabs,
    run_sync,
)
from sync.sources.base import WriteReport
from sync.sources.excel import ExcelWorkbook
from sync.starter import build_starter_workbook
from tests.sync.test_doctor import (
    DEFAULT_COLUMN_WARNINGS,
    write_renamed_followup_columns,
)

AS_OF = dt.date(2025, 9, 30)
GENERATED_TABS = {
    Locale.EN: ["Funnel", "Follow-ups", "Problems", "Definitions"],
    Locale.ZH_CN: ["漏斗", "待跟进", "问题清单", "指标说明"],
}
DEFINITIONS = {Locale.EN: "b2b-en", Locale.ZH_CN: "sales-zh"}
DEALS_TAB = {Locale.EN: "Deals", Locale.ZH_CN: "商机"}
# Status of rows 4 to 18 of the English starter workbook on AS_OF.
ENGLISH_STATUSES = [
    "OK",
    "OK",
    "WARN: follow-up 4 days overdue",
    "ERROR: Owner 'Maria Gomez' not allowed",
    "WARN: 75 days in 'Demo' (limit 21)",
    "OK",
    "WARN: follow-up 10 days overdue",
    "OK",
    "ERROR: missing Amount",
    "WARN: close date passed 3 days ago",
    "ERROR: Expected Close 'end of Q4' is not a date",
    "OK",
    "OK",
    "OK",
    "OK",
]
# Columns of the English starter's Deals tab: Amount is E, the status goes in R
# after Notes in Q.
AMOUNT_COLUMN = "E"
STATUS_COLUMN = 17


def build_workbook(folder: Path, locale: Locale) -> tuple[Path, Pipeline]:
    path = build_starter_workbook(folder / "pipeline.xlsx", locale, as_of=AS_OF)
    return path, load_pipeline(shipped_definition(DEFINITIONS[locale]))


def run_once(path: Path, pipeline: Pipeline, *, dry_run: bool = False) -> RunResult:
    return run_sync(pipeline, ExcelWorkbook(path), AS_OF, dry_run=dry_run)


def read_statuses(path: Path, tab: str) -> list[object]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(tab).to_python()
    return [row[STATUS_COLUMN] for row in rows[3:]]


def test_1904_workbook_keeps_its_dates(tmp_path: Path) -> None:
    path, pipeline = build_workbook(tmp_path, Locale.EN)
    book = openpyxl.load_workbook(path)
    book.epoch = CALENDAR_MAC_1904
    deals = book["Deals"]
    # Next Step Date of D-1001 as a plain number: 2025-10-01 in the 1904 system.
    deals["L4"].value = 44469
    deals["L4"].number_format = "General"
    book.save(path)

    result = run_once(path, pipeline)

    first = next(deal for deal in result.deals if deal.deal_id == "D-1001")
    assert first.values["next_step_date"] == dt.date(2025, 10, 1)
    followups = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Follow-ups")
    due_dates = [row[5] for row in followups.to_python()[3:]]
    assert dt.date(2025, 10, 1) in due_dates
    assert all(due.year == AS_OF.year for due in due_dates if due)


@pytest.fixture
def english(tmp_path: Path) -> tuple[Path, Pipeline]:
    return build_workbook(tmp_path, Locale.EN)


def test_first_run_writes_status_and_tabs(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english

    result = run_once(path, pipeline)

    assert result.report is not None
    assert result.report.status_cells_written == 15
    assert result.report.tabs_written == GENERATED_TABS[Locale.EN]
    assert result.report.skipped == []
    assert read_statuses(path, "Deals") == ENGLISH_STATUSES


@pytest.mark.parametrize("locale", [Locale.EN, Locale.ZH_CN], ids=["en", "zh"])
def test_second_run_writes_nothing(tmp_path: Path, locale: Locale) -> None:
    path, pipeline = build_workbook(tmp_path, locale)
    run_once(path, pipeline)
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns

    result = run_once(path, pipeline)

    assert result.report is None
    assert result.plan.is_empty is True
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == mtime


def test_dry_run_plans_but_writes_nothing(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    before = path.read_bytes()
    mtime = path.stat().st_mtime_ns

    result = run_once(path, pipeline, dry_run=True)

    assert result.dry_run is True
    assert result.report is None
    assert len(result.plan.status_cells) == 15
    assert [tab.name for tab in result.plan.tabs] == GENERATED_TABS[Locale.EN]
    assert result.plan.write_status_header is True
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == mtime


def test_edited_cell_changes_only_its_row(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    run_once(path, pipeline)
    workbook = openpyxl.load_workbook(path)
    workbook["Deals"][f"{AMOUNT_COLUMN}12"] = 15000
    workbook.save(path)

    result = run_once(path, pipeline)

    assert result.plan.status_cells == [
        StatusWrite("D-1009", 12, "OK", previous="ERROR: missing Amount")
    ]
    assert result.report is not None
    assert result.report.status_cells_written == 1
    expected = ENGLISH_STATUSES[:8] + ["OK"] + ENGLISH_STATUSES[9:]
    assert read_statuses(path, "Deals") == expected


def test_owner_spellings_grouped_as_listed(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    before = run_once(path, pipeline, dry_run=True).metrics.by_owner.groups
    workbook = openpyxl.load_workbook(path)
    workbook["Deals"]["C5"] = " BEN  ORTIZ"
    workbook["Deals"]["C6"] = "chloe park"
    workbook.save(path)

    result = run_once(path, pipeline, dry_run=True)

    owners = {item.deal_id: item.owner for item in result.followups}
    assert result.metrics.by_owner.groups == before
    assert owners["D-1003"] == "Chloe Park"


def clear_id_and_copy_row(path: Path) -> None:
    """Clear the Deal ID of row 5 and copy row 6 (D-1003) whole onto row 19."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Deals"]
    sheet["A5"] = None
    for cell in sheet[6]:
        sheet.cell(19, cell.column).value = cell.value
    workbook.save(path)


def test_rows_without_unique_id_replace_old_status(
    english: tuple[Path, Pipeline],
) -> None:
    path, pipeline = english
    run_once(path, pipeline)
    clear_id_and_copy_row(path)

    result = run_once(path, pipeline)

    statuses = read_statuses(path, "Deals")
    assert statuses[1] == "ERROR: missing Deal ID"
    assert statuses[2] == "ERROR: ID also on row 19 (+1 more problem)"
    assert statuses[15] == "ERROR: ID also on row 6 (+1 more problem)"
    assert statuses[:1] + statuses[3:15] == ENGLISH_STATUSES[:1] + ENGLISH_STATUSES[3:]
    assert result.report is not None
    assert result.report.status_cells_written == 3
    assert result.report.skipped == []


def test_rows_without_unique_id_written_once(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    run_once(path, pipeline)
    clear_id_and_copy_row(path)
    run_once(path, pipeline)
    before = path.read_bytes()

    result = run_once(path, pipeline)

    assert result.report is None
    assert result.plan.is_empty is True
    assert path.read_bytes() == before


def test_findings_sorted_by_row(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english

    result = run_once(path, pipeline, dry_run=True)

    rows = [finding.row or 0 for finding in result.findings]
    assert rows == sorted(rows)
    row_7 = [f.severity for f in result.findings if f.row == 7]
    assert row_7 == [Severity.ERROR, Severity.INFO]


def test_result_describes_the_run(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english

    result = run_once(path, pipeline, dry_run=True)

    assert result.workbook == "pipeline.xlsx"
    assert result.tab == "Deals"
    assert result.as_of == AS_OF
    assert result.columns.header_row == 3
    assert len(result.deals) == 15
    assert len(result.findings) == 12
    assert len(result.followups) == 7


def test_win_rate_days_limit_closed_deals(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    all_closed = run_once(path, pipeline, dry_run=True).metrics
    recent = pipeline.model_copy(update={"metrics": MetricsSettings(win_rate_days=1)})

    metrics = run_once(path, recent, dry_run=True).metrics

    assert all_closed.period_start is None
    assert all_closed.won + all_closed.lost > 0
    assert metrics.period_start == AS_OF
    assert metrics.won + metrics.lost == 0
    assert metrics.win_rate is None


def test_progress_lines_name_the_steps(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    lines: list[str] = []

    run_sync(pipeline, ExcelWorkbook(path), AS_OF, progress=lines.append)

    assert lines == [
        "Reading tab 'Deals' of pipeline.xlsx",
        "Checking 15 deals",
        "Writing 15 status cells and 4 tabs to pipeline.xlsx",
    ]


def keep_first_deal(path: Path) -> None:
    """Delete every deal row of the starter's Deals tab but the first (row 4)."""
    workbook = openpyxl.load_workbook(path)
    deals = workbook["Deals"]
    deals.delete_rows(5, deals.max_row - 4)
    workbook.save(path)


def test_one_deal_counted_in_singular(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    keep_first_deal(path)
    lines: list[str] = []

    result = run_sync(pipeline, ExcelWorkbook(path), AS_OF, progress=lines.append)
    out = io.StringIO()
    show_result(Console(file=out, width=200), result, pipeline)

    assert lines == [
        "Reading tab 'Deals' of pipeline.xlsx",
        "Checking 1 deal",
        "Writing 1 status cell and 4 tabs to pipeline.xlsx",
    ]
    assert len(result.findings) == 1
    assert "1 finding (also in tab 'Problems' and in --json)" in out.getvalue()


def test_dry_run_findings_title_names_no_tab(
    english: tuple[Path, Pipeline],
) -> None:
    path, pipeline = english
    keep_first_deal(path)

    result = run_sync(pipeline, ExcelWorkbook(path), AS_OF, dry_run=True)
    out = io.StringIO()
    show_result(Console(file=out, width=200), result, pipeline)

    assert (
        "1 finding (also in --json, and a run lists them in tab 'Problems')"
    ) in out.getvalue()


def add_user_tab(path: Path, name: str) -> None:
    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet(name)["A1"] = "Q3 targets by region"
    workbook.save(path)


TAKEN_TAB_MESSAGE = (
    "Workbook 'pipeline.xlsx' already has a tab 'funnel' that pipesheet did not "
    "create, so pipesheet will not overwrite it. Rename that tab, or choose another "
    "name for the generated tab under outputs.tabs in the pipeline definition. "
    "Nothing was written."
)


def test_user_tab_named_like_generated_stops(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    add_user_tab(path, "funnel")
    before = path.read_bytes()
    lines: list[str] = []

    with pytest.raises(SheetLayoutError) as raised:
        run_sync(pipeline, ExcelWorkbook(path), AS_OF, progress=lines.append)

    assert str(raised.value) == TAKEN_TAB_MESSAGE
    assert lines == ["Reading tab 'Deals' of pipeline.xlsx", "Checking 15 deals"]
    assert path.read_bytes() == before


def test_dry_run_lists_taken_tab(
    english: tuple[Path, Pipeline],
) -> None:
    path, pipeline = english
    add_user_tab(path, "funnel")
    clean = run_sync(pipeline, ExcelWorkbook(path), AS_OF, dry_run=True)
    before = path.read_bytes()

    result = run_sync(pipeline, ExcelWorkbook(path), AS_OF, dry_run=True)

    assert result.blockers == (TAKEN_TAB_MESSAGE.removesuffix(" Nothing was written."),)
    assert result.findings == clean.findings
    assert "Funnel" not in [tab.name for tab in result.plan.tabs]
    assert path.read_bytes() == before


def test_progress_names_output_file(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    output = path.with_name("out.xlsx")
    lines: list[str] = []

    run_sync(pipeline, ExcelWorkbook(path, output=output), AS_OF, progress=lines.append)

    assert lines[-1] == (
        "Preparing out.xlsx: a copy of pipeline.xlsx with 15 status cells and 4 tabs"
    )
    assert output.exists()


def test_output_rerun_claims_no_write(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    output = path.with_name("out.xlsx")
    run_sync(pipeline, ExcelWorkbook(path, output=output), AS_OF)
    lines: list[str] = []

    result = run_sync(
        pipeline, ExcelWorkbook(path, output=output), AS_OF, progress=lines.append
    )

    assert result.report is not None
    assert result.report.output_unchanged
    assert [line for line in lines if line.startswith("Writing")] == []


class MemoryWorkbook:
    """A workbook held in memory, for what the run reads rather than writes."""

    def __init__(self, tabs: dict[str, list[list[CellValue]]]) -> None:
        self.tabs = tabs

    @property
    def name(self) -> str:
        return "memory.xlsx"

    @property
    def target_name(self) -> str:
        return "memory.xlsx"

    @property
    def requests_made(self) -> int:
        return 0

    def tab_names(self) -> list[str]:
        return list(self.tabs)

    def read_tab(self, tab: str) -> SheetGrid:
        for name, rows in self.tabs.items():
            if name.casefold() == tab.casefold():
                return SheetGrid(self.name, name, rows)
        raise SheetLayoutError(f"no tab {tab!r}")

    def apply(self, plan: WritePlan) -> WriteReport:
        raise AssertionError("these tests write nothing")


def test_existing_tabs_matched_ignoring_case() -> None:
    generated: list[list[CellValue]] = [["Generated by pipesheet"]]
    source = MemoryWorkbook({"Deals": [], "FUNNEL": generated, "Notes": []})

    existing = read_existing_tabs(source, ["Funnel", "Problems"])

    assert existing == {"Funnel": SheetGrid("memory.xlsx", "FUNNEL", generated)}


def test_allowed_list_tab_missing_warns(caplog: pytest.LogCaptureFixture) -> None:
    pipeline = load_pipeline(shipped_definition("b2b-en"))
    source = MemoryWorkbook({"Deals": [], "Notes": []})
    columns = ColumnMap(1, ["Deal ID", "Owner"], {"id": 0, "owner": 1}, None)

    with caplog.at_level(logging.WARNING, logger="sync.run"):
        allowed = read_allowed_lists(source, pipeline, columns)

    assert allowed == {}
    assert [record.getMessage() for record in caplog.records] == [
        (
            "Workbook 'memory.xlsx' has no tab 'Lists', which allowed.owner.from_tab "
            "names as the list of allowed values, so runs do not check the values "
            "of 'owner'. Existing tabs: 'Deals', 'Notes'. Add the tab, fix "
            "allowed.owner.from_tab.tab, or delete allowed.owner from the definition."
        )
    ]


def test_allowed_list_tab_missing_names_rules_tab(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A workbook with a Rules tab over the shipped base cannot delete the
    # base's allowed.owner, so the message names the tab's settings instead.
    pipeline = load_pipeline(shipped_definition("b2b-en"))
    source_config = pipeline.source.model_copy(update={"rules_tab": "Rules"})
    pipeline = pipeline.model_copy(update={"source": source_config})
    source = MemoryWorkbook({"Deals": [], "Rules": []})
    columns = ColumnMap(1, ["Deal ID", "Owner"], {"id": 0, "owner": 1}, None)

    with caplog.at_level(logging.WARNING, logger="sync.run"):
        read_allowed_lists(source, pipeline, columns)

    assert [record.getMessage() for record in caplog.records] == [
        (
            "Workbook 'memory.xlsx' has no tab 'Lists', which allowed.owner.from_tab "
            "names as the list of allowed values, so runs do not check the values "
            "of 'owner'. Existing tabs: 'Deals', 'Rules'. Add the tab. Or add to "
            "tab 'Rules' the setting allowed.owner.from_tab.tab with the name of "
            "the tab that has the list, or the setting allowed.owner with a blank "
            "value to stop checking it."
        )
    ]


def save_owner_list_workbook(path: Path, header: list[str], row: list[object]) -> None:
    """Save tab 'Deals' with ``header`` and one row, and tab 'Lists' with owners."""
    workbook = openpyxl.Workbook()
    deals = workbook.active
    assert deals is not None
    deals.title = "Deals"
    deals.append(header)
    deals.append(row)
    lists = workbook.create_sheet("Lists")
    lists.append(["Owner"])
    lists.append(["Ana Lima"])
    workbook.save(path)


DEAL_HEADER = [
    "Deal ID",
    "Account",
    "Owner",
    "Stage",
    "Amount",
    "Expected Close",
    "Next Step Date",
    "Lost Reason",
]
DEAL_ROW: list[object] = [
    "N1",
    "Acme",
    "Ben Ortiz",
    "Demo",
    100,
    dt.datetime(2025, 12, 1),
    dt.datetime(2025, 10, 8),
    None,
]


def test_list_of_absent_column_not_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "pipeline.xlsx"
    save_owner_list_workbook(path, DEAL_HEADER, DEAL_ROW)
    pipeline = load_pipeline(shipped_definition("b2b-en"))

    with caplog.at_level(logging.WARNING):
        result = run_once(path, pipeline)

    assert caplog.records == []
    assert result.report is not None
    unknown = [f for f in result.findings if f.code is Code.UNKNOWN_VALUE]
    assert [(f.field, f.value) for f in unknown] == [("owner", "Ben Ortiz")]


def test_missing_list_column_warns_and_runs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "pipeline.xlsx"
    header = [*DEAL_HEADER, "Product"]
    save_owner_list_workbook(path, header, [*DEAL_ROW, "Widget"])
    pipeline = load_pipeline(shipped_definition("b2b-en"))

    with caplog.at_level(logging.WARNING):
        result = run_once(path, pipeline)

    assert [record.getMessage() for record in caplog.records] == [
        (
            "Workbook 'pipeline.xlsx', tab 'Lists': no column headed 'Product' in "
            "the first 10 rows, so the allowed values of 'product' cannot be read "
            "and runs do not check them. Row 1, the one with the most filled cells, "
            "has A1='Owner'. Add the column, fix allowed.product.from_tab.column, "
            "or delete allowed.product from the definition."
        )
    ]
    assert result.report is not None
    unknown = [f for f in result.findings if f.code is Code.UNKNOWN_VALUE]
    assert [(f.field, f.value) for f in unknown] == [("owner", "Ben Ortiz")]


def test_allowed_lists_from_tab_and_inline() -> None:
    pipeline = load_pipeline(shipped_definition("b2b-en"))
    lists: list[list[CellValue]] = [
        ["Stage", "Owner", "Product"],
        ["Lead", "Ana Lima", "Widget"],
        [None, "Ben Ortiz", None],
    ]
    source = MemoryWorkbook({"Deals": [], "lists": lists})

    fields = {"owner": 0, "product": 1, "source": 2}
    columns = ColumnMap(1, ["Owner", "Product", "Lead Source"], fields, None)
    allowed = read_allowed_lists(source, pipeline, columns)

    assert allowed["owner"] == ["Ana Lima", "Ben Ortiz"]
    assert allowed["product"] == ["Widget"]
    assert allowed["source"] == ["Website", "Referral", "Outbound", "Event", "Partner"]


def without_highlights(pipeline: Pipeline) -> Pipeline:
    outputs = pipeline.outputs.model_copy(update={"highlight_rows": False})
    return pipeline.model_copy(update={"outputs": outputs})


def conditional_formulas(path: Path) -> list[str]:
    deals = openpyxl.load_workbook(path)["Deals"]
    return [
        formula
        for block in deals.conditional_formatting
        for rule in block.rules
        for formula in rule.formula
    ]


def test_highlights_off_removes_own_rules(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    workbook = openpyxl.load_workbook(path)
    workbook["Deals"].conditional_formatting.add(
        "E4:E18", CellIsRule(operator="greaterThan", formula=["100000"])
    )
    workbook.save(path)
    run_once(path, pipeline)
    assert len(conditional_formulas(path)) == 3

    removed = run_once(path, without_highlights(pipeline))
    before = path.read_bytes()
    again = run_once(path, without_highlights(pipeline))

    assert conditional_formulas(path) == ["100000"]
    assert removed.report is not None
    assert removed.report.status_cells_written == 0
    assert again.report is None
    assert path.read_bytes() == before


def test_highlights_back_on_adds_rules(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    run_once(path, pipeline)
    run_once(path, without_highlights(pipeline))
    assert conditional_formulas(path) == []

    added = run_once(path, pipeline)
    before = path.read_bytes()
    again = run_once(path, pipeline)

    assert len(conditional_formulas(path)) == 2
    assert added.plan.add_highlights
    assert added.report is not None
    assert added.report.status_cells_written == 0
    assert "; highlight rules added" in written_line(added, pipeline)
    assert again.report is None
    assert path.read_bytes() == before


def written_line(result: RunResult, pipeline: Pipeline) -> str:
    """Return the Written line of the run's report as printed for people."""
    out = io.StringIO()
    show_result(Console(file=out, width=200), result, pipeline)
    return next(line for line in out.getvalue().splitlines() if "Written" in line)


def with_status_header(pipeline: Pipeline, header: str) -> Pipeline:
    outputs = pipeline.outputs.model_copy(update={"status_header": header})
    return pipeline.model_copy(update={"outputs": outputs})


def test_changed_status_header_names_old_column(
    english: tuple[Path, Pipeline],
) -> None:
    path, pipeline = english
    run_once(path, pipeline)
    old_statuses = read_statuses(path, "Deals")

    result = run_once(path, with_status_header(pipeline, "Check"))

    notices = [f for f in result.findings if f.code is Code.OLD_STATUS_COLUMN]
    assert [(f.row, f.column, f.params["letter"]) for f in notices] == [
        (3, "pipesheet status", "R")
    ]
    assert notices[0].severity is Severity.INFO
    assert read_statuses(path, "Deals") == old_statuses
    assert result.plan.status_column == STATUS_COLUMN + 1


def test_renamed_output_tab_named_not_deleted(
    english: tuple[Path, Pipeline],
) -> None:
    path, pipeline = english
    run_once(path, pipeline)
    tabs = pipeline.outputs.tabs.model_copy(update={"funnel": "Pipeline funnel"})
    outputs = pipeline.outputs.model_copy(update={"tabs": tabs})
    renamed = pipeline.model_copy(update={"outputs": outputs})

    result = run_once(path, renamed)
    again = run_once(path, renamed)

    notices = [f for f in result.findings if f.code is Code.OLD_GENERATED_TAB]
    assert [f.params for f in notices] == [{"tab": "Funnel", "source_tab": "Deals"}]
    assert "Funnel" in openpyxl.load_workbook(path).sheetnames
    assert again.report is None


def test_tab_renamed_by_user_not_noticed(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    run_once(path, pipeline)
    book = openpyxl.load_workbook(path)
    book["Funnel"].title = "Funnel Q4 snapshot"
    book.save(path)

    result = run_once(path, pipeline)
    again = run_once(path, pipeline)

    codes = {f.code for f in [*result.findings, *again.findings]}
    assert Code.OLD_GENERATED_TAB not in codes
    names = openpyxl.load_workbook(path).sheetnames
    assert "Funnel Q4 snapshot" in names
    assert "Funnel" in names


@pytest.mark.parametrize(
    "header", ["Pipesheet Status", "pipesheet  status"], ids=["case", "spacing"]
)
def test_header_respelling_reported_written(
    english: tuple[Path, Pipeline], header: str
) -> None:
    path, pipeline = english
    run_once(path, pipeline)
    respelled = with_status_header(pipeline, header)

    preview = run_once(path, respelled, dry_run=True)
    result = run_once(path, respelled)
    again = run_once(path, respelled)

    assert result.report is not None
    assert result.report.status_cells_written == 0
    assert result.report.status_header_written
    assert "; status header written" in written_line(result, respelled)
    assert result_as_json(result, respelled)["written"]["status_header"] is True
    assert "0 tabs plus the status header)" in written_line(preview, respelled)
    assert again.report is None
    assert result_as_json(again, respelled)["written"]["status_header"] is False


def add_team_status_column(path: Path) -> None:
    workbook = openpyxl.load_workbook(path)
    deals = workbook["Deals"]
    deals.cell(3, STATUS_COLUMN + 1, "Status")
    deals.cell(4, STATUS_COLUMN + 1, "waiting on legal")
    deals.cell(5, STATUS_COLUMN + 1, "call back Tuesday")
    workbook.save(path)


TEAM_COLUMN_MESSAGE = (
    "Workbook 'pipeline.xlsx', tab 'Deals': column R has the status header "
    "'Status' but contains values pipesheet did not write, such as R4 = 'waiting "
    "on legal', and pipesheet does not overwrite them. If it is pipesheet's "
    "status column, move those notes to a column of their own; otherwise rename "
    "that column, or set outputs.status_header in the definition to a header no "
    "column has."
)


def test_team_status_column_stops_run(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    add_team_status_column(path)
    before = path.read_bytes()

    with pytest.raises(SheetLayoutError) as raised:
        run_once(path, with_status_header(pipeline, "Status"))

    assert str(raised.value) == f"{TEAM_COLUMN_MESSAGE} Nothing was written."
    assert path.read_bytes() == before


def test_dry_run_lists_team_status_column(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    add_team_status_column(path)

    result = run_once(path, with_status_header(pipeline, "Status"), dry_run=True)

    assert result.blockers == (TEAM_COLUMN_MESSAGE,)
    assert len(result.findings) > 0
    assert result.plan.status_cells == []
    assert not result.plan.write_status_header


def test_cell_in_last_column_stops_run(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    workbook = openpyxl.load_workbook(path)
    workbook["Deals"]["XFD6"] = "oops"
    workbook.save(path)
    before = path.read_bytes()

    with pytest.raises(SheetLayoutError) as raised:
        run_once(path, pipeline)

    assert str(raised.value) == (
        "Workbook 'pipeline.xlsx', tab 'Deals': the status column goes right of "
        "every filled cell, but cell XFD6 ('oops') is in XFD, the last column a "
        "sheet has. Clear that cell, or head a free column 'pipesheet status' "
        "where the status should go. Nothing was written."
    )
    assert path.read_bytes() == before


def test_user_tab_naming_pipesheet_kept(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet("Problems")["A1"] = "Open issues from the pipesheet rollout"
    workbook.save(path)
    before = path.read_bytes()

    with pytest.raises(SheetLayoutError, match="tab 'Problems' that pipesheet did not"):
        run_once(path, pipeline)

    assert path.read_bytes() == before


def test_edited_banner_tab_still_replaced(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    run_once(path, pipeline)
    workbook = openpyxl.load_workbook(path)
    workbook["Funnel"]["A1"] = "Our funnel"
    workbook.save(path)

    run_once(path, pipeline)

    funnel = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Funnel")
    assert str(funnel.to_python()[0][0]).startswith("Generated by pipesheet")


def test_status_column_right_of_merged_header(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    workbook = openpyxl.load_workbook(path)
    workbook["Deals"].merge_cells(
        start_row=3, end_row=3, start_column=17, end_column=18
    )
    workbook.save(path)

    result = run_once(path, pipeline)

    assert result.plan.status_column == STATUS_COLUMN + 1
    header = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Deals")
    assert header.to_python()[2][STATUS_COLUMN + 1] == "pipesheet status"


def build_merged_workbook(path: Path) -> None:
    """Write three deals of one account, Account and Owner merged down rows 2-4."""
    workbook = openpyxl.Workbook()
    deals = workbook.active
    assert deals is not None
    deals.title = "Deals"
    deals.append(
        ["Deal ID", "Account", "Owner", "Stage", "Amount", "Expected Close"]
        + ["Next Step Date", "Lost Reason"]
    )
    for number, stage in enumerate(["Lead", "Qualified", "Demo"], start=1):
        first = number == 1
        deals.append(
            [f"V-{number}", "Globex" if first else None, "Ana Lima" if first else None]
            + [stage, 100, dt.date(2025, 12, 1), dt.date(2025, 10, 6)]
        )
    deals.merge_cells("B2:B4")
    deals.merge_cells("C2:C4")
    lists = workbook.create_sheet("Lists")
    lists.append(["Owner", "Product"])
    lists.append(["Ana Lima", "Starter plan"])
    workbook.save(path)


def test_merged_cells_count_for_each_deal(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.xlsx"
    build_merged_workbook(path)
    pipeline = load_pipeline(shipped_definition("b2b-en"))

    result = run_once(path, pipeline)

    assert [finding.code for finding in result.findings] == []
    owners = [
        (group.group, group.open_deals) for group in result.metrics.by_owner.groups
    ]
    assert owners == [("Ana Lima", 3)]
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Deals").to_python()
    assert [row[8] for row in rows] == ["pipesheet status", "OK", "OK", "OK"]
    assert [row[1:3] for row in rows[2:]] == [["", ""], ["", ""]]
    merged = openpyxl.load_workbook(path)["Deals"].merged_cells.ranges
    assert sorted(map(str, merged)) == ["B2:B4", "C2:C4"]
    assert run_once(path, pipeline).plan.is_empty


def build_two_row_header_workbook(path: Path) -> None:
    """Write a header over rows 1-2: group titles across, single columns merged down."""
    workbook = openpyxl.Workbook()
    deals = workbook.active
    assert deals is not None
    deals.title = "Deals"
    deals.append(
        ["Deal ID", "Account", "Owner", "Stage", "Deal", None, "Dates", None]
        + ["Lost Reason"]
    )
    deals.append(
        [None, None, None, None, "Amount", "Probability", "Expected Close"]
        + ["Next Step Date"]
    )
    for column in "ABCDI":
        deals.merge_cells(f"{column}1:{column}2")
    deals.merge_cells("E1:F1")
    deals.merge_cells("G1:H1")
    deals.append(
        ["M1", "Acme", "Ana Lima", "Demo", 1000, 0.4, dt.date(2025, 11, 1)]
        + [dt.date(2025, 10, 20)]
    )
    deals.append(
        ["M2", "Beta", "Ana Lima", "Closed Lost", 500, None, dt.date(2025, 9, 1)]
        + [None, "Price"]
    )
    lists = workbook.create_sheet("Lists")
    lists.append(["Owner", "Product"])
    lists.append(["Ana Lima", "Starter plan"])
    workbook.save(path)


def test_two_row_merged_header(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.xlsx"
    build_two_row_header_workbook(path)
    before = openpyxl.load_workbook(path)["Deals"]
    pipeline = load_pipeline(shipped_definition("b2b-en"))

    result = run_once(path, pipeline)

    assert result.columns.header_row == 2
    assert [deal.deal_id for deal in result.deals] == ["M1", "M2"]
    assert [finding.code for finding in result.findings] == []
    after = openpyxl.load_workbook(path)["Deals"]
    assert after.max_column == 10
    assert [after.cell(row, 10).value for row in range(1, 5)] == [
        None,
        "pipesheet status",
        "OK",
        "OK",
    ]
    assert [[cell.value for cell in row] for row in after.iter_rows(max_col=9)] == [
        [cell.value for cell in row] for row in before.iter_rows(max_col=9)
    ]
    assert sorted(map(str, after.merged_cells.ranges)) == sorted(
        map(str, before.merged_cells.ranges)
    )
    assert run_once(path, pipeline).plan.is_empty


def test_status_header_kept_in_upper_row(tmp_path: Path) -> None:
    # An earlier run that took row 1 for the header row wrote the status
    # header into J1 and the statuses below it.
    path = tmp_path / "pipeline.xlsx"
    build_two_row_header_workbook(path)
    workbook = openpyxl.load_workbook(path)
    for cell, value in (("J1", "pipesheet status"), ("J3", "OK"), ("J4", "OK")):
        workbook["Deals"][cell] = value
    workbook.save(path)
    pipeline = load_pipeline(shipped_definition("b2b-en"))

    result = run_once(path, pipeline)

    assert result.columns.header_row == 2
    assert result.plan.status_column == 9
    assert not result.plan.write_status_header
    assert result.plan.status_cells == []
    after = openpyxl.load_workbook(path)["Deals"]
    assert [after.cell(row, 10).value for row in range(1, 5)] == [
        "pipesheet status",
        None,
        "OK",
        "OK",
    ]


def build_subtotal_workbook(
    path: Path, label: str | None, formula: str = "=SUBTOTAL(9,E3:E50)"
) -> None:
    """Write three Lead deals under a row of ``formula``, as xlsxwriter does."""
    workbook = xlsxwriter.Workbook(str(path))
    deals = workbook.add_worksheet("Deals")
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    deals.write_row(0, 0, ["Deal ID", "Account", "Owner", "Stage", "Amount"])
    deals.write_row(0, 5, ["Expected Close", "Next Step Date", "Lost Reason"])
    if label is not None:
        deals.write(1, 1, label)
    deals.write_formula(1, 4, formula, None, 300)
    for row in range(2, 5):
        deals.write_row(row, 0, [f"T-{row}", "Acme", "Ana Lima", "Lead", 100])
        deals.write_datetime(row, 5, dt.datetime(2025, 12, 1), dates)
        deals.write_datetime(row, 6, dt.datetime(2025, 10, 6), dates)
    lists = workbook.add_worksheet("Lists")
    lists.write_column(0, 0, ["Owner", "Ana Lima"])
    lists.write_column(0, 1, ["Product", "Starter plan"])
    workbook.close()


@pytest.mark.parametrize(
    "formula", ["=SUBTOTAL(9,E3:E50)", "=SUM(E3:E50)"], ids=["subtotal", "sum"]
)
@pytest.mark.parametrize("label", [None, "Total"], ids=["no-label", "total-label"])
def test_subtotal_row_is_not_a_deal(
    tmp_path: Path, label: str | None, formula: str
) -> None:
    path = tmp_path / "pipeline.xlsx"
    build_subtotal_workbook(path, label, formula)
    pipeline = load_pipeline(shipped_definition("b2b-en"))

    result = run_once(path, pipeline, dry_run=True)

    assert [deal.deal_id for deal in result.deals] == ["T-2", "T-3", "T-4"]
    codes = [(finding.row, finding.code) for finding in result.findings]
    assert codes == [(2, Code.TOTALS_ROW)]
    assert result.findings[0].value == (label or "300")


def build_count_subtotal_workbook(path: Path) -> None:
    """Write Data > Subtotal's layout: by Stage, Count on the numeric Deal ID.

    Each group of two deals ends in a "<stage> Count" row whose ID cell counts
    the group's IDs, and "Grand Count" counts all six.
    """
    workbook = xlsxwriter.Workbook(str(path))
    deals = workbook.add_worksheet("Deals")
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    deals.write_row(0, 0, ["Deal ID", "Account", "Owner", "Stage", "Amount"])
    deals.write_row(0, 5, ["Expected Close", "Next Step Date", "Lost Reason"])
    row, number = 1, 0
    for stage in ("Lead", "Demo", "Closed Won"):
        top = row
        for _ in range(2):
            number += 1
            deals.write_row(row, 0, [number, f"Acct {number}", "Ana Lima", stage])
            deals.write(row, 4, 1000 * number)
            deals.write_datetime(row, 5, dt.datetime(2025, 12, 1), dates)
            deals.write_datetime(row, 6, dt.datetime(2025, 10, 6), dates)
            row += 1
        deals.write(row, 3, f"{stage} Count")
        deals.write_formula(row, 0, f"=SUBTOTAL(3,A{top + 1}:A{row})", None, 2)
        row += 1
    deals.write(row, 3, "Grand Count")
    deals.write_formula(row, 0, f"=SUBTOTAL(3,A2:A{row})", None, 6)
    lists = workbook.add_worksheet("Lists")
    lists.write_column(0, 0, ["Owner", "Ana Lima"])
    lists.write_column(0, 1, ["Product", "Starter plan"])
    workbook.close()


def test_subtotal_count_of_ids_is_no_deal(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.xlsx"
    build_count_subtotal_workbook(path)
    pipeline = load_pipeline(shipped_definition("b2b-en"))

    result = run_once(path, pipeline, dry_run=True)

    assert [deal.deal_id for deal in result.deals] == ["1", "2", "3", "4", "5", "6"]
    codes = {finding.code for finding in result.findings}
    assert not codes & {Code.DUPLICATE_ID, Code.UNKNOWN_STAGE}
    totals = [f for f in result.findings if f.code is Code.TOTALS_ROW]
    assert [finding.row for finding in totals] == [4, 7, 10, 11]
    assert [finding.value for finding in totals] == [
        "Lead Count",
        "Demo Count",
        "Closed Won Count",
        "Grand Count",
    ]


def test_formula_blank_amount_names_cell(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    deals = workbook.add_worksheet("Deals")
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    deals.write_row(0, 0, ["Deal ID", "Account", "Owner", "Stage", "Amount", "Qty"])
    deals.write_row(0, 6, ["Price", "Expected Close", "Next Step Date", "Lost Reason"])
    deals.write_row(1, 0, ["Q-1", "Acme", "Ana Lima", "Proposal"])
    deals.write_formula(1, 4, '=IF(F2="","",F2*G2)', None, "")
    deals.write_datetime(1, 7, dt.datetime(2025, 12, 1), dates)
    deals.write_datetime(1, 8, dt.datetime(2025, 10, 6), dates)
    lists = workbook.add_worksheet("Lists")
    lists.write_column(0, 0, ["Owner", "Ana Lima"])
    lists.write_column(0, 1, ["Product", "Starter plan"])
    workbook.close()
    pipeline = load_pipeline(shipped_definition("b2b-en"))

    result = run_once(path, pipeline, dry_run=True)

    assert [finding.code for finding in result.findings] == [Code.MISSING_REQUIRED]
    assert render_message(result.findings[0], Locale.EN) == (
        "Amount is required in stage 'Proposal', but the formula in E2 gives an "
        "empty result; fill in the cells it reads, or correct the formula."
    )


def save_deals_tab(path: Path, header: list[str], row: list[object]) -> None:
    """Save a workbook whose tab 'Deals' has ``header`` and one deal row."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Deals"
    sheet.append(header)
    sheet.append(row)
    workbook.save(path)


def test_option_column_missing_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    save_deals_tab(
        tmp_path / "deals.xlsx", ["Deal ID", "Stage", "Closed"], ["D-1", "Won", None]
    )
    data = {
        "name": "Win rate period",
        "source": {"path": "deals.xlsx", "tab": "Deals"},
        "columns": {
            "id": {"aliases": ["Deal ID"]},
            "stage": {"aliases": ["Stage"]},
            "close_date": {"aliases": ["Close Date"]},
        },
        "stages": [{"name": "Lead"}, {"name": "Won", "outcome": "won"}],
        "followups": {"require_next_step_date": False},
        "metrics": {"win_rate_days": 90},
    }
    pipeline = parse_pipeline(data, origin="pipeline.yaml")

    with caplog.at_level(logging.WARNING, logger="sync.run"):
        result = run_once(tmp_path / "deals.xlsx", pipeline, dry_run=True)

    assert [record.getMessage() for record in caplog.records] == [
        (
            "Workbook 'deals.xlsx', tab 'Deals': metrics.win_rate_days reads the field "
            "'close_date' (looked for 'Close Date', nearest header 'Closed' in column "
            "C), which has no column. This option counts the deals that closed in the "
            "period by their close date, so the period is not applied: win rates, won "
            "and lost figures, the average cycle and velocity count every closed "
            "deal, as without the option. Headers found: A 'Deal ID', B 'Stage', C "
            "'Closed'. Rename the header in the sheet, or add the sheet's header text "
            "to the field's aliases in the definition. If the sheet does not keep "
            "that column, delete metrics.win_rate_days from the definition."
        )
    ]
    assert result.metrics.period_start is None
    assert result.metrics.won == 1
    assert result.metrics.win_rate == 1.0


def test_options_reading_one_missing_column_warn_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    save_deals_tab(
        tmp_path / "deals.xlsx",
        ["Deal ID", "Stage", "Snooze Until"],
        ["D-1", "Lead", None],
    )
    data = {
        "name": "Follow-up options",
        "source": {"path": "deals.xlsx", "tab": "Deals"},
        "columns": {
            "id": {"aliases": ["Deal ID"]},
            "stage": {"aliases": ["Stage"]},
            "next_step_date": {"aliases": ["Next Step Date"]},
            "snooze_until": {"aliases": ["Snooze Until"]},
        },
        "stages": [{"name": "Lead"}, {"name": "Won", "outcome": "won"}],
        "followups": {"require_next_step_date": True, "due_soon_days": 3},
    }
    pipeline = parse_pipeline(data, origin="pipeline.yaml")

    with caplog.at_level(logging.WARNING, logger="sync.run"):
        run_once(tmp_path / "deals.xlsx", pipeline, dry_run=True)

    assert [record.getMessage() for record in caplog.records] == [
        (
            "Workbook 'deals.xlsx', tab 'Deals': 3 options read the field "
            "'next_step_date' (looked for 'Next Step Date'), which has no column. "
            "followups.require_next_step_date asks open deals for a next-step "
            "date, so it does nothing. followups.due_soon_days lists the next "
            "steps due within this many days as due soon, so it does nothing. "
            "columns.snooze_until silences the follow-ups of the next-step date "
            "column, so it does nothing. Headers found: A 'Deal ID', B 'Stage', "
            "C 'Snooze Until'. Rename the header in the sheet, or add the sheet's "
            "header text to the field's aliases in the definition. If the sheet "
            "does not keep that column, delete these options from the "
            "definition: followups.require_next_step_date, "
            "followups.due_soon_days, columns.snooze_until."
        )
    ]


def build_month_first_workbook(path: Path) -> Path:
    """Save a tab whose dates are typed as text, month first, as a US team types."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Deals"
    sheet.append(
        ["Deal ID", "Account", "Owner", "Stage", "Amount", "Expected Close"]
        + ["Next Step Date", "Lost Reason"]
    )
    sheet.append(["U-1", "Globex", "Ana", "Demo", 1000, "12/31/2026", "12/07/2026"])
    sheet.append(["U-2", "Initech", "Ana", "Demo", 2000, "01/10/2027", "12/04/2026"])
    workbook.create_sheet("Lists").append(["Owner", "Product"])
    workbook.save(path)
    return path


def test_month_first_text_dates_warned_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = build_month_first_workbook(tmp_path / "pipeline.xlsx")
    pipeline = load_pipeline(shipped_definition("b2b-en"))

    with caplog.at_level(logging.WARNING, logger="sync.run"):
        result = run_sync(
            pipeline, ExcelWorkbook(path), dt.date(2026, 12, 5), dry_run=True
        )

    warnings = [
        record.getMessage()
        for record in caplog.records
        if "date_order" in record.getMessage()
    ]
    assert warnings == [
        (
            "Workbook 'pipeline.xlsx', tab 'Deals', column 'Expected Close': the "
            "text date F2 '12/31/2026' is valid only when read month first, but "
            "the definition's date_order is 'dmy'. Its dates that read either "
            "way (1 in the column), such as F3 '01/10/2027', are read day first "
            "(as 2027-10-01) and may be wrong. If the sheet's dates are written "
            "month first, set date_order: mdy in the definition. The setting "
            "applies to every date column of the tab."
        )
    ]
    date_findings = [
        (finding.row, finding.code, finding.value)
        for finding in result.findings
        if finding.field in ("close_date", "next_step_date")
    ]
    assert date_findings == [
        (2, Code.BAD_DATE, "12/31/2026"),
        (2, Code.FOLLOWUP_OVERDUE, "12/07/2026 → 2026-07-12"),
        (3, Code.FOLLOWUP_OVERDUE, "12/04/2026 → 2026-04-12"),
    ]


def hide_columns_from_status(path: Path) -> None:
    """Hide every column from the starter's status column R to the last."""
    book = openpyxl.load_workbook(path)
    book["Deals"].column_dimensions.group("R", "XFD", hidden=True)
    book.save(path)


def test_hidden_status_column_warned(
    english: tuple[Path, Pipeline], caplog: pytest.LogCaptureFixture
) -> None:
    path, pipeline = english
    hide_columns_from_status(path)

    with caplog.at_level(logging.WARNING, logger="sync.run"):
        run_once(path, pipeline)

    assert [record.getMessage() for record in caplog.records] == [
        (
            "Workbook 'pipeline.xlsx', tab 'Deals': the status column R is hidden, "
            "so nobody sees the statuses pipesheet writes there. Unhide column R: "
            "select columns Q to S, right-click a column header and choose Unhide."
        )
    ]


def test_visible_status_column_not_warned(
    english: tuple[Path, Pipeline], caplog: pytest.LogCaptureFixture
) -> None:
    path, pipeline = english

    with caplog.at_level(logging.WARNING, logger="sync.run"):
        run_once(path, pipeline)

    assert not any("is hidden" in record.getMessage() for record in caplog.records)


def test_run_warns_of_default_check_columns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    definition = write_renamed_followup_columns(tmp_path)
    pipeline = load_pipeline(definition)
    source = ExcelWorkbook(tmp_path / "deals.xlsx")

    with caplog.at_level(logging.WARNING, logger="sync.run"):
        result = run_sync(pipeline, source, dt.date(2026, 6, 30), dry_run=True)

    assert [record.getMessage() for record in caplog.records] == (
        DEFAULT_COLUMN_WARNINGS
    )
    assert result.followups == []


def test_long_numeric_id_lost_digits(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.xlsx"
    workbook = xlsxwriter.Workbook(path)
    deals = workbook.add_worksheet("Deals")
    deals.write_row(0, 0, ["Deal ID", "Stage"])
    deals.write_row(1, 0, [12345678901234567890, "Lead"])
    deals.write_row(2, 0, [123456789012345, "Lead"])
    workbook.close()
    data = {
        "name": "Long IDs",
        "source": {"path": "pipeline.xlsx", "tab": "Deals"},
        "columns": {"id": {"aliases": ["Deal ID"]}, "stage": {"aliases": ["Stage"]}},
        "stages": [{"name": "Lead"}, {"name": "Won", "outcome": "won"}],
        "followups": {"require_next_step_date": False},
    }
    pipeline = parse_pipeline(data, origin="pipeline.yaml")

    result = run_once(path, pipeline, dry_run=True)

    assert [(f.code, f.row) for f in result.findings] == [(Code.ID_NOT_TEXT, 2)]
    assert render_message(result.findings[0], Locale.EN) == (
        "Deal ID '1.23456789012346E+19' is a number of 20 digits, more than the 15 "
        "significant digits that spreadsheets keep, so digits of the ID are lost, "
        "and the cell reads as 12345678901234569216; type the full ID as text, for "
        "example with the column formatted as Text."
    )


def test_tab_over_sheet_rows_cut_with_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 30 deals give the Problems tab more rows than a sheet of 20 rows holds.
    monkeypatch.setattr("sync.tab_rows.MAX_SHEET_ROWS", 20)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Deals"
    sheet.append(["Deal ID", "Stage"])
    for number in range(30):
        sheet.append([f"D-{number}", "Proposl"])
    workbook.save(tmp_path / "deals.xlsx")
    data = {
        "name": "Row limit",
        "source": {"path": "deals.xlsx", "tab": "Deals"},
        "columns": {"id": {"aliases": ["Deal ID"]}, "stage": {"aliases": ["Stage"]}},
        "stages": [{"name": "Proposal"}, {"name": "Won", "outcome": "won"}],
        "followups": {"require_next_step_date": False},
    }
    pipeline = parse_pipeline(data, origin="pipeline.yaml")

    with caplog.at_level(logging.WARNING, logger="sync.run"):
        result = run_once(tmp_path / "deals.xlsx", pipeline)

    problems = next(tab for tab in result.plan.tabs if tab.name == "Problems")
    warnings = [record.getMessage() for record in caplog.records]
    assert len(problems.grid) == 20
    assert str(problems.grid[-1][0]).startswith("… and ")
    assert [message for message in warnings if "tab 'Problems' needs" in message]
