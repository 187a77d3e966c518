"""Parse one cell of the pipeline tab by its column's declared type.

Cells arrive as the backend read them (:data:`rules.grid.CellValue`): real dates
when the cell is formatted as a date, numbers, or text a person typed. A value
that cannot be read as the column's type becomes a :class:`CellProblem`, never an
exception, so one odd cell turns into a finding on its row and the run goes on.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import math
from collections.abc import Callable

from config.models import DateOrder, FieldType
from rules.cell_dates import parse_date
from rules.cell_numbers import parse_amount, parse_number
from rules.cell_percents import parse_percent
from rules.cell_problem import CellProblem, Reason
from rules.deals import ParsedValue
from rules.grid import CellValue
from rules.text_forms import fold_text

CellParser = Callable[[CellValue], ParsedValue | CellProblem]

__all__ = [
    "CellProblem",
    "Reason",
    "cell_parser",
    "display_value",
    "parse_cell",
    "parse_flag",
    "parse_text",
]


def parse_cell(
    value: CellValue, field_type: FieldType, *, date_order: DateOrder
) -> ParsedValue | CellProblem:
    """Parse a cell as ``field_type``, or return the problem that prevents it.

    Callers skip blank cells; a blank cell given anyway is a ``blank`` problem.
    ``date_order`` decides text such as ``03/04/2025`` in date columns.

    >>> parse_cell(1001.0, FieldType.TEXT, date_order=DateOrder.DMY)
    '1001'
    >>> parse_cell("¥1.2万", FieldType.AMOUNT, date_order=DateOrder.DMY)
    12000.0
    """
    if value is None:
        return CellProblem(Reason.BLANK, "the cell is blank")
    return cell_parser(field_type, date_order)(value)


def cell_parser(
    field_type: FieldType, date_order: DateOrder, *, date1904: bool = False
) -> CellParser:
    """Return the function that parses a filled cell as ``field_type``.

    Unlike :func:`parse_cell`, the returned function does not check for None,
    so callers pass only filled cells. ``date1904`` reads date serial numbers
    in the 1904 date system.
    """
    if field_type is FieldType.DATE:
        return functools.partial(parse_date, date_order=date_order, date1904=date1904)
    return _PARSERS[field_type]


def display_value(value: CellValue) -> str:
    """Return a cell as the user sees it: dates in ISO form, whole numbers without .0.

    Numbers of 16 digits or more and tiny ones show in exponent form, as
    Excel's General format shows them.

    >>> display_value(1001.0), display_value(dt.date(2025, 9, 9)), display_value(True)
    ('1001', '2025-09-09', 'TRUE')
    >>> display_value(1e300), display_value(0.00001)
    ('1E+300', '1E-05')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int) and abs(value) < FULL_DIGITS_BELOW:
        return str(value)
    if isinstance(value, int):
        return _display_large_int(value)
    if isinstance(value, float):
        return _display_float(value)
    return _display_date_or_time(value)


def _display_float(value: float) -> str:
    if math.isfinite(value) and value.is_integer() and abs(value) < FULL_DIGITS_BELOW:
        return str(int(value))

    # Spreadsheets show at most 15 significant digits, so 0.1 + 0.2 shows as 0.3.
    # Very large and very small numbers get the exponent form of Excel's General
    # format: 1E+300 and 1E-05, with a capital E, a sign and two digits or more.
    # NOTE: tiny numbers switch below 0.0001, where Python's "g" format does.
    # Excel's switch depends on the column width, so it can differ.
    return format(value, ".15g").replace("e", "E")


def _display_large_int(value: int) -> str:
    # Decimal rounds an int of any size, even one beyond the range of a float.
    rounded = _FIFTEEN_DIGITS.create_decimal(value).normalize(_FIFTEEN_DIGITS)
    return format(rounded, ".15g").replace("e", "E")


# Whole numbers below this show in full. A number of 16 digits or more shows in
# exponent form, because spreadsheets keep only 15 significant digits of it.
# In a cell, Excel's General format switches by the column width instead, from
# 12 digits in a default-width column.
FULL_DIGITS_BELOW = 1e15
_FIFTEEN_DIGITS = decimal.Context(prec=15)


def _display_date_or_time(value: dt.datetime | dt.date | dt.time) -> str:
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec=_timespec(value.time()))
    if isinstance(value, dt.date):
        return value.isoformat()
    return value.isoformat(timespec=_timespec(value))


def _timespec(value: dt.time) -> str:
    return "minutes" if value.second == 0 and value.microsecond == 0 else "seconds"


# The texts a cell shows when its formula fails: Excel's error values, which
# LibreOffice writes too in .xlsx files, and Google Sheets' #ERROR!.
# NOTE: the list is not checked against Excel's documentation. An error value
# it lacks is read as plain text.
FORMULA_ERRORS = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        "#PYTHON!",
        "#ERROR!",
    }
)


def formula_error(value: CellValue) -> CellProblem | None:
    """Return the problem of a cell that shows a formula error, else None.

    The errors are Excel's and Google's texts (``FORMULA_ERRORS``) and
    LibreOffice's numbered ones, such as ``Err:502``, which it keeps in CSV
    files it saves.
    """
    if type(value) is not str:
        return None
    text = value.strip()
    if text not in FORMULA_ERRORS and not is_numbered_error(text):
        return None
    return CellProblem(Reason.FORMULA_ERROR, f"the cell shows the formula error {text}")


def is_numbered_error(text: str) -> bool:
    """Return True for LibreOffice's error texts: ``Err:`` and three digits."""
    return len(text) == 7 and text.startswith("Err:") and text[4:].isdigit()


def parse_text(value: CellValue) -> str:
    """Return a cell as text, keeping leading zeros and dropping a float's ``.0``.

    Unlike :func:`display_value`, a number keeps all its digits, so a deal ID
    of 16 digits or more stays the ID that the run history recorded for it.
    """
    if isinstance(value, str):
        return value.strip()
    if type(value) is float:
        return _float_text(value)
    if type(value) is int:
        return str(value)
    return display_value(value)


def _float_text(value: float) -> str:
    if math.isfinite(value) and value.is_integer():
        return str(int(value))
    return format(value, ".15g")


# The words of a yes/no cell, in the order messages list them.
TRUE_WORDS = ("yes", "y", "true", "x", "✓", "✔", "1", "是", "已确认", "已確認", "确认")
FALSE_WORDS = ("no", "n", "false", "0", "否", "未确认", "未確認")
_TRUE_WORDS = frozenset(TRUE_WORDS)
_FALSE_WORDS = frozenset(FALSE_WORDS)


def parse_flag(value: CellValue) -> bool | CellProblem:
    """Parse a yes/no cell: ``yes``, ``y``, ``true``, ``x``, ``✓``, ``1``, ``是``..."""
    if isinstance(value, bool):
        return value

    word = fold_text(display_value(value)) if value is not None else ""
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    return CellProblem(
        Reason.NOT_A_FLAG, "not a yes/no value; use yes or no, TRUE or FALSE, x or ✓"
    )


_PARSERS: dict[FieldType, CellParser] = {
    FieldType.TEXT: parse_text,
    FieldType.AMOUNT: parse_amount,
    FieldType.NUMBER: parse_number,
    FieldType.PERCENT: parse_percent,
    FieldType.FLAG: parse_flag,
}
