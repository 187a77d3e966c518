"""Fill the Rules tab of a new starter workbook, styled like its other tabs."""

from __future__ import annotations

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from config.rules_tab_rows import RulesTabRows
from sync.starter import HEADER_FILL, HEADER_FONT

# Widths of the Rules tab's columns, in characters. The first contains setting
# keys such as followups.require_next_step_date, the second lists of headers.
_COLUMN_WIDTHS = (34, 44, 14, 40, 12, 10, 20, 20)


def fill_rules_tab(sheet: Worksheet, tab: RulesTabRows) -> None:
    """Write the rows of a Rules tab: bold header rows, percent probabilities."""
    for row in tab.rows:
        sheet.append(row)
    for row_number in tab.header_rows:
        for cell in sheet[row_number]:
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
    for row_number, column in tab.percent_cells:
        sheet.cell(row=row_number, column=column + 1).number_format = "0%"
    for index, width in enumerate(_COLUMN_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
