"""Deflate through ISA-L or zlib, and the fallback when python-isal is missing."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from sync.xlsx import compression
from sync.xlsx.compression import (
    PENDING_BYTES,
    PIECE_BYTES,
    ZLIB_DEFLATER,
    Deflater,
    DeflateStream,
    crc32,
    fastest_deflater,
    inflate,
    inflate_pieces,
)
from sync.xlsx.edits import WorkbookEdits
from sync.xlsx.workbook_patch import patch_workbook
from tests.sync.xlsx.packages import column_values

CONTENT = b"<row>" + "狀態 status ".encode() * 2000 + b"</row>"


@pytest.mark.parametrize(
    "deflater",
    [Deflater("isal", 1), Deflater("isal", 3), ZLIB_DEFLATER, Deflater("zlib", 1)],
    ids=["isal-1", "isal-3", "zlib-6", "zlib-1"],
)
def test_raw_stream_inflates_with_zlib(deflater: Deflater) -> None:
    stream = deflater.compress(CONTENT)

    assert zlib.decompress(stream, -15) == CONTENT


def test_inflate_and_checksum_match_zlib() -> None:
    stream = zlib.compress(CONTENT, 6, -15)

    assert inflate(stream, len(CONTENT)) == CONTENT
    assert crc32(CONTENT) == zlib.crc32(CONTENT)


def test_corrupt_stream_reported_as_value_error() -> None:
    with pytest.raises(ValueError):
        inflate(b"\xff\xff\xff\xff", 10)


# Several pieces long, and compressible enough that one compressed input step
# inflates past the piece limit.
LONG_CONTENT = b"<row>" + b"status " * (3 * PIECE_BYTES // 7) + b"</row>"


def test_inflated_pieces_rebuild_content() -> None:
    pieces = list(inflate_pieces(zlib.compress(LONG_CONTENT, 6, -15)))

    assert b"".join(pieces) == LONG_CONTENT
    assert max(len(piece) for piece in pieces) == PIECE_BYTES


def test_corrupt_stream_in_pieces_reported() -> None:
    with pytest.raises(ValueError):
        list(inflate_pieces(b"\xff\xff\xff\xff"))


@pytest.mark.parametrize(
    "deflater",
    [Deflater("isal", 1), ZLIB_DEFLATER],
    ids=["isal-1", "zlib-6"],
)
def test_deflate_stream_matches_content(deflater: Deflater) -> None:
    stream = DeflateStream(deflater)
    for start in range(0, len(CONTENT), 1000):
        stream.write(CONTENT[start : start + 1000])

    payload = stream.close()

    assert zlib.decompress(payload, -15) == CONTENT
    assert stream.crc == zlib.crc32(CONTENT)
    assert stream.size == len(CONTENT)


# Pieces of many sizes, some larger than PENDING_BYTES, so that writes wait for
# the worker both for older pieces and for none.
PIECE_SIZES = [1, 70_000, 3 * PENDING_BYTES, 5, 400_000, PENDING_BYTES, 999]


@pytest.mark.parametrize(
    "deflater",
    [Deflater("isal", 1), ZLIB_DEFLATER],
    ids=["isal-1", "zlib-6"],
)
def test_deflate_stream_equals_one_thread(deflater: Deflater) -> None:
    content = LONG_CONTENT * 8
    pieces, start = [], 0
    for size in PIECE_SIZES:
        pieces.append(content[start : start + size])
        start += size
    stream = DeflateStream(deflater)
    compressor = deflater.compressor()

    for piece in pieces:
        stream.write(piece)
    payload = stream.close()
    expected = b"".join(map(compressor.compress, pieces)) + compressor.flush()

    assert payload == expected
    assert stream.crc == zlib.crc32(content[:start])
    assert stream.size == start


def test_deflate_stream_copies_mutable_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    # The first piece keeps the worker busy while the caller changes the
    # buffer it wrote next.
    monkeypatch.setattr(compression, "PENDING_BYTES", 1 << 30)
    busy = bytes(range(256)) * (1 << 16)
    buffer = bytearray(b"status " * 1000)
    stream = DeflateStream(ZLIB_DEFLATER)

    stream.write(busy)
    stream.write(buffer)
    buffer[:] = b"x" * len(buffer)
    payload = stream.close()

    assert zlib.decompress(payload, -15) == busy + b"status " * 1000


def test_small_part_deflated_without_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    def submit(*_arguments: object, **_keywords: object) -> None:
        raise AssertionError("a piece was handed to the worker thread")

    monkeypatch.setattr(compression.ThreadPoolExecutor, "submit", submit)
    stream = DeflateStream(ZLIB_DEFLATER)

    for start in range(0, len(CONTENT), 1000):
        stream.write(CONTENT[start : start + 1000])
    payload = stream.close()

    assert zlib.decompress(payload, -15) == CONTENT
    assert stream.crc == zlib.crc32(CONTENT)


def test_checksum_continues_from_value() -> None:
    assert crc32(CONTENT[100:], crc32(CONTENT[:100])) == zlib.crc32(CONTENT)


def test_isal_preferred_when_installed() -> None:
    pytest.importorskip("isal", reason="python-isal is not installed")

    assert fastest_deflater() == Deflater("isal", 1)


@pytest.fixture
def without_isal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behave as if python-isal were not installed."""
    monkeypatch.setattr(compression, "isal_zlib", None)


@pytest.mark.usefixtures("without_isal")
def test_zlib_chosen_without_isal() -> None:
    assert fastest_deflater() == ZLIB_DEFLATER


@pytest.mark.usefixtures("without_isal")
def test_isal_deflater_falls_back_to_zlib() -> None:
    stream = Deflater("isal", 1).compress(CONTENT)

    assert inflate(stream, len(CONTENT)) == CONTENT


@pytest.mark.usefixtures("without_isal")
def test_streams_fall_back_to_zlib() -> None:
    stream = DeflateStream(Deflater("isal", 1))
    stream.write(CONTENT)

    payload = bytes(stream.close())

    assert b"".join(inflate_pieces(payload)) == CONTENT


@pytest.mark.usefixtures("without_isal")
def test_workbook_patched_without_isal(xlsxwriter_workbook: Path) -> None:
    target = xlsxwriter_workbook.with_name("out.xlsx")

    stats = patch_workbook(
        xlsxwriter_workbook, target, WorkbookEdits("Deals", 4, 1, "S")
    )

    assert stats.deflate_backend == "zlib-6"
    assert column_values(target, "Deals", 4)[0] == "S"
