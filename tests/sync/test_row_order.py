"""Rows out of order or numbered twice in the pipeline tab's sheet XML.

calamine reads such a sheet, but the writer rejects it while it streams the
rows. ``doctor`` and ``run`` give the writer's message, without a traceback,
and nothing is written. ``check`` and dry runs leave the row check out.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from config.models import Locale
from sync.cli import cli
from sync.starter import build_starter_workbook

AS_OF = dt.date(2025, 9, 30)
DEALS_PART = "xl/worksheets/sheet1.xml"
_ROW = re.compile(rb"<row r=\"(\d+)\".*?</row>", re.DOTALL)

OUT_OF_ORDER = (
    "Workbook 'pipeline.xlsx', tab 'Deals': the sheet part is damaged (row 5 "
    "comes after row 7, but rows must be in ascending order). Open the workbook "
    "in Excel or LibreOffice and save it again, which writes the rows in order, "
    "then run again."
)
TWICE = (
    "Workbook 'pipeline.xlsx', tab 'Deals': the sheet part is damaged (row 5 "
    "appears twice). LibreOffice keeps only the second of the two rows 5 when it "
    "opens the workbook. Open the workbook in Excel or LibreOffice, save it "
    "again, check that no deal is missing, then run again."
)


def rewrite_rows(path: Path, rewrite: Callable[[list[bytes]], list[bytes]]) -> None:
    """Replace the rows of the Deals tab's sheet XML by ``rewrite(rows)``."""
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    xml = members[DEALS_PART]
    rows = [match.group(0) for match in _ROW.finditer(xml)]
    start = xml.index(rows[0])
    end = xml.index(rows[-1]) + len(rows[-1])
    members[DEALS_PART] = xml[:start] + b"".join(rewrite(rows)) + xml[end:]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)


def row_numbered(rows: list[bytes], number: int) -> int:
    return next(
        i for i, row in enumerate(rows) if row.startswith(b'<row r="%d"' % number)
    )


def move_row_5_after_row_7(rows: list[bytes]) -> list[bytes]:
    moved = rows.pop(row_numbered(rows, 5))
    rows.insert(row_numbered(rows, 7) + 1, moved)
    return rows


def number_row_6_as_5(rows: list[bytes]) -> list[bytes]:
    index = row_numbered(rows, 6)
    rows[index] = re.sub(rb'(r="[A-Z]*)6"', rb'\g<1>5"', rows[index])
    return rows


@pytest.fixture
def starter(tmp_path: Path) -> Path:
    return build_starter_workbook(tmp_path / "pipeline.xlsx", Locale.EN, as_of=AS_OF)


CASES = pytest.mark.parametrize(
    ("rewrite", "message"),
    [(move_row_5_after_row_7, OUT_OF_ORDER), (number_row_6_as_5, TWICE)],
    ids=["out-of-order", "row-twice"],
)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@CASES
def test_doctor_reports_row_order(
    starter: Path, rewrite: Callable[[list[bytes]], list[bytes]], message: str
) -> None:
    rewrite_rows(starter, rewrite)

    result = invoke("doctor", "b2b-en", "--source", str(starter))

    assert result.exit_code == 1
    assert f"✗ Row order     {message}" in result.output.splitlines()
    assert "✓ Columns       all 8 required columns" in result.output


def test_doctor_passes_rows_in_order(starter: Path) -> None:
    result = invoke("doctor", "b2b-en", "--source", str(starter))

    assert result.exit_code == 0
    assert (
        "✓ Row order     each row of the sheet is listed once, in ascending order"
        in result.output.splitlines()
    )


@CASES
def test_run_fails_with_writer_message(
    starter: Path, rewrite: Callable[[list[bytes]], list[bytes]], message: str
) -> None:
    rewrite_rows(starter, rewrite)
    before = starter.read_bytes()

    result = invoke(
        "run", "b2b-en", "--source", str(starter), "--no-state", "--as-of", "2025-09-30"
    )

    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"Error: {message}"
    assert "Traceback" not in result.output
    assert starter.read_bytes() == before
