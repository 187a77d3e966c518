"""The cells of a worksheet that show sparklines.

Excel 2010 and later keep sparklines in the sheet's ``<extLst>``, after the
cells, in the x14 namespace. Each sparkline names the cell that shows it in
``<xm:sqref>`` and the data it draws in ``<xm:f>``::

    <x14:sparklineGroups xmlns:xm="...">
      <x14:sparklineGroup type="column">
        <x14:sparklines>
          <x14:sparkline><xm:f>Deals!C2:E2</xm:f><xm:sqref>F2</xm:sqref></x14:sparkline>

A cell that shows a sparkline has no value, so it reads as empty, but a
status written there overlaps the sparkline. XlsxWriter 3 and LibreOffice
Calc 7.4 write sparklines this way too. Conditional formats and data validations of
the same ``<extLst>`` also use ``<xm:sqref>``, so only the references inside
``<sparklineGroups>`` count.
"""

from __future__ import annotations

import re

from rules.grid import SPARKLINE, DrawingBlock
from sync.xlsx.cell_refs import parse_range_ref

_GROUPS = re.compile(
    rb"<(?:[\w.-]+:)?sparklineGroups[\s>].*?</(?:[\w.-]+:)?sparklineGroups\s*>",
    re.DOTALL,
)
_SQREF = re.compile(rb"<(?:[\w.-]+:)?sqref\s*>([^<]*)</")


def sparkline_blocks(after_cells: bytes) -> list[DrawingBlock]:
    """Return the cells that show sparklines, one block per reference, top first.

    :param after_cells: the sheet XML after its cells, where ``<extLst>`` is.
    """
    blocks = []
    for groups in _GROUPS.finditer(after_cells):
        for sqref in _SQREF.finditer(groups.group(0)):
            # A reference may list several ranges, separated by spaces.
            for reference in sqref.group(1).decode("ascii", "replace").split():
                block = parse_range_ref(reference.replace("$", ""))
                if block is not None:
                    blocks.append(DrawingBlock(SPARKLINE, "", *block))
    return sorted(blocks, key=lambda item: (item.first_row, item.first_column))
