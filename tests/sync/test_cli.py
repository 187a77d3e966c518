"""Tests of the ``pipesheet`` command line: exit codes, streams and messages."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import re
import shlex
import shutil
import sqlite3
from importlib.metadata import version
from pathlib import Path

import click
import openpyxl
import pytest
import xlsxwriter  # type: ignore[import-untyped]
from click.testing import CliRunner, Result

from rules.grid import CellValue
from sync import atomic
from sync.cli import LAZY_COMMANDS, PipesheetGroup, cli
from sync.commands.options import json_option
from tests.fifo_files import released_fifo
from tests.python_child import python_output

AS_OF = "2025-09-30"
README = Path(__file__).resolve().parents[2] / "README.md"

TINY_DEFINITION = """\
name: Tiny pipeline
source:
  path: tiny.xlsx
  tab: Deals
columns:
  id: {aliases: [Deal ID]}
  stage: {aliases: [Stage]}
  amount: {aliases: [Amount]}
stages:
  - {name: Lead, probability: 0.1}
  - {name: Won, outcome: won, required: [amount]}
  - {name: Lost, outcome: lost}
followups:
  require_next_step_date: false
"""
CLEAN_DEALS: list[list[CellValue]] = [
    ["Deal ID", "Stage", "Amount"],
    ["D-1", "Lead", 100],
    ["D-2", "Won", 500],
]
# Rows 2 and 4 hold one error each: an unknown stage and a won deal without
# an amount.
FLAWED_DEALS: list[list[CellValue]] = [
    ["Deal ID", "Stage", "Amount"],
    ["D-1", "Demoo", 100],
    ["D-2", "Lead", 500],
    ["D-3", "Won", None],
]


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every command from tmp_path, so relative paths land there."""
    monkeypatch.chdir(tmp_path)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def write_workbook(
    path: Path, rows: list[list[CellValue]], tab: str = "Deals", *extra_tabs: str
) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = tab
    for row in rows:
        sheet.append(row)
    for name in extra_tabs:
        workbook.create_sheet(name)["A1"] = "Notes of our own"
    workbook.save(path)
    return path


def write_tiny(rows: list[list[CellValue]], *extra_tabs: str) -> None:
    """Write tiny.yaml and its workbook tiny.xlsx into the current folder."""
    Path("tiny.yaml").write_text(TINY_DEFINITION, encoding="utf-8")
    write_workbook(Path("tiny.xlsx"), rows, "Deals", *extra_tabs)


def first_line(text: str) -> str:
    return text.splitlines()[0] if text else ""


def test_run_exits_0_with_findings() -> None:
    write_tiny(FLAWED_DEALS)

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF)

    assert result.exit_code == 0
    assert re.search(r"│ Errors\s+│\s+2 │", result.stdout) is not None


@pytest.mark.parametrize(
    ("rows", "exit_code", "last_line"),
    [
        (CLEAN_DEALS, 0, "… Checking 2 deals"),
        (FLAWED_DEALS, 1, "2 error-level findings."),
    ],
    ids=["clean", "errors"],
)
def test_check_exit_code_follows_errors(
    rows: list[list[CellValue]], exit_code: int, last_line: str
) -> None:
    write_tiny(rows)
    before = Path("tiny.xlsx").read_bytes()

    result = invoke("check", "tiny.yaml", "--as-of", AS_OF)

    assert result.exit_code == exit_code
    assert result.stderr.splitlines()[-1] == last_line
    assert Path("tiny.xlsx").read_bytes() == before


@pytest.mark.parametrize(
    ("args", "usage", "error"),
    [
        (
            ["run", "tiny.yaml", "--as-of", "2025-02-30"],
            "Usage: pipesheet run [OPTIONS] CONFIG",
            (
                "Error: Invalid value for '--as-of': '2025-02-30' is not a date; use "
                "YYYY-MM-DD, e.g. 2025-09-30"
            ),
        ),
        (
            ["check", "tiny.yaml", "--as-of", "yesterday"],
            "Usage: pipesheet check [OPTIONS] CONFIG",
            (
                "Error: Invalid value for '--as-of': 'yesterday' is not a date; use "
                "YYYY-MM-DD, e.g. 2025-09-30"
            ),
        ),
        (
            ["run", "tiny.yaml", "--as-of", "1899-12-31"],
            "Usage: pipesheet run [OPTIONS] CONFIG",
            (
                "Error: Invalid value for '--as-of': '1899-12-31' is out of range; "
                "use a date from 1900-01-01 to 2199-12-31"
            ),
        ),
        (
            ["check", "tiny.yaml", "--as-of", "9999-12-31"],
            "Usage: pipesheet check [OPTIONS] CONFIG",
            (
                "Error: Invalid value for '--as-of': '9999-12-31' is out of range; "
                "use a date from 1900-01-01 to 2199-12-31"
            ),
        ),
        (
            ["run", "tiny.yaml", "--bogus"],
            "Usage: pipesheet run [OPTIONS] CONFIG",
            "Error: No such option '--bogus'.",
        ),
        (
            ["run"],
            "Usage: pipesheet run [OPTIONS] CONFIG",
            "Error: Missing argument 'CONFIG'.",
        ),
        (
            ["init", "new.xlsx", "--lang", "fr"],
            "Usage: pipesheet init [OPTIONS] PATH",
            "Error: Invalid value for '--lang': 'fr' is not one of 'en', 'zh'.",
        ),
        (
            ["run", "b2b-en"],
            "Usage: pipesheet run [OPTIONS] CONFIG",
            (
                "Error: CONFIG 'b2b-en' is a shipped definition, which names no "
                "workbook of yours. Pass the workbook with --source PATH (for example "
                "the file that 'pipesheet init' created), or copy the definition, set "
                "source.path in the copy and pass the copy's file as CONFIG."
            ),
        ),
        (
            ["run", "tiny.yaml", "--dry-run", "--output", "out.xlsx"],
            "Usage: pipesheet run [OPTIONS] CONFIG",
            (
                "Error: --output 'out.xlsx' names a file to write, but --dry-run "
                "writes nothing; leave out one of the two options."
            ),
        ),
        (
            ["run", "tiny.yaml", "-v"],
            "Usage: pipesheet run [OPTIONS] CONFIG",
            (
                "Error: No such option '-v'. -v and -vv are options of pipesheet "
                "itself, so put them before the command: pipesheet -v run ..."
            ),
        ),
        (
            ["check", "tiny.yaml", "-vv"],
            "Usage: pipesheet check [OPTIONS] CONFIG",
            (
                "Error: No such option '-v'. -v and -vv are options of pipesheet "
                "itself, so put them before the command: pipesheet -v check ..."
            ),
        ),
    ],
    ids=[
        "bad-date",
        "word-as-date",
        "before-1900",
        "year-9999",
        "unknown-option",
        "no-config",
        "bad-lang",
        "no-source",
        "dry-run-output",
        "verbose-after-command",
        "verbose-twice-after-command",
    ],
)
def test_usage_errors_exit_2(args: list[str], usage: str, error: str) -> None:
    write_tiny(CLEAN_DEALS)

    result = invoke(*args)

    assert result.exit_code == 2
    assert first_line(result.stderr) == usage
    assert result.stderr.splitlines()[-1] == error
    assert result.stdout == ""


# The end of the message for a workbook that pipesheet writes, and for a file
# that it only reads.
USE_SHIPPED = "To use the shipped English definition on this workbook, run: "
CHECK_ONLY = (
    "pipesheet can check this file but not write it. To check it with the "
    "shipped English definition, run: "
)


@pytest.mark.parametrize(
    ("args", "kind", "hint"),
    [
        (
            ["run", "tiny.xlsx"],
            "a workbook",
            f"{USE_SHIPPED}pipesheet run b2b-en --source tiny.xlsx",
        ),
        (
            ["check", "deals.csv"],
            "a CSV file",
            f"{CHECK_ONLY}pipesheet check b2b-en --source deals.csv",
        ),
        (
            ["run", "deals.csv"],
            "a CSV file",
            f"{CHECK_ONLY}pipesheet check b2b-en --source deals.csv",
        ),
        (
            ["run", "deals.tsv"],
            "a TSV file",
            f"{CHECK_ONLY}pipesheet check b2b-en --source deals.tsv",
        ),
        (
            ["doctor", "deals.csv"],
            "a CSV file",
            f"{CHECK_ONLY}pipesheet doctor b2b-en --source deals.csv",
        ),
        (
            ["doctor", "tiny.xlsx"],
            "a workbook",
            f"{USE_SHIPPED}pipesheet doctor b2b-en --source tiny.xlsx",
        ),
        (
            ["history", "tiny.xlsx"],
            "a workbook",
            f"{USE_SHIPPED}pipesheet history b2b-en --source tiny.xlsx",
        ),
        (
            ["log", "D-1", "tiny.xlsx"],
            "a workbook",
            f"{USE_SHIPPED}pipesheet check b2b-en --source tiny.xlsx",
        ),
        (
            ["run", "renamed.yaml"],
            "a workbook",
            f"{USE_SHIPPED}pipesheet run b2b-en --source renamed.yaml",
        ),
        (
            ["run", "my deals.xlsx"],
            "a workbook",
            f"{USE_SHIPPED}pipesheet run b2b-en --source 'my deals.xlsx'",
        ),
    ],
    ids=[
        "run",
        "csv",
        "run-csv",
        "run-tsv",
        "doctor-csv",
        "doctor",
        "history",
        "log",
        "renamed",
        "quoted",
    ],
)
def test_workbook_as_config_is_usage_error(
    args: list[str], kind: str, hint: str
) -> None:
    write_tiny(CLEAN_DEALS)
    Path("deals.csv").write_text("Deal ID,Stage\nD-1,Lead\n", encoding="utf-8")
    Path("deals.tsv").write_text("Deal ID\tStage\nD-1\tLead\n", encoding="utf-8")
    Path("renamed.yaml").write_bytes(Path("tiny.xlsx").read_bytes())
    Path("my deals.xlsx").write_bytes(Path("tiny.xlsx").read_bytes())

    result = invoke(*args)

    choices = (
        "a pipeline definition (a YAML file) or a shipped definition's name (see "
        "'pipesheet definitions')"
    )
    if kind == "a workbook":
        choices = (
            "a pipeline definition (a YAML file), a shipped definition's name (see "
            "'pipesheet definitions') or a workbook with a 'Rules' tab (see "
            "'pipesheet init --rules-tab')"
        )
    config = args[-1]
    if config.endswith(".xlsx"):
        choices += ", and this workbook has no 'Rules' tab"
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: CONFIG {config!r} is {kind}, but CONFIG must be {choices}. {hint}"
    )
    assert result.stdout == ""


MISSING_WORKBOOK = (
    "my deals.xlsx: workbook not found; check the path, or give a pipeline "
    "definition (a YAML file) or a shipped definition's name as CONFIG"
)


@pytest.mark.parametrize("command", ["run", "check"])
def test_missing_workbook_as_config_is_not_found(command: str) -> None:
    result = invoke(command, "my deals.xlsx")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"Error: {MISSING_WORKBOOK}"


def test_doctor_names_missing_workbook_as_config() -> None:
    result = invoke("doctor", "my deals.xlsx")

    assert result.exit_code == 1
    assert f"✗ Definition  {MISSING_WORKBOOK}" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["run", "tiny.yaml", "--no-state"],
        ["check", "b2b-en"],
        ["doctor", "tiny.yaml"],
        ["history", "tiny.yaml"],
        ["log", "D-1", "tiny.yaml"],
        ["rename-tab", "Old", "tiny.yaml"],
        ["serve", "tiny.yaml", "--once"],
    ],
    ids=["run", "check", "doctor", "history", "log", "rename-tab", "serve"],
)
@pytest.mark.parametrize("value", ["", "  "], ids=["empty", "blank"])
def test_empty_source_is_usage_error(args: list[str], value: str) -> None:
    write_tiny(CLEAN_DEALS)

    result = invoke(*args, "--source", value)

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--source': the value is empty; pass the "
        "workbook's path (check the shell variable that should contain it), or "
        "leave --source out to use the definition's source."
    )
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["run", "check", "doctor"])
def test_fifo_definition_rejected(command: str) -> None:
    with released_fifo(Path("pipeline.yaml")):
        result = invoke(command, "pipeline.yaml")

    assert result.exit_code == 1
    message = (
        "pipeline.yaml: is a FIFO (named pipe), not a regular file; give the "
        "path of the definition's YAML file"
    )
    assert message in result.stdout + result.stderr


@pytest.mark.parametrize("command", ["run", "check", "doctor"])
def test_fifo_source_named_with_option(command: str) -> None:
    with released_fifo(Path("deals.xlsx")):
        result = invoke(command, "b2b-en", "--source", "deals.xlsx")

    assert result.exit_code == 1
    message = (
        "Workbook path 'deals.xlsx' from --source is a FIFO (named pipe), not a "
        "regular file, so pipesheet does not open it. Set --source to the "
        "workbook file itself."
    )
    assert message in result.stdout + result.stderr


FAR_CELL = "Workbook 'tiny.xlsx', tab 'Deals': cell B20000 ('oops') lies"


def write_tiny_with_far_cell() -> None:
    write_tiny(CLEAN_DEALS)
    book = openpyxl.load_workbook("tiny.xlsx")
    book["Deals"]["B20000"] = "oops"
    book.save("tiny.xlsx")


def test_run_warns_of_far_stray_cell() -> None:
    write_tiny_with_far_cell()

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--no-state", "--json")

    [warning] = json.loads(result.stdout)["warnings"]
    assert warning.startswith(FAR_CELL)


def test_run_warns_of_closed_deal_moved_away() -> None:
    write_tiny([*CLEAN_DEALS, ["D-3", "Lost", 300]])
    first = invoke("run", "tiny.yaml", "--as-of", "2025-09-29", "--json")
    # D-3 goes to an archive tab; a closed deal there no longer counts.
    book = openpyxl.load_workbook("tiny.xlsx")
    book["Deals"].delete_rows(4)
    book.create_sheet("Archive").append(["Deal ID", "Stage", "Amount"])
    book["Archive"].append(["D-3", "Lost", 300])
    book.save("tiny.xlsx")

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json")

    assert json.loads(first.stdout)["warnings"] == []
    [warning] = json.loads(result.stdout)["warnings"]
    assert warning.startswith(
        "Workbook 'tiny.xlsx', tab 'Deals': 1 closed deal left the tab since the "
        "last run: D-3 (Lost). The Funnel's win rates"
    )
    assert json.loads(result.stdout)["metrics"]["lost"] == 0


def test_doctor_warns_of_far_stray_cell() -> None:
    write_tiny_with_far_cell()

    result = invoke("doctor", "tiny.yaml")

    assert FAR_CELL in result.output.replace("\n", " ")


def test_doctor_shipped_name_needs_source() -> None:
    result = invoke("doctor", "b2b-en")

    assert result.exit_code == 2
    assert first_line(result.stderr) == "Usage: pipesheet doctor [OPTIONS] CONFIG"
    assert result.stderr.splitlines()[-1].startswith(
        "Error: CONFIG 'b2b-en' is a shipped definition, which names no workbook "
        "of yours. Pass the workbook with --source PATH"
    )
    assert result.stdout == ""


@pytest.mark.parametrize(
    "as_of", ["1900-01-01", "2199-12-31"], ids=["earliest", "latest"]
)
def test_as_of_range_ends_accepted(as_of: str) -> None:
    write_tiny(CLEAN_DEALS)

    result = invoke("check", "tiny.yaml", "--as-of", as_of, "-q")

    assert result.exit_code == 0


def test_future_recorded_run_is_usage_error() -> None:
    write_tiny(CLEAN_DEALS)

    result = invoke("run", "tiny.yaml", "--as-of", "2199-12-31")

    assert result.exit_code == 2
    error = result.stderr.splitlines()[-1]
    assert re.fullmatch(
        r"Error: --as-of 2199-12-31 is after today \(\d{4}-\d{2}-\d{2} in UTC\), "
        r"and a recorded run for a later day would make every run before that "
        r"day fail\. Check the date, or add --dry-run or --no-state to try a "
        r"future day without recording it\.",
        error,
    )
    assert not Path("pipesheet-state.sqlite").exists()


@pytest.mark.parametrize(
    "option", ["--dry-run", "--no-state"], ids=["dry-run", "no-state"]
)
def test_future_day_without_recording(option: str) -> None:
    write_tiny(CLEAN_DEALS)

    result = invoke("run", "tiny.yaml", "--as-of", "2199-12-31", option, "-q")

    assert result.exit_code == 0
    assert "as of 2199-12-31" in result.stdout


def test_bad_date_wins_over_bad_definition() -> None:
    result = invoke("run", "missing.yaml", "--as-of", "2025-13-01")

    assert result.exit_code == 2


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["run", "tiny.yaml", "--source", "missing.xlsx"],
            (
                "Error: Workbook 'missing.xlsx' from --source not found. Check "
                "--source; a relative path is read from the folder pipesheet runs in."
            ),
        ),
        (
            ["run", "tiny.yaml", "--source", "[draft] deals.xlsx"],
            (
                "Error: Workbook '[draft] deals.xlsx' from --source not found. Check "
                "--source; a relative path is read from the folder pipesheet runs in."
            ),
        ),
        (
            ["run", "missing.yaml"],
            (
                "Error: missing.yaml: pipeline definition file not found; check the "
                "path or create the file"
            ),
        ),
        (
            ["run", "nodef"],
            (
                "Error: No shipped pipeline definition is named 'nodef'. Shipped "
                "definitions: b2b-en, maven-crm, sales-zh. To use your own, give the "
                "path of its YAML file."
            ),
        ),
        (
            ["check", "tiny.yaml", "--source", "."],
            (
                "Error: Workbook path '.' from --source is a folder, not a file; the "
                "folder holds 'tiny.xlsx'. Set --source to the workbook file itself."
            ),
        ),
    ],
    ids=[
        "no-workbook",
        "brackets-in-name",
        "no-definition",
        "unknown-name",
        "folder",
    ],
)
def test_failures_exit_1(args: list[str], error: str) -> None:
    write_tiny(CLEAN_DEALS)

    result = invoke(*args)

    assert result.exit_code == 1
    assert first_line(result.stderr) == error
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["run", "check"], ids=["run", "check"])
def test_json_failure_prints_error_object(command: str) -> None:
    write_tiny(CLEAN_DEALS)
    message = (
        "Workbook 'missing.xlsx' from --source not found. Check --source; a "
        "relative path is read from the folder pipesheet runs in."
    )

    result = invoke(command, "tiny.yaml", "--source", "missing.xlsx", "--json")

    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "error": {"type": "WorkbookNotFoundError", "message": message}
    }
    assert first_line(result.stderr) == f"Error: {message}"


def test_history_json_failure_prints_error_object() -> None:
    result = invoke("history", "--state", "missing.sqlite", "--json")

    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "StateNotFoundError"
    assert first_line(result.stderr) == f"Error: {first_line(error['message'])}"


def test_json_click_exception_prints_error_object() -> None:
    group = PipesheetGroup()

    @group.command()
    @json_option
    def fail(as_json: bool) -> None:
        raise click.ClickException("Nothing to show.")

    result = CliRunner().invoke(group, ["fail", "--json"])

    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "error": {"type": "Error", "message": "Nothing to show."}
    }
    assert result.stderr == "Error: Nothing to show.\n"


@pytest.mark.parametrize("command", ["check", "doctor"], ids=["check", "doctor"])
def test_url_for_excel_definition_named(command: str) -> None:
    write_tiny(CLEAN_DEALS)
    url = "https://docs.google.com/spreadsheets/d/abc/edit"

    result = invoke(command, "tiny.yaml", "--source", url)

    assert result.exit_code == 1
    assert (
        f"--source {url!r} is a URL, but the definition's source.kind is excel, "
        "which reads a workbook file. For a Google spreadsheet, set source.kind: "
        "google_sheets and source.credentials in the definition; for an Excel "
        "workbook, pass the path of its file."
    ) in " ".join((result.stdout + result.stderr).split())


def test_missing_workbook_names_source_path() -> None:
    Path("team").mkdir()
    Path("team/tiny.yaml").write_text(TINY_DEFINITION, encoding="utf-8")

    result = invoke("run", "team/tiny.yaml")

    assert result.exit_code == 1
    assert first_line(result.stderr) == (
        "Error: Workbook 'team/tiny.xlsx' from source.path not found. Check "
        "source.path; a relative path is read from the definition file's folder."
    )


def test_renamed_pipeline_tab_lists_tabs() -> None:
    Path("tiny.yaml").write_text(TINY_DEFINITION, encoding="utf-8")
    write_workbook(Path("tiny.xlsx"), CLEAN_DEALS, "Pipeline", "Notes")

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "-q")

    assert result.exit_code == 1
    assert first_line(result.stderr) == (
        "Error: Tab 'Deals' not found in workbook 'tiny.xlsx'. Existing tabs: "
        "'Pipeline', 'Notes'. Fix source.tab in the pipeline definition or "
        "rename the tab."
    )


def test_bad_definition_exits_1() -> None:
    text = TINY_DEFINITION.replace("stages:", "stagess:")
    Path("bad.yaml").write_text(text, encoding="utf-8")

    result = invoke("check", "bad.yaml")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[:3] == [
        "Error: bad.yaml: invalid pipeline definition (2 problems):",
        "  - stages: missing; this key is required",
        (
            "  - stagess: unknown key 'stagess'; did you mean 'stages'? Valid keys "
            "here: name, source, columns, stages, transitions, followups, allowed, "
            "outputs, metrics, timezone, date_order, schedule, notifications"
        ),
    ]


@pytest.mark.parametrize("days", [1_000_000, 99_999_999_999], ids=["million", "huge"])
def test_json_win_rate_days_out_of_range(days: int) -> None:
    # A period that long would start before year 1, which no date can hold.
    text = TINY_DEFINITION + f"metrics: {{win_rate_days: {days}}}\n"
    Path("tiny.yaml").write_text(text, encoding="utf-8")
    write_workbook(Path("tiny.xlsx"), CLEAN_DEALS)

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json", "--no-state")

    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"] == {
        "type": "DefinitionError",
        "message": (
            "tiny.yaml: invalid pipeline definition (1 problem):\n"
            f"  - metrics.win_rate_days: invalid value {days}; expected a whole "
            "number from 1 to 36500"
        ),
    }


TAKEN_TAB = (
    "Workbook 'tiny.xlsx' already has a tab 'FUNNEL' that pipesheet did not "
    "create, so pipesheet will not overwrite it. Rename that tab, or choose "
    "another name for the generated tab under outputs.tabs in the pipeline "
    "definition."
)


@pytest.mark.parametrize(
    "args", [["run"], ["run", "--no-state"]], ids=["run", "no-state"]
)
def test_user_tab_named_like_generated_one(args: list[str]) -> None:
    write_tiny(CLEAN_DEALS, "FUNNEL")
    before = Path("tiny.xlsx").read_bytes()

    result = invoke(*args, "tiny.yaml", "--as-of", AS_OF)

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "… Reading tab 'Deals' of tiny.xlsx",
        "… Checking 2 deals",
        f"Error: {TAKEN_TAB} Nothing was written.",
    ]
    assert result.stdout == ""
    assert Path("tiny.xlsx").read_bytes() == before


@pytest.mark.parametrize(
    "args", [["run", "--dry-run"], ["check"]], ids=["dry-run", "check"]
)
def test_check_shows_findings_then_user_tab(args: list[str]) -> None:
    write_tiny(FLAWED_DEALS, "FUNNEL")
    before = Path("tiny.xlsx").read_bytes()

    result = invoke(*args, "tiny.yaml", "--as-of", AS_OF, "-q")

    assert result.exit_code == 1
    assert "Findings by code" in result.stdout
    assert re.search(
        r"│ Written +│ nothing \(dry run; 1 problem stops a run before it writes\) │",
        result.stdout,
    )
    assert result.stderr.splitlines()[-1] == (
        f"Error: {TAKEN_TAB} A run would write nothing."
    )
    assert Path("tiny.xlsx").read_bytes() == before


def test_check_json_lists_user_tab() -> None:
    write_tiny(FLAWED_DEALS, "FUNNEL")

    result = invoke("check", "tiny.yaml", "--as-of", AS_OF, "--json", "-q")

    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["blockers"] == [TAKEN_TAB]
    assert document["findings"]
    assert document["planned"] == {
        "status_cells": 0,
        "tabs": [],
        "status_header": False,
        "reason": "1 problem stops a run before it writes",
    }


def test_json_holds_findings_metrics_writes() -> None:
    write_tiny(FLAWED_DEALS)

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json")

    document = json.loads(result.stdout)
    assert result.exit_code == 0
    assert [(f["row"], f["code"]) for f in document["findings"]] == [
        (2, "unknown-stage"),
        (4, "missing-required"),
    ]
    assert document["findings"][1]["message"] == (
        "Amount is required in stage 'Won'; fill it in."
    )
    assert document["findings_by_severity"] == {"error": 2, "warning": 0, "info": 0}
    assert document["metrics"]["won"] == 1
    assert document["metrics"]["open_deals"] == 1
    assert document["planned"]["status_cells"] == 3
    assert document["written"]["status_cells"] == 3
    assert document["written"]["tabs"] == [
        "Funnel",
        "Follow-ups",
        "Problems",
        "Definitions",
        "Stage log",
    ]


def test_json_lists_run_warnings() -> None:
    write_tiny(CLEAN_DEALS, "Review 2025-09")
    invoke("run", "tiny.yaml", "--as-of", AS_OF, "-q")

    result = invoke("run", "tiny.yaml", "--as-of", "2025-10-01", "--json")

    warnings = json.loads(result.stdout)["warnings"]
    assert len(warnings) == 1
    assert "the review of 2025-09 was not written" in warnings[0]


FORMULA_DEALS: list[list[CellValue]] = [
    ["Deal ID", "Stage", "Amount"],
    ["D-1", "Lead", "=40+60"],
    ["D-2", "Won", 500],
]
UNSAVED_WARNING = (
    "Workbook 'tiny.xlsx', tab 'Deals': cell C2 contains a formula saved without "
    "its result, so it reads as empty. The workbook was last saved by a program "
    "that does not calculate formulas. Open it in Excel or LibreOffice, save it, "
    "and run again."
)


def test_json_warns_of_formula_without_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The default state database, missing in a new folder, gets no warning.
    monkeypatch.delenv("PIPESHEET_STATE")
    # openpyxl saves a formula without its result.
    write_tiny(FORMULA_DEALS)

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json", "--dry-run")

    assert json.loads(result.stdout)["warnings"] == [UNSAVED_WARNING]


def test_pipeline_tab_scanned_after_stage_log() -> None:
    # Without a record of the workbook's Stage log, the run reads that tab
    # before the pipeline tab, whose formulas it must still look at.
    write_tiny(FORMULA_DEALS)
    invoke("run", "tiny.yaml", "--as-of", AS_OF, "-q")

    result = invoke(
        "run", "tiny.yaml", "--as-of", "2025-10-01", "--state", "other.sqlite", "--json"
    )

    warnings = json.loads(result.stdout)["warnings"]
    assert len(warnings) == 2
    assert "lists stays recorded since" in warnings[0]
    assert warnings[1] == UNSAVED_WARNING


@pytest.mark.parametrize("command", ["check", "run"], ids=["check", "dry-run"])
def test_missing_state_named_not_stand_in(command: str) -> None:
    write_tiny(CLEAN_DEALS)
    invoke("run", "tiny.yaml", "--as-of", AS_OF, "-q")
    dry_run = ["--dry-run"] if command == "run" else []

    result = invoke(
        command,
        "tiny.yaml",
        "--as-of",
        "2025-10-01",
        *dry_run,
        "--json",
        "--state",
        "x.db",
    )

    warning = json.loads(result.stdout)["warnings"][1]
    missing = str(Path("x.db").resolve())
    assert f"but there is no state database at {missing!r}. So this run" in warning
    assert "pipesheet-" not in warning


@pytest.mark.parametrize("command", ["check", "run"], ids=["check", "dry-run"])
@pytest.mark.parametrize("setting", ["--state", "PIPESHEET_STATE"])
def test_missing_state_warned(
    command: str, setting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tiny(CLEAN_DEALS)
    dry_run = ["--dry-run"] if command == "run" else []
    if setting == "--state":
        state = ["--state", "typo.sqlite"]
    else:
        state = []
        monkeypatch.setenv("PIPESHEET_STATE", "typo.sqlite")

    result = invoke(command, "tiny.yaml", "--as-of", AS_OF, *dry_run, *state, "--json")

    missing = str(Path("typo.sqlite").resolve())
    assert result.exit_code == 0
    warning = (
        f"No state database at {missing!r} (from {setting}), so this "
        "command read no run history and shows the deals as a first run would. "
        "Check the path for a typo. Only a run without --dry-run creates the "
        "database."
    )
    assert json.loads(result.stdout)["warnings"] == [warning]
    assert not Path("typo.sqlite").exists()


@pytest.mark.parametrize("command", ["check", "run"], ids=["check", "dry-run"])
def test_missing_default_state_not_warned(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PIPESHEET_STATE")
    write_tiny(CLEAN_DEALS)
    dry_run = ["--dry-run"] if command == "run" else []

    result = invoke(command, "tiny.yaml", "--as-of", AS_OF, *dry_run, "--json")

    assert result.exit_code == 0
    assert json.loads(result.stdout)["warnings"] == []
    assert not Path("pipesheet-state.sqlite").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["run", "tiny.yaml", "--as-of", AS_OF],
        ["run", "tiny.yaml", "--as-of", AS_OF, "--dry-run"],
        ["check", "tiny.yaml", "--as-of", AS_OF],
        ["history"],
    ],
    ids=["run", "dry-run", "check", "history"],
)
def test_unreachable_state_is_json_error(command: list[str]) -> None:
    # A symbolic link loop replaces a folder the user may not enter, because
    # both fail in stat with an OSError, and root cannot be denied access.
    write_tiny(CLEAN_DEALS)
    Path("loop.sqlite").symlink_to("loop.sqlite")

    result = invoke(*command, "--state", "loop.sqlite", "--json")

    path = str(Path("loop.sqlite").absolute())
    message = (
        f"State database {path!r} could not be opened: Too many levels of "
        "symbolic links. Check the path, or point --state or PIPESHEET_STATE at "
        "another path."
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "error": {"type": "StateError", "message": message}
    }
    assert result.stderr.endswith(f"Error: {message}\n")


def test_json_warnings_empty_without_warnings() -> None:
    write_tiny(CLEAN_DEALS)

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json")

    assert json.loads(result.stdout)["warnings"] == []


def test_emoji_code_in_name_printed_as_is() -> None:
    write_tiny(CLEAN_DEALS)
    shutil.copy("tiny.xlsx", ":fire:.xlsx")

    result = invoke("run", "tiny.yaml", "--source", ":fire:.xlsx", "--as-of", AS_OF)

    assert result.exit_code == 0
    assert first_line(result.stderr) == "… Reading tab 'Deals' of :fire:.xlsx"
    assert ":fire:.xlsx · Deals" in result.stdout


def test_progress_only_on_stderr() -> None:
    write_tiny(CLEAN_DEALS)

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json")

    json.loads(result.stdout)
    assert result.stderr.splitlines() == [
        "… Reading tab 'Deals' of tiny.xlsx",
        "… Checking 2 deals",
        "… Writing 2 status cells and 5 tabs to tiny.xlsx",
    ]


def test_quiet_run_prints_no_progress() -> None:
    write_tiny(CLEAN_DEALS)

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json", "-q")

    assert result.exit_code == 0
    assert result.stderr == ""


def test_second_json_run_writes_nothing() -> None:
    write_tiny(CLEAN_DEALS)
    invoke("run", "tiny.yaml", "--as-of", AS_OF, "-q")
    before = Path("tiny.xlsx").read_bytes()

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json", "-q")

    assert json.loads(result.stdout)["written"] == {
        "status_cells": 0,
        "tabs": [],
        "bytes": 0,
        "requests": 0,
        "skipped": [],
        "output": None,
        "status_header": False,
    }
    assert Path("tiny.xlsx").read_bytes() == before


def test_dry_run_json_writes_none() -> None:
    write_tiny(CLEAN_DEALS)

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json", "--dry-run")

    assert json.loads(result.stdout)["written"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "tiny.yaml", "--bogus", "--json"], "No such option '--bogus'."),
        (["bogus", "--json"], "No such command 'bogus'."),
        (
            ["check", "tiny.yaml", "--json", "--as-of", "2025-02-30"],
            (
                "Invalid value for '--as-of': '2025-02-30' is not a date; use "
                "YYYY-MM-DD, e.g. 2025-09-30"
            ),
        ),
        (
            ["-q", "run", "tiny.yaml", "--json"],
            (
                "No such option '-q'. Options of a command go after its name: "
                "pipesheet run ... -q"
            ),
        ),
        (
            ["-x", "check", "tiny.yaml", "--json"],
            (
                "No such option '-x'. Options of a command go after its name: "
                "pipesheet check ... -x"
            ),
        ),
        (["--json"], "No such option '--json'. Did you mean '--version'?"),
        (
            ["--json", "-q", "run", "tiny.yaml"],
            (
                "No such option '--json'. Options of a command go after its "
                "name: pipesheet run ... --json"
            ),
        ),
        (
            ["-vv", "--json", "doctor", "tiny.yaml"],
            (
                "No such option '--json'. Options of a command go after its "
                "name: pipesheet doctor ... --json"
            ),
        ),
        (
            ["--jsonn", "run", "tiny.yaml", "--json"],
            (
                "No such option '--jsonn'. Did you mean '--version'? Options of "
                "a command go after its name: pipesheet run ... --jsonn"
            ),
        ),
    ],
    ids=[
        "option",
        "command",
        "value",
        "command-option-first",
        "unknown-option-first",
        "json-alone",
        "json-first",
        "json-first-doctor",
        "json-typo-first",
    ],
)
def test_json_usage_error_prints_error_object(args: list[str], message: str) -> None:
    write_tiny(CLEAN_DEALS)

    result = invoke(*args)

    assert result.exit_code == 2
    assert json.loads(result.stdout) == {
        "error": {"type": "UsageError", "message": message}
    }
    assert "Usage:" in result.stderr


def test_json_with_value_prints_error_object() -> None:
    result = invoke("run", "tiny.yaml", "--json=yes")

    assert result.exit_code == 2
    assert json.loads(result.stdout) == {
        "error": {
            "type": "UsageError",
            "message": "Option '--json' does not take a value.",
        }
    }


def test_group_option_typo_keeps_suggestion() -> None:
    result = invoke("--verb", "run", "tiny.yaml")

    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: No such option '--verb'. (Did you mean one of: '--verbose', "
        "'--version'?)\n"
    )


def test_usage_error_plain_stdout_empty() -> None:
    result = invoke("run", "tiny.yaml", "--bogus", "--", "--json")

    assert result.exit_code == 2
    assert result.stdout == ""


def test_dry_run_reports_planned_counts() -> None:
    write_tiny(FLAWED_DEALS)
    before = Path("tiny.xlsx").read_bytes()

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--dry-run", "-q")

    assert result.exit_code == 0
    # The report's table wraps the Written text over several lines.
    written = " ".join(re.sub(r"[│┃]", " ", result.stdout).split())
    assert (
        "nothing (dry run; would write 3 status cells and 5 tabs (Funnel, "
        "Follow-ups, Problems, Definitions, Stage log) plus the status header)"
    ) in written
    assert Path("tiny.xlsx").read_bytes() == before


def test_dry_run_creates_no_state_file() -> None:
    write_tiny(FLAWED_DEALS)

    result = invoke(
        "run", "tiny.yaml", "--as-of", AS_OF, "--dry-run", "-q", "--state", "s.sqlite"
    )

    assert result.exit_code == 0
    assert "would write 3 status cells and 5 tabs" in result.stdout
    assert not Path("s.sqlite").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["check", "tiny.yaml", "--as-of", AS_OF, "-q"],
        ["run", "tiny.yaml", "--as-of", AS_OF, "--dry-run", "-q"],
        ["history"],
    ],
    ids=["check", "dry-run", "history"],
)
def test_reading_commands_write_no_state(
    command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stands in for a read-only file system, which root cannot write either:
    # access() fails for the folder, and SQLite cannot create the -shm file
    # that opening a WAL database for writing needs.
    write_tiny(CLEAN_DEALS)
    Path("db").mkdir()
    invoke("run", "tiny.yaml", "--as-of", AS_OF, "-q", "--state", "db/s.sqlite")
    recorded = Path("db/s.sqlite").read_bytes()
    folder = Path("db").resolve()
    (folder / "s.sqlite-shm").mkdir()
    access = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda path, mode: Path(path).resolve() != folder and access(path, mode),
    )

    result = invoke(*command, "--state", "db/s.sqlite")

    assert result.exit_code == 0, result.stderr
    assert sorted(path.name for path in folder.iterdir()) == [
        "s.sqlite",
        "s.sqlite-shm",
    ]
    assert Path("db/s.sqlite").read_bytes() == recorded


READING_COMMANDS = pytest.mark.parametrize(
    "command",
    [
        ["check", "tiny.yaml", "--as-of", AS_OF, "-q"],
        ["run", "tiny.yaml", "--as-of", AS_OF, "--dry-run", "-q"],
        ["history"],
    ],
    ids=["check", "dry-run", "history"],
)


@READING_COMMANDS
def test_reading_commands_name_empty_state(command: list[str]) -> None:
    write_tiny(CLEAN_DEALS)
    Path("empty.sqlite").touch()
    path = str(Path("empty.sqlite").resolve())

    result = invoke(*command, "--state", "empty.sqlite")

    assert result.exit_code == 1
    assert (
        f"State database {path!r} is empty: no run has been recorded in it."
    ) in result.stderr
    assert Path("empty.sqlite").stat().st_size == 0


@READING_COMMANDS
def test_reading_commands_name_foreign_state(command: list[str]) -> None:
    write_tiny(CLEAN_DEALS)
    with sqlite3.connect("other.sqlite") as connection:
        connection.execute("CREATE TABLE contacts (id INTEGER)")
    connection.close()
    path = str(Path("other.sqlite").resolve())

    result = invoke(*command, "--state", "other.sqlite")

    assert result.exit_code == 1
    assert (
        f"{path!r} is not a pipesheet state database: it has a table named "
        "'contacts' but no pipesheet schema revision."
    ) in result.stderr


def test_run_keeps_out_of_foreign_state() -> None:
    write_tiny(CLEAN_DEALS)
    with sqlite3.connect("other.sqlite") as connection:
        connection.execute("CREATE TABLE contacts (id INTEGER)")
    connection.close()
    before = Path("other.sqlite").read_bytes()
    workbook = Path("tiny.xlsx").read_bytes()

    result = invoke(
        "run", "tiny.yaml", "--as-of", AS_OF, "-q", "--state", "other.sqlite"
    )

    assert result.exit_code == 1
    assert "is not a pipesheet state database" in result.stderr
    assert Path("other.sqlite").read_bytes() == before
    assert Path("tiny.xlsx").read_bytes() == workbook


def test_run_turns_empty_file_into_state() -> None:
    write_tiny(CLEAN_DEALS)
    Path("empty.sqlite").touch()

    first = invoke(
        "run", "tiny.yaml", "--as-of", AS_OF, "-q", "--state", "empty.sqlite"
    )
    history = invoke("history", "--state", "empty.sqlite")

    assert first.exit_code == 0, first.stderr
    assert history.exit_code == 0, history.stderr
    assert "tiny.xlsx" in history.stdout


def test_dry_run_leaves_state_unchanged() -> None:
    write_tiny(FLAWED_DEALS)
    invoke("run", "tiny.yaml", "--as-of", AS_OF, "-q", "--state", "s.sqlite")
    recorded = Path("s.sqlite").read_bytes()

    result = invoke(
        "run",
        "tiny.yaml",
        "--as-of",
        AS_OF,
        "--dry-run",
        "--json",
        "--state",
        "s.sqlite",
    )

    assert json.loads(result.stdout)["findings"]
    assert Path("s.sqlite").read_bytes() == recorded


def test_human_findings_sorted_by_row() -> None:
    rows = [
        ["Deal ID", "Stage", "Amount"],
        ["D-1", "Won", None],
        ["D-2", "Demoo", 1],
        ["D-3", "Won", None],
        ["D-4", "Lead", "lots"],
    ]
    write_tiny(rows)

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "-q")

    listed = re.findall(r"^│\s+(\d+) │", result.stdout, flags=re.MULTILINE)
    assert listed == ["2", "3", "4", "5"]


def test_brackets_in_cells_shown_as_typed() -> None:
    write_tiny([["Deal ID", "Stage", "Amount"], ["D-1", "[/]", 1], ["D-2", "[b]", 2]])

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "-q")

    assert result.exit_code == 0
    assert "Stage '[/]' is not a stage" in result.stdout
    assert "Stage '[b]' is not a stage" in result.stdout


def test_output_leaves_source_unchanged() -> None:
    write_tiny(FLAWED_DEALS)
    before = Path("tiny.xlsx").read_bytes()

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--output", "out.xlsx", "-q")

    assert result.exit_code == 0
    assert Path("tiny.xlsx").read_bytes() == before
    statuses = [row[3] for row in openpyxl.load_workbook("out.xlsx")["Deals"].values]
    assert statuses == [
        "pipesheet status",
        "ERROR: unknown stage 'Demoo'",
        "OK",
        "ERROR: missing Amount",
    ]


def test_output_written_when_nothing_changed() -> None:
    write_tiny(CLEAN_DEALS)
    invoke("run", "tiny.yaml", "--as-of", AS_OF, "-q")
    synced = Path("tiny.xlsx").read_bytes()

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--output", "out.xlsx", "-q")

    assert result.exit_code == 0
    assert Path("out.xlsx").read_bytes() == synced
    assert Path("tiny.xlsx").read_bytes() == synced
    assert result.stderr.splitlines()[-1] == (
        "Nothing to change; copied tiny.xlsx to out.xlsx as it is."
    )


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_read_only_workbook_not_written() -> None:
    write_tiny(FLAWED_DEALS)
    Path("tiny.xlsx").chmod(0o444)
    before = Path("tiny.xlsx").read_bytes()

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "-q")
    copied = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--output", "out.xlsx")

    assert result.exit_code == 1
    assert first_line(result.stderr) == (
        "Error: Workbook 'tiny.xlsx' is read-only; nothing was written. Make it "
        "writable or pass --output PATH."
    )
    assert Path("tiny.xlsx").read_bytes() == before
    assert copied.exit_code == 0
    assert Path("out.xlsx").is_file()


def test_definitions_lists_names_and_files() -> None:
    config = Path(__file__).resolve().parents[2] / "config"

    result = invoke("definitions")

    assert result.exit_code == 0
    assert result.stdout == (
        f"b2b-en     {config / 'pipelines' / 'b2b-en.yaml'}\n"
        f"maven-crm  {config / 'examples' / 'maven-crm.yaml'}\n"
        f"sales-zh   {config / 'pipelines' / 'sales-zh.yaml'}\n"
    )
    assert result.stderr == (
        f"To start your own: cp {config / 'pipelines' / 'b2b-en.yaml'} "
        "pipeline.yaml, set source.path and the column aliases in it, then run "
        "pipesheet check pipeline.yaml. docs/definition.md in pipesheet's source "
        "describes every key.\n"
    )


def test_definitions_hint_copy_checks() -> None:
    # The hinted copy of b2b-en reads pipeline.xlsx beside it, as init makes it.
    invoke("init", "pipeline.xlsx", "--as-of", AS_OF)
    hint = invoke("definitions").stderr
    copy_command = re.search(r"cp (.+?) pipeline\.yaml", hint)
    assert copy_command is not None
    source = Path(shlex.split(copy_command.group(1))[0])
    Path("pipeline.yaml").write_bytes(source.read_bytes())

    result = invoke("check", "pipeline.yaml", "--as-of", AS_OF, "--no-state", "-q")

    assert result.stdout.startswith("pipeline.xlsx · Deals · as of ")
    assert "error-level findings" in result.stderr


@pytest.mark.parametrize(
    ("lang", "name", "hint"),
    [
        (
            "en",
            "pipeline.xlsx",
            f"pipesheet run b2b-en --source pipeline.xlsx --as-of {AS_OF}",
        ),
        (
            "zh",
            "销售管道.xlsx",
            f"pipesheet run sales-zh --source '销售管道.xlsx' --as-of {AS_OF}",
        ),
    ],
    ids=["en", "zh"],
)
def test_init_then_run(lang: str, name: str, hint: str) -> None:
    created = invoke("init", name, "--lang", lang, "--as-of", AS_OF)

    result = invoke(*shlex.split(hint)[1:], "--json", "-q")

    assert created.exit_code == 0
    assert created.stdout == f"Created {name}\nNext: {hint}\n"
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["deals"] == 15
    assert document["written"]["status_cells"] == 15


def test_init_hint_quotes_path() -> None:
    result = invoke("init", "my pipeline.xlsx")

    assert result.stdout.splitlines()[-1] == (
        "Next: pipesheet run b2b-en --source 'my pipeline.xlsx'"
    )


def test_init_hint_keeps_as_of() -> None:
    result = invoke("init", "pipeline.xlsx", "--as-of", AS_OF)

    assert result.stdout.splitlines()[-1] == (
        f"Next: pipesheet run b2b-en --source pipeline.xlsx --as-of {AS_OF}"
    )


def test_init_hint_for_future_day_dry_runs() -> None:
    later = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)

    created = invoke("init", "pipeline.xlsx", "--as-of", str(later))
    hint = created.stdout.splitlines()[-1]
    result = invoke(*hint.split()[2:], "--quiet")

    assert hint == (
        f"Next: pipesheet run b2b-en --source pipeline.xlsx --as-of {later} --dry-run"
    )
    assert result.exit_code == 0
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("command", "option", "help_text"),
    [
        (
            "init",
            "--as-of DATE",
            (
                "The day the example deals' dates are set around, so some are due "
                "and some overdue on it (YYYY-MM-DD); default today in the shipped "
                "definition's time zone."
            ),
        ),
        (
            "demo",
            "--lang [en|zh]",
            "Language of the demo's headers, stages and example rows. [default: en]",
        ),
        *[
            (
                command,
                "--source PATH_OR_URL",
                (
                    "Workbook file to use instead of the definition's "
                    "source.path, or for a Google Sheets definition a "
                    "spreadsheet URL or id to use instead of source.spreadsheet."
                ),
            )
            for command in ("run", "check")
        ],
    ],
    ids=["init-as-of", "demo-lang", "run-source", "check-source"],
)
def test_option_help_text(command: str, option: str, help_text: str) -> None:
    result = invoke(command, "--help")

    options = " ".join(result.stdout.split())
    assert f"{option} {help_text}" in options


def test_version_names_package_version() -> None:
    result = invoke("--version")

    assert result.exit_code == 0
    assert result.stdout == f"pipesheet, version {version('pipesheet')}\n"


def test_shipped_name_matches_ignoring_case() -> None:
    invoke("init", "pipeline.xlsx", "--as-of", AS_OF)

    result = invoke(
        "check", "B2B-EN", "--source", "pipeline.xlsx", "--as-of", AS_OF, "-q"
    )

    assert result.stdout.startswith("pipeline.xlsx · Deals · as of 2025-09-30")


def test_init_refuses_to_overwrite() -> None:
    invoke("init", "pipeline.xlsx", "--as-of", AS_OF)
    before = Path("pipeline.xlsx").read_bytes()

    result = invoke("init", "pipeline.xlsx", "--as-of", AS_OF)

    assert result.exit_code == 1
    assert first_line(result.stderr) == (
        "Error: Cannot create workbook 'pipeline.xlsx': the file already exists, "
        "and pipesheet does not overwrite it. Choose another path or delete the "
        "file."
    )
    assert Path("pipeline.xlsx").read_bytes() == before


def test_demo_builds_and_runs() -> None:
    result = invoke("demo", "--folder", "demo", "-q")

    assert result.exit_code == 0
    assert result.stderr == "Built demo workbook demo/pipeline.xlsx\n"
    assert result.stdout.splitlines()[-1] == (
        "Open demo/pipeline.xlsx and look at the status column of 'Deals' and "
        "the tabs 'Funnel', 'Follow-ups', 'Problems', 'Definitions', 'Stage log'."
    )


def test_demo_writes_stage_log_tab() -> None:
    invoke("demo", "--folder", "demo", "-q")

    tabs = openpyxl.load_workbook("demo/pipeline.xlsx").sheetnames
    assert tabs[-5:] == ["Funnel", "Follow-ups", "Problems", "Definitions", "Stage log"]
    assert Path("demo/pipesheet-state.sqlite").is_file()
    assert not Path("pipesheet-state.sqlite").exists()


def test_demo_keeps_existing_workbook() -> None:
    invoke("demo", "--folder", "demo", "-q")
    workbook = openpyxl.load_workbook("demo/pipeline.xlsx")
    workbook["Deals"]["Q4"] = "my own note"
    workbook.save("demo/pipeline.xlsx")

    result = invoke("demo", "--folder", "demo", "-q")

    assert result.exit_code == 0
    assert first_line(result.stderr) == (
        "Using the existing workbook demo/pipeline.xlsx; delete it to start a new demo."
    )
    kept = openpyxl.load_workbook("demo/pipeline.xlsx")["Deals"]["Q4"].value
    assert kept == "my own note"


def test_import_maven_rejects_missing_folder() -> None:
    result = invoke("import-maven", "no-such-folder", "m.xlsx")

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for 'CSV_FOLDER': Directory 'no-such-folder' does "
        "not exist."
    )


@pytest.mark.xfail(not README.exists(), reason="README not written yet", strict=False)
@pytest.mark.parametrize("command", cli.list_commands(click.Context(cli)))
def test_command_documented_in_readme(command: str) -> None:
    text = README.read_text(encoding="utf-8")

    assert f"pipesheet {command}" in text


def readme_command_row(command: str) -> str:
    """Return the README command table's row for ``command``."""
    text = README.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `pipesheet ")]
    for row in rows:
        if row.split("`")[1].split()[1] == command:
            return row
    raise AssertionError(f"README has no table row for {command!r}")


@pytest.mark.parametrize("command", cli.list_commands(click.Context(cli)))
def test_readme_row_lists_every_option(command: str) -> None:
    loaded = cli.get_command(click.Context(cli), command)
    assert loaded is not None
    row = readme_command_row(command)
    options = [
        max(param.opts, key=len)
        for param in loaded.params
        if isinstance(param, click.Option) and param.name != "help"
    ]

    missing = [option for option in options if option not in row]

    assert missing == []


def test_readme_lists_group_options() -> None:
    text = README.read_text(encoding="utf-8")
    options = [
        max(param.opts, key=len)
        for param in cli.params
        if isinstance(param, click.Option) and param.name != "help"
    ]

    missing = [option for option in options if option not in text]

    assert missing == []


# Start-up


@pytest.mark.parametrize("name", sorted(LAZY_COMMANDS))
@pytest.mark.parametrize("limit", [45, 62, 200], ids=["45", "62", "200"])
def test_lazy_command_help_line_matches_command(name: str, limit: int) -> None:
    lazy = LAZY_COMMANDS[name]

    assert lazy.short_help(limit) == lazy.load().get_short_help_str(limit)


def test_help_same_as_with_commands_loaded() -> None:
    loaded = {name: lazy.load() for name, lazy in LAZY_COMMANDS.items()}
    eager = click.Group(
        "pipesheet",
        commands={**cli.commands, **loaded},
        params=cli.params,
        help=cli.help,
        context_settings=cli.context_settings,
    )

    result = invoke("--help")

    assert result.stdout == CliRunner().invoke(eager, ["--help"]).stdout


def test_lazy_command_runs() -> None:
    result = invoke("serve", "--help")

    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: pipesheet serve [OPTIONS] CONFIG...")


def test_findings_counted_by_code() -> None:
    write_tiny(FLAWED_DEALS)

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--no-state")

    rows = [" ".join(line.split()) for line in result.stdout.splitlines()]
    start = rows.index("Findings by code")
    assert rows[start + 2] == "┃ Code ┃ Severity ┃ Findings ┃ Rows ┃"
    assert rows[start + 4 : start + 6] == [
        "│ unknown-stage │ error │ 1 │ 1 │",
        "│ missing-required │ error │ 1 │ 1 │",
    ]


def test_findings_by_code_count_rows_apart() -> None:
    definition = TINY_DEFINITION.replace(
        "  amount: {aliases: [Amount]}\n",
        "  amount: {aliases: [Amount]}\n  owner: {aliases: [Owner]}\n",
    ).replace("required: [amount]", "required: [amount, owner]")
    Path("tiny.yaml").write_text(definition, encoding="utf-8")
    header = ["Deal ID", "Stage", "Amount", "Owner"]
    deals = [header, ["D-1", "Won", None, None], ["D-2", "Won", None, None]]
    write_workbook(Path("tiny.xlsx"), [*deals, ["D-3", "Won", 5, "Ana"]])

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--no-state")

    rows = [" ".join(line.split()) for line in result.stdout.splitlines()]
    start = rows.index("Findings by code")
    assert rows[start + 4] == "│ missing-required │ error │ 4 │ 2 │"


def test_run_reads_workbook_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    Path("team").mkdir()
    Path("team/tiny.yaml").write_text(TINY_DEFINITION, encoding="utf-8")
    write_workbook(Path("team/tiny.xlsx"), CLEAN_DEALS)
    started: list[tuple[Path, str]] = []
    monkeypatch.setattr(
        "sync.cli.start_read_ahead", lambda path, tab: started.append((path, tab))
    )

    result = invoke("run", "team/tiny.yaml", "--as-of", AS_OF, "--no-state")

    assert result.exit_code == 0
    assert started == [(Path("team/tiny.xlsx"), "Deals")]


def test_read_ahead_uses_source_option(monkeypatch: pytest.MonkeyPatch) -> None:
    write_tiny(CLEAN_DEALS)
    started: list[tuple[Path, str]] = []
    monkeypatch.setattr(
        "sync.cli.start_read_ahead", lambda path, tab: started.append((path, tab))
    )

    result = invoke("check", "tiny.yaml", "--source", "tiny.xlsx", "--as-of", AS_OF)

    assert result.exit_code == 0
    assert started == [(Path("tiny.xlsx"), "Deals")]


def test_cli_import_leaves_out_pydantic() -> None:
    # The read ahead starts before the definition is validated, so the
    # command line must not import pydantic (about 0.1 s) on its way there.
    script = "import sys\nimport sync.cli\nprint('pydantic' in sys.modules)\n"
    assert python_output(script) == "False\n"


def test_help_imports_no_run_modules() -> None:
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from sync.cli import cli\n"
        "CliRunner().invoke(cli, ['--help'])\n"
        "heavy = ['alembic', 'apscheduler', 'gspread', 'pandas', 'sqlalchemy']\n"
        "print([name for name in heavy if name in sys.modules])\n"
    )
    assert python_output(script) == "[]\n"


def write_formula_workbook(path: Path) -> None:
    """tiny.xlsx with a #N/A amount on a won deal and IDs made with ROW()."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Deals")
    sheet.write_row(0, 0, ["Deal ID", "Stage", "Amount"])
    for row in (1, 2):
        sheet.write_formula(row, 0, '="D-"&ROW()', None, f"D-{row + 1}")
    sheet.write_row(1, 1, ["Lead", 100])
    sheet.write(2, 1, "Won")
    sheet.write_formula(2, 2, '=VLOOKUP("x",A1:A2,1,FALSE)', None, "#N/A")
    workbook.close()


def test_check_formula_and_row_ids() -> None:
    Path("tiny.yaml").write_text(TINY_DEFINITION, encoding="utf-8")
    write_formula_workbook(Path("tiny.xlsx"))

    result = invoke("check", "tiny.yaml", "--as-of", AS_OF, "--json", "-q")

    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert [(f["row"], f["code"], f["value"]) for f in findings] == [
        (2, "id-from-row-number", "D-2"),
        (3, "formula-error", "#N/A"),
        (3, "id-from-row-number", "D-3"),
    ]
    assert findings[1]["message"] == (
        "Amount shows the formula error #N/A; correct the formula, or type the "
        "value instead."
    )


def test_run_empties_status_of_totals_row() -> None:
    header = ["Deal ID", "Stage", "Amount", "pipesheet status"]
    write_tiny([header, ["D-1", "Lead", 100, "OK"], ["Total", None, 100, "ERROR: x"]])

    first = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json", "-q")
    again = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json", "-q")

    assert json.loads(first.stdout)["written"]["status_cells"] == 1
    sheet = openpyxl.load_workbook("tiny.xlsx")["Deals"]
    assert [sheet.cell(row, 4).value for row in (2, 3)] == ["OK", None]
    assert json.loads(again.stdout)["written"]["bytes"] == 0


def test_run_merged_deal_status_row() -> None:
    # Each deal takes two rows, its ID and stage merged down over both, with
    # a second line of notes. Row 3 contains a status an earlier version wrote.
    Path("tiny.yaml").write_text(TINY_DEFINITION, encoding="utf-8")
    write_workbook(
        Path("tiny.xlsx"),
        [
            ["Deal ID", "Stage", "Amount", "Notes", "pipesheet status"],
            ["D-1", "Lead", 100, "Call Ana", None],
            [None, None, None, "then send the quote", "ERROR: ID also on row 2"],
            ["D-2", "Won", 500, "Signed", None],
            [None, None, None, "by mail", None],
        ],
        "Deals",
    )
    book = openpyxl.load_workbook("tiny.xlsx")
    for cells in ("A2:A3", "B2:B3", "A4:A5", "B4:B5"):
        book["Deals"].merge_cells(cells)
    book.save("tiny.xlsx")

    first = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json", "-q")
    again = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json", "-q")

    assert json.loads(first.stdout)["deals"] == 2
    assert json.loads(first.stdout)["findings"] == []
    sheet = openpyxl.load_workbook("tiny.xlsx")["Deals"]
    assert [sheet.cell(row, 5).value for row in range(2, 6)] == ["OK", None, "OK", None]
    assert json.loads(again.stdout)["written"]["bytes"] == 0


@pytest.mark.parametrize("first_total", ["Total", "count"], ids=["label", "count"])
def test_table_total_row_is_no_deal(first_total: str) -> None:
    Path("tiny.yaml").write_text(TINY_DEFINITION, encoding="utf-8")
    workbook = xlsxwriter.Workbook("tiny.xlsx")
    sheet = workbook.add_worksheet("Deals")
    first = (
        {"header": "Deal ID", "total_string": "Total"}
        if first_total == "Total"
        else {"header": "Deal ID", "total_function": "count"}
    )
    columns = [
        first,
        {"header": "Stage"},
        {"header": "Amount", "total_function": "sum"},
    ]
    data = [["D-1", "Lead", 100], ["D-2", "Won", 500]]
    sheet.add_table(0, 0, 3, 2, {"data": data, "columns": columns, "total_row": True})
    workbook.close()

    result = invoke("check", "tiny.yaml", "--as-of", AS_OF, "--json", "-q")

    document = json.loads(result.stdout)
    assert result.exit_code == 0, result.stdout
    assert document["deals"] == 2
    assert [(f["row"], f["code"]) for f in document["findings"]] == [(4, "totals-row")]


def write_table_with_status_column(counter: str) -> None:
    """Write tiny.xlsx: a table with an empty status column and a status count.

    ``counter`` "total-row" counts the errors in the table's Total Row and
    "below" in a cell two rows under the table.
    """
    Path("tiny.yaml").write_text(TINY_DEFINITION, encoding="utf-8")
    workbook = xlsxwriter.Workbook("tiny.xlsx")
    sheet = workbook.add_worksheet("Deals")
    count = '=COUNTIF([pipesheet status],"ERROR*")'
    status: dict[str, object] = {"header": "pipesheet status"}
    if counter == "total-row":
        status.update(total_function=count, total_value=0)
    columns = [
        {"header": "Deal ID", "total_string": "Total"},
        {"header": "Stage"},
        {"header": "Amount", "total_function": "sum"},
        status,
    ]
    data = [["D-1", "Lead", 100, None], ["D-2", "Won", None, None]]
    sheet.add_table(0, 0, 3, 3, {"data": data, "columns": columns, "total_row": True})
    if counter == "below":
        sheet.write("D6", "Errors:")
        sheet.write_formula("D7", '=COUNTIF(D2:D3,"ERROR*")', None, 0)
    workbook.close()


@pytest.mark.parametrize("counter", ["total-row", "below"])
def test_status_count_in_empty_status_column_kept(counter: str) -> None:
    write_table_with_status_column(counter)

    first = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json", "-q")
    again = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json", "-q")

    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["written"]["status_cells"] == 2
    sheet = openpyxl.load_workbook("tiny.xlsx")["Deals"]
    assert sheet["D2"].value == "OK"
    assert str(sheet["D3"].value).startswith("ERROR: ")
    formula = "D4" if counter == "total-row" else "D7"
    assert str(sheet[formula].value).startswith("=")
    assert "COUNTIF(" in str(sheet[formula].value)
    assert json.loads(again.stdout)["written"]["bytes"] == 0


def test_check_plans_as_dry_run_does() -> None:
    write_tiny(FLAWED_DEALS)
    invoke("run", "tiny.yaml", "--as-of", AS_OF, "-q", "--state", "s.sqlite")

    checked = invoke("check", "tiny.yaml", "--json", "-q", "--state", "s.sqlite")
    dry = invoke("run", "tiny.yaml", "--json", "-q", "--dry-run", "--state", "s.sqlite")

    checked_document, dry_document = json.loads(checked.stdout), json.loads(dry.stdout)
    assert checked_document["planned"] == dry_document["planned"]
    assert "Stage log" in checked_document["planned"]["tabs"]
    assert checked_document["findings"] == dry_document["findings"]


@pytest.mark.parametrize("command", ["run", "check"], ids=["run", "check"])
def test_no_state_with_state_rejected(command: str) -> None:
    write_tiny(CLEAN_DEALS)

    result = invoke(command, "tiny.yaml", "--no-state", "--state", "x.sqlite")

    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: --no-state uses no state database, so --state 'x.sqlite' would be "
        "ignored; give one of the two options.\n"
    )
    assert not Path("x.sqlite").exists()


def test_no_state_with_state_variable_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    write_tiny(CLEAN_DEALS)
    monkeypatch.setenv("PIPESHEET_STATE", "x.sqlite")

    result = invoke("check", "tiny.yaml", "--as-of", AS_OF, "--no-state", "-q")

    assert result.exit_code == 0, result.output
    assert not Path("x.sqlite").exists()


ALL_COMMANDS = sorted(cli.list_commands(click.Context(cli)))


@pytest.mark.parametrize("command", ALL_COMMANDS)
def test_help_has_no_markup_quotes(command: str) -> None:
    # Docstrings use ``code`` quotes, which click prints as they are.
    result = invoke(command, "--help")

    assert result.exit_code == 0
    assert "``" not in result.output


def test_interrupt_prints_json_error(monkeypatch: pytest.MonkeyPatch) -> None:
    write_tiny(FLAWED_DEALS)
    before = Path("tiny.xlsx").read_bytes()

    def interrupted(descriptor: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json")

    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["message"] == (
        "Stopped by Ctrl-C (SIGINT) before the command finished. Workbook "
        "'tiny.xlsx' was left as it was."
    )
    assert Path("tiny.xlsx").read_bytes() == before


def test_interrupt_after_write_says_written(monkeypatch: pytest.MonkeyPatch) -> None:
    # Stands in for a signal held back at the commit point and delivered
    # again because an error followed the write.
    write_tiny(FLAWED_DEALS)
    before = Path("tiny.xlsx").read_bytes()

    def interrupted(folder: Path) -> None:
        raise KeyboardInterrupt("SIGTERM")

    monkeypatch.setattr(atomic, "sync_folder", interrupted)
    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--output", "out.xlsx", "-q")

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Stopped by SIGTERM after workbook 'out.xlsx' was written, so it "
        "contains this run's result, but the command did not finish.\n"
    )
    assert Path("out.xlsx").exists()
    assert Path("tiny.xlsx").read_bytes() == before


def test_interrupt_during_replace_says_unsure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_tiny(FLAWED_DEALS)
    replace = os.replace

    def interrupted_replace(source: str, target: str) -> None:
        if str(target).endswith("tiny.xlsx"):
            raise KeyboardInterrupt("SIGTERM")
        replace(source, target)

    monkeypatch.setattr(atomic.os, "replace", interrupted_replace)
    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "-q")

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Stopped by SIGTERM while the write to workbook 'tiny.xlsx' was "
        "being completed, so it may or may not contain this run's result. Run "
        "again to make sure it does.\n"
    )


def test_interrupt_of_check_names_no_workbook(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_tiny(FLAWED_DEALS)

    def interrupted(*arguments: object, **options: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("sync.job.run_recorded", interrupted)
    result = invoke("check", "tiny.yaml", "--as-of", AS_OF)

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Stopped by Ctrl-C (SIGINT) before the command finished.\n"
    )


def test_empty_output_is_usage_error() -> None:
    # click reads "" as the current folder, which it does not check then.
    write_tiny(CLEAN_DEALS)

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--output", "")

    assert result.exit_code == 2
    assert "Invalid value for '--output': the value is empty" in result.stderr


GOOGLE_DEFINITION = TINY_DEFINITION.replace(
    "source:\n  path: tiny.xlsx\n",
    "source:\n  kind: google_sheets\n  spreadsheet: abc123\n  credentials: key.json\n",
)


@pytest.mark.parametrize(
    ("definition", "output", "error"),
    [
        (
            GOOGLE_DEFINITION,
            "copy.xlsx",
            (
                "Error: --output writes a copy of an Excel workbook, but a Google "
                "Sheets source is written in place. Drop --output, or make a copy "
                "in Google Sheets (File > Make a copy) and pass its address with "
                "--source."
            ),
        ),
        (
            TINY_DEFINITION,
            "copy.ods",
            (
                "Error: Output file 'copy.ods' must have the same extension as the "
                "workbook 'tiny.xlsx' (.xlsx); Excel rejects a file whose extension "
                "does not match its content."
            ),
        ),
        (
            TINY_DEFINITION,
            "missing/copy.xlsx",
            (
                "Error: Output folder 'missing' does not exist. Create it or pass "
                "another --output path."
            ),
        ),
        (
            TINY_DEFINITION,
            "team",
            "Error: Invalid value for '--output': File 'team' is a directory.",
        ),
    ],
    ids=["google-source", "other-extension", "missing-folder", "folder"],
)
def test_invalid_output_is_usage_error(
    definition: str, output: str, error: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A run that got as far as opening the spreadsheet must not reach Google.
    monkeypatch.setenv("PIPESHEET_SHEETS_ENDPOINT", "http://127.0.0.1:9")
    write_tiny(CLEAN_DEALS)
    Path("tiny.yaml").write_text(definition, encoding="utf-8")
    Path("team").mkdir()

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--output", output)

    assert result.exit_code == 2
    assert first_line(result.stderr) == "Usage: pipesheet run [OPTIONS] CONFIG"
    assert result.stderr.splitlines()[-1] == error
    assert not Path("pipesheet-state.sqlite").exists()


def test_fifo_output_is_usage_error() -> None:
    write_tiny(CLEAN_DEALS)

    with released_fifo(Path("copy.xlsx")):
        result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--output", "copy.xlsx")

        assert Path("copy.xlsx").is_fifo()
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: File 'copy.xlsx' is a FIFO (named pipe), not a regular file, so "
        "pipesheet does not replace it with a workbook; nothing was written. "
        "Pass the path of a workbook file."
    )
    assert not Path("pipesheet-state.sqlite").exists()


def test_dangling_output_link_is_usage_error() -> None:
    write_tiny(CLEAN_DEALS)
    Path("dangling.xlsx").symlink_to("nowhere/copy.xlsx")

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--output", "dangling.xlsx")

    target = Path("nowhere/copy.xlsx").resolve()
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Output file 'dangling.xlsx' is a symbolic link to "
        f"{str(target)!r}, whose folder does not exist. Point the link at an "
        "existing folder or pass another --output path."
    )
    assert not Path("pipesheet-state.sqlite").exists()


@pytest.mark.skipif(not hasattr(os, "statvfs"), reason="POSIX statvfs")
def test_output_read_only_file_system_usage_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Stands in for a file system mounted read-only at the folder 'mounted'.
    write_tiny(CLEAN_DEALS)
    mounted = Path("mounted").resolve()
    mounted.mkdir()
    statvfs = os.statvfs

    def read_only_under_mount(path: str | Path) -> os.statvfs_result:
        status = statvfs(path)
        if not Path(path).resolve().is_relative_to(mounted):
            return status
        fields = list(status)
        fields[8] = status.f_flag | os.ST_RDONLY  # f_flag is the ninth field.
        return os.statvfs_result(fields)

    monkeypatch.setattr(os, "statvfs", read_only_under_mount)

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--output", "mounted/c.xlsx")

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: Workbook 'c.xlsx' is on a read-only file system (folder "
        f"{str(mounted)!r}). Nothing was written. Remount it read-write, or pass "
        "--output PATH on a writable file system."
    )
    assert not Path("pipesheet-state.sqlite").exists()


def test_output_in_unwritable_folder_is_usage_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Root may write any folder, so access() plays the part of a folder without
    # the write permission.
    write_tiny(CLEAN_DEALS)
    locked = Path("locked").resolve()
    locked.mkdir()
    access = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda path, mode: Path(path).resolve() != locked and access(path, mode),
    )

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--output", "locked/c.xlsx")

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Output folder 'locked' is not writable, so the output "
        "file 'c.xlsx' cannot be created there. Make the folder writable or pass "
        "another --output path."
    )
    assert not Path("pipesheet-state.sqlite").exists()


def test_output_under_a_file_is_usage_error() -> None:
    write_tiny(CLEAN_DEALS)
    Path("afile").write_text("not a folder", encoding="utf-8")

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--output", "afile/c.xlsx")

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Output path 'afile/c.xlsx' goes through 'afile', which is a "
        "file, not a folder. Pass an --output path in a folder."
    )


def test_read_only_output_file_names_output() -> None:
    write_tiny(CLEAN_DEALS)
    Path("c.xlsx").write_bytes(Path("tiny.xlsx").read_bytes())
    Path("c.xlsx").chmod(0o444)

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--output", "c.xlsx")

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Workbook 'c.xlsx' is read-only; nothing was written. Make it "
        "writable, or pass another --output path."
    )


def test_output_remounted_read_only_named(monkeypatch: pytest.MonkeyPatch) -> None:
    # A file system remounted read-only after the checks fails the rename.
    write_tiny(CLEAN_DEALS)

    def reject_rename(source: object, target: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(target))

    monkeypatch.setattr(os, "replace", reject_rename)

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--output", "c.xlsx")

    assert result.exit_code == 1
    assert (
        f"Error: Workbook 'c.xlsx' is on a read-only file system (folder "
        f"{str(Path.cwd())!r}). Nothing was written."
    ) in result.stderr
    assert not Path("c.xlsx").exists()


def test_invalid_output_json_is_usage_error() -> None:
    write_tiny(CLEAN_DEALS)

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json", "--output", "a.ods")

    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["type"] == "UsageError"
    assert not Path("pipesheet-state.sqlite").exists()


@pytest.mark.parametrize(
    "output",
    ["tiny.xlsx", "./tiny.xlsx", "absolute", "link.xlsx", "hard-link.xlsx"],
)
def test_output_naming_source_is_usage_error(output: str) -> None:
    write_tiny(FLAWED_DEALS)
    Path("link.xlsx").symlink_to("tiny.xlsx")
    os.link("tiny.xlsx", "hard-link.xlsx")
    if output == "absolute":
        output = str(Path("tiny.xlsx").absolute())
    before = Path("tiny.xlsx").read_bytes()

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--output", output, "--json")

    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["message"] == (
        f"--output {str(Path(output))!r} names the workbook 'tiny.xlsx' itself, "
        "but --output writes a copy and leaves the workbook as it is. Leave out "
        "--output to write the workbook in place, or pass another path for the "
        "copy."
    )
    assert Path("tiny.xlsx").read_bytes() == before
    assert not Path("pipesheet-state.sqlite").exists()


@pytest.mark.parametrize(
    ("definition", "source", "error"),
    [
        (
            TINY_DEFINITION,
            "missing.xlsx",
            (
                "Error: Workbook 'missing.xlsx' from --source not found. Check "
                "--source; a relative path is read from the folder pipesheet runs in."
            ),
        ),
        (
            TINY_DEFINITION,
            "team",
            (
                "Error: Workbook path 'team' from --source is a folder, not a file; "
                "the folder holds no workbook file. Set --source to the workbook "
                "file itself."
            ),
        ),
        (
            TINY_DEFINITION,
            "https://docs.google.com/spreadsheets/d/abc/edit",
            (
                "Error: --source 'https://docs.google.com/spreadsheets/d/abc/edit' "
                "is a URL, but the definition's source.kind is excel, which reads a "
                "workbook file. For a Google spreadsheet, set source.kind: "
                "google_sheets and source.credentials in the definition; for an "
                "Excel workbook, pass the path of its file."
            ),
        ),
        (
            GOOGLE_DEFINITION,
            "Pipeline 2025",
            (
                "Error: --source 'Pipeline 2025' is neither a Google Sheets URL nor a "
                "spreadsheet id. Copy the address from the browser while the sheet is "
                "open (https://docs.google.com/spreadsheets/d/<id>/edit) and paste it "
                "as --source."
            ),
        ),
    ],
    ids=["missing", "folder", "url-for-excel", "not-a-spreadsheet"],
)
def test_invalid_source_records_no_run(
    definition: str, source: str, error: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A run that got as far as opening the spreadsheet must not reach Google.
    monkeypatch.setenv("PIPESHEET_SHEETS_ENDPOINT", "http://127.0.0.1:9")
    write_tiny(CLEAN_DEALS)
    Path("tiny.yaml").write_text(definition, encoding="utf-8")
    Path("team").mkdir()

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--source", source)

    assert result.exit_code == 1
    assert " ".join(result.stderr.split()) == error
    assert not Path("pipesheet-state.sqlite").exists()


NO_STATE_TRANSITIONS_WARNING = (
    "transitions: --no-state reads no run history, so the checks of stage "
    "changes that this key sets (allow_skips, allow_moves_back) do not run. "
    "They and the 'Stage log' tab need the state database; leave out "
    "--no-state to run them."
)


@pytest.mark.parametrize(
    "args", [["run", "--dry-run"], ["check"]], ids=["run", "check"]
)
def test_no_state_warns_of_transitions(args: list[str]) -> None:
    write_tiny(CLEAN_DEALS)
    text = TINY_DEFINITION + "transitions: {allow_skips: false}\n"
    Path("tiny.yaml").write_text(text, encoding="utf-8")

    result = invoke(*args, "tiny.yaml", "--as-of", AS_OF, "--no-state", "--json")

    assert json.loads(result.stdout)["warnings"] == [NO_STATE_TRANSITIONS_WARNING]


def test_no_state_without_transitions_quiet() -> None:
    write_tiny(CLEAN_DEALS)

    result = invoke("check", "tiny.yaml", "--as-of", AS_OF, "--no-state", "--json")

    assert json.loads(result.stdout)["warnings"] == []


def without_table_marks(text: str) -> str:
    """Drop a Rich table's borders and all white space, so wrapped lines join up."""
    for mark in "│┃┏┓┗┛┡┩└┘┌┐━─╇┳┻┯┷╈":
        text = text.replace(mark, "")
    return "".join(text.split())


def test_chinese_messages_folded_not_cut(tmp_path: Path) -> None:
    # A Chinese message has no spaces to wrap at, so a cut at the column's
    # width would lose the end of the message, where the fix is.
    runner = CliRunner()
    workbook = tmp_path / "zh.xlsx"
    created = runner.invoke(cli, ["init", str(workbook), "--lang", "zh"])
    assert created.exit_code == 0, created.output
    check = ["check", "sales-zh", "--source", str(workbook), "--no-state"]
    check += ["--as-of", AS_OF]

    table = runner.invoke(cli, check, env={"COLUMNS": "80"})
    document = runner.invoke(cli, [*check, "--json"])

    messages = [item["message"] for item in json.loads(document.stdout)["findings"]]
    assert messages
    table_text = without_table_marks(table.stdout)
    for message in messages[:10]:
        assert without_table_marks(message) in table_text, message
