"""The status column must not widen the pipeline tab past the cells a run reads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from config.errors import SheetLayoutError
from config.loader import load_pipeline
from config.models import Locale, Pipeline
from config.shipped import shipped_definition
from rules.grid import CellValue, SheetGrid
from sync.checkup import Outcome, run_checkup
from sync.plan import StatusWrite, WritePlan
from sync.run import run_sync
from sync.sources.excel import ExcelWorkbook
from sync.starter import build_starter_workbook
from sync.status_range import oversized_status_column
from sync.xlsx import sheet_size

AS_OF = dt.date(2025, 9, 30)
# The English starter's Deals tab has 18 rows and columns A to Q. A value in
# T5 widens its used range to A1:T18, 360 cells, and the status column goes
# into U, which makes it 378.
ROWS = 18
FAR_CELL = "T5"
USED_CELLS = ROWS * 20
STATUS_COLUMN = 20
OVERSIZED = (
    "Workbook 'pipeline.xlsx', tab 'Deals': the status column U would make the "
    "tab's used range A1:U18 (18 rows by 21 columns, 378 cells), more than the "
    "360 cells pipesheet reads, so the next run would reject the workbook. The "
    "status column goes right of every filled cell, and the farthest right is "
    "T5 ('call Ana'). Clear that cell or move it next to the table, or type the "
    "header 'pipesheet status' into an empty column of the table, where the "
    "status should go; then run again."
)


def build_far_value_workbook(folder: Path) -> tuple[Path, Pipeline]:
    """Build the English starter workbook with a note typed right of its table."""
    path = build_starter_workbook(folder / "pipeline.xlsx", Locale.EN, as_of=AS_OF)
    book = openpyxl.load_workbook(path)
    book["Deals"][FAR_CELL] = "call Ana"
    book.save(path)
    return path, load_pipeline(shipped_definition("b2b-en"))


@pytest.fixture
def far_value(tmp_path: Path) -> tuple[Path, Pipeline]:
    return build_far_value_workbook(tmp_path)


def limit_cells(monkeypatch: pytest.MonkeyPatch, cells: int) -> None:
    monkeypatch.setattr(sheet_size, "MAX_SHEET_CELLS", cells)


def test_run_stops_before_widening_past_limit(
    far_value: tuple[Path, Pipeline], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, pipeline = far_value
    limit_cells(monkeypatch, USED_CELLS)
    before = path.read_bytes()

    with pytest.raises(SheetLayoutError) as raised:
        run_sync(pipeline, ExcelWorkbook(path), AS_OF)

    assert str(raised.value) == f"{OVERSIZED} Nothing was written."
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "limit",
    [USED_CELLS, USED_CELLS + ROWS - 1, USED_CELLS + ROWS],
    ids=["at-read-limit", "one-row-short", "room-for-status"],
)
def test_written_workbook_reads_again(
    far_value: tuple[Path, Pipeline], monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    path, pipeline = far_value
    limit_cells(monkeypatch, limit)
    before = path.read_bytes()

    try:
        run_sync(pipeline, ExcelWorkbook(path), AS_OF)
    except SheetLayoutError:
        assert path.read_bytes() == before
        return

    grid = ExcelWorkbook(path).read_tab("Deals")
    assert grid.cell(3, STATUS_COLUMN) == "pipesheet status"


def test_dry_run_lists_oversized_status_column(
    far_value: tuple[Path, Pipeline], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, pipeline = far_value
    limit_cells(monkeypatch, USED_CELLS)

    result = run_sync(pipeline, ExcelWorkbook(path), AS_OF, dry_run=True)

    assert result.blockers == (OVERSIZED,)
    assert result.plan.status_cells == []


def test_doctor_fails_oversized_status_column(
    far_value: tuple[Path, Pipeline], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, pipeline = far_value
    limit_cells(monkeypatch, USED_CELLS)

    checks = {check.name: check for check in run_checkup(pipeline, str(path))}

    assert checks["Status"].outcome is Outcome.FAILED
    assert checks["Status"].detail == OVERSIZED


def test_status_header_in_table_fixes_oversize(
    far_value: tuple[Path, Pipeline], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, pipeline = far_value
    book = openpyxl.load_workbook(path)
    book["Deals"]["R3"] = "pipesheet status"
    book.save(path)
    limit_cells(monkeypatch, USED_CELLS)

    result = run_sync(pipeline, ExcelWorkbook(path), AS_OF)

    assert result.report is not None
    assert result.report.status_cells_written == 15
    assert ExcelWorkbook(path).read_tab("Deals").cell(4, 17) == "OK"


def test_writer_rejects_plan_widening_past_limit(
    far_value: tuple[Path, Pipeline], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = far_value
    limit_cells(monkeypatch, USED_CELLS)
    source = ExcelWorkbook(path)
    grid = source.read_tab("Deals")
    before = path.read_bytes()
    plan = WritePlan(
        tab="Deals",
        header_row=3,
        id_column=0,
        status_column=STATUS_COLUMN,
        status_header="pipesheet status",
        write_status_header=True,
        last_row=ROWS,
        last_column=STATUS_COLUMN,
        status_cells=[StatusWrite("D-1001", 4, "OK", None)],
        read_grid=grid,
    )

    with pytest.raises(SheetLayoutError) as raised:
        source.apply(plan)

    assert str(raised.value) == f"{OVERSIZED} Nothing was written."
    assert path.read_bytes() == before


def grid_of(rows: list[list[CellValue]], cell_limit: int | None) -> SheetGrid:
    return SheetGrid("book.xlsx", "Deals", rows, cell_limit=cell_limit)


@pytest.mark.parametrize(
    ("cell_limit", "status_column"),
    [(None, 3), (100, 2), (4, 1), (9, 2)],
    ids=["no-limit", "within-limit", "inside-used-range", "at-limit"],
)
def test_status_column_with_room_accepted(
    cell_limit: int | None, status_column: int
) -> None:
    grid = grid_of([["Deal ID", "Stage"], ["D-1", "Lead"], ["D-2", "Won"]], cell_limit)

    assert oversized_status_column(grid, status_column, "Status") is None


def test_oversize_names_topmost_far_cell() -> None:
    rows: list[list[CellValue]] = [
        ["Deal ID", None, None],
        ["D-1", None, "note"],
        ["D-2", None, "more"],
    ]
    grid = grid_of(rows, 9)

    message = oversized_status_column(grid, 3, "Status")

    assert message is not None
    assert message.startswith(
        "Workbook 'book.xlsx', tab 'Deals': the status column D would make the "
        "tab's used range A1:D3 (3 rows by 4 columns, 12 cells), more than the 9 "
        "cells pipesheet reads,"
    )
    assert "the farthest right is C2 ('note')." in message
