"""Messages about a CSV or TSV source name the file, never a tab it does not have."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from config.errors import SheetLayoutError
from config.loader import load_pipeline
from config.models import Locale, Pipeline
from rules.findings import Code
from rules.messages import render_message
from sync.cli import cli
from sync.commands.doctor import doctor
from sync.run import RunResult, run_sync
from sync.sources.registry import open_source

AS_OF = dt.date(2025, 9, 30)

DEFINITION = """\
name: CSV messages
source:
  path: deals.csv
  tab: Deals
date_order: dmy
columns:
  id:
    aliases: [Deal ID, ID]
    required: true
  stage:
    aliases: [Stage]
    required: true
  owner:
    aliases: [Owner]
    required: true
  next_step_date:
    aliases: [Next Step Date]
stages:
  - name: Lead
  - name: Won
    outcome: won
  - name: Lost
    outcome: lost
allowed:
  owner:
    from_tab: {tab: Deals, column: Allowed owners}
"""

HEADER = "Deal ID,Stage,Owner,Next Step Date,Allowed owners\n"


def write_files(folder: Path, table: str, name: str = "deals.csv") -> Pipeline:
    """Write the definition and the table beside it; return the definition."""
    (folder / name).write_text(table, encoding="utf-8")
    definition = folder / "pipeline.yaml"
    definition.write_text(DEFINITION.replace("deals.csv", name), encoding="utf-8")
    return load_pipeline(definition)


def dry_run(folder: Path, pipeline: Pipeline, name: str = "deals.csv") -> RunResult:
    return run_sync(
        pipeline, open_source(pipeline, str(folder / name)), AS_OF, dry_run=True
    )


@pytest.mark.parametrize(
    ("table", "start"),
    [
        (
            "Deal ID,Stage,Next Step Date\nD-1,Lead,2025-10-01\n",
            "File 'deals.csv': required columns are missing in header row 1. ",
        ),
        (
            "Name,Notes\nAcme,call back\n",
            "File 'deals.csv': no header row found in the first ",
        ),
        (
            "Deal ID,ID,Stage,Owner\nD-1,1,Lead,Ana\n",
            "File 'deals.csv': the field 'id' matches more than one column ",
        ),
        (
            "Deal ID,Stage,Owner,pipesheet status,pipesheet status\nD-1,Lead,Ana,,\n",
            "File 'deals.csv': the status header 'pipesheet status' appears in ",
        ),
        (
            "D-1,Lead,Ana\nDeal ID,Stage,Owner\nD-2,Lead,Ben\n",
            "File 'deals.csv': row 1, above the header row 2, looks like a deal ",
        ),
    ],
    ids=[
        "missing-required",
        "no-header-row",
        "ambiguous-column",
        "status-header-twice",
        "header-below-deal",
    ],
)
def test_layout_error_names_file(tmp_path: Path, table: str, start: str) -> None:
    pipeline = write_files(tmp_path, table)

    with pytest.raises(SheetLayoutError) as raised:
        dry_run(tmp_path, pipeline)

    message = str(raised.value)
    assert message.startswith(start)
    assert "tab 'Deals'" not in message


def test_missing_list_column_warning_names_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    table = "Deal ID,Stage,Owner,Next Step Date\nD-1,Lead,Ana,01/10/2025\n"
    pipeline = write_files(tmp_path, table)

    with caplog.at_level(logging.WARNING, logger="sync.run"):
        result = dry_run(tmp_path, pipeline)

    assert [record.getMessage() for record in caplog.records] == [
        (
            "File 'deals.csv': no column headed 'Allowed owners' in the first 10 "
            "rows, so the allowed values of 'owner' cannot be read and runs do not "
            "check them. Row 1, the one with the most filled cells, has A1='Deal "
            "ID', B1='Stage', C1='Owner', D1='Next Step Date'. Add the column, fix "
            "allowed.owner.from_tab.column, or delete allowed.owner from the "
            "definition."
        )
    ]
    assert len(result.deals) == 1


def test_empty_file_names_file(tmp_path: Path) -> None:
    pipeline = write_files(tmp_path, "")

    with pytest.raises(SheetLayoutError) as raised:
        dry_run(tmp_path, pipeline)

    assert str(raised.value) == (
        "File 'deals.csv' is empty: add a header row that names the id and stage "
        "columns (such as 'Deal ID' and 'Stage') with one deal per row below it, "
        "or point --source or source.path at the file that contains the deals."
    )


@pytest.mark.parametrize(
    ("table", "start", "end"),
    [
        (
            HEADER.replace("Next Step Date,", "Next On,") + "D-1,Lead,Ana,,Ana\n",
            (
                "File 'deals.csv': no column for 'next_step_date' (looked for 'Next "
                "Step Date', nearest header 'Next On' in column D), which "
            ),
            (
                "If the sheet does not keep that column, delete 'next_step_date' "
                "from columns."
            ),
        ),
        (
            # Only month first reads 10/13/2025, and the definition sets dmy.
            HEADER + "D-1,Lead,Ana,10/13/2025,Ana\n",
            (
                "File 'deals.csv', column 'Next Step Date': the text date D2 "
                "'10/13/2025' is valid only when read month first, "
            ),
            "The setting applies to every date column of the file.",
        ),
    ],
    ids=["missing-column", "date-order"],
)
def test_warning_names_file(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    table: str,
    start: str,
    end: str,
) -> None:
    pipeline = write_files(tmp_path, table)

    with caplog.at_level(logging.WARNING):
        dry_run(tmp_path, pipeline)

    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1
    assert messages[0].startswith(start)
    assert messages[0].endswith(end)


def test_status_blocker_names_file(tmp_path: Path) -> None:
    table = HEADER.replace("\n", ",pipesheet status\n") + "D-1,Lead,Ana,,Ana,my note\n"
    pipeline = write_files(tmp_path, table)

    result = dry_run(tmp_path, pipeline)

    assert result.blockers[0].startswith(
        "File 'deals.csv': column F has the status header 'pipesheet status' but "
        "contains values pipesheet did not write, "
    )


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            Locale.EN,
            (
                "Owner 'Zed' is not in the allowed list (column 'Allowed owners' "
                "of the file); use one of: Ana, Ben, or add it to that list."
            ),
        ),
        (
            Locale.ZH_CN,
            (
                "Owner“Zed”不在允许列表中（本文件的“Allowed owners”列），"
                "请改为以下之一：Ana、Ben，或将其加入该列表。"
            ),
        ),
    ],
    ids=["en", "zh"],
)
def test_list_in_file_names_no_tab(
    tmp_path: Path, locale: Locale, expected: str
) -> None:
    table = HEADER + "D-1,Lead,Ana,,Ana\nD-2,Lead,Zed,,Ben\n"
    pipeline = write_files(tmp_path, table)

    result = dry_run(tmp_path, pipeline)

    unknown = [f for f in result.findings if f.code is Code.UNKNOWN_VALUE]
    assert len(unknown) == 1
    assert "list_tab" not in unknown[0].params
    assert render_message(unknown[0], locale) == expected


@pytest.mark.parametrize("name", ["deals.csv", "deals.tsv"], ids=["csv", "tsv"])
def test_check_output_names_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    table = HEADER + "D-1,Lead,Ana,2025-10-01,Ana\nD-1,Lead,Ana,,\n"
    if name.endswith(".tsv"):
        table = table.replace(",", "\t")
    write_files(tmp_path, table, name)
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(
        cli, ["check", "pipeline.yaml", "--no-state", "--as-of", "2025-09-30"]
    )

    assert result.exit_code == 1
    assert f"… Reading {name}\n" in result.stderr
    assert f"{name} · as of 2025-09-30" in result.stdout
    assert "(also in --json)" in result.stdout
    assert "'Deals'" not in result.output
    assert "· Deals ·" not in result.output
    assert "Problems tab" not in result.output


@pytest.mark.parametrize("name", ["deals.csv", "deals.tsv"], ids=["csv", "tsv"])
def test_dry_run_json_plans_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    table = HEADER + "D-1,Lead,Ana,2025-10-01,Ana\nD-2,Lead,,,\n"
    if name.endswith(".tsv"):
        table = table.replace(",", "\t")
    write_files(tmp_path, table, name)
    monkeypatch.chdir(tmp_path)
    arguments = ["pipeline.yaml", "--no-state", "--as-of", "2025-09-30", "--json"]

    result = CliRunner().invoke(cli, ["run", *arguments, "--dry-run", "-q"])

    suffix = name.rsplit(".", 1)[-1]
    assert json.loads(result.stdout)["planned"] == {
        "status_cells": 0,
        "tabs": [],
        "status_header": False,
        "reason": f"pipesheet does not write .{suffix} files",
    }


def test_doctor_names_file(tmp_path: Path) -> None:
    table = HEADER + "D-1,Lead,Ana,2025-10-01,Ana\n"
    write_files(tmp_path, table)

    result = CliRunner().invoke(
        doctor, [str(tmp_path / "pipeline.yaml")], catch_exceptions=False
    )

    lines = result.output.splitlines()
    assert "✓ Workbook     deals.csv (one table, without tabs)" in lines
    assert "✓ Tab          2 rows" in lines
    assert "✓ List owner   column 'Allowed owners': 1 value" in lines
    assert "'Deals'" not in result.output
