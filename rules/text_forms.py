"""Folding of typed text so that forms a person cannot tell apart compare equal."""

from __future__ import annotations

import unicodedata

# Zero-width characters that arrive with text pasted from web pages and chats.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def fold_text(text: str) -> str:
    """Return text as :func:`normalize_text` gives it, casefolded.

    >>> fold_text("\u3000Ｄｅａｌ\u00a0ID ")
    'deal id'
    """
    return normalize_text(text).casefold()


def normalize_text(text: str) -> str:
    """Return text in NFKC form with each run of whitespace as one space.

    NFKC turns full-width letters, digits and signs (ＩＤ, ２０２５, ￥, ％) into
    their plain forms and no-break, thin and ideographic spaces into plain
    spaces. Zero-width spaces are dropped. Case is kept.

    >>> normalize_text("\u3000Ｄｅａｌ\u00a0ID ")
    'Deal ID'
    """
    normal = unicodedata.normalize("NFKC", text.translate(_INVISIBLE))
    return " ".join(normal.split())
