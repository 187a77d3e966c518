"""Patched workbooks as LibreOffice reads them, and workbooks LibreOffice saved."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from sync.plan import BarChart, GeneratedTab
from sync.xlsx.edits import WorkbookEdits
from sync.xlsx.workbook_patch import patch_workbook
from tests.sync.xlsx.packages import column_values, raw_members, tab_values

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) is not installed; install libreoffice-calc-nogui",
)

# Comma-separated, double-quoted, UTF-8 (76), every sheet to its own file (-1).
CSV_FILTER = (
    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
)
STATUS_COLUMN = 11
TEXTS = {row: "OK" if row % 2 else "ERROR: <b> & 😀 中文" for row in range(4, 24)}
FUNNEL = GeneratedTab(
    "Funnel",
    [["Stage", "Deals"], ["Lead", 5], ["Won", 2]],
    BarChart("Funnel", 0, [1], 1, 2, 3, "D2"),
)


def convert(source: Path, target_format: str, folder: Path) -> Path:
    """Convert ``source`` with LibreOffice into ``folder``; return the folder."""
    folder.mkdir(exist_ok=True)
    profile = (folder / "profile").as_uri()
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            target_format,
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return folder


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def edits() -> WorkbookEdits:
    return WorkbookEdits(
        tab="Deals",
        status_column=STATUS_COLUMN,
        header_row=3,
        status_header="Status",
        status_cells=TEXTS,
        generated_tabs=[FUNNEL],
        owned_tab_names=["Funnel"],
    )


def test_libreoffice_reads_status_column(fidelity_xlsx: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    patch_workbook(fidelity_xlsx, target, edits())

    folder = convert(target, CSV_FILTER, tmp_path / "csv")

    status = [row[STATUS_COLUMN] for row in csv_rows(folder / "out-Deals.csv")[2:23]]
    assert status == ["Status"] + [TEXTS[row] for row in range(4, 24)]


def test_libreoffice_reads_generated_tab(fidelity_xlsx: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    patch_workbook(fidelity_xlsx, target, edits())

    folder = convert(target, CSV_FILTER, tmp_path / "csv")

    assert csv_rows(folder / "out-Funnel.csv") == [
        ["Stage", "Deals"],
        ["Lead", "5"],
        ["Won", "2"],
    ]


def test_libreoffice_saved_workbook_patched(
    fidelity_xlsx: Path, tmp_path: Path
) -> None:
    saved = convert(fidelity_xlsx, "xlsx", tmp_path / "saved") / "fidelity.xlsx"
    target = tmp_path / "out.xlsx"

    stats = patch_workbook(saved, target, edits())

    status = column_values(target, "Deals", STATUS_COLUMN)[2:23]
    assert status == ["Status"] + [TEXTS[row] for row in range(4, 24)]
    assert tab_values(target, "Funnel")[1] == ["Lead", 5.0]
    before, after = raw_members(saved), raw_members(target)
    copied = [name for name in before if name not in stats.members_rewritten]
    assert {name: after[name] for name in copied} == {
        name: before[name] for name in copied
    }


def test_tab_name_with_edge_apostrophe_opens(
    openpyxl_workbook: Path, tmp_path: Path
) -> None:
    # Excel forbids such a tab name, but openpyxl writes it.
    book = openpyxl.load_workbook(openpyxl_workbook)
    book.create_sheet("'Q1 notes'")
    source = tmp_path / "quoted.xlsx"
    book.save(source)
    funnel_only = WorkbookEdits(
        "Deals", 4, 1, None, {}, generated_tabs=[FUNNEL], owned_tab_names=["Funnel"]
    )
    target = tmp_path / "out.xlsx"
    patch_workbook(source, target, funnel_only)

    folder = convert(target, CSV_FILTER, tmp_path / "csv")

    assert csv_rows(folder / "out-Funnel.csv")[0] == ["Stage", "Deals"]


def test_libreoffice_reads_1904_dates(workbook_1904: Path, tmp_path: Path) -> None:
    due = GeneratedTab("Follow-ups", [["Deal", "Due"], ["D-1", dt.date(2025, 9, 9)]])
    target = tmp_path / "out.xlsx"
    patch_workbook(
        workbook_1904,
        target,
        WorkbookEdits("Deals", 2, 1, "Status", {}, [due], ["Follow-ups"]),
    )

    saved = convert(target, "xlsx", tmp_path / "saved") / "out.xlsx"

    cell = openpyxl.load_workbook(saved)["Follow-ups"]["B2"].value
    assert cell == dt.datetime(2025, 9, 9)
