"""Escaping cell text for SpreadsheetML, and replacing characters XML cannot carry."""

from __future__ import annotations

import pytest

from sync.xlsx.markup import (
    escape_cell_text,
    escape_cell_texts,
    escape_text,
    replace_invalid_characters,
    root_prefix,
    root_start_tag,
)

MAIN = b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
        ("bell\x07", "bell_x0007_"),
        ("a\rb", "a_x000D_b"),
        ("tab\tline\n", "tab\tline\n"),
        ("_x0041_", "_x005F_x0041_"),
        ("_x00e9_", "_x005F_x00e9_"),
        ("_x005F_x0041_", "_x005F_x005F_x005F_x0041_"),
        ("_x0041\x07", "_x005F_x0041_x0007_"),
        ("_x0041\r", "_x005F_x0041_x000D_"),
        ("_x004_ _X0041_ _x0041", "_x004_ _X0041_ _x0041"),
    ],
    ids=[
        "markup",
        "control-character",
        "carriage-return",
        "tab-and-line-feed",
        "lookalike",
        "lowercase-lookalike",
        "overlapping-lookalikes",
        "lookalike-ended-by-control-character",
        "lookalike-ended-by-carriage-return",
        "not-lookalikes",
    ],
)
def test_escape_text_for_cell(text: str, escaped: str) -> None:
    assert escape_text(text) == escaped


@pytest.mark.parametrize(
    ("text", "replaced"),
    [
        ("bell\x07", "bell\ufffd"),
        ("\x00\x08\x0b\x0c\x0e\x1f", "\ufffd" * 6),
        ("tab\t line\n return\r", "tab\t line\n return\r"),
        ("\ufffe\uffff\ud800", "\ufffd" * 3),
        ("跟進 😀 \x7f", "跟進 😀 \x7f"),
    ],
    ids=[
        "control-character",
        "c0-range",
        "whitespace-kept",
        "non-characters-and-surrogate",
        "valid-text-kept",
    ],
)
def test_invalid_characters_replaced(text: str, replaced: str) -> None:
    assert replace_invalid_characters(text) == replaced


@pytest.mark.parametrize(
    "unsafe_text",
    [
        "a & b",
        "x\r",
        "bell\x07",
        "_x0041_",
        "lone \ud800",
        "not a character \ufffe",
        "x" * 40_000,
    ],
    ids=[
        "ampersand",
        "carriage-return",
        "control",
        "escape-lookalike",
        "surrogate",
        "noncharacter",
        "too-long",
    ],
)
def test_column_escaped_like_each_text(unsafe_text: str) -> None:
    texts = ["plain", "ellipsis …", "한국어 \ud7ff", unsafe_text, "\uffc0 end"]

    assert escape_cell_texts(texts) == [escape_cell_text(text) for text in texts]


def test_plain_column_returned_unchanged() -> None:
    texts = ["plain", "ellipsis …", "한국어", "_ x", "tab\tline\n"]

    assert escape_cell_texts(texts) is texts


@pytest.mark.parametrize(
    ("xml", "prefix"),
    [
        (DECLARATION + b"<worksheet xmlns=" + MAIN + b"><sheetData/></worksheet>", b""),
        (DECLARATION + b"<x:worksheet xmlns:x=" + MAIN + b"/>", b"x:"),
        (
            DECLARATION + b"<!-- <x:worksheet> --><worksheet xmlns=" + MAIN + b"/>",
            b"",
        ),
        (
            DECLARATION
            + b"<?producer <y:note>?>\n<!-- a --><!-- <x:b> -->"
            + b"<s:worksheet xmlns:s="
            + MAIN
            + b"/>",
            b"s:",
        ),
        (
            b"\xef\xbb\xbf<!DOCTYPE worksheet [<!ENTITY a '<x:c>'>]>"
            b"<worksheet xmlns=" + MAIN + b"/>",
            b"",
        ),
        (DECLARATION + b"<!-- cut before its end <x:worksheet", b""),
    ],
    ids=[
        "default-namespace",
        "prefixed",
        "comment-with-prefixed-tag",
        "processing-instruction-and-comments",
        "bom-and-doctype",
        "unfinished-comment",
    ],
)
def test_root_prefix_after_prolog(xml: bytes, prefix: bytes) -> None:
    assert root_prefix(xml) == prefix


def test_root_start_tag_after_comment() -> None:
    xml = DECLARATION + b"<!-- <x:worksheet a='1'> --><worksheet xmlns=" + MAIN + b">"

    assert root_start_tag(xml) == b"<worksheet xmlns=" + MAIN + b">"
