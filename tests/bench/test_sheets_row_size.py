"""Tests of the script that measures the bytes each deal adds to a Sheets write."""

from __future__ import annotations

from bench.sheets_row_size import measure_write

# The header row plus the banner and blank row above it on generated tabs.
GENERATED_TAB_HEAD_ROWS = 3


def test_each_deal_adds_three_problems() -> None:
    size = measure_write(4)

    assert size.tab_rows["Problems"] == GENERATED_TAB_HEAD_ROWS + 3 * 4


def test_each_deal_adds_one_follow_up() -> None:
    size = measure_write(4)

    assert size.tab_rows["Follow-ups"] == GENERATED_TAB_HEAD_ROWS + 4


def test_body_counts_every_tab() -> None:
    size = measure_write(4)

    assert sum(size.tab_bytes.values()) < size.body
    assert size.tab_bytes["Problems"] > size.tab_bytes["Deals"]
