"""A run of the maven-crm definition on the Maven CRM data, through the CLI.

The expected figures were counted directly from the CSV files.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from sync.cli import cli
from tests.shared_data import MAVEN_FOLDER

pytestmark = pytest.mark.skipif(
    not MAVEN_FOLDER.is_dir(),
    reason=f"the Maven CRM CSV files are not in {MAVEN_FOLDER}; set "
    "PIPESHEET_SHARED to the folder that contains data/maven-crm",
)

AS_OF = "2017-12-31"
# Deals tab: header on row 3, data from row 4, Deal Stage in G and the status
# column after Close Value in J.
STAGE_COLUMN = 6
STATUS_COLUMN = 10


class MavenRun:
    """The workbook of one Maven import and the JSON of the first run on it."""

    def __init__(self, path: Path, document: dict[str, Any]) -> None:
        self.path = path
        self.document = document


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def maven_run(tmp_path_factory: pytest.TempPathFactory) -> MavenRun:
    path = tmp_path_factory.mktemp("maven") / "maven-crm.xlsx"
    invoke("import-maven", str(MAVEN_FOLDER), str(path))
    # A module fixture runs before the per-test PIPESHEET_STATE is set, so
    # without --state the run would record itself in the current folder.
    state = path.with_name("pipesheet-state.sqlite")
    stdout = invoke(
        "run",
        "maven-crm",
        "--source",
        str(path),
        "--as-of",
        AS_OF,
        "--json",
        "-q",
        "--state",
        str(state),
    )
    return MavenRun(path, json.loads(stdout))


@pytest.fixture(scope="module")
def deal_rows(maven_run: MavenRun) -> list[list[Any]]:
    workbook = CalamineWorkbook.from_path(str(maven_run.path))
    return workbook.get_sheet_by_name("Deals").to_python(skip_empty_area=False)


def findings_of(maven_run: MavenRun, code: str) -> list[dict[str, Any]]:
    return [f for f in maven_run.document["findings"] if f["code"] == code]


def test_stage_counts(maven_run: MavenRun) -> None:
    stages = maven_run.document["metrics"]["stages"]

    counts = {stage["name"]: stage["deals"] for stage in stages}

    assert counts == {"Prospecting": 500, "Engaging": 1589, "Won": 4238, "Lost": 2473}


def test_win_rate_and_won_value(maven_run: MavenRun) -> None:
    metrics = maven_run.document["metrics"]

    assert round(metrics["win_rate"], 4) == 0.6315
    assert metrics["won_value"] == 10_005_534


def test_gtxpro_rows_are_unknown_products(maven_run: MavenRun) -> None:
    findings = findings_of(maven_run, "unknown-value")

    assert len(findings) == 1480
    assert {f["column"] for f in findings} == {"Product"}
    assert {f["value"] for f in findings} == {"GTXPro"}


def test_blank_accounts_on_open_deals(
    maven_run: MavenRun, deal_rows: list[list[Any]]
) -> None:
    findings = findings_of(maven_run, "missing-required")

    stages = Counter(deal_rows[f["row"] - 1][STAGE_COLUMN] for f in findings)

    assert len(findings) == 1425
    assert {f["column"] for f in findings} == {"Account"}
    assert stages == {"Engaging": 1088, "Prospecting": 337}


def test_no_other_findings(maven_run: MavenRun) -> None:
    by_code = maven_run.document["findings_by_code"]

    assert by_code == {"unknown-value": 1480, "missing-required": 1425}


def test_status_written_on_every_deal(
    maven_run: MavenRun, deal_rows: list[list[Any]]
) -> None:
    statuses = [row[STATUS_COLUMN] for row in deal_rows[3:]]

    assert deal_rows[2][STATUS_COLUMN] == "pipesheet status"
    assert len(statuses) == 8800
    assert sum(1 for status in statuses if status) == 8800
    assert maven_run.document["written"]["status_cells"] == 8800


def test_second_run_writes_nothing(maven_run: MavenRun) -> None:
    before = maven_run.path.read_bytes()

    stdout = invoke(
        "run",
        "maven-crm",
        "--source",
        str(maven_run.path),
        "--as-of",
        AS_OF,
        "--json",
        "-q",
    )

    assert json.loads(stdout)["written"]["bytes"] == 0
    assert maven_run.path.read_bytes() == before
