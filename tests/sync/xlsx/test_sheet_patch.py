"""Status cells written into sheet XML: replace, insert, order and escaping."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest

from config.errors import FeatureLossError, UnsupportedWorkbookError
from sync.xlsx.sheet_patch import SheetPatch, patch_status_column

HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
COLUMN_C = 2


def sheet(rows: bytes, dimension: bytes = b"A1:D3", extra: bytes = b"") -> bytes:
    """Return a worksheet with ``rows`` inside its sheet data."""
    return (
        HEAD
        + b'<dimension ref="'
        + dimension
        + b'"/>'
        + extra
        + b"<sheetData>"
        + rows
        + b"</sheetData><pageMargins/></worksheet>"
    )


def status(text: str, ref: bytes = b"C2", style: bytes = b"") -> bytes:
    """Return the inline-string status cell pipesheet writes."""
    return (
        b'<c r="'
        + ref
        + b'"'
        + style
        + b' t="inlineStr"><is><t xml:space="preserve">'
        + text.encode()
        + b"</t></is></c>"
    )


def split(xml: bytes, piece_bytes: int) -> list[bytes]:
    """Return ``xml`` cut into pieces of ``piece_bytes`` (the last may be shorter)."""
    return [xml[at : at + piece_bytes] for at in range(0, len(xml), piece_bytes)]


def patch(
    xml: bytes | list[bytes],
    texts: dict[int, str],
    place: str = "test",
    rewrite_tail: Callable[[bytes, bytes], bytes] | None = None,
) -> tuple[bytes, SheetPatch]:
    """Patch column C of ``xml`` or of its pieces, returning the new XML and summary."""
    pieces = [xml] if isinstance(xml, bytes) else xml
    out = bytearray()
    summary = patch_status_column(
        pieces, COLUMN_C, texts, place, out.extend, rewrite_tail
    )
    return bytes(out), summary


def patched(xml: bytes | list[bytes], texts: dict[int, str]) -> bytes:
    """Return ``xml`` with ``texts`` written into column C."""
    return patch(xml, texts)[0]


def patched_rows(xml: bytes, texts: dict[int, str]) -> bytes:
    """Patch ``xml`` and return only the content of its sheet data."""
    result = patched(xml, texts)
    start = result.index(b"<sheetData>") + len(b"<sheetData>")
    return result[start : result.index(b"</sheetData>")]


CELL_A2 = b'<c r="A2" t="s"><v>0</v></c>'
CELL_B2 = b'<c r="B2"><v>5</v></c>'
CELL_D2 = b'<c r="D2"><f>B2*2</f><v>10</v></c>'


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            b'<row r="2">' + CELL_A2 + b'<c r="C2" s="7" t="s"><v>3</v></c></row>',
            b'<row r="2">' + CELL_A2 + status("OK", style=b' s="7"') + b"</row>",
        ),
        (
            b'<row r="2">' + CELL_A2 + b'<c r="C2" s="4"/>' + CELL_D2 + b"</row>",
            b'<row r="2">'
            + CELL_A2
            + status("OK", style=b' s="4"')
            + CELL_D2
            + b"</row>",
        ),
        (
            b'<row r="2"><c r="C2"><f>1+1</f><v>2</v></c></row>',
            b'<row r="2">' + status("OK") + b"</row>",
        ),
    ],
    ids=["last-cell-with-style", "between-cells", "formula-cell"],
)
def test_existing_status_cell_replaced(row: bytes, expected: bytes) -> None:
    assert patched_rows(sheet(row), {2: "OK"}) == expected


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            b'<row r="2">' + CELL_A2 + CELL_B2 + b"</row>",
            b'<row r="2">' + CELL_A2 + CELL_B2 + status("OK") + b"</row>",
        ),
        (
            b'<row r="2">' + CELL_A2 + CELL_D2 + b"</row>",
            b'<row r="2">' + CELL_A2 + status("OK") + CELL_D2 + b"</row>",
        ),
        (
            b'<row r="2">' + CELL_D2 + b"</row>",
            b'<row r="2">' + status("OK") + CELL_D2 + b"</row>",
        ),
        (b'<row r="2"></row>', b'<row r="2">' + status("OK") + b"</row>"),
        (
            b'<row r="2" spans="1:4"/>',
            b'<row r="2" spans="1:4">' + status("OK") + b"</row>",
        ),
    ],
    ids=["after-last", "between", "before-first", "empty-row", "self-closing-row"],
)
def test_missing_status_cell_inserted_in_column_order(
    row: bytes, expected: bytes
) -> None:
    assert patched_rows(sheet(row), {2: "OK"}) == expected


def test_status_appended_to_every_row() -> None:
    rows = b"".join(
        b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (n, n) for n in (2, 3)
    )

    result = patched_rows(sheet(rows), {2: "OK", 3: "LATE"})

    assert result == (
        b'<row r="2"><c r="A2"><v>1</v></c>'
        + status("OK")
        + b'</row><row r="3"><c r="A3"><v>1</v></c>'
        + status("LATE", b"C3")
        + b"</row>"
    )


def test_status_replaced_kept_and_appended() -> None:
    rows = (
        b'<row r="2">' + CELL_A2 + b'<c r="C2" s="7" t="s"><v>1</v></c></row>'
        b'<row r="3"><c r="A3"><v>3</v></c><c r="C3" t="s"><v>2</v></c></row>'
        b'<row r="4"><c r="A4"><v>4</v></c></row>'
    )

    result = patched_rows(sheet(rows), {2: "OK", 4: "NEW"})

    assert result == (
        b'<row r="2">'
        + CELL_A2
        + status("OK", style=b' s="7"')
        + b'</row><row r="3"><c r="A3"><v>3</v></c><c r="C3" t="s"><v>2</v></c>'
        + b'</row><row r="4"><c r="A4"><v>4</v></c>'
        + status("NEW", b"C4")
        + b"</row>"
    )


ROW_2 = b'<row r="2">' + CELL_A2 + b"</row>"
ROW_4 = b'<row r="4"><c r="A4"><v>4</v></c></row>'
ROW_2_PATCHED = b'<row r="2">' + CELL_A2 + status("OK") + b"</row>"
ROW_4_PATCHED = b'<row r="4"><c r="A4"><v>4</v></c>' + status("OK", b"C4") + b"</row>"


@pytest.mark.parametrize(
    ("row", "texts", "expected"),
    [
        (
            b'<row r="3"><c r="A3"><v>3</v></c><c r="C3" s="2"><v>0</v></c></row>',
            {3: "MID"},
            b'<row r="3"><c r="A3"><v>3</v></c>'
            + status("MID", b"C3", b' s="2"')
            + b"</row>",
        ),
        (
            b'<row r="3"><c r="D3"><v>3</v></c></row>',
            {3: "MID"},
            b'<row r="3">' + status("MID", b"C3") + b'<c r="D3"><v>3</v></c></row>',
        ),
        (
            b'<row r="3"><c r="A3"><v>3</v></c></row>',
            {},
            b'<row r="3"><c r="A3"><v>3</v></c></row>',
        ),
        (
            b'<row r="3" s="5" customFormat="1"><c r="A3"><v>3</v></c></row>',
            {3: "MID"},
            b'<row r="3" s="5" customFormat="1"><c r="A3"><v>3</v></c>'
            + status("MID", b"C3", b' s="5"')
            + b"</row>",
        ),
        (
            b'<row r="3"><c r="A3"><v>3</v></c><extLst><ext/></extLst></row>',
            {3: "MID"},
            b'<row r="3"><c r="A3"><v>3</v></c>'
            + status("MID", b"C3")
            + b"<extLst><ext/></extLst></row>",
        ),
        (b'<row r="3"/>', {}, b'<row r="3"/>'),
        (
            b'<row r="3"/>',
            {3: "MID"},
            b'<row r="3">' + status("MID", b"C3") + b"</row>",
        ),
        (
            b'<row spans="1:3" r="3"><c r="A3"><v>3</v></c></row>',
            {3: "MID"},
            b'<row spans="1:3" r="3"><c r="A3"><v>3</v></c>'
            + status("MID", b"C3")
            + b"</row>",
        ),
        (
            b"<row><c><v>3</v></c><c><v>3</v></c><c><v>3</v></c></row>",
            {3: "MID"},
            b"<row><c><v>3</v></c><c><v>3</v></c>" + status("MID", b"C3") + b"</row>",
        ),
        (
            (
                b'<row r="3"><c r="A3"><v>3</v></c><c t="n"><v>3</v></c>'
                b"<c><v>3</v></c></row>"
            ),
            {3: "MID"},
            b'<row r="3"><c r="A3"><v>3</v></c><c t="n"><v>3</v></c>'
            + status("MID", b"C3")
            + b"</row>",
        ),
        (
            b'<row r="3"><c r="A3"><c r="C3"/></c></row>',
            {3: "MID"},
            b'<row r="3"><c r="A3">' + status("MID", b"C3") + b"</c></row>",
        ),
        (
            b'<row r="3"><c r="C3"><f>1+1</f><v>2</v></c></row>',
            {3: "MID"},
            b'<row r="3">' + status("MID", b"C3") + b"</row>",
        ),
        (
            b'<row r="3"><c r="A3" s="1"/></row>',
            {3: "MID"},
            b'<row r="3"><c r="A3" s="1"/>' + status("MID", b"C3") + b"</row>",
        ),
        (b"", {3: "NEW"}, b'<row r="3">' + status("NEW", b"C3") + b"</row>"),
    ],
    ids=[
        "status-cell",
        "cell-right-of-status",
        "not-a-target",
        "formatted-row",
        "row-extension",
        "self-closing-row",
        "self-closing-target",
        "r-not-first",
        "cells-without-r",
        "last-cell-without-r",
        "status-cell-nested",
        "status-formula",
        "self-closing-last-cell",
        "missing-row",
    ],
)
def test_row_among_appended_rows_patched_alone(
    row: bytes, texts: dict[int, str], expected: bytes
) -> None:
    rows = ROW_2 + row + ROW_4

    result = patched_rows(sheet(rows), {2: "OK", 4: "OK", **texts})

    assert result == ROW_2_PATCHED + expected + ROW_4_PATCHED


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            ROW_2 + b"\n  " + ROW_4 + b"\n",
            ROW_2_PATCHED + b"\n  " + ROW_4_PATCHED + b"\n",
        ),
        (
            ROW_2 + ROW_4 + b'<row r="5"/>',
            ROW_2_PATCHED + ROW_4_PATCHED + b'<row r="5"/>',
        ),
    ],
    ids=["whitespace-between-rows", "self-closing-last-row"],
)
def test_spaced_and_self_closing_rows_patched(rows: bytes, expected: bytes) -> None:
    result = patched_rows(sheet(rows), {2: "OK", 4: "OK"})

    assert result == expected


def test_missing_rows_inserted_in_row_order() -> None:
    rows = b'<row r="2">' + CELL_A2 + b'</row><row r="4"><c r="A4"><v>1</v></c></row>'

    result = patched_rows(sheet(rows), {1: "Status", 3: "NEW", 2: "OK", 6: "END"})

    assert result == (
        b'<row r="1">'
        + status("Status", b"C1")
        + b'</row><row r="2">'
        + CELL_A2
        + status("OK")
        + b'</row><row r="3">'
        + status("NEW", b"C3")
        + b'</row><row r="4"><c r="A4"><v>1</v></c></row><row r="6">'
        + status("END", b"C6")
        + b"</row>"
    )


def test_rows_and_cells_without_r_attribute() -> None:
    rows = b"<row><c><v>1</v></c></row><row><c><v>2</v></c><c/><c><v>4</v></c></row>"

    result = patched_rows(sheet(rows), {2: "OK"})

    assert result == (
        b"<row><c><v>1</v></c></row><row><c><v>2</v></c><c/>" + status("OK") + b"</row>"
    )


def test_cells_without_r_after_status_column() -> None:
    rows = b"<row><c><v>1</v></c><c/><c><v>3</v></c><c><v>4</v></c></row>"

    result = patched_rows(sheet(rows), {1: "OK"})

    assert (
        result
        == b"<row><c><v>1</v></c><c/>" + status("OK", b"C1") + b"<c><v>4</v></c></row>"
    )


def test_prefixed_elements_keep_their_prefix() -> None:
    xml = (
        b"<x:worksheet "
        b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<x:sheetData><x:row r="2"><x:c r="A2"><x:v>1</x:v></x:c></x:row>'
        b"</x:sheetData></x:worksheet>"
    )

    result = patched(xml, {2: "OK", 3: "NEW"})

    assert result == (
        b"<x:worksheet "
        b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<x:sheetData><x:row r="2"><x:c r="A2"><x:v>1</x:v></x:c><x:c r="C2" '
        b't="inlineStr"><x:is><x:t xml:space="preserve">OK</x:t></x:is></x:c></x:row>'
        b'<x:row r="3"><x:c r="C3" t="inlineStr"><x:is><x:t xml:space="preserve">NEW'
        b"</x:t></x:is></x:c></x:row></x:sheetData></x:worksheet>"
    )


def test_single_quoted_attributes_understood() -> None:
    rows = b"<row r='2'><c r='A2'><v>1</v></c><c r='C2' s='3'><v>9</v></c></row>"

    result = patched_rows(sheet(rows), {2: "OK"})

    assert (
        result
        == b"<row r='2'><c r='A2'><v>1</v></c>"
        + status("OK", style=b' s="3"')
        + b"</row>"
    )


def test_row_extension_stays_after_cells() -> None:
    rows = b'<row r="2">' + CELL_A2 + b"<extLst><ext/></extLst></row>"

    result = patched_rows(sheet(rows), {2: "OK"})

    assert (
        result
        == b'<row r="2">' + CELL_A2 + status("OK") + b"<extLst><ext/></extLst></row>"
    )


def test_self_closing_sheet_data_gets_rows() -> None:
    xml = HEAD + b"<sheetData/></worksheet>"

    result = patched(xml, {2: "OK"})

    assert (
        result
        == HEAD
        + b'<sheetData><row r="2">'
        + status("OK")
        + b"</row></sheetData></worksheet>"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('a & b < c > "d"', b'a &amp; b &lt; c &gt; "d"'),
        ("emoji 😀 中文", "emoji 😀 中文".encode()),
        ("line\r\nbreak\x07", b"line_x000D_\nbreak_x0007_"),
        ("literal _x0041_", b"literal _x005F_x0041_"),
    ],
    ids=["markup", "non-ascii", "control-characters", "escape-lookalike"],
)
def test_status_text_escaped(text: str, expected: bytes) -> None:
    result = patched_rows(sheet(b'<row r="2"></row>'), {2: text})

    assert (
        result
        == b'<row r="2">'
        + status("").replace(b"></t>", b">" + expected + b"</t>")
        + b"</row>"
    )


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            b'<row r="2"><c r="C2" s="5"><v>1</v></c></row>',
            b'<row r="2"><c r="C2" s="5"/></row>',
        ),
        (b'<row r="2"><c r="C2"><v>1</v></c></row>', b'<row r="2"></row>'),
        (b'<row r="2">' + CELL_A2 + b"</row>", b'<row r="2">' + CELL_A2 + b"</row>"),
    ],
    ids=["styled-cell-kept-empty", "unstyled-cell-removed", "missing-cell-not-created"],
)
def test_empty_text_leaves_no_value(row: bytes, expected: bytes) -> None:
    assert patched_rows(sheet(row), {2: "", 5: ""}) == expected


def test_inserted_cell_takes_column_style() -> None:
    cols = (
        b'<cols><col min="1" max="2" width="9"/><col min="3" max="3" style="8"/></cols>'
    )
    xml = sheet(b'<row r="2">' + CELL_A2 + b"</row>", extra=cols)

    result = patched(xml, {2: "OK", 3: "NEW"})

    assert (
        status("OK", style=b' s="8"')
        + b'</row><row r="3">'
        + status("NEW", b"C3", b' s="8"')
        in result
    )


def test_inserted_cell_takes_formatted_row_style() -> None:
    rows = b'<row r="2" s="6" customFormat="1">' + CELL_A2 + b"</row>"

    result = patched_rows(sheet(rows), {2: "OK"})

    assert (
        result
        == b'<row r="2" s="6" customFormat="1">'
        + CELL_A2
        + status("OK", style=b' s="6"')
        + b"</row>"
    )


@pytest.mark.parametrize(
    ("dimension", "texts", "expected"),
    [
        (b"A1:D3", {5: "OK"}, b'<dimension ref="A1:D5"/>'),
        (b"A1:B3", {2: "OK"}, b'<dimension ref="A1:C3"/>'),
        (b"A1:D9", {2: "OK"}, b'<dimension ref="A1:D9"/>'),
        (b"A1", {2: "OK"}, b'<dimension ref="A1:C2"/>'),
    ],
    ids=["more-rows", "more-columns", "inside", "single-cell"],
)
def test_dimension_grows_to_cover_status(
    dimension: bytes, texts: dict[int, str], expected: bytes
) -> None:
    xml = sheet(b"", dimension=dimension)

    result = patched(xml, texts)

    assert expected in result


def test_formula_replacement_reported() -> None:
    xml = sheet(b'<row r="2"><c r="C2"><f>1+1</f><v>2</v></c></row>')

    summary = patch(xml, {2: "OK"})[1]

    assert summary.formulas_replaced


def test_plain_value_replacement_not_reported_as_formula() -> None:
    xml = sheet(b'<row r="2"><c r="C2"><v>2</v></c></row>')

    summary = patch(xml, {2: "OK"})[1]

    assert not summary.formulas_replaced


def test_shared_formula_anchor_rejected() -> None:
    formula = b'<f t="shared" ref="C2:C9" si="0">A2*2</f>'
    row = b'<row r="2"><c r="C2">' + formula + b"<v>2</v></c></row>"

    with pytest.raises(FeatureLossError) as raised:
        patch(sheet(row), {2: "OK"}, "Workbook 'w.xlsx', tab 'Deals'")

    assert str(raised.value) == (
        "Workbook 'w.xlsx', tab 'Deals': status cell C2 contains a shared formula that "
        "other cells copy, and replacing it would break them. Clear the status column "
        "in Excel, then run again."
    )


@pytest.mark.parametrize(
    "formula",
    [
        b'<f t="array" ref="C2:D2">A2:B2*2</f>',
        b'<f t="dataTable" ref="C2:C5" dt2D="0" dtr="0" r1="A1"/>',
    ],
    ids=["array", "data-table"],
)
def test_array_formula_anchor_rejected(formula: bytes) -> None:
    row = b'<row r="2"><c r="C2">' + formula + b"<v>2</v></c></row>"

    with pytest.raises(FeatureLossError) as raised:
        patch(sheet(row), {2: "OK"}, "Workbook 'w.xlsx', tab 'Deals'")

    assert str(raised.value).startswith(
        "Workbook 'w.xlsx', tab 'Deals': status cell C2 contains an array formula "
        "or data table whose results fill C2:"
    )


def test_one_cell_array_formula_replaced() -> None:
    row = (
        b'<row r="2"><c r="C2"><f t="array" ref="C2">SUM(A2:B2*2)</f><v>2</v></c></row>'
    )

    summary = patch(sheet(row), {2: "OK"})[1]

    assert summary.formulas_replaced


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            b"<row r='3'></row><row r='2'></row>",
            (
                "Workbook 'w.xlsx', tab 'Deals': the sheet part is damaged (row 2 "
                "comes after row 3, but rows must be in ascending order). Open the "
                "workbook in Excel or LibreOffice and save it again, which writes the "
                "rows in order, then run again."
            ),
        ),
        (
            b"<row r='2'><c r='A2'><v>1</v></c>",
            (
                "Workbook 'w.xlsx', tab 'Deals': the sheet part is damaged (row 2 is "
                "not "
                "closed). Open the workbook in Excel and save it again, then run again."
            ),
        ),
    ],
    ids=["rows-out-of-order", "unclosed-row"],
)
def test_unusable_sheet_data_rejected(rows: bytes, message: str) -> None:
    with pytest.raises(UnsupportedWorkbookError) as raised:
        patch(sheet(rows), {2: "OK", 9: "END"}, "Workbook 'w.xlsx', tab 'Deals'")

    assert str(raised.value) == message


@pytest.mark.parametrize(
    "rows",
    [
        b'<row r="2"></row><row r="4"></row><row r="3"></row>',
        b"".join(
            b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (n, n) for n in (2, 4, 3, 5)
        ),
    ],
    ids=["after-insert", "in-window"],
)
def test_disordered_rows_rejected(rows: bytes) -> None:
    with pytest.raises(UnsupportedWorkbookError) as raised:
        patch(sheet(rows), {2: "OK", 3: "OK"}, "Workbook 'w.xlsx', tab 'Deals'")

    assert str(raised.value) == ROWS_OUT_OF_ORDER


ROWS_OUT_OF_ORDER = (
    "Workbook 'w.xlsx', tab 'Deals': the sheet part is damaged (row 3 comes after "
    "row 4, but rows must be in ascending order). Open the workbook in Excel or "
    "LibreOffice and save it again, which writes the rows in order, then run again."
)
ROW_TWICE = (
    "Workbook 'w.xlsx', tab 'Deals': the sheet part is damaged (row 3 appears "
    "twice). LibreOffice keeps only the second of the two rows 3 when it opens the "
    "workbook. Open the workbook in Excel or LibreOffice, save it again, check that "
    "no deal is missing, then run again."
)


def numbered_rows(*numbers: int) -> bytes:
    """Return one row per number, each with a value in column A."""
    row = b'<row r="%d"><c r="A%d"><v>1</v></c></row>'
    return b"".join(row % (number, number) for number in numbers)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (numbered_rows(1, 2, 4, 3, 5), ROWS_OUT_OF_ORDER),
        (numbered_rows(1, 2, 3, 3, 4), ROW_TWICE),
        (
            b'<row r="2"></row><row r="4" customFormat="1"/><row r="3"/>',
            ROWS_OUT_OF_ORDER,
        ),
        (b'<row r="2"></row><row ht="15"></row><row r="3"/>', ROW_TWICE),
    ],
    ids=["out-of-order", "duplicate", "self-closing-rows", "row-without-number"],
)
@pytest.mark.parametrize("piece_size", [7, 1 << 16], ids=["small-pieces", "one-piece"])
def test_rows_after_last_status_checked(
    rows: bytes, message: str, piece_size: int
) -> None:
    pieces = split(sheet(rows), piece_size)

    with pytest.raises(UnsupportedWorkbookError) as raised:
        patch(pieces, {2: "OK"}, "Workbook 'w.xlsx', tab 'Deals'")

    assert str(raised.value) == message


def test_rows_checked_without_status_cells() -> None:
    with pytest.raises(UnsupportedWorkbookError) as raised:
        patch(sheet(numbered_rows(1, 3, 3)), {}, "Workbook 'w.xlsx', tab 'Deals'")

    assert str(raised.value) == ROW_TWICE


@pytest.mark.parametrize(
    "reference",
    [b"\xc3", b"", b"12", b"B 2"],
    ids=["cut-off-character", "empty", "digits", "space"],
)
def test_status_after_unreadable_reference(reference: bytes) -> None:
    last_cell = b'<c r="' + reference + b'"><v>1</v></c>'
    rows = b'<row r="2">' + CELL_A2 + last_cell + b"</row>"

    result = patched_rows(sheet(rows), {2: "OK"})

    assert result == (
        b'<row r="2">'
        + CELL_A2
        + last_cell
        + b'<c r="C2" t="inlineStr"><is><t xml:space="preserve">OK</t></is></c></row>'
    )


def test_untouched_rows_copied_byte_for_byte() -> None:
    rows = b'<row r="1" ht="20" customHeight="1"><c r="A1" t="s"><v>9</v></c></row>\n  '
    rows += b'<row r="2">' + CELL_A2 + b"</row>"

    result = patched_rows(sheet(rows), {2: "OK"})

    assert result.startswith(
        b'<row r="1" ht="20" customHeight="1"><c r="A1" t="s"><v>9</v></c></row>\n  '
    )


def test_tail_rewritten_in_same_pass() -> None:
    xml = sheet(b'<row r="2"></row>')

    result = patch(xml, {2: "OK"}, rewrite_tail=lambda tail, prefix: b"<x/>" + tail)[0]

    assert result.endswith(b"</sheetData><x/><pageMargins/></worksheet>")


# Rows that exercise every kind of window boundary: multi-byte UTF-8 text,
# single quotes, a cell to insert before, a self-closing row and missing rows.
TEXT_A1 = '<c r="A1" t="inlineStr"><is><t>Stage 狀態 😀</t></is></c>'.encode()
TEXT_A5 = '<c r="A5" t="inlineStr"><is><t>中文 — 跟進</t></is></c>'.encode()
STREAMED_ROWS = (
    b'<row r="1">'
    + TEXT_A1
    + b'<c r="C1" t="s"><v>0</v></c></row>'
    + b"<row r='2' spans='1:4'><c r='A2'><v>1</v></c><c r='D2'><v>4</v></c></row>"
    + b'<row r="4"/><row r="5">'
    + TEXT_A5
    + b"</row>"
)
STREAMED_TEXTS = {1: "Status 😀", 2: "OK", 3: "新 NEW", 4: "Self", 5: "Done", 7: "END"}
STREAMED_RESULT = sheet(
    b'<row r="1">'
    + TEXT_A1
    + status("Status 😀", b"C1")
    + b"</row><row r='2' spans='1:4'><c r='A2'><v>1</v></c>"
    + status("OK")
    + b"<c r='D2'><v>4</v></c></row>"
    + b'<row r="3">'
    + status("新 NEW", b"C3")
    + b'</row><row r="4">'
    + status("Self", b"C4")
    + b'</row><row r="5">'
    + TEXT_A5
    + status("Done", b"C5")
    + b'</row><row r="7">'
    + status("END", b"C7")
    + b"</row>",
    dimension=b"A1:D7",
)


def test_streamed_rows_patched_whole() -> None:
    assert patched(sheet(STREAMED_ROWS), STREAMED_TEXTS) == STREAMED_RESULT


@pytest.mark.parametrize("piece_bytes", [1, 2, 3, 7, 64], ids=lambda n: f"{n}-byte")
def test_small_pieces_give_same_xml(piece_bytes: int) -> None:
    pieces = split(sheet(STREAMED_ROWS), piece_bytes)

    assert patched(pieces, STREAMED_TEXTS) == STREAMED_RESULT


def test_every_split_point_gives_same_xml() -> None:
    xml = sheet(STREAMED_ROWS)

    wrong = [
        cut
        for cut in range(1, len(xml))
        if patched([xml[:cut], xml[cut:]], STREAMED_TEXTS) != STREAMED_RESULT
    ]

    assert wrong == []


def test_row_longer_than_pieces_patched() -> None:
    cells = b"".join(b'<c r="A%d"><v>%d</v></c>' % (2, n) for n in range(200))
    rows = b'<row r="1"></row><row r="2">' + cells + b'</row><row r="3"></row>'

    result = patched(split(sheet(rows), 16), {2: "OK"})

    assert b'<row r="2">' + cells + status("OK") + b"</row>" in result


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            b'<row r="5"></row><row r="3"></row>',
            (
                "Workbook 'w.xlsx', tab 'Deals': the sheet part is damaged (row 3 "
                "comes after row 5, but rows must be in ascending order). Open the "
                "workbook in Excel or LibreOffice and save it again, which writes the "
                "rows in order, then run again."
            ),
        ),
        (
            b"<row r='2'><c r='A2'><v>1</v></c>",
            (
                "Workbook 'w.xlsx', tab 'Deals': the sheet part is damaged (row 2 is "
                "not closed). Open the workbook in Excel and save it again, then run "
                "again."
            ),
        ),
    ],
    ids=["rows-out-of-order", "unclosed-row"],
)
def test_damage_found_across_pieces(rows: bytes, message: str) -> None:
    pieces = split(sheet(rows), 5)

    with pytest.raises(UnsupportedWorkbookError) as raised:
        patch(pieces, {2: "OK", 9: "END"}, "Workbook 'w.xlsx', tab 'Deals'")

    assert str(raised.value) == message


# Markup whose text looks like rows and cells, at the places XML allows it.
MARKUP_ROWS = (
    b'<!-- <row r="2"><c r="C2"><v>9</v></c></row> -->'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[</c></row><row r="2">'
    b"<c r='C1'>]]></t></is></c><?keep <row r=\"3\"> ?></row>"
    b'<row r="2"><c r="A2"><v>1</v><!-- </c><c r="C2"> --></c>'
    b'<c r="C2"><v>0</v></c></row>'
    b"<![CDATA[</sheetData>]]><!---->"
)
MARKUP_RESULT = sheet(
    b'<!-- <row r="2"><c r="C2"><v>9</v></c></row> -->'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[</c></row><row r="2">'
    b"<c r='C1'>]]></t></is></c><?keep <row r=\"3\"> ?>"
    + status("One", b"C1")
    + b'</row><row r="2"><c r="A2"><v>1</v><!-- </c><c r="C2"> --></c>'
    + status("Two")
    + b"</row>"
    + b"<![CDATA[</sheetData>]]><!---->"
    + b'<row r="4">'
    + status("Four", b"C4")
    + b"</row>",
    dimension=b"A1:D4",
)
MARKUP_TEXTS = {1: "One", 2: "Two", 4: "Four"}


def test_markup_text_never_read_as_rows() -> None:
    assert patched(sheet(MARKUP_ROWS), MARKUP_TEXTS) == MARKUP_RESULT


def test_markup_split_anywhere_gives_same_xml() -> None:
    xml = sheet(MARKUP_ROWS)

    wrong = [
        cut
        for cut in range(1, len(xml))
        if patched([xml[:cut], xml[cut:]], MARKUP_TEXTS) != MARKUP_RESULT
    ]

    assert wrong == []


@pytest.mark.parametrize("piece_bytes", [1, 3, 16], ids=lambda n: f"{n}-byte")
def test_markup_in_small_pieces(piece_bytes: int) -> None:
    pieces = split(sheet(MARKUP_ROWS), piece_bytes)

    assert patched(pieces, MARKUP_TEXTS) == MARKUP_RESULT


def test_markup_only_sheet_unchanged() -> None:
    xml = sheet(MARKUP_ROWS.replace(b'<c r="C2"><v>0</v></c>', status("Two")))
    xml = xml.replace(b"<?keep", status("One", b"C1") + b"<?keep")

    result, summary = patch(xml, {1: "One", 2: "Two"})

    assert result == xml
    assert not summary.changed


def test_status_cell_with_comment_replaced() -> None:
    rows = b'<row r="2">' + CELL_A2 + b'<c r="C2"><!-- old --><v>3</v></c></row>'

    result = patched_rows(sheet(rows), {2: "OK"})

    assert result == b'<row r="2">' + CELL_A2 + status("OK") + b"</row>"


def test_unclosed_comment_rejected() -> None:
    xml = sheet(b'<row r="2"></row><!-- <row r="3"></row>')

    with pytest.raises(UnsupportedWorkbookError) as raised:
        patch(split(xml, 8), {2: "OK"}, "Workbook 'w.xlsx', tab 'Deals'")

    assert str(raised.value) == (
        "Workbook 'w.xlsx', tab 'Deals': the sheet part is damaged (<sheetData> is "
        "not closed). Open the workbook in Excel and save it again, then run again."
    )


# End tags with white space before their ">", which XML allows.
SPACED_ROWS = (
    b'<row r="1"><c r="A1"><v>1</v\n></c ><c r="B1"><v>2</v></c\t></row >'
    b'<row r="2"><c r="A2"><v>1</v></c><c r="C2"><v>0</v></c \r\n></row\n>'
    b'<row r="3"><c r="A3"><v>1</v></c ><c r="C3"><v>0</v></c><c r="D3"><v>4</v>'
    b"</c></row>"
)
SPACED_RESULT = (
    b'<row r="1"><c r="A1"><v>1</v\n></c ><c r="B1"><v>2</v></c\t>'
    + status("One", b"C1")
    + b'</row ><row r="2"><c r="A2"><v>1</v></c>'
    + status("Two")
    + b'</row\n><row r="3"><c r="A3"><v>1</v></c >'
    + status("Three", b"C3")
    + b'<c r="D3"><v>4</v></c></row><row r="5">'
    + status("Five", b"C5")
    + b"</row>"
)
SPACED_TEXTS = {1: "One", 2: "Two", 3: "Three", 5: "Five"}


def spaced_sheet(rows: bytes) -> bytes:
    """Return a worksheet whose ``</sheetData>`` has white space before its ``>``."""
    return sheet(rows).replace(b"</sheetData>", b"</sheetData\n  >")


def test_spaced_end_tags_patched() -> None:
    result = patched(spaced_sheet(SPACED_ROWS), SPACED_TEXTS)

    assert result == spaced_sheet(SPACED_RESULT).replace(b"A1:D3", b"A1:D5")


def test_spaced_end_tags_split_anywhere() -> None:
    xml = spaced_sheet(SPACED_ROWS)
    expected = spaced_sheet(SPACED_RESULT).replace(b"A1:D3", b"A1:D5")

    wrong = [
        cut
        for cut in range(1, len(xml))
        if patched([xml[:cut], xml[cut:]], SPACED_TEXTS) != expected
    ]

    assert wrong == []


@pytest.mark.parametrize(
    "close",
    [b"</row >", b"</row\n>", b"</row\t\r\n>"],
    ids=["space", "newline", "mixed"],
)
def test_spaced_row_end_on_fast_path(close: bytes) -> None:
    # Rows as XlsxWriter writes them, which patch_window_rows handles, but one
    # ends in a spaced tag, so its cells must not be read as the next row's.
    rows = numbered_rows(1, 2, 3, 4).replace(b"</row>", close, 1)

    result = patched_rows(sheet(rows), {1: "A", 2: "B", 3: "C", 4: "D"})

    assert result == (
        b'<row r="1"><c r="A1"><v>1</v></c>'
        + status("A", b"C1")
        + close
        + b"".join(
            b'<row r="%d"><c r="A%d"><v>1</v></c>' % (n, n)
            + status(text, b"C%d" % n)
            + b"</row>"
            for n, text in ((2, "B"), (3, "C"), (4, "D"))
        )
    )


def test_spaced_end_tags_unchanged_sheet() -> None:
    xml = spaced_sheet(SPACED_RESULT).replace(b"A1:D3", b"A1:D5")

    result, summary = patch(xml, SPACED_TEXTS)

    assert result == xml
    assert not summary.changed


@pytest.mark.parametrize(
    ("xml", "problem"),
    [
        (HEAD + b"<sheetData><row r='2'></row>", "<sheetData> is not closed"),
        (HEAD + b"<sheetDat</worksheet>", "it has no <sheetData> element"),
    ],
    ids=["unclosed-sheet-data", "no-sheet-data"],
)
def test_sheet_data_damage_found_at_end(xml: bytes, problem: str) -> None:
    with pytest.raises(UnsupportedWorkbookError) as raised:
        patch(split(xml, 4), {2: "OK"}, "Workbook 'w.xlsx', tab 'Deals'")

    assert str(raised.value) == (
        f"Workbook 'w.xlsx', tab 'Deals': the sheet part is damaged ({problem}). "
        "Open the workbook in Excel and save it again, then run again."
    )


@pytest.mark.parametrize("piece_bytes", [1, 5, 10_000], ids=lambda n: f"{n}-byte")
def test_same_status_leaves_sheet_unchanged(piece_bytes: int) -> None:
    xml = STREAMED_RESULT
    texts = {**STREAMED_TEXTS, 6: ""}

    result, summary = patch(split(xml, piece_bytes), texts)

    assert result == xml
    assert not summary.changed


@pytest.mark.parametrize(
    ("texts", "rewrite_tail"),
    [
        ({2: "NEW"}, None),
        ({1: "Status 😀"}, lambda tail, prefix: tail.replace(b"<pageMargins/>", b"")),
        ({9: "END"}, None),
    ],
    ids=["one-status-text", "tail-only", "new-row-at-end"],
)
def test_any_new_byte_marks_sheet_changed(
    texts: dict[int, str], rewrite_tail: Callable[[bytes, bytes], bytes] | None
) -> None:
    summary = patch(split(STREAMED_RESULT, 7), texts, rewrite_tail=rewrite_tail)[1]

    assert summary.changed


def test_tail_rewrite_gets_root_prefix() -> None:
    xml = (
        b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/'
        b'main"><x:sheetData/><x:pageMargins/></x:worksheet>'
    )
    prefixes: list[bytes] = []

    patch(xml, {}, rewrite_tail=lambda tail, prefix: prefixes.append(prefix) or tail)

    assert prefixes == [b"x:"]


MAIN_NAMESPACE = b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def test_sheet_data_redeclaring_default_namespace() -> None:
    # <x:worksheet> with <sheetData xmlns="...main">: the rows take no prefix,
    # and the elements after </sheetData> take the root's.
    xml = (
        b"<x:worksheet xmlns:x="
        + MAIN_NAMESPACE
        + b"><sheetData xmlns="
        + MAIN_NAMESPACE
        + b'><row r="2"><c r="A2"><v>1</v></c></row></sheetData>'
        + b"<x:pageMargins/></x:worksheet>"
    )
    prefixes: list[bytes] = []

    result, _ = patch(
        xml,
        {2: "OK", 3: "NEW"},
        rewrite_tail=lambda tail, prefix: prefixes.append(prefix) or tail,
    )

    assert result == (
        b"<x:worksheet xmlns:x="
        + MAIN_NAMESPACE
        + b"><sheetData xmlns="
        + MAIN_NAMESPACE
        + b'><row r="2"><c r="A2"><v>1</v></c>'
        + status("OK")
        + b'</row><row r="3">'
        + status("NEW", b"C3")
        + b"</row></sheetData><x:pageMargins/></x:worksheet>"
    )
    assert prefixes == [b"x:"]


def test_prefixed_tag_in_comment_before_root() -> None:
    xml = sheet(b'<row r="2"><c r="A2"><v>1</v></c></row>').replace(
        b"?>\n", b"?>\n<!-- <x:worksheet> -->"
    )

    result = patched_rows(xml, {2: "OK"})

    assert result == b'<row r="2"><c r="A2"><v>1</v></c>' + status("OK") + b"</row>"


# Markup inserted by add_random_markup, each with a unique MARK number.
INSERTED = re.compile(
    rb"<!--MARK\d+.*?-->|<\?MARK\d+.*?\?>|<!\[CDATA\[MARK\d+.*?\]\]>", re.DOTALL
)
SPACED_END_TAG = re.compile(rb"</(row|c|sheetData)\s+>")


def random_sheet(rng: random.Random) -> bytes:
    """Return a worksheet with random rows, some with a status cell in column C."""
    rows = []
    for number in sorted(rng.sample(range(1, 30), rng.randint(1, 12))):
        cells = []
        for letter in sorted(rng.sample("ABCDE", rng.randint(0, 4))):
            text = rng.choice([b"x", b"Why?", b"a!b", b"OK"])
            cells.append(
                b'<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>'
                % (letter.encode(), number, text)
            )
        rows.append(b'<row r="%d">%s</row>' % (number, b"".join(cells)))
    return sheet(b"".join(rows), dimension=b"A1:E29")


def add_random_markup(xml: bytes, rng: random.Random) -> bytes:
    """Insert comments, instructions and CDATA that look like rows and cells.

    Markup goes before tags inside the sheet data and into cell text, and
    some end tags get white space before their ">".
    """
    start = xml.index(b"<sheetData>") + len(b"<sheetData>")
    end = xml.index(b"</sheetData>")
    spots = [m.start() for m in re.finditer(rb"<", xml[start:end])]
    texts = [m.start() + 3 for m in re.finditer(rb"<t>", xml[start:end])]
    inserts: list[tuple[int, bytes]] = []
    for number, spot in enumerate(rng.sample(spots, min(len(spots), 4))):
        fake = b'<row r="%d"><c r="C%d"><v>1</v></c></row>' % (number + 3, number + 3)
        markup = rng.choice([b"<!--MARK%d %s -->", b"<?MARK%d %s ?>"])
        inserts.append((start + spot, markup % (number, fake)))
    for number, spot in enumerate(rng.sample(texts, min(len(texts), 2))):
        inserts.append((start + spot, b"<![CDATA[MARK%d </c></row>]]>" % (number + 9)))
    for spot, markup in sorted(inserts, reverse=True):
        xml = xml[:spot] + markup + xml[spot:]
    return re.sub(
        rb"</(row|c|sheetData)>",
        lambda m: m.group(0) if rng.random() < 0.5 else b"</%s \n>" % m.group(1),
        xml,
    )


def test_random_markup_patched_like_plain_sheet() -> None:
    rng = random.Random(20261206)
    wrong = []
    for case in range(300):
        plain = random_sheet(rng)
        marked = add_random_markup(plain, rng)
        texts = {row: rng.choice(["OK", "WARN: late", ""]) for row in range(1, 31)}
        texts = {row: text for row, text in texts.items() if rng.random() < 0.6}
        piece_bytes = rng.choice([1, 7, 50, 1 << 16])

        expected = patched(plain, texts)
        result = patched(split(marked, piece_bytes), texts)

        unmarked = SPACED_END_TAG.sub(rb"</\1>", INSERTED.sub(b"", result))
        if unmarked != expected:
            wrong.append(case)
    assert wrong == []
