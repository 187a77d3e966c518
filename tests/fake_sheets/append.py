"""``values.append``: write below the table found in a range, growing the grid."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.fake_sheets.call import Call, check_choice
from tests.fake_sheets.dimensions import insert_dimension
from tests.fake_sheets.errors import invalid_argument
from tests.fake_sheets.ranges import Area, resolve
from tests.fake_sheets.store import MAX_CELLS, Sheet, Spreadsheet
from tests.fake_sheets.values import (
    DIMENSIONS,
    checked_matrix,
    input_option,
    read_options,
    rows_of,
    value_range,
    write_rows,
)


def append_values(call: Call, spreadsheet_id: str, range_text: str) -> dict[str, Any]:
    """Serve ``POST values/{range}:append``: write after the table found in the range.

    The table is the block of filled cells (joined through edges) that touches the
    range and ends lowest, then furthest right. Values go into the row below it,
    from its first column; with no table, at the range's first cell. The grid grows
    when the values do not fit.
    NOTE: how the real API picks among several blocks is inferred from two
    recordings (a gap in row 1 made it pick the right-hand block).
    """
    body = call.json_body()
    rows = checked_matrix(body.get("values"), "data.values")
    option = input_option(call.param("valueInputOption"), "valueInputOption")
    major = check_choice(
        "data.major_dimension", body.get("majorDimension"), DIMENSIONS, "ROWS"
    )
    insert = call.choice("insertDataOption", ("OVERWRITE", "INSERT_ROWS"), "OVERWRITE")
    rows = rows_of(rows, major)

    with call.store.change(spreadsheet_id, call.user) as spreadsheet:
        target = resolve(spreadsheet, range_text)
        table = find_table(target)
        start_row = table.end_row if table else target.start_row
        start_column = table.start_column if table else target.start_column
        area = _append_area(
            spreadsheet, target.sheet, start_row, start_column, rows, insert
        )
        result = write_rows(spreadsheet, area, rows, option, call.user)

        updates = result.response(spreadsheet_id)
        if call.flag("includeValuesInResponse"):
            options = replace(read_options(call, "response"), major_dimension=major)
            updates["updatedData"] = value_range(spreadsheet, area, options)
    response: dict[str, Any] = {"spreadsheetId": spreadsheet_id}
    if table is not None:
        response["tableRange"] = table.a1()
    response["updates"] = updates
    return response


def _append_area(
    spreadsheet: Spreadsheet,
    sheet: Sheet,
    start_row: int,
    start_column: int,
    rows: list[list[Any]],
    insert: str,
) -> Area:
    height = len(rows)
    width = max((len(row) for row in rows), default=0)
    if insert == "INSERT_ROWS" and height:
        insert_dimension(spreadsheet, sheet, "ROWS", start_row, height)

    missing_rows = start_row + height - sheet.row_count
    missing_columns = start_column + width - sheet.column_count
    if missing_rows > 0:
        sheet.grid["rowCount"] = sheet.row_count + missing_rows
    if missing_columns > 0:
        sheet.grid["columnCount"] = sheet.column_count + missing_columns
    if spreadsheet.cell_total() > MAX_CELLS:
        raise invalid_argument(
            "This action would increase the number of cells in the workbook above "
            f"the limit of {MAX_CELLS} cells."
        )
    return Area(
        sheet, start_row, start_row + height, start_column, start_column + width
    )


def find_table(target: Area) -> Area | None:
    """Return the bounding box of the table an append continues, or ``None``."""
    filled = {position for position, cell in target.sheet.cells.items() if cell.value}
    seen: set[tuple[int, int]] = set()
    best: tuple[int, int, int, int] | None = None
    for start in sorted(filled):
        row, column = start
        inside = target.start_row <= row < target.end_row and (
            target.start_column <= column < target.end_column
        )
        if start in seen or not inside:
            continue
        block = _connected_block(start, filled)
        seen |= block
        box = (
            min(r for r, _ in block),
            max(r for r, _ in block) + 1,
            min(c for _, c in block),
            max(c for _, c in block) + 1,
        )
        if best is None or (box[1], box[3]) > (best[1], best[3]):
            best = box
    if best is None:
        return None
    return Area(target.sheet, best[0], best[1], best[2], best[3])


def _connected_block(
    start: tuple[int, int], filled: set[tuple[int, int]]
) -> set[tuple[int, int]]:
    block = {start}
    frontier = [start]
    while frontier:
        row, column = frontier.pop()
        for neighbour in (
            (row + 1, column),
            (row - 1, column),
            (row, column + 1),
            (row, column - 1),
        ):
            if neighbour in filled and neighbour not in block:
                block.add(neighbour)
                frontier.append(neighbour)
    return block
