"""Zip archives read through their central directory and rewritten member by member.

An unchanged member is copied as stored: its local header, its compressed bytes
and whatever follows them up to the next member (a data descriptor, for example),
so its compression, CRC and flags stay exactly as the source had them. Changed
and new members are written fresh with deflate. The central directory is rebuilt
with the new offsets, keeping each copied member's record fields.

Archives over 4 GB or with more than 65,535 members need zip64 records, which this
writer does not produce; it raises instead. Zip64 fields in a source archive are
read as long as their values fit the classic 32-bit fields.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import BinaryIO, TypeAlias

from config.errors import UnsupportedWorkbookError
from sync.xlsx.compression import (
    PIECE_BYTES,
    Deflater,
    DeflateStream,
    crc32,
    inflate,
    inflate_pieces,
)

LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
CENTRAL_HEADER = struct.Struct("<IHHHHHHIIIHHHHHII")
END_RECORD = struct.Struct("<IHHHHIIH")
ZIP64_LOCATOR = struct.Struct("<IIQI")
ZIP64_END_RECORD = struct.Struct("<IQHHIIQQQQ")

LOCAL_SIGNATURE = 0x04034B50
CENTRAL_SIGNATURE = 0x02014B50
END_SIGNATURE = 0x06054B50
ZIP64_LOCATOR_SIGNATURE = 0x07064B50
ZIP64_END_SIGNATURE = 0x06064B50
ZIP64_EXTRA_ID = 0x0001

STORED = 0
DEFLATED = 8
FLAG_ENCRYPTED = 0x0001
FLAG_DATA_DESCRIPTOR = 0x0008
FLAG_UTF8_NAME = 0x0800
FLAG_MASKED_DIRECTORY = 0x2000

# The source archive: the whole file, mapped or read into memory.
Archive: TypeAlias = bytes | memoryview | mmap.mmap

MAX_32 = 0xFFFFFFFF
MAX_16 = 0xFFFF
# The end record sits in the last 22 bytes plus a comment of at most 64 KiB.
END_SEARCH_SPAN = END_RECORD.size + MAX_16
# 1980-01-01 00:00, the earliest MS-DOS timestamp, for members pipesheet adds.
DOS_DATE_1980 = (0 << 9) | (1 << 5) | 1
VERSION_DEFLATE = 20


@dataclass(frozen=True)
class ZipMember:
    """One member as the central directory records it, plus where it sits.

    ``offset`` is its local header; ``end`` is where the next member (or the
    central directory) starts, so ``[offset, end)`` is everything to copy.
    """

    name: str
    raw_name: bytes
    version_made_by: int
    version_needed: int
    flags: int
    method: int
    dos_time: int
    dos_date: int
    crc: int
    compressed_size: int
    size: int
    extra: bytes
    comment: bytes
    internal_attributes: int
    external_attributes: int
    offset: int
    end: int = 0


@dataclass(frozen=True)
class NewMember:
    """A member written fresh: its bytes as stored, their CRC and sizes.

    ``method`` is how ``payload`` is stored: deflated, or as it is. A streamed
    member's ``payload`` is the bytearray it was deflated into, kept as it is
    because copying it to bytes would hold it twice.
    """

    name: str
    payload: bytes | bytearray
    crc: int
    size: int
    dos_time: int = 0
    dos_date: int = DOS_DATE_1980
    external_attributes: int = 0
    comment: bytes = b""
    method: int = DEFLATED


@dataclass(frozen=True)
class ZipDirectory:
    """The members of an archive in central-directory order, and its comment."""

    members: list[ZipMember]
    comment: bytes


def read_directory(archive: Archive, workbook: str) -> ZipDirectory:
    """Read the central directory of ``archive`` and locate every member's bytes.

    :param workbook: the file name, for error messages.
    :raises UnsupportedWorkbookError: if the bytes are not a usable zip archive.
    """
    data = memoryview(archive)
    end_at = _find_end_record(data, workbook)
    count, directory_size, directory_offset, comment = _read_end_record(
        data, end_at, workbook
    )

    members = _read_central_records(
        data, directory_offset, directory_size, count, workbook
    )
    if any(m.offset + LOCAL_HEADER.size > directory_offset for m in members):
        raise _corrupt(workbook, "a member starts inside the central directory")
    return ZipDirectory(_with_span_ends(members, directory_offset), comment)


def directory_offset(archive: Archive, workbook: str) -> int:
    """Return where the central directory of ``archive`` starts.

    Only the last ``END_SEARCH_SPAN`` bytes of ``archive`` are read, and zip64
    records before them.

    :raises UnsupportedWorkbookError: if the bytes are not a usable zip archive.
    """
    data = memoryview(archive)
    end_at = _find_end_record(data, workbook)
    return _read_end_record(data, end_at, workbook)[2]


def member_payload(archive: Archive, member: ZipMember, workbook: str) -> memoryview:
    """Return the stored (compressed) bytes of ``member`` without copying them."""
    data = memoryview(archive)
    fields = LOCAL_HEADER.unpack_from(data, member.offset)
    if fields[0] != LOCAL_SIGNATURE:
        raise _corrupt(workbook, f"member {member.name!r} has no local header")

    start = member.offset + LOCAL_HEADER.size + fields[9] + fields[10]
    stop = start + member.compressed_size
    if stop > member.end:
        raise _corrupt(workbook, f"member {member.name!r} runs past its end")
    return data[start:stop]


def read_member(archive: Archive, member: ZipMember, workbook: str) -> bytes:
    """Return the uncompressed bytes of ``member``, checked against its CRC.

    :raises UnsupportedWorkbookError: if the member is encrypted, uses a method
        other than stored or deflate, or its bytes do not match its CRC.
    """
    payload = _readable_payload(archive, member, workbook)
    if member.method == STORED:
        content = bytes(payload)
    else:
        content = _inflate_member(payload, member, workbook)

    _check_crc(member, len(content), crc32(content), workbook)
    return content


def read_member_pieces(
    archive: Archive, member: ZipMember, workbook: str
) -> Generator[bytes, None, None]:
    """Yield the uncompressed bytes of ``member`` in pieces of at most 1 MiB.

    A worker thread inflates the next piece while the caller works on the
    current one, so at most two pieces are held at a time. The CRC is checked
    after the last piece, so a caller must read to the end before it trusts
    what it wrote.

    :raises UnsupportedWorkbookError: as :func:`read_member` does.
    """
    pieces = _checked_pieces(archive, member, workbook)
    worker = ThreadPoolExecutor(1, thread_name_prefix="pipesheet-inflate")
    try:
        ahead = worker.submit(next, pieces, None)
        while (piece := ahead.result()) is not None:
            ahead = worker.submit(next, pieces, None)
            yield piece
    finally:
        # shutdown waits for a piece being inflated. The generator is then idle,
        # and closing it releases its view of the archive.
        worker.shutdown()
        pieces.close()


def _checked_pieces(
    archive: Archive, member: ZipMember, workbook: str
) -> Generator[bytes, None, None]:
    """Yield the uncompressed pieces of ``member``, then check its size and CRC."""
    payload = _readable_payload(archive, member, workbook)
    if member.method == STORED:
        pieces: Iterator[bytes] = (
            bytes(payload[start : start + PIECE_BYTES])
            for start in range(0, len(payload), PIECE_BYTES)
        )
    else:
        pieces = inflate_pieces(payload)

    size = crc = 0
    try:
        for piece in pieces:
            size, crc = size + len(piece), crc32(piece, crc)
            yield piece
    except ValueError as error:
        raise _damaged(member, workbook, error) from error
    _check_crc(member, size, crc, workbook)


def deflate_member(
    name: str,
    content: bytes | bytearray,
    deflater: Deflater,
    template: ZipMember | None,
) -> NewMember:
    """Compress ``content`` as a new member, keeping the metadata of ``template``.

    Keeping the replaced member's timestamp (or 1980-01-01 for a new member) makes
    the output depend only on the content, so equal edits give equal files.
    """
    member = NewMember(name, deflater.compress(content), crc32(content), len(content))
    return with_metadata(member, template)


class MemberStream:
    """A new member deflated piece by piece as its content is written.

    :param template: the member it replaces, whose metadata it keeps as
        :func:`deflate_member` does, or None for a new member.
    """

    def __init__(
        self, name: str, deflater: Deflater, template: ZipMember | None
    ) -> None:
        self.name = name
        self._template = template
        self._stream = DeflateStream(deflater)

    def __enter__(self) -> MemberStream:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        # A stream left by an error would keep its worker thread until the
        # stream is collected, and a live thread rules out forking.
        if kind is not None:
            self._stream.discard()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Deflate the next piece of the member's content."""
        self._stream.write(data)

    def close(self) -> NewMember:
        """End the stream and return the member it deflated."""
        payload = self._stream.close()
        member = NewMember(self.name, payload, self._stream.crc, self._stream.size)
        return with_metadata(member, self._template)


def with_metadata(member: NewMember, template: ZipMember | None) -> NewMember:
    """Return ``member`` with the time, attributes and comment of ``template``.

    A new member (``template`` None) keeps its own.
    """
    if template is None:
        return member
    return replace(
        member,
        dos_time=template.dos_time,
        dos_date=template.dos_date,
        external_attributes=template.external_attributes,
        comment=template.comment,
    )


def write_archive(
    out: BinaryIO,
    archive: Archive,
    entries: Sequence[ZipMember | NewMember],
    comment: bytes,
    workbook: str,
) -> int:
    """Write ``entries`` in order, then the central directory; return bytes written.

    A :class:`ZipMember` is copied from ``archive`` as stored; a
    :class:`NewMember` gets a fresh local header.

    :raises UnsupportedWorkbookError: if the result would need zip64 records.
    """
    source = memoryview(archive)
    records: list[bytes] = []
    offset = 0
    for entry in entries:
        _require_32_bit(offset, workbook, "the archive")
        if isinstance(entry, ZipMember):
            out.write(source[entry.offset : entry.end])
            records.append(_copied_record(entry, offset))
            offset += entry.end - entry.offset
        else:
            local, record = _new_headers(entry, offset, workbook)
            out.write(local)
            out.write(entry.payload)
            records.append(record)
            offset += len(local) + len(entry.payload)

    directory = b"".join(records)
    out.write(directory)
    out.write(_end_record(len(records), len(directory), offset, comment, workbook))
    return offset + len(directory) + END_RECORD.size + len(comment)


def _find_end_record(data: memoryview, workbook: str) -> int:
    search_from = max(0, len(data) - END_SEARCH_SPAN)
    tail = bytes(data[search_from:])
    signature = struct.pack("<I", END_SIGNATURE)

    # A comment may itself contain the signature: the real record is the one
    # whose comment length reaches exactly to the end of the file.
    at = tail.rfind(signature)
    while at >= 0:
        if at + END_RECORD.size <= len(tail):
            comment_length = struct.unpack_from("<H", tail, at + 20)[0]
            if at + END_RECORD.size + comment_length == len(tail):
                return search_from + at
        at = tail.rfind(signature, 0, at)
    raise _corrupt(workbook, "it is not a zip archive (no end of central directory)")


def _read_end_record(
    data: memoryview, end_at: int, workbook: str
) -> tuple[int, int, int, bytes]:
    fields = END_RECORD.unpack_from(data, end_at)
    _, disk, directory_disk, _, count, size, offset, comment_length = fields
    comment_start = end_at + END_RECORD.size
    comment = bytes(data[comment_start : comment_start + comment_length])
    if disk or directory_disk:
        raise _corrupt(workbook, "it is a multi-part (spanned) zip archive")

    if count == MAX_16 or size == MAX_32 or offset == MAX_32:
        count, size, offset = _read_zip64_end_record(data, end_at, workbook) or (
            count,
            size,
            offset,
        )
    if offset + size > end_at:
        raise _corrupt(workbook, "its central directory lies past the end record")
    return count, size, offset, comment


def _read_zip64_end_record(
    data: memoryview, end_at: int, workbook: str
) -> tuple[int, int, int] | None:
    """Return the counts of the zip64 end record, or None if there is none.

    Without a zip64 record, saturated fields are real values (exactly 65,535
    members, for example) unless a size or offset is saturated.
    """
    locator_at = end_at - ZIP64_LOCATOR.size
    locator = ZIP64_LOCATOR.unpack_from(data, locator_at) if locator_at >= 0 else None
    if locator is None or locator[0] != ZIP64_LOCATOR_SIGNATURE:
        size, offset = END_RECORD.unpack_from(data, end_at)[5:7]
        if MAX_32 in (size, offset):
            raise _corrupt(workbook, "its end record points to a missing zip64 record")
        return None

    record = ZIP64_END_RECORD.unpack_from(data, locator[2])
    if record[0] != ZIP64_END_SIGNATURE:
        raise _corrupt(workbook, "its zip64 end record is damaged")
    count, size, offset = record[7], record[8], record[9]
    _require_32_bit(offset + size, workbook, "the central directory")
    return count, size, offset


def _read_central_records(
    data: memoryview, offset: int, size: int, count: int, workbook: str
) -> list[ZipMember]:
    members: list[ZipMember] = []
    position = offset
    for _ in range(count):
        member, position = _read_central_record(data, position, workbook)
        members.append(member)

    if position > offset + size:
        raise _corrupt(workbook, "its central directory is longer than recorded")
    _reject_duplicates(members, workbook)
    return members


def _read_central_record(
    data: memoryview, position: int, workbook: str
) -> tuple[ZipMember, int]:
    fields = CENTRAL_HEADER.unpack_from(data, position)
    if fields[0] != CENTRAL_SIGNATURE:
        raise _corrupt(workbook, "its central directory is damaged")
    name_length, extra_length, comment_length = fields[10], fields[11], fields[12]
    flags = fields[3]

    name_start = position + CENTRAL_HEADER.size
    raw_name = bytes(data[name_start : name_start + name_length])
    extra = bytes(
        data[name_start + name_length : name_start + name_length + extra_length]
    )
    comment_start = name_start + name_length + extra_length
    comment = bytes(data[comment_start : comment_start + comment_length])

    if flags & FLAG_MASKED_DIRECTORY:
        raise _corrupt(workbook, "its central directory is encrypted")
    name = raw_name.decode("utf-8" if flags & FLAG_UTF8_NAME else "cp437")
    size, compressed_size, offset, extra = _resolve_zip64(
        fields[9], fields[8], fields[16], extra, name, workbook
    )

    member = ZipMember(
        name=name,
        raw_name=raw_name,
        version_made_by=fields[1],
        version_needed=fields[2],
        flags=flags,
        method=fields[4],
        dos_time=fields[5],
        dos_date=fields[6],
        crc=fields[7],
        compressed_size=compressed_size,
        size=size,
        extra=extra,
        comment=comment,
        internal_attributes=fields[14],
        external_attributes=fields[15],
        offset=offset,
    )
    return member, comment_start + comment_length


def _resolve_zip64(
    size: int, compressed_size: int, offset: int, extra: bytes, name: str, workbook: str
) -> tuple[int, int, int, bytes]:
    """Take 32-bit fields saturated at 0xFFFFFFFF from the zip64 extra field.

    The zip64 block is dropped from the returned extra field because the rebuilt
    central record stores the values in the classic fields again.
    """
    if MAX_32 not in (size, compressed_size, offset):
        return size, compressed_size, offset, extra
    values, rest = _split_zip64_extra(extra)

    remaining = iter(values)
    size = next(remaining, size) if size == MAX_32 else size
    compressed_size = (
        next(remaining, compressed_size)
        if compressed_size == MAX_32
        else (compressed_size)
    )
    offset = next(remaining, offset) if offset == MAX_32 else offset
    for value in (size, compressed_size, offset):
        _require_32_bit(value, workbook, f"member {name!r}")
    return size, compressed_size, offset, rest


def _split_zip64_extra(extra: bytes) -> tuple[list[int], bytes]:
    values: list[int] = []
    rest = bytearray()
    position = 0
    while position + 4 <= len(extra):
        block_id, length = struct.unpack_from("<HH", extra, position)
        block = extra[position : position + 4 + length]
        if block_id == ZIP64_EXTRA_ID:
            body = block[4:]
            values = [
                v[0] for v in struct.iter_unpack("<Q", body[: len(body) // 8 * 8])
            ]
        else:
            rest += block
        position += 4 + length
    return values, bytes(rest)


def _reject_duplicates(members: list[ZipMember], workbook: str) -> None:
    names = [member.name for member in members]
    reject_duplicate_members(names, [member.offset for member in members], workbook)


def reject_duplicate_members(
    names: Sequence[str], offsets: Sequence[int], workbook: str
) -> None:
    """Reject an archive that lists one part twice, or two members at one offset.

    Part names are compared ignoring ASCII case, as the packaging rules
    compare them. python-calamine 0.9 reads one of the copies without a
    warning, so no copy can be trusted.

    :param names: the member names, in directory order.
    :param offsets: the offsets of the members' local headers.
    :raises UnsupportedWorkbookError: naming the repeated member.
    """
    seen: dict[str, str] = {}
    for name in names:
        earlier = seen.get(name.lower())
        if earlier is None:
            seen[name.lower()] = name
            continue
        if earlier == name:
            raise _corrupt(workbook, f"it lists the member {name!r} twice")
        raise _corrupt(
            workbook,
            f"it lists the members {earlier!r} and {name!r}, whose names "
            "differ only in case, so they name the same part",
        )
    if len(set(offsets)) != len(offsets):
        raise _corrupt(workbook, "two of its members share the same bytes")


def _with_span_ends(members: list[ZipMember], directory_offset: int) -> list[ZipMember]:
    starts = sorted(member.offset for member in members)
    following = dict(zip(starts, [*starts[1:], directory_offset], strict=True))
    return [replace(member, end=following[member.offset]) for member in members]


def _readable_payload(archive: Archive, member: ZipMember, workbook: str) -> memoryview:
    if member.flags & FLAG_ENCRYPTED:
        raise _corrupt(workbook, f"member {member.name!r} is encrypted")
    payload = member_payload(archive, member, workbook)
    if member.method not in (STORED, DEFLATED):
        raise _corrupt(
            workbook, f"member {member.name!r} uses compression method {member.method}"
        )
    return payload


def _inflate_member(payload: memoryview, member: ZipMember, workbook: str) -> bytes:
    try:
        return inflate(payload, member.size)
    except ValueError as error:
        raise _damaged(member, workbook, error) from error


def _damaged(
    member: ZipMember, workbook: str, error: ValueError
) -> UnsupportedWorkbookError:
    return _corrupt(workbook, f"member {member.name!r} is damaged ({error})")


def _check_crc(member: ZipMember, size: int, crc: int, workbook: str) -> None:
    if size != member.size or crc != member.crc:
        raise _corrupt(workbook, f"member {member.name!r} fails its CRC check")


def _copied_record(member: ZipMember, offset: int) -> bytes:
    header = CENTRAL_HEADER.pack(
        CENTRAL_SIGNATURE,
        member.version_made_by,
        member.version_needed,
        member.flags,
        member.method,
        member.dos_time,
        member.dos_date,
        member.crc,
        member.compressed_size,
        member.size,
        len(member.raw_name),
        len(member.extra),
        len(member.comment),
        0,
        member.internal_attributes,
        member.external_attributes,
        offset,
    )
    return header + member.raw_name + member.extra + member.comment


def _new_headers(entry: NewMember, offset: int, workbook: str) -> tuple[bytes, bytes]:
    raw_name = entry.name.encode("utf-8")
    flags = 0 if entry.name.isascii() else FLAG_UTF8_NAME
    _require_32_bit(len(entry.payload), workbook, f"member {entry.name!r}")
    _require_32_bit(entry.size, workbook, f"member {entry.name!r}")

    common = (
        flags,
        entry.method,
        entry.dos_time,
        entry.dos_date,
        entry.crc,
        len(entry.payload),
        entry.size,
        len(raw_name),
    )
    local = LOCAL_HEADER.pack(LOCAL_SIGNATURE, VERSION_DEFLATE, *common, 0)
    central = CENTRAL_HEADER.pack(
        CENTRAL_SIGNATURE,
        VERSION_DEFLATE,
        VERSION_DEFLATE,
        *common,
        0,
        len(entry.comment),
        0,
        0,
        entry.external_attributes,
        offset,
    )
    return local + raw_name, central + raw_name + entry.comment


def _end_record(
    count: int, size: int, offset: int, comment: bytes, workbook: str
) -> bytes:
    if count > MAX_16 - 1:
        raise UnsupportedWorkbookError(
            f"Workbook {workbook!r} would have {count} zip members; pipesheet writes "
            f"at most {MAX_16 - 1} because it does not write zip64 archives. Split "
            "the workbook or remove unused parts."
        )
    _require_32_bit(offset + size, workbook, "the archive")
    return END_RECORD.pack(
        END_SIGNATURE, 0, 0, count, count, size, offset, len(comment)
    ) + (comment)


def _require_32_bit(value: int, workbook: str, subject: str) -> None:
    if value >= MAX_32:
        raise UnsupportedWorkbookError(
            f"Workbook {workbook!r} is too large: {subject} reaches {value:,} bytes, "
            "and a zip archive over 4 GB needs zip64 records, which pipesheet does "
            "not write. Reduce the workbook's size (images, unused sheets)."
        )


def _corrupt(workbook: str, reason: str) -> UnsupportedWorkbookError:
    return UnsupportedWorkbookError(
        f"Workbook {workbook!r} is not a valid .xlsx file: {reason}. Open it in Excel "
        "and save it as an Excel Workbook (.xlsx or .xlsm), then run again."
    )
