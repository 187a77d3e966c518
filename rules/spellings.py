"""One spelling per grouped value: ``ana lima`` and ``Ana Lima`` are one owner.

The Funnel tab's breakdowns, the Follow-ups tab and the digests group deals by
owner and by the ``outputs.group_by`` fields. Values that the allowed-value
check counts as the same (case, spacing, full-width forms) must fall into one
group there too, under one name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import attrgetter, methodcaller
from typing import NamedTuple

from config.models import OWNER_FIELD, Pipeline
from rules.checks import AllowedList, prepare_allowed
from rules.deals import Deal, ParsedValue
from rules.text_forms import fold_case, tidy_spaces


class Respelling(NamedTuple):
    """One grouped value that :func:`spell_grouped_values` replaced on one deal."""

    values: dict[str, ParsedValue]
    field: str
    typed: str
    spelling: str


def spell_grouped_values(
    deals: Sequence[Deal],
    pipeline: Pipeline,
    allowed: Mapping[str, Collection[str]],
) -> list[Respelling]:
    """Replace each grouped text value of ``deals`` by its group's spelling.

    Only ``Deal.values`` changes: ``Deal.raw`` keeps the cells as read, so run
    this after the checks, which quote the cells as typed. Return the
    replaced values, so that :func:`typed_spellings` can put them back.

    Before: owners ``Ana Lima``, `` ANA  LIMA``, ``ana lima`` with the allowed
    list ``[Ana Lima]``. After: ``Ana Lima`` on all three deals.

    :param allowed: each field's allowed values, as the checks got them.
    """
    respelled: list[Respelling] = []
    lists = prepare_allowed(allowed, pipeline)
    values_of = list(map(attrgetter("values"), deals))
    for name in dict.fromkeys([OWNER_FIELD, *pipeline.outputs.group_by]):
        counts = Counter(map(methodcaller("get", name), values_of))
        texts = {text: count for text, count in counts.items() if type(text) is str}
        matcher = lists.get(name)
        if matcher is None:
            matcher = AllowedList([], True, ignore_spaces=name == OWNER_FIELD)
        spellings = spell_values(texts, matcher)

        # Most texts are spelled as shown already, and then no deal changes.
        changed: dict[ParsedValue | None, str] = {
            text: spelling for text, spelling in spellings.items() if text != spelling
        }
        if not changed:
            continue
        for values in values_of:
            typed = values.get(name)
            spelling = changed.get(typed)
            if spelling is not None:
                assert isinstance(typed, str)  # only texts are in ``changed``
                values[name] = spelling
                respelled.append(Respelling(values, name, typed, spelling))
    return respelled


@contextmanager
def typed_spellings(respelled: Sequence[Respelling]) -> Iterator[None]:
    """Put the typed values back in the deals while the block runs.

    Code that must see the deals as they were before
    :func:`spell_grouped_values`, such as the checks, runs in the block. On
    leaving it, the deals get their group's spellings again.
    """
    for values, name, typed, _spelling in respelled:
        values[name] = typed
    try:
        yield
    finally:
        for values, name, _typed, spelling in respelled:
            values[name] = spelling


def spell_values(
    counts: Mapping[str, int], allowed: AllowedList | None
) -> dict[str, str]:
    """Return the spelling shown for each text of one field, given their counts.

    Texts that the allowed list accepts as one of its values are shown as the
    list spells that value. The others are grouped as the allowed-value check
    compares them, ignoring case too, and shown as the group's most common
    spelling, the first in code point order among equally common ones
    (``EMEA``, then ``Emea``, then ``emea``), so sorting the rows does not
    rename a group. Shown spellings are tidied by
    :func:`~rules.text_forms.tidy_spaces`: single spaces, ideographic ones
    kept, and no invisible format characters. The owner's list
    (``ignore_spaces``) groups ``王芳`` with ``王\u3000芳``.

    >>> counts = {"ana lima": 1, "Bo ": 1, "BO": 1, "bo": 1}
    >>> spell_values(counts, AllowedList(["Ana Lima"], ignore_case=True))
    {'ana lima': 'Ana Lima', 'Bo ': 'BO', 'BO': 'BO', 'bo': 'BO'}

    :param allowed: the field's allowed list. None compares as an empty list
        that ignores case.
    """
    matcher = allowed if allowed is not None else AllowedList([], ignore_case=True)
    spellings: dict[str, str] = {}
    groups: dict[str, Counter[str]] = {}
    for text, count in counts.items():
        key = matcher.key_of(text)
        if key in matcher.keys:
            spellings[text] = matcher.keys[key]
        else:
            spelling = tidy_spaces(text)
            groups.setdefault(fold_case(key), Counter())[spelling] += count

    for text in counts:
        if text not in spellings:
            group = groups[fold_case(matcher.key_of(text))]
            spellings[text] = min(group, key=lambda name: (-group[name], name))
    return spellings
