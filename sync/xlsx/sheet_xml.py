"""Sheet XML for a generated tab: values only, with a bold, frozen header row.

The first row of the grid is the header. Numbers are written as numbers, text as
inline strings, booleans as booleans, and dates and times as serial numbers with
a date format (so Excel shows them as dates). Empty cells (None, NaN) are left
out. A grid row with only empty cells gives no ``<row>`` element.

Characters XML cannot carry (control characters other than tab, line feed and
carriage return) become U+FFFD. The planner makes the same replacement when it
compares a tab read back from the workbook with the tab it generates, so such
text does not rewrite the tab on every run.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from decimal import Decimal

from config.errors import SourceError
from rules.grid import CellValue, column_letter
from sync.plan import GeneratedTab
from sync.xlsx.cell_refs import cell_ref, range_ref
from sync.xlsx.markup import escape_cell_text
from sync.xlsx.styles import StyleSheet

SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

# Built-in number formats: m/d/yyyy, m/d/yyyy h:mm and h:mm:ss, shown in the
# reader's locale.
DATE_FORMAT = 14
DATETIME_FORMAT = 22
TIME_FORMAT = 21

# Excel's serial day 0 is 1899-12-30 for every date from 1900-03-01 on. Earlier
# serials are one lower, because Excel counts a 29 February 1900 that never was.
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
FIRST_REAL_LEAP_SERIAL = 61


def render_tab(
    tab: GeneratedTab,
    styles: StyleSheet,
    drawing_rel_id: str | None = None,
    *,
    workbook: str | None = None,
) -> bytearray:
    """Return the sheet XML of a generated tab.

    :param styles: where date and header formats are found or added.
    :param drawing_rel_id: the relationship id of the tab's drawing (its chart),
        or None for a tab without one.
    :param workbook: the workbook's file name, for error messages.
    :raises SourceError: for a value that cannot go into a cell, such as a
        datetime with a time zone.
    """
    last_column = max((len(row) for row in tab.grid), default=1) - 1
    dimension = range_ref(1, 0, max(len(tab.grid), 1), max(last_column, 0))
    drawing = f'<drawing r:id="{drawing_rel_id}"/>' if drawing_rel_id else ""
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{SPREADSHEET_NS}" xmlns:r="{RELATIONSHIPS_NS}">'
        f'<dimension ref="{dimension}"/>{_sheet_views(tab)}'
        f'<sheetFormatPr defaultRowHeight="15"/>{_columns(tab)}'
        "<sheetData>"
    )
    tail = (
        "</sheetData>"
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
        f'footer="0.3"/>{drawing}</worksheet>'
    )

    xml = bytearray(head.encode())
    try:
        _SheetData(styles).render(tab.grid, xml)
    except ValueError as error:
        place = f"Workbook {workbook!r}, generated" if workbook else "Generated"
        raise SourceError(f"{place} tab {tab.name!r}, {error}.") from error
    xml += tail.encode()
    return xml


def excel_serial(value: dt.date | dt.datetime | dt.time) -> float | None:
    """Return Excel's serial number for a date, datetime or time of day.

    Returns None for dates before 1900-01-01, which Excel cannot show as dates.

    :raises ValueError: if ``value`` carries a time zone, since Excel stores
        wall-clock times only; convert it to the business time zone first.
    """
    if isinstance(value, dt.time):
        _require_naive(value.tzinfo, value)
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return (seconds + value.microsecond / 1e6) / 86400
    if isinstance(value, dt.datetime):
        _require_naive(value.tzinfo, value)
        delta = value - EXCEL_EPOCH
        serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    else:
        serial = (value - EXCEL_EPOCH.date()).days

    if serial < FIRST_REAL_LEAP_SERIAL:
        serial -= 1
    return serial if serial >= 1 else None


class _SheetData:
    """The ``<row>`` elements of a generated tab, as UTF-8 bytes.

    A generated tab can have a million cells, so text, whole numbers, floats and
    dates take a fast path with cached column letters, styles and date cells.
    Every other value goes through :func:`_cell_xml`; both write the same XML.
    """

    def __init__(self, styles: StyleSheet) -> None:
        self.styles = styles
        self.letters: list[str] = []
        self.style_attributes: dict[tuple[int, bool], str] = {}
        self.date_bodies: dict[tuple[dt.date, bool], str] = {}

    def render(self, grid: list[list[CellValue]], xml: bytearray) -> None:
        """Append the rows of ``grid`` to ``xml``, leaving out rows without a value.

        One growing buffer takes about half the memory of a list of rows joined
        at the end, and the Problems tab of a large sheet is tens of megabytes.
        """
        for number, values in enumerate(grid, start=1):
            cells = self.row_cells(number, values, number == 1)
            if cells:
                row = f'<row r="{number}">{cells}</row>'
                xml += row.encode("utf-8", "replace")

    def row_cells(self, number: int, values: list[CellValue], bold: bool) -> str:
        """Return the cells of one row; header cells are ``bold``."""
        while len(self.letters) < len(values):
            self.letters.append(column_letter(len(self.letters)))
        letters = self.letters
        cells = []
        text_style = None
        for column, value in enumerate(values):
            # Text is most cells, so it is written here rather than in a call.
            if type(value) is str:
                if not value:
                    continue
                if text_style is None:
                    text_style = self.style(0, bold)
                text = escape_cell_text(value)
                cells.append(
                    f'<c r="{letters[column]}{number}"{text_style} t="inlineStr">'
                    f'<is><t xml:space="preserve">{text}</t></is></c>'
                )
                continue
            if value is None:
                continue

            body = self.cell_body(value, bold)
            if body is None:
                ref = cell_ref(number, column)
                cells.append(_cell_xml(ref, value, bold, self.styles))
            elif body:
                cells.append(f'<c r="{letters[column]}{number}"{body}')
        return "".join(cells)

    def cell_body(self, value: CellValue, bold: bool) -> str | None:
        """Return a cell's XML after its reference, or None off the fast path."""
        # Exact types: bool is an int and datetime a date, and both differ here.
        if type(value) is int and -(10**15) < value < 10**15:
            return f"{self.style(0, bold)}><v>{value}</v></c>"
        if type(value) is float and math.isfinite(value):
            return f"{self.style(0, bold)}><v>{_number_text(value)}</v></c>"
        if type(value) is dt.date:
            return self.date_body(value, bold)
        return None

    def text_body(self, text: str, bold: bool) -> str:
        if not text:
            return ""
        value = escape_cell_text(text)
        return (
            f'{self.style(0, bold)} t="inlineStr"><is>'
            f'<t xml:space="preserve">{value}</t></is></c>'
        )

    def date_body(self, day: dt.date, bold: bool) -> str:
        body = self.date_bodies.get((day, bold))
        if body is None:
            serial = excel_serial(day)
            if serial is None:
                body = self.text_body(day.isoformat(), bold)
            else:
                body = f"{self.style(DATE_FORMAT, bold)}><v>{int(serial)}</v></c>"
            self.date_bodies[(day, bold)] = body
        return body

    def style(self, number_format: int, bold: bool) -> str:
        attribute = self.style_attributes.get((number_format, bold))
        if attribute is None:
            attribute = _style(self.styles, number_format, bold)
            self.style_attributes[(number_format, bold)] = attribute
        return attribute


def _cell_xml(ref: str, value: CellValue, bold: bool, styles: StyleSheet) -> str:
    """Return one cell, or ``""`` for an empty value."""
    # NaN and pandas' NaT are the only values unequal to themselves: both mean empty.
    if value is None or value != value:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{_style(styles, 0, bold)} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, str):
        return _text_cell(ref, value, bold, styles)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        try:
            return _date_cell(ref, value, bold, styles)
        except ValueError as error:
            raise ValueError(f"cell {ref}: {error}") from error
    if isinstance(value, numbers.Real | Decimal):
        return _number_cell(ref, float(value), bold, styles)
    kind = type(value).__name__
    raise ValueError(
        f"cell {ref}: a {kind} value ({value!r}) cannot be written to a cell; "
        "convert it to text, a number or a date first"
    )


def _text_cell(ref: str, text: str, bold: bool, styles: StyleSheet) -> str:
    if not text:
        return ""
    value = escape_cell_text(text)
    return (
        f'<c r="{ref}"{_style(styles, 0, bold)} t="inlineStr"><is>'
        f'<t xml:space="preserve">{value}</t></is></c>'
    )


def _number_cell(ref: str, number: float, bold: bool, styles: StyleSheet) -> str:
    if math.isnan(number):
        return ""
    if math.isinf(number):
        return f'<c r="{ref}"{_style(styles, 0, bold)} t="e"><v>#NUM!</v></c>'
    return f'<c r="{ref}"{_style(styles, 0, bold)}><v>{_number_text(number)}</v></c>'


def _number_text(number: float) -> str:
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def _date_cell(
    ref: str, value: dt.date | dt.datetime | dt.time, bold: bool, styles: StyleSheet
) -> str:
    serial = excel_serial(value)
    if serial is None:
        return _text_cell(ref, value.isoformat(), bold, styles)
    if isinstance(value, dt.datetime):
        number_format = DATETIME_FORMAT
    elif isinstance(value, dt.time):
        number_format = TIME_FORMAT
    else:
        number_format = DATE_FORMAT
    text = str(int(serial)) if float(serial).is_integer() else repr(serial)
    return f'<c r="{ref}"{_style(styles, number_format, bold)}><v>{text}</v></c>'


def _style(styles: StyleSheet, number_format: int, bold: bool) -> str:
    xf = styles.cell_xf_id(number_format, bold)
    return f' s="{xf}"' if xf else ""


def _sheet_views(tab: GeneratedTab) -> str:
    if len(tab.grid) < 2:
        return '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
    return (
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
        'activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
    )


def _columns(tab: GeneratedTab) -> str:
    widths = [
        f'<col min="{index + 1}" max="{index + 1}" width="{width:g}" customWidth="1"/>'
        for index, width in enumerate(tab.column_widths)
        if width and width > 0
    ]
    return f"<cols>{''.join(widths)}</cols>" if widths else ""


def _require_naive(zone: dt.tzinfo | None, value: object) -> None:
    if zone is not None:
        raise ValueError(
            f"{value!r} has a time zone; convert it to the business time zone and "
            "drop the zone before writing it to a tab"
        )
