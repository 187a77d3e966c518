"""Tests of removing temporary files that a killed write left behind."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import BinaryIO

import pytest
from click.testing import CliRunner

from config.models import Locale
from sync.atomic import (
    remove_stale_temporaries,
    remove_temporaries_of_process,
    write_atomically,
)
from sync.cli import cli
from sync.starter import build_starter_workbook

HOUR = dt.timedelta(hours=1)
AS_OF = dt.date(2025, 9, 30)


def leave_temporary(folder: Path, name: str, age: dt.timedelta) -> Path:
    path = folder / name
    path.write_bytes(b"PK\x03\x04 partial")
    moment = (dt.datetime.now(dt.UTC) - age).timestamp()
    os.utime(path, (moment, moment))
    return path


@pytest.mark.parametrize(
    "workbook",
    ["pipeline.xlsx", "Q3 [draft].xlsx", "销售管道.xlsx"],
    ids=["plain", "brackets", "chinese"],
)
def test_old_temporary_removed(tmp_path: Path, workbook: str) -> None:
    target = tmp_path / workbook
    stale = leave_temporary(tmp_path, f".{workbook}.x1y2z3w4.pipesheet-tmp", 2 * HOUR)
    assert remove_stale_temporaries(target, HOUR) == [stale]
    assert not stale.exists()


def test_recent_temporary_kept(tmp_path: Path) -> None:
    recent = leave_temporary(
        tmp_path, ".pipeline.xlsx.a1b2c3d4.pipesheet-tmp", HOUR / 2
    )
    assert remove_stale_temporaries(tmp_path / "pipeline.xlsx", HOUR) == []
    assert recent.exists()


@pytest.mark.parametrize(
    "name",
    [
        ".other.xlsx.a1b2c3d4.pipesheet-tmp",
        ".pipeline.xlsx.a1b2c3d4.tmp",
        "pipeline.xlsx.a1b2c3d4.pipesheet-tmp",
    ],
    ids=["other-workbook", "other-suffix", "not-hidden"],
)
def test_unrelated_file_kept(tmp_path: Path, name: str) -> None:
    unrelated = leave_temporary(tmp_path, name, 2 * HOUR)
    assert remove_stale_temporaries(tmp_path / "pipeline.xlsx", HOUR) == []
    assert unrelated.exists()


def test_temporary_of_real_write_matches(tmp_path: Path) -> None:
    target = tmp_path / "pipeline.xlsx"
    left: list[Path] = []

    def interrupted(file: BinaryIO) -> None:
        left.extend(tmp_path.glob(".pipeline.xlsx.*"))
        raise KeyboardInterrupt  # The write stops here, as a kill would stop it.

    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, interrupted)
    stale = leave_temporary(tmp_path, left[0].name, 2 * HOUR)
    assert remove_stale_temporaries(target, HOUR) == [stale]


def test_write_without_state_removes_old_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    build_starter_workbook(tmp_path / "pipeline.xlsx", Locale.EN, as_of=AS_OF)
    old = leave_temporary(tmp_path, ".pipeline.xlsx.a1b2c3d4.pipesheet-tmp", HOUR)
    recent = leave_temporary(
        tmp_path, ".pipeline.xlsx.e5f6g7h8.pipesheet-tmp", dt.timedelta(minutes=5)
    )
    arguments = ["run", "b2b-en", "--source", "pipeline.xlsx", "--no-state", "-q"]

    result = CliRunner().invoke(cli, [*arguments, "--as-of", AS_OF.isoformat()])

    assert result.exit_code == 0, result.output
    assert not old.exists()
    assert recent.exists()


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges")
def test_old_temporary_beside_link_target_removed(tmp_path: Path) -> None:
    real = tmp_path / "team" / "pipeline.xlsx"
    real.parent.mkdir()
    real.write_bytes(b"PK\x03\x04")
    link = tmp_path / "mine" / "deals.xlsx"
    link.parent.mkdir()
    link.symlink_to(real)
    stale = leave_temporary(
        real.parent, ".pipeline.xlsx.x1y2z3w4.pipesheet-tmp", 2 * HOUR
    )

    assert remove_stale_temporaries(link, HOUR) == [stale]
    assert not stale.exists()


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges")
def test_killed_process_temporaries_beside_link_target_removed(
    tmp_path: Path,
) -> None:
    real = tmp_path / "team" / "pipeline.xlsx"
    real.parent.mkdir()
    link = tmp_path / "deals.xlsx"
    link.symlink_to(real)
    killed = leave_temporary(
        real.parent, ".pipeline.xlsx.4242.k1l2m3n4.pipesheet-tmp", 0 * HOUR
    )

    assert remove_temporaries_of_process(link, 4242) == [killed]
    assert not killed.exists()


def host_tag(host: str) -> str:
    return hashlib.sha256(host.encode()).hexdigest()[:8]


def ended_process_id() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def this_host(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(socket, "gethostname", lambda: "sales-laptop")
    return host_tag("sales-laptop")


@pytest.mark.skipif(os.name == "nt", reason="process ids are not checked on Windows")
def test_ended_writer_temporary_removed(tmp_path: Path, this_host: str) -> None:
    pid = ended_process_id()
    name = f".pipeline.xlsx.{pid}.{this_host}.k1l2m3n4.pipesheet-tmp"
    ended = leave_temporary(tmp_path, name, 0 * HOUR)

    assert remove_stale_temporaries(tmp_path / "pipeline.xlsx", HOUR) == [ended]
    assert not ended.exists()


def test_running_writer_temporary_kept(tmp_path: Path, this_host: str) -> None:
    name = f".pipeline.xlsx.{os.getppid()}.{this_host}.k1l2m3n4.pipesheet-tmp"
    running = leave_temporary(tmp_path, name, 0 * HOUR)

    assert remove_stale_temporaries(tmp_path / "pipeline.xlsx", HOUR) == []
    assert running.exists()


@pytest.mark.parametrize(
    "writer",
    ["{pid}.{other_host}", "{pid}"],
    ids=["other-host", "no-host-tag"],
)
def test_recent_temporary_of_unknown_writer_kept(
    tmp_path: Path, this_host: str, writer: str
) -> None:
    tag = writer.format(pid=ended_process_id(), other_host=host_tag("server-2"))
    name = f".pipeline.xlsx.{tag}.k1l2m3n4.pipesheet-tmp"
    recent = leave_temporary(tmp_path, name, HOUR / 2)

    assert remove_stale_temporaries(tmp_path / "pipeline.xlsx", HOUR) == []
    assert recent.exists()


@pytest.mark.skipif(os.name == "nt", reason="process ids are not checked on Windows")
def test_write_without_state_removes_ended_writer_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, this_host: str
) -> None:
    monkeypatch.chdir(tmp_path)
    build_starter_workbook(tmp_path / "pipeline.xlsx", Locale.EN, as_of=AS_OF)
    ended = leave_temporary(
        tmp_path,
        f".pipeline.xlsx.{ended_process_id()}.{this_host}.a1b2c3d4.pipesheet-tmp",
        dt.timedelta(minutes=1),
    )
    running = leave_temporary(
        tmp_path,
        f".pipeline.xlsx.{os.getppid()}.{this_host}.e5f6g7h8.pipesheet-tmp",
        dt.timedelta(minutes=1),
    )
    arguments = ["run", "b2b-en", "--source", "pipeline.xlsx", "--no-state", "-q"]

    result = CliRunner().invoke(cli, [*arguments, "--as-of", AS_OF.isoformat()])

    assert result.exit_code == 0, result.output
    assert not ended.exists()
    assert running.exists()


def test_real_temporary_names_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, this_host: str
) -> None:
    names: list[str] = []

    def write(file: BinaryIO) -> None:
        names.append(Path(file.name).name)
        file.write(b"new")

    write_atomically(tmp_path / "pipeline.xlsx", write)

    assert names[0].startswith(f".pipeline.xlsx.{os.getpid()}.{this_host}.")


def test_killed_process_temporaries_removed(tmp_path: Path) -> None:
    target = tmp_path / "pipeline.xlsx"
    killed = leave_temporary(
        tmp_path, ".pipeline.xlsx.4242.k1l2m3n4.pipesheet-tmp", 0 * HOUR
    )
    other_process = leave_temporary(
        tmp_path, ".pipeline.xlsx.42421.a1b2c3d4.pipesheet-tmp", 0 * HOUR
    )
    other_workbook = leave_temporary(
        tmp_path, ".other.xlsx.4242.a1b2c3d4.pipesheet-tmp", 0 * HOUR
    )

    assert remove_temporaries_of_process(target, 4242) == [killed]
    assert not killed.exists()
    assert other_process.exists()
    assert other_workbook.exists()


def test_real_temporary_names_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "pipeline.xlsx"
    left: list[Path] = []

    def interrupted(file: BinaryIO) -> None:
        raise KeyboardInterrupt

    # A killed writer never removes its file, so the removal is skipped.
    monkeypatch.setattr(
        Path, "unlink", lambda path, missing_ok=False: left.append(path)
    )
    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, interrupted)
    monkeypatch.undo()

    assert remove_temporaries_of_process(target, os.getpid()) == left
    assert list(tmp_path.iterdir()) == []
