"""Tests of creating a new workbook file whole or not at all."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import openpyxl
import pytest

import sync.new_workbook as new_workbook
from config.errors import SourceError
from sync.new_workbook import save_new_workbook


def small_workbook() -> openpyxl.Workbook:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Deal ID", "Stage"])
    return workbook


def interrupt_on_call(number: int) -> object:
    """Return an os.fsync that raises KeyboardInterrupt on its ``number``-th call."""
    calls = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        calls.append(descriptor)
        if len(calls) == number:
            raise KeyboardInterrupt
        real_fsync(descriptor)

    return fsync


def link_not_supported(source: object, target: object) -> None:
    raise OSError(errno.EPERM, "Operation not permitted")


def test_new_workbook_created_whole(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.xlsx"

    size = save_new_workbook(small_workbook(), path)

    assert path.stat().st_size == size
    assert openpyxl.load_workbook(path).active["A1"].value == "Deal ID"
    assert sorted(tmp_path.iterdir()) == [path]


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_new_workbook_mode_follows_umask(tmp_path: Path, umask: int) -> None:
    path = tmp_path / "pipeline.xlsx"
    previous = os.umask(umask)
    try:
        save_new_workbook(small_workbook(), path)
    finally:
        os.umask(previous)

    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_interrupted_write_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "pipeline.xlsx"
    monkeypatch.setattr(new_workbook.os, "fsync", interrupt_on_call(1))

    with pytest.raises(KeyboardInterrupt):
        save_new_workbook(small_workbook(), path)

    assert list(tmp_path.iterdir()) == []


def test_file_created_meanwhile_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "pipeline.xlsx"
    real_link = os.link

    def link_after_other_writer(source: Path, target: Path) -> None:
        Path(target).write_bytes(b"another program's file")
        real_link(source, target)

    monkeypatch.setattr(new_workbook.os, "link", link_after_other_writer)

    with pytest.raises(SourceError, match="the file already exists"):
        save_new_workbook(small_workbook(), path)

    assert path.read_bytes() == b"another program's file"
    assert sorted(tmp_path.iterdir()) == [path]


def test_folder_without_hard_links_gets_file_written_directly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "pipeline.xlsx"
    monkeypatch.setattr(new_workbook.os, "link", link_not_supported)

    size = save_new_workbook(small_workbook(), path)

    assert path.stat().st_size == size
    assert openpyxl.load_workbook(path).active["A1"].value == "Deal ID"
    assert sorted(tmp_path.iterdir()) == [path]


def test_interrupted_direct_write_removes_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "pipeline.xlsx"
    monkeypatch.setattr(new_workbook.os, "link", link_not_supported)
    # The first sync is the temporary file's, the second the direct write's.
    monkeypatch.setattr(new_workbook.os, "fsync", interrupt_on_call(2))

    with pytest.raises(KeyboardInterrupt):
        save_new_workbook(small_workbook(), path)

    assert list(tmp_path.iterdir()) == []
