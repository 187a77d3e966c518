from __future__ import annotations

import pytest

from config.errors import SheetLayoutError
from config.models import ColumnSpec, Pipeline, SourceConfig
from rules.grid import CellValue, SheetGrid
from rules.headers import find_stage, match_columns, normalize_header

ENGLISH_HEADER: list[CellValue] = [
    "Deal ID",
    "Account",
    "Owner",
    "Stage",
    "Amount",
    "Probability",
    "Product",
    "Lead Source",
    "Created",
    "Expected Close",
    "Next Step",
    "Next Step Date",
    "Stage Entered",
    "Snooze Until",
    "Acknowledged",
    "Lost Reason",
    "Notes",
]

CHINESE_HEADER: list[CellValue] = [
    "商机编号",
    "客户名称",
    "负责人",
    "阶段",
    "预计金额",
    "赢率",
    "产品",
    "线索来源",
    "创建日期",
    "预计成交日期",
    "下一步",
    "下次跟进日期",
    "进入阶段日期",
    "暂缓至",
    "已确认",
    "丢单原因",
    "备注",
]


def deals_tab(*rows: list[CellValue]) -> SheetGrid:
    return SheetGrid(workbook="Pipeline.xlsx", tab="Deals", rows=list(rows))


def with_header_row(pipeline: Pipeline, header_row: int) -> Pipeline:
    source = SourceConfig(tab="Deals", header_row=header_row)
    return pipeline.model_copy(update={"source": source})


def with_required(pipeline: Pipeline, field: str) -> Pipeline:
    columns = dict(pipeline.columns)
    columns[field] = ColumnSpec(aliases=columns[field].aliases, required=True)
    return pipeline.model_copy(update={"columns": columns})


# normalize_header


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Deal ID", "deal id"),
        ("  Next step date ", "next step date"),
        ("Next\u00a0Step\u00a0Date", "next step date"),
        ("Next \t Step\nDate", "next step date"),
        ("阶段\u3000", "阶段"),
        ("ＤＥＡＬ　ＩＤ", "deal id"),
        ("ﾃﾞｰﾀ", "データ"),
        ("Deal\u200bID", "dealid"),
        ("Straße", "strasse"),
        (2025, "2025"),
        (2025.0, "2025"),
        (None, ""),
        ("   ", ""),
    ],
    ids=[
        "plain",
        "outer-spaces",
        "no-break-spaces",
        "tab-and-newline",
        "ideographic-space",
        "full-width",
        "half-width-katakana",
        "zero-width-space",
        "casefold-sharp-s",
        "int",
        "whole-float",
        "none",
        "only-spaces",
    ],
)
def test_normalize_header_folds_forms(text: object, expected: str) -> None:
    assert normalize_header(text) == expected


# header row


def test_auto_header_row_skips_title_rows(english_pipeline: Pipeline) -> None:
    grid = deals_tab(
        ["Sales pipeline"],
        [],
        ENGLISH_HEADER,
        ["D-1", "Acme", "Ana Lima", "Lead"],
    )

    columns = match_columns(grid, english_pipeline)

    assert columns.header_row == 3
    assert columns.fields["id"] == 0
    assert columns.fields["stage"] == 3
    assert columns.fields["lost_reason"] == 15
    assert "Notes" not in columns.fields
    assert len(columns.fields) == 16
    assert columns.headers == ENGLISH_HEADER


def test_auto_header_row_prefers_most_matches(english_pipeline: Pipeline) -> None:
    grid = deals_tab(
        ["Deal ID and Stage must be filled in"],
        ["ID", "Stage"],
        ["Deal ID", "Owner", "Stage", "Amount"],
    )

    columns = match_columns(grid, english_pipeline)

    assert columns.header_row == 3


def test_banner_row_and_renamed_header(
    english_pipeline: Pipeline,
) -> None:
    grid = deals_tab(
        ["Q3 pipeline — do not sort"],
        ["Deal ID", "Stage", "next step date ", "Status"],
        ["D-201", "Proposal", "2025-09-01"],
    )

    columns = match_columns(grid, english_pipeline)

    assert columns.header_row == 2
    assert columns.fields["next_step_date"] == 2
    assert columns.header_of("next_step_date") == "next step date"


def test_header_search_stops_at_row_thirty(
    english_pipeline: Pipeline,
) -> None:
    grid = deals_tab(*([["note"]] * 30), ["Deal ID", "Stage"])

    with pytest.raises(SheetLayoutError):
        match_columns(grid, english_pipeline)


def test_configured_header_row_used(english_pipeline: Pipeline) -> None:
    grid = deals_tab(
        ["Sales pipeline"],
        ["Deal ID", "Stage"],
        ["Deal ID", "Owner", "Stage", "Amount"],
    )

    columns = match_columns(grid, with_header_row(english_pipeline, 2))

    assert columns.header_row == 2
    assert columns.fields == {"id": 0, "stage": 1}


def test_no_header_row_message(
    english_pipeline: Pipeline,
) -> None:
    grid = deals_tab(["Sales pipeline"], [], ["Opp", "Phase", "Rep"])

    with pytest.raises(SheetLayoutError) as error:
        match_columns(grid, english_pipeline)

    assert str(error.value) == (
        "Workbook 'Pipeline.xlsx', tab 'Deals': no header row found in the first 30 "
        "rows. The header row must name both the id and the stage column; looked "
        "for id: 'Deal ID', 'ID', 'Opportunity ID'; stage: 'Stage', 'Deal Stage'. "
        "In the sheet, row 1 contains A 'Sales pipeline'; row 3 contains A 'Opp', "
        "B 'Phase', C 'Rep'. Rename those headers to one of the aliases, add the "
        "sheet's header texts to the aliases in the definition, or set "
        "source.header_row."
    )


def test_header_below_search_named(english_pipeline: Pipeline) -> None:
    empty: list[list[CellValue]] = [[] for _ in range(40)]
    grid = deals_tab(*empty, ["Deal ID", "Stage"], ["D-1", "Lead"])

    with pytest.raises(SheetLayoutError) as error:
        match_columns(grid, english_pipeline)

    message = str(error.value)
    assert "In the sheet, rows 1 to 40 contain nothing; row 41 contains A 'Deal " in (
        message
    )
    assert message.endswith(
        "row 42 contains A 'D-1', B 'Lead'. Row 41 names the id and stage "
        "columns: set source.header_row to 41 in the definition."
    )


def test_no_header_shows_first_filled_rows(english_pipeline: Pipeline) -> None:
    empty: list[list[CellValue]] = [[] for _ in range(5)]
    grid = deals_tab(*empty, ["Opp", "Phase"], [], ["O-1", "new"], ["O-2", "won"])

    with pytest.raises(SheetLayoutError) as error:
        match_columns(grid, english_pipeline)

    assert (
        "In the sheet, rows 1 to 5 contain nothing; row 6 contains A 'Opp', "
        "B 'Phase'; row 8 contains A 'O-1', B 'new'; row 9 contains A 'O-2', "
        "B 'won'. Rename those headers"
    ) in str(error.value)


EMPTY_TAB_MESSAGE = (
    "Tab 'Deals' of workbook 'Pipeline.xlsx' is empty: add a header row that names "
    "the id and stage columns (such as 'Deal ID' and 'Stage') with one deal per "
    "row below it, or point source.tab in the pipeline definition at the tab that "
    "contains the deals."
)


@pytest.mark.parametrize(
    ("rows", "header_row"),
    [([], "auto"), ([[None, "  "], [], [None]], "auto"), ([], 1)],
    ids=["no-rows", "blank-cells", "configured-header-row"],
)
def test_empty_tab_says_it_is_empty(
    english_pipeline: Pipeline, rows: list[list[CellValue]], header_row: int | str
) -> None:
    source = SourceConfig(tab="Deals", header_row=header_row)
    pipeline = english_pipeline.model_copy(update={"source": source})

    with pytest.raises(SheetLayoutError) as error:
        match_columns(deals_tab(*rows), pipeline)

    assert str(error.value) == EMPTY_TAB_MESSAGE


# whitespace and width forms


def test_headers_match_despite_spaces_and_nbsp(english_pipeline: Pipeline) -> None:
    grid = deals_tab(
        ["Deal\u00a0ID", " Stage", "Next Step Date ", "pipesheet\u00a0status"]
    )

    columns = match_columns(grid, english_pipeline)

    assert columns.fields == {"id": 0, "stage": 1, "next_step_date": 2}
    assert columns.status_column == 3
    assert columns.headers == ["Deal ID", "Stage", "Next Step Date", "pipesheet status"]


def test_header_line_break_shown_as_space(english_pipeline: Pipeline) -> None:
    grid = deals_tab(["Deal\nID", "Stage", "Amount\r\n ($)"], ["", "Lead", 100])

    columns = match_columns(grid, english_pipeline)

    assert columns.fields == {"id": 0, "stage": 1}
    assert columns.headers == ["Deal ID", "Stage", "Amount ($)"]
    assert columns.header_of("id") == "Deal ID"


def test_full_width_headers_match(english_pipeline: Pipeline) -> None:
    grid = deals_tab(["ＤＥＡＬ　ＩＤ", "ＳＴＡＧＥ"])

    columns = match_columns(grid, english_pipeline)

    assert columns.fields == {"id": 0, "stage": 1}


def test_chinese_headers_below_title(chinese_pipeline: Pipeline) -> None:
    grid = SheetGrid(
        workbook="销售.xlsx",
        tab="商机",
        rows=[["销售漏斗"], [], [*CHINESE_HEADER, "pipesheet 状态"]],
    )

    columns = match_columns(grid, chinese_pipeline)

    assert columns.header_row == 3
    assert columns.fields["id"] == 0
    assert columns.fields["stage"] == 3
    assert columns.fields["amount"] == 4
    assert columns.fields["acknowledged"] == 14
    assert len(columns.fields) == 16
    assert columns.status_column == 17


def test_chinese_header_with_ideographic_space(chinese_pipeline: Pipeline) -> None:
    grid = SheetGrid(workbook="销售.xlsx", tab="商机", rows=[["商机编号　", "　阶段"]])

    columns = match_columns(grid, chinese_pipeline)

    assert columns.fields == {"id": 0, "stage": 1}


@pytest.mark.parametrize(
    "typed",
    ["商机\n编号", "商机\r\n编号", "商机 编号", "商机\u3000编号", "商机 \n 编号"],
    ids=["line-break", "crlf", "space", "ideographic-space", "spaces-around-break"],
)
def test_wrapped_chinese_header_matches(chinese_pipeline: Pipeline, typed: str) -> None:
    grid = SheetGrid(
        workbook="销售.xlsx",
        tab="商机",
        rows=[["2026年销售商机跟踪表"], [], [typed, "销售阶段", "下次跟进\n日期"]],
    )

    columns = match_columns(grid, chinese_pipeline)

    assert columns.header_row == 3
    assert columns.fields == {"id": 0, "stage": 1, "next_step_date": 2}


@pytest.mark.parametrize(
    "typed", ["商机\nID", "商机 ID", "商机ID"], ids=["line-break", "space", "joined"]
)
def test_chinese_header_with_latin_matches(
    chinese_pipeline: Pipeline, typed: str
) -> None:
    columns = dict(chinese_pipeline.columns)
    columns["id"] = ColumnSpec(aliases=["商机ID"])
    pipeline = chinese_pipeline.model_copy(update={"columns": columns})
    grid = SheetGrid(workbook="销售.xlsx", tab="商机", rows=[[typed, "销售阶段"]])

    assert match_columns(grid, pipeline).fields == {"id": 0, "stage": 1}


# duplicates


def test_duplicate_mapped_header_names_both_columns(
    english_pipeline: Pipeline,
) -> None:
    grid = deals_tab(
        ["Deal ID", "Owner", "Stage", "Owner"],
        ["D-102", "Ana Lima", "Proposal", "Ben Ortiz"],
    )

    with pytest.raises(SheetLayoutError) as error:
        match_columns(grid, english_pipeline)

    assert str(error.value) == (
        "Workbook 'Pipeline.xlsx', tab 'Deals': the field 'owner' matches more than "
        "one column in header row 1: 'Owner' in column B and 'Owner' in column D. "
        "pipesheet does not pick one or edit headers. Rename one of these headers "
        "in the sheet, or change the aliases of 'owner' in the definition so that "
        "only one header matches (for example a more specific header text)."
    )


def test_duplicate_header_names_first_two_columns(
    english_pipeline: Pipeline,
) -> None:
    grid = deals_tab(
        ["Owner", "Owner", "Owner.1", "Deal ID", "Stage"],
        ["Ana Lima", "Ben Ortiz", "Chen Wei", "D-1", "Lead"],
    )

    with pytest.raises(SheetLayoutError) as error:
        match_columns(grid, english_pipeline)

    assert "'Owner' in column A and 'Owner' in column B." in str(error.value)


def test_two_aliases_same_field_ambiguous(english_pipeline: Pipeline) -> None:
    grid = deals_tab(["Deal ID", "Stage", "Owner", "Sales Rep"])

    with pytest.raises(SheetLayoutError, match="'Owner' in column C and 'Sales Rep'"):
        match_columns(grid, english_pipeline)


def test_mangled_duplicate_name_is_not_mapped(english_pipeline: Pipeline) -> None:
    grid = deals_tab(["Deal ID", "Stage", "Owner.1"])

    columns = match_columns(grid, english_pipeline)

    assert "owner" not in columns.fields


def test_duplicate_unmapped_headers_are_allowed(english_pipeline: Pipeline) -> None:
    grid = deals_tab(["Deal ID", "Notes", "Stage", "Notes"])

    columns = match_columns(grid, english_pipeline)

    assert columns.fields == {"id": 0, "stage": 2}
    assert columns.headers == ["Deal ID", "Notes", "Stage", "Notes"]


def test_duplicate_status_header_is_rejected(english_pipeline: Pipeline) -> None:
    grid = deals_tab(["Deal ID", "Stage", "pipesheet status", "Pipesheet Status"])

    with pytest.raises(SheetLayoutError) as error:
        match_columns(grid, english_pipeline)

    assert str(error.value) == (
        "Workbook 'Pipeline.xlsx', tab 'Deals': the status header 'pipesheet status' "
        "appears in columns C and D of header row 1, so pipesheet cannot tell where "
        "to write. Delete or rename all but one of these columns."
    )


# required columns


def test_missing_required_column_suggests_nearest(english_pipeline: Pipeline) -> None:
    grid = deals_tab(["Deal ID", "Stage", "Ownr", "Amount"])

    with pytest.raises(SheetLayoutError) as error:
        match_columns(grid, with_required(english_pipeline, "owner"))

    assert str(error.value) == (
        "Workbook 'Pipeline.xlsx', tab 'Deals': required columns are missing in "
        "header row 1. No column for 'owner' (looked for 'Owner', 'Rep', "
        "'Sales Rep'); the nearest header is 'Ownr' in column C. Headers found: "
        "A 'Deal ID', B 'Stage', C 'Ownr', D 'Amount'. Rename the header in the "
        "sheet, or add the sheet's header text to the field's aliases in the "
        "definition."
    )


def test_nearest_header_skips_mapped_columns(english_pipeline: Pipeline) -> None:
    # 'Account' is nearer to 'Amount' than 'Amt' is, but the account field reads it.
    grid = deals_tab(["Deal ID", "Account", "Stage", "Amt"])

    with pytest.raises(SheetLayoutError) as error:
        match_columns(grid, with_required(english_pipeline, "amount"))

    assert "the nearest header is 'Amt' in column D." in str(error.value)


def test_configured_header_row_missing_stage(english_pipeline: Pipeline) -> None:
    grid = deals_tab(["Deal ID", "Phase"], ["D-1", "Lead"])

    with pytest.raises(SheetLayoutError) as error:
        match_columns(grid, with_header_row(english_pipeline, 1))

    assert str(error.value) == (
        "Workbook 'Pipeline.xlsx', tab 'Deals': required columns are missing in "
        "header row 1. No column for 'stage' (looked for 'Stage', 'Deal Stage'). "
        "Headers found: A 'Deal ID', B 'Phase'. Rename the header in the sheet, or "
        "add the sheet's header text to the field's aliases in the definition."
    )


def test_moved_headers_row_suggested(english_pipeline: Pipeline) -> None:
    grid = deals_tab(["Sales pipeline"], [], ["Deal ID", "Stage"], ["D-1", "Lead"])

    with pytest.raises(SheetLayoutError) as error:
        match_columns(grid, with_header_row(english_pipeline, 2))

    assert str(error.value) == (
        "Workbook 'Pipeline.xlsx', tab 'Deals': required columns are missing in "
        "header row 2. No column for 'id' (looked for 'Deal ID', 'ID', 'Opportunity "
        "ID'). No column "
        "for 'stage' (looked for 'Stage', 'Deal Stage'). Headers found: none (the "
        "row is empty). Row 3 names the id and stage columns: set "
        "source.header_row to 3, or to auto, in the definition."
    )


def test_configured_header_row_past_the_end(english_pipeline: Pipeline) -> None:
    grid = deals_tab(["Deal ID", "Stage"])

    with pytest.raises(SheetLayoutError, match="Headers found: none"):
        match_columns(grid, with_header_row(english_pipeline, 5))


def test_optional_missing_column_is_unmapped(english_pipeline: Pipeline) -> None:
    columns = match_columns(deals_tab(["Deal ID", "Stage"]), english_pipeline)

    assert "owner" not in columns.fields


# status column and width


def test_status_column_absent_is_none(english_pipeline: Pipeline) -> None:
    columns = match_columns(deals_tab(["Deal ID", "Stage"]), english_pipeline)

    assert columns.status_column is None


def test_statuses_under_blank_header_are_status_column(
    english_pipeline: Pipeline,
) -> None:
    grid = deals_tab(
        ["Deal ID", "Stage", None, "Notes"],
        ["D-1", "Lead", "OK", "call back"],
        ["D-2", "Lead", "ERROR: missing Amount", None],
        ["D-3", "Lead", "WARN: follow-up 2 days overdue", None],
    )

    columns = match_columns(grid, english_pipeline)

    assert columns.status_column == 2
    assert columns.old_status_columns == ()


def test_blank_header_beside_status_header_is_old(
    english_pipeline: Pipeline,
) -> None:
    grid = deals_tab(
        ["Deal ID", "Stage", None, "pipesheet status"],
        ["D-1", "Lead", "OK", "OK"],
        ["D-2", "Lead", "ERROR: missing Amount", "OK"],
    )

    columns = match_columns(grid, english_pipeline)

    assert columns.status_column == 3
    assert columns.old_status_columns == (2,)


def test_notes_under_blank_header_not_status_column(
    english_pipeline: Pipeline,
) -> None:
    grid = deals_tab(
        ["Deal ID", "Stage", None],
        ["D-1", "Lead", "OK"],
        ["D-2", "Lead", "call back"],
    )

    columns = match_columns(grid, english_pipeline)

    assert columns.status_column is None
    assert columns.old_status_columns == ()


def test_headers_cover_blank_header_content(
    english_pipeline: Pipeline,
) -> None:
    grid = deals_tab(
        ["Deal ID", "Stage"],
        ["D-103", "Lead"],
        ["D-104", "Closed Won", None, "Q3 target 40k", None, ""],
    )

    columns = match_columns(grid, english_pipeline)

    assert columns.headers == ["Deal ID", "Stage", "", ""]


# find_stage


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Closed Won", "Closed Won"),
        ("  closed\u00a0WON ", "Closed Won"),
        ("Won", "Closed Won"),
        ("ＱＵＯＴＥ", "Proposal"),
        ("\u200fClosed Won\u200f", "Closed Won"),
        ("Closed", None),
        ("", None),
        (None, None),
        (3, None),
    ],
    ids=[
        "name",
        "spaces-and-case",
        "alias",
        "full-width-alias",
        "rtl-marks",
        "unknown",
        "blank",
        "none",
        "number",
    ],
)
def test_find_stage_by_name_or_alias(
    english_pipeline: Pipeline, label: object, expected: str | None
) -> None:
    stage = find_stage(label, english_pipeline)

    assert (stage.name if stage else None) == expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("签约成交", "签约成交"),
        ("谈判", "异议处理与谈判"),
        (" 丢单　", "丢单"),
        ("线索\u3000收集", "线索收集"),
    ],
    ids=["name", "alias", "ideographic-space", "space-inside"],
)
def test_find_stage_chinese_labels(
    chinese_pipeline: Pipeline, label: str, expected: str
) -> None:
    stage = find_stage(label, chinese_pipeline)

    assert stage is not None
    assert stage.name == expected


def test_deal_above_header_rejected(english_pipeline: Pipeline) -> None:
    grid = deals_tab(
        ["D-1", "Lead"],
        ["D-2", "Won"],
        [],
        ["Deal ID", "Stage"],
    )

    with pytest.raises(SheetLayoutError) as error:
        match_columns(grid, english_pipeline)

    assert str(error.value) == (
        "Workbook 'Pipeline.xlsx', tab 'Deals': row 1, above the header row 4, "
        "looks like a deal ('D-1' in stage 'Lead'), so the header row was probably "
        "sorted in with the deals. Undo that sort, or move the header row back "
        "above the deals, then sort with the header row left out."
    )


def test_title_rows_above_header_accepted(english_pipeline: Pipeline) -> None:
    grid = deals_tab(
        ["Pipeline 2025", "kept by sales ops"],
        [None, "Won"],
        ["Deal ID", "Stage"],
        ["D-1", "Lead"],
    )

    assert match_columns(grid, english_pipeline).header_row == 3


SORTED_IN_HEADER = ["Deal ID", "Owner", "Stage", "Amount"]


@pytest.mark.parametrize(
    "above",
    [
        [["Show stage:", None, "Proposal"]],
        [["Deals by stage", "Count"], ["Lead", 1], ["Won", 2]],
        [["Top deal", None, "Won"]],
    ],
    ids=["filter-row", "count-block", "note"],
)
def test_block_above_header_accepted(
    english_pipeline: Pipeline, above: list[list[CellValue]]
) -> None:
    grid = deals_tab(*above, [], SORTED_IN_HEADER, ["D-1", "Ana", "Lead", 100])

    assert match_columns(grid, english_pipeline).header_row == len(above) + 2


def test_sorted_in_header_with_four_columns(english_pipeline: Pipeline) -> None:
    grid = deals_tab(["D-1", "Ana", "Lead", 100], SORTED_IN_HEADER)

    with pytest.raises(SheetLayoutError, match="row 1, above the header row 2"):
        match_columns(grid, english_pipeline)


def test_set_header_row_taken_as_is(english_pipeline: Pipeline) -> None:
    grid = deals_tab(["D-1", "Ana", "Lead", 100], SORTED_IN_HEADER)

    columns = match_columns(grid, with_header_row(english_pipeline, 2))

    assert columns.header_row == 2


# headers over two rows

# Deal ID, Account, Owner, Stage and Lost Reason name one column each, and
# the group titles Deal and Dates have the names of their columns below them.
GROUP_TITLES: list[CellValue] = [
    "Deal ID",
    "Account",
    "Owner",
    "Stage",
    "Deal",
    None,
    "Dates",
    None,
    "Lost Reason",
]
GROUPED_COLUMNS: list[CellValue] = [
    None,
    None,
    None,
    None,
    "Amount",
    "Probability",
    "Expected Close",
    "Next Step Date",
]
TWO_ROW_DEAL: list[CellValue] = ["M1", "Acme", "Ana Lima", "Demo", 1000, 0.4]
# Each single-column header merged down over rows 1-2 (A, B, C, D, I), each
# group title across its columns (E1:F1, G1:H1).
TWO_ROW_MERGES = [
    (1, 0, 2, 0),
    (1, 1, 2, 1),
    (1, 2, 2, 2),
    (1, 3, 2, 3),
    (1, 4, 1, 5),
    (1, 6, 1, 7),
    (1, 8, 2, 8),
]
TWO_ROW_HEADERS = [
    "Deal ID",
    "Account",
    "Owner",
    "Stage",
    "Amount",
    "Probability",
    "Expected Close",
    "Next Step Date",
    "Lost Reason",
]
JOIN_ROWS_1_AND_2 = (
    "The header is split over rows 1 and 2, but pipesheet reads the column names "
    "from one row. Make row 2 name every column: type each name of row 1 that has "
    "an empty cell below it into that cell (A2 'Deal ID', B2 'Account', C2 "
    "'Owner', D2 'Stage', I2 'Lost Reason'), or merge the two cells (A1:A2, "
    "B1:B2, C1:C2, D1:D2, I1:I2). pipesheet reads merged cells in .xlsx and .xlsm "
    "files and in Google Sheets, not in .ods and .xls files."
)


def two_row_tab(merged: list[tuple[int, int, int, int]]) -> SheetGrid:
    rows = [GROUP_TITLES, GROUPED_COLUMNS, TWO_ROW_DEAL]
    return SheetGrid("Pipeline.xlsx", "Deals", rows, merged=merged)


@pytest.mark.parametrize("header_row", ["auto", 2], ids=["auto", "set-to-2"])
def test_merged_two_row_header_read_from_row_2(
    english_pipeline: Pipeline, header_row: int | str
) -> None:
    source = SourceConfig(tab="Deals", header_row=header_row)
    pipeline = english_pipeline.model_copy(update={"source": source})

    columns = match_columns(two_row_tab(TWO_ROW_MERGES), pipeline)

    assert columns.header_row == 2
    assert columns.headers == TWO_ROW_HEADERS
    assert columns.fields == {
        "id": 0,
        "account": 1,
        "owner": 2,
        "stage": 3,
        "amount": 4,
        "probability": 5,
        "close_date": 6,
        "next_step_date": 7,
        "lost_reason": 8,
    }
    assert columns.status_column is None


def test_merged_two_row_header_set_to_row_1(english_pipeline: Pipeline) -> None:
    pipeline = with_header_row(with_required(english_pipeline, "amount"), 1)

    with pytest.raises(SheetLayoutError) as error:
        match_columns(two_row_tab(TWO_ROW_MERGES), pipeline)

    assert str(error.value).endswith(
        "Row 2 names the id and stage columns: set source.header_row to 2, or to "
        "auto, in the definition."
    )


def test_group_title_with_units_stays_header(english_pipeline: Pipeline) -> None:
    # Amount merged across C1:D1 with the currencies below it: row 2 names
    # fewer fields than row 1, which stays the header.
    grid = SheetGrid(
        "Pipeline.xlsx",
        "Deals",
        [["Deal ID", "Stage", "Amount", None], [None, None, "USD", "EUR"]],
        merged=[(1, 0, 2, 0), (1, 1, 2, 1), (1, 2, 1, 3)],
    )

    columns = match_columns(grid, english_pipeline)

    assert columns.header_row == 1
    assert columns.fields == {"id": 0, "stage": 1, "amount": 2}


def test_split_header_auto_asks_to_join(english_pipeline: Pipeline) -> None:
    pipeline = with_required(english_pipeline, "amount")

    with pytest.raises(SheetLayoutError) as error:
        match_columns(two_row_tab([]), pipeline)

    assert str(error.value) == (
        "Workbook 'Pipeline.xlsx', tab 'Deals': required columns are missing in "
        "header row 1. No column for 'amount' (looked for 'Amount', 'Deal Value'); "
        "the nearest header is 'Deal' in column E. Headers found: A 'Deal ID', B "
        "'Account', C 'Owner', D 'Stage', E 'Deal', G 'Dates', I 'Lost Reason'. Row "
        f"2 names 'Amount' in E2. {JOIN_ROWS_1_AND_2}"
    )


def test_split_header_set_to_lower_row(english_pipeline: Pipeline) -> None:
    pipeline = with_header_row(with_required(english_pipeline, "amount"), 2)

    with pytest.raises(SheetLayoutError) as error:
        match_columns(two_row_tab([]), pipeline)

    assert str(error.value) == (
        "Workbook 'Pipeline.xlsx', tab 'Deals': required columns are missing in "
        "header row 2. No column for 'id' (looked for 'Deal ID', 'ID', 'Opportunity "
        "ID'). No column for 'stage' (looked for 'Stage', 'Deal Stage'). Headers "
        "found: E 'Amount', F 'Probability', G 'Expected Close', H 'Next Step "
        f"Date'. Row 1 names 'Deal ID' in A1, 'Stage' in D1. {JOIN_ROWS_1_AND_2}"
    )


def test_split_header_set_to_upper_row(english_pipeline: Pipeline) -> None:
    pipeline = with_header_row(with_required(english_pipeline, "amount"), 1)

    with pytest.raises(SheetLayoutError) as error:
        match_columns(two_row_tab([]), pipeline)

    assert str(error.value).endswith(
        f"Row 2 names 'Amount' in E2. {JOIN_ROWS_1_AND_2} Then set "
        "source.header_row to 2 in the definition."
    )


GROUPED_BELOW_ROW_1 = (
    "row 2, below the header row 1, names more columns ('Amount' in E2, "
    "'Probability' in F2, 'Expected Close' in G2, 'Next Step Date' in H2), so it "
    "is part of the header, not a deal."
)


def test_split_header_optional_fields_auto(english_pipeline: Pipeline) -> None:
    # No field of row 2 is required, so the run would read row 2 as a deal
    # and read none of its columns.
    with pytest.raises(SheetLayoutError) as error:
        match_columns(two_row_tab([]), english_pipeline)

    assert str(error.value) == (
        f"Workbook 'Pipeline.xlsx', tab 'Deals': {GROUPED_BELOW_ROW_1} "
        f"{JOIN_ROWS_1_AND_2}"
    )


def test_split_header_optional_fields_set_to_1(english_pipeline: Pipeline) -> None:
    with pytest.raises(SheetLayoutError) as error:
        match_columns(two_row_tab([]), with_header_row(english_pipeline, 1))

    assert str(error.value).endswith(
        f"{JOIN_ROWS_1_AND_2} Then set source.header_row to 2 in the definition."
    )


def test_split_header_optional_fields_set_to_2(english_pipeline: Pipeline) -> None:
    # Row 1 names the id and stage, but setting header_row to 1 would stop
    # the run over row 2, so the message joins the rows instead.
    with pytest.raises(SheetLayoutError) as error:
        match_columns(two_row_tab([]), with_header_row(english_pipeline, 2))

    assert str(error.value).endswith(
        f"Row 1 names 'Deal ID' in A1, 'Stage' in D1. {JOIN_ROWS_1_AND_2}"
    )


def test_split_header_in_csv_file(english_pipeline: Pipeline) -> None:
    rows = [GROUP_TITLES, GROUPED_COLUMNS, TWO_ROW_DEAL]
    grid = SheetGrid("deals.csv", "Deals", rows, has_tabs=False)

    with pytest.raises(SheetLayoutError) as error:
        match_columns(grid, english_pipeline)

    assert str(error.value) == (
        f"File 'deals.csv': {GROUPED_BELOW_ROW_1} The header is split over rows 1 "
        "and 2, but pipesheet reads the column names from one row. Make row 2 name "
        "every column: type each name of row 1 that has an empty cell below it into "
        "that cell (A2 'Deal ID', B2 'Account', C2 'Owner', D2 'Stage', I2 'Lost "
        "Reason')."
    )


def test_merged_header_set_to_upper_row(english_pipeline: Pipeline) -> None:
    with pytest.raises(SheetLayoutError) as error:
        match_columns(two_row_tab(TWO_ROW_MERGES), with_header_row(english_pipeline, 1))

    assert str(error.value) == (
        f"Workbook 'Pipeline.xlsx', tab 'Deals': {GROUPED_BELOW_ROW_1} Set "
        "source.header_row to 2, or to auto, in the definition."
    )


@pytest.mark.parametrize(
    "below",
    [
        [None, "Acme", "Ana Lima", None, 1000],
        [None, None, None, None, "Amount", None, "Dates"],
        ["M1", None, None, "Demo", "Amount", "Probability"],
    ],
    ids=["deal-without-id", "header-text-repeated", "deal-with-header-text"],
)
def test_row_below_header_read_as_deal(
    english_pipeline: Pipeline, below: list[CellValue]
) -> None:
    header = [*GROUP_TITLES[:4], "Amount", None, "Dates"]
    grid = deals_tab(header, below)

    columns = match_columns(grid, english_pipeline)

    assert columns.header_row == 1


@pytest.mark.parametrize(
    "below",
    [
        [None, None, "Ana Lima", None, 500, "Source"],
        [None, None, None, None, None, "Source"],
        [None, None, None, None, None, "Amount"],
        [None, None, None, None, None, None, "Amount", 500],
    ],
    ids=[
        "alias-of-own-column",
        "alias-of-own-column-alone",
        "other-field-under-its-header",
        "name-beside-a-number",
    ],
)
@pytest.mark.parametrize("header_row", ["auto", 1], ids=["auto", "set-to-1"])
def test_deal_row_with_header_text(
    english_pipeline: Pipeline, below: list[CellValue], header_row: int | str
) -> None:
    # A deal typed under the header, without an ID or stage yet, whose
    # Lead Source cell contains an alias of its own field, or whose cells
    # hold a field's name beside a deal's values.
    header = ["Deal ID", "Stage", "Owner", "Product", "Amount", "Lead Source"]
    source = SourceConfig(tab="Deals", header_row=header_row)
    pipeline = english_pipeline.model_copy(update={"source": source})
    grid = deals_tab(header, below, ["D-1", "Lead"])

    columns = match_columns(grid, pipeline)

    assert columns.header_row == 1
    assert columns.fields["source"] == 5


def test_chinese_deal_row_with_alias(chinese_pipeline: Pipeline) -> None:
    # '客户' is an alias of the account field, typed as a value of its column.
    header: list[CellValue] = ["商机编号", "客户名称", "负责人", "阶段"]
    grid = deals_tab(header, [None, "客户", "王芳", None], ["D-1", "客户B"])

    columns = match_columns(grid, chinese_pipeline)

    assert columns.header_row == 1


def test_header_row_set_to_first_deal(english_pipeline: Pipeline) -> None:
    # Row 2 contains deal D-1 with a blank Expected Close: typing 'Expected
    # Close' into it would overwrite that deal, so the fix is the header row.
    header = ["Deal ID", "Stage", "Owner", "Amount", "Expected Close"]
    grid = deals_tab(header, ["D-1", "Lead", "Ana", 100, None], ["D-2", "Lead"])

    with pytest.raises(SheetLayoutError) as error:
        match_columns(grid, with_header_row(english_pipeline, 2))

    assert str(error.value).endswith(
        "Headers found: A 'D-1', B 'Lead', C 'Ana', D '100'. Row 1 names the id "
        "and stage columns: set source.header_row to 1, or to auto, in the "
        "definition."
    )


def test_no_split_fix_over_deal_row(
    english_pipeline: Pipeline,
) -> None:
    # header_row 1 lacks the required Amount, and row 2 is a deal whose
    # Deal cell contains 'Amount': no split header, so typing 'Owner' into C2
    # is no fix.
    pipeline = with_header_row(with_required(english_pipeline, "amount"), 1)
    header: list[CellValue] = ["Deal ID", "Stage", "Deal", "Owner"]
    grid = deals_tab(header, ["D-1", "Lead", "Amount", None])

    with pytest.raises(SheetLayoutError) as error:
        match_columns(grid, pipeline)

    assert "split" not in str(error.value)
    assert str(error.value).endswith("to the field's aliases in the definition.")


def test_id_and_stage_on_two_rows(english_pipeline: Pipeline) -> None:
    grid = deals_tab(["Deal ID", "Deal", None], [None, "Stage", "Amount"])

    with pytest.raises(SheetLayoutError) as error:
        match_columns(grid, english_pipeline)

    assert str(error.value).endswith(
        "row 2 contains B 'Stage', C 'Amount'. Row 1 names the id column and row 2 "
        "the stage "
        "column. The header is split over rows 1 and 2, but pipesheet reads the "
        "column names from one row. Make row 2 name every column: type each name "
        "of row 1 that has an empty cell below it into that cell (A2 'Deal ID'), "
        "or merge the two cells (A1:A2). pipesheet reads merged cells in .xlsx and "
        ".xlsm files and in Google Sheets, not in .ods and .xls files."
    )


def test_status_header_in_upper_row(english_pipeline: Pipeline) -> None:
    # An earlier run that took row 1 for the header row wrote the status
    # header into J1, over the blank J2.
    rows = [[*GROUP_TITLES, "pipesheet status"], GROUPED_COLUMNS, TWO_ROW_DEAL]
    grid = SheetGrid("Pipeline.xlsx", "Deals", rows, merged=TWO_ROW_MERGES)

    columns = match_columns(grid, english_pipeline)

    assert columns.header_row == 2
    assert columns.status_column == 9


def test_status_header_above_unmerged_header(english_pipeline: Pipeline) -> None:
    # No block is merged down from row 1, so row 1 is no part of the header.
    rows = [
        [*GROUP_TITLES, "pipesheet status"],
        [*TWO_ROW_HEADERS, None],
        TWO_ROW_DEAL,
    ]
    grid = SheetGrid("Pipeline.xlsx", "Deals", rows, merged=TWO_ROW_MERGES[4:6])

    columns = match_columns(grid, english_pipeline)

    assert columns.header_row == 2
    assert columns.status_column is None
