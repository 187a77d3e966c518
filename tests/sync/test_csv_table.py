"""Checking a CSV file as the pipeline tab, without writing it."""

from __future__ import annotations

import csv
import datetime as dt
import logging
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from config.errors import SheetLayoutError, UnsupportedWorkbookError
from config.loader import load_pipeline
from config.models import Locale
from config.shipped import shipped_definition
from rules.cells import display_value
from rules.findings import Code
from sync.cli import cli
from sync.run import run_sync
from sync.sources.csv_table import CsvTable, choose_delimiter
from sync.sources.excel import ExcelWorkbook
from sync.sources.registry import open_source
from sync.starter import build_starter_workbook

AS_OF = dt.date(2025, 9, 30)


def starter_as_csv(folder: Path, delimiter: str = ",") -> tuple[Path, Path]:
    """Write the starter workbook and its Deals tab as CSV; return both paths."""
    xlsx = build_starter_workbook(folder / "starter.xlsx", Locale.EN, as_of=AS_OF)
    rows = ExcelWorkbook(xlsx).read_tab("Deals").rows
    path = folder / "deals.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, delimiter=delimiter)
        writer.writerows([display_value(cell) for cell in row] for row in rows)
    return xlsx, path


@pytest.mark.parametrize(
    "delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"]
)
def test_findings_match_xlsx_but_lists(tmp_path: Path, delimiter: str) -> None:
    xlsx, path = starter_as_csv(tmp_path, delimiter)
    pipeline = load_pipeline(shipped_definition("b2b-en"))
    expected = run_sync(pipeline, ExcelWorkbook(xlsx), AS_OF, dry_run=True)

    source = open_source(pipeline, str(path))
    result = run_sync(pipeline, source, AS_OF, dry_run=True)

    assert isinstance(source, CsvTable)
    assert [deal.deal_id for deal in result.deals] == [
        deal.deal_id for deal in expected.deals
    ]
    # The allowed owners and products live on tab Lists, which a CSV file lacks.
    assert result.findings == [
        finding
        for finding in expected.findings
        if finding.code is not Code.UNKNOWN_VALUE
    ]
    assert len(result.findings) < len(expected.findings)


def test_missing_list_tab_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _, path = starter_as_csv(tmp_path)
    pipeline = load_pipeline(shipped_definition("b2b-en"))

    with caplog.at_level(logging.WARNING):
        run_sync(pipeline, open_source(pipeline, str(path)), AS_OF, dry_run=True)

    assert [record.getMessage() for record in caplog.records] == [
        f"deals.csv is a CSV file without tab 'Lists', so allowed.{field} is not "
        "checked. List the values in the definition to check them."
        for field in ("owner", "product")
    ]


def test_point_then_three_digits_ambiguous(tmp_path: Path) -> None:
    _, path = starter_as_csv(tmp_path)
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    rows[3][4], rows[4][4] = "12.500", "12.5"
    with path.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows(rows)
    pipeline = load_pipeline(shipped_definition("b2b-en"))

    result = run_sync(pipeline, open_source(pipeline, str(path)), AS_OF, dry_run=True)

    amounts = [f for f in result.findings if f.code is Code.BAD_AMOUNT]
    assert [(f.row, f.value, f.params["reason"]) for f in amounts] == [
        (4, "12.500", "ambiguous-separators")
    ]
    assert result.deals[1].values["amount"] == 12.5


def test_check_command_reads_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, path = starter_as_csv(tmp_path)
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(
        cli, ["check", "b2b-en", "--source", path.name, "--as-of", "2025-09-30"]
    )

    assert result.exit_code == 1
    assert "… Checking 15 deals" in result.stderr
    assert result.stderr.endswith("2 error-level findings.\n")
    assert "│ Written        │ nothing (pipesheet does not write .csv files) │" in (
        result.stdout
    )


def test_run_rejected_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, path = starter_as_csv(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PIPESHEET_STATE", str(tmp_path / "state.db"))
    before = path.read_bytes()

    result = CliRunner().invoke(
        cli, ["run", "b2b-en", "--source", path.name, "--as-of", "2025-09-30"]
    )

    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: Workbook 'deals.csv' is a CSV file, which pipesheet can check but "
    )
    assert "Reading tab" not in result.stderr
    assert path.read_bytes() == before


def write_bytes(tmp_path: Path, data: bytes) -> CsvTable:
    path = tmp_path / "deals.csv"
    path.write_bytes(data)
    return CsvTable(path, "Deals")


@pytest.mark.parametrize(
    "data",
    [
        "Deal ID,Owner\nD-1,Zoë\n".encode(),
        "\ufeffDeal ID,Owner\nD-1,Zoë\n".encode(),
        "\ufeffDeal ID,Owner\r\nD-1,Zoë\r\n".encode("utf-16-le"),
        "\ufeffDeal ID,Owner\r\nD-1,Zoë\r\n".encode("utf-16-be"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-le", "utf-16-be"],
)
def test_encodings_read_alike(tmp_path: Path, data: bytes) -> None:
    grid = write_bytes(tmp_path, data).read_tab("Deals")

    assert grid.rows == [["Deal ID", "Owner"], ["D-1", "Zoë"]]


def test_other_code_page_rejected(tmp_path: Path) -> None:
    table = write_bytes(tmp_path, "Deal ID,Owner\nD-1,Zoë\n".encode("cp1252"))

    with pytest.raises(UnsupportedWorkbookError) as raised:
        table.read_tab("Deals")

    assert str(raised.value) == (
        "Workbook 'deals.csv' is not UTF-8 text: line 2 contains the invalid "
        "byte b'\\xeb'. Save it as CSV UTF-8 (Excel: File > Save As > CSV "
        "UTF-8) or as .xlsx."
    )


def test_damaged_utf16_rejected(tmp_path: Path) -> None:
    data = "\ufeffDeal ID".encode("utf-16-le") + b"\x00\xd8"
    table = write_bytes(tmp_path, data)

    with pytest.raises(UnsupportedWorkbookError) as raised:
        table.read_tab("Deals")

    assert str(raised.value) == (
        "Workbook 'deals.csv' starts as UTF-16 text but is damaged at byte 16. "
        "Save it again as CSV UTF-8 or .xlsx."
    )


def test_cells_kept_as_typed(tmp_path: Path) -> None:
    data = 'Deal ID,Notes,Amount\nD-1,"two\nlines, one cell",\n007,,"1,200"\n'

    grid = write_bytes(tmp_path, data.encode()).read_tab("deals")

    assert grid.tab == "Deals"
    assert grid.rows == [
        ["Deal ID", "Notes", "Amount"],
        ["D-1", "two\nlines, one cell", None],
        ["007", None, "1,200"],
    ]


def test_other_tab_rejected(tmp_path: Path) -> None:
    table = write_bytes(tmp_path, b"Deal ID\nD-1\n")

    with pytest.raises(SheetLayoutError) as raised:
        table.read_tab("Lists")

    assert str(raised.value) == (
        "Workbook 'deals.csv' is a CSV file, which contains one table, read as tab "
        "'Deals'. It has no tab 'Lists'. Save the workbook as .xlsx to keep its "
        "other tabs."
    )
    assert table.tab_names() == ["Deals"]


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("Deal ID,Stage\nD-1,Lead\n", ","),
        ("Deal ID;Amount\nD-1;12,5\nD-2;3,75\n", ";"),
        ("Deal ID\tNotes\nD-1\tcalled, no answer; retry\n", "\t"),
        ("Title row\n\nDeal ID;Stage;Owner\nD-1;Lead;Ana\n", ";"),
        ("Deal ID\nD-1\n", ","),
        ("", ","),
    ],
    ids=["comma", "semicolon", "tab", "title-rows", "one-column", "empty"],
)
def test_delimiter_chosen(text: str, delimiter: str) -> None:
    assert choose_delimiter(text) == delimiter


def test_oversized_cell_named_by_line(tmp_path: Path) -> None:
    # Python's csv module stops at a cell of more than 131,072 characters, four
    # times what an Excel cell can hold.
    table = write_bytes(tmp_path, b'Deal ID,Notes\nD-1,"' + b"x" * 140_000 + b'"\n')

    with pytest.raises(UnsupportedWorkbookError) as raised:
        table.read_tab("Deals")

    assert str(raised.value) == (
        "Workbook 'deals.csv' is not valid CSV: a cell on line 2 is longer than "
        "131,072 characters. Open it in a spreadsheet program and save it as CSV "
        "or .xlsx again."
    )


def test_unclosed_quote_names_row(tmp_path: Path) -> None:
    data = b'Deal ID,Notes\nD-1,fine\nD-2,"open quote\nD-3,lost\n'
    table = write_bytes(tmp_path, data)

    with pytest.raises(UnsupportedWorkbookError) as raised:
        table.read_tab("Deals")

    assert str(raised.value) == (
        "Workbook 'deals.csv' is not valid CSV: a quoted cell in the row starting "
        "on line 3 is never closed, so every line after it would be read as that "
        "one cell. Open it in a spreadsheet program and save it as CSV or .xlsx "
        "again."
    )


def test_text_after_closing_quote_kept(tmp_path: Path) -> None:
    grid = write_bytes(tmp_path, b'Deal ID,Notes\nD-1,"a"b\n').read_tab("Deals")

    assert grid.rows == [["Deal ID", "Notes"], ["D-1", "ab"]]


@pytest.mark.parametrize(
    "separator",
    ["\u2028", "\u2029", "\x0c", "\x85", "\x1c"],
    ids=["line-separator", "paragraph-separator", "form-feed", "next-line", "fs"],
)
def test_unicode_line_breaks_stay_in_cell(tmp_path: Path, separator: str) -> None:
    data = f"Deal ID,Notes\nD-1,a{separator}b\nD-2,c\n".encode()

    grid = write_bytes(tmp_path, data).read_tab("Deals")

    assert grid.rows == [["Deal ID", "Notes"], ["D-1", f"a{separator}b"], ["D-2", "c"]]


def test_utf16_without_bom_rejected(tmp_path: Path) -> None:
    table = write_bytes(tmp_path, "Deal ID,Owner\nD-1,Ana\n".encode("utf-16-le"))

    with pytest.raises(UnsupportedWorkbookError) as raised:
        table.read_tab("Deals")

    assert str(raised.value) == (
        "Workbook 'deals.csv' looks like UTF-16 text without a byte order mark, "
        "which cannot be read safely. Save it as CSV UTF-8 (Excel: File > Save As "
        "> CSV UTF-8) or as .xlsx."
    )


def test_workbook_named_csv_rejected(tmp_path: Path) -> None:
    workbook = tmp_path / "book.xlsx"
    openpyxl_workbook = openpyxl.Workbook()
    openpyxl_workbook.save(workbook)
    table = write_bytes(tmp_path, workbook.read_bytes())

    with pytest.raises(UnsupportedWorkbookError) as raised:
        table.read_tab("Deals")

    assert str(raised.value) == (
        "Workbook 'deals.csv' is an Excel workbook (a zip package, as .xlsx and "
        ".ods files are) with '.csv' as its extension, not CSV text. Rename it "
        "to end in .xlsx (.ods if LibreOffice saved it) and point --source or "
        "source.path at the renamed file."
    )


def test_old_workbook_named_csv_rejected(tmp_path: Path) -> None:
    table = write_bytes(tmp_path, bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504))

    with pytest.raises(UnsupportedWorkbookError) as raised:
        table.read_tab("Deals")

    assert str(raised.value).startswith(
        "Workbook 'deals.csv' is an old Excel workbook (.xls) or a "
        "password-protected one with '.csv' as its extension, not CSV text."
    )


def test_nul_in_utf8_cell_read(tmp_path: Path) -> None:
    data = b"Deal ID,Notes\nD-1,a\x00b\nD-2,long enough text to dilute it\n"

    grid = write_bytes(tmp_path, data).read_tab("Deals")

    assert grid.rows[1] == ["D-1", "a\x00b"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"sep=;\nDeal ID;Amount\nD-1;12,5\n", ["D-1", "12,5"]),
        (b"sep=,\r\nDeal ID,Notes\r\nD-1,a;b;c;d\r\n", ["D-1", "a;b;c;d"]),
        (b"\xef\xbb\xbfsep=\t\nDeal ID\tAmount\nD-1\t5\n", ["D-1", "5"]),
    ],
    ids=["semicolon", "comma-crlf", "tab-after-bom"],
)
def test_separator_hint_line(tmp_path: Path, data: bytes, expected: list[str]) -> None:
    grid = write_bytes(tmp_path, data).read_tab("Deals")

    assert grid.rows[0][0] == "Deal ID"
    assert grid.rows[1] == expected


def test_tsv_file_read_as_table(tmp_path: Path) -> None:
    path = tmp_path / "deals.tsv"
    path.write_text("Deal ID\tStage\nD-1\tLead\n", encoding="utf-8")
    pipeline = load_pipeline(shipped_definition("b2b-en"))

    source = open_source(pipeline, str(path))

    assert isinstance(source, CsvTable)
    assert source.read_tab("Deals").rows == [["Deal ID", "Stage"], ["D-1", "Lead"]]


def test_folder_listing_names_csv(tmp_path: Path) -> None:
    (tmp_path / "deals.csv").write_text("Deal ID\n", encoding="utf-8")
    pipeline = load_pipeline(shipped_definition("b2b-en"))

    with pytest.raises(UnsupportedWorkbookError) as raised:
        open_source(pipeline, str(tmp_path))

    assert "the folder holds 'deals.csv'" in str(raised.value)
