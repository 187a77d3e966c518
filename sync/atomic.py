"""Safe local file writes: temporary file, fsync, rename, bounded backups.

A workbook on disk is only ever replaced whole. The new content goes to a
temporary file in the same folder, is flushed to disk, and is renamed over the
target with :func:`os.replace`. Both paths are on one file system, so the rename
is atomic and a reader sees either the old file or the new one, never a
truncated mix.

This module also fingerprints a file (to notice edits made during a run) and
finds the lock files Excel and LibreOffice leave beside a workbook they have
open.
"""

from __future__ import annotations

import datetime as dt
import errno
import glob
import hashlib
import logging
import os
import re
import shutil
import socket
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from config.errors import UnsupportedWorkbookError, WorkbookReadOnlyError
from config.file_kinds import file_kind
from sync.interrupts import (
    finished_write,
    interrupts_held_back,
    reached_commit_point,
)

logger = logging.getLogger(__name__)

BACKUP_FOLDER = ".pipesheet-backups"
TEMPORARY_SUFFIX = ".pipesheet-tmp"
_BACKUP_STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"
_BACKUP_STAMP_PATTERN = r"\d{8}T\d{12}Z"
_HASH_CHUNK_BYTES = 1 << 20
# The maximum file name length in bytes on Linux (NAME_MAX of ext4, XFS, Btrfs
# and tmpfs). NTFS allows 255 UTF-16 units, and a name never has more UTF-16
# units than UTF-8 bytes, so a name within this limit fits there too.
NAME_MAX_BYTES = 255
# Characters of a long name's SHA-256 that replace the part cut off it.
_NAME_HASH_LENGTH = 12
# The random part of a tempfile.mkstemp name is 8 characters (CPython 3.11).
_MKSTEMP_RANDOM_LENGTH = 8
# The maximum number of digits of a Linux process id: 64-bit kernels cap
# pid_max at 4194304 (2**22).
_PID_DIGITS = 7
# Hex digits of the SHA-256 of the host name in a temporary file's name. A
# hash keeps any host name, whatever its length and characters, to one size.
_HOST_TAG_LENGTH = 8


@dataclass(frozen=True)
class Fingerprint:
    """The state of a file at one moment: size, modification time and SHA-256."""

    size: int
    mtime_ns: int
    sha256: str

    def same_content(self, other: Fingerprint) -> bool:
        """Return True when both fingerprints describe the same bytes."""
        return self.size == other.size and self.sha256 == other.sha256


@dataclass(frozen=True)
class LockFile:
    """A lock file an office application keeps beside a workbook it has open."""

    path: Path
    application: str
    owner: str | None


def read_with_fingerprint(path: Path) -> tuple[bytes, Fingerprint]:
    """Read a whole file and fingerprint exactly the bytes that were read.

    :raises OSError: if the file cannot be opened or read.
    """
    with path.open("rb") as file:
        status = os.fstat(file.fileno())
        data = file.read()

    digest = hashlib.sha256(data).hexdigest()
    return data, Fingerprint(len(data), status.st_mtime_ns, digest)


def take_fingerprint(path: Path) -> Fingerprint:
    """Fingerprint a file without keeping its content in memory.

    :raises OSError: if the file cannot be opened or read.
    """
    digest = hashlib.sha256()
    with path.open("rb") as file:
        status = os.fstat(file.fileno())
        for chunk in iter(lambda: file.read(_HASH_CHUNK_BYTES), b""):
            digest.update(chunk)

    return Fingerprint(status.st_size, status.st_mtime_ns, digest.hexdigest())


def has_changed(path: Path, fingerprint: Fingerprint) -> bool:
    """Return True when the file's content differs from the fingerprint.

    An unchanged size and modification time are taken as unchanged content
    without hashing. Otherwise the file is hashed, so a mere ``touch`` or a sync
    client rewriting identical bytes does not count as a change. A missing file
    counts as changed.
    """
    try:
        status = path.stat()
    except FileNotFoundError:
        return True

    if (status.st_size, status.st_mtime_ns) == (fingerprint.size, fingerprint.mtime_ns):
        return False
    return not take_fingerprint(path).same_content(fingerprint)


def written_file(target: Path) -> Path:
    """Return the file a write of ``target`` replaces: the file a link points at.

    Replacing a symbolic link would swap the link for a file and leave the
    workbook it points at unchanged, so writes, backups and temporary files go
    beside the link's final target. A path that is not a link is returned as it is.
    """
    if not target.is_symlink():
        return target
    # os.path.realpath, unlike Path.resolve in Python 3.11, returns a path for a
    # link loop instead of raising RuntimeError, and the write then fails with
    # an OSError the caller reports.
    return Path(os.path.realpath(target))


def find_lock_file(workbook: Path) -> LockFile | None:
    """Return the Excel or LibreOffice lock file of a workbook, if any.

    Excel keeps ``~$<name>`` and LibreOffice ``.~lock.<name>#`` in the
    workbook's folder while the workbook is open. A crash can leave either
    behind, which is why callers should say the file may be deleted by hand.
    For a workbook reached through a symbolic link, both the link's folder
    and the folder of the file it points at are checked, because the
    application may have opened either path.
    """
    lock = _find_lock_file_beside(workbook)
    real = written_file(workbook)
    if lock is None and real != workbook:
        lock = _find_lock_file_beside(real)
    return lock


def _find_lock_file_beside(workbook: Path) -> LockFile | None:
    excel_lock = workbook.with_name("~$" + workbook.name)
    if _is_lock_file(excel_lock):
        return LockFile(excel_lock, "Excel", _read_excel_owner(excel_lock))

    libreoffice_lock = workbook.with_name(f".~lock.{workbook.name}#")
    if _is_lock_file(libreoffice_lock):
        owner = _read_libreoffice_owner(libreoffice_lock)
        return LockFile(libreoffice_lock, "LibreOffice", owner)
    return None


def _is_lock_file(path: Path) -> bool:
    # A workbook name near the file system's limit leaves no room for the
    # lock's prefix, so no program can have made that lock file.
    try:
        return path.is_file()
    except OSError as error:
        if error.errno == errno.ENAMETOOLONG:
            return False
        raise


def _read_excel_owner(lock: Path) -> str | None:
    # Excel's owner file starts with one byte giving the length of the user's
    # display name, followed by the name in the system code page. Microsoft does
    # not document the layout, so anything that does not fit yields no owner.
    try:
        data = lock.read_bytes()[:256]
    except OSError:
        return None
    if not data or not 0 < data[0] < len(data):
        return None

    name = data[1 : 1 + data[0]].decode("cp1252", errors="replace")
    return _printable_owner(name)


def _read_libreoffice_owner(lock: Path) -> str | None:
    # The lock is one CSV line: LibreOffice user name, system user name, host,
    # time, user profile URL. The first field is empty when the user never
    # entered a name in LibreOffice's options.
    try:
        text = lock.read_text(encoding="utf-8", errors="replace")[:1024]
    except OSError:
        return None

    fields = text.split(",")
    for candidate in fields[:2]:
        owner = _printable_owner(candidate)
        if owner:
            return owner
    return None


def _printable_owner(name: str) -> str | None:
    cleaned = "".join(ch for ch in name if ch.isprintable()).strip()
    return cleaned or None


def write_atomically(
    target: Path,
    write: Callable[[BinaryIO], None],
    *,
    backups: int = 3,
    before_replace: Callable[[], None] | None = None,
) -> int | None:
    """Write a file through a temporary sibling and rename it over ``target``.

    ``write`` receives the open temporary file. ``before_replace`` runs after
    the new content is on disk and before the target is touched; it may raise
    to cancel the write. When ``target`` already exists and ``backups`` is
    positive, its current version is kept in :data:`BACKUP_FOLDER` beside it
    and only the newest ``backups`` copies of that file are kept.

    On any exception the temporary file is removed and ``target`` is left as it
    was. The new file keeps the permissions, owner and group of the one it
    replaces, as far as this process may set them.

    When ``target`` already contains exactly the new bytes, the temporary file
    is removed and nothing else happens: no backup, no rename, and
    ``before_replace`` does not run, so a second run writes no bytes to disk.

    :returns: the size in bytes of the file written, or None when ``target``
        already contained the same bytes.
    :raises WorkbookReadOnlyError: if ``target`` exists and is read-only, or
        its folder does not let this process create a file or rename one
        over ``target``.
    """
    target = written_file(target)
    check_writable(target)
    try:
        temporary = create_temporary_sibling(target)
    except PermissionError as error:
        raise unwritable_folder_error(target) from error
    try:
        size = _write_and_sync(temporary, write, target)
        if size is None:
            temporary.unlink()
            logger.debug("Left %s as it was: it contains the same bytes", target)
            return None
        _copy_owner(target, temporary)
        _copy_permissions(target, temporary)
        if before_replace is not None:
            before_replace()

        if backups > 0 and target.exists():
            _keep_backup(target, backups)
        reached_commit_point(target.name)
        try:
            os.replace(temporary, target)
        except PermissionError as error:
            raise unreplaceable_file_error(target) from error
        finished_write()
    except BaseException:
        with interrupts_held_back():
            _remove_temporary(temporary)
        raise

    sync_folder(target.parent)
    logger.debug("Replaced %s (%d bytes)", target, size)
    return size


def check_writable(
    target: Path, *, read_only_advice: str = "Make it writable or pass --output PATH."
) -> None:
    """Check that an existing file may be replaced; a missing file may be created.

    :func:`os.replace` needs only a writable folder, so without this check a
    read-only workbook would be replaced all the same. A file without any
    write bit counts as read-only even when the process may write it, as root
    may, because its owner made it read-only on purpose.

    :param read_only_advice: the message's advice for a read-only file.
    :raises WorkbookReadOnlyError: if the file exists and is read-only, or
        its folder's file system is mounted read-only.
    :raises UnsupportedWorkbookError: if the path is a folder, a FIFO, a
        socket or a device, which a rename would replace with a file.
    """
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        if _on_read_only_file_system(target.parent):
            raise read_only_file_system_error(target) from None
        return

    kind = file_kind(mode)
    if kind is not None:
        raise UnsupportedWorkbookError(
            f"File {str(target)!r} is {kind}, not a regular file, so pipesheet does "
            "not replace it with a workbook; nothing was written. Pass the path "
            "of a workbook file."
        )

    any_write_bit = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
    if mode & any_write_bit and os.access(target, os.W_OK):
        return
    # os.access also fails for a writable file on a file system mounted
    # read-only, where changing the file's mode would not help.
    if _on_read_only_file_system(target):
        raise read_only_file_system_error(target)
    raise WorkbookReadOnlyError(
        f"Workbook {target.name!r} is read-only; nothing was written. "
        f"{read_only_advice}"
    )


def read_only_file_system_error(target: Path) -> WorkbookReadOnlyError:
    """Return the error for writing ``target`` on a file system mounted read-only."""
    # The absolute folder, because "folder '.'" does not say what to remount.
    folder = os.path.abspath(target.parent)
    return WorkbookReadOnlyError(
        f"Workbook {target.name!r} is on a read-only file system (folder "
        f"{folder!r}). Nothing was written. Remount it "
        "read-write, or pass --output PATH on a writable file system."
    )


def unwritable_folder_error(target: Path) -> WorkbookReadOnlyError:
    """Return the error for a folder in which ``target``'s temporary file fails.

    A folder without write permission gives EACCES. One marked immutable
    (``chattr +i``) gives EPERM, even to root.

    """
    folder = os.path.abspath(target.parent)
    return WorkbookReadOnlyError(
        f"Folder {folder!r} of workbook {target.name!r} is not writable. "
        "pipesheet writes the new workbook to a temporary file in that folder "
        "and renames it over the old one, so it needs to create files there. "
        "Nothing was written. Make the folder writable, or pass --output PATH "
        "in a writable folder."
    )


def unreplaceable_file_error(target: Path) -> WorkbookReadOnlyError:
    """Return the error for a folder that rejects the rename over ``target``.

    A folder with the sticky bit (mode +t, as /tmp has) lets only the owner
    of a file, or of the folder, rename another file over it, even when the
    file is writable by others. A folder marked append-only (``chattr +a``)
    lets files be created there but not replaced.
    """
    folder = os.path.abspath(target.parent)
    return WorkbookReadOnlyError(
        f"Folder {folder!r} does not allow replacing workbook {target.name!r}. "
        "pipesheet writes the new workbook to a temporary file in that folder "
        "and renames it over the old one, which a folder with the sticky bit "
        "(mode +t) allows only the workbook's owner, and an append-only folder "
        "allows nobody. Nothing was written. Run pipesheet as the workbook's "
        "owner, or pass --output PATH in another folder."
    )


def _remove_temporary(temporary: Path) -> None:
    # An append-only folder rejects the removal too, and that error would
    # hide the one that ended the write.
    try:
        temporary.unlink(missing_ok=True)
    except OSError as error:
        _log_unremoved(temporary, error)


def _log_unremoved(temporary: Path, error: OSError) -> None:
    logger.warning(
        "Temporary file %s could not be removed: %s. It contains the deal data, "
        "so delete it once the folder allows it.",
        temporary,
        error.strerror or error,
    )


def _on_read_only_file_system(path: Path) -> bool:
    # statvfs is POSIX only, so on Windows no file system counts as read-only
    # here and the file's mode decides the message.
    if not hasattr(os, "statvfs"):
        return False
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def remove_stale_temporaries(target: Path, older_than: dt.timedelta) -> list[Path]:
    """Delete temporary files a killed writer of ``target`` left in its folder.

    :func:`write_atomically` removes its temporary file on any exception, but
    a process killed with SIGKILL (or a power cut) cannot. Only files named
    like this module's temporaries of ``target`` are deleted, and only when
    the process named in the file's name no longer runs on this host, or the
    file was last modified more than ``older_than`` ago. So a write in
    progress on this host keeps its file, and one on another host sharing the
    folder keeps it as long as it finishes within that time.

    :returns: the files deleted.
    """
    target = written_file(target)
    prefix = _temporary_prefix(target)
    cutoff = dt.datetime.now(dt.UTC).timestamp() - older_than.total_seconds()
    removed: list[Path] = []
    for path in target.parent.glob(f"{glob.escape(prefix)}*{TEMPORARY_SUFFIX}"):
        ended = _writer_has_ended(path.name[len(prefix) :])
        try:
            if path.is_file() and (ended or path.stat().st_mtime < cutoff):
                path.unlink()
                removed.append(path)
        except FileNotFoundError:
            continue  # Another process removed it first.
        except PermissionError as error:
            # An append-only folder keeps them, and they do not stop a write.
            _log_unremoved(path, error)
    if removed:
        logger.info(
            "Removed %d temporary files a stopped write of %s left behind",
            len(removed),
            target.name,
        )
    return removed


def fitted_name(name: str, extra_bytes: int) -> str:
    """Shorten ``name`` so that it and ``extra_bytes`` fit in NAME_MAX_BYTES.

    A name that fits is returned as it is. A longer one keeps its first whole
    characters and ends in ``~`` and a hash of the whole name, so two long
    names that start alike stay apart::

        "销" * 76 + ".xlsx", 24  →  "销" * 72 + "~" + 12 hex digits
    """
    room = NAME_MAX_BYTES - extra_bytes
    if len(os.fsencode(name)) <= room:
        return name

    digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:_NAME_HASH_LENGTH]
    start = name
    while start and len(os.fsencode(start)) > room - 1 - len(digest):
        start = start[:-1]
    return f"{start}~{digest}"


def _temporary_prefix(target: Path) -> str:
    # A temporary name is ".NAME." plus the writer's process id, a dot, its
    # host tag, a dot, mkstemp's random part and the suffix, so a NAME near
    # the limit is shortened to leave room for them.
    extra = (
        4
        + _PID_DIGITS
        + _HOST_TAG_LENGTH
        + _MKSTEMP_RANDOM_LENGTH
        + len(TEMPORARY_SUFFIX)
    )
    return f".{fitted_name(target.name, extra)}."


def _host_tag() -> str:
    name = socket.gethostname().encode("utf-8", errors="replace")
    return hashlib.sha256(name).hexdigest()[:_HOST_TAG_LENGTH]


def _writer_has_ended(rest: str) -> bool:
    """Return True when a temporary file's writer ran on this host and has ended.

    ``rest`` is the file's name after ".NAME.": process id, host tag, random
    part, suffix. Names without a host tag, as pipesheet wrote them before
    it added one, and names of other hosts' writers give False.

    NOTE: two containers that share a folder and a host name, but not a
    process namespace, would see each other's writers as ended. Give each
    container its own host name.
    """
    pattern = (
        rf"(\d{{1,{_PID_DIGITS}}})\.([0-9a-f]{{{_HOST_TAG_LENGTH}}})\."
        rf"[^.]{{{_MKSTEMP_RANDOM_LENGTH}}}{re.escape(TEMPORARY_SUFFIX)}"
    )
    match = re.fullmatch(pattern, rest)
    if match is None or match.group(2) != _host_tag():
        return False
    return not _process_runs(int(match.group(1)))


def _process_runs(pid: int) -> bool:
    # On Windows os.kill calls TerminateProcess for any signal but the two
    # console events, so 0 would end the process. Every writer there counts
    # as running and only the age rule removes its files.
    if os.name == "nt" or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # It runs, as another user.
    return True


def remove_temporaries_of_process(target: Path, pid: int) -> list[Path]:
    """Delete the temporary files that process ``pid`` left beside ``target``.

    Call it only once that process has ended: its files are deleted whatever
    their age. Each temporary file's name contains the id of the process that
    created it, so the files of other writers stay.

    :returns: the files deleted.
    """
    target = written_file(target)
    prefix = f"{_temporary_prefix(target)}{pid}."
    pattern = f"{glob.escape(prefix)}*{TEMPORARY_SUFFIX}"
    removed: list[Path] = []
    for path in target.parent.glob(pattern):
        try:
            path.unlink(missing_ok=True)
        except PermissionError as error:
            _log_unremoved(path, error)
            continue
        removed.append(path)
    if removed:
        logger.info(
            "Removed %d temporary files the stopped process %d left beside %s",
            len(removed),
            pid,
            target.name,
        )
    return removed


def create_temporary_sibling(target: Path) -> Path:
    """Create an empty temporary file beside ``target`` and return its path."""
    # The process id and host tag in the name let remove_temporaries_of_process
    # and remove_stale_temporaries find the files of a writer that was killed.
    descriptor, name = tempfile.mkstemp(
        dir=target.parent,
        prefix=f"{_temporary_prefix(target)}{os.getpid()}.{_host_tag()}.",
        suffix=TEMPORARY_SUFFIX,
    )
    os.close(descriptor)
    return Path(name)


def _write_and_sync(
    temporary: Path, write: Callable[[BinaryIO], None], target: Path
) -> int | None:
    """Write and sync the temporary file; return None if ``target`` is the same.

    The bytes are compared only when the sizes are equal, and before the sync,
    so an unchanged file costs no disk flush.
    """
    with temporary.open("wb") as file:
        write(file)
        file.flush()
        size = file.tell()
        if _same_bytes(temporary, target, size):
            return None
        os.fsync(file.fileno())
        return size


def _same_bytes(written: Path, target: Path, size: int) -> bool:
    try:
        if target.stat().st_size != size:
            return False
        with written.open("rb") as new, target.open("rb") as old:
            while chunk := new.read(_HASH_CHUNK_BYTES):
                if chunk != old.read(len(chunk)):
                    return False
    except OSError:
        return False  # A missing or unreadable target is written as usual.
    return True


def _copy_owner(target: Path, temporary: Path) -> None:
    # The temporary file belongs to the running user and its group, but a
    # workbook in a team's folder must keep the group that gives the team access.
    try:
        status = target.stat()
    except FileNotFoundError:
        return
    if not hasattr(os, "chown"):
        return  # Windows has no POSIX owner to keep.

    try:
        os.chown(temporary, status.st_uid, status.st_gid)
    except PermissionError as error:
        logger.debug("Owner and group of %s not kept: %s", target, error)


def _copy_permissions(target: Path, temporary: Path) -> None:
    # mkstemp creates the file readable by its owner only; a workbook on a
    # shared drive must keep the permissions the team gave it.
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_current_umask()
    os.chmod(temporary, mode)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sync_folder(folder: Path) -> None:
    """Flush ``folder``'s entries to disk, so that a rename in it survives a crash."""
    # Windows cannot open a folder for fsync.
    if os.name == "nt":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def backup_folder(target: Path) -> Path:
    """Return the folder that contains the backups of a file."""
    return target.parent / BACKUP_FOLDER


def list_backups(target: Path) -> list[Path]:
    """Return the backups of one file, newest first."""
    folder = backup_folder(target)
    if not folder.is_dir():
        return []

    pattern = re.compile(
        re.escape(_backup_stem(target) + ".")
        + _BACKUP_STAMP_PATTERN
        + re.escape(target.suffix)
        + r"\Z"
    )
    found = [path for path in folder.iterdir() if pattern.match(path.name)]
    return sorted(found, key=lambda path: path.name, reverse=True)


def new_backup_path(target: Path) -> Path:
    """Return a free path for a new backup of ``target``, creating its folder."""
    folder = backup_folder(target)
    folder.mkdir(exist_ok=True)
    return _new_backup_path(folder, target)


def remove_old_backups(target: Path, backups: int) -> None:
    """Delete all but the newest ``backups`` backups of ``target``."""
    for old in list_backups(target)[backups:]:
        old.unlink(missing_ok=True)
        logger.debug("Removed old backup %s", old)


def _keep_backup(target: Path, backups: int) -> None:
    backup = new_backup_path(target)

    # A hard link keeps the old version without copying it. The rename that
    # follows gives the target a new inode, so the link stays the old file.
    try:
        os.link(target, backup)
    except OSError:
        shutil.copy2(target, backup)
    logger.debug("Kept backup %s", backup)
    remove_old_backups(target, backups)


def _new_backup_path(folder: Path, target: Path) -> Path:
    moment = dt.datetime.now(dt.UTC)
    while True:
        stamp = moment.strftime(_BACKUP_STAMP_FORMAT)
        candidate = folder / f"{_backup_stem(target)}.{stamp}{target.suffix}"
        if not candidate.exists():
            return candidate
        moment += dt.timedelta(microseconds=1)


def _backup_stem(target: Path) -> str:
    # A backup is named STEM.STAMP.SUFFIX, so a long STEM is shortened to fit.
    stamp_bytes = len(dt.datetime.now(dt.UTC).strftime(_BACKUP_STAMP_FORMAT))
    extra = 1 + stamp_bytes + len(os.fsencode(target.suffix))
    return fitted_name(target.stem, extra)
