"""Find the allowed value that a typed value misspells, if it misspells one.

A suggestion leads a rep to overwrite what they typed, so it is offered only for a
spelling variant of an allowed value. That is the same letters, digits and
symbols in another case, spacing, joining punctuation, apostrophes, quotes or
brackets (``GTXPro`` and ``gtx-pro`` for ``GTX Pro``). Symbols such as ``+``,
``#`` and ``&`` are kept, because they tell products apart (``C++ course`` and
``C# course``). A long value may also be one typo away from it. In a short name
one letter more often makes another name (``Dana`` and ``Dan``, ``Beta`` and
``Bela``), so short values get no typo suggestion, and neither does a value
whose digits or symbols differ (``Team 2``, ``Team+ plan``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from rules.text_forms import fold_text

# Letters and digits a value needs before one typo in it is suggested as a fix:
# 'MG Advancd' (9) gets 'MG Advanced', 'Delta' (5) never gets 'Della'.
TYPO_MIN_LENGTH = 8

# Characters that join or separate words without changing what a value names:
# 'GTX-Pro', 'gtx_pro', 'G.T.X. Pro' and 'Acme, Inc.' spell 'GTX Pro' and 'Acme Inc'.
# Apostrophes and quotes count too, straight, curly, low (German) or angled
# (guillemets) as AutoCorrect types them (O’Brien, O'Brien), and so do
# brackets: 'Partner EU' and 'Partner (EU)'.
_JOINING = re.compile(
    r"""[\s\-_.,'"`\u2018\u2019\u201a\u02bc\u2032\u201c\u201d\u201e\u2033"""
    r"""\u00ab\u00bb\u2039\u203a()\[\]]+"""
)


def spelling_skeleton(text: str) -> str:
    """Return ``text`` folded by :func:`fold_text`, without joining punctuation.

    >>> spelling_skeleton("GTX-Pro "), spelling_skeleton("Ａｃｍｅ, Inc.")
    ('gtxpro', 'acmeinc')
    >>> spelling_skeleton("C++ course"), spelling_skeleton("Team+ plan")
    ('c++course', 'team+plan')
    >>> spelling_skeleton("Sean O\u2019Brien"), spelling_skeleton("Partner (EU)")
    ('seanobrien', 'partnereu')
    """
    return _JOINING.sub("", fold_text(text))


class CloseSpellings:
    """The allowed values of one list, indexed for :meth:`nearest`."""

    def __init__(self, values: Iterable[str]) -> None:
        self.by_skeleton: dict[str, str] = {}
        # Skeletons of two different values ('Partner EU', 'Partner (EU)'),
        # which leave the intended one open, so neither is suggested.
        self.shared: set[str] = set()
        for value in values:
            skeleton = spelling_skeleton(value)
            if self.by_skeleton.setdefault(skeleton, value) != value:
                self.shared.add(skeleton)

        # Skeletons by length, because a typo changes the length by one at most.
        self.by_length: dict[int, list[str]] = defaultdict(list)
        for skeleton in self.by_skeleton:
            self.by_length[len(skeleton)].append(skeleton)

    def nearest(self, text: str) -> str | None:
        """Return the allowed value ``text`` misspells, or None.

        >>> spellings = CloseSpellings(["GTX Pro", "MG Advanced", "Beta"])
        >>> spellings.nearest("gtxpro"), spellings.nearest("MG Advancd")
        ('GTX Pro', 'MG Advanced')
        >>> spellings.nearest("Delta") is None, spellings.nearest("Bela") is None
        (True, True)
        """
        skeleton = spelling_skeleton(text)
        if not skeleton or skeleton in self.shared:
            return None
        variant = self.by_skeleton.get(skeleton)
        if variant is not None:
            return variant
        if len(skeleton) < TYPO_MIN_LENGTH:
            return None

        # Two values one typo away leave the intended one open, so neither is
        # suggested.
        typos = [
            candidate
            for length in (len(skeleton) - 1, len(skeleton), len(skeleton) + 1)
            for candidate in self.by_length.get(length, ())
            if len(candidate) >= TYPO_MIN_LENGTH
            and _marks(candidate) == _marks(skeleton)
            and is_one_typo_apart(skeleton, candidate)
        ]
        return self.by_skeleton[typos[0]] if len(typos) == 1 else None


def is_one_typo_apart(first: str, second: str) -> bool:
    """Return True when one typo turns ``first`` into another text, ``second``.

    A typo adds, drops or replaces a character, or swaps two neighbours.

    >>> is_one_typo_apart("qualifed", "qualified"), is_one_typo_apart("ab", "ba")
    (True, True)
    >>> is_one_typo_apart("delta", "beta")
    False
    """
    if first == second or abs(len(first) - len(second)) > 1:
        return False
    start = 0
    while start < min(len(first), len(second)) and first[start] == second[start]:
        start += 1

    if len(first) > len(second):
        return first[start + 1 :] == second[start:]
    if len(first) < len(second):
        return first[start:] == second[start + 1 :]
    replaced = first[start + 1 :] == second[start + 1 :]
    swapped = (
        first[start : start + 2] == second[start : start + 2][::-1]
        and first[start + 2 :] == second[start + 2 :]
    )
    return replaced or swapped


def _marks(text: str) -> str:
    # Digits and symbols: a typo in one of them names another value.
    return "".join(character for character in text if not character.isalpha())
