"""Workbooks for the xlsx writer tests, built or copied into tmp_path."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter  # type: ignore[import-untyped]
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from tests.shared_data import shared_file
from tests.sync.xlsx.packages import FIDELITY


@pytest.fixture
def workbook_1904(tmp_path: Path) -> Path:
    """A workbook in the 1904 date system with a Deals tab of headers only."""
    path = tmp_path / "mac.xlsx"
    workbook = openpyxl.Workbook()
    workbook.epoch = CALENDAR_MAC_1904
    workbook.active.title = "Deals"
    workbook.active.append(["Deal ID", "Stage"])
    workbook.save(path)
    return path


@pytest.fixture
def fidelity_xlsx(tmp_path: Path) -> Path:
    """A copy of the feature-rich fidelity workbook."""
    source = shared_file(FIDELITY / "fidelity.xlsx")
    return Path(shutil.copy(source, tmp_path / "fidelity.xlsx"))


@pytest.fixture
def fidelity_xlsm(tmp_path: Path) -> Path:
    """A copy of the macro-enabled fidelity workbook."""
    source = shared_file(FIDELITY / "fidelity.xlsm")
    return Path(shutil.copy(source, tmp_path / "fidelity.xlsm"))


@pytest.fixture
def xlsxwriter_workbook(tmp_path: Path) -> Path:
    """A Deals tab written by XlsxWriter: header row 1, three deals, no status."""
    path = tmp_path / "xlsxwriter.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Deals")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["Deal ID", "Stage", "Amount", "Close date"])
    for row, (deal, stage, amount) in enumerate(DEALS, start=1):
        sheet.write_row(row, 0, [deal, stage, amount])
        sheet.write_datetime(row, 3, dt.datetime(2025, 9, row), date_format)
    workbook.add_worksheet("Notes").write(0, 0, "kept as is")
    workbook.close()
    return path


@pytest.fixture
def openpyxl_workbook(tmp_path: Path) -> Path:
    """The same Deals tab saved by openpyxl."""
    path = tmp_path / "openpyxl.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Deals"
    sheet.append(["Deal ID", "Stage", "Amount", "Close date"])
    for day, (deal, stage, amount) in enumerate(DEALS, start=1):
        sheet.append([deal, stage, amount, dt.date(2025, 9, day)])
    workbook.create_sheet("Notes")["A1"] = "kept as is"
    workbook.save(path)
    return path


DEALS = [("D-1", "Lead", 1000), ("D-2", "Won", 2500.5), ("D-3", "Lost", 0)]
