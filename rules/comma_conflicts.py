"""Warn when an amount read with a thousands comma sits among decimal commas.

``1,250`` reads as 1250, because a comma before exactly three digits groups
thousands in most of the world. In a column whose other text amounts use a
decimal comma (``1.234,56 €``, ``0,75 €``), the same text more likely means
1.25, so the run warns of it, as it does of a date column whose text dates
contradict ``date_order``. A column that also has amounts with a thousands
comma (``1,234.56``) gets no warning, because it mixes both styles anyway.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Sequence

from config.models import FieldType, Pipeline
from rules.cell_numbers import CommaUse, comma_use
from rules.deals import ColumnMap
from rules.grid import CellValue, SheetGrid, column_letter

# A comma before exactly three digits with no digit, point or comma beside
# them, searched in a column's texts joined by line breaks: a column without
# one needs no closer look.
_ONE_COMMA_GROUP_LINE = re.compile(r"(?m)^[^\d.,\n]*[1-9]\d{0,2},\d{3}[^\d.,\n]*$")
_AMOUNT_TYPES = (FieldType.AMOUNT, FieldType.NUMBER)


def describe_comma_conflicts(
    grid: SheetGrid, columns: ColumnMap, pipeline: Pipeline
) -> list[str]:
    """Return a warning for each amount column where ``1,250`` meets decimal commas.

    Before: column D contains '1.234,56 €', '0,75 €' and '1,250 €'. After:
    "Workbook 'deals.xlsx', tab 'Deals', column 'Amount': the text amount D5
    '1,250 €' is read as 1250, with its comma separating thousands, but ..."

    Only text cells count. Each text of a column is classified only when one
    search of the column's joined texts finds a single comma before three
    digits.
    """
    rows = grid.rows[columns.header_row :]
    messages = []
    for name, index in sorted(columns.fields.items(), key=operator.itemgetter(1)):
        if pipeline.field_type(name) not in _AMOUNT_TYPES:
            continue
        cells = _column_cells(rows, index)
        # Most amount columns hold numbers only; their types are read in C,
        # 2 ms for 100,000 cells where hashing the numbers took 8 ms.
        if str not in set(map(type, cells)):
            continue
        texts = [text for text in dict.fromkeys(cells) if type(text) is str]
        if not _ONE_COMMA_GROUP_LINE.search("\n".join(texts)):
            continue
        uses = {text: comma_use(text) for text in texts if "," in text}
        either = [
            text for text, use in uses.items() if use is CommaUse.THOUSANDS_OR_DECIMAL
        ]
        decimal = [text for text, use in uses.items() if use is CommaUse.DECIMAL]
        if not either or not decimal or CommaUse.THOUSANDS in uses.values():
            continue

        first_row = columns.header_row + 1
        messages.append(
            f"{grid.describe_location()}, column {columns.headers[index]!r}: "
            f"{_describe_conflict(either, decimal, cells, first_row, index)}"
        )
    return messages


def _column_cells(rows: list[list[CellValue]], index: int) -> list[CellValue]:
    # Rows may be shorter than the header, so a missing cell reads as None.
    if min(map(len, rows), default=index + 1) > index:
        return list(map(operator.itemgetter(index), rows))
    return [row[index] if index < len(row) else None for row in rows]


def _describe_conflict(
    either: list[str],
    decimal: list[str],
    cells: Sequence[CellValue],
    first_row: int,
    column: int,
) -> str:
    def cell_of(text: str) -> str:
        return f"{column_letter(column)}{first_row + cells.index(text)}"

    text = either[0]
    digits = re.search(r"\d+,\d{3}", text)
    assert digits is not None
    thousands = digits[0].replace(",", "")
    if len(either) == 1:
        subject = f"the text amount {cell_of(text)} {text!r} is"
    else:
        subject = f"{len(either):,} text amounts, such as {cell_of(text)} {text!r}, are"
    return (
        f"{subject} read with the comma separating thousands (as {thousands}), "
        f"but the column's other text amounts, such as {cell_of(decimal[0])} "
        f"{decimal[0]!r}, use a decimal comma. If {digits[0]} means "
        f"{_without_trailing_zero(digits[0])}, type it so. If it means "
        f"{thousands}, type it without the comma."
    )


def _without_trailing_zero(digits: str) -> str:
    # Read as a decimal, 1,250 is 1,25, 1,200 is 1,2 and 1,000 is 1,0.
    whole, fraction = digits.split(",")
    return f"{whole},{fraction.rstrip('0') or '0'}"
