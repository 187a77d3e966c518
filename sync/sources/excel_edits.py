"""The edits pipesheet makes to an Excel workbook loaded with openpyxl.

Each edit touches only what pipesheet owns: the status column's cells (and its
header), pipesheet's own conditional-format rules on the pipeline tab, and the
generated tabs. User cells keep their styles because only ``cell.value`` is
set.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.chart import BarChart as OpenpyxlBarChart
from openpyxl.chart import Reference
from openpyxl.formatting.formatting import (
    ConditionalFormatting,
    ConditionalFormattingList,
)
from openpyxl.formatting.rule import Rule
from openpyxl.styles import Font, PatternFill
from openpyxl.styles.differential import DifferentialStyle

from config.errors import DefinitionError, SheetLayoutError, SourceError
from rules.grid import CellValue, column_letter
from sync.plan import BarChart, GeneratedTab, HighlightRule, WritePlan
from sync.status_alignment import StatusTarget

logger = logging.getLogger(__name__)

# Excel's limits: 32,767 characters in a cell, 31 in a tab name, and these
# characters are invalid in a tab name.
MAX_CELL_TEXT = 32_767
MAX_TAB_NAME = 31
_INVALID_TAB_CHARACTERS = set("[]:*?/\\")
_CELL_REFERENCE = re.compile(r"\$?\b[A-Z]{1,3}\$?[0-9]+\b")


@dataclass
class StatusOutcome:
    """How many status cells were written and which deal IDs were skipped."""

    written: int = 0
    skipped: list[str] = field(default_factory=list)


def find_sheet(workbook: Any, name: str) -> Any | None:
    """Return the sheet whose name matches, ignoring case as Excel does."""
    for sheet_name in workbook.sheetnames:
        if sheet_name.casefold() == name.casefold():
            return workbook[sheet_name]
    return None


def write_status_header(sheet: Any, plan: WritePlan) -> None:
    """Write the status column's header text into the header row.

    A header cell inside a merged range belongs to the user's layout and is
    left as it is.
    """
    cell = sheet.cell(row=plan.header_row, column=plan.status_column + 1)
    if isinstance(cell, MergedCell):
        logger.warning(
            "Status header cell %s is merged; left as it is", cell.coordinate
        )
        return
    set_text(cell, plan.status_header)


def write_statuses(
    sheet: Any, targets: Iterable[StatusTarget], status_column: int
) -> StatusOutcome:
    """Write status texts into their cells, leaving styles as they are.

    A target cell that is part of a merged range, or that contains a
    formula someone put there, is user content: it is skipped, not overwritten.
    """
    outcome = StatusOutcome()
    for target in targets:
        cell = sheet.cell(row=target.row, column=status_column + 1)
        if isinstance(cell, MergedCell) or cell.data_type == "f":
            logger.debug("Skipped status cell %s: merged or a formula", cell.coordinate)
            outcome.skipped.append(target.deal_id)
            continue
        set_text(cell, target.value)
        outcome.written += 1
    return outcome


def set_text(cell: Any, text: str) -> None:
    """Set a cell to plain text, never a formula or an error value.

    openpyxl would turn ``"=..."`` into a formula and ``"#N/A"`` into an error,
    and raises on control characters; those become U+FFFD. Text beyond Excel's
    cell limit is cut.
    """
    cleaned = ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)[:MAX_CELL_TEXT]
    cell.value = cleaned or None
    if cleaned:
        cell.data_type = "s"


def replace_highlight_rules(
    sheet: Any, plan: WritePlan, last_row: int
) -> tuple[int, int]:
    """Replace pipesheet's conditional-format rules on the pipeline tab.

    A rule is pipesheet's own when it is a formula rule whose formula has the
    shape of one of ``plan.highlights`` once every cell reference is ignored:
    ``LEFT($R7,5)="ERROR"`` matches ``LEFT($Q5,5)="ERROR"``, so rules survive
    the status column or header row moving. Every other rule is the user's and
    is kept as it is. The new rules cover the data rows over the table's width
    and rank after the user's rules.

    :returns: the number of rules removed and added.
    """
    shapes = {_formula_shape(rule.formula) for rule in plan.highlights}
    user_formats, removed = _remove_owned_rules(sheet.conditional_formatting, shapes)
    sheet.conditional_formatting = user_formats

    first_row = plan.header_row + 1
    if last_row < first_row or not plan.highlights:
        return removed, 0

    last_column = column_letter(max(plan.last_column, plan.status_column))
    data_range = f"A{first_row}:{last_column}{last_row}"
    priority = _max_priority(user_formats)
    for offset, highlight in enumerate(plan.highlights, start=1):
        user_formats.add(data_range, _build_rule(highlight, priority + offset))
    return removed, len(plan.highlights)


def _remove_owned_rules(
    formats: ConditionalFormattingList, shapes: set[str]
) -> tuple[ConditionalFormattingList, int]:
    user_formats = ConditionalFormattingList()
    removed = 0
    for formatting in formats:
        for rule in formatting.rules:
            if _is_owned_rule(rule, shapes):
                removed += 1
                continue
            where = ConditionalFormatting(
                sqref=formatting.sqref, pivot=formatting.pivot
            )
            user_formats.add(where, rule)
    return user_formats, removed


def _is_owned_rule(rule: Rule, shapes: set[str]) -> bool:
    formulas = list(rule.formula or [])
    if rule.type != "expression" or len(formulas) != 1:
        return False
    return _formula_shape(formulas[0]) in shapes


def _formula_shape(formula: str) -> str:
    return _CELL_REFERENCE.sub("#", formula.strip().removeprefix("="))


def _max_priority(formats: ConditionalFormattingList) -> int:
    priorities = [rule.priority or 0 for item in formats for rule in item.rules]
    return max(priorities, default=0)


def _build_rule(highlight: HighlightRule, priority: int) -> Rule:
    colour = highlight.fill_rgb.lstrip("#")
    fill = PatternFill(fill_type="solid", start_color=colour, end_color=colour)
    formula = highlight.formula.strip().removeprefix("=")
    style = DifferentialStyle(fill=fill)
    return Rule(type="expression", formula=[formula], dxf=style, priority=priority)


def check_generated_tabs(workbook: Any, plan: WritePlan, workbook_name: str) -> None:
    """Check that every generated tab may be created or replaced.

    :raises DefinitionError: if a tab name is invalid in Excel or used twice.
    :raises SheetLayoutError: if a tab of that name exists and is the user's.
    """
    owned = {name.casefold() for name in plan.owned_tab_names}
    seen: set[str] = set()
    for tab in plan.tabs:
        _check_tab_name(tab.name, seen)
        existing = find_sheet(workbook, tab.name)
        if existing is None:
            continue

        is_pipeline = existing.title.casefold() == plan.tab.casefold()
        if is_pipeline or existing.title.casefold() not in owned:
            raise SheetLayoutError(
                f"Workbook {workbook_name!r} already has a tab {existing.title!r} "
                f"that pipesheet did not create, so the generated {tab.name!r} tab "
                "would overwrite it. Rename your tab, or choose another name under "
                "outputs.tabs in the pipeline definition."
            )


def _check_tab_name(name: str, seen: set[str]) -> None:
    invalid = sorted(set(name) & _INVALID_TAB_CHARACTERS)
    if not name.strip() or len(name) > MAX_TAB_NAME or invalid:
        raise DefinitionError(
            f"Generated tab name {name!r} is invalid in Excel: a tab name needs 1 "
            f"to {MAX_TAB_NAME} characters and none of [ ] : * ? / \\. Change it "
            "under outputs.tabs in the pipeline definition."
        )
    if name.casefold() in seen:
        raise DefinitionError(
            f"Generated tab name {name!r} is used twice (tab names ignore case). "
            "Give each tab its own name under outputs.tabs in the pipeline "
            "definition."
        )
    seen.add(name.casefold())


def replace_generated_tab(workbook: Any, tab: GeneratedTab) -> None:
    """Replace a generated tab whole, or add it after the last tab.

    A replaced tab keeps its position and whether it was selected; everything
    on it is pipesheet's, so nothing else carries over.
    """
    existing = find_sheet(workbook, tab.name)
    if existing is None:
        sheet = workbook.create_sheet(tab.name)
        sheet.sheet_view.tabSelected = False
    else:
        index = workbook.sheetnames.index(existing.title)
        view = getattr(existing, "sheet_view", None)
        workbook.remove(existing)
        sheet = workbook.create_sheet(tab.name, index)
        sheet.sheet_view.tabSelected = bool(view and view.tabSelected)

    _fill_generated_tab(sheet, tab)


def _fill_generated_tab(sheet: Any, tab: GeneratedTab) -> None:
    for row_number, values in enumerate(tab.grid, start=1):
        for column_number, value in enumerate(values, start=1):
            if value is not None:
                cell = sheet.cell(row=row_number, column=column_number)
                _write_value(cell, value, tab.name)

    _format_generated_tab(sheet, tab)
    if tab.chart is not None:
        _add_bar_chart(sheet, tab.chart)


def _write_value(cell: Any, value: CellValue, tab_name: str) -> None:
    if isinstance(value, str):
        set_text(cell, value)
        return
    if isinstance(value, float) and not math.isfinite(value):
        # NaN and infinity have no cell form; an undefined figure stays blank.
        return

    if isinstance(value, dt.datetime | dt.time) and value.tzinfo is not None:
        raise SourceError(
            f"Generated tab {tab_name!r} cell {cell.coordinate} contains a date "
            f"and time with a time zone ({value!r}), which Excel cannot store. "
            "Convert it to the business time zone and drop the tzinfo before "
            "writing."
        )
    cell.value = value


def _format_generated_tab(sheet: Any, tab: GeneratedTab) -> None:
    bold = Font(bold=True)
    for cell in sheet[1] if tab.grid else ():
        cell.font = bold

    for index, width in enumerate(tab.column_widths):
        sheet.column_dimensions[column_letter(index)].width = width
    if len(tab.grid) > 1:
        sheet.freeze_panes = "A2"


def _add_bar_chart(sheet: Any, spec: BarChart) -> None:
    if spec.last_row < spec.first_row or not spec.value_columns:
        logger.debug("No bar chart on tab %r: it has no data rows", sheet.title)
        return

    chart = OpenpyxlBarChart()
    chart.title = spec.title
    for column in spec.value_columns:
        values = Reference(
            sheet, min_col=column + 1, min_row=spec.header_row, max_row=spec.last_row
        )
        chart.add_data(values, titles_from_data=True)

    categories = Reference(
        sheet,
        min_col=spec.category_column + 1,
        min_row=spec.first_row,
        max_row=spec.last_row,
    )
    chart.set_categories(categories)
    sheet.add_chart(chart, spec.anchor)
