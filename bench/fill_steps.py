"""Time the steps a run adds when it fills blank IDs (``columns.id.fill``).

    python bench/fill_steps.py bench/out/deals-100k.xlsx [BLANKS]

The workbook is one that ``bench/generate.py`` made. The script blanks the ID
cell of BLANKS deal rows (default 20), spread evenly over the sheet, in a copy
of the sheet XML, and reads that copy as a run does. It prints the best of
five timings of each added step: planning the IDs, updating the filled rows'
deals and findings, and the extra streaming pass that writes the IDs into
the sheet XML through a temporary file. For comparison it also times a whole
second read of the deal rows, which the update replaces.
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

# "python bench/<script>.py" puts only bench/ on sys.path, so the checkout is
# added.
REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from config.loader import load_pipeline  # noqa: E402
from config.models import IdFill  # noqa: E402
from config.shipped import shipped_definition  # noqa: E402
from rules.headers import match_columns  # noqa: E402
from rules.id_fill import grid_with_ids, plan_id_fills, with_filled_ids  # noqa: E402
from rules.rows import read_deal_rows  # noqa: E402
from sync.sources.excel import ExcelWorkbook  # noqa: E402
from sync.xlsx.sheet_patch import patch_status_column  # noqa: E402

SHEET_PART = "xl/worksheets/sheet1.xml"
FIRST_DEAL_ROW = 4
PIECE = 1 << 20
REPEATS = 5


def blank_ids(source: Path, target: Path, rows: list[int]) -> None:
    """Copy ``source`` to ``target`` with the column A cells of ``rows`` blank."""
    with zipfile.ZipFile(source) as read, zipfile.ZipFile(target, "w") as written:
        for info in read.infolist():
            data = read.read(info)
            if info.filename == SHEET_PART:
                xml = data.decode("utf-8")
                for row in rows:
                    cell = re.compile(rf'<c r="A{row}"([^>]*?)(?:/>|>.*?</c>)')
                    xml, count = cell.subn(f'<c r="A{row}"/>', xml, count=1)
                    if count != 1:
                        raise SystemExit(f"{source.name} has no cell A{row}")
                data = xml.encode("utf-8")
            written.writestr(info, data, zipfile.ZIP_DEFLATED)


def best_of(step: Callable[[], object]) -> float:
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        step()
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", type=Path)
    parser.add_argument("blanks", type=int, nargs="?", default=20)
    arguments = parser.parse_args()

    pipeline = load_pipeline(shipped_definition("b2b-en"))
    fill = IdFill(prefix="D-", digits=6)
    with tempfile.TemporaryDirectory() as folder:
        deal_rows = len(ExcelWorkbook(arguments.workbook).read_tab("Deals").rows) - 3
        step = max(1, deal_rows // arguments.blanks)
        rows = [FIRST_DEAL_ROW + step * k for k in range(arguments.blanks)]
        path = Path(folder) / arguments.workbook.name
        blank_ids(arguments.workbook, path, rows)
        grid = ExcelWorkbook(path).read_tab("Deals")
        with zipfile.ZipFile(path) as package:
            xml = package.read(SHEET_PART)

    columns = match_columns(grid, pipeline)
    deal_rows = read_deal_rows(grid, columns, pipeline)
    deals = deal_rows.deals
    fills = plan_id_fills(grid, columns, deals, fill, [])
    filled = grid_with_ids(grid, columns.fields["id"], fills)
    pieces = [xml[start : start + PIECE] for start in range(0, len(xml), PIECE)]
    texts = {fill.row: fill.deal_id for fill in fills}

    def write_ids() -> None:
        with tempfile.TemporaryFile() as spool:
            patch_status_column(pieces, 0, texts, "bench", spool.write)
            spool.seek(0)
            for _piece in iter(functools.partial(spool.read, PIECE), b""):
                pass

    planning = best_of(lambda: plan_id_fills(grid, columns, deals, fill, []))
    updating = best_of(lambda: with_filled_ids(deal_rows, columns, filled, fills))
    reading = best_of(lambda: read_deal_rows(filled, columns, pipeline))
    writing = best_of(write_ids)
    print(f"{len(deals):,} deals, {len(fills)} blank IDs, sheet XML {len(xml):,} bytes")
    print(f"plan the IDs:              {planning:.3f} s")
    print(f"update the filled rows:    {updating:.3f} s")
    print(f"write the IDs (XML pass):  {writing:.3f} s")
    print(f"(a second read instead:    {reading:.3f} s)")


if __name__ == "__main__":
    main()
