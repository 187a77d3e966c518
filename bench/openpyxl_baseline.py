"""Set a status on every deal row with openpyxl and save the workbook in place.

    python bench/openpyxl_baseline.py deals.xlsx --tab Deals --header-row 3

This is the baseline the benchmark compares pipesheet with: a normal
``openpyxl.load_workbook``, one status cell set on every row below the header in
the first empty column, and a full ``save``. openpyxl parses every cell of every
tab on load and writes every cell again on save, whatever changed.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import openpyxl

STATUS_HEADER = "pipesheet status"
# A fixed text about as long as pipesheet's typical warning status.
STATUS_TEXT = "WARN: follow-up 12 days overdue"


def set_status_column(path: Path, tab: str, header_row: int) -> int:
    """Write a status into the first empty column of ``tab`` and save ``path``.

    :param path: the workbook, which is overwritten.
    :param tab: the tab holding the deals.
    :param header_row: the 1-based row of the header; deals are the rows below it.
    :return: the number of status cells set.
    """
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[tab]
    column: int = sheet.max_column + 1
    last_row: int = sheet.max_row

    sheet.cell(header_row, column, STATUS_HEADER)
    for row in range(header_row + 1, last_row + 1):
        sheet.cell(row, column, STATUS_TEXT)

    workbook.save(path)
    return max(last_row - header_row, 0)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the baseline on the workbook the command line names."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workbook", type=Path, help="the .xlsx to change in place")
    parser.add_argument("--tab", default="Deals", help="tab of the deals")
    parser.add_argument(
        "--header-row", type=int, default=3, help="1-based row of the header"
    )
    arguments = parser.parse_args(argv)

    written = set_status_column(arguments.workbook, arguments.tab, arguments.header_row)
    print(f"Set {written} status cells in {arguments.workbook}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
