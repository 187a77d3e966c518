"""Tests of the atomic file writer, backups, fingerprints and lock files."""

from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import re
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pytest

from config.errors import UnsupportedWorkbookError, WorkbookReadOnlyError
from sync.atomic import (
    BACKUP_FOLDER,
    NAME_MAX_BYTES,
    TEMPORARY_SUFFIX,
    find_lock_file,
    fitted_name,
    has_changed,
    list_backups,
    read_with_fingerprint,
    remove_stale_temporaries,
    take_fingerprint,
    write_atomically,
)
from tests.fifo_files import released_fifo


def write_bytes(content: bytes) -> Callable[[BinaryIO], None]:
    def write(file: BinaryIO) -> None:
        file.write(content)

    return write


def leftover_temporary_files(folder: Path) -> list[Path]:
    return [path for path in folder.iterdir() if path.name.endswith(TEMPORARY_SUFFIX)]


@pytest.fixture
def target(tmp_path: Path) -> Path:
    path = tmp_path / "Pipeline.xlsx"
    path.write_bytes(b"version 1")
    return path


def test_write_replaces_content(target: Path) -> None:
    size = write_atomically(target, write_bytes(b"version 2"))

    assert target.read_bytes() == b"version 2"
    assert size == len(b"version 2")


def test_write_creates_missing_file(tmp_path: Path) -> None:
    target = tmp_path / "new.xlsx"

    write_atomically(target, write_bytes(b"fresh"))

    assert target.read_bytes() == b"fresh"
    assert not (tmp_path / BACKUP_FOLDER).exists()


def test_failed_write_keeps_original(target: Path) -> None:
    def fail_midway(file: BinaryIO) -> None:
        file.write(b"half a workb")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, fail_midway)

    assert target.read_bytes() == b"version 1"
    assert leftover_temporary_files(target.parent) == []
    assert list_backups(target) == []


def test_cancelled_replace_keeps_original(target: Path) -> None:
    def cancel() -> None:
        raise RuntimeError("changed meanwhile")

    with pytest.raises(RuntimeError, match="changed meanwhile"):
        write_atomically(target, write_bytes(b"version 2"), before_replace=cancel)

    assert target.read_bytes() == b"version 1"
    assert leftover_temporary_files(target.parent) == []


def test_backup_keeps_previous_version(target: Path) -> None:
    write_atomically(target, write_bytes(b"version 2"))

    backups = list_backups(target)
    assert len(backups) == 1
    assert backups[0].read_bytes() == b"version 1"
    assert backups[0].parent.name == BACKUP_FOLDER


def test_backup_name_has_utc_stamp(target: Path) -> None:
    write_atomically(target, write_bytes(b"version 2"))

    name = list_backups(target)[0].name
    assert re.fullmatch(r"Pipeline\.\d{8}T\d{12}Z\.xlsx", name)


def test_backups_bounded_to_count(target: Path) -> None:
    for version in range(2, 7):
        write_atomically(target, write_bytes(b"version %d" % version), backups=2)

    contents = [path.read_bytes() for path in list_backups(target)]
    assert contents == [b"version 5", b"version 4"]


def test_zero_backups_keeps_none(target: Path) -> None:
    write_atomically(target, write_bytes(b"version 2"), backups=0)

    assert not (target.parent / BACKUP_FOLDER).exists()


def test_backups_of_other_files_untouched(target: Path) -> None:
    other = target.with_name("Pipeline archive.xlsx")
    other.write_bytes(b"other 1")
    write_atomically(other, write_bytes(b"other 2"))

    for version in range(2, 5):
        write_atomically(target, write_bytes(b"version %d" % version), backups=1)

    assert [path.read_bytes() for path in list_backups(other)] == [b"other 1"]


# 76 CJK characters of 3 bytes and ".xlsx": 233 bytes, a name the file system
# accepts, but too long for ".NAME.XXXXXXXX.pipesheet-tmp".
LONG_NAME = "销" * 76 + ".xlsx"


def test_long_name_written_with_backup(tmp_path: Path) -> None:
    target = tmp_path / LONG_NAME
    target.write_bytes(b"old")

    write_atomically(target, write_bytes(b"new"))

    assert target.read_bytes() == b"new"
    backups = list_backups(target)
    assert len(backups) == 1
    assert backups[0].read_bytes() == b"old"
    assert len(os.fsencode(backups[0].name)) <= NAME_MAX_BYTES
    assert leftover_temporary_files(tmp_path) == []


def test_long_name_temporary_fits(tmp_path: Path) -> None:
    target = tmp_path / LONG_NAME
    names: list[str] = []

    def write(file: BinaryIO) -> None:
        names.append(Path(file.name).name)
        file.write(b"new")

    write_atomically(target, write)

    assert len(os.fsencode(names[0])) <= NAME_MAX_BYTES
    assert names[0].endswith(TEMPORARY_SUFFIX)


def test_long_name_stale_temporary_removed(tmp_path: Path) -> None:
    target = tmp_path / LONG_NAME
    # ".NAME." + process id (up to 7 digits) + "." + host tag (8 hex digits)
    # + "." + 8 random characters + suffix.
    name = f".{fitted_name(LONG_NAME, 41)}.4321.0123abcd.abcd1234{TEMPORARY_SUFFIX}"
    left = tmp_path / name
    left.write_bytes(b"partial")
    os.utime(left, (0, 0))

    removed = remove_stale_temporaries(target, dt.timedelta(minutes=1))

    assert removed == [left]


@pytest.mark.parametrize(
    ("name", "extra", "expected"),
    [
        ("Pipeline.xlsx", 24, "Pipeline.xlsx"),
        ("a" * 231, 24, "a" * 231),
        ("a" * 232, 24, "a" * 218 + "~"),
        ("销" * 76 + ".xlsx", 24, "销" * 72 + "~"),
    ],
    ids=["short", "at-limit", "one-over", "cjk"],
)
def test_fitted_name_fits(name: str, extra: int, expected: str) -> None:
    fitted = fitted_name(name, extra)

    assert fitted.startswith(expected)
    assert len(os.fsencode(fitted)) <= NAME_MAX_BYTES - extra


def test_fitted_names_of_alike_names_differ() -> None:
    first = fitted_name("a" * 300 + "1.xlsx", 24)
    second = fitted_name("a" * 300 + "2.xlsx", 24)

    assert first != second


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_write_keeps_file_permissions(target: Path) -> None:
    target.chmod(0o640)

    write_atomically(target, write_bytes(b"version 2"))

    assert stat.S_IMODE(target.stat().st_mode) == 0o640


READ_ONLY_MESSAGE = (
    "Workbook 'Pipeline.xlsx' is read-only; nothing was written. Make it "
    "writable or pass --output PATH."
)


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_read_only_file_not_replaced(target: Path) -> None:
    target.chmod(0o444)

    with pytest.raises(WorkbookReadOnlyError) as raised:
        write_atomically(target, write_bytes(b"version 2"))

    assert str(raised.value) == READ_ONLY_MESSAGE
    assert target.read_bytes() == b"version 1"
    assert stat.S_IMODE(target.stat().st_mode) == 0o444
    assert leftover_temporary_files(target.parent) == []
    assert list_backups(target) == []


def test_fifo_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "copy.xlsx"
    link = tmp_path / "link.xlsx"
    link.symlink_to(fifo.name)

    with released_fifo(fifo):
        with pytest.raises(UnsupportedWorkbookError) as raised:
            write_atomically(link, write_bytes(b"version 2"))

        assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert str(raised.value) == (
        f"File {str(fifo)!r} is a FIFO (named pipe), not a regular file, so "
        "pipesheet does not replace it with a workbook; nothing was written. "
        "Pass the path of a workbook file."
    )
    assert leftover_temporary_files(tmp_path) == []
    assert not (tmp_path / BACKUP_FOLDER).exists()


@pytest.mark.skipif(not hasattr(os, "statvfs"), reason="POSIX statvfs")
@pytest.mark.parametrize(
    "mode", [0o644, 0o444], ids=["writable-mode", "read-only-mode"]
)
def test_read_only_file_system_named(
    target: Path, monkeypatch: pytest.MonkeyPatch, mode: int
) -> None:
    # Stands in for a file system mounted read-only, where access() fails with
    # EROFS whatever the file's mode.
    target.chmod(mode)
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    statvfs = os.statvfs
    monkeypatch.setattr(os, "statvfs", lambda path: _read_only_status(statvfs(path)))

    with pytest.raises(WorkbookReadOnlyError) as raised:
        write_atomically(target, write_bytes(b"version 2"))

    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx' is on a read-only file system (folder "
        f"{str(target.parent)!r}). Nothing was written. Remount it read-write, "
        "or pass --output PATH on a writable file system."
    )
    assert target.read_bytes() == b"version 1"
    assert leftover_temporary_files(target.parent) == []


def _read_only_status(status: os.statvfs_result) -> os.statvfs_result:
    fields = list(status)
    fields[8] = status.f_flag | os.ST_RDONLY  # f_flag is the ninth field.
    return os.statvfs_result(fields)


def unwritable_folder_message(target: Path) -> str:
    return (
        f"Folder {str(target.parent)!r} of workbook 'Pipeline.xlsx' is not "
        "writable. pipesheet writes the new workbook to a temporary file in that "
        "folder and renames it over the old one, so it needs to create files "
        "there. Nothing was written. Make the folder writable, or pass --output "
        "PATH in a writable folder."
    )


@pytest.mark.parametrize(
    "code", [errno.EACCES, errno.EPERM], ids=["no-write-permission", "immutable"]
)
def test_unwritable_folder_named(
    target: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    # Root creates files in a folder of mode 555, so the refusal is faked:
    # EACCES as for a folder without write permission, EPERM as for one
    # marked immutable with chattr +i.
    def denied(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(code, os.strerror(code), str(target.parent))

    monkeypatch.setattr(tempfile, "mkstemp", denied)

    with pytest.raises(WorkbookReadOnlyError) as raised:
        write_atomically(target, write_bytes(b"version 2"))

    assert str(raised.value) == unwritable_folder_message(target)
    assert target.read_bytes() == b"version 1"


@pytest.mark.skipif(
    os.name == "nt" or os.geteuid() == 0,
    reason="POSIX folder permissions, which root bypasses",
)
def test_read_only_folder_named(target: Path) -> None:
    target.parent.chmod(0o555)
    try:
        with pytest.raises(WorkbookReadOnlyError) as raised:
            write_atomically(target, write_bytes(b"version 2"))
    finally:
        target.parent.chmod(0o755)

    assert str(raised.value) == unwritable_folder_message(target)
    assert target.read_bytes() == b"version 1"


UNREPLACEABLE_MESSAGE = (
    "does not allow replacing workbook 'Pipeline.xlsx'. pipesheet writes the "
    "new workbook to a temporary file in that folder and renames it over the "
    "old one, which a folder with the sticky bit (mode +t) allows only the "
    "workbook's owner, and an append-only folder allows nobody. Nothing was "
    "written. Run pipesheet as the workbook's owner, or pass --output PATH in "
    "another folder."
)


def denied_for_temporaries(function: Callable[..., None]) -> Callable[..., None]:
    """Return ``function`` raising EPERM for temporary files, as chattr +a does."""

    def guarded(path: str | Path, *args: object, **kwargs: object) -> None:
        if os.fspath(path).endswith(TEMPORARY_SUFFIX):
            raise PermissionError(errno.EPERM, "Operation not permitted", path)
        function(path, *args, **kwargs)

    return guarded


def test_rejected_rename_names_folder(
    target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stands in for a sticky folder and a workbook of another owner.
    monkeypatch.setattr(os, "replace", denied_for_temporaries(os.replace))

    with pytest.raises(WorkbookReadOnlyError) as raised:
        write_atomically(target, write_bytes(b"version 2"), backups=0)

    folder = str(target.parent)
    assert str(raised.value) == f"Folder {folder!r} {UNREPLACEABLE_MESSAGE}"
    assert target.read_bytes() == b"version 1"
    assert leftover_temporary_files(target.parent) == []


def test_kept_temporary_does_not_hide_error(
    target: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Stands in for an append-only folder: no rename and no removal.
    monkeypatch.setattr(os, "replace", denied_for_temporaries(os.replace))
    monkeypatch.setattr(os, "unlink", denied_for_temporaries(os.unlink))

    with caplog.at_level(logging.WARNING, logger="sync.atomic"):
        with pytest.raises(WorkbookReadOnlyError) as raised:
            write_atomically(target, write_bytes(b"version 2"), backups=0)

    [temporary] = leftover_temporary_files(target.parent)
    assert UNREPLACEABLE_MESSAGE in str(raised.value)
    assert [record.getMessage() for record in caplog.records] == [
        (
            f"Temporary file {temporary} could not be removed: Operation not "
            "permitted. It contains the deal data, so delete it once the folder "
            "allows it."
        )
    ]


def test_stale_temporary_kept_if_denied(
    target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = target.parent / f".{target.name}.99999.0000aaaa.abcdefgh{TEMPORARY_SUFFIX}"
    stale.write_bytes(b"old")
    os.utime(stale, (0, 0))
    monkeypatch.setattr(os, "unlink", denied_for_temporaries(os.unlink))

    removed = remove_stale_temporaries(target, dt.timedelta(0))

    assert removed == []
    assert stale.exists()


def test_file_without_access_not_replaced(
    target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stands in for a file owned by another user, which root could still write.
    monkeypatch.setattr(os, "access", lambda path, mode: False)

    with pytest.raises(WorkbookReadOnlyError) as raised:
        write_atomically(target, write_bytes(b"version 2"))

    assert str(raised.value) == READ_ONLY_MESSAGE
    assert target.read_bytes() == b"version 1"


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="only root may give a file to another owner and group",
)
def test_write_keeps_owner_and_group(target: Path) -> None:
    os.chown(target, 4321, 8765)

    write_atomically(target, write_bytes(b"version 2"))

    assert target.stat().st_uid == 4321
    assert target.stat().st_gid == 8765


@pytest.mark.skipif(os.name == "nt", reason="POSIX owners")
def test_owner_not_kept_still_writes(
    target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: Path, uid: int, gid: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "chown", refuse)

    write_atomically(target, write_bytes(b"version 2"))

    assert target.read_bytes() == b"version 2"


def test_fingerprint_of_read_matches_file(target: Path) -> None:
    data, fingerprint = read_with_fingerprint(target)

    assert data == b"version 1"
    assert fingerprint == take_fingerprint(target)


def test_unchanged_file_not_changed(target: Path) -> None:
    fingerprint = take_fingerprint(target)

    assert not has_changed(target, fingerprint)


def test_edited_file_changed(target: Path) -> None:
    fingerprint = take_fingerprint(target)

    target.write_bytes(b"version 1 plus an edit")

    assert has_changed(target, fingerprint)


def test_touched_file_not_changed(target: Path) -> None:
    fingerprint = take_fingerprint(target)

    os.utime(target, ns=(fingerprint.mtime_ns + 10**9, fingerprint.mtime_ns + 10**9))

    assert not has_changed(target, fingerprint)


def test_deleted_file_changed(target: Path) -> None:
    fingerprint = take_fingerprint(target)

    target.unlink()

    assert has_changed(target, fingerprint)


def test_excel_lock_names_owner(target: Path) -> None:
    owner = "Alice Chen".encode("cp1252")
    lock_path = target.with_name("~$Pipeline.xlsx")
    lock_path.write_bytes(bytes([len(owner)]) + owner + b" " * 40 + b"\x00" * 100)

    lock = find_lock_file(target)

    assert lock is not None
    assert lock.application == "Excel"
    assert lock.owner == "Alice Chen"
    assert lock.path == lock_path


def test_libreoffice_lock_names_owner(target: Path) -> None:
    lock_path = target.with_name(".~lock.Pipeline.xlsx#")
    lock_path.write_text(",bob,laptop,04.12.2026 10:31,file:///home/bob/.config;")

    lock = find_lock_file(target)

    assert lock is not None
    assert lock.application == "LibreOffice"
    assert lock.owner == "bob"


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"", None), (b"\xff\x00", None), (b"\x05ab", None)],
    ids=["empty", "length-too-long", "shorter-than-length"],
)
def test_excel_lock_unreadable_owner(
    target: Path, content: bytes, expected: str | None
) -> None:
    target.with_name("~$Pipeline.xlsx").write_bytes(content)

    lock = find_lock_file(target)

    assert lock is not None
    assert lock.owner == expected


def test_no_lock_file_found(target: Path) -> None:
    assert find_lock_file(target) is None


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges")
@pytest.mark.parametrize(
    ("lock_name", "link_name"),
    [
        ("~$Pipeline.xlsx", "mine/Pipeline.xlsx"),
        (".~lock.Pipeline.xlsx#", "mine/Pipeline.xlsx"),
        (".~lock.Pipeline.xlsx#", "deals.xlsx"),
    ],
    ids=["excel-other-folder", "libreoffice-other-folder", "libreoffice-other-name"],
)
def test_lock_beside_link_target_found(
    target: Path, lock_name: str, link_name: str
) -> None:
    lock_path = target.with_name(lock_name)
    lock_path.write_text(",bob,laptop,04.12.2026 10:31,file:///home/bob/.config;")
    link = target.parent / link_name
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(target)

    lock = find_lock_file(link)

    assert lock is not None
    assert lock.path == lock_path


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges")
def test_lock_beside_link_found(target: Path) -> None:
    link = target.parent / "mine" / "deals.xlsx"
    link.parent.mkdir()
    link.symlink_to(target)
    lock_path = link.with_name(".~lock.deals.xlsx#")
    lock_path.write_text(",bob,laptop,04.12.2026 10:31,file:///home/bob/.config;")

    lock = find_lock_file(link)

    assert lock is not None
    assert lock.path == lock_path


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges")
def test_write_through_link_keeps_backup_beside_target(target: Path) -> None:
    original = target.read_bytes()
    link = target.parent / "mine" / "deals.xlsx"
    link.parent.mkdir()
    link.symlink_to(target)

    write_atomically(link, lambda file: file.write(b"new"), backups=1)

    assert link.is_symlink()
    assert target.read_bytes() == b"new"
    assert [path.read_bytes() for path in list_backups(target)] == [original]
    assert not (link.parent / ".pipesheet-backups").exists()


def test_identical_content_left_alone(target: Path) -> None:
    before = target.stat()
    checks: list[str] = []

    size = write_atomically(
        target, write_bytes(b"version 1"), before_replace=lambda: checks.append("ran")
    )

    after = target.stat()
    assert size is None
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert not (target.parent / BACKUP_FOLDER).exists()
    assert leftover_temporary_files(target.parent) == []
    assert checks == []


def test_same_size_other_bytes_written(target: Path) -> None:
    size = write_atomically(target, write_bytes(b"version 9"))

    assert size == len(b"version 9")
    assert target.read_bytes() == b"version 9"
    assert len(list_backups(target)) == 1


def test_name_at_limit_has_no_lock_file(tmp_path: Path) -> None:
    # 255 bytes: the lock files' prefixes would make their names too long.
    target = tmp_path / ("a" * 250 + ".xlsx")
    target.write_bytes(b"book")

    assert find_lock_file(target) is None


def test_name_at_limit_written(tmp_path: Path) -> None:
    target = tmp_path / ("a" * 250 + ".xlsx")
    target.write_bytes(b"old")

    write_atomically(target, lambda file: file.write(b"new"))

    assert target.read_bytes() == b"new"
