"""XML text for SpreadsheetML parts: escaping, namespace prefixes and attributes.

pipesheet edits package parts as text so that everything it does not own keeps
its exact bytes. These functions cover the small amount of XML syntax that needs:
escaping values, finding which prefix a part uses for its main namespace, and
reading one attribute out of a start tag.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from sync.cell_text import MAX_CELL_TEXT, SURELY_FITTING_TEXT, fit_cell_text

# Characters XML 1.0 cannot carry. Tab, line feed and carriage return are valid.
_INVALID = "\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff"
# SpreadsheetML writes each of these as _xHHHH_: the invalid characters, and the
# carriage return, which XML parsers would turn into a line feed.
_UNSAFE_CHARACTERS = re.compile(f"[{_INVALID}\r]")
# An underscore that starts text looking like an _xHHHH_ escape is itself written
# as _x005F_, or readers would decode the text. The lookalike may end with the
# underscore of a following escape, or with a character that becomes one.
_ESCAPE_LOOKALIKE = re.compile(f"_(?=x[0-9A-Fa-f]{{4}}[_{_INVALID}\r])")
# Lone surrogates cannot be encoded as UTF-8, so they are invalid too.
_INVALID_CHARACTERS = re.compile(f"[{_INVALID}\ud800-\udfff]")
# Text without any of these comes out of escape_cell_text unchanged.
_NEEDS_ESCAPING = re.compile(f"[&<>\r{_INVALID}\ud800-\udfff]|_x")
_UNSAFE_CHARACTER = re.compile(f"[&<>\r{_INVALID}\ud800-\udfff]")
# UTF-8 bytes that cannot be part of an unsafe character. These are every byte
# of a multi-byte character and the ASCII characters outside _UNSAFE_CHARACTER.
# Lone surrogates, U+FFFE and U+FFFF are checked separately.
_SAFE_UTF8_BYTES = bytes(
    code
    for code in range(256)
    if code >= 128 or _UNSAFE_CHARACTER.match(chr(code)) is None
)
_ROOT_ELEMENT = re.compile(
    rb"<(?![?!])(?:([A-Za-z_][\w.-]*):)?([A-Za-z_][\w.-]*)(?=[\s/>])"
)
# The items allowed before the root element: white space, the XML declaration
# and other processing instructions, comments and a document type declaration.
# A comment may contain text that looks like a start tag (<!-- <x:worksheet> -->).
_PROLOG_ITEM = re.compile(
    rb"\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>", re.DOTALL
)


def escape_markup(text: str) -> str:
    """Escape the characters XML reserves in element content (``&``, ``<``, ``>``).

    Use this for formulas; cell text needs :func:`escape_text`.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_text(text: str) -> str:
    """Escape ``text`` for element content such as a cell's ``<t>``.

    Example: ``'a < b & _x0041_\\r'`` becomes ``'a &lt; b &amp; _x005F_x0041__x000D_'``.
    Excel and python-calamine 0.9 decode these escapes, so the text reads back as
    it was; openpyxl 3.1 does not decode them in inline strings.
    """
    escaped = escape_markup(text)
    if "_x" in escaped:
        escaped = _ESCAPE_LOOKALIKE.sub("_x005F_", escaped)
    return _UNSAFE_CHARACTERS.sub(_encode_character, escaped)


def replace_invalid_characters(text: str) -> str:
    """Replace each character XML 1.0 cannot carry with U+FFFD.

    Tab, line feed and carriage return stay. Example: ``'bell\\x07'`` becomes
    ``'bell\\ufffd'``.
    """
    return _INVALID_CHARACTERS.sub("\ufffd", text)


def escape_cell_text(text: str) -> str:
    """Return cell text as a ``<t>`` element contains it: cut, replaced, escaped.

    The text is cut to the 32,767 UTF-16 code units a cell holds, characters
    XML cannot carry become U+FFFD, and the rest is escaped as
    :func:`escape_text` does.
    """
    # Most cell text needs none of this, and a generated tab can have a
    # million cells, so one search decides whether to do any of it.
    if len(text) <= SURELY_FITTING_TEXT and _NEEDS_ESCAPING.search(text) is None:
        return text
    return escape_text(replace_invalid_characters(limit_cell_text(text)))


def escape_cell_texts(texts: list[str]) -> list[str]:
    """Escape each text as :func:`escape_cell_text` does, checking all at once.

    The text of a generated column rarely needs escaping, so one search of the
    joined column replaces a search call for each cell.
    """
    if are_plain_cell_texts(texts, "\n".join(texts)):
        return texts
    return [escape_cell_text(text) for text in texts]


def are_plain_cell_texts(texts: Sequence[str], joined: str) -> bool:
    """Return True when :func:`escape_cell_text` returns every text unchanged.

    :param joined: the texts joined by line feeds. A line feed needs no
        escaping, and between two texts it cannot complete an "_x" that would.
    """
    max_length = max(map(len, texts), default=0)
    return max_length <= SURELY_FITTING_TEXT and _is_safe_text(joined)


def _is_safe_text(text: str) -> bool:
    """Return True when ``text`` has no character or ``_x`` that escaping may change.

    Deleting the safe bytes of the UTF-8 text is faster than a regex search. On
    a 10 MB message column of a 100k-row Problems tab, it took an estimated 0.03 s
    against 0.04 to 0.08 s for the search (CPython 3.11 on x86-64).
    """
    data = text.encode("utf-8", "surrogatepass")
    if _contains(data, b"_x") or data.translate(None, _SAFE_UTF8_BYTES):
        return False
    # These start the UTF-8 of U+D000-U+DFFF (surrogates among them) and of
    # U+FFC0-U+FFFF, so only text with them needs the slower search.
    if b"\xed" in data or _contains(data, b"\xef\xbf"):
        return _UNSAFE_CHARACTER.search(text) is None
    return True


def _contains(data: bytes, pair: bytes) -> bool:
    """Return True when ``data`` contains the two bytes of ``pair`` in a row.

    Looking for the first byte alone comes first because it is much faster. On
    the 0.5 MB of messages in 4,096 rows of a Problems tab, ``b"_" in data``
    took 3 µs and ``b"_x" in data`` 0.4 ms (CPython 3.11, x86-64).
    """
    return pair[:1] in data and pair in data


def escape_attribute(text: str) -> str:
    """Escape ``text`` for a double-quoted attribute value."""
    escaped = escape_text(text).replace('"', "&quot;")
    return escaped.replace("\t", "&#9;").replace("\n", "&#10;")


def unescape(text: str) -> str:
    """Turn entity and character references back into characters."""
    return html.unescape(text) if "&" in text else text


def root_prefix(xml: bytes) -> bytes:
    """Return the prefix of a part's root element with its colon, or ``b""``.

    Excel writes the main namespace as the default one, but other producers
    write ``<x:worksheet xmlns:x=...>``. Every element pipesheet adds to such a
    part must then carry the same prefix.
    """
    match = _root_element(xml)
    if match is None or match.group(1) is None:
        return b""
    return match.group(1) + b":"


def root_start_tag(xml: bytes) -> bytes:
    """Return the start tag of a part's root element, attributes included."""
    match = _root_element(xml)
    if match is None:
        return b""
    end = xml.find(b">", match.end())
    return xml[match.start() : end + 1]


def _root_element(xml: bytes) -> re.Match[bytes] | None:
    """Find the root element's start tag in the 4 KB after the prolog.

    Returns None when ``xml`` ends inside the prolog, such as a piece of a
    part cut in the middle of a comment.
    """
    position = 3 if xml.startswith(b"\xef\xbb\xbf") else 0
    item = _PROLOG_ITEM.match(xml, position)
    while item is not None and item.end() > position:
        position = item.end()
        item = _PROLOG_ITEM.match(xml, position)
    if xml.startswith((b"<!", b"<?"), position):
        return None
    return _ROOT_ELEMENT.search(xml, position, position + 4096)


def attribute_value(start_tag: bytes, name: bytes) -> bytes | None:
    """Return the raw value of attribute ``name`` in ``start_tag``, or None.

    ``name`` is matched whole, so ``r`` does not match ``x14ac:r`` or ``ref``.
    """
    pattern = rb"""[\s]""" + re.escape(name) + rb"""\s*=\s*(?:"([^"]*)"|'([^']*)')"""
    match = re.search(pattern, start_tag)
    if match is None:
        return None
    return match.group(1) if match.group(1) is not None else match.group(2)


def limit_cell_text(text: str) -> str:
    """Cut ``text`` to the 32,767 UTF-16 code units a cell can hold, marking the cut."""
    return fit_cell_text(text, MAX_CELL_TEXT)


def _encode_character(match: re.Match[str]) -> str:
    return f"_x{ord(match.group(0)):04X}_"
