"""The pipeline tab patched in a forked child while the parent writes the tabs."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from config.errors import SheetLayoutError, UnsupportedWorkbookError
from sync.forked import PARALLEL_VARIABLE
from sync.plan import GeneratedTab
from sync.xlsx import workbook_patch
from sync.xlsx.edits import WorkbookEdits
from sync.xlsx.tab_digests import GridDigest
from sync.xlsx.workbook_patch import patch_workbook
from tests.sync.xlsx.test_patch_workbook import (
    fidelity_edits,
    with_long_deals_tab,
    with_row_moved,
)

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="the write forks a child only on Linux"
)

REPOSITORY = Path(__file__).resolve().parents[3]


@pytest.fixture
def forks(forks: list[int], monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Let every sheet be patched in a child; return the children's process ids."""
    monkeypatch.setattr(workbook_patch, "CHILD_SHEET_BYTES", 0)
    return forks


@pytest.fixture(params=["fidelity_xlsx", "fidelity_xlsm"])
def fidelity(request: pytest.FixtureRequest) -> Path:
    """Each fidelity workbook, copied into tmp_path."""
    path: Path = request.getfixturevalue(request.param)
    return path


def in_one_process(
    source: Path, edits: WorkbookEdits, name: str, monkeypatch: pytest.MonkeyPatch
) -> bytes:
    with monkeypatch.context() as patch:
        patch.setenv(PARALLEL_VARIABLE, "0")
        target = source.with_name(name)
        patch_workbook(source, target, edits)
    return target.read_bytes()


def test_child_output_equals_one_process_output(
    fidelity: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    edits = fidelity_edits()
    expected = in_one_process(fidelity, edits, "alone.xlsx", monkeypatch)
    assert forks == []

    patch_workbook(fidelity, fidelity.with_name("forked.xlsx"), edits)

    assert len(forks) == 1
    assert fidelity.with_name("forked.xlsx").read_bytes() == expected


def test_child_hashes_tab_grids(
    fidelity_xlsx: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Copies of the shared tabs, so no earlier test has cached their digests.
    tabs = [replace(tab) for tab in fidelity_edits().generated_tabs]
    edits = fidelity_edits(generated_tabs=tabs)
    expected = in_one_process(fidelity_xlsx, edits, "alone.xlsx", monkeypatch)
    hashed_here: list[int] = []
    real_add_block = GridDigest.add_block

    def counting_add_block(digest: GridDigest, *arguments: object) -> None:
        hashed_here.append(os.getpid())
        real_add_block(digest, *arguments)  # type: ignore[arg-type]

    monkeypatch.setattr(GridDigest, "add_block", counting_add_block)
    patch_workbook(fidelity_xlsx, fidelity_xlsx.with_name("forked.xlsx"), edits)

    assert len(forks) == 1
    assert hashed_here == []
    assert fidelity_xlsx.with_name("forked.xlsx").read_bytes() == expected


def test_failed_child_rerun_in_parent(
    fidelity_xlsx: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    edits = fidelity_edits()
    expected = in_one_process(fidelity_xlsx, edits, "alone.xlsx", monkeypatch)
    parent = os.getpid()
    patched_here: list[int] = []
    real_patch = workbook_patch.patch_status_column

    def dying_in_child(*arguments: object, **options: object) -> object:
        if os.getpid() != parent:
            os._exit(9)
        patched_here.append(parent)
        return real_patch(*arguments, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(workbook_patch, "patch_status_column", dying_in_child)
    patch_workbook(fidelity_xlsx, fidelity_xlsx.with_name("forked.xlsx"), edits)

    assert len(forks) == 1
    assert patched_here == [parent]
    assert fidelity_xlsx.with_name("forked.xlsx").read_bytes() == expected


def damaged_with_taken_tab(
    workbook: Path, tmp_path: Path
) -> tuple[Path, WorkbookEdits]:
    """A sheet with rows out of order, and a generated tab named like a user tab."""
    long = with_long_deals_tab(workbook, tmp_path / "long.xlsx", 300)
    source = with_row_moved(long, tmp_path / "moved.xlsx", 30, 290)
    notes = GeneratedTab("Notes", [["x"]])
    texts = {row: "OK" for row in range(2, 301)}
    return source, WorkbookEdits("Deals", 4, 1, None, texts, [notes], [])


def test_patch_error_raised_first(
    xlsxwriter_workbook: Path, tmp_path: Path, forks: list[int]
) -> None:
    source, edits = damaged_with_taken_tab(xlsxwriter_workbook, tmp_path)

    with pytest.raises(UnsupportedWorkbookError) as raised:
        patch_workbook(source, tmp_path / "out.xlsx", edits)

    assert len(forks) == 1
    assert "tab 'Deals'" in str(raised.value)


def test_tab_error_raised_when_child_succeeds(
    xlsxwriter_workbook: Path, tmp_path: Path, forks: list[int]
) -> None:
    notes = GeneratedTab("Notes", [["x"]])
    edits = WorkbookEdits("Deals", 4, 1, "Status", {2: "OK"}, [notes], [])

    with pytest.raises(SheetLayoutError, match="already has a tab 'Notes'"):
        patch_workbook(xlsxwriter_workbook, tmp_path / "out.xlsx", edits)

    assert len(forks) == 1
    assert not (tmp_path / "out.xlsx").exists()


def test_interrupt_stops_child_without_rerun(
    xlsxwriter_workbook: Path,
    tmp_path: Path,
    forks: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parent = os.getpid()
    patched_here: list[int] = []
    real_patch = workbook_patch.patch_status_column

    def slow_in_child(*arguments: object, **options: object) -> object:
        if os.getpid() == parent:
            patched_here.append(parent)
        else:
            time.sleep(60)
        return real_patch(*arguments, **options)  # type: ignore[arg-type]

    def interrupted(*arguments: object, **options: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(workbook_patch, "patch_status_column", slow_in_child)
    monkeypatch.setattr(workbook_patch, "write_generated_tabs", interrupted)
    edits = WorkbookEdits("Deals", 4, 1, "Status", {2: "OK"})
    started = time.monotonic()

    with pytest.raises(KeyboardInterrupt):
        patch_workbook(xlsxwriter_workbook, tmp_path / "out.xlsx", edits)

    assert time.monotonic() - started < 30
    assert len(forks) == 1
    assert patched_here == []


def hashed_tabs() -> list[GeneratedTab]:
    """Copies of the fidelity tabs, so no earlier test has cached their digests."""
    return [replace(tab) for tab in fidelity_edits().generated_tabs]


def test_early_patch_output_equals_one_process_output(
    fidelity: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    edits = fidelity_edits(generated_tabs=hashed_tabs())
    expected = in_one_process(fidelity, edits, "alone.xlsx", monkeypatch)
    parent = os.getpid()
    patched_here: list[int] = []
    real_patch = workbook_patch.patch_status_column

    def counting_patch(*arguments: object, **options: object) -> object:
        if os.getpid() == parent:
            patched_here.append(parent)
        return real_patch(*arguments, **options)  # type: ignore[arg-type]

    real_add_block = GridDigest.add_block
    hashed_here: list[int] = []

    def counting_add_block(digest: GridDigest, *arguments: object) -> None:
        hashed_here.append(os.getpid())
        real_add_block(digest, *arguments)  # type: ignore[arg-type]

    monkeypatch.setattr(workbook_patch, "patch_status_column", counting_patch)
    monkeypatch.setattr(GridDigest, "add_block", counting_add_block)
    data = fidelity.read_bytes()
    early = workbook_patch.start_sheet_patch(
        fidelity, data, edits, edits.generated_tabs
    )

    assert early is not None
    target = fidelity.with_name("early.xlsx")
    patch_workbook(fidelity, target, edits, data=data, early=early)

    assert len(forks) == 1
    assert patched_here == []
    assert hashed_here == []
    assert target.read_bytes() == expected


def test_tabs_left_to_parent_hashed_there(
    fidelity_xlsx: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    edits = fidelity_edits(generated_tabs=hashed_tabs())
    expected = in_one_process(fidelity_xlsx, edits, "alone.xlsx", monkeypatch)
    edits = fidelity_edits(generated_tabs=hashed_tabs())
    data = fidelity_xlsx.read_bytes()
    early = workbook_patch.start_sheet_patch(fidelity_xlsx, data, edits, [])

    target = fidelity_xlsx.with_name("early.xlsx")
    patch_workbook(fidelity_xlsx, target, edits, data=data, early=early)

    assert len(forks) == 1
    assert target.read_bytes() == expected


def test_early_patch_of_other_edits_dropped(
    fidelity_xlsx: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    edits = fidelity_edits()
    expected = in_one_process(fidelity_xlsx, edits, "alone.xlsx", monkeypatch)
    other = fidelity_edits(status_cells={4: "ERROR: planned earlier"})
    data = fidelity_xlsx.read_bytes()
    early = workbook_patch.start_sheet_patch(fidelity_xlsx, data, other)

    assert early is not None
    target = fidelity_xlsx.with_name("early.xlsx")
    patch_workbook(fidelity_xlsx, target, edits, data=data, early=early)

    assert target.read_bytes() == expected


def test_early_patch_error_raised_first(
    xlsxwriter_workbook: Path, tmp_path: Path, forks: list[int]
) -> None:
    source, edits = damaged_with_taken_tab(xlsxwriter_workbook, tmp_path)
    data = source.read_bytes()
    early = workbook_patch.start_sheet_patch(source, data, edits)

    with pytest.raises(UnsupportedWorkbookError) as raised:
        patch_workbook(source, tmp_path / "out.xlsx", edits, data=data, early=early)

    assert early is not None
    assert "tab 'Deals'" in str(raised.value)
    assert not (tmp_path / "out.xlsx").exists()


def test_small_sheet_not_patched_early(
    fidelity_xlsx: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PARALLEL_VARIABLE, raising=False)
    data = fidelity_xlsx.read_bytes()

    early = workbook_patch.start_sheet_patch(fidelity_xlsx, data, fidelity_edits())

    assert early is None


def test_no_early_patch_without_fork(
    fidelity_xlsx: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workbook_patch, "can_fork", lambda: False)
    data = fidelity_xlsx.read_bytes()

    early = workbook_patch.start_sheet_patch(fidelity_xlsx, data, fidelity_edits())

    assert early is None
    assert forks == []
