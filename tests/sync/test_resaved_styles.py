"""Formats and highlights pipesheet added, found again after another program saved.

openpyxl writes ``styles.xml`` in its own form: ``<b val="1" />`` for ``<b/>``,
the font's properties in another order and extra attributes on each ``xf``.
LibreOffice rewrites the part: every number format becomes a custom one,
each ``xf`` gets default alignment and protection, fonts are renumbered and
unused entries dropped. Both write the highlight rules with their attributes
in another order. A run after such a save reuses the formats and rules it
added before, so the styles part stops growing and a pipeline sheet whose
statuses did not change is not rewritten.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest

from config.loader import load_pipeline
from config.models import Locale, Pipeline
from config.shipped import shipped_definition
from sync.run import RunResult, run_sync
from sync.sources.excel import ExcelWorkbook
from sync.starter import build_starter_workbook
from tests.sync.xlsx.test_libreoffice import convert

AS_OF = dt.date(2025, 9, 30)
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
COLLECTIONS = ("cellXfs", "fonts", "fills", "dxfs")
# The starter workbook's pipeline tab, as openpyxl and LibreOffice name it.
PIPELINE_SHEET = "xl/worksheets/sheet1.xml"
STATUS_COLUMN = "R"
# A LibreOffice profile setting that sets the language of the locale used
# for number formats, as Tools > Options > Languages and Locales sets it.
LANGUAGE_SETTING = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<oor:items xmlns:oor="http://openoffice.org/2001/registry">'
    '<item oor:path="/org.openoffice.Setup/L10N">'
    '<prop oor:name="ooSetupSystemLocale" oor:op="fuse">'
    "<value>{language}</value></prop></item></oor:items>"
)
needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) is not installed; install libreoffice-calc-nogui",
)


def style_counts(path: Path) -> dict[str, int]:
    """Return the number of entries in each collection of the styles part."""
    with zipfile.ZipFile(path) as package:
        root = ElementTree.fromstring(package.read("xl/styles.xml"))
    counts = {}
    for name in COLLECTIONS:
        collection = root.find(MAIN_NS + name)
        counts[name] = 0 if collection is None else len(collection)
    return counts


def read_member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as package:
        return package.read(name)


def resave_with_openpyxl(path: Path) -> None:
    book = openpyxl.load_workbook(path)
    book.save(path)


def resave_with_libreoffice(path: Path, language: str | None = None) -> None:
    """Save ``path`` in LibreOffice, set to ``language`` (a tag like ``de-DE``)."""
    folder = path.parent / "libreoffice"
    settings = folder / "profile" / "user" / "registrymodifications.xcu"
    if language is not None and not settings.exists():
        settings.parent.mkdir(parents=True)
        settings.write_text(LANGUAGE_SETTING.format(language=language))
    convert(path, "xlsx", folder)
    shutil.move(folder / path.name, path)


def statuses(path: Path) -> list[object]:
    sheet = openpyxl.load_workbook(path)["Deals"]
    return [cell.value for cell in sheet[STATUS_COLUMN]]


def highlights(path: Path) -> list[tuple[str, str, str | None]]:
    """Return each highlight rule's range, formula and fill colour."""
    sheet = openpyxl.load_workbook(path)["Deals"]
    return [
        (str(block.sqref), rule.formula[0], rule.dxf.fill.bgColor.rgb)
        for block in sheet.conditional_formatting
        for rule in block.rules
    ]


def closed_deals_workbook(path: Path) -> Path:
    """Build the starter workbook with every deal won, so statuses stay the same."""
    build_starter_workbook(path, Locale.EN, as_of=AS_OF)
    book = openpyxl.load_workbook(path)
    sheet = book["Deals"]
    for row in range(4, sheet.max_row + 1):
        if sheet.cell(row, 1).value:
            sheet.cell(row, 4).value = "Closed Won"
            for column in (11, 12, 16):
                sheet.cell(row, column).value = None
    book.save(path)
    return path


def run_on(pipeline: Pipeline, path: Path, day: int) -> RunResult:
    return run_sync(pipeline, ExcelWorkbook(path), AS_OF + dt.timedelta(days=day))


def test_resaved_workbook_keeps_style_count(tmp_path: Path) -> None:
    path = build_starter_workbook(tmp_path / "pipeline.xlsx", Locale.EN, as_of=AS_OF)
    pipeline = load_pipeline(shipped_definition("b2b-en"))
    run_sync(pipeline, ExcelWorkbook(path), AS_OF)
    resave_with_openpyxl(path)
    counts = style_counts(path)

    for day in range(1, 4):
        run_on(pipeline, path, day)
        assert style_counts(path) == counts
        resave_with_openpyxl(path)
        assert style_counts(path) == counts


@needs_libreoffice
@pytest.mark.parametrize("language", [None, "de-DE"], ids=["default", "german"])
def test_libreoffice_saves_and_runs_reach_fixed_point(
    tmp_path: Path, language: str | None
) -> None:
    pipeline = load_pipeline(shipped_definition("b2b-en"))
    saved = build_starter_workbook(tmp_path / "saved.xlsx", Locale.EN, as_of=AS_OF)
    (tmp_path / "unsaved").mkdir()
    unsaved = tmp_path / "unsaved" / "saved.xlsx"
    shutil.copy(saved, unsaved)
    run_on(pipeline, saved, 0)
    run_on(pipeline, unsaved, 0)

    counts_after_runs = []
    for day in range(1, 4):
        resave_with_libreoffice(saved, language)
        counts = style_counts(saved)
        before = saved.stat()

        run_on(pipeline, saved, day - 1)
        assert saved.stat().st_mtime_ns == before.st_mtime_ns
        assert saved.stat().st_size == before.st_size

        run_on(pipeline, saved, day)
        run_on(pipeline, unsaved, day)
        assert style_counts(saved) == counts
        assert statuses(saved) == statuses(unsaved)
        assert highlights(saved) == highlights(unsaved)
        counts_after_runs.append(style_counts(saved))

    # LibreOffice 7.4 adds one cell format of its own on the second save of
    # a workbook, with or without a run in between. Later saves add none.
    assert counts_after_runs[2] == counts_after_runs[1]


@pytest.mark.parametrize(
    "resave",
    [
        resave_with_openpyxl,
        pytest.param(resave_with_libreoffice, marks=needs_libreoffice),
    ],
    ids=["openpyxl", "libreoffice"],
)
def test_unchanged_pipeline_sheet_not_rewritten_after_save(
    tmp_path: Path, resave: Callable[[Path], None]
) -> None:
    pipeline = load_pipeline(shipped_definition("b2b-en"))
    path = closed_deals_workbook(tmp_path / "pipeline.xlsx")
    run_on(pipeline, path, 0)

    for day in range(1, 3):
        resave(path)
        sheet = read_member(path, PIPELINE_SHEET)
        styles = read_member(path, "xl/styles.xml")

        result = run_on(pipeline, path, day)

        assert result.report is not None
        assert result.report.tabs_written != []
        assert read_member(path, PIPELINE_SHEET) == sheet
        assert read_member(path, "xl/styles.xml") == styles
