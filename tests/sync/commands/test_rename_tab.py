"""Tests of ``pipesheet rename-tab``."""

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


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return tmp_path / "pipeline.xlsx"


def record_runs(state: Path, workbook: Path, tabs: list[str]) -> None:
    with StateStore.open(str(state)) as store:
        for tab in tabs:
            run_id = store.start_run(str(workbook), tab, AS_OF)
            arrival = Transition(f"{tab}-1", None, "Lead", AS_OF)
            store.finish_ok_run(str(workbook), run_id, [], [arrival])


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args, env={"COLUMNS": "200"})


def tabs_of_runs(state: Path, workbook: Path) -> list[str]:
    args = ["history", "--state", str(state), "--json"]
    return [run["tab"] for run in json.loads(invoke(args).stdout)["runs"]]


def test_rename_tab_moves_runs(tmp_path: Path, workbook: Path) -> None:
    state = tmp_path / "state.sqlite"
    record_runs(state, workbook, ["Old", "Old"])
    args = ["Old", "b2b-en", "--source", str(workbook), "--state", str(state)]

    result = invoke(["rename-tab", *args])

    assert result.exit_code == 0
    assert result.stdout == (
        f"2 runs of tab 'Old' of workbook {str(workbook)!r} now count for tab "
        "'Deals'.\n"
    )
    assert tabs_of_runs(state, workbook) == ["Deals", "Deals"]


def test_rename_tab_one_run_counts(tmp_path: Path, workbook: Path) -> None:
    state = tmp_path / "state.sqlite"
    record_runs(state, workbook, ["Old"])
    args = ["Old", "b2b-en", "--source", str(workbook), "--state", str(state)]

    result = invoke(["rename-tab", *args])

    assert result.stdout.startswith("1 run of tab 'Old' of workbook ")
    assert "now counts for tab 'Deals'." in result.stdout


def test_second_set_aside_gets_own_name(tmp_path: Path, workbook: Path) -> None:
    state = tmp_path / "state.sqlite"
    record_runs(state, workbook, ["Old", "Deals"])
    args = ["--source", str(workbook), "--state", str(state)]
    invoke(["rename-tab", "Old", "b2b-en", *args])
    record_runs(state, workbook, ["Older"])

    result = invoke(["rename-tab", "Older", "b2b-en", *args])

    assert result.exit_code == 0
    assert "now listed as tab 'Deals (set aside 2)'" in result.stdout
    assert sorted(tabs_of_runs(state, workbook)) == [
        "Deals",
        "Deals (set aside 2)",
        "Deals (set aside)",
    ]


def test_rename_tab_sets_aside_new_tab_runs(tmp_path: Path, workbook: Path) -> None:
    state = tmp_path / "state.sqlite"
    record_runs(state, workbook, ["Old", "Deals"])
    args = ["old", "b2b-en", "--source", str(workbook), "--state", str(state)]

    result = invoke(["rename-tab", *args])

    assert result.exit_code == 0
    assert result.stdout.endswith(
        "Tab 'Deals' had 1 run of its own, now listed as tab 'Deals (set aside)' "
        "and read by no run.\n"
    )
    assert tabs_of_runs(state, workbook) == ["Deals (set aside)", "Deals"]


def test_rename_tab_without_runs_of_old_tab(tmp_path: Path, workbook: Path) -> None:
    state = tmp_path / "state.sqlite"
    record_runs(state, workbook, ["Deals"])
    args = ["Gone", "b2b-en", "--source", str(workbook), "--state", str(state)]

    result = invoke(["rename-tab", *args])

    assert result.exit_code == 1
    assert "No runs of tab 'Gone' of workbook" in result.stderr
    assert tabs_of_runs(state, workbook) == ["Deals"]


def test_rename_tab_to_same_tab_is_usage_error(tmp_path: Path, workbook: Path) -> None:
    state = tmp_path / "state.sqlite"
    record_runs(state, workbook, ["Deals"])
    args = ["deals", "b2b-en", "--source", str(workbook), "--state", str(state)]

    result = invoke(["rename-tab", *args])

    assert result.exit_code == 2
    assert "OLD_TAB 'deals' is the tab of 'b2b-en' already" in result.stderr
