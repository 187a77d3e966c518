"""Hard links of a workbook, whose other names a write in place leaves behind.

A write renames a new file over the workbook (:func:`sync.atomic.write_atomically`),
so the written name gets a new inode and every other hard link keeps the old
content. Writing the new bytes into the shared inode instead would keep the
names together, but a crash in the middle of that write would leave a broken
workbook under every name. pipesheet keeps the rename and warns.
"""

from __future__ import annotations

import os
from pathlib import Path

from sync.atomic import backup_folder, written_file


def count_other_names(workbook: Path) -> int:
    """Return how many hard links besides ``workbook`` name its file.

    Files in ``.pipesheet-backups/`` do not count. A backup is a hard link
    where the file system allows, so a write that stopped between keeping its
    backup and the rename leaves one linked to the file. After a write through
    one of two names, the backup under that name links to the other name's file.
    A missing file has no other names.
    """
    target = written_file(workbook)
    try:
        status = target.stat()
    except OSError:
        return 0
    if status.st_nlink <= 1:
        return 0

    return max(status.st_nlink - 1 - _count_backup_links(target, status), 0)


def _count_backup_links(target: Path, status: os.stat_result) -> int:
    folder = backup_folder(target)
    try:
        backups = list(folder.iterdir())
    except OSError:
        return 0  # No backup folder, or one that cannot be read.

    count = 0
    for backup in backups:
        try:
            if os.path.samestat(backup.stat(), status):
                count += 1
        except OSError:
            continue  # Removed meanwhile.
    return count


def describe_hard_links(workbook: Path, other_names: int) -> str:
    """Return the warning for a workbook that ``other_names`` hard links share."""
    links = other_names + 1
    others = "the other name keeps" if other_names == 1 else "the other names keep"
    return (
        f"Workbook {workbook.name!r} has {links} hard links (names of one file). "
        f"pipesheet writes a new file and renames it over {workbook.name!r}, so "
        f"{others} the old content. Run pipesheet on the name your team opens, "
        "or replace the other names with symbolic links to it (ln -sf), which "
        "pipesheet follows."
    )
