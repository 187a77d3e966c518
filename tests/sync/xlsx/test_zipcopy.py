"""Zip members copied as stored, changed members written fresh, directory rebuilt."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from config.errors import UnsupportedWorkbookError, WorkbookNotFoundError
from sync.xlsx.compression import ZLIB_DEFLATER, fastest_deflater
from sync.xlsx.package import Package
from sync.xlsx.zipcopy import (
    MemberStream,
    NewMember,
    read_directory,
    read_member_pieces,
    write_archive,
)
from tests.sync.xlsx.packages import raw_members


class UnseekableStream(io.RawIOBase):
    """A write-only stream without tell(), so zipfile writes data descriptors."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, chunk: bytes) -> int:  # type: ignore[override]
        self.data += chunk
        return len(chunk)


def build_archive(path: Path) -> Path:
    """Write an archive with deflated and stored members and comments."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.comment = b"archive comment"
        archive.writestr("a.xml", b"<a>" + b"x" * 500 + b"</a>", zipfile.ZIP_DEFLATED)
        archive.writestr("b.bin", b"\x00\x01" * 50, zipfile.ZIP_STORED)
        info = zipfile.ZipInfo("c.xml", (2020, 5, 17, 10, 30, 0))
        info.comment = b"member comment"
        archive.writestr(info, b"<c/>", zipfile.ZIP_DEFLATED)
    return path


def build_streamed_archive(path: Path) -> Path:
    """Write an archive the way streaming writers do: sizes in data descriptors."""
    stream = UnseekableStream()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.xml", b"<a>" + b"y" * 300 + b"</a>")
        archive.writestr("b.xml", b"<b/>")
    path.write_bytes(bytes(stream.data))
    return path


def copy_package(source: Path, target: Path, changes: dict[str, bytes]) -> Path:
    with Package(source) as package:
        for part, content in changes.items():
            package.write(part, content)
        with target.open("wb") as out:
            package.save(out, package.compress(fastest_deflater()))
    return target


def test_unchanged_archive_copied_byte_for_byte(tmp_path: Path) -> None:
    source = build_archive(tmp_path / "in.zip")

    target = copy_package(source, tmp_path / "out.zip", {})

    assert target.read_bytes() == source.read_bytes()


def test_changed_member_written_fresh(tmp_path: Path) -> None:
    source = build_archive(tmp_path / "in.zip")

    target = copy_package(source, tmp_path / "out.zip", {"c.xml": b"<c>new</c>"})

    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None
        assert archive.read("c.xml") == b"<c>new</c>"
        assert archive.getinfo("c.xml").comment == b"member comment"
        assert archive.comment == b"archive comment"


def test_other_members_keep_stored_bytes(tmp_path: Path) -> None:
    source = build_archive(tmp_path / "in.zip")

    target = copy_package(source, tmp_path / "out.zip", {"c.xml": b"<c>new</c>"})

    before, after = raw_members(source), raw_members(target)
    assert after["a.xml"] == before["a.xml"]
    assert after["b.bin"] == before["b.bin"]


def test_equal_content_keeps_member_as_stored(tmp_path: Path) -> None:
    source = build_archive(tmp_path / "in.zip")

    target = copy_package(source, tmp_path / "out.zip", {"c.xml": b"<c/>"})

    assert target.read_bytes() == source.read_bytes()


def test_data_descriptors_copied_with_members(tmp_path: Path) -> None:
    source = build_streamed_archive(tmp_path / "in.zip")

    target = copy_package(source, tmp_path / "out.zip", {"b.xml": b"<b>new</b>"})

    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None
        assert archive.getinfo("a.xml").flag_bits & 0x08
        assert archive.read("b.xml") == b"<b>new</b>"
    assert raw_members(target)["a.xml"] == raw_members(source)["a.xml"]


def test_zip64_local_fields_copied(tmp_path: Path) -> None:
    source = tmp_path / "in.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("big.xml", "w", force_zip64=True) as member:
            member.write(b"<big/>" * 100)
        archive.writestr("small.xml", b"<small/>")

    target = copy_package(
        source, tmp_path / "out.zip", {"small.xml": b"<small>2</small>"}
    )

    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None
        assert archive.read("big.xml") == b"<big/>" * 100


def test_removed_and_added_parts(tmp_path: Path) -> None:
    source = build_archive(tmp_path / "in.zip")
    target = tmp_path / "out.zip"

    with Package(source) as package:
        package.remove("B.BIN")
        package.write("d/new.xml", b"<new/>")
        with target.open("wb") as out:
            package.save(out, package.compress(ZLIB_DEFLATER))

    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == ["a.xml", "c.xml", "d/new.xml"]
        assert archive.read("d/new.xml") == b"<new/>"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"Deal ID,Stage\nD-1,Lead\n",
            (
                "Workbook 'pipeline.xlsx' is not a valid .xlsx file: it is not a zip "
                "archive "
                "(no end of central directory). Open it in Excel and save it as an "
                "Excel "
                "Workbook (.xlsx or .xlsm), then run again."
            ),
        ),
        (
            b"",
            (
                "Workbook 'pipeline.xlsx' is empty (0 bytes). Restore it from a backup "
                "or save "
                "it again from Excel."
            ),
        ),
        (
            bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 100,
            (
                "Workbook 'pipeline.xlsx' is password-protected or a legacy .xls file. "
                "Remove "
                "the password (or save it as .xlsx) in Excel, then run again."
            ),
        ),
    ],
    ids=["csv-named-xlsx", "empty-file", "compound-file"],
)
def test_non_zip_file_rejected(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "pipeline.xlsx"
    path.write_bytes(content)

    with pytest.raises(UnsupportedWorkbookError) as raised:
        Package(path)

    assert str(raised.value) == message


def test_missing_file_reported(tmp_path: Path) -> None:
    with pytest.raises(WorkbookNotFoundError) as raised:
        Package(tmp_path / "gone.xlsx")

    assert str(raised.value) == (
        f"Workbook {str(tmp_path / 'gone.xlsx')!r} does not exist. Check the source "
        f"path "
        "in the pipeline definition."
    )


def test_damaged_member_rejected_when_read(tmp_path: Path) -> None:
    source = build_archive(tmp_path / "in.zip")
    data = bytearray(source.read_bytes())
    stored_at = data.index(b"\x00\x01" * 50)
    data[stored_at] = 0xFF
    source.write_bytes(bytes(data))

    with Package(source) as package, pytest.raises(UnsupportedWorkbookError) as raised:
        package.read("b.bin")

    assert str(raised.value) == (
        "Workbook 'in.zip' is not a valid .xlsx file: member 'b.bin' fails its CRC "
        "check. "
        "Open it in Excel and save it as an Excel Workbook (.xlsx or .xlsm), then run "
        "again."
    )


@pytest.mark.parametrize("name", ["a.xml", "b.bin"], ids=["deflated", "stored"])
def test_member_read_in_pieces(tmp_path: Path, name: str) -> None:
    source = build_archive(tmp_path / "in.zip")
    data = source.read_bytes()
    member = next(m for m in read_directory(data, "in.zip").members if m.name == name)

    pieces = read_member_pieces(data, member, "in.zip")

    assert b"".join(pieces) == zipfile.ZipFile(source).read(name)


def test_pieces_closed_early_release_archive(tmp_path: Path) -> None:
    # Long enough to inflate in several pieces, so one is read ahead.
    content = b"<row>" + bytes(range(256)) * 40_000 + b"</row>"
    with zipfile.ZipFile(tmp_path / "in.zip", "w") as archive:
        archive.writestr("a.xml", content, zipfile.ZIP_DEFLATED)
    data = bytearray((tmp_path / "in.zip").read_bytes())
    member = read_directory(bytes(data), "in.zip").members[0]
    pieces = read_member_pieces(data, member, "in.zip")

    first = next(pieces)
    pieces.close()
    data.extend(b"more")

    assert content.startswith(first)
    assert len(first) < len(content)


def test_crc_checked_after_last_piece(tmp_path: Path) -> None:
    source = build_archive(tmp_path / "in.zip")
    data = bytearray(source.read_bytes())
    data[data.index(b"\x00\x01" * 50)] = 0xFF
    member = read_directory(bytes(data), "in.zip").members[1]
    pieces = read_member_pieces(bytes(data), member, "in.zip")

    first = next(pieces)
    with pytest.raises(UnsupportedWorkbookError) as raised:
        next(pieces)

    assert first.startswith(b"\xff\x01")
    assert str(raised.value) == (
        "Workbook 'in.zip' is not a valid .xlsx file: member 'b.bin' fails its CRC "
        "check. Open it in Excel and save it as an Excel Workbook (.xlsx or .xlsm), "
        "then run again."
    )


def test_streamed_member_keeps_replaced_metadata(tmp_path: Path) -> None:
    source = build_archive(tmp_path / "in.zip")
    template = read_directory(source.read_bytes(), "in.zip").members[2]
    stream = MemberStream("c.xml", fastest_deflater(), template)
    stream.write(b"<c>")
    stream.write(b"new</c>")

    member = stream.close()

    out = io.BytesIO()
    write_archive(out, b"", [member], b"", "out.zip")
    with zipfile.ZipFile(out) as archive:
        assert archive.read("c.xml") == b"<c>new</c>"
        assert archive.getinfo("c.xml").date_time == (2020, 5, 17, 10, 30, 0)
        assert archive.getinfo("c.xml").comment == b"member comment"
        assert archive.testzip() is None


def test_too_many_members_rejected() -> None:
    empty = NewMember("x", b"\x03\x00", 0, 0)
    members = [NewMember(f"m{index}", empty.payload, 0, 0) for index in range(65_535)]

    with pytest.raises(UnsupportedWorkbookError) as raised:
        write_archive(io.BytesIO(), b"", members, b"", "big.xlsx")

    assert str(raised.value) == (
        "Workbook 'big.xlsx' would have 65535 zip members; pipesheet writes at most "
        "65534 because it does not write zip64 archives. Split the workbook or remove "
        "unused parts."
    )
