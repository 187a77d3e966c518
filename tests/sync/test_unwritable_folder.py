"""``demo`` and ``init`` in a folder the user may not write to end with a message.

Root writes everywhere, so the file system is faked. Creating a folder inside a
denied one raises PermissionError, as for a folder of mode 555 (no writing).
So does a stat of anything inside it, as for a folder of mode 000 (no entering).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sync.cli import cli


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def denied_inside(folder: Path, function: Callable[..., Any]) -> Callable[..., Any]:
    """Return ``function`` raising PermissionError for paths inside ``folder``."""
    prefix = os.path.abspath(folder) + os.sep

    def guarded(path: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(path, int) and os.path.abspath(path).startswith(prefix):
            raise PermissionError(13, "Permission denied", os.fsdecode(path))
        return function(path, *args, **kwargs)

    return guarded


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize(
    ("args", "folder"),
    [
        (["demo"], "pipesheet-demo"),
        (["demo", "--folder", "read-only/new/sub"], "read-only/new/sub"),
    ],
    ids=["default-folder", "nested-folder"],
)
def test_demo_names_uncreatable_folder(
    monkeypatch: pytest.MonkeyPatch, args: list[str], folder: str
) -> None:
    Path("read-only").mkdir()
    monkeypatch.setattr(os, "mkdir", denied_inside(Path("read-only"), os.mkdir))
    if folder == "pipesheet-demo":
        monkeypatch.chdir("read-only")

    result = invoke(*args, "-q")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"Error: Cannot create the demo folder {folder!r}: Permission denied. Run "
        "pipesheet demo in a folder you can write to, or pass --folder DIR with "
        "such a folder."
    )
    assert result.stdout == ""


def test_init_names_unenterable_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    Path("private").mkdir()
    monkeypatch.setattr(os, "stat", denied_inside(Path("private"), os.stat))

    result = invoke("init", "private/a.xlsx")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "Error: Cannot write workbook 'private/a.xlsx': Permission denied. Check "
        "that the folder is writable and has free space."
    )
    monkeypatch.undo()
    assert list((tmp_path / "private").iterdir()) == []
