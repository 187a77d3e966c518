"""Inserting, deleting and resizing rows and columns, and everything anchored to them.

Cells, row and column properties, merges, protected ranges, conditional formats,
charts, the basic filter, dimension groups, named ranges and row/column developer
metadata all move with the rows and columns they sit on. Those on deleted rows or
columns are dropped. References in cell formulas and in conditional-format
formulas move too (see :mod:`tests.fake_sheets.formula_shift`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from tests.fake_sheets.formula_shift import IndexMove, shift_formula
from tests.fake_sheets.ranges import (
    shift_grid_ranges,
    shift_index_for_delete,
    shift_index_for_insert,
    shift_start_for_insert,
)
from tests.fake_sheets.store import Cell, Sheet, Spreadsheet


def insert_dimension(
    spreadsheet: Spreadsheet, sheet: Sheet, dimension: str, start: int, count: int
) -> None:
    """Insert ``count`` empty rows (or columns) before index ``start``."""
    axis = 0 if dimension == "ROWS" else 1
    sheet.cells = {
        _moved(position, axis, start, count): cell
        for position, cell in sheet.cells.items()
    }
    _shift_dimension_properties(sheet, dimension, start, count)
    _shift_anchored_objects(spreadsheet, sheet, dimension, start, count)
    _grow(sheet, dimension, count)

    def move(index: int) -> int:
        return index + count if index >= start else index

    _shift_formulas(spreadsheet, sheet.title, dimension, move)


def delete_dimension(
    spreadsheet: Spreadsheet, sheet: Sheet, dimension: str, start: int, end: int
) -> None:
    """Delete rows (or columns) ``start``–``end`` (half-open) and what sits on them."""
    axis = 0 if dimension == "ROWS" else 1
    count = end - start
    remaining: dict[tuple[int, int], Cell] = {}
    for position, cell in sheet.cells.items():
        if start <= position[axis] < end:
            continue
        remaining[_moved(position, axis, end, -count)] = cell
    sheet.cells = remaining

    _shift_dimension_properties(sheet, dimension, start, -count)
    _shift_anchored_objects(spreadsheet, sheet, dimension, start, -count)
    _grow(sheet, dimension, -count)

    def move(index: int) -> int | None:
        if index < start:
            return index
        return None if index < end else index - count

    _shift_formulas(spreadsheet, sheet.title, dimension, move)


def _shift_formulas(
    spreadsheet: Spreadsheet, moved_title: str, dimension: str, move: IndexMove
) -> None:
    """Move the references to tab ``moved_title`` in every formula of the file."""
    for sheet in spreadsheet.sheets:

        def shifted(formula: str, own_title: str = sheet.title) -> str:
            return shift_formula(formula, moved_title, own_title, dimension, move)

        for position, cell in list(sheet.cells.items()):
            formula = (cell.value or {}).get("formulaValue")
            if isinstance(formula, str):
                value = {"formulaValue": shifted(formula)}
                sheet.cells[position] = dataclasses.replace(cell, value=value)
        for rule in sheet.conditional_formats:
            condition = (rule.get("booleanRule") or {}).get("condition") or {}
            for value in condition.get("values") or []:
                entered = value.get("userEnteredValue")
                if isinstance(entered, str) and entered.startswith("="):
                    value["userEnteredValue"] = shifted(entered)


def _moved(
    position: tuple[int, int], axis: int, start: int, count: int
) -> tuple[int, int]:
    if position[axis] < start:
        return position
    row, column = position
    if axis == 0:
        return row + count, column
    return row, column + count


def _grow(sheet: Sheet, dimension: str, count: int) -> None:
    key = "rowCount" if dimension == "ROWS" else "columnCount"
    sheet.grid[key] = int(sheet.grid.get(key, 0)) + count


def _shift_dimension_properties(
    sheet: Sheet, dimension: str, start: int, count: int
) -> None:
    name = "row_properties" if dimension == "ROWS" else "column_properties"
    properties: dict[int, dict[str, Any]] = getattr(sheet, name)
    shifted: dict[int, dict[str, Any]] = {}
    for index, value in properties.items():
        if count < 0 and start <= index < start - count:
            continue
        moved = (
            index + count if index >= (start if count > 0 else start - count) else index
        )
        shifted[moved] = value
    setattr(sheet, name, shifted)


def _shift_anchored_objects(
    spreadsheet: Spreadsheet, sheet: Sheet, dimension: str, start: int, count: int
) -> None:
    sheet_id = sheet.sheet_id
    for name in ("merges", "protected_ranges", "conditional_formats", "charts"):
        shifted = shift_grid_ranges(
            getattr(sheet, name), sheet_id, dimension, start, count
        )
        setattr(sheet, name, shifted)
    if sheet.basic_filter is not None:
        sheet.basic_filter = shift_grid_ranges(
            sheet.basic_filter, sheet_id, dimension, start, count
        )
    spreadsheet.named_ranges = shift_grid_ranges(
        spreadsheet.named_ranges, sheet_id, dimension, start, count
    )

    groups = sheet.row_groups if dimension == "ROWS" else sheet.column_groups
    _shift_dimension_ranges(groups, lambda group: group["range"], start, count)
    located = [
        item
        for item in spreadsheet.developer_metadata
        if item["location"].get("dimensionRange", {}).get("sheetId") == sheet_id
        and item["location"]["dimensionRange"].get("dimension") == dimension
    ]
    removed = _shift_dimension_ranges(
        located, lambda item: item["location"]["dimensionRange"], start, count
    )
    spreadsheet.developer_metadata = [
        item for item in spreadsheet.developer_metadata if id(item) not in removed
    ]


def _shift_dimension_ranges(
    items: list[dict[str, Any]],
    range_of: Callable[[dict[str, Any]], dict[str, Any]],
    start: int,
    count: int,
) -> set[int]:
    """Move DimensionRanges in place; return ids of items whose range vanished."""
    removed: set[int] = set()
    for item in list(items):
        dimension_range = range_of(item)
        first, last = dimension_range["startIndex"], dimension_range["endIndex"]
        if count > 0:
            first = shift_start_for_insert(first, start, count)
            last = shift_index_for_insert(last, start, count)
        else:
            first = shift_index_for_delete(first, start, start - count)
            last = shift_index_for_delete(last, start, start - count)
        dimension_range["startIndex"], dimension_range["endIndex"] = first, last
        if first >= last:
            removed.add(id(item))
            items.remove(item)
    return removed


def resize_grid(sheet: Sheet, rows: int | None, columns: int | None) -> None:
    """Set the grid size, dropping cells and properties beyond a smaller grid."""
    if rows is not None:
        sheet.grid["rowCount"] = rows
        sheet.row_properties = {
            i: p for i, p in sheet.row_properties.items() if i < rows
        }
    if columns is not None:
        sheet.grid["columnCount"] = columns
        sheet.column_properties = {
            i: p for i, p in sheet.column_properties.items() if i < columns
        }
    sheet.cells = {
        (row, column): cell
        for (row, column), cell in sheet.cells.items()
        if row < sheet.row_count and column < sheet.column_count
    }
