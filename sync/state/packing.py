"""Pack a run's deal snapshot or transitions into one compressed JSON document.

A run of a 100k-row sheet stores 100k snapshot entries and, on its first run,
100k transitions. On SQLite, one row per entry takes an estimated 0.5 s to insert
and 0.4 s to read back, and one document per run about a third of that or less.

A document is zlib-compressed JSON with one list per field, because columns
read back in an estimated 15 % less time than one list per entry::

    {"fields": ["deal_id", "stage", ...], "columns": [["D-1", "D-2"], ...]}

Dates are ISO text. Amounts are JSON numbers, which keep every float exactly.

A document may have one more key, which older documents lack and older
versions of pipesheet ignore: a snapshot's ``stay_starts`` and a transitions
document's ``ended_stay_starts``, each a list of deal IDs and a list of days::

    {"fields": [...], "columns": [...], "stay_starts": [["D-1"], ["2025-08-20"]]}
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from functools import partial
from operator import itemgetter
from typing import Any, NamedTuple

from isal import isal_zlib

from rules.history import DealSnapshot, StayEnd, Transition
from rules.transitions import SEEN_ON_INDEX
from sync.state.errors import StateError

# On 100k snapshot entries (about 5 MB of JSON), ISA-L's level 1 compressed three
# to four times faster than zlib's level 1, to about the same size (estimate from
# runs on x86-64). The output is plain zlib data, so zlib.decompress reads it too.
COMPRESSION_LEVEL = 1

# Build a named tuple from a tuple of its fields in C, because ``_make`` runs
# Python code once per entry (0.023 s against 0.018 s for 100k snapshot entries).
_new_snapshot = partial(tuple.__new__, DealSnapshot)
_new_transition = partial(tuple.__new__, Transition)

# The separators of json.dumps without spaces.
_SEPARATORS = (",", ":")

# A column is encoded value by value when, in its first _SAMPLE_SIZE values,
# each distinct value appears _MIN_REPEATS times on average, or more.
_MIN_REPEATS = 4
_SAMPLE_SIZE = 1000

# The fields that contain deal IDs and stage or owner names. Unpacking makes
# their equal texts one object (see SharedTexts).
_SNAPSHOT_TEXTS = tuple(
    DealSnapshot._fields.index(name) for name in ("deal_id", "stage", "owner")
)
_TRANSITION_TEXTS = tuple(
    Transition._fields.index(name) for name in ("deal_id", "from_stage", "to_stage")
)

# Texts already unpacked, each its own key, so that equal texts of several
# documents become one object. json.loads makes a new object for every
# value. In a 100k-row sheet's history (about 59 MB in memory), the separate
# copies of deal IDs, stages and owners took about 27 MB.
SharedTexts = dict[str, str]

# The optional keys of a snapshot and of a transitions document.
STAY_STARTS_KEY = "stay_starts"
ENDED_STAY_STARTS_KEY = "ended_stay_starts"


class PackedHistory(NamedTuple):
    """A run's snapshot and transitions documents, None where it stores none."""

    snapshot: bytes | None
    transitions: bytes | None


def pack_history(
    snapshot: Sequence[DealSnapshot] | None,
    found: Sequence[Transition],
    stay_starts: Mapping[str, dt.date] | None = None,
    ended_stay_starts: Mapping[str, dt.date] | None = None,
) -> PackedHistory:
    """Pack what a run stores: its snapshot unless None, its transitions if any.

    See :func:`pack_snapshot` and :func:`pack_transitions` for the starts.
    """
    packed_snapshot = None
    if snapshot is not None:
        packed_snapshot = pack_snapshot(snapshot, stay_starts)
    packed_transitions = None
    if found:
        packed_transitions = pack_transitions(found, ended_stay_starts)
    return PackedHistory(packed_snapshot, packed_transitions)


def pack_snapshot(
    deals: Sequence[DealSnapshot], stay_starts: Mapping[str, dt.date] | None = None
) -> bytes:
    """Pack one run's snapshot into a compressed document.

    ``stay_starts`` are the starts of current stays that the run's Stage log
    took from the sheet's stage-entered dates, by deal ID. None or an empty
    mapping adds no key, so the document is as one written before the key.
    """
    extra = {STAY_STARTS_KEY: _pack_days(stay_starts)} if stay_starts else {}
    return _pack(DealSnapshot._fields, _columns(deals, DealSnapshot._fields), extra)


def unpack_snapshot(packed: bytes) -> list[DealSnapshot]:
    """Unpack the snapshot from a document written by :func:`pack_snapshot`."""
    return unpack_snapshot_with_starts(packed)[0]


def unpack_snapshot_with_starts(
    packed: bytes, texts: SharedTexts | None = None
) -> tuple[list[DealSnapshot], dict[str, dt.date]]:
    """Unpack the snapshot and its stay starts, empty when the document has none.

    :param texts: texts to share with other documents unpacked with it.
    """
    texts = {} if texts is None else texts
    document = _unpack_document(DealSnapshot._fields, packed)
    columns = _shared_texts(document["columns"], _SNAPSHOT_TEXTS, texts)
    deals = list(map(_new_snapshot, zip(*columns, strict=True)))
    return deals, _unpack_days(document.get(STAY_STARTS_KEY), texts)


def pack_transitions(
    found: Sequence[Transition], ended_stay_starts: Mapping[str, dt.date] | None = None
) -> bytes:
    """Pack one run's transitions into a compressed document, dates as ISO text.

    ``ended_stay_starts`` are the starts that the previous run's Stage log
    showed for the stays these transitions end, by deal ID. A run finds at
    most one transition per deal, so the ID names the transition.
    """
    columns = _columns(found, Transition._fields)
    days = columns[SEEN_ON_INDEX]
    texts = {day: day.isoformat() for day in set(days)}
    columns[SEEN_ON_INDEX] = [texts[day] for day in days]
    extra: dict[str, list[list[str]]] = {}
    if ended_stay_starts:
        extra[ENDED_STAY_STARTS_KEY] = _pack_days(ended_stay_starts)
    return _pack(Transition._fields, columns, extra)


def unpack_transitions(packed: bytes) -> list[Transition]:
    """Unpack the transitions from a document written by :func:`pack_transitions`."""
    return unpack_transitions_with_starts(packed)[0]


def unpack_transitions_with_starts(
    packed: bytes, texts: SharedTexts | None = None
) -> tuple[list[Transition], dict[StayEnd, dt.date]]:
    """Unpack the transitions and the starts of the stays they end.

    Each start is keyed by the end of its stay, taken from the deal's
    transition in the document. A start of a deal without a transition that
    ends a stay there is dropped. A document without starts gives none.

    :param texts: texts to share with other documents unpacked with it.
    """
    texts = {} if texts is None else texts
    document = _unpack_document(Transition._fields, packed)
    columns = _shared_texts(document["columns"], _TRANSITION_TEXTS, texts)
    day_texts = columns[SEEN_ON_INDEX]
    days = {text: dt.date.fromisoformat(text) for text in set(day_texts)}
    columns[SEEN_ON_INDEX] = [days[text] for text in day_texts]
    found = list(map(_new_transition, zip(*columns, strict=True)))

    by_deal = _unpack_days(document.get(ENDED_STAY_STARTS_KEY), texts)
    if not by_deal:
        return found, {}
    ended: dict[StayEnd, dt.date] = {}
    for move in found:
        start = by_deal.get(move.deal_id)
        if start is not None and move.from_stage is not None:
            ended[StayEnd(move.deal_id, move.from_stage, move.seen_on)] = start
    return found, ended


def _columns(rows: Sequence[tuple[Any, ...]], fields: Sequence[str]) -> list[list[Any]]:
    """Return the rows as one list per field, each list empty when there are no rows."""
    # One pass per field, because ``zip(*rows)`` makes one iterator per row and
    # took about four times as long on 100k snapshot entries (2-core AMD EPYC,
    # CPython 3.11).
    return [list(map(itemgetter(index), rows)) for index in range(len(fields))]


def _pack_days(days: Mapping[str, dt.date]) -> list[list[str]]:
    """Return deal IDs and their days as two lists, each distinct day formatted once."""
    texts = {day: day.isoformat() for day in set(days.values())}
    return [list(days), [texts[day] for day in days.values()]]


def _unpack_days(
    packed: list[list[str]] | None, texts: SharedTexts
) -> dict[str, dt.date]:
    """Return the days that :func:`_pack_days` packed, by deal ID."""
    if not packed:
        return {}
    deal_ids, day_texts = packed
    days = {text: dt.date.fromisoformat(text) for text in set(day_texts)}
    shared_ids = map(texts.setdefault, deal_ids, deal_ids)
    return dict(zip(shared_ids, map(days.__getitem__, day_texts), strict=True))


def _shared_texts(
    columns: list[list[Any]], indexes: Sequence[int], texts: SharedTexts
) -> list[list[Any]]:
    """Return ``columns`` with the texts of the columns at ``indexes`` shared.

    Each text becomes the object that ``texts`` maps it to, which is the text
    itself the first time it appears. None values stay None. Sharing takes
    about 4 ms per 100k values (measured on the benchmark machine).
    """
    for index in indexes:
        column = columns[index]
        columns[index] = list(map(texts.setdefault, column, column))
    return columns


def _pack(
    fields: Sequence[str],
    columns: list[list[Any]],
    extra: Mapping[str, list[list[Any]]],
) -> bytes:
    # The text is what json.dumps(document, separators=_SEPARATORS) writes for
    # {"fields": fields, "columns": columns, **extra}, built column by column.
    parts = ['{"fields":', _dumps(list(fields)), ',"columns":', _dump_columns(columns)]
    for key, value in extra.items():
        parts += [",", _dumps(key), ":", _dump_columns(value)]
    parts.append("}")
    return isal_zlib.compress("".join(parts).encode(), COMPRESSION_LEVEL)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=_SEPARATORS)


def _dump_columns(columns: list[list[Any]]) -> str:
    return "[" + ",".join(map(_dump_column, columns)) + "]"


def _dump_column(column: list[Any]) -> str:
    """Return the text json.dumps writes for the column, encoding repeated values once.

    Stages, owners, amounts and days repeat. On 100k snapshot entries, encoding
    each of their distinct values once took about half the time of
    ``json.dumps`` on the whole column (2-core AMD EPYC, CPython 3.11).
    """
    # A sample of the column decides, because a set of 100k distinct deal IDs
    # takes about 5 ms to build.
    sample = column[:_SAMPLE_SIZE]
    if len(set(sample)) * _MIN_REPEATS > len(sample):
        return _dumps(column)
    # Equal values are one key of a dict, but json writes 1, 1.0 and True
    # differently, and 0.0 and -0.0 too.
    numbers = set(map(type, column)) & {bool, int, float}
    distinct = set(column)
    if len(numbers) > 1 or 0 in distinct:
        return _dumps(column)
    texts = {value: _dumps(value) for value in distinct}
    return "[" + ",".join(map(texts.__getitem__, column)) + "]"


def _unpack_document(fields: Sequence[str], packed: bytes) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(isal_zlib.decompress(packed))
    if document["fields"] != list(fields):
        raise StateError(
            f"State document has fields {document['fields']!r}, expected "
            f"{list(fields)!r}. Upgrade pipesheet to the version that wrote it."
        )
    return document
