"""Tests of ``pipesheet history`` and ``pipesheet log``."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from config.shipped import shipped_definition
from rules.history import DealSnapshot, StayEnd, Transition
from rules.stage_history import StageHistory
from sync.cli import cli
from sync.commands.history import (
    days_in_previous_stage,
    deal_stays,
    history,
    log,
    workbook_labels,
)
from sync.state.errors import StateNotFoundError
from sync.state.records import RunOutcome
from sync.state.store import StateStore

AS_OF = dt.date(2025, 3, 4)
STARTED = dt.datetime(2025, 3, 4, 7, 0, 0, tzinfo=dt.UTC)
# Wide enough that no table cell wraps.
TERMINAL = {"COLUMNS": "200"}


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return tmp_path / "pipeline.xlsx"


@pytest.fixture
def state(tmp_path: Path, workbook: Path) -> Path:
    """Build a state database with three runs of one workbook and one of another."""
    path = tmp_path / "state.sqlite"
    with StateStore.open(str(path)) as store:
        ok = store.start_run(str(workbook), "Deals", AS_OF, now=STARTED)
        store.record_transitions(
            str(workbook),
            ok,
            [
                Transition("D-1001", None, "Lead", dt.date(2025, 3, 1)),
                Transition("D-1001", "Lead", "Demo", dt.date(2025, 3, 5)),
                Transition("D-1001", "Demo", None, dt.date(2025, 3, 12)),
                Transition("D-1002", None, "Demo", dt.date(2025, 3, 5)),
            ],
        )
        store.finish_run(
            ok,
            RunOutcome.OK,
            now=STARTED + dt.timedelta(seconds=2.5),
            deals=120,
            errors=3,
            warnings=5,
            infos=0,
            status_cells_written=12,
            tabs_written=["Funnel", "Problems"],
            api_requests=0,
            bytes_written=4096,
        )
        failed = store.start_run(
            str(workbook), "Deals", AS_OF, now=STARTED + dt.timedelta(hours=1)
        )
        store.finish_run(
            failed,
            RunOutcome.FAILED,
            now=STARTED + dt.timedelta(hours=1, seconds=75),
            error="Tab 'Deals' not found in pipeline.xlsx",
        )
        store.start_run(
            str(workbook), "Deals", AS_OF, now=STARTED + dt.timedelta(hours=2)
        )
        other = store.start_run("1AbCdEfGhIjK", "Deals", AS_OF, now=STARTED)
        store.finish_run(other, RunOutcome.SKIPPED, now=STARTED)
    return path


def invoke(command: object, args: list[str], **env: str) -> Result:
    runner = CliRunner()
    return runner.invoke(command, args, env={**TERMINAL, **env})  # type: ignore[arg-type]


def table_rows(output: str) -> list[list[str]]:
    """Return the cells of the header and body rows of a rich table, stripped."""
    lines = [line.replace("┃", "│") for line in output.splitlines()]
    return [
        [cell.strip() for cell in line.strip("│").split("│")]
        for line in lines
        if line.startswith("│")
    ]


# history


def test_history_lists_runs_newest_first(state: Path) -> None:
    result = invoke(history, ["--state", str(state)])
    assert result.exit_code == 0
    assert [row[0] for row in table_rows(result.output)[1:]] == ["4", "3", "2", "1"]


def test_history_row_of_ok_run(state: Path) -> None:
    result = invoke(history, ["--state", str(state)])
    assert table_rows(result.output)[-1] == [
        "1",
        "pipeline.xlsx",
        "2025-03-04",
        "2025-03-04 07:00:00",
        "2.5 s",
        "ok",
        "120",
        "3",
        "5",
        "12 cells, 2 tabs",
    ]


def test_history_header_names_columns(state: Path) -> None:
    result = invoke(history, ["--state", str(state)])
    assert table_rows(result.output)[0] == [
        "Run",
        "Workbook",
        "As of",
        "Started (UTC)",
        "Duration",
        "Outcome",
        "Deals",
        "Errors",
        "Warnings",
        "Writes",
    ]


@pytest.mark.parametrize(
    ("run", "column", "text"),
    [
        ("2", 4, "1 min 15 s"),
        ("2", 5, "failed"),
        ("2", 6, "—"),
        ("3", 4, "—"),
        ("3", 5, "unfinished"),
        ("4", 1, "1AbCdEfGhIjK"),
        ("4", 5, "skipped"),
    ],
    ids=[
        "failed-duration",
        "failed-outcome",
        "failed-deals",
        "unfinished-duration",
        "unfinished-outcome",
        "spreadsheet-id",
        "skipped-outcome",
    ],
)
def test_history_cells(state: Path, run: str, column: int, text: str) -> None:
    result = invoke(history, ["--state", str(state)])
    rows = {row[0]: row for row in table_rows(result.output)[1:]}
    assert rows[run][column] == text


def test_history_prints_run_errors(state: Path) -> None:
    result = invoke(history, ["--state", str(state)])
    assert "Run 2 failed: Tab 'Deals' not found in pipeline.xlsx\n" in result.output


def test_history_limit_keeps_newest(state: Path) -> None:
    result = invoke(history, ["--state", str(state), "--limit", "2"])
    assert [row[0] for row in table_rows(result.stdout)[1:]] == ["4", "3"]
    assert result.stderr == (
        "Only the latest 2 runs are listed; pass --limit with a larger number to "
        "see earlier ones.\n"
    )


def test_history_limit_one_is_singular(state: Path) -> None:
    result = invoke(history, ["--state", str(state), "--limit", "1"])
    assert [row[0] for row in table_rows(result.stdout)[1:]] == ["4"]
    assert result.stderr == (
        "Only the latest run is listed; pass --limit with a larger number to see "
        "earlier ones.\n"
    )


def test_history_all_runs_listed_without_note(state: Path) -> None:
    result = invoke(history, ["--state", str(state), "--limit", "4"])
    assert [row[0] for row in table_rows(result.stdout)[1:]] == ["4", "3", "2", "1"]
    assert result.stderr == ""


def test_history_config_selects_workbook(state: Path, workbook: Path) -> None:
    args = ["b2b-en", "--source", str(workbook), "--state", str(state)]
    result = invoke(history, args)
    assert [row[0] for row in table_rows(result.output)[1:]] == ["3", "2", "1"]


def test_history_reads_state_from_environment(state: Path) -> None:
    result = invoke(history, ["--limit", "1"], PIPESHEET_STATE=str(state))
    assert [row[0] for row in table_rows(result.output)[1:]] == ["4"]


def test_history_defaults_to_current_folder(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state.rename(state.with_name("pipesheet-state.sqlite"))
    monkeypatch.chdir(state.parent)
    monkeypatch.delenv("PIPESHEET_STATE", raising=False)
    result = CliRunner().invoke(history, ["--limit", "1"], env=TERMINAL)
    assert [row[0] for row in table_rows(result.output)[1:]] == ["4"]


def test_history_json_shape(state: Path) -> None:
    result = invoke(history, ["--state", str(state), "--json"])
    document = json.loads(result.output)
    assert list(document) == ["runs"]
    assert document["runs"][-1] == {
        "id": 1,
        "workbook": str(state.parent / "pipeline.xlsx"),
        "tab": "Deals",
        "as_of": "2025-03-04",
        "started_at": "2025-03-04T07:00:00+00:00",
        "finished_at": "2025-03-04T07:00:02.500000+00:00",
        "seconds": 2.5,
        "outcome": "ok",
        "deals": 120,
        "findings": {"error": 3, "warning": 5, "info": 0},
        "status_cells_written": 12,
        "tabs_written": ["Funnel", "Problems"],
        "api_requests": 0,
        "bytes_written": 4096,
        "error": None,
    }


def test_history_json_unfinished_run(state: Path) -> None:
    result = invoke(history, ["--state", str(state), "--json"])
    unfinished = json.loads(result.output)["runs"][1]
    assert unfinished["outcome"] is None
    assert unfinished["finished_at"] is None
    assert unfinished["seconds"] is None


def test_history_of_empty_state(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    StateStore.open(str(path)).close()
    result = invoke(history, ["--state", str(path)])
    assert result.exit_code == 0
    assert result.output == f"No runs recorded in {path}.\n"


def test_history_without_runs_lists_workbooks(
    tmp_path: Path, state: Path, workbook: Path
) -> None:
    other = tmp_path / "other.xlsx"
    args = ["b2b-en", "--source", str(other), "--state", str(state)]

    result = invoke(history, args)

    assert result.exit_code == 0
    assert result.output == (
        f"No runs of tab 'Deals' of workbook {str(other)!r} recorded in {state}. "
        f"{state} contains runs of {str(workbook)!r}, '1AbCdEfGhIjK'. If the runs "
        "used another workbook than the definition's, pass it as --source, e.g. "
        f"--source {workbook}.\n"
    )


def test_history_of_csv_names_file(tmp_path: Path, state: Path, workbook: Path) -> None:
    table = tmp_path / "deals.csv"
    table.write_text("Deal ID,Stage\nD-1,Lead\n", encoding="utf-8")
    args = ["b2b-en", "--source", str(table), "--state", str(state)]

    result = invoke(history, args)

    assert result.exit_code == 0
    assert result.output.startswith(
        f"No runs of file {str(table)!r} recorded in {state}: pipesheet checks "
        "CSV and TSV files but does not run on them, so it records no runs. "
        f"{state} contains runs of {str(workbook)!r}, "
    )


def test_history_without_runs_lists_tabs(state: Path, workbook: Path) -> None:
    args = ["sales-zh", "--source", str(workbook), "--state", str(state)]

    result = invoke(history, args)

    assert result.exit_code == 0
    assert result.output.startswith(
        f"No runs of tab '商机' of workbook {str(workbook)!r} recorded in {state}. "
        "That workbook has runs of tab 'Deals'. "
    )


def test_history_missing_state_fails(tmp_path: Path) -> None:
    path = tmp_path / "missing.sqlite"
    result = invoke(history, ["--state", str(path)])
    assert result.exit_code == 1
    assert isinstance(result.exception, StateNotFoundError)
    assert not path.exists()


def test_history_source_without_config_fails(state: Path) -> None:
    result = invoke(history, ["--state", str(state), "--source", "a.xlsx"])
    assert result.exit_code == 2
    assert "--source needs CONFIG, the definition it is for." in result.output


@pytest.mark.parametrize(
    "args", [["history", "b2b-en"], ["log", "D-1001", "b2b-en"]], ids=["history", "log"]
)
def test_shipped_name_needs_source(state: Path, args: list[str]) -> None:
    result = invoke(cli, [*args, "--state", str(state)])

    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: CONFIG 'b2b-en' is a shipped definition, which names no workbook "
        "of yours. Pass the workbook with --source PATH (for example the file "
        "that 'pipesheet init' created), or copy the definition, set source.path "
        "in the copy and pass the copy's file as CONFIG.\n"
    )


def test_history_help_names_state_default() -> None:
    result = invoke(history, ["--help"], COLUMNS="80")
    help_text = " ".join(result.output.split())
    assert (
        "Default: the PIPESHEET_STATE environment variable, else "
        "pipesheet-state.sqlite in the current folder." in help_text
    )


# log


def test_log_shows_deal_path(state: Path, workbook: Path) -> None:
    args = ["D-1001", "b2b-en", "--source", str(workbook), "--state", str(state)]
    result = invoke(log, args)
    assert result.exit_code == 0
    assert table_rows(result.output) == [
        ["Seen on", "Change", "Days in previous stage"],
        ["2025-03-01", "(new) → Lead", ""],
        ["2025-03-05", "Lead → Demo", "4"],
        ["2025-03-12", "Demo → (removed)", "7"],
        ["Stage", "Entered", "Exited", "Days"],
        ["Lead", "2025-03-01", "2025-03-05", "≥ 4"],
        ["Demo", "2025-03-05", "2025-03-12 (removed)", "7"],
        ["Stage", "Total days up to 2025-03-12"],
        ["Lead", "≥ 4"],
        ["Demo", "7"],
    ]


def test_log_names_deal_and_workbook(state: Path, workbook: Path) -> None:
    args = ["D-1001", "b2b-en", "--source", str(workbook), "--state", str(state)]
    result = invoke(log, args)
    assert result.output.splitlines()[0] == "Deal D-1001 in pipeline.xlsx"


def test_log_json_shape(state: Path, workbook: Path) -> None:
    args = ["D-1002", "b2b-en", "--source", str(workbook), "--state", str(state)]
    result = invoke(log, [*args, "--json"])
    assert json.loads(result.output) == {
        "workbook": str(workbook),
        "deal_id": "D-1002",
        "transitions": [
            {
                "seen_on": "2025-03-05",
                "from_stage": None,
                "to_stage": "Demo",
                "days_in_previous_stage": None,
            }
        ],
        "retyped_ids": [],
        "stays": [
            {
                "stage": "Demo",
                "entered": "2025-03-05",
                "exited": None,
                "days": 0,
                "lower_bound": True,
                "removed": False,
                "first_seen": None,
            }
        ],
        "as_of": "2025-03-05",
        "days_in_stage": [{"stage": "Demo", "total_days": 0, "lower_bound": True}],
    }


def test_log_unknown_deal_suggests_nearest(state: Path, workbook: Path) -> None:
    args = ["D-1011", "b2b-en", "--source", str(workbook), "--state", str(state)]
    result = invoke(cli, ["log", *args])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: No stage changes of deal 'D-1011' recorded for tab 'Deals' of "
        f"{str(workbook)!r}. Did you mean 'D-1001'? If 'D-1011' is in the sheet, "
        "check that it is on one row only: a deal whose ID is on several rows "
        "is not recorded. Nor is a deal whose stage cell has named no "
        "stage of the pipeline yet; its row in the Problems tab says why.\n"
    )


@pytest.fixture
def marked_state(tmp_path: Path, workbook: Path) -> Path:
    """Build a state database whose one deal ID ends in a byte order mark."""
    path = tmp_path / "marked.sqlite"
    with StateStore.open(str(path)) as store:
        run = store.start_run(str(workbook), "Deals", AS_OF, now=STARTED)
        store.record_transitions(
            str(workbook),
            run,
            [Transition("A-1\ufeff", None, "Lead", dt.date(2025, 3, 1))],
        )
        store.finish_run(run, RunOutcome.OK, now=STARTED)
    return path


def test_log_finds_id_stored_with_mark(marked_state: Path, workbook: Path) -> None:
    args = ["A-1", "b2b-en", "--source", str(workbook), "--state", str(marked_state)]

    result = invoke(cli, ["log", *args])

    assert result.exit_code == 0
    assert table_rows(result.output) == [
        ["Seen on", "Change", "Days in previous stage"],
        ["2025-03-01", "(new) → Lead", ""],
        ["Stage", "Entered", "Exited", "Days"],
        ["Lead", "2025-03-01", "", "≥ 3"],
        # The run's day, which the run recorded without a snapshot.
        ["Stage", "Total days up to 2025-03-04"],
        ["Lead", "≥ 3"],
    ]


def test_log_suggestion_names_invisible_mark(
    marked_state: Path, workbook: Path
) -> None:
    args = ["a 1", "b2b-en", "--source", str(workbook), "--state", str(marked_state)]

    result = invoke(cli, ["log", *args])

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: No stage changes of deal 'a 1' recorded for tab 'Deals' of "
        f"{str(workbook)!r}. Did you mean 'A-1' (with an invisible U+FEFF at the "
        "end)? If 'a 1' is in the sheet, check that it is on one row only: a deal "
        "whose ID is on several rows is not recorded. Nor is a deal whose stage "
        "cell has named no stage of the pipeline yet; its row in the Problems "
        "tab says why.\n"
    )


@pytest.fixture
def numbered_state(tmp_path: Path, workbook: Path) -> Path:
    """Build a state database of five deals with short and long IDs."""
    path = tmp_path / "numbered.sqlite"
    deal_ids = ["00123", "2002", "2003", "A-7", "D-100234"]
    with StateStore.open(str(path)) as store:
        run = store.start_run(str(workbook), "Deals", AS_OF, now=STARTED)
        moves = [
            Transition(deal_id, None, "Lead", dt.date(2025, 3, 1))
            for deal_id in deal_ids
        ]
        store.record_transitions(str(workbook), run, moves)
        store.finish_run(run, RunOutcome.OK, now=STARTED)
    return path


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [
        ("1001", ""),
        ("2004", ""),
        ("A-8", ""),
        ("0123", ""),
        ("D-102034", " Did you mean 'D-100234'?"),
        ("d100234", " Did you mean 'D-100234'?"),
        ("a7", " Did you mean 'A-7'?"),
    ],
    ids=[
        "far-id",
        "typo-of-two-ids",
        "typo-of-short-id",
        "dropped-zero-of-short-id",
        "swapped-digits",
        "case-and-dash",
        "short-id-without-dash",
    ],
)
def test_log_suggests_only_close_ids(
    numbered_state: Path, workbook: Path, typed: str, suggestion: str
) -> None:
    args = [typed, "b2b-en", "--source", str(workbook), "--state", str(numbered_state)]

    result = invoke(cli, ["log", *args])

    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: No stage changes of deal {typed!r} recorded for tab 'Deals' of "
        f"{str(workbook)!r}.{suggestion} If {typed!r} is in the sheet, check that "
        "it is on one row only: a deal whose ID is on several rows is not "
        "recorded. Nor is a deal whose stage cell has named no "
        "stage of the pipeline yet; its row in the Problems tab says why.\n"
    )


def test_log_json_unknown_deal_prints_error(state: Path, workbook: Path) -> None:
    args = ["D-1011", "b2b-en", "--source", str(workbook), "--state", str(state)]

    result = invoke(cli, ["log", *args, "--json"])

    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "DealNotFoundError"
    assert error["message"].startswith("No stage changes of deal 'D-1011' recorded")


@pytest.mark.parametrize("command", ["history", "log"], ids=["history", "log"])
def test_json_without_runs_prints_error(tmp_path: Path, command: str) -> None:
    path = tmp_path / "empty.sqlite"
    StateStore.open(str(path)).close()
    deal = ["D-1"] if command == "log" else []
    missing = tmp_path / "missing.sqlite"

    empty = invoke(cli, [command, *deal, "--state", str(path), "--json"])
    absent = invoke(cli, [command, *deal, "--state", str(missing), "--json"])

    assert absent.exit_code == 1
    assert json.loads(absent.stdout)["error"]["type"] == "StateNotFoundError"
    if command == "history":
        assert empty.exit_code == 0
        assert json.loads(empty.stdout) == {"runs": []}
    else:
        assert empty.exit_code == 1
        assert json.loads(empty.stdout) == {
            "error": {
                "type": "RunNotFoundError",
                "message": f"No runs recorded in {path}.",
            }
        }


def test_log_trims_typed_id(state: Path, workbook: Path) -> None:
    args = [" D-1002 ", "b2b-en", "--source", str(workbook), "--state", str(state)]

    result = invoke(log, args)

    assert result.exit_code == 0
    assert "Deal D-1002 in pipeline.xlsx" in result.output


def test_log_needs_config_for_several_workbooks(state: Path) -> None:
    result = invoke(log, ["D-1001", "--state", str(state)])
    assert result.exit_code == 2
    assert "contains runs of 2 workbooks" in result.output


def test_log_without_config_uses_only_workbook(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with StateStore.open(str(path)) as store:
        run_id = store.start_run("1AbCdEfGhIjK", "Deals", AS_OF, now=STARTED)
        found = [Transition("D-7", None, "Lead", AS_OF)]
        store.record_transitions("1AbCdEfGhIjK", run_id, found)
        store.finish_run(run_id, RunOutcome.OK, now=STARTED)

    result = invoke(log, ["D-7", "--state", str(path)])
    assert table_rows(result.output)[1] == ["2025-03-04", "(new) → Lead", ""]


@pytest.fixture
def stays_state(tmp_path: Path, workbook: Path) -> Path:
    """Build a state database in which D-1 went Lead, Demo, Lead and Demo.

    Runs of 03-01, 03-03, 03-06 and 03-09 recorded the moves, and a run of
    03-12 saw D-1 still in Demo. Each run saved a snapshot, as real runs do.
    """
    path = tmp_path / "stays.sqlite"
    stages = {1: "Lead", 3: "Demo", 6: "Lead", 9: "Demo", 12: "Demo"}
    with StateStore.open(str(path)) as store:
        previous: str | None = None
        for number, stage in stages.items():
            as_of = dt.date(2025, 3, number)
            now = dt.datetime.combine(as_of, dt.time(7), dt.UTC)
            run_id = store.start_run(str(workbook), "Deals", as_of, now=now)
            if stage != previous:
                move = Transition("D-1", previous, stage, as_of)
                store.record_transitions(str(workbook), run_id, [move])
            store.save_snapshot(run_id, [DealSnapshot("D-1", stage, "Ana", 1.0, 4)])
            store.finish_run(run_id, RunOutcome.OK, now=now)
            previous = stage
    return path


def test_log_shows_stage_totals(stays_state: Path, workbook: Path) -> None:
    args = ["D-1", "b2b-en", "--source", str(workbook), "--state", str(stays_state)]

    result = invoke(log, args)

    assert result.exit_code == 0, result.output
    assert table_rows(result.output)[10:] == [
        ["Stage", "Total days up to 2025-03-12"],
        ["Lead", "≥ 5"],
        ["Demo", "6"],
    ]


def test_log_json_lists_stage_totals(stays_state: Path, workbook: Path) -> None:
    args = ["D-1", "b2b-en", "--source", str(workbook), "--state", str(stays_state)]

    result = invoke(log, [*args, "--json"])

    document = json.loads(result.output)
    assert document["as_of"] == "2025-03-12"
    assert document["days_in_stage"] == [
        {"stage": "Lead", "total_days": 5, "lower_bound": True},
        {"stage": "Demo", "total_days": 6, "lower_bound": False},
    ]


def test_log_totals_reach_run_without_snapshot(
    stays_state: Path, workbook: Path
) -> None:
    # A run on an unchanged sheet stores no snapshot, but the deal was in its
    # stage on that day too.
    with StateStore.open(str(stays_state)) as store:
        as_of = dt.date(2025, 3, 20)
        now = dt.datetime.combine(as_of, dt.time(7), dt.UTC)
        run_id = store.start_run(str(workbook), "Deals", as_of, now=now)
        store.finish_run(run_id, RunOutcome.OK, now=now)
    args = ["D-1", "b2b-en", "--source", str(workbook), "--state", str(stays_state)]

    result = invoke(log, [*args, "--json"])

    document = json.loads(result.output)
    assert document["as_of"] == "2025-03-20"
    assert document["days_in_stage"][1] == {
        "stage": "Demo",
        "total_days": 14,
        "lower_bound": False,
    }


# days in previous stage


def move(from_stage: str | None, to_stage: str | None, number: int) -> Transition:
    return Transition("D-1", from_stage, to_stage, dt.date(2025, 3, number))


def days_of(
    path: list[Transition], history: StageHistory | None = None
) -> list[int | None]:
    """Return the days in previous stage of ``path``, given ``history``'s starts."""
    deal_history = replace(history or StageHistory(), transitions=path)
    _, rows = deal_stays(deal_history, None)
    return days_in_previous_stage(path, rows)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ([move(None, "Lead", 1)], [None]),
        (
            [
                move(None, "Lead", 1),
                move("Lead", "Demo", 5),
                move("Demo", "Proposal", 5),
            ],
            [None, 4, 0],
        ),
        (
            [
                move(None, "Lead", 1),
                move("Lead", "Demo", 5),
                move("Demo", None, 9),
                move(None, "Demo", 16),
            ],
            [None, 4, 4, None],
        ),
        (
            [
                move(None, "Lead", 1),
                move("Lead", None, 4),
                move(None, "Lead", 8),
                move("Lead", "Demo", 10),
            ],
            [None, 3, None, 9],
        ),
    ],
    ids=[
        "first-seen-only",
        "same-day-move",
        "back-in-other-stage",
        "back-in-same-stage",
    ],
)
def test_days_in_previous_stage(
    path: list[Transition], expected: list[int | None]
) -> None:
    assert days_of(path) == expected


def test_days_from_stored_start_of_ended_stay() -> None:
    path = [move(None, "Lead", 1), move("Lead", "Demo", 5)]
    ended = {StayEnd("D-1", "Lead", dt.date(2025, 3, 5)): dt.date(2025, 2, 20)}

    days = days_of(path, StageHistory(ended_stay_starts=ended))

    assert days == [None, 13]


def test_days_end_on_stored_start_of_current_stay() -> None:
    # The sheet dated the move into Demo 03-03, before the run that saw it.
    path = [move(None, "Lead", 1), move("Lead", "Demo", 5)]
    history = StageHistory(stay_starts={"D-1": dt.date(2025, 3, 3)})

    days = days_of(path, history)

    assert days == [None, 2]


def test_history_fits_narrow_terminal(state: Path) -> None:
    result = invoke(history, ["--state", str(state)], COLUMNS="80")

    lines = result.output.splitlines()
    assert max(map(len, lines)) <= 80
    assert "…" not in result.output
    for text in ("2025-03-04", "03-04 07:00", "1 min 15 s", "unfinished", "skipped"):
        assert text in result.output


def test_history_one_workbook_title(state: Path, workbook: Path) -> None:
    args = ["b2b-en", "--source", str(workbook), "--state", str(state)]

    result = invoke(history, args, COLUMNS="80")

    lines = result.output.splitlines()
    assert lines[0].strip() == "Runs of pipeline.xlsx"
    assert max(map(len, lines)) <= 80
    assert "…" not in result.output


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["/a/pipeline.xlsx", "/b/deals.xlsx"], ["pipeline.xlsx", "deals.xlsx"]),
        (
            ["/x/team-a/pipeline.xlsx", "/x/team-b/pipeline.xlsx"],
            ["team-a/pipeline.xlsx", "team-b/pipeline.xlsx"],
        ),
        (
            ["/a/sales/pipeline.xlsx", "/b/sales/pipeline.xlsx", "/c/q.xlsx"],
            ["a/sales/pipeline.xlsx", "b/sales/pipeline.xlsx", "q.xlsx"],
        ),
        (["google:1AbC", "/a/pipeline.xlsx"], ["google:1AbC", "pipeline.xlsx"]),
    ],
    ids=["distinct-names", "same-name", "same-folder-name", "google-key"],
)
def test_workbook_labels_tell_workbooks_apart(
    keys: list[str], expected: list[str]
) -> None:
    labels = workbook_labels(keys)

    assert [labels[key] for key in keys] == expected


def test_history_shows_folders_of_same_named_workbooks(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with StateStore.open(str(path)) as store:
        for team in ("team-a", "team-b"):
            store.start_run(
                str(tmp_path / team / "pipeline.xlsx"), "Deals", AS_OF, now=STARTED
            )

    result = CliRunner().invoke(history, ["--state", str(path)], env=TERMINAL)

    assert "team-a/pipeline.xlsx" in result.output
    assert "team-b/pipeline.xlsx" in result.output


def test_log_shows_renamed_stages(state: Path, tmp_path: Path) -> None:
    # Lead is renamed with its old name as an alias; Demo only changes case.
    text = shipped_definition("b2b-en").read_text(encoding="utf-8")
    text = text.replace(
        "name: Lead\n    aliases: [New,", "name: Opening\n    aliases: [lead, New,"
    )
    text = text.replace("  - name: Demo\n", "  - name: DEMO\n")
    definition = tmp_path / "renamed.yaml"
    definition.write_text(text, encoding="utf-8")
    args = ["D-1001", str(definition), "--state", str(state)]

    result = invoke(log, args)

    assert result.exit_code == 0, result.output
    assert table_rows(result.output) == [
        ["Seen on", "Change", "Days in previous stage"],
        ["2025-03-01", "(new) → Opening", ""],
        ["2025-03-05", "Opening → DEMO", "4"],
        ["2025-03-12", "DEMO → (removed)", "7"],
        ["Stage", "Entered", "Exited", "Days"],
        ["Opening", "2025-03-01", "2025-03-05", "≥ 4"],
        ["DEMO", "2025-03-05", "2025-03-12 (removed)", "7"],
        ["Stage", "Total days up to 2025-03-12"],
        ["Opening", "≥ 4"],
        ["DEMO", "7"],
    ]


def test_log_json_shows_renamed_stage(state: Path, tmp_path: Path) -> None:
    text = shipped_definition("b2b-en").read_text(encoding="utf-8")
    text = text.replace("  - name: Demo\n", "  - name: Showcase\n")
    text = text.replace("[Demonstration]", "[Demonstration, Demo]")
    definition = tmp_path / "renamed.yaml"
    definition.write_text(text, encoding="utf-8")
    args = ["D-1002", str(definition), "--state", str(state), "--json"]

    result = invoke(log, args)

    assert json.loads(result.output)["transitions"][0]["to_stage"] == "Showcase"


@pytest.fixture
def renamed_state(tmp_path: Path, workbook: Path) -> Path:
    """Build a state database in which Qualified was renamed Qualifying.

    D-1 moved Lead -> Qualified on 03-03. After the rename, with the old name
    kept as an alias, the run of 03-10 read the stored stage as Qualifying and
    recorded D-1's move to Demo from there. D-2 sat in Qualified through the
    rename, so only its snapshot shows the new name.
    """
    path = tmp_path / "renamed.sqlite"
    runs = {
        1: ([("D-1", None, "Lead"), ("D-2", None, "Lead")], "Lead", "Lead"),
        3: ([("D-1", "Lead", "Qualified"), ("D-2", "Lead", "Qualified")],)
        + ("Qualified", "Qualified"),
        10: ([("D-1", "Qualifying", "Demo")], "Demo", "Qualifying"),
    }
    with StateStore.open(str(path)) as store:
        for number, (moves, first, second) in runs.items():
            as_of = dt.date(2025, 3, number)
            now = dt.datetime.combine(as_of, dt.time(7), dt.UTC)
            run_id = store.start_run(str(workbook), "Deals", as_of, now=now)
            found = [Transition(*found_move, as_of) for found_move in moves]
            store.record_transitions(str(workbook), run_id, found)
            snapshot = [
                DealSnapshot("D-1", first, "Ana", 1.0, 4),
                DealSnapshot("D-2", second, "Ana", 1.0, 5),
            ]
            store.save_snapshot(run_id, snapshot)
            store.finish_run(run_id, RunOutcome.OK, now=now)
    return path


def test_log_without_config_follows_rename(renamed_state: Path) -> None:
    result = invoke(log, ["D-1", "--state", str(renamed_state)])

    assert result.exit_code == 0, result.output
    assert table_rows(result.output)[:4] == [
        ["Seen on", "Change", "Days in previous stage"],
        ["2025-03-01", "(new) → Lead", ""],
        ["2025-03-03", "Lead → Qualifying", "2"],
        ["2025-03-10", "Qualifying → Demo", "7"],
    ]


def test_log_without_config_renames_current_stay(renamed_state: Path) -> None:
    result = invoke(log, ["D-2", "--state", str(renamed_state), "--json"])

    document = json.loads(result.output)
    assert document["transitions"][1]["to_stage"] == "Qualifying"
    assert [stay["stage"] for stay in document["days_in_stage"]] == [
        "Lead",
        "Qualifying",
    ]


# a deal ID retyped in another case


@pytest.fixture
def retyped_state(tmp_path: Path, workbook: Path) -> Path:
    """Build a state database in which A-2 was won, then retyped as a-2."""
    path = tmp_path / "retyped.sqlite"
    moves = {
        1: [
            Transition("A-2", None, "Lead", dt.date(2025, 3, 1)),
            Transition("B-7", None, "Lead", dt.date(2025, 3, 1)),
        ],
        4: [Transition("A-2", "Lead", "Closed Won", dt.date(2025, 3, 4))],
        6: [
            Transition("A-2", "Closed Won", None, dt.date(2025, 3, 6)),
            Transition("a-2", None, "Closed Won", dt.date(2025, 3, 6)),
        ],
    }
    with StateStore.open(str(path)) as store:
        for number, found in moves.items():
            as_of = dt.date(2025, 3, number)
            now = dt.datetime.combine(as_of, dt.time(7), dt.UTC)
            run_id = store.start_run(str(workbook), "Deals", as_of, now=now)
            store.record_transitions(str(workbook), run_id, found)
            store.finish_run(run_id, RunOutcome.OK, now=now)
    return path


@pytest.mark.parametrize("deal_id", ["a-2", "A-2"], ids=["new-id", "old-id"])
def test_log_follows_retyped_id(
    retyped_state: Path, workbook: Path, deal_id: str
) -> None:
    args = [deal_id, "b2b-en", "--source", str(workbook)]

    result = invoke(log, [*args, "--state", str(retyped_state)])

    assert result.exit_code == 0
    assert result.output.splitlines()[:2] == [
        "Deal a-2 in pipeline.xlsx",
        "Its ID was 'A-2' before the run of 2025-03-06.",
    ]
    assert table_rows(result.output)[:7] == [
        ["Seen on", "Change", "Days in previous stage"],
        ["2025-03-01", "(new) → Lead", ""],
        ["2025-03-04", "Lead → Closed Won", "3"],
        ["Stage", "Entered", "Exited", "Days"],
        ["Lead", "2025-03-01", "2025-03-04", "≥ 3"],
        ["Closed Won", "2025-03-04", "", "2"],
        ["Stage", "Total days up to 2025-03-06"],
    ]


def test_log_json_lists_retyped_ids(retyped_state: Path, workbook: Path) -> None:
    args = ["a-2", "b2b-en", "--source", str(workbook), "--state", str(retyped_state)]

    result = invoke(log, [*args, "--json"])

    document = json.loads(result.output)
    assert document["deal_id"] == "a-2"
    assert document["retyped_ids"] == [
        {"old_id": "A-2", "new_id": "a-2", "seen_on": "2025-03-06"}
    ]
