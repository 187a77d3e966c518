"""The starter workbook: a team pipeline laid out for pipesheet, with example deals.

``pipesheet init`` writes it for a new team and ``pipesheet demo`` runs on it. The
layout matches the shipped definitions ``b2b-en`` (tabs ``Deals`` and ``Lists``)
and ``sales-zh`` (tabs ``商机`` and ``选项``)::

    row 1   Sales pipeline                          (title)
    row 2                                           (blank)
    row 3   Deal ID | Account | Owner | Stage | ... (header, frozen above row 4)
    row 4+  one deal per row

The status column is not part of it: pipesheet adds that on its first run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from config.models import Locale
from config.rules_tab_rows import RulesTabRows
from rules.grid import CellValue
from sync.new_workbook import check_new_workbook_path, save_new_workbook
from sync.starter_examples import chinese_example_deals, english_example_deals

logger = logging.getLogger(__name__)

# Logical fields of the pipeline tab in column order. The definitions do not map
# "notes", but every team keeps one.
FIELDS = (
    "id",
    "account",
    "owner",
    "stage",
    "amount",
    "probability",
    "product",
    "source",
    "created_date",
    "close_date",
    "next_step",
    "next_step_date",
    "stage_entered_date",
    "snooze_until",
    "acknowledged",
    "lost_reason",
    "notes",
)
TITLE_ROW = 1
HEADER_ROW = 3
FIRST_DEAL_ROW = 4
# Data validations cover this many rows, so new deals typed below the examples
# get the dropdowns too.
LAST_VALIDATED_ROW = 2000
# Owner, product and lead source lists may grow: their dropdowns read this far
# down the lists tab. Stages are fixed by the definition and read exactly.
LAST_LIST_ROW = 100

DATE_FIELDS = (
    "created_date",
    "close_date",
    "next_step_date",
    "stage_entered_date",
    "snooze_until",
)
NUMBER_FORMATS = {
    "id": "@",
    "amount": "#,##0",
    "probability": "0%",
    **dict.fromkeys(DATE_FIELDS, "yyyy-mm-dd"),
}
COLUMN_WIDTHS = {
    "id": 11,
    "account": 30,
    "owner": 14,
    "stage": 16,
    "amount": 12,
    "probability": 11,
    "product": 18,
    "source": 14,
    "created_date": 12,
    "close_date": 14,
    "next_step": 30,
    "next_step_date": 14,
    "stage_entered_date": 14,
    "snooze_until": 13,
    "acknowledged": 12,
    "lost_reason": 20,
    "notes": 36,
}
# Lists tab: one column per allowed-value list, in this order.
LIST_FIELDS = ("stage", "owner", "product", "source")
# Dates outside these years are typing mistakes such as 0225 or 20255.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)

TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill(fill_type="solid", start_color="FFDDEBF7")


@dataclass(frozen=True)
class ValidationTexts:
    """Input and error messages a spreadsheet app shows for the dropdowns and dates.

    Titles are at most 32 characters, error messages at most 225 and prompts at
    most 255: the limits that the Excel file format specification [MS-XLS]
    sets in section 2.5.37, DValStrings.
    """

    date_title: str
    date_prompt: str
    date_error_title: str
    date_error: str
    stage_error_title: str
    stage_error: str
    list_error_title: str
    list_error: str


@dataclass(frozen=True)
class StarterLayout:
    """The names and choices of the starter workbook in one language.

    ``headers`` has one header per entry of :data:`FIELDS`, and ``lists_headers``
    one per entry of :data:`LIST_FIELDS`.
    """

    title: str
    deals_tab: str
    lists_tab: str
    headers: tuple[str, ...]
    lists_headers: tuple[str, ...]
    stages: tuple[str, ...]
    owners: tuple[str, ...]
    products: tuple[str, ...]
    sources: tuple[str, ...]
    texts: ValidationTexts

    def choices(self, field: str) -> tuple[str, ...]:
        """Return the allowed values of one of :data:`LIST_FIELDS`."""
        return {
            "stage": self.stages,
            "owner": self.owners,
            "product": self.products,
            "source": self.sources,
        }[field]


ENGLISH_LAYOUT = StarterLayout(
    title="Sales pipeline",
    deals_tab="Deals",
    lists_tab="Lists",
    headers=(
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
    ),
    lists_headers=("Stage", "Owner", "Product", "Lead Source"),
    stages=(
        "Lead",
        "Qualified",
        "Demo",
        "Proposal",
        "Negotiation",
        "Closed Won",
        "Closed Lost",
    ),
    owners=("Ana Lima", "Ben Ortiz", "Chloe Park", "Dev Patel"),
    products=("Starter plan", "Team plan", "Enterprise plan", "Onboarding package"),
    sources=("Website", "Referral", "Outbound", "Event", "Partner"),
    texts=ValidationTexts(
        date_title="Date",
        date_prompt="Type a date such as 2025-09-30.",
        date_error_title="Not a date",
        date_error="This column expects a date such as 2025-09-30. "
        "pipesheet flags text it cannot read as a date.",
        stage_error_title="Unknown stage",
        stage_error="Choose a stage from the list. To add or rename a stage, "
        "change the Lists tab and the pipeline definition together.",
        list_error_title="Not in the Lists tab",
        list_error="This value is not in the Lists tab. Add it there first, "
        "or pipesheet flags the deal.",
    ),
)

CHINESE_LAYOUT = StarterLayout(
    title="销售漏斗",
    deals_tab="商机",
    lists_tab="选项",
    headers=(
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
    ),
    lists_headers=("阶段", "负责人", "产品", "线索来源"),
    stages=(
        "线索收集",
        "客户筛选与分级",
        "需求挖掘",
        "方案报价",
        "试用体验",
        "异议处理与谈判",
        "签约成交",
        "售后增购",
        "丢单",
    ),
    owners=("张伟", "李娜", "王芳", "陈刚"),
    products=("基础版", "专业版", "企业版", "实施服务"),
    sources=("官网咨询", "老客户转介绍", "展会", "电话拓客", "渠道合作"),
    texts=ValidationTexts(
        date_title="日期",
        date_prompt="请输入日期，例如 2025-09-30。",
        date_error_title="不是日期",
        date_error="此列应填写日期，例如 2025-09-30。"
        "无法识别为日期的内容会被 pipesheet 标记出来。",
        stage_error_title="未知阶段",
        stage_error="请从列表中选择阶段。如需新增或修改阶段，"
        "请同时修改“选项”表和流程定义。",
        list_error_title="不在“选项”表中",
        list_error="该值不在“选项”表中。请先在“选项”表中添加，"
        "否则 pipesheet 会标记此商机。",
    ),
)

STARTER_LAYOUTS: dict[Locale, StarterLayout] = {
    Locale.EN: ENGLISH_LAYOUT,
    Locale.ZH_CN: CHINESE_LAYOUT,
}
EXAMPLE_DEALS: dict[Locale, Callable[[dt.date], list[dict[str, CellValue]]]] = {
    Locale.EN: english_example_deals,
    Locale.ZH_CN: chinese_example_deals,
}


def build_starter_workbook(
    path: Path,
    locale: Locale,
    *,
    as_of: dt.date,
    rules: tuple[str, RulesTabRows] | None = None,
) -> Path:
    """Create a starter pipeline workbook with example deals dated around ``as_of``.

    A run of the shipped definition on ``as_of`` flags the common problems in
    the example deals: overdue and due-soon follow-ups, a deal idle in its stage,
    a passed close date, a missing amount, an unknown owner and a date that is
    not a date. Amounts and dates typed as readable text are among them too.

    :param path: the .xlsx file to create, which must not exist yet.
    :param locale: ``Locale.EN`` for Deals/Lists, ``Locale.ZH_CN`` for 商机/选项.
    :param as_of: the day the example dates are relative to.
    :param rules: the name and rows of a Rules tab to add after the other tabs.
    :returns: ``path``.
    :raises SourceError: the file exists, its folder is missing or it cannot be
        written.
    """
    check_new_workbook_path(path)
    layout = STARTER_LAYOUTS[locale]
    deals = EXAMPLE_DEALS[locale](as_of)

    workbook = Workbook()
    deals_sheet = workbook.active
    deals_sheet.title = layout.deals_tab
    _fill_deals_tab(deals_sheet, layout, deals)
    _add_validations(deals_sheet, layout)
    _fill_lists_tab(workbook.create_sheet(layout.lists_tab), layout)
    if rules is not None:
        from sync.starter_rules import fill_rules_tab

        fill_rules_tab(workbook.create_sheet(rules[0]), rules[1])

    size = save_new_workbook(workbook, path)
    logger.info(
        "Created starter workbook %s (%s, %d example deals, %d bytes)",
        path,
        locale.value,
        len(deals),
        size,
    )
    return path


def _fill_deals_tab(
    sheet: Worksheet, layout: StarterLayout, deals: list[dict[str, CellValue]]
) -> None:
    title = sheet.cell(row=TITLE_ROW, column=1, value=layout.title)
    title.font = TITLE_FONT
    _write_header(sheet, HEADER_ROW, layout.headers)
    sheet.freeze_panes = sheet.cell(row=FIRST_DEAL_ROW, column=1).coordinate

    for offset, deal in enumerate(deals):
        _write_deal(sheet, FIRST_DEAL_ROW + offset, deal)

    for column, field in enumerate(FIELDS, start=1):
        dimension = sheet.column_dimensions[get_column_letter(column)]
        dimension.width = COLUMN_WIDTHS[field]
        # A column style formats the cells users type into later.
        if field in NUMBER_FORMATS:
            dimension.number_format = NUMBER_FORMATS[field]


def _write_header(sheet: Worksheet, row: int, headers: Sequence[str]) -> None:
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=row, column=column, value=header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL


def _write_deal(sheet: Worksheet, row: int, deal: dict[str, CellValue]) -> None:
    for column, field in enumerate(FIELDS, start=1):
        if deal.get(field) is None:
            continue
        cell = sheet.cell(row=row, column=column, value=deal[field])
        if field in NUMBER_FORMATS:
            cell.number_format = NUMBER_FORMATS[field]


def _add_validations(sheet: Worksheet, layout: StarterLayout) -> None:
    texts = layout.texts
    for list_column, field in enumerate(LIST_FIELDS, start=1):
        last_row = 1 + len(layout.stages) if field == "stage" else LAST_LIST_ROW
        validation = DataValidation(
            type="list",
            formula1=_list_reference(layout.lists_tab, list_column, last_row),
            allow_blank=True,
        )
        _set_error(validation, field, texts)
        sheet.add_data_validation(validation)
        validation.add(_column_range(field))

    dates = DataValidation(
        type="date",
        operator="between",
        formula1=str(int(to_excel(EARLIEST_DATE))),
        formula2=str(int(to_excel(LATEST_DATE))),
        allow_blank=True,
        showInputMessage=True,
        promptTitle=texts.date_title,
        prompt=texts.date_prompt,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle=texts.date_error_title,
        error=texts.date_error,
    )
    sheet.add_data_validation(dates)
    for field in DATE_FIELDS:
        dates.add(_column_range(field))


def _set_error(validation: DataValidation, field: str, texts: ValidationTexts) -> None:
    # Stages are the process itself, so a wrong one is stopped. A new owner or
    # product only gets a warning, because pipesheet flags it anyway.
    validation.showErrorMessage = True
    if field == "stage":
        validation.errorStyle = "stop"
        validation.errorTitle = texts.stage_error_title
        validation.error = texts.stage_error
    else:
        validation.errorStyle = "warning"
        validation.errorTitle = texts.list_error_title
        validation.error = texts.list_error


def _column_range(field: str) -> str:
    letter = get_column_letter(FIELDS.index(field) + 1)
    return f"{letter}{FIRST_DEAL_ROW}:{letter}{LAST_VALIDATED_ROW}"


def _list_reference(tab: str, column: int, last_row: int) -> str:
    """Return an absolute reference to rows 2..last_row of a column of ``tab``.

    >>> _list_reference("Lists", 1, 8)
    "'Lists'!$A$2:$A$8"
    """
    letter = get_column_letter(column)
    quoted = tab.replace("'", "''")
    return f"'{quoted}'!${letter}$2:${letter}${last_row}"


def _fill_lists_tab(sheet: Worksheet, layout: StarterLayout) -> None:
    _write_header(sheet, 1, layout.lists_headers)
    sheet.freeze_panes = "A2"

    for column, field in enumerate(LIST_FIELDS, start=1):
        for row, choice in enumerate(layout.choices(field), start=2):
            sheet.cell(row=row, column=column, value=choice)
        sheet.column_dimensions[get_column_letter(column)].width = 22
