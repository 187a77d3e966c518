"""A workbook file opened as a package of parts, with the changes staged for it.

Part names are zip member names (``xl/workbook.xml``, no leading slash). Open
Packaging Conventions compare part names without regard to ASCII case, so lookups
here do too.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from config.errors import UnsupportedWorkbookError, WorkbookNotFoundError
from config.file_signatures import OLE_SIGNATURE
from sync.xlsx.compression import Deflater, crc32, fastest_deflater, inflate
from sync.xlsx.zipcopy import (
    MemberStream,
    NewMember,
    ZipMember,
    deflate_member,
    read_directory,
    read_member,
    read_member_pieces,
    write_archive,
)

logger = logging.getLogger(__name__)

# Staged parts at least this large are deflated as soon as they are written, so
# a patch keeps them compressed rather than every big sheet inflated at once.
EAGER_DEFLATE_BYTES = 1 << 20

# A staged part: its content, or the member it was deflated into.
Staged = bytes | bytearray | NewMember


class Package:
    """The members of one workbook file and the parts to change, add or remove.

    Use as a context manager. The source file is read whole into memory and
    never written to. It is not memory-mapped: a file that another program
    truncates while it is mapped (``cp`` over it rewrites it in place) ends
    the process with SIGBUS when a page past the new end is read.

    :param eager_deflater: deflates every part of ``EAGER_DEFLATE_BYTES`` or more
        when it is written, and every stream from :meth:`open_stream`. Without
        it, written parts are deflated by :meth:`compress` and streams use
        :func:`fastest_deflater`.
    :param data: the file's bytes when the caller has read them already, such
        as a write that checked them against the bytes its run read; ``path``
        then only names the workbook.
    """

    def __init__(
        self,
        path: Path,
        *,
        eager_deflater: Deflater | None = None,
        data: bytes | None = None,
    ) -> None:
        self.workbook = path.name
        self._eager_deflater = eager_deflater
        self._map: bytes = _read_file(path) if data is None else data
        _check_head(self._map, path)
        directory = read_directory(self._map, self.workbook)
        self._members = directory.members
        self._comment = directory.comment

        self._by_key = {member.name.lower(): member for member in self._members}
        self._originals: dict[str, bytes] = {}
        self._changed: dict[str, Staged] = {}
        self._added: dict[str, Staged] = {}
        self._removed: set[str] = set()

    def __enter__(self) -> Package:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Drop the package's reference to the source file's bytes.

        Views into them that an exception's traceback still holds keep them
        until the last view is freed.
        """
        self._map = b""

    def find(self, part: str) -> str | None:
        """Return the stored spelling of ``part`` if the package has it, else None."""
        key = part.lower()
        if key in self._removed:
            return None
        for name in self._added:
            if name.lower() == key:
                return name
        member = self._by_key.get(key)
        return member.name if member is not None else None

    def stored_member(self, part: str) -> ZipMember | None:
        """Return the source archive's directory entry of ``part``, or None."""
        return self._by_key.get(part.lower())

    def part_names(self) -> Iterator[str]:
        """Yield every part name the new package will hold, in archive order."""
        for member in self._members:
            if member.name.lower() not in self._removed:
                yield member.name
        yield from self._added

    def read(self, part: str) -> bytes:
        """Return the current content of ``part``, including staged changes.

        :raises KeyError: if the package has no such part.
        """
        name = self.find(part)
        if name is None:
            raise KeyError(part)
        staged = self._added.get(name, self._changed.get(name))
        if isinstance(staged, NewMember):
            return inflate(staged.payload, staged.size)
        if staged is not None:
            return bytes(staged)
        return self._original(name)

    def read_pieces(self, part: str) -> Generator[bytes, None, None]:
        """Return the current content of ``part`` as a generator of pieces.

        A source member is inflated one piece at a time, so a large sheet is never
        held whole. A staged or cached part comes as one piece. A caller that
        stops early closes the generator, which then lets go of the mapped file.

        :raises KeyError: if the package has no such part.
        :raises UnsupportedWorkbookError: if the member is damaged. A failed CRC
            check is raised only after the last piece.
        """
        name = self.find(part)
        if name is None:
            raise KeyError(part)
        if name in self._added or name in self._changed or name in self._originals:
            return (piece for piece in [self.read(name)])
        member = self._by_key[name.lower()]
        return read_member_pieces(self._map, member, self.workbook)

    def read_required(self, part: str) -> bytes:
        """Return the content of a part every workbook has.

        :raises UnsupportedWorkbookError: if the package lacks the part.
        """
        if self.find(part) is None:
            raise UnsupportedWorkbookError(
                f"Workbook {self.workbook!r} has no {part!r} part, so it is not a "
                "valid .xlsx file. Open it in Excel and save it again, then run again."
            )
        return self.read(part)

    def write(self, part: str, content: bytes | bytearray) -> None:
        """Stage ``content`` for ``part``, adding the part if it does not exist.

        Content equal to the source's leaves the member to be copied as stored.
        """
        name = self._writable_name(part)
        if name is None or name in self._added:
            self._added[name or part] = self._staged(name or part, content, None)
            return

        self._changed.pop(name, None)
        changed = not self._same_as_source(name, content)
        self._originals.pop(name, None)
        if changed:
            template = self._by_key[name.lower()]
            self._changed[name] = self._staged(name, content, template)

    def write_member(self, member: NewMember) -> None:
        """Stage ``member``, deflated already, as the new content of its part.

        Unlike :meth:`write`, this cannot compare the content with the source's,
        so the caller stages a member only when its content changed.
        """
        name = self._writable_name(member.name)
        if name is None or name in self._added:
            self._added[name or member.name] = member
            return
        self._originals.pop(name, None)
        self._changed[name] = replace(member, name=name)

    def open_stream(self, part: str) -> MemberStream:
        """Return a stream that deflates new content for ``part`` as it comes.

        Stage the member it returns with :meth:`write_member`, or, when
        :meth:`may_equal_source` returns True, the content itself with :meth:`write`.
        """
        deflater = self._eager_deflater or fastest_deflater()
        name = self.find(part) or part
        return MemberStream(name, deflater, self.stored_member(part))

    def may_equal_source(self, member: NewMember) -> bool:
        """Return True if ``member`` has the size and CRC of the part it replaces.

        Only then can its content equal the source's.
        """
        stored = self.stored_member(member.name)
        if stored is None or self.find(member.name) is None:
            return False
        return (stored.size, stored.crc) == (member.size, member.crc)

    def remove(self, part: str) -> None:
        """Leave ``part`` out of the new package (no-op if it is absent)."""
        name = self.find(part)
        if name is None:
            return
        self._added.pop(name, None)
        self._changed.pop(name, None)
        if name.lower() in self._by_key:
            self._removed.add(name.lower())

    def free_name(self, pattern: str) -> str:
        """Return the first unused part name from ``pattern`` (``"x/sheet{}.xml"``)."""
        number = 1
        while self.find(pattern.format(number)) is not None:
            number += 1
        return pattern.format(number)

    @property
    def removed(self) -> list[str]:
        """The source members left out of the new package, in archive order."""
        return [m.name for m in self._members if m.name.lower() in self._removed]

    def compress(self, deflater: Deflater) -> list[ZipMember | NewMember]:
        """Return the members of the new package in order, changed ones deflated.

        Source members keep their place; added parts follow at the end.
        """
        entries: list[ZipMember | NewMember] = []
        for member in self._members:
            if member.name.lower() in self._removed:
                continue
            content = self._changed.get(member.name)
            if content is None:
                entries.append(member)
            elif isinstance(content, NewMember):
                entries.append(content)
            else:
                entries.append(deflate_member(member.name, content, deflater, member))

        for name, content in self._added.items():
            if isinstance(content, NewMember):
                entries.append(content)
            else:
                entries.append(deflate_member(name, content, deflater, None))
        return entries

    def save(self, out: BinaryIO, entries: list[ZipMember | NewMember]) -> int:
        """Write the new package to ``out``; return the number of bytes written."""
        return write_archive(out, self._map, entries, self._comment, self.workbook)

    def _staged(
        self, name: str, content: bytes | bytearray, template: ZipMember | None
    ) -> Staged:
        deflater = self._eager_deflater
        if deflater is None or len(content) < EAGER_DEFLATE_BYTES:
            return content
        return deflate_member(name, content, deflater, template)

    def _writable_name(self, part: str) -> str | None:
        """Return the stored spelling of ``part``, taking back a removed member."""
        name = self.find(part)
        if name is None and part.lower() in self._by_key:
            self._removed.discard(part.lower())
            name = self._by_key[part.lower()].name
        return name

    def _original(self, name: str) -> bytes:
        """Return a source part's content, caching only parts below 1 MiB.

        A cached copy of a large generated tab would stay in memory while its
        replacement is rendered, adding to the highest memory use of a run.
        """
        content = self._originals.get(name)
        if content is None:
            content = read_member(self._map, self._by_key[name.lower()], self.workbook)
            if len(content) < EAGER_DEFLATE_BYTES:
                self._originals[name] = content
        return content

    def _same_as_source(self, name: str, content: bytes | bytearray) -> bool:
        """Return True if ``content`` equals the source member ``name`` exactly.

        The size and CRC-32 stored in the archive settle most cases without
        inflating the member. When both match, the member is compared piece by
        piece, so it is never held whole.
        """
        cached = self._originals.get(name)
        if cached is not None:
            return content == cached
        member = self._by_key[name.lower()]
        if len(content) != member.size or crc32(content) != member.crc:
            return False

        offset = 0
        with memoryview(content) as view:
            for piece in read_member_pieces(self._map, member, self.workbook):
                if view[offset : offset + len(piece)] != piece:
                    return False
                offset += len(piece)
        return True


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as error:
        raise WorkbookNotFoundError(
            f"Workbook {str(path)!r} does not exist. Check the source path in the "
            "pipeline definition."
        ) from error


def _check_head(data: bytes, path: Path) -> None:
    head = data[: len(OLE_SIGNATURE)]
    if head == OLE_SIGNATURE:
        raise UnsupportedWorkbookError(
            f"Workbook {path.name!r} is password-protected or a legacy .xls "
            "file. Remove the password (or save it as .xlsx) in Excel, then "
            "run again."
        )
    if not head:
        raise UnsupportedWorkbookError(
            f"Workbook {path.name!r} is empty (0 bytes). Restore it from a "
            "backup or save it again from Excel."
        )
