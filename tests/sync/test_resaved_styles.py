"""Formats pipesheet added, found again after another program re-saved the workbook.

openpyxl writes ``styles.xml`` in its own form: ``<b val="1" />`` for ``<b/>``,
the font's properties in another order and extra attributes on each ``xf``.
A run after such a save reuses the formats it added before instead of
appending equal ones, so the styles part stops growing.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl

from config.loader import load_pipeline
from config.models import Locale
from config.shipped import shipped_definition
from sync.run import run_sync
from sync.sources.excel import ExcelWorkbook
from sync.starter import build_starter_workbook

AS_OF = dt.date(2025, 9, 30)


def style_counts(path: Path) -> tuple[str, str]:
    with zipfile.ZipFile(path) as package:
        styles = package.read("xl/styles.xml").decode()
    fonts = re.search(r'<fonts count="(\d+)"', styles)
    cell_formats = re.search(r'<cellXfs count="(\d+)"', styles)
    assert fonts is not None
    assert cell_formats is not None
    return fonts.group(1), cell_formats.group(1)


def resave_with_openpyxl(path: Path) -> None:
    book = openpyxl.load_workbook(path)
    book.save(path)


def test_resaved_workbook_keeps_style_count(tmp_path: Path) -> None:
    path = build_starter_workbook(tmp_path / "pipeline.xlsx", Locale.EN, as_of=AS_OF)
    pipeline = load_pipeline(shipped_definition("b2b-en"))
    run_sync(pipeline, ExcelWorkbook(path), AS_OF)
    resave_with_openpyxl(path)
    counts = style_counts(path)

    for day in range(1, 4):
        run_sync(pipeline, ExcelWorkbook(path), AS_OF + dt.timedelta(days=day))
        assert style_counts(path) == counts
        resave_with_openpyxl(path)
        assert style_counts(path) == counts
