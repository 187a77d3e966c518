"""A workbook file opened as a package of parts, with the changes staged for it.

Part names are zip member names (``xl/workbook.xml``, no leading slash). Open
Packaging Conventions compare part names without regard to ASCII case, so lookups
here do too.
"""

from __future__ import annotations

import io
import logging
import mmap
import os
from collections.abc import Generator, Iterator
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import BinaryIO
from urllib.parse import unquote

from config.errors import UnsupportedWorkbookError, WorkbookNotFoundError
from config.file_signatures import OLE_SIGNATURE
from sync.xlsx.compression import Deflater, crc32, fastest_deflater, inflate
from sync.xlsx.relationships import rels_part
from sync.xlsx.zipcopy import (
    END_SEARCH_SPAN,
    MemberStream,
    NewMember,
    ZipDirectory,
    ZipMember,
    deflate_member,
    directory_offset,
    read_directory,
    read_member,
    read_member_pieces,
    with_metadata,
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

    Use as a context manager. The source file is never written to, and it is
    not memory-mapped: a file that another program truncates while it is
    mapped (``cp`` over it rewrites it in place) ends the process with SIGBUS
    when a page past the new end is read. Its central directory and each
    member a caller reads are copied into anonymous memory as they are
    needed (:class:`_SourceBytes`), so looking up a few small parts of a
    large workbook does not hold the whole file.

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
        self._source = _SourceBytes(path, data)
        self._map = self._source.buffer
        try:
            directory = self._source.directory(self.workbook)
        except BaseException:
            self._source.close()
            raise
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
        """Close the source file and drop the package's copy of its bytes.

        Views into them that an exception's traceback still references keep
        them until the last view is freed.
        """
        self._source.close()
        self._map = b""

    def find(self, part: str) -> str | None:
        """Return the stored spelling of ``part`` if the package has it, else None.

        A part name with percent-encoding, such as ``xl/deal%20sheet.xml``, is
        stored under that name. Some producers store the decoded name
        (``xl/deal sheet.xml``) instead, so that is found when the first is not.
        """
        key = self._key(part)
        if key in self._removed:
            return None
        for name in self._added:
            if name.lower() == key:
                return name
        member = self._by_key.get(key)
        return member.name if member is not None else None

    def stored_member(self, part: str) -> ZipMember | None:
        """Return the source archive's directory entry of ``part``, or None."""
        return self._by_key.get(self._key(part))

    def _key(self, part: str) -> str:
        """Return the lookup key of ``part``: decoded only when only that is stored."""
        key = part.lower()
        if "%" not in key or key in self._by_key:
            return key
        decoded = unquote(key)
        if decoded in self._by_key:
            return decoded
        return key

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
        self._source.load(member)
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

    def deflated_member(
        self, part: str, payload: bytes | bytearray, crc: int, size: int
    ) -> NewMember:
        """Return content deflated elsewhere as the new member of ``part``.

        It gets the name and metadata a stream from :meth:`open_stream` gives
        its member, and is staged the same way.
        """
        name = self.find(part) or part
        member = NewMember(name, payload, crc, size)
        return with_metadata(member, self.stored_member(part))

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
        """Return the first unused part name from ``pattern`` (``"x/sheet{}.xml"``).

        A name counts as used when its relationships part exists, even if the
        part itself is gone. pipesheet never overwrites a member it did not
        write, and a leftover ``.rels`` part would relate the new part to parts
        that pipesheet did not choose.
        """
        number = 1
        while self._is_used(pattern.format(number)):
            number += 1
        return pattern.format(number)

    def _is_used(self, part: str) -> bool:
        return self.find(part) is not None or self.find(rels_part(part)) is not None

    def staged_contents(self) -> Iterator[tuple[str, bytes | bytearray]]:
        """Yield each changed or added part held as content, not deflated yet.

        Parts deflated as they were written, such as large sheets, are left out.
        """
        for name, staged in [*self._changed.items(), *self._added.items()]:
            if not isinstance(staged, NewMember):
                yield name, staged

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
        for entry in entries:
            if isinstance(entry, ZipMember):
                self._source.load(entry)
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
        key = self._key(part)
        if name is None and key in self._by_key:
            self._removed.discard(key)
            name = self._by_key[key].name
        return name

    def _original(self, name: str) -> bytes:
        """Return a source part's content, caching only parts below 1 MiB.

        A cached copy of a large generated tab would stay in memory while its
        replacement is rendered, adding to the highest memory use of a run.
        """
        content = self._originals.get(name)
        if content is None:
            member = self._by_key[name.lower()]
            self._source.load(member)
            content = read_member(self._map, member, self.workbook)
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
        self._source.load(member)
        with memoryview(content) as view:
            for piece in read_member_pieces(self._map, member, self.workbook):
                if view[offset : offset + len(piece)] != piece:
                    return False
                offset += len(piece)
        return True


class _SourceBytes:
    """The bytes of a workbook file, copied from the file as they are needed.

    ``buffer`` has the file's size. Without ``data``, it is anonymous memory
    (pages nothing wrote to take no memory), and :meth:`load` copies a
    member's span into it with a positioned read before the member is read.
    With ``data``, the bytes a caller read already, every span is there.
    """

    def __init__(self, path: Path, data: bytes | None) -> None:
        self._path = path
        self._file: io.BufferedReader | None = None
        self._loaded: set[int] = set()
        if data is not None:
            _check_head(data, path)
            self.buffer: bytes | mmap.mmap = data
            return
        try:
            self._file = path.open("rb")
        except FileNotFoundError as error:
            raise WorkbookNotFoundError(
                f"Workbook {str(path)!r} does not exist. Check the source path in "
                "the pipeline definition."
            ) from error
        try:
            _check_head(self._file.read(len(OLE_SIGNATURE)), path)
            size = os.fstat(self._file.fileno()).st_size
            self.buffer = mmap.mmap(-1, size)
        except BaseException:
            self._file.close()
            raise

    def directory(self, workbook: str) -> ZipDirectory:
        """Read the central directory, copying only it and the end record.

        :raises UnsupportedWorkbookError: if the bytes are not a usable zip archive.
        """
        if self._file is not None:
            tail = max(0, len(self.buffer) - END_SEARCH_SPAN)
            self._copy(tail, len(self.buffer))
            try:
                start = directory_offset(self.buffer, workbook)
            except UnsupportedWorkbookError:
                # Zip64 records may lie before the span read, so the whole file
                # is copied for read_directory to read them or name the damage.
                start = 0
            if start < tail:
                self._copy(start, tail)
        return read_directory(self.buffer, workbook)

    def load(self, member: ZipMember) -> None:
        """Copy ``member``'s span of the file into the buffer, once."""
        if self._file is not None and member.offset not in self._loaded:
            self._copy(member.offset, member.end)
            self._loaded.add(member.offset)

    def _copy(self, start: int, stop: int) -> None:
        # A file cut short since it was opened leaves zeros, which fail the
        # zip and CRC checks as a damaged file does.
        assert self._file is not None and isinstance(self.buffer, mmap.mmap)
        # Positioned reads, because a forked writer child shares the file's
        # offset with its parent.
        descriptor = self._file.fileno()
        with memoryview(self.buffer) as view, view[start:stop] as target:
            done = 0
            while done < len(target):
                count = _read_at(descriptor, target[done:], start + done)
                if not count:
                    break
                done += count

    def close(self) -> None:
        """Close the file and free the buffer unless views into it remain."""
        if self._file is not None:
            self._file.close()
        if isinstance(self.buffer, mmap.mmap):
            try:
                self.buffer.close()
            except BufferError:
                logger.debug("Copy of %s still in use; freed later", self._path.name)


def _read_at(descriptor: int, target: memoryview, offset: int) -> int:
    """Read into ``target`` from ``offset`` of the file; return the bytes read."""
    if hasattr(os, "preadv"):
        return os.preadv(descriptor, [target], offset)
    # Windows has no positioned reads, and no fork whose child shares the
    # file's offset.
    os.lseek(descriptor, offset, os.SEEK_SET)
    piece = os.read(descriptor, len(target))
    target[: len(piece)] = piece
    return len(piece)


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
