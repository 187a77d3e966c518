"""DrawingML for the bar chart on a generated tab: the chart part and its drawing.

The chart's series refer to the tab's own cells, and the chart part also caches
their values, so Excel, LibreOffice and other readers draw it without
recalculating the workbook.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from decimal import Decimal

from rules.grid import CellValue
from sync.plan import BarChart, GeneratedTab
from sync.xlsx.cell_refs import absolute_range, parse_cell_ref
from sync.xlsx.markup import (
    escape_attribute,
    escape_markup,
    escape_text,
    replace_invalid_characters,
)

CHART_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
DRAWING_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
SPREADSHEET_DRAWING_NS = (
    "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
)
RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

# The chart covers this many columns and rows from its anchor cell.
CHART_COLUMNS = 8
CHART_ROWS = 16
# Axis ids only link the bar chart to its two axes inside this part.
CATEGORY_AXIS_ID = 500000001
VALUE_AXIS_ID = 500000002


def render_chart(tab: GeneratedTab, chart: BarChart) -> bytes:
    """Return the chart part of a clustered column chart over ``tab``'s cells."""
    series = "".join(
        _series_xml(tab, chart, index, column)
        for index, column in enumerate(chart.value_columns)
    )
    legend = (
        '<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>'
        if len(chart.value_columns) > 1
        else ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<c:chartSpace xmlns:c="{CHART_NS}" xmlns:a="{DRAWING_NS}" '
        f'xmlns:r="{RELATIONSHIPS_NS}"><c:roundedCorners val="0"/><c:chart>'
        f'{_title_xml(chart.title)}<c:autoTitleDeleted val="0"/><c:plotArea>'
        '<c:layout/><c:barChart><c:barDir val="col"/><c:grouping val="clustered"/>'
        f'<c:varyColors val="0"/>{series}<c:gapWidth val="150"/>'
        f'<c:axId val="{CATEGORY_AXIS_ID}"/><c:axId val="{VALUE_AXIS_ID}"/>'
        f"</c:barChart>{_axes_xml()}</c:plotArea>{legend}"
        '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>'
    ).encode("utf-8", "replace")


def render_drawing(chart: BarChart, chart_rel_id: str) -> bytes:
    """Return the drawing part that places the chart at its anchor cell.

    :raises ValueError: if the anchor is not a cell reference such as ``"E2"``.
    """
    row, column = parse_cell_ref(chart.anchor)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<xdr:wsDr xmlns:xdr="{SPREADSHEET_DRAWING_NS}" xmlns:a="{DRAWING_NS}">'
        '<xdr:twoCellAnchor editAs="oneCell">'
        f"{_marker('from', column, row - 1)}"
        f"{_marker('to', column + CHART_COLUMNS, row - 1 + CHART_ROWS)}"
        '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr>'
        f'<xdr:cNvPr id="2" name="{escape_attribute(chart.title or "Chart 1")}"/>'
        "<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr><xdr:xfrm>"
        '<a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic>'
        f'<a:graphicData uri="{CHART_NS}"><c:chart xmlns:c="{CHART_NS}" '
        f'xmlns:r="{RELATIONSHIPS_NS}" r:id="{chart_rel_id}"/></a:graphicData>'
        "</a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>"
        "</xdr:wsDr>"
    ).encode("utf-8", "replace")


def _series_xml(tab: GeneratedTab, chart: BarChart, index: int, column: int) -> str:
    last_row = max(chart.first_row, chart.last_row)
    name = _cell(tab, chart.header_row, column)
    categories = [
        _cell(tab, row, chart.category_column)
        for row in range(chart.first_row, last_row + 1)
    ]
    values = [_cell(tab, row, column) for row in range(chart.first_row, last_row + 1)]

    name_ref = absolute_range(tab.name, chart.header_row, column, chart.header_row)
    category_ref = absolute_range(
        tab.name, chart.first_row, chart.category_column, last_row
    )
    value_ref = absolute_range(tab.name, chart.first_row, column, last_row)
    return (
        f'<c:ser><c:idx val="{index}"/><c:order val="{index}"/>'
        f"<c:tx><c:strRef><c:f>{escape_markup(name_ref)}</c:f>"
        f"{_text_cache([name])}</c:strRef></c:tx>"
        '<c:invertIfNegative val="0"/>'
        f"<c:cat><c:strRef><c:f>{escape_markup(category_ref)}</c:f>"
        f"{_text_cache(categories)}</c:strRef></c:cat>"
        f"<c:val><c:numRef><c:f>{escape_markup(value_ref)}</c:f>"
        f"{_number_cache(values)}</c:numRef></c:val></c:ser>"
    )


def _text_cache(values: list[CellValue]) -> str:
    points = "".join(
        f'<c:pt idx="{index}"><c:v>{_cached_text(value)}</c:v></c:pt>'
        for index, value in enumerate(values)
        if value is not None and value == value
    )
    return f'<c:strCache><c:ptCount val="{len(values)}"/>{points}</c:strCache>'


def _number_cache(values: list[CellValue]) -> str:
    numbers_by_index = {index: _number(value) for index, value in enumerate(values)}
    points = "".join(
        f'<c:pt idx="{index}"><c:v>{number!r}</c:v></c:pt>'
        for index, number in numbers_by_index.items()
        if number is not None
    )
    return (
        "<c:numCache><c:formatCode>General</c:formatCode>"
        f'<c:ptCount val="{len(values)}"/>{points}</c:numCache>'
    )


def _number(value: CellValue) -> float | None:
    """Return a cell's value as a chart number, or None for text and blanks."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _cached_text(value: CellValue) -> str:
    # The same text as the cell: sheet_xml writes U+FFFD for invalid characters.
    return escape_text(replace_invalid_characters(_display(value)))


def _display(value: CellValue) -> str:
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _cell(tab: GeneratedTab, row: int, column: int) -> CellValue:
    if not 1 <= row <= len(tab.grid) or column < 0:
        return None
    values = tab.grid[row - 1]
    return values[column] if column < len(values) else None


def _title_xml(title: str) -> str:
    if not title:
        return ""
    return (
        "<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr/>"
        f"</a:pPr><a:r><a:t>{escape_markup(replace_invalid_characters(title))}"
        "</a:t></a:r></a:p></c:rich></c:tx>"
        '<c:overlay val="0"/></c:title>'
    )


def _axes_xml() -> str:
    return (
        f'<c:catAx><c:axId val="{CATEGORY_AXIS_ID}"/><c:scaling><c:orientation '
        'val="minMax"/></c:scaling><c:delete val="0"/><c:axPos val="b"/>'
        '<c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="out"/>'
        '<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        f'<c:crossAx val="{VALUE_AXIS_ID}"/><c:crosses val="autoZero"/>'
        '<c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/>'
        '<c:noMultiLvlLbl val="0"/></c:catAx>'
        f'<c:valAx><c:axId val="{VALUE_AXIS_ID}"/><c:scaling><c:orientation '
        'val="minMax"/></c:scaling><c:delete val="0"/><c:axPos val="l"/>'
        '<c:majorGridlines/><c:numFmt formatCode="General" sourceLinked="1"/>'
        '<c:majorTickMark val="out"/><c:minorTickMark val="none"/>'
        f'<c:tickLblPos val="nextTo"/><c:crossAx val="{CATEGORY_AXIS_ID}"/>'
        '<c:crosses val="autoZero"/><c:crossBetween val="between"/></c:valAx>'
    )


def _marker(kind: str, column: int, row: int) -> str:
    return (
        f"<xdr:{kind}><xdr:col>{column}</xdr:col><xdr:colOff>0</xdr:colOff>"
        f"<xdr:row>{row}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:{kind}>"
    )
