"""A re-run with ``--output`` on an unchanged workbook writes no bytes to disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sync.atomic import BACKUP_FOLDER
from tests.sync.test_cli import AS_OF, CLEAN_DEALS, FLAWED_DEALS, invoke, write_tiny


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def written_line(stdout: str) -> str:
    [line] = [line for line in stdout.splitlines() if "Written" in line]
    return " ".join(line.strip("│ ").split())


def test_output_rerun_writes_nothing() -> None:
    write_tiny(FLAWED_DEALS)
    run = ["run", "tiny.yaml", "--as-of", AS_OF, "--output", "out.xlsx"]
    first = invoke(*run)
    written = Path("out.xlsx").stat()

    second = invoke(*run)
    third = invoke(*run, "--json")

    assert "3 status cells" in written_line(first.stdout)
    assert second.exit_code == 0
    assert written_line(second.stdout) == (
        "Written │ nothing (out.xlsx already contains this result)"
    )
    after = Path("out.xlsx").stat()
    assert (after.st_ino, after.st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    assert not Path(BACKUP_FOLDER).exists()
    assert json.loads(third.stdout)["written"]["status_cells"] == 0
    assert json.loads(third.stdout)["written"]["bytes"] == 0


def test_unchanged_copy_not_rewritten() -> None:
    write_tiny(CLEAN_DEALS)
    invoke("run", "tiny.yaml", "--as-of", AS_OF, "-q")
    backups = sorted(Path(BACKUP_FOLDER).iterdir())
    run = ["run", "tiny.yaml", "--as-of", AS_OF, "--output", "out.xlsx"]
    invoke(*run)
    copied = Path("out.xlsx").stat()

    result = invoke(*run)

    assert result.exit_code == 0
    assert result.stderr.splitlines()[-1] == (
        "Nothing to change; out.xlsx already is a copy of tiny.xlsx."
    )
    after = Path("out.xlsx").stat()
    assert (after.st_ino, after.st_mtime_ns) == (copied.st_ino, copied.st_mtime_ns)
    assert sorted(Path(BACKUP_FOLDER).iterdir()) == backups
