"""A list tab with two columns headed like an allowed list: no list is read."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from sync.cli import cli

DEFINITION = """\
name: lists
source: {kind: excel, path: deals.xlsx, tab: Deals}
columns:
  id: {aliases: [Deal ID], required: true}
  stage: {aliases: [Stage], required: true}
  owner: {aliases: [Owner]}
stages:
  - {name: Lead}
  - {name: Won, outcome: won}
allowed:
  owner: {from_tab: {tab: Lists, column: Owner}}
"""
PROBLEM = (
    "Workbook 'deals.xlsx', tab 'Lists': row 1 has more than one column headed "
    "like the allowed list of 'owner': A 'Owner' and C 'Owner'. pipesheet does "
    "not pick one, so runs do not check the values of 'owner'. Move the values "
    "into one of these columns and delete the other, or rename its header."
)


@pytest.fixture(autouse=True)
def deals_with_two_owner_lists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Write deals of Ana and Ben, and a list tab with Ana in A and Ben in C."""
    monkeypatch.chdir(tmp_path)
    Path("lists.yaml").write_text(DEFINITION, encoding="utf-8")
    workbook = openpyxl.Workbook()
    deals = workbook.active
    assert deals is not None
    deals.title = "Deals"
    deals.append(["Deal ID", "Stage", "Owner"])
    deals.append(["D-1", "Lead", "Ana"])
    deals.append(["D-2", "Lead", "Ben"])
    lists = workbook.create_sheet("Lists")
    lists.append(["Owner", "Team", "Owner"])
    lists.append(["Ana", "East", "Ben"])
    workbook.save("deals.xlsx")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("command", ["run", "check"])
def test_two_list_columns_warn_and_skip_list(command: str) -> None:
    result = invoke(
        command, "lists.yaml", "--no-state", "--as-of", "2026-12-06", "--json"
    )

    report = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert report["warnings"] == [PROBLEM]
    assert "unknown-value" not in report["findings_by_code"]


def test_doctor_fails_on_two_list_columns() -> None:
    result = invoke("doctor", "lists.yaml", "--state", "none.sqlite", "--json")

    checks = {check["name"]: check for check in json.loads(result.stdout)["checks"]}
    assert result.exit_code == 1
    assert checks["List owner"]["outcome"] == "failed"
    assert checks["List owner"]["detail"] == PROBLEM
