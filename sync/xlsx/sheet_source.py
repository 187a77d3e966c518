"""Sheet XML read piece by piece, with its comments and CDATA blanked for searches.

XML allows comments, CDATA sections and processing instructions between and
inside the rows of ``<sheetData>``, and their text may look like markup
(``<!-- <row r="9"> -->``, ``<t><![CDATA[</c>]]></t>``). The status-column
patch finds rows and cells with byte searches, so it searches a copy of the
window in which each of them is replaced by spaces, byte for byte, and copies
the output from the real window. A position found in the copy is the same
position in the real XML, and the blanked text is written out unchanged.

Most sheets have none of them. Each piece is searched for ``!`` and ``?``,
and a hit counts only after a ``<``. Without one, the copy is the window
itself. On the 60 MB sheet of the 100k-row benchmark workbook the two
searches took about 12 ms (CPython 3.11, 2-core AMD EPYC).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# The start and end of each kind of markup whose text is blanked.
_MARKUP = ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>"), (b"<?", b"?>"))

# How many bytes of a piece there are per ``!`` or ``?`` checked one by one
# before one search for the markup's start (``<!``, ``<?``) replaces those
# checks. On the 100k-row benchmark sheet such a search took about 2.5 ns
# per byte and a check about 0.2 us (CPython 3.11, 2-core AMD EPYC), so the
# search pays only for text with a mark every 80 bytes or so.
_BYTES_PER_CHECK = 64


@dataclass(frozen=True)
class _Pending:
    """Markup that the window ends inside.

    ``closer`` ends an open comment, CDATA section or instruction, and is
    searched for from ``start`` on. When it is None, the window ends inside
    the start of the markup (``<!-``), which is read again from ``start``.
    """

    start: int
    closer: bytes | None = None

    def moved(self, count: int) -> _Pending:
        """Return the same markup after the window's first ``count`` bytes went."""
        return _Pending(max(self.start - count, 0), self.closer)


class SheetSource:
    """The source XML read piece by piece, holding only the part not yet written.

    ``window`` contains the XML read and not yet written. ``masked`` is the same
    bytes with every comment, CDATA section and processing instruction
    replaced by spaces, and is ``window`` itself when the window has none.
    """

    def __init__(self, pieces: Iterable[bytes]) -> None:
        self._pieces = iter(pieces)
        self.window = b""
        self.masked = b""
        self._pending: _Pending | None = None
        # The end of the window's last blanked range, or 0 when none is left.
        self._blanked_end = 0

    def extend(self) -> bool:
        """Append the next piece to the window, or return False after the last one."""
        piece = next(self._pieces, None)
        if piece is None:
            return False
        start = len(self.window)
        self.window += piece
        pending = self._pending
        if pending is None and not _may_contain_markup(self.window, start):
            if self._blanked_end:
                self.masked += piece
            else:
                self.masked = self.window
            return True

        if pending is not None and pending.closer is None:
            start = pending.start
        elif pending is None and self.window[start - 1 : start] == b"<":
            # The piece before ended with the markup's "<", which no blanked
            # range ends with.
            start -= 1
        self._blank_from(start, pending)
        return True

    def advance(self, count: int) -> None:
        """Drop the first ``count`` bytes of the window, which are written.

        The caller cuts only where ``masked`` shows a tag, never inside
        blanked markup.
        """
        identical = self.masked is self.window
        self.window = self.window[count:]
        if self._pending is not None:
            self._pending = self._pending.moved(count)
        if identical:
            self.masked = self.window
            return

        self.masked = self.masked[count:]
        self._blanked_end = max(self._blanked_end - count, 0)
        if self._pending is None and not self._blanked_end:
            self.masked = self.window

    def read_rest(self) -> bytes:
        """Return the window followed by every remaining piece."""
        return b"".join([self.window, *self._pieces])

    def _blank_from(self, start: int, pending: _Pending | None) -> None:
        """Blank the markup of ``window[start:]`` in ``masked``."""
        blanked, self._pending, blanked_end = _blank_markup(self.window, start, pending)
        self._blanked_end = max(self._blanked_end, blanked_end)
        if self._blanked_end:
            self.masked = self.masked[:start] + blanked
        else:
            self.masked = self.window


def _may_contain_markup(xml: bytes, start: int) -> bool:
    """Return True if ``<!`` or ``<?`` may start at or after ``xml[start - 1]``.

    Searching for the rare ``!`` and ``?`` first is several times faster than
    searching for ``<!`` and ``<?``, since ``<`` starts every tag.
    """
    checks = max((len(xml) - start) // _BYTES_PER_CHECK, 1)
    for mark in (b"!", b"?"):
        position = xml.find(mark, start)
        for _ in range(checks):
            if position < 0:
                break
            if position > 0 and xml[position - 1] == ord("<"):
                return True
            position = xml.find(mark, position + 1)
        else:
            if xml.find(b"<" + mark, max(start - 1, 0)) >= 0:
                return True
    return False


def _blank_markup(
    xml: bytes, start: int, pending: _Pending | None
) -> tuple[bytes, _Pending | None, int]:
    """Return ``xml[start:]`` with comments, CDATA and instructions blanked.

    Also returns the markup that ``xml`` ends inside, if any, and the end of
    the last blanked range (0 when nothing was blanked). When ``pending`` has
    a closer, ``xml[start:]`` begins inside that open markup.
    """
    out = bytearray(xml[start:])
    blanked_end = 0
    position = start
    if pending is not None and pending.closer is not None:
        position = _blank_until(xml, out, start, start, pending.closer, pending.start)
        blanked_end = len(xml) if position < 0 else position
        if position < 0:
            return (
                bytes(out),
                _still_open(xml, pending.closer, pending.start),
                blanked_end,
            )

    while (opening := _next_markup(xml, position)) >= 0:
        kind = _markup_kind(xml, opening)
        if kind is None:
            position = opening + 2
            continue
        if not kind:
            return bytes(out), _Pending(opening), blanked_end

        opener, closer = kind
        search_from = opening + len(opener)
        position = _blank_until(xml, out, start, opening, closer, search_from)
        blanked_end = len(xml) if position < 0 else position
        if position < 0:
            return bytes(out), _still_open(xml, closer, search_from), blanked_end
    return bytes(out), None, blanked_end


def _blank_until(
    xml: bytes,
    out: bytearray,
    start: int,
    opening: int,
    closer: bytes,
    search_from: int,
) -> int:
    """Blank the markup from ``opening`` to the end of its ``closer`` in ``out``.

    ``out`` contains ``xml[start:]``. Returns where the markup ends, or -1 when
    ``xml`` ends before its closer, after blanking up to the end of ``xml``.
    """
    close = xml.find(closer, search_from)
    end = len(xml) if close < 0 else close + len(closer)
    out[opening - start : end - start] = b" " * (end - opening)
    return -1 if close < 0 else end


def _still_open(xml: bytes, closer: bytes, search_from: int) -> _Pending:
    """Return the open markup that ``xml`` ends inside, searched from ``search_from``.

    The closer may start in the last bytes of ``xml`` and end in the next piece.
    """
    return _Pending(max(len(xml) - len(closer) + 1, search_from), closer)


def _next_markup(xml: bytes, position: int) -> int:
    """Return where the next ``<!`` or ``<?`` starts, or -1."""
    starts = (xml.find(b"<!", position), xml.find(b"<?", position))
    return min((found for found in starts if found >= 0), default=-1)


def _markup_kind(xml: bytes, at: int) -> tuple[bytes, bytes] | tuple[()] | None:
    """Return the start and end of the markup at ``at``.

    Returns ``()`` when the XML ends before its kind shows, and None for
    ``<!`` markup of another kind (a document type declaration is not allowed
    inside an element).
    """
    rest = xml[at : at + len(b"<![CDATA[")]
    for opener, closer in _MARKUP:
        if rest.startswith(opener):
            return opener, closer
    if any(opener.startswith(rest) for opener, _ in _MARKUP):
        return ()
    return None
