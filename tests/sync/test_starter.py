"""Tests of the starter workbook written for ``pipesheet init`` and the demo."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from openpyxl.workbook.workbook import Workbook

from config.errors import SourceError, UnsupportedWorkbookError
from config.models import Locale
from sync.starter import FIELDS, STARTER_LAYOUTS, build_starter_workbook
from sync.starter_examples import chinese_example_deals, english_example_deals

AS_OF = dt.date(2025, 9, 30)

ENGLISH_HEADER = [
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
CHINESE_HEADER = [
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
ENGLISH_STAGES = [
    "Lead",
    "Qualified",
    "Demo",
    "Proposal",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
]
CHINESE_STAGES = [
    "线索收集",
    "客户筛选与分级",
    "需求挖掘",
    "方案报价",
    "试用体验",
    "异议处理与谈判",
    "签约成交",
    "售后增购",
    "丢单",
]

LOCALES = [Locale.EN, Locale.ZH_CN]
LOCALE_IDS = ["en", "zh"]
TABS = {Locale.EN: ("Deals", "Lists"), Locale.ZH_CN: ("商机", "选项")}
CLOSED_STAGES = {"Closed Won", "Closed Lost", "签约成交", "售后增购", "丢单"}


@pytest.fixture(params=LOCALES, ids=LOCALE_IDS)
def locale(request: pytest.FixtureRequest) -> Locale:
    value: Locale = request.param
    return value


@pytest.fixture
def starter(tmp_path: Path, locale: Locale) -> Workbook:
    path = build_starter_workbook(tmp_path / "pipeline.xlsx", locale, as_of=AS_OF)
    return openpyxl.load_workbook(path)


def deal_rows(workbook: Workbook) -> list[dict[str, object]]:
    """Return the example deals as dicts from logical field to cell value."""
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(min_row=4, max_col=len(FIELDS), values_only=True)
    return [dict(zip(FIELDS, row, strict=True)) for row in rows]


def as_date(value: object) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else None


def validation_formulas(workbook: Workbook) -> dict[str, str]:
    """Return the list validations of the pipeline tab by first cell of their range."""
    sheet = workbook.worksheets[0]
    return {
        str(validation.sqref).split(":")[0]: validation.formula1
        for validation in sheet.data_validations.dataValidation
        if validation.type == "list"
    }


def test_starter_has_pipeline_and_lists_tabs(starter: Workbook, locale: Locale) -> None:
    assert starter.sheetnames == list(TABS[locale])


@pytest.mark.parametrize(
    ("locale", "title"),
    [(Locale.EN, "Sales pipeline"), (Locale.ZH_CN, "销售漏斗")],
    ids=LOCALE_IDS,
)
def test_title_row_then_blank_row(starter: Workbook, title: str) -> None:
    sheet = starter.worksheets[0]
    assert sheet["A1"].value == title
    assert [cell.value for cell in sheet[2]] == [None] * len(sheet[2])


@pytest.mark.parametrize(
    ("locale", "header"),
    [(Locale.EN, ENGLISH_HEADER), (Locale.ZH_CN, CHINESE_HEADER)],
    ids=LOCALE_IDS,
)
def test_header_in_row_three(starter: Workbook, header: list[str]) -> None:
    sheet = starter.worksheets[0]
    assert [cell.value for cell in sheet[3]] == header


def test_header_bold_with_fill(starter: Workbook) -> None:
    header = starter.worksheets[0][3]
    assert all(cell.font.bold for cell in header)
    assert all(cell.fill.fill_type == "solid" for cell in header)


def test_panes_frozen_below_header(starter: Workbook) -> None:
    assert starter.worksheets[0].freeze_panes == "A4"


def test_no_status_column_before_first_run(starter: Workbook) -> None:
    assert starter.worksheets[0].max_column == 17


@pytest.mark.parametrize(
    ("locale", "stages"),
    [(Locale.EN, ENGLISH_STAGES), (Locale.ZH_CN, CHINESE_STAGES)],
    ids=LOCALE_IDS,
)
def test_lists_tab_holds_stages_in_order(starter: Workbook, stages: list[str]) -> None:
    lists = starter.worksheets[1]
    column = [cell.value for cell in lists["A"][1:]]
    assert column == stages


@pytest.mark.parametrize(
    ("locale", "cell", "formula"),
    [
        (Locale.EN, "D4", "'Lists'!$A$2:$A$8"),
        (Locale.EN, "C4", "'Lists'!$B$2:$B$100"),
        (Locale.EN, "G4", "'Lists'!$C$2:$C$100"),
        (Locale.EN, "H4", "'Lists'!$D$2:$D$100"),
        (Locale.ZH_CN, "D4", "'选项'!$A$2:$A$10"),
        (Locale.ZH_CN, "C4", "'选项'!$B$2:$B$100"),
        (Locale.ZH_CN, "G4", "'选项'!$C$2:$C$100"),
        (Locale.ZH_CN, "H4", "'选项'!$D$2:$D$100"),
    ],
    ids=[
        "en-stage",
        "en-owner",
        "en-product",
        "en-source",
        "zh-stage",
        "zh-owner",
        "zh-product",
        "zh-source",
    ],
)
def test_list_validation_references_lists_tab(
    starter: Workbook, cell: str, formula: str
) -> None:
    assert validation_formulas(starter)[cell] == formula


def test_stage_validation_stops_unknown_stage(starter: Workbook) -> None:
    sheet = starter.worksheets[0]
    stage = next(v for v in sheet.data_validations.dataValidation if "D4" in v.sqref)
    assert stage.errorStyle == "stop"
    assert stage.showErrorMessage


@pytest.mark.parametrize(
    ("locale", "prompt", "error"),
    [
        (
            Locale.EN,
            "Type a date such as 2025-09-30.",
            (
                "This column expects a date such as 2025-09-30. "
                "pipesheet flags text it cannot read as a date."
            ),
        ),
        (
            Locale.ZH_CN,
            "请输入日期，例如 2025-09-30。",
            (
                "此列应填写日期，例如 2025-09-30。"
                "无法识别为日期的内容会被 pipesheet 标记出来。"
            ),
        ),
    ],
    ids=LOCALE_IDS,
)
def test_date_columns_validated_with_messages(
    starter: Workbook, prompt: str, error: str
) -> None:
    sheet = starter.worksheets[0]
    dates = next(v for v in sheet.data_validations.dataValidation if v.type == "date")
    assert str(dates.sqref) == "I4:I2000 J4:J2000 L4:L2000 M4:M2000 N4:N2000"
    assert dates.prompt == prompt
    assert dates.error == error
    assert dates.showInputMessage
    assert dates.showErrorMessage


@pytest.mark.parametrize(
    ("column", "number_format"),
    [("E", "#,##0"), ("F", "0%"), ("I", "yyyy-mm-dd"), ("A", "@")],
    ids=["amount", "probability", "date", "deal-id"],
)
def test_example_cells_formatted(
    starter: Workbook, column: str, number_format: str
) -> None:
    filled = [cell for cell in starter.worksheets[0][column][3:] if cell.value]
    assert {cell.number_format for cell in filled} == {number_format}


@pytest.mark.parametrize(
    ("column", "number_format"),
    [("E", "#,##0"), ("F", "0%"), ("L", "yyyy-mm-dd")],
    ids=["amount", "probability", "date"],
)
def test_empty_rows_inherit_column_format(
    starter: Workbook, column: str, number_format: str
) -> None:
    dimension = starter.worksheets[0].column_dimensions[column]
    assert dimension.number_format == number_format
    assert dimension.width > 0


def test_examples_cover_every_stage(starter: Workbook) -> None:
    stages = {cell.value for cell in starter.worksheets[1]["A"][1:]}
    assert stages <= {deal["stage"] for deal in deal_rows(starter)}


def test_examples_have_overdue_followups(starter: Workbook) -> None:
    overdue = [
        deal
        for deal in deal_rows(starter)
        if (due := as_date(deal["next_step_date"])) is not None and due < AS_OF
    ]
    assert len(overdue) >= 3


def test_examples_have_followups_due_soon(starter: Workbook) -> None:
    due_soon = [
        deal
        for deal in deal_rows(starter)
        if (due := as_date(deal["next_step_date"])) is not None
        and 0 <= (due - AS_OF).days <= 3
    ]
    assert len(due_soon) >= 2


def test_examples_have_deal_idle_in_stage(starter: Workbook) -> None:
    idle_days = [
        (AS_OF - entered).days
        for deal in deal_rows(starter)
        if deal["stage"] not in CLOSED_STAGES
        and (entered := as_date(deal["stage_entered_date"])) is not None
    ]
    assert max(idle_days) == 75


def test_examples_have_open_deal_without_amount(starter: Workbook) -> None:
    missing = [
        deal["id"]
        for deal in deal_rows(starter)
        if deal["amount"] is None and deal["stage"] not in CLOSED_STAGES
    ]
    assert len(missing) == 1


def test_examples_have_owner_missing_from_lists(starter: Workbook) -> None:
    owners = {cell.value for cell in starter.worksheets[1]["B"][1:]}
    unknown = {deal["owner"] for deal in deal_rows(starter)} - owners
    assert len(unknown) == 1


@pytest.mark.parametrize(
    ("locale", "amounts"),
    [(Locale.EN, ["$12,500"]), (Locale.ZH_CN, ["¥120,000", "12万"])],
    ids=LOCALE_IDS,
)
def test_examples_have_amounts_typed_as_text(
    starter: Workbook, amounts: list[str]
) -> None:
    typed = [d["amount"] for d in deal_rows(starter) if isinstance(d["amount"], str)]
    assert typed == amounts


@pytest.mark.parametrize(
    ("locale", "texts"),
    [
        (Locale.EN, ["2025-10-02", "end of Q4"]),
        (Locale.ZH_CN, ["2025年10月2日", "下个月底"]),
    ],
    ids=LOCALE_IDS,
)
def test_examples_have_dates_typed_as_text(starter: Workbook, texts: list[str]) -> None:
    typed = [
        deal[field]
        for deal in deal_rows(starter)
        for field in ("close_date", "next_step_date")
        if isinstance(deal[field], str)
    ]
    assert typed == texts


@pytest.mark.parametrize(
    ("locale", "first_id"),
    [(Locale.EN, "D-1001"), (Locale.ZH_CN, "SJ-0001")],
    ids=LOCALE_IDS,
)
def test_deal_ids_stay_text(starter: Workbook, first_id: str) -> None:
    ids = [deal["id"] for deal in deal_rows(starter)]
    assert ids[0] == first_id
    assert all(isinstance(deal_id, str) for deal_id in ids)
    assert len(set(ids)) == len(ids)


def test_example_dates_follow_as_of(tmp_path: Path) -> None:
    later = AS_OF + dt.timedelta(days=100)
    path = build_starter_workbook(tmp_path / "later.xlsx", Locale.EN, as_of=later)
    first = deal_rows(openpyxl.load_workbook(path))[0]
    assert as_date(first["next_step_date"]) == later + dt.timedelta(days=2)


@pytest.mark.parametrize(
    "examples",
    [english_example_deals, chinese_example_deals],
    ids=LOCALE_IDS,
)
def test_examples_use_only_known_fields(examples: object) -> None:
    assert callable(examples)
    fields = {field for deal in examples(AS_OF) for field in deal}
    assert fields <= set(FIELDS)


@pytest.mark.parametrize("locale", LOCALES, ids=LOCALE_IDS)
def test_validation_texts_fit_excel_limits(locale: Locale) -> None:
    texts = STARTER_LAYOUTS[locale].texts
    titles = [texts.date_title, texts.date_error_title]
    titles += [texts.stage_error_title, texts.list_error_title]
    errors = [texts.date_error, texts.stage_error, texts.list_error]
    assert max(len(title) for title in titles) <= 32
    assert max(len(error) for error in errors) <= 225
    assert len(texts.date_prompt) <= 255


def test_existing_file_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.xlsx"
    path.write_bytes(b"keep me")
    with pytest.raises(SourceError) as raised:
        build_starter_workbook(path, Locale.EN, as_of=AS_OF)
    assert str(raised.value) == (
        f"Cannot create workbook {str(path)!r}: the file already exists, and "
        "pipesheet does not overwrite it. Choose another path or delete the file."
    )
    assert path.read_bytes() == b"keep me"


def test_name_without_xlsx_rejected(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.xls"
    with pytest.raises(UnsupportedWorkbookError) as raised:
        build_starter_workbook(path, Locale.EN, as_of=AS_OF)
    assert str(raised.value) == (
        f"Cannot create workbook {str(path)!r}: the name must end in .xlsx "
        "(got '.xls'). Choose a path ending in .xlsx."
    )
    assert not path.exists()


def test_missing_folder_rejected(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "pipeline.xlsx"
    with pytest.raises(SourceError) as raised:
        build_starter_workbook(path, Locale.EN, as_of=AS_OF)
    assert str(raised.value) == (
        f"Cannot create workbook {str(path)!r}: the folder "
        f"{str(path.parent)!r} does not exist. Create the folder or choose "
        "another path."
    )
