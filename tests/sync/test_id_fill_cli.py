"""Tests of the command line with a definition that fills blank IDs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from rules.grid import CellValue
from tests.sync.test_cli import (
    AS_OF,
    TINY_DEFINITION,
    first_line,
    invoke,
    write_workbook,
)

FILLING_DEFINITION = TINY_DEFINITION.replace(
    "  id: {aliases: [Deal ID]}\n",
    "  id: {aliases: [Deal ID], fill: {prefix: D-, digits: 3}}\n",
)
# Row 3 contains a deal without an ID, and row 4 is blank.
DEALS: list[list[CellValue]] = [
    ["Deal ID", "Stage", "Amount"],
    ["D-001", "Lead", 100],
    [None, "Lead", 300],
    [None, None, None],
    ["D-002", "Won", 500],
]


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every command from tmp_path, so relative paths land there."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def filling_workbook(in_tmp_path: None) -> None:
    assert FILLING_DEFINITION != TINY_DEFINITION
    Path("tiny.yaml").write_text(FILLING_DEFINITION, encoding="utf-8")
    write_workbook(Path("tiny.xlsx"), DEALS)


def ids_in_workbook() -> list[CellValue]:
    sheet = CalamineWorkbook.from_path("tiny.xlsx").get_sheet_by_name("Deals")
    return [row[0] for row in sheet.to_python(skip_empty_area=False)[1:]]


def test_check_lists_ids_writes_nothing() -> None:
    before = Path("tiny.xlsx").read_bytes()

    result = invoke("check", "tiny.yaml", "--as-of", AS_OF)

    assert result.exit_code == 0
    assert re.search(r"│ New IDs\s+│\s+would write 1: D-003 \(row 3\) │", result.stdout)
    assert Path("tiny.xlsx").read_bytes() == before


def test_dry_run_json_lists_ids() -> None:
    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--dry-run", "--json")

    document = json.loads(result.stdout)
    assert result.exit_code == 0
    assert document["new_ids"] == {
        "planned": [{"row": 3, "id": "D-003"}],
        "written": None,
        "skipped_rows": None,
    }
    assert "missing-id" not in document["findings_by_code"]


def test_run_writes_id_once() -> None:
    first = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json")
    written = Path("tiny.xlsx").read_bytes()
    second = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json")

    assert first.exit_code == 0
    assert json.loads(first.stdout)["new_ids"]["written"] == ["D-003"]
    assert ids_in_workbook() == ["D-001", "D-003", "", "D-002"]
    assert second.exit_code == 0
    assert json.loads(second.stdout)["new_ids"]["planned"] == []
    assert json.loads(second.stdout)["written"]["bytes"] == 0
    assert Path("tiny.xlsx").read_bytes() == written


def test_output_with_fill_is_usage_error() -> None:
    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--output", "out.xlsx")

    assert result.exit_code == 2
    assert first_line(result.stderr) == "Usage: pipesheet run [OPTIONS] CONFIG"
    assert result.stderr.splitlines()[-1] == (
        "Error: --output 'out.xlsx' leaves the workbook as it is, but "
        "columns.id.fill writes new IDs into its blank ID cells, and each run "
        "would give those rows new numbers again. Leave out --output to fill "
        "the IDs in place, or delete 'fill' from the definition."
    )
    assert not Path("out.xlsx").exists()
