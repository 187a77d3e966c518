"""Measure the bytes each deal adds to a first Google Sheets write, by tab.

Every deal of the synthetic sheet is in stage Proposal, which requires
Account and Amount, and leaves both blank: two errors on the Problems tab.
Its next step date is before the run's day, which adds an overdue warning on
Problems and a row on Follow-ups. The script writes sheets of N and 2N such deals to
the fake Sheets API of the tests, served in-process through ``responses`` so
nothing leaves the machine. It prints each tab's growth per deal and per row,
and the deal count at which the write would reach Google's request limit::

    python bench/sheets_row_size.py [N]
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

# Installing pipesheet installs config, rules and sync but not tests, which
# contains the fake Sheets API. "python bench/<script>.py" puts only bench/ on
# sys.path, so the checkout is added.
REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from rules.grid import CellValue  # noqa: E402
from sync.run import run_sync  # noqa: E402
from sync.sources.sheets_write import MAX_REQUEST_BYTES, sizes_by_tab  # noqa: E402
from tests.fake_sheets import FakeSheets  # noqa: E402
from tests.sync.fake_spreadsheets import (  # noqa: E402
    DEALS_HEADER,
    make_pipeline,
    open_spreadsheet,
    upload_workbook,
)

AS_OF = dt.date(2025, 9, 10)
OVERDUE = dt.date(2025, 9, 1)


@dataclass(frozen=True)
class WriteSize:
    """The batchUpdate body's bytes, and each tab's request bytes and rows."""

    body: int
    tab_bytes: dict[str | None, int]
    tab_rows: dict[str | None, int]


def measure_write(deals: int) -> WriteSize:
    """Write ``deals`` synthetic deals to the fake API and measure the write."""
    rows: list[list[CellValue]] = [DEALS_HEADER]
    rows += [[f"D-{n}", None, "Proposal", None, OVERDUE] for n in range(deals)]
    fake = FakeSheets()
    with fake.responses():
        spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": rows})
        pipeline = make_pipeline(spreadsheet_id)
        source = open_spreadsheet(spreadsheet_id, pipeline=pipeline)
        run_sync(pipeline, source, AS_OF)

    [write] = [q for q in fake.requests if q.operation == "spreadsheets.batchUpdate"]
    sheets = fake.spreadsheet(spreadsheet_id).sheets
    names = {sheet.sheet_id: sheet.title for sheet in sheets}
    tab_rows: dict[str | None, int] = {
        sheet.title: len(fake.read(spreadsheet_id, sheet.title)) for sheet in sheets
    }
    tab_bytes = sizes_by_tab(write.json()["requests"], names)
    return WriteSize(len(write.body), tab_bytes, tab_rows)


def main() -> None:
    """Print each tab's bytes per deal and per row, and the deals at the limit."""
    deals = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    small = measure_write(deals)
    large = measure_write(2 * deals)

    print(f"batchUpdate body: {small.body:,} bytes for {deals:,} deals,")
    print(f"{large.body:,} bytes for {2 * deals:,} deals")
    print(f"  {'tab':<16} {'bytes/deal':>10} {'rows/deal':>9} {'bytes/row':>9}")
    for name in sorted(large.tab_bytes, key=large.tab_bytes.__getitem__, reverse=True):
        added_bytes = large.tab_bytes[name] - small.tab_bytes.get(name, 0)
        added_rows = large.tab_rows.get(name, 0) - small.tab_rows.get(name, 0)
        if added_bytes <= 0:
            continue
        per_row = f"{added_bytes / added_rows:9,.1f}" if added_rows else f"{'-':>9}"
        print(
            f"  {name or 'other requests':<16} {added_bytes / deals:10,.1f} "
            f"{added_rows / deals:9.1f} {per_row}"
        )

    per_deal = (large.body - small.body) / deals
    fixed = small.body - per_deal * deals
    limit = (MAX_REQUEST_BYTES - fixed) / per_deal
    print(f"whole body: {per_deal:,.1f} bytes per deal, {fixed:,.0f} bytes fixed")
    print(f"estimated deals at the {MAX_REQUEST_BYTES:,}-byte limit: {limit:,.0f}")


if __name__ == "__main__":
    main()
