"""Pick the one candidate that a "did you mean" hint may name.

A hint leads people to overwrite what they typed, or to add it as an alias, so
it names a candidate only when no other is about as close. 'Closed' is as near
to 'Closed Won' as to 'Closed Lost', so neither is suggested for it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import TypeVar

# Similarity (difflib's ratio) a candidate needs to be suggested, as in
# difflib.get_close_matches.
DEFAULT_CUTOFF = 0.6

# Candidates whose similarity to the text differs by less than this are about as
# close. 'closed' rates 0.75 against 'closed won' and 0.71 against 'closed lost',
# because the two match the same letters and differ in length by one.
TIE_MARGIN = 0.05

_T = TypeVar("_T")


def closest_match(
    text: str, candidates: Iterable[str], cutoff: float = DEFAULT_CUTOFF
) -> str | None:
    """Return the candidate closest to ``text``, or None.

    None means that no candidate reaches ``cutoff``, or that another candidate
    is within :data:`TIE_MARGIN` of the closest one.

    >>> closest_match("Qualifed", ["Qualified", "Lead"])
    'Qualified'
    >>> closest_match("Closed", ["Closed Won", "Closed Lost"]) is None
    True
    """
    return closest_value(
        text, {candidate: candidate for candidate in candidates}, cutoff
    )


def closest_value(
    text: str, choices: Mapping[str, _T], cutoff: float = DEFAULT_CUTOFF
) -> _T | None:
    """Return the value of the key closest to ``text``, or None.

    Keys with equal values, such as a stage's name and its aliases, are one
    candidate, so a key near another key of the same value is no tie.

    >>> stages = {"closed won": "Won", "won": "Won", "closed lost": "Lost"}
    >>> closest_value("closed wno", stages), closest_value("closed", stages)
    ('Won', None)
    """
    floor = cutoff - TIE_MARGIN
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(text)
    scored: list[tuple[float, _T]] = []
    # The quick upper bounds skip most far candidates, as get_close_matches does.
    for key, value in choices.items():
        matcher.set_seq1(key)
        if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
            continue
        ratio = matcher.ratio()
        if ratio >= floor:
            scored.append((ratio, value))
    if not scored:
        return None

    best_ratio, best = max(scored, key=lambda pair: pair[0])
    if best_ratio < cutoff:
        return None
    for ratio, value in scored:
        if value != best and ratio > best_ratio - TIE_MARGIN:
            return None
    return best
