"""Folding of typed text so that forms a person cannot tell apart compare equal."""

from __future__ import annotations

import itertools
import re
import unicodedata

# Invisible format characters that arrive with text pasted from web pages, chats
# and right-to-left documents. They are the soft hyphen, the Arabic letter mark,
# the zero-width space, the direction marks, embeddings, overrides and isolates,
# the word joiner and the byte order mark. The zero-width non-joiner and joiner
# (U+200C, U+200D) are kept because they change how Persian and Indic words are
# written.
_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u00ad\u061c\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
        "\u2060\u2066\u2067\u2068\u2069\ufeff",
    )
)

_SPACE_RUNS = re.compile(r"\s+")

# CJK symbols and punctuation, kana, and the CJK unified and compatibility
# ideographs, with their extensions in planes 2 and 3.
_CJK = (
    "\u3001-\u303f\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\U00020000-\U0003134f"
)
# White space with a CJK character on one side and a letter, digit or CJK
# character on the other.
_CJK_GAPS = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}\w])|(?<=\w)\s+(?=[{_CJK}])")


# Turkish and Azerbaijani write a dotted İ/i and a dotless I/ı as two letters,
# but str.casefold pairs I with i and turns İ into i with a combining dot, so
# ``IŞIK`` would not match ``Işık``. All four fold to i. That also matches
# ``Isik`` with ``Işık``, which costs little when only names are compared.
_TURKISH_I = str.maketrans({"I": "i", "\u0130": "i", "\u0131": "i"})


def fold_case(text: str) -> str:
    """Return ``text`` casefolded, with I, İ, ı and i as one letter.

    Use it in place of ``str.casefold`` wherever texts a person types are
    matched without regard to case.

    >>> fold_case("IŞIK") == fold_case("ışık") == fold_case("Işık")
    True
    >>> fold_case("İLGİLİ") == fold_case("ilgili")
    True
    """
    if text.isascii():
        return text.casefold()
    # The replace covers an i followed by a combining dot above (U+0307), as
    # str.lower makes of İ.
    return text.translate(_TURKISH_I).casefold().replace("i\u0307", "i")


def fold_text(text: str) -> str:
    """Return text as :func:`normalize_text` gives it, folded by :func:`fold_case`.

    >>> fold_text("\u3000Ｄｅａｌ\u00a0ID ")
    'deal id'
    >>> fold_text("İLGİLİ KİŞİ") == fold_text("İlgili Kişi")
    True
    """
    return fold_case(normalize_text(text))


def owner_key(owner: str) -> str:
    """Return the key by which an owner's name is matched, grouped and recorded.

    Cells and ``notifications.owners`` entries that spell one owner in another
    case or spacing get one key: the text as :func:`fold_text` gives it, without
    any space. So a name padded with an ideographic space to line up with
    longer names (``王\u3000芳``) is the name without it.

    >>> owner_key(" ana  LIMA")
    'analima'
    >>> owner_key("王\u3000芳") == owner_key("王芳\u200b")
    True
    """
    return "".join(fold_text(owner).split())


def tidy_spaces(text: str) -> str:
    """Return text trimmed, with each run of white space as one space.

    A run of ideographic spaces (U+3000) is kept as typed, because Chinese and
    Japanese sheets pad short names with it to line them up (``王\u3000芳``),
    and an ASCII space there would show a name the rows never spell. Any other
    run, such as a no-break space or a line break, becomes one ASCII space.
    Invisible format characters are dropped, and nothing else changes.

    >>> tidy_spaces(" Ana\u00a0 Lima\u200b")
    'Ana Lima'
    >>> tidy_spaces("王\u3000芳") == "王\u3000芳"
    True
    """
    visible = text.translate(_INVISIBLE)
    if "\u3000" not in visible:
        return " ".join(visible.split())
    return _SPACE_RUNS.sub(_one_space, visible.strip())


def _one_space(run: re.Match[str]) -> str:
    spaces = run.group()
    return spaces if spaces.strip("\u3000") == "" else " "


def join_cjk_words(text: str) -> str:
    """Return text without the spaces between a CJK character and a word beside it.

    Chinese and Japanese write no spaces between words, so a space there only
    lines text up or comes from a line break typed in the cell (Alt+Enter in
    Excel). The same is true beside a Latin word (``商机 ID`` is ``商机ID``).
    Hangul is not CJK here, because Korean separates words with spaces.

    >>> join_cjk_words("商机 编号 (ID)")
    '商机编号 (ID)'
    >>> join_cjk_words("商机 ID")
    '商机ID'
    """
    if text.isascii():
        return text
    return _CJK_GAPS.sub("", text)


def normalize_text(text: str) -> str:
    """Return text in NFKC form with each run of whitespace as one space.

    NFKC turns full-width letters, digits and signs (ＩＤ, ２０２５, ￥, ％) into
    their plain forms and no-break, thin and ideographic spaces into plain
    spaces. Invisible format characters, such as zero-width spaces and
    direction marks, are dropped. Case is kept.

    >>> normalize_text("\u3000Ｄｅａｌ\u00a0ID\u200f ")
    'Deal ID'
    """
    normal = unicodedata.normalize("NFKC", text.translate(_INVISIBLE))
    return " ".join(normal.split())


def drop_invisible(text: str) -> str:
    """Return text without the invisible format characters, otherwise unchanged.

    >>> drop_invisible("Ana Lima\u200f")
    'Ana Lima'
    """
    return text.translate(_INVISIBLE)


def deal_id_key(deal_id: str) -> str:
    """Return a deal ID as IDs are compared: trimmed, NFC, without invisible characters.

    Case and full-width forms are kept, so ``d-1`` and ``D-1`` are two IDs,
    but ``D-1`` with a direction mark pasted after it is ``D-1``. An accent
    stored as a combining mark (NFD, as macOS and some web forms save ``Ü``)
    is composed, so the two ways to store ``MÜN-1`` are one ID.
    """
    trimmed = deal_id.strip()
    if trimmed.isascii():
        return trimmed
    return unicodedata.normalize("NFC", trimmed.translate(_INVISIBLE).strip())


# Dashes that look like the ASCII hyphen-minus in an ID.
_DASHES = str.maketrans(
    dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212\ufe58\ufe63", "-")
)


def lookalike_id_key(deal_id: str) -> str:
    """Return ``deal_id`` as people read it: ``Ａ‐1`` and ``a-1`` give ``a-1``.

    Case, character width, the kind of dash and every space are left out.
    """
    return "".join(fold_id_dashes(deal_id).split())


def fold_id_dashes(deal_id: str) -> str:
    """Return ``deal_id`` as :func:`fold_text` gives it, with every dash as ``-``."""
    return fold_text(deal_id).translate(_DASHES)


def quote_showing_invisible(text: str) -> str:
    """Return ``text`` quoted, with its invisible format characters named.

    A message that quotes such a text with ``repr`` shows escapes (``\\ufeff``)
    that people do not recognise, so the characters are left out of the
    quotes and named after them, with where they are.

    >>> quote_showing_invisible("A-1\ufeff")
    "'A-1' (with an invisible U+FEFF at the end)"
    >>> quote_showing_invisible("\u200fA\u00ad-1")
    "'A-1' (with an invisible U+200F at the start, U+00AD after 'A')"
    """
    visible = drop_invisible(text)
    if visible == text:
        return repr(text)

    runs: list[str] = []
    visible_before = ""
    consumed = 0
    for is_mark, group in itertools.groupby(text, lambda char: ord(char) in _INVISIBLE):
        chars = "".join(group)
        consumed += len(chars)
        if not is_mark:
            visible_before += chars
            continue
        names = " ".join(f"U+{ord(char):04X}" for char in chars)
        runs.append(f"{names} {_place(visible_before, consumed == len(text))}")
    return f"{visible!r} (with an invisible {', '.join(runs)})"


def _place(before: str, at_end: bool) -> str:
    # Where a run of invisible characters sits, given the visible text before it.
    if not before:
        return "at the start"
    if at_end:
        return "at the end"
    return f"after {before!r}"
