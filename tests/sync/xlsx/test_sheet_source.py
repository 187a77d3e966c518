"""The sheet XML window and its copy with comments, CDATA and instructions blanked."""

from __future__ import annotations

import re

import pytest

from sync.xlsx.sheet_source import SheetSource

XML = (
    b'<?xml version="1.0"?><sheetData><!-- <row r="9"> --><row r="1">'
    b"<c><is><t><![CDATA[</c> ]] > ]]></t></is></c><?pi a?b ?></row>"
    b"<!----><!-- a - b ->--><row r='2'><c><v>1!</v></c></row></sheetData>"
)
MARKUP = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>", re.DOTALL)


def blanked(xml: bytes) -> bytes:
    """Return ``xml`` with each comment, CDATA section and instruction blanked."""
    return MARKUP.sub(lambda match: b" " * len(match.group(0)), xml)


def read_all(pieces: list[bytes]) -> SheetSource:
    source = SheetSource(pieces)
    while source.extend():
        pass
    return source


@pytest.mark.parametrize("piece_bytes", [1, 2, 5, 1000], ids=lambda n: f"{n}-byte")
def test_markup_blanked_in_any_pieces(piece_bytes: int) -> None:
    pieces = [XML[at : at + piece_bytes] for at in range(0, len(XML), piece_bytes)]

    source = read_all(pieces)

    assert source.window == XML
    assert source.masked == blanked(XML)


def test_markup_blanked_at_every_split() -> None:
    wrong = [
        cut
        for cut in range(1, len(XML))
        if read_all([XML[:cut], XML[cut:]]).masked != blanked(XML)
    ]

    assert wrong == []


def test_plain_window_is_its_own_copy() -> None:
    source = read_all([b"<sheetData><row r='1'>", b"<c><v>Why? Now!</v></c></row>"])

    assert source.masked is source.window


def test_copy_dropped_after_markup_written() -> None:
    xml = b"<!-- x --><row r='1'></row><row r='2'></row>"
    source = read_all([xml])

    source.advance(xml.index(b"<row r='2'"))

    assert source.masked is source.window
    assert source.window == b"<row r='2'></row>"


def test_long_comment_blanked_piece_by_piece() -> None:
    body = b"<row r='1'></row> " * 20_000
    xml = b"<sheetData><!--" + body + b"--><row r='2'></row></sheetData>"
    pieces = [xml[at : at + 64] for at in range(0, len(xml), 64)]

    source = read_all(pieces)

    assert source.masked == blanked(xml)
    assert source.masked.count(b"<row") == 1


@pytest.mark.parametrize(
    "after", [b"<!-- x -->", b"<?pi?>", b""], ids=["comment", "instruction", "none"]
)
def test_markup_found_among_many_marks(after: bytes) -> None:
    xml = b"<row r='1'><c><is><t>" + b"Why?!" * 400 + b"</t></is></c>" + after

    source = read_all([xml])

    assert source.masked == blanked(xml)
    assert (source.masked is source.window) == (not after)


def test_markup_start_kept_across_advance() -> None:
    first = b"<row r='1'></row><row r='2'><c><is><t><![CD"
    source = SheetSource([first, b"ATA[</c></row>]]></t></is></c></row>"])
    source.extend()

    source.advance(first.index(b"<row r='2'"))
    source.extend()

    assert source.masked == blanked(source.window)
