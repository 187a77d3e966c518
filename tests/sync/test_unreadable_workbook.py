"""A workbook the user may not read ends each command with one message, not a traceback.

Root reads every file whatever its mode, so the file system is faked:
every stat and open of a denied path raises PermissionError, as the kernel
does for a file of mode 000 or a folder without search permission.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from config.models import Locale
from sync.cli import cli
from sync.run_process import run_definition
from sync.sources.file_access import running_user
from sync.starter import build_starter_workbook
from sync.state.records import RunOutcome
from sync.state.store import StateStore

AS_OF = dt.date(2025, 9, 30)


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def deny(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], None]:
    """Return a function that makes a file, or a folder and all in it, unreadable."""
    denied: list[str] = []

    def is_denied(path: Any) -> bool:
        if isinstance(path, int):
            return False
        absolute = os.path.abspath(os.fsdecode(path))
        return any(
            absolute == name or absolute.startswith(name + os.sep) for name in denied
        )

    def guard(function: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(path: Any, *args: Any, **kwargs: Any) -> Any:
            if is_denied(path):
                raise PermissionError(13, "Permission denied", os.fsdecode(path))
            return function(path, *args, **kwargs)

        return guarded

    monkeypatch.setattr(os, "stat", guard(os.stat))
    monkeypatch.setattr(os, "open", guard(os.open))
    monkeypatch.setattr(io, "open", guard(io.open))

    def add(path: Path) -> None:
        denied.append(os.path.abspath(path))

    return add


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def starter(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    build_starter_workbook(path, Locale.EN, as_of=AS_OF)
    return path


def expected_message(path: str) -> str:
    return (
        f"Workbook {path!r} could not be read: Permission denied. Give the user "
        f"pipesheet runs as ({running_user()}) read access to the file and access "
        "to each folder on its path, then run again."
    )


@pytest.mark.parametrize(
    "path",
    ["a.xlsx", "private/a.xlsx", "a.ods", "a.csv"],
    ids=["file", "folder", "read-only-format", "csv"],
)
@pytest.mark.parametrize(
    "command",
    [["run"], ["run", "--dry-run"], ["check"]],
    ids=["run", "dry-run", "check"],
)
def test_unreadable_workbook_named(
    deny: Callable[[Path], None], path: str, command: list[str]
) -> None:
    if path.endswith(".xlsx"):
        starter(Path(path))
    else:
        Path(path).write_bytes(b"Deal ID,Stage\n")
    deny(Path("private") if path.startswith("private/") else Path(path))

    result = invoke(*command, "b2b-en", "--source", path, "--no-state", "-q")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"Error: {expected_message(path)}"
    assert result.stdout == ""


def test_unreadable_workbook_json_error(deny: Callable[[Path], None]) -> None:
    starter(Path("a.xlsx"))
    deny(Path("a.xlsx"))

    result = invoke("run", "b2b-en", "--source", "a.xlsx", "--no-state", "--json")

    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "error": {"type": "SourceError", "message": expected_message("a.xlsx")}
    }


@pytest.mark.parametrize("denied", ["a.xlsx", "private"], ids=["file", "folder"])
def test_doctor_names_unreadable_workbook(
    deny: Callable[[Path], None], denied: str
) -> None:
    path = "private/a.xlsx" if denied == "private" else "a.xlsx"
    starter(Path(path))
    deny(Path(denied))

    result = invoke("doctor", "b2b-en", "--source", path)

    assert result.exit_code == 1
    assert expected_message(path) in " ".join(result.stdout.split())
    assert "Traceback" not in result.output


def test_scheduled_run_records_unreadable_workbook(
    deny: Callable[[Path], None], tmp_path: Path
) -> None:
    workbook = starter(tmp_path / "a.xlsx")
    state = str(tmp_path / "state.sqlite")
    deny(workbook)

    summary = run_definition("b2b-en", str(workbook), state)

    assert summary.outcome is RunOutcome.FAILED
    assert summary.error == expected_message(str(workbook))
    with StateStore.open(state) as store:
        [record] = store.runs(str(workbook), 5)
    assert record.outcome is RunOutcome.FAILED
