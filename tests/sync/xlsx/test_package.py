"""Staged parts of a package: large ones deflated when written, read back intact."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from sync.xlsx import package as package_module
from sync.xlsx.compression import ZLIB_DEFLATER
from sync.xlsx.package import EAGER_DEFLATE_BYTES, Package
from sync.xlsx.zipcopy import MemberStream
from tests.python_child import python_output

LARGE = b"<sheetData>" + b"<row/>" * (EAGER_DEFLATE_BYTES // 6) + b"</sheetData>"


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("xl/worksheets/sheet1.xml", b"<old/>", zipfile.ZIP_DEFLATED)
        package.writestr("xl/styles.xml", b"<styles/>", zipfile.ZIP_DEFLATED)
    return path


def saved(path: Path, eager: bool, parts: dict[str, bytes]) -> bytes:
    """Return the archive written after staging ``parts``."""
    deflater = ZLIB_DEFLATER if eager else None
    out = io.BytesIO()
    with Package(path, eager_deflater=deflater) as package:
        for part, content in parts.items():
            package.write(part, content)
        package.save(out, package.compress(ZLIB_DEFLATER))
    return out.getvalue()


@pytest.mark.parametrize(
    "part",
    ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"],
    ids=["changed", "added"],
)
def test_large_part_read_back(archive: Path, part: str) -> None:
    with Package(archive, eager_deflater=ZLIB_DEFLATER) as package:
        package.write(part, bytearray(LARGE))

        assert package.read(part) == LARGE


@pytest.mark.parametrize(
    "parts",
    [
        {"xl/worksheets/sheet1.xml": LARGE},
        {"xl/worksheets/sheet2.xml": LARGE},
        {"xl/worksheets/sheet1.xml": LARGE, "xl/styles.xml": b"<new/>"},
    ],
    ids=["changed", "added", "with-small-part"],
)
def test_eager_deflate_writes_same_archive(
    archive: Path, parts: dict[str, bytes]
) -> None:
    assert saved(archive, True, parts) == saved(archive, False, parts)


def test_archive_with_eager_part_opens(archive: Path) -> None:
    data = saved(archive, True, {"xl/worksheets/sheet1.xml": LARGE})

    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.read("xl/worksheets/sheet1.xml") == LARGE
        assert package.testzip() is None


def test_source_part_read_in_pieces(archive: Path) -> None:
    with Package(archive) as package:
        pieces = list(package.read_pieces("XL/worksheets/sheet1.xml"))

    assert pieces == [b"<old/>"]


def test_staged_part_read_as_one_piece(archive: Path) -> None:
    with Package(archive, eager_deflater=ZLIB_DEFLATER) as package:
        package.write("xl/worksheets/sheet1.xml", LARGE)

        pieces = list(package.read_pieces("xl/worksheets/sheet1.xml"))

    assert pieces == [LARGE]


def test_missing_part_not_read_in_pieces(archive: Path) -> None:
    with Package(archive) as package, pytest.raises(KeyError):
        package.read_pieces("xl/worksheets/sheet9.xml")


@pytest.mark.parametrize(
    "part",
    ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"],
    ids=["changed", "added"],
)
def test_streamed_member_staged(archive: Path, part: str) -> None:
    out = io.BytesIO()
    with Package(archive) as package:
        stream = MemberStream(part, ZLIB_DEFLATER, package.stored_member(part))
        stream.write(LARGE)
        package.write_member(stream.close())

        package.save(out, package.compress(ZLIB_DEFLATER))

    with zipfile.ZipFile(out) as saved_archive:
        assert saved_archive.read(part) == LARGE


def test_streamed_member_takes_stored_spelling(archive: Path) -> None:
    out = io.BytesIO()
    with Package(archive) as package:
        stream = MemberStream("XL/Worksheets/Sheet1.xml", ZLIB_DEFLATER, None)
        stream.write(b"<new/>")
        package.write_member(stream.close())

        package.save(out, package.compress(ZLIB_DEFLATER))

    with zipfile.ZipFile(out) as saved_archive:
        assert saved_archive.namelist() == ["xl/worksheets/sheet1.xml", "xl/styles.xml"]


def test_part_read_in_pieces_still_copied(archive: Path) -> None:
    out = io.BytesIO()
    with Package(archive) as package:
        pieces = list(package.read_pieces("xl/worksheets/sheet1.xml"))

        package.save(out, package.compress(ZLIB_DEFLATER))
        again = package.read("xl/worksheets/sheet1.xml")

    assert pieces == [again]
    assert out.getvalue() == archive.read_bytes()


@pytest.fixture
def large_archive(tmp_path: Path) -> Path:
    path = tmp_path / "large.xlsx"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("xl/worksheets/sheet1.xml", LARGE, zipfile.ZIP_DEFLATED)
        package.writestr("xl/styles.xml", b"<styles/>", zipfile.ZIP_DEFLATED)
    return path


@pytest.mark.parametrize("read_first", [True, False], ids=["read-first", "not-read"])
def test_equal_large_part_kept_as_stored(large_archive: Path, read_first: bool) -> None:
    out = io.BytesIO()
    with Package(large_archive) as package:
        if read_first:
            package.read("xl/worksheets/sheet1.xml")
        package.write("xl/worksheets/sheet1.xml", bytearray(LARGE))

        package.save(out, package.compress(ZLIB_DEFLATER))

    assert out.getvalue() == large_archive.read_bytes()


@pytest.mark.parametrize(
    "content",
    [LARGE.replace(b"<row/>", b"<rOw/>", 1), LARGE + b" "],
    ids=["same-size", "longer"],
)
def test_different_large_part_written(large_archive: Path, content: bytes) -> None:
    out = io.BytesIO()
    with Package(large_archive) as package:
        package.write("xl/worksheets/sheet1.xml", content)

        package.save(out, package.compress(ZLIB_DEFLATER))

    with zipfile.ZipFile(out) as saved_archive:
        assert saved_archive.read("xl/worksheets/sheet1.xml") == content


def test_large_part_read_twice(large_archive: Path) -> None:
    with Package(large_archive) as package:
        first = package.read("xl/worksheets/sheet1.xml")

        second = package.read("xl/worksheets/sheet1.xml")

    assert first == second == LARGE


def streamed(package: Package, part: str, content: bytes) -> bool:
    """Deflate ``content`` through a stream for ``part``; return may_equal_source."""
    stream = package.open_stream(part)
    stream.write(content)
    return package.may_equal_source(stream.close())


@pytest.mark.parametrize(
    ("part", "content", "expected"),
    [
        ("xl/worksheets/sheet1.xml", b"<old/>", True),
        ("XL/Worksheets/Sheet1.xml", b"<old/>", True),
        ("xl/worksheets/sheet1.xml", b"<new/>", False),
        ("xl/worksheets/sheet1.xml", b"<old/><old/>", False),
        ("xl/worksheets/sheet2.xml", b"<old/>", False),
    ],
    ids=["same", "other-case", "same-size", "longer", "new-part"],
)
def test_stream_compared_with_source_part(
    archive: Path, part: str, content: bytes, expected: bool
) -> None:
    with Package(archive) as package:
        assert streamed(package, part, content) is expected


def test_stream_of_removed_part_not_source(archive: Path) -> None:
    with Package(archive) as package:
        package.remove("xl/worksheets/sheet1.xml")

        assert streamed(package, "xl/worksheets/sheet1.xml", b"<old/>") is False


def test_file_cut_while_open_still_read(archive: Path) -> None:
    # A memory-mapped source ended the process with SIGBUS here, so the
    # check runs in a child process and looks at how it ended.
    code = f"""
from pathlib import Path
from sync.xlsx.package import Package
path = Path({str(archive)!r})
with Package(path) as package:
    path.write_bytes(b"")
    print(package.read("xl/styles.xml").decode())
"""
    assert python_output(code) == "<styles/>\n"


def test_given_bytes_read_instead_of_file(archive: Path, tmp_path: Path) -> None:
    data = archive.read_bytes()
    archive.write_bytes(b"not a zip any more")

    with Package(tmp_path / "book.xlsx", data=data) as package:
        styles = package.read("xl/styles.xml")

    assert styles == b"<styles/>"


def test_small_part_read_without_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "large.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/worksheets/sheet1.xml", os.urandom(4 << 20))
        archive.writestr("xl/styles.xml", b"<styles/>", zipfile.ZIP_DEFLATED)
    real_read_at = package_module._read_at
    read_sizes: list[int] = []

    def counted_read_at(descriptor: int, target: memoryview, offset: int) -> int:
        count = real_read_at(descriptor, target, offset)
        read_sizes.append(count)
        return count

    monkeypatch.setattr(package_module, "_read_at", counted_read_at)

    with Package(path) as package:
        styles = package.read("xl/styles.xml")

    assert styles == b"<styles/>"
    assert sum(read_sizes) < 100_000


def test_percent_encoded_name_found(tmp_path: Path) -> None:
    path = tmp_path / "names.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/deal%20sheet.xml", b"<encoded/>")
        archive.writestr("xl/other sheet.xml", b"<decoded/>")

    with Package(path) as package:
        assert package.read("xl/deal%20sheet.xml") == b"<encoded/>"
        assert package.read("xl/other%20sheet.xml") == b"<decoded/>"
        assert package.find("xl/deal sheet.xml") is None


def test_free_name_skips_leftover_rels(tmp_path: Path) -> None:
    path = tmp_path / "names.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
        archive.writestr("xl/worksheets/_rels/sheet2.xml.rels", b"<Relationships/>")

    with Package(path) as package:
        assert package.free_name("xl/worksheets/sheet{}.xml") == (
            "xl/worksheets/sheet3.xml"
        )
