"""Print the CPU seconds of the two read stages of a run, read_rows and read_deals.

    python bench/read_stages.py deals-100000-seed7.xlsx --definition b2b-en

prints ``{"read_rows": 0.1722, "read_deals": 0.2105, "repeats": 5}`` on
stdout, each the minimum over the repeats. The workbook is parsed by
python-calamine before each repeat and outside the timing, so only the
conversion of calamine's rows into the grid (read_rows) and the parsing of
the grid into deals and findings (read_deals) are timed. Cyclic garbage
collection is off while they run, as it is during a run.

CPU seconds (time.process_time) vary less than wall seconds on a machine
that other work shares. To compare two checkouts, run this script with each
on PYTHONPATH in turn, several times each, interleaved.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Sequence
from pathlib import Path

from config.models import Pipeline
from rules.grid import SheetGrid
from rules.headers import match_columns
from rules.rows import read_deals
from sync.cli import resolve_definition
from sync.date_system import package_uses_1904_dates
from sync.sources.excel import open_with_calamine, read_rows, resolve_tab_name


def time_read_stages(path: Path, pipeline: Pipeline) -> dict[str, float]:
    """Return the CPU seconds of read_rows and read_deals for one read of ``path``."""
    data = path.read_bytes()
    workbook = open_with_calamine(data, path.name)
    tab = resolve_tab_name(workbook.sheet_names, pipeline.source.tab, path.name)
    sheet = workbook.get_sheet_by_name(tab)

    gc.collect()
    gc.disable()
    try:
        started = time.process_time()
        rows = read_rows(workbook, tab, path.name, sheet)
        converted = time.process_time()
        date1904 = package_uses_1904_dates(data)
        grid = SheetGrid(path.name, tab, rows, date1904=date1904)
        columns = match_columns(grid, pipeline)
        matched = time.process_time()
        # Kept until the timing ends, so freeing the deals is not timed.
        deals = read_deals(grid, columns, pipeline)
        parsed = time.process_time()
        del deals
    finally:
        gc.enable()
    return {"read_rows": converted - started, "read_deals": parsed - matched}


def main(argv: Sequence[str] | None = None) -> int:
    """Time the read stages of the workbook named on the command line, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workbook", type=Path, help="the .xlsx workbook to read")
    parser.add_argument(
        "--definition",
        default="b2b-en",
        help="pipeline definition file or shipped name (default: b2b-en)",
    )
    parser.add_argument(
        "--repeats", type=int, default=5, help="reads to time (default: 5)"
    )
    arguments = parser.parse_args(argv)
    if arguments.repeats < 1:
        parser.error("--repeats must be 1 or more")

    pipeline = resolve_definition(arguments.definition)
    timings = [
        time_read_stages(arguments.workbook, pipeline) for _ in range(arguments.repeats)
    ]
    result: dict[str, float | int] = {
        stage: round(min(timing[stage] for timing in timings), 4)
        for stage in ("read_rows", "read_deals")
    }
    result["repeats"] = arguments.repeats
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
