"""Tests of ``pipesheet history`` and ``pipesheet log`` on two tabs of one workbook."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rules.history import Transition
from sync.cli import cli
from sync.state.store import StateStore

AS_OF = dt.date(2025, 3, 4)
PIPELINES = Path(__file__).parents[3] / "config" / "pipelines"


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return tmp_path / "pipeline.xlsx"


@pytest.fixture
def state(tmp_path: Path, workbook: Path) -> Path:
    """Build a state database with one run on tab Deals and one on tab US."""
    path = tmp_path / "state.sqlite"
    with StateStore.open(str(path)) as store:
        for tab, deal_id in (("Deals", "D-1"), ("US", "U-1")):
            run_id = store.start_run(str(workbook), tab, AS_OF)
            arrival = Transition(deal_id, None, "Lead", AS_OF)
            store.finish_ok_run(str(workbook), run_id, [], [arrival])
    return path


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args, env={"COLUMNS": "200"})


def test_history_lists_runs_of_definition_tab(state: Path, workbook: Path) -> None:
    args = ["b2b-en", "--source", str(workbook), "--state", str(state), "--json"]
    result = invoke(["history", *args])
    assert result.exit_code == 0
    assert [run["tab"] for run in json.loads(result.stdout)["runs"]] == ["Deals"]


def test_log_reads_definition_tab(state: Path, workbook: Path) -> None:
    args = ["U-1", "b2b-en", "--source", str(workbook), "--state", str(state)]
    result = invoke(["log", *args])
    assert result.exit_code == 1
    assert "No stage changes of deal 'U-1' recorded for tab 'Deals'" in result.stderr


def test_log_without_config_asks_for_tab(state: Path, workbook: Path) -> None:
    result = invoke(["log", "U-1", "--state", str(state)])
    assert result.exit_code == 2
    assert (
        f"contains runs of 2 tabs of workbook {str(workbook)!r} ('Deals', 'US'); "
        "pass CONFIG to pick one."
    ) in result.stderr


def test_log_of_tab_without_runs(state: Path, workbook: Path) -> None:
    text = (PIPELINES / "b2b-en.yaml").read_text(encoding="utf-8")
    west = workbook.parent / "west.yaml"
    west.write_text(text.replace("tab: Deals", "tab: West"), encoding="utf-8")
    args = ["D-1", str(west), "--source", str(workbook), "--state", str(state)]
    result = invoke(["log", *args])
    assert result.exit_code == 1
    assert (
        f"No runs of tab 'West' of workbook {str(workbook)!r} recorded in "
        f"{str(state)}. That workbook has runs of tab 'Deals', 'US'."
    ) in result.stderr.replace("\n", " ").replace("  ", " ")


def table_rows(output: str) -> list[list[str]]:
    """Return the cells of the header and body rows of a rich table, stripped."""
    lines = [line.replace("┃", "│") for line in output.splitlines()]
    return [
        [cell.strip() for cell in line.strip("│").split("│")]
        for line in lines
        if line.startswith("│")
    ]


def test_history_of_two_tabs_has_tab_column(state: Path) -> None:
    result = invoke(["history", "--state", str(state)])
    rows = table_rows(result.stdout)
    assert rows[0][:3] == ["Run", "Workbook", "Tab"]
    assert [row[2] for row in rows[1:]] == ["US", "Deals"]


def test_history_of_one_tab_has_no_tab_column(state: Path, workbook: Path) -> None:
    args = ["b2b-en", "--source", str(workbook), "--state", str(state)]
    result = invoke(["history", *args])
    assert "Tab" not in table_rows(result.stdout)[0]


def test_compact_history_of_two_tabs_has_tab_column(state: Path) -> None:
    result = CliRunner().invoke(
        cli, ["history", "--state", str(state)], env={"COLUMNS": "80"}
    )
    header, *rows = result.stdout.splitlines()[1:]
    assert header.split()[:2] == ["Run", "Tab"]
    assert [row.split()[1] for row in rows] == ["US", "Deals"]


def test_compact_history_wraps_long_tab(tmp_path: Path, workbook: Path) -> None:
    path = tmp_path / "long.sqlite"
    with StateStore.open(str(path)) as store:
        for tab in ("Deals", "Eastern region deals (set aside)"):
            run_id = store.start_run(str(workbook), tab, AS_OF)
            arrival = Transition("D-1", None, "Lead", AS_OF)
            store.finish_ok_run(str(workbook), run_id, [], [arrival])

    result = CliRunner().invoke(
        cli, ["history", "--state", str(path)], env={"COLUMNS": "80"}
    )

    header = result.stdout.splitlines()[1]
    assert header.split() == [
        "Run", "Tab", "As", "of", "Started", "Time", "Outcome", "Deals",
        "Errors", "Warn.", "Writes",
    ]  # fmt: skip
