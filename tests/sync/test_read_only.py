"""Checking .ods and .xls files, which pipesheet reads but does not write.

``tests/sync/fixtures/starter.ods`` and ``starter.xls`` are the English starter
workbook (``pipesheet init --as-of 2025-09-30``) converted by LibreOffice 7.4
in headless mode, so they hold the same deals as ``build_starter_workbook``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from config.errors import SheetLayoutError, UnsupportedWorkbookError
from config.loader import load_pipeline
from config.models import Locale
from config.shipped import shipped_definition
from sync.cli import cli
from sync.plan import WritePlan
from sync.run import run_sync
from sync.sources.excel import ExcelWorkbook
from sync.sources.excel_read_ahead import start_read_ahead, take_read_ahead
from sync.sources.read_only_workbook import ReadOnlyWorkbook
from sync.sources.registry import open_source
from sync.starter import build_starter_workbook

FIXTURES = Path(__file__).parent / "fixtures"
AS_OF = dt.date(2025, 9, 30)
FORMATS = ["ods", "xls"]


@pytest.fixture(params=FORMATS)
def converted(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """A copy of the starter workbook in each read-only format."""
    path = Path(shutil.copy(FIXTURES / f"starter.{request.param}", tmp_path))
    yield path
    take_read_ahead(path)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_findings_match_xlsx(converted: Path, tmp_path: Path) -> None:
    pipeline = load_pipeline(shipped_definition("b2b-en"))
    xlsx = build_starter_workbook(tmp_path / "starter.xlsx", Locale.EN, as_of=AS_OF)
    expected = run_sync(pipeline, ExcelWorkbook(xlsx), AS_OF, dry_run=True)

    source = open_source(pipeline, str(converted))
    result = run_sync(pipeline, source, AS_OF, dry_run=True)

    assert len(result.deals) == 15
    assert result.deals == expected.deals
    assert result.findings == expected.findings
    assert result.report is None


def test_check_command_reads_file(converted: Path) -> None:
    result = invoke(
        "check", "b2b-en", "--source", str(converted), "--as-of", "2025-09-30", "--json"
    )

    assert result.exit_code == 1
    assert json.loads(result.stdout)["deals"] == 15
    assert result.stderr.endswith("3 error-level findings.\n")


@pytest.mark.parametrize("command", ["run", "check", "history"])
def test_file_as_config_hint_checks(
    converted: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.chdir(converted.parent)

    result = invoke(command, converted.name)
    hint = result.stderr.splitlines()[-1].rpartition("run: ")[2]

    assert result.exit_code == 2
    assert hint == f"pipesheet check b2b-en --source {converted.name}"
    checked = invoke(*hint.split()[1:], "--as-of", "2025-09-30", "--no-state")
    assert checked.exit_code == 1
    assert checked.stderr.endswith("3 error-level findings.\n")


def test_check_findings_title_names_no_tab(converted: Path) -> None:
    result = invoke(
        "check", "b2b-en", "--source", str(converted), "--as-of", "2025-09-30"
    )

    assert result.exit_code == 1
    assert "First 10 of 12 findings (all of them are in --json)" in result.stdout


def test_dry_run_writes_nothing(converted: Path) -> None:
    before = converted.read_bytes()

    result = invoke(
        "run",
        "b2b-en",
        "--source",
        str(converted),
        "--as-of",
        "2025-09-30",
        "--dry-run",
        "--no-state",
        "--quiet",
    )

    assert result.exit_code == 0
    assert converted.read_bytes() == before
    assert sorted(p.name for p in converted.parent.iterdir()) == [converted.name]


@pytest.mark.parametrize("options", [[], ["--no-state"]], ids=["recorded", "no-state"])
def test_run_refused_before_reading(
    converted: Path, options: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(converted.parent)
    monkeypatch.setenv("PIPESHEET_STATE", str(converted.parent / "state.db"))
    before = converted.read_bytes()

    result = invoke(
        "run", "b2b-en", "--source", converted.name, "--as-of", "2025-09-30", *options
    )

    assert result.exit_code == 1
    assert "Reading tab" not in result.stderr
    assert result.stderr.startswith(f"Error: Workbook {converted.name!r} is an ")
    assert "which pipesheet can check but not write, so nothing was written" in (
        result.stderr.replace("\n", " ")
    )
    assert converted.read_bytes() == before
    assert not (converted.parent / "out.xlsx").exists()


def test_output_refused_naming_option(
    converted: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(converted.parent)
    monkeypatch.setenv("PIPESHEET_STATE", str(converted.parent / "state.db"))

    result = invoke("run", "b2b-en", "--source", converted.name, "--output", "out.xlsx")

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(
        "Error: --output writes a copy of an .xlsx or .xlsm workbook with "
        f"pipesheet's changes, but {converted.name!r} is an "
    )
    assert (
        "To see its findings, run `pipesheet check` or `pipesheet run --dry-run` "
        "on it without --output."
    ) in result.stderr.replace("\n", " ")
    assert not (converted.parent / "out.xlsx").exists()
    assert not (converted.parent / "state.db").exists()


def test_apply_raises(converted: Path) -> None:
    plan = WritePlan("Deals", 3, 0, 17, "Status", True, 18, 16)

    with pytest.raises(UnsupportedWorkbookError, match="can check but not write"):
        ReadOnlyWorkbook(converted).apply(plan)


def test_missing_tab_lists_tabs(converted: Path) -> None:
    with pytest.raises(SheetLayoutError, match="Existing tabs: 'Deals', 'Lists'"):
        ReadOnlyWorkbook(converted).read_tab("Pipeline")


def test_read_ahead_used(converted: Path) -> None:
    start_read_ahead(converted, "Deals")

    grid = ReadOnlyWorkbook(converted).read_tab("Deals")

    assert take_read_ahead(converted) is None
    assert grid.rows[3][0] == "D-1001"


def test_damaged_file_named_in_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.ods"
    path.write_bytes(b"PK\x03\x04 not really a package")

    with pytest.raises(
        UnsupportedWorkbookError, match="'broken.ods' could not be read"
    ):
        ReadOnlyWorkbook(path).tab_names()


def test_xlsx_source_skips_read_only_module(tmp_path: Path) -> None:
    xlsx = build_starter_workbook(tmp_path / "starter.xlsx", Locale.EN, as_of=AS_OF)
    script = (
        "import sys\n"
        "from config.loader import load_pipeline\n"
        "from config.shipped import shipped_definition\n"
        "from sync.sources.registry import open_source\n"
        "pipeline = load_pipeline(shipped_definition('b2b-en'))\n"
        f"open_source(pipeline, {str(xlsx)!r}, None, writes=True)\n"
        "print('sync.sources.read_only_workbook' in sys.modules)\n"
    )

    opened = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )

    assert opened.stdout == "False\n"
