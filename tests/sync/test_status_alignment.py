"""Tests of matching planned status writes to rows by deal ID."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace

import pytest

from config.models import Outcome, Stage
from rules.grid import CellValue, SheetGrid
from rules.headers import match_columns
from rules.rows import read_deals
from sync.plan import StatusWrite, WritePlan
from sync.status_alignment import (
    StatusTarget,
    align_status_writes,
    deal_key,
    deal_keys,
    shared_keys,
)
from tests.rules.builders import build_pipeline


def make_grid(*rows: list[CellValue]) -> SheetGrid:
    return SheetGrid("Pipeline.xlsx", "Pipeline", [["Deal ID", "Status"], *rows])


def make_plan(*writes: StatusWrite) -> WritePlan:
    return WritePlan(
        tab="Pipeline",
        header_row=1,
        id_column=0,
        status_column=1,
        status_header="Status",
        write_status_header=False,
        last_row=10,
        last_column=1,
        status_cells=list(writes),
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" D-7 ", "D-7"),
        ("00123", "00123"),
        (1001, "1001"),
        (1001.0, "1001"),
        (10.5, "10.5"),
        (None, None),
        ("  ", None),
    ],
    ids=[
        "padded-text",
        "leading-zeros",
        "int",
        "whole-float",
        "fraction",
        "empty",
        "blank",
    ],
)
def test_deal_key_normalises_id(value: CellValue, expected: str | None) -> None:
    assert deal_key(value) == expected


def test_unmoved_row_written_in_place() -> None:
    grid = make_grid(["D-1", None], ["D-2", None])

    alignment = align_status_writes(grid, make_plan(StatusWrite("D-2", 3, "OK", None)))

    assert alignment.targets == [StatusTarget("D-2", 3, "OK")]
    assert alignment.skipped == []


def test_moved_row_follows_id() -> None:
    grid = make_grid(["D-2", None], ["D-1", None])

    alignment = align_status_writes(grid, make_plan(StatusWrite("D-2", 3, "OK", None)))

    assert alignment.targets == [StatusTarget("D-2", 2, "OK")]


@pytest.mark.parametrize("read_row", [1, 5], ids=["before-data", "past-end"])
def test_row_outside_tab_follows_id(read_row: int) -> None:
    grid = make_grid(["D-1", None], ["D-2", None])

    alignment = align_status_writes(
        grid, make_plan(StatusWrite("D-2", read_row, "OK", None))
    )

    assert alignment.targets == [StatusTarget("D-2", 3, "OK")]


def test_status_cells_keyed_by_row_now() -> None:
    grid = make_grid(["D-2", None], ["D-1", None])
    plan = make_plan(
        StatusWrite("D-1", 2, "OK", None), StatusWrite("D-2", 3, "ERROR: x", None)
    )

    alignment = align_status_writes(grid, plan)

    assert alignment.status_cells() == {3: "OK", 2: "ERROR: x"}
    assert alignment.rows == [3, 2]


def test_numeric_id_matches_text_id() -> None:
    grid = make_grid([1001, None])

    alignment = align_status_writes(grid, make_plan(StatusWrite("1001", 2, "OK", None)))

    assert alignment.targets == [StatusTarget("1001", 2, "OK")]


@pytest.mark.parametrize(
    ("rows", "write"),
    [
        ([["D-1", None]], StatusWrite("D-9", 2, "OK", None)),
        ([["D-1", None], ["D-1", None]], StatusWrite("D-1", 2, "OK", None)),
        ([["D-1", "Waiting for PO"]], StatusWrite("D-1", 2, "OK", None)),
        ([["D-1", "OK"]], StatusWrite("D-1", 2, "ERROR: x", "WARNING: y")),
    ],
    ids=["vanished", "duplicated", "filled-by-person", "changed-by-person"],
)
def test_unsafe_write_skipped(rows: list[list[CellValue]], write: StatusWrite) -> None:
    alignment = align_status_writes(make_grid(*rows), make_plan(write))

    assert alignment.targets == []
    assert alignment.skipped == [write.deal_id]


def test_status_already_current_not_written() -> None:
    grid = make_grid(["D-1", "OK"])

    alignment = align_status_writes(grid, make_plan(StatusWrite("D-1", 2, "OK", "OK")))

    assert alignment.targets == []
    assert alignment.skipped == []


def test_blank_and_empty_status_equal() -> None:
    grid = make_grid(["D-1", "  "])

    alignment = align_status_writes(grid, make_plan(StatusWrite("D-1", 2, "OK", None)))

    assert alignment.targets == [StatusTarget("D-1", 2, "OK")]


def test_header_row_id_ignored() -> None:
    grid = SheetGrid("Pipeline.xlsx", "Pipeline", [["D-1", "Status"], ["D-1", None]])

    alignment = align_status_writes(grid, make_plan(StatusWrite("D-1", 2, "OK", None)))

    assert alignment.targets == [StatusTarget("D-1", 2, "OK")]


def make_account_grid(*rows: list[CellValue]) -> SheetGrid:
    header: list[CellValue] = ["Deal ID", "Account", "Status"]
    return SheetGrid("Pipeline.xlsx", "Pipeline", [header, *rows])


def make_account_plan(*writes: StatusWrite) -> WritePlan:
    return replace(make_plan(*writes), status_column=2, last_column=2)


def content_write(
    deal_id: str, row: int, value: str, cells: tuple[CellValue, ...]
) -> StatusWrite:
    return StatusWrite(deal_id, row, value, None, row_values=cells)


MISSING_ID = "ERROR: missing Deal ID"


def test_row_without_id_written_in_place() -> None:
    grid = make_account_grid(["D-1", "Acme", None], [None, "Birch", None])
    write = content_write("", 3, MISSING_ID, (None, "Birch"))

    alignment = align_status_writes(grid, make_account_plan(write))

    assert alignment.targets == [StatusTarget("", 3, MISSING_ID)]
    assert alignment.skipped == []


def test_duplicated_rows_both_written() -> None:
    grid = make_account_grid(["D-1", "Acme", "OK"], ["D-1", "Acme", "OK"])
    writes = [
        StatusWrite("D-1", 2, "ERROR: ID also on row 3", "OK", ("D-1", "Acme")),
        StatusWrite("D-1", 3, "ERROR: ID also on row 2", "OK", ("D-1", "Acme")),
    ]

    alignment = align_status_writes(grid, make_account_plan(*writes))

    assert alignment.targets == [
        StatusTarget("D-1", 2, "ERROR: ID also on row 3"),
        StatusTarget("D-1", 3, "ERROR: ID also on row 2"),
    ]


@pytest.mark.parametrize(
    ("now", "read"),
    [
        ([1001.0, "Birch"], (1001, "Birch")),
        (["  ", "Birch "], (None, "Birch")),
        (["D-7"], ("D-7", None)),
    ],
    ids=["whole-float", "blank-and-padded", "short-row"],
)
def test_row_content_normalised_like_ids(
    now: list[CellValue], read: tuple[CellValue, ...]
) -> None:
    grid = make_account_grid(["D-1", "Acme", None], now)

    alignment = align_status_writes(
        grid, make_account_plan(content_write("", 3, MISSING_ID, read))
    )

    assert alignment.targets == [StatusTarget("", 3, MISSING_ID)]


@pytest.mark.parametrize(
    "now",
    [
        ["D-5", "Birch", None],
        [None, "Birch & Co", None],
        [None, "Birch", "Checked by Ana"],
    ],
    ids=["id-filled-in", "cell-edited", "status-edited"],
)
def test_changed_row_without_id_skipped(now: list[CellValue]) -> None:
    grid = make_account_grid(["D-1", "Acme", None], now)
    write = content_write("", 3, MISSING_ID, (None, "Birch"))

    alignment = align_status_writes(grid, make_account_plan(write))

    assert alignment.targets == []
    assert alignment.skipped == ["row:3"]


def test_sort_moves_id_rows_only() -> None:
    # Read: row 2 D-1 Acme, row 3 no ID Birch, row 4 D-1 Cedar. A sort by
    # account descending puts Cedar on row 2 and Acme on row 4.
    grid = make_account_grid(
        ["D-1", "Cedar", None], [None, "Birch", None], ["D-1", "Acme", None]
    )
    plan = make_account_plan(
        content_write("D-1", 2, "ERROR: ID also on row 4", ("D-1", "Acme")),
        content_write("", 3, MISSING_ID, (None, "Birch")),
        content_write("D-1", 4, "ERROR: ID also on row 2", ("D-1", "Cedar")),
    )

    alignment = align_status_writes(grid, plan)

    assert alignment.targets == [StatusTarget("", 3, MISSING_ID)]
    assert alignment.skipped == ["row:2", "row:4"]


def test_sort_never_writes_onto_other_row() -> None:
    # Read: row 2 no ID Birch, row 3 D-2 Cedar. A sort swapped them.
    grid = make_account_grid(["D-2", "Cedar", None], [None, "Birch", None])
    plan = make_account_plan(
        content_write("", 2, MISSING_ID, (None, "Birch")),
        StatusWrite("D-2", 3, "OK", None),
    )

    alignment = align_status_writes(grid, plan)

    assert alignment.targets == [StatusTarget("D-2", 2, "OK")]
    assert alignment.skipped == ["row:2"]


def test_row_check_rejection_skips_write() -> None:
    grid = make_account_grid(["D-1", "Acme", None], [None, "Birch", None])
    plan = make_account_plan(
        StatusWrite("D-1", 2, "OK", None),
        content_write("", 3, MISSING_ID, (None, "Birch")),
    )
    checked: list[tuple[int, int]] = []

    def reject(write: StatusWrite, row_now: int) -> bool:
        checked.append((write.row, row_now))
        return False

    alignment = align_status_writes(grid, plan, reject)

    assert alignment.targets == []
    assert alignment.skipped == ["D-1", "row:3"]
    assert checked == [(2, 2), (3, 3)]


def test_row_check_skipped_for_current_status() -> None:
    grid = make_account_grid([None, "Birch", MISSING_ID])
    write = StatusWrite("", 2, MISSING_ID, MISSING_ID, (None, "Birch"))

    alignment = align_status_writes(grid, make_account_plan(write), lambda *_: False)

    assert alignment.targets == []
    assert alignment.skipped == []


def test_deal_keys_match_deal_key() -> None:
    cells: list[CellValue] = [" D-7 ", 1001.0, None, "  ", True]

    assert deal_keys(cells) == ["D-7", "1001", None, None, "TRUE"]


@pytest.mark.parametrize(
    "cell",
    [
        True,
        False,
        0.1 + 0.2,
        1 / 3,
        -0.0,
        1e-7,
        2**53 + 1,
        dt.time(10, 30),
        dt.date(1900, 1, 1),
        dt.datetime(2025, 1, 1),
        dt.datetime(2025, 1, 1, 13, 45, 10),
        " D-7 ",
    ],
    ids=[
        "true",
        "false",
        "seventeen-digits",
        "third",
        "minus-zero",
        "tiny",
        "big-int",
        "time",
        "date",
        "midnight",
        "datetime",
        "padded-text",
    ],
)
def test_deal_key_equals_read_deal_id(cell: CellValue) -> None:
    stages = [Stage(name="Lead"), Stage(name="Won", outcome=Outcome.WON)]
    pipeline = build_pipeline(fields=["id", "stage"], stages=stages)
    grid = SheetGrid("Pipeline.xlsx", "Deals", [["Deal ID", "Stage"], [cell, "Lead"]])

    deals, _ = read_deals(grid, match_columns(grid, pipeline), pipeline)

    assert deal_key(cell) == deals[0].deal_id


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["D-1", "D-2"], set()),
        (["D-1", None, None], set()),
        (["D-1", "D-2", "D-1", None, "D-2", "D-3"], {"D-1", "D-2"}),
    ],
    ids=["unique", "blank-ids-repeat", "two-shared"],
)
def test_shared_keys_finds_repeated_ids(
    keys: list[str | None], expected: set[str]
) -> None:
    assert shared_keys(keys) == expected


def test_row_reused_after_move_follows_id() -> None:
    # Read: row 2 D-1, row 3 D-2. Then D-9 was inserted above D-2.
    grid = make_grid(["D-1", None], ["D-9", None], ["D-2", None])

    alignment = align_status_writes(grid, make_plan(StatusWrite("D-2", 3, "OK", None)))

    assert alignment.targets == [StatusTarget("D-2", 4, "OK")]


def test_id_copied_after_read_skipped(caplog: pytest.LogCaptureFixture) -> None:
    grid = make_grid(["D-1", None], ["D-2", None], ["D-1", None])
    plan = make_plan(
        StatusWrite("D-1", 2, "OK", None), StatusWrite("D-2", 3, "OK", None)
    )

    with caplog.at_level(logging.DEBUG, logger="sync.status_alignment"):
        alignment = align_status_writes(grid, plan)

    assert alignment.targets == [StatusTarget("D-2", 3, "OK")]
    assert alignment.skipped == ["D-1"]
    assert "Skipped status of deal 'D-1': its ID appears on rows [2, 4]" in (
        caplog.messages
    )


def test_blank_row_past_grid_end_written() -> None:
    grid = make_account_grid(["D-1", "Acme", None])
    write = content_write("", 9, MISSING_ID, (None, None))

    alignment = align_status_writes(grid, make_account_plan(write))

    assert alignment.targets == [StatusTarget("", 9, MISSING_ID)]
    assert alignment.skipped == []


def test_short_row_has_blank_status() -> None:
    grid = make_grid(["D-1"], ["D-2"])

    alignment = align_status_writes(grid, make_plan(StatusWrite("D-2", 3, "OK", None)))

    assert alignment.targets == [StatusTarget("D-2", 3, "OK")]
