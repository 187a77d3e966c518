"""A warning when charts, pictures, shapes or sparklines lie over the status column.

The status column goes right of every filled cell, where a chart beside the
table often sits. A drawing object covers the cells under it, so the statuses
there are hidden from anyone reading the sheet. A new status column goes right
of the cells that show sparklines, but an existing one may reach them.
"""

from __future__ import annotations

from rules.grid import SPARKLINE, DrawingBlock, SheetGrid, column_letter
from sync.xlsx.cell_refs import range_ref

# How many covering objects a warning names before it counts the rest.
_NAMED_OBJECTS = 3


def covered_status_column(
    grid: SheetGrid,
    status_column: int,
    rows: tuple[int, int],
    status_header: str,
) -> str | None:
    """Return a warning when drawing objects lie over the status column, else None.

    :param status_column: the 0-based status column.
    :param rows: the 1-based rows of the status header and of the last status.
    :param status_header: the header text that marks the status column.
    """
    first_row, last_row = rows
    covering = [
        block
        for block in grid.drawings
        if block.first_column <= status_column <= block.last_column
        and block.first_row <= last_row
        and first_row <= block.last_row
    ]
    if not covering:
        return None

    letter = column_letter(status_column)
    cells = range_ref(first_row, status_column, last_row, status_column)
    if len(covering) == 1:
        objects = f"{_describe_block(covering[0])} lies"
        pronoun = "it"
    else:
        objects = f"{_list_blocks(covering)} lie"
        pronoun = "them"
    # A cell's text is drawn over its sparkline, and a chart over the cells.
    if all(block.kind == SPARKLINE for block in covering):
        hidden = f"drawn over {pronoun}, and both are hard to read"
    else:
        hidden = f"hidden behind {pronoun}"
    return (
        f"{grid.describe_location()}: {objects} over the status column "
        f"{letter} (cells {cells}), so the statuses pipesheet writes there are "
        f"{hidden}. Move {pronoun} off column {letter}, or type "
        f"the status header {status_header!r} into the header row of an empty "
        "column that no drawing covers: runs then write the statuses there."
    )


def _list_blocks(blocks: list[DrawingBlock]) -> str:
    named = [_describe_block(block) for block in blocks[:_NAMED_OBJECTS]]
    if len(blocks) > _NAMED_OBJECTS:
        named.append(f"{len(blocks) - _NAMED_OBJECTS} more drawing objects")
    return ", ".join(named[:-1]) + " and " + named[-1]


def _describe_block(block: DrawingBlock) -> str:
    name = f"{block.kind} {block.name!r}" if block.name else block.kind
    cells = range_ref(
        block.first_row, block.first_column, block.last_row, block.last_column
    )
    if block.kind == SPARKLINE:
        return f"the sparkline in {cells}"
    if block.estimated:
        return f"{name} (anchored at about {cells}, estimated from its size)"
    return f"{name} (anchored over {cells})"
