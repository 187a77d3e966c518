"""Tests of ``pipesheet rename-workbook``."""

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


def record_runs(state: Path, workbook: Path, count: int) -> None:
    with StateStore.open(str(state)) as store:
        for _ in range(count):
            run_id = store.start_run(str(workbook), "Deals", AS_OF)
            arrival = Transition("D-1", None, "Lead", AS_OF)
            store.finish_ok_run(str(workbook), run_id, [], [arrival])


def moved_workbook(path: Path) -> None:
    """Put a workbook file at ``path``, as moving the workbook there does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK")


def invoke(args: list[str]) -> Result:
    return CliRunner().invoke(cli, args, env={"COLUMNS": "200"})


def workbooks_of_runs(state: Path) -> list[str]:
    args = ["history", "--state", str(state), "--json"]
    return [run["workbook"] for run in json.loads(invoke(args).stdout)["runs"]]


def test_rename_workbook_moves_runs(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    old, new = tmp_path / "a" / "pipeline.xlsx", tmp_path / "b" / "pipeline.xlsx"
    record_runs(state, old, 2)
    moved_workbook(new)

    result = invoke(["rename-workbook", str(old), str(new), "--state", str(state)])

    assert result.exit_code == 0
    assert result.stdout == (
        f"2 runs of workbook {str(old)!r} now count for workbook {str(new)!r}.\n"
    )
    assert workbooks_of_runs(state) == [str(new), str(new)]
    with StateStore.open(str(state)) as store:
        assert store.transitions(str(new), tab="Deals") == [
            Transition("D-1", None, "Lead", AS_OF),
            Transition("D-1", None, "Lead", AS_OF),
        ]


def test_rename_workbook_sets_new_runs_aside(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    old, new = tmp_path / "old.xlsx", tmp_path / "new.xlsx"
    record_runs(state, old, 1)
    record_runs(state, new, 1)
    moved_workbook(new)

    result = invoke(["rename-workbook", str(old), str(new), "--state", str(state)])

    assert result.exit_code == 0
    assert result.stdout.startswith(f"1 run of workbook {str(old)!r} now counts")
    assert (
        f"Workbook {str(new)!r} had 1 run of its own, now listed as workbook "
        f"'{new} (set aside)' and read by no run."
    ) in result.stdout
    assert sorted(workbooks_of_runs(state)) == [str(new), f"{new} (set aside)"]


def test_rename_workbook_resolves_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state.sqlite"
    record_runs(state, tmp_path / "old.xlsx", 1)
    moved_workbook(tmp_path / "moved" / "new.xlsx")
    monkeypatch.chdir(tmp_path / "moved")

    result = invoke(
        ["rename-workbook", "../old.xlsx", "new.xlsx", "--state", str(state)]
    )

    assert result.exit_code == 0
    assert workbooks_of_runs(state) == [str(tmp_path / "moved" / "new.xlsx")]


def test_rename_workbook_unknown_old(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    record_runs(state, tmp_path / "old.xlsx", 1)
    missing = tmp_path / "other.xlsx"

    result = invoke(["rename-workbook", str(missing), "x.xlsx", "--state", str(state)])

    assert result.exit_code == 1
    assert (
        f"No runs of workbook {str(missing)!r} recorded in {state}. Pass OLD as "
        "`pipesheet history` lists it; workbooks with runs: "
        f"{tmp_path / 'old.xlsx'}."
    ) in result.stderr


def test_rename_workbook_spreadsheet_url(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    with StateStore.open(str(state)) as store:
        run_id = store.start_run("1AbC", "Deals", AS_OF)
        store.finish_ok_run("1AbC", run_id, [], [])
    new = "https://docs.google.com/spreadsheets/d/2XyZ/edit"

    result = invoke(["rename-workbook", "1AbC", new, "--state", str(state)])

    assert result.exit_code == 0
    assert workbooks_of_runs(state) == ["2XyZ"]


def test_rename_workbook_new_path_must_exist(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    old = tmp_path / "old.xlsx"
    record_runs(state, old, 1)
    typo = tmp_path / "nwe.xlsx"

    result = invoke(["rename-workbook", str(old), str(typo), "--state", str(state)])

    assert result.exit_code == 2
    assert f"NEW {str(typo)!r} is not a file" in result.stderr
    assert workbooks_of_runs(state) == [str(old)]
