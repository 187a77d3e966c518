"""Deal IDs retyped between runs: one ID left the sheet as a look-alike arrived.

A rep who retypes ``A-1`` as ``a-1`` removes deal ``A-1`` from the sheet and
adds a deal ``a-1``, as far as two snapshots tell, and the log records both
transitions. Read back, such a pair is one deal whose ID was retyped when
the match is unambiguous:

- the old ID left the sheet and the new ID arrived on the same day,
- the two IDs are equal as :func:`retype_key` compares them, ignoring case,
  character width, dashes and spaces,
- no other ID with that key left the sheet or arrived on that day,
- and the new ID was never on the sheet before, else it came back.

A bare number and the same number with zeros in front or text around it
(``42`` and ``D-0042`` or ``00042``) make such a pair too, when one of them
is bare. pipesheet reads a number in an Excel ID cell as its number format
shows it, where earlier versions read the bare number, so the first run
after the update finds the ID changed.

The old ID's transitions up to that day then count as the new ID's, and the
pair is dropped, or read as one move when the stage changed too. The log
keeps the pair as the runs saw it, so every read finds the retype again.
IDs on the sheet at the same time stay separate deals, each with a
``lookalike-id`` warning.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import compress, groupby, repeat
from operator import is_, itemgetter, methodcaller, not_, or_
from typing import NamedTuple

from config.models import ID_FIELD
from rules.cells import display_value
from rules.deals import ColumnMap, Deal
from rules.findings import Code, Finding, Severity
from rules.grid import is_blank
from rules.history import StayEnd, Transition
from rules.text_forms import deal_id_key, fold_id_dashes, lookalike_id_key

_DEAL_ID, _FROM_STAGE, _TO_STAGE, _SEEN_ON = map(itemgetter, range(4))
# A bare number as a number cell reads (no leading zero), and a number with
# zeros in front or text around it, as a number format shows it.
_BARE_NUMBER = re.compile(r"0|[1-9][0-9]*")
_SHOWN_NUMBER = re.compile(r"[^0-9]*?0*([0-9]+)[^0-9]*")
# Past this many dropped transitions the merged log is filtered, not deleted
# from: deleting moves the list's tail each time.
_DELETES_BEFORE_COPY = 64


class RetypedId(NamedTuple):
    """A deal ID retyped as ``new_id``: ``old_id`` left the sheet on ``seen_on``."""

    old_id: str
    new_id: str
    seen_on: dt.date


class RetypedLog(NamedTuple):
    """A log with its retyped deals merged, and the retypes found, oldest first."""

    transitions: list[Transition]
    retyped: list[RetypedId]


def merge_retyped_ids(transitions: list[Transition]) -> RetypedLog:
    """Return the log with each retyped deal's transitions under its new ID.

    ``transitions`` are the log's, oldest first, as the state database
    returns them. A log without a removal has no retype, which one pass in C
    finds, and is returned as it is. Otherwise the arrivals on the days with
    a removal are compared with the removals. The removal and the
    arrival of a retype are dropped, or the later of the two becomes a move
    when the deal came back in another stage. Transitions keep their order.

    Before: A2 None → Lead on 12-01, A2 Lead → None and a2 None → Proposal on
    12-02. After: a2 None → Lead on 12-01, a2 Lead → Proposal on 12-02, and
    the retype ``RetypedId("A2", "a2", 12-02)``.
    """
    pairs = _removals_and_arrivals(transitions)
    if not pairs:
        return RetypedLog(transitions, [])

    # Only the paired deals' transitions can change, and ``compress`` finds
    # their positions in C, so the loops that follow run over a few.
    involved = {move.deal_id for pair in pairs for move in pair}
    is_involved = map(involved.__contains__, map(_DEAL_ID, transitions))
    positions = list(compress(range(len(transitions)), is_involved))
    moves: list[Transition | None] = [transitions[index] for index in positions]
    retyped = _merge_confirmed(moves, pairs)
    if not retyped:
        return RetypedLog(transitions, [])

    merged = list(transitions)
    dropped = []
    for index, move in zip(positions, moves, strict=True):
        if move is None:
            dropped.append(index)
        else:
            merged[index] = move
    if len(dropped) > _DELETES_BEFORE_COPY:
        # Each deletion moves the rest of the list, so many of them are
        # quadratic. A mask filters the list in one pass in C instead.
        kept = bytearray(b"\x01") * len(merged)
        for index in dropped:
            kept[index] = 0
        return RetypedLog(list(compress(merged, kept)), retyped)

    # Two per retype, each deleted in C, where a filter would copy the list.
    for index in reversed(dropped):
        del merged[index]
    return RetypedLog(merged, retyped)


def rekey_ended_stay_starts(
    ended_stay_starts: Mapping[StayEnd, dt.date], retyped: Sequence[RetypedId]
) -> dict[StayEnd, dt.date]:
    """Return the stored starts of ended stays, keyed by the retyped deals' new IDs.

    A stay of the old ID that ended on or before the retype's day is a stay
    of the new ID. ``retyped`` are those of :func:`merge_retyped_ids`.
    """
    rekeyed = dict(ended_stay_starts)
    if not retyped:
        return rekeyed
    # Each deal's stay ends, in the dict's order, so that each retype looks
    # at its old ID's only. A dict keeps them once and in order.
    by_deal: defaultdict[str, dict[StayEnd, None]] = defaultdict(dict)
    for stay_end in rekeyed:
        by_deal[stay_end.deal_id][stay_end] = None
    for old_id, new_id, seen_on in retyped:
        ends = by_deal[old_id]
        moved = [stay_end for stay_end in ends if stay_end.seen_on <= seen_on]
        for stay_end in moved:
            del ends[stay_end]
            new_end = stay_end._replace(deal_id=new_id)
            rekeyed[new_end] = rekeyed.pop(stay_end)
            # A key already in the dict keeps its place there, as here.
            by_deal[new_id].setdefault(new_end, None)
    return rekeyed


def latest_id_of(deal_id: str, retyped: Sequence[RetypedId]) -> str:
    """Return the ID that the deal with ``deal_id`` has after its later retypes.

    ``retyped`` are those of :func:`merge_retyped_ids`, oldest first.
    """
    latest = deal_id
    for old_id, new_id, _ in retyped:
        if old_id == latest:
            latest = new_id
    return latest


def retypes_of(deal_id: str, retyped: Sequence[RetypedId]) -> list[RetypedId]:
    """Return the retypes that led to the deal now under ``deal_id``, oldest first.

    A retype away from ``deal_id`` ends the search, because the deal under
    that ID now is another one, which arrived later.

    Before: A-2 retyped as a-2 on 12-02, b-5 as B-5 on 12-03. After, for
    a-2: the retype of 12-02.
    """
    chain: list[RetypedId] = []
    current = deal_id
    for retype in reversed(retyped):
        if retype.old_id == current:
            break
        if retype.new_id == current:
            chain.append(retype)
            current = retype.old_id
    return chain[::-1]


def _by_day_and_key(
    moves_and_keys: Iterable[tuple[Transition, str]],
) -> dict[tuple[dt.date, str], list[Transition]]:
    """Group transitions by their day and the look-alike key of their deal ID."""
    grouped: defaultdict[tuple[dt.date, str], list[Transition]] = defaultdict(list)
    for move, key in moves_and_keys:
        grouped[move.seen_on, key].append(move)
    return grouped


def _lookalike_keys(deal_ids: list[str]) -> list[str]:
    """Return :func:`retype_key` of each ID, in order.

    For ASCII IDs without spaces the key is the ID in lower case without
    hyphens, so the joined IDs are lowered and split in C. For 6,600 IDs that
    took 0.2 ms instead of 5.8 ms (timeit, 2-core VM).
    """
    joined = "\n".join(deal_ids)
    if joined.isascii():
        keys = joined.lower().replace("-", "").split()
        # Fewer parts than IDs means an ID with a space, which the key drops,
        # or an ID of hyphens only.
        if len(keys) == len(deal_ids):
            return keys
    return list(map(retype_key, deal_ids))


def _same_breaks(old_id: str, new_id: str) -> bool:
    """Return True unless the two IDs break their characters in different places.

    The IDs have one :func:`retype_key`. A break is a dash or a space, and a
    retype may add breaks, drop them or type one for the other: the breaks
    of one ID are all breaks of the other. Moving a break is no retype:
    ``2024-1-23`` and ``2024-12-3``, or ``AB 12`` and ``A B12``, are two IDs.
    """
    old_breaks, new_breaks = _breaks(old_id), _breaks(new_id)
    return old_breaks <= new_breaks or new_breaks <= old_breaks


def _breaks(deal_id: str) -> set[int]:
    """Return where dashes and spaces break an ID, as places in its key.

    >>> sorted(_breaks("A - 1-2"))
    [1, 2]
    """
    breaks: set[int] = set()
    length = 0
    for character in fold_id_dashes(deal_id):
        if character == "-" or character.isspace():
            breaks.add(length)
        else:
            length += 1
    return breaks


def retype_key(deal_id: str) -> str:
    """Return the key by which a retyped ID is matched to the ID it replaced.

    It is :func:`lookalike_id_key` without dashes, so a dash typed as a
    space or left out is a retype too: ``A-1``, ``A 1`` and ``A1`` give
    ``a1``. Only a removal and an arrival alone on their day with that key
    and the same breaks (:func:`_same_breaks`) are paired.
    """
    return lookalike_id_key(deal_id).replace("-", "")


def _removals_and_arrivals(
    transitions: Sequence[Transition],
) -> list[tuple[Transition, Transition]]:
    """Return the removal and arrival of each look-alike key alone on its day.

    The pairs come oldest first. Each is a removal of one ID and an arrival
    of another with the same :func:`retype_key`, where no other ID of
    that key left the sheet or arrived on that day.
    """
    to_stages = map(_TO_STAGE, transitions)
    removals = list(compress(transitions, map(is_, to_stages, repeat(None))))
    if not removals:
        return []
    removal_days = set(map(_SEEN_ON, removals))
    arrivals: list[Transition] = []
    # groupby steps over the other days' transitions in C, and a day is
    # looked up once per run of its transitions, not once per transition.
    # That took 4 ms, where a lookup per transition took 23 ms, for 110k
    # transitions on 31 days (2-core VM under load).
    for seen_on, moves in groupby(transitions, key=_SEEN_ON):
        if seen_on in removal_days:
            arrivals += [move for move in moves if move.from_stage is None]

    removal_keys = _lookalike_keys(list(map(_DEAL_ID, removals)))
    arrival_keys = _lookalike_keys(list(map(_DEAL_ID, arrivals)))
    # Most arrivals on those days are new deals that match no removal, and
    # ``compress`` leaves them out in C before the loop of _by_day_and_key.
    matching = map(set(removal_keys).__contains__, arrival_keys)
    removed = _by_day_and_key(zip(removals, removal_keys, strict=True))
    arrived = _by_day_and_key(
        compress(zip(arrivals, arrival_keys, strict=True), matching)
    )
    paired = removed.keys() & arrived.keys()
    pairs = [
        (removed[day_and_key][0], arrived[day_and_key][0])
        for day_and_key in sorted(paired)
        if len(removed[day_and_key]) == 1
        and len(arrived[day_and_key]) == 1
        and _same_breaks(
            removed[day_and_key][0].deal_id, arrived[day_and_key][0].deal_id
        )
    ]
    number_pairs = _shown_number_pairs(removals, arrivals, pairs)
    if not number_pairs:
        return pairs
    return sorted([*pairs, *number_pairs], key=lambda pair: pair[1].seen_on)


def _shown_number_pairs(
    removals: list[Transition],
    arrivals: list[Transition],
    pairs: list[tuple[Transition, Transition]],
) -> list[tuple[Transition, Transition]]:
    """Return the pairs of a bare number and the same number as a format shows it.

    Before: ``42`` removed and ``D-0042`` arrived on one day. After: that
    pair. Each pair is alone on its day: one removal and one arrival of that
    number, one of them bare and the other not. Transitions already in
    ``pairs`` are left out.
    """
    taken = {id(move) for pair in pairs for move in pair}
    removed = _by_day_and_number(move for move in removals if id(move) not in taken)
    if not removed:
        return []

    candidates = _candidate_arrivals(arrivals, removed)
    arrived = _by_day_and_number(move for move in candidates if id(move) not in taken)
    found = []
    for (seen_on, number, bare), moves in removed.items():
        matches = arrived.get((seen_on, number, not bare), [])
        if len(moves) == 1 and len(matches) == 1:
            found.append((moves[0], matches[0]))
    return found


def _candidate_arrivals(
    arrivals: list[Transition],
    removed: Mapping[tuple[dt.date, int, bool], list[Transition]],
) -> Iterator[Transition]:
    """Return the arrivals that may pair with a number in ``removed``.

    A day's arrivals can be all of a sheet's deals, and most cannot pair.
    On a day when only shown numbers left, only their bare numbers can
    pair. On a day when only bare numbers left, only IDs that are not
    digits alone or that start with a zero can show them. These tests run
    in C.
    """
    left: defaultdict[dt.date, set[bool]] = defaultdict(set)
    # The bare forms of the shown numbers that left each day.
    bare_forms: defaultdict[dt.date, set[str]] = defaultdict(set)
    for seen_on, number, bare in removed:
        left[seen_on].add(bare)
        if not bare:
            bare_forms[seen_on].add(str(number))
    for seen_on, day_moves in groupby(arrivals, key=_SEEN_ON):
        kinds = left.get(seen_on)
        if not kinds:
            continue
        moves = list(day_moves)
        ids = list(map(_DEAL_ID, moves))
        if kinds == {False}:
            yield from compress(moves, map(bare_forms[seen_on].__contains__, ids))
        elif kinds == {True}:
            digits_only = map(str.isdigit, ids)
            leading_zero = map(methodcaller("startswith", "0"), ids)
            yield from compress(moves, map(or_, map(not_, digits_only), leading_zero))
        else:
            yield from moves


def _by_day_and_number(
    moves: Iterable[Transition],
) -> dict[tuple[dt.date, int, bool], list[Transition]]:
    """Group transitions by day, the number in their deal ID and whether it is bare.

    A deal ID with one run of digits is grouped, such as ``42`` (bare) and
    ``D-0042`` or ``00042`` (not bare), both under 42. Other IDs are left out.
    """
    grouped: defaultdict[tuple[dt.date, int, bool], list[Transition]]
    grouped = defaultdict(list)
    for move in moves:
        deal_id = move.deal_id
        shown = _SHOWN_NUMBER.fullmatch(deal_id) if deal_id.isascii() else None
        if shown is None:
            continue
        bare = _BARE_NUMBER.fullmatch(deal_id) is not None
        grouped[move.seen_on, int(shown.group(1)), bare].append(move)
    return grouped


def _merge_confirmed(
    moves: list[Transition | None], pairs: list[tuple[Transition, Transition]]
) -> list[RetypedId]:
    """Merge the pairs whose new ID was never on the sheet before, as retypes.

    ``moves`` are the transitions of the pairs' deals, oldest first, and are
    merged in place as :func:`_merge_one` merges them. ``pairs`` are those of
    :func:`_removals_and_arrivals`. An ID is new when ``moves``, with the
    earlier retypes merged, have no transition of it before the arrival. So
    an ID retyped back to its first spelling is new again.

    Each pair looks only at the positions of its two IDs, so a sheet whose
    thousands of IDs were all retyped on one day merges in linear time.
    """
    positions: defaultdict[str, list[int]] = defaultdict(list)
    for index, move in enumerate(moves):
        if move is not None:
            positions[move.deal_id].append(index)

    retyped: list[RetypedId] = []
    for removal, arrival in pairs:
        first = _first_move(moves, positions[arrival.deal_id], arrival.seen_on)
        if first is None or first != arrival or removal.deal_id == arrival.deal_id:
            continue
        retype = RetypedId(removal.deal_id, arrival.deal_id, arrival.seen_on)
        _merge_one(moves, positions, retype)
        retyped.append(retype)
    return retyped


def _first_move(
    moves: list[Transition | None], positions: list[int], seen_on: dt.date
) -> Transition | None:
    """Return the first of the moves at ``positions`` seen on or before ``seen_on``."""
    for index in positions:
        move = moves[index]
        if move is not None and move.seen_on <= seen_on:
            return move
    return None


def _merge_one(
    moves: list[Transition | None],
    positions: defaultdict[str, list[int]],
    retype: RetypedId,
) -> None:
    """Merge one retype into ``moves`` in place, setting dropped entries to None.

    The old ID's transitions up to the retype's day get the new ID. Its
    removal on that day and the new ID's arrival are dropped, or the later
    of the two becomes a move between their stages. A retype whose removal
    or arrival is missing changes nothing. ``positions`` lists the indexes
    of each deal ID's transitions in ``moves``, and follows the renames.
    """
    old_id, new_id, seen_on = retype
    renamed: list[tuple[int, Transition]] = []
    removal: tuple[int, Transition] | None = None
    arrival: tuple[int, Transition] | None = None
    for index in positions[old_id]:
        move = moves[index]
        if move is None or move.seen_on > seen_on:
            continue
        renamed.append((index, move))
        if move.seen_on == seen_on and move.to_stage is None:
            removal = index, move
    for index in positions[new_id]:
        move = moves[index]
        if move is None or move.seen_on > seen_on:
            continue
        if move.seen_on == seen_on and move.from_stage is None:
            arrival = index, move
            break
    if removal is None or arrival is None:
        return

    for index, move in renamed:
        moves[index] = move._replace(deal_id=new_id)
    moved = {index for index, _ in renamed}
    positions[old_id] = [index for index in positions[old_id] if index not in moved]
    positions[new_id] = sorted([*positions[new_id], *moved])
    (removal_index, removed), (arrival_index, arrived) = removal, arrival
    moves[removal_index] = moves[arrival_index] = None
    if removed.from_stage != arrived.to_stage:
        move = arrived._replace(from_stage=removed.from_stage)
        moves[max(removal_index, arrival_index)] = move


def retyped_id_findings(
    retyped: Sequence[RetypedId],
    tracked: Mapping[str, Deal],
    columns: ColumnMap,
    since: dt.date,
) -> list[Finding]:
    """Return a ``retyped-id`` warning on each deal retyped after the day ``since``.

    ``tracked`` are today's deals by ID, as
    :func:`rules.transitions.deals_by_unique_id` returns them. A deal whose
    new ID is not among them gets no warning, and neither does one whose two
    IDs differ only in Unicode form (NFD in the log of an earlier version,
    NFC now), because they are one ID as :func:`deal_id_key` compares them.
    """
    findings: list[Finding] = []
    for old_id, new_id, seen_on in retyped:
        deal = tracked.get(new_id)
        if deal is None or seen_on <= since:
            continue
        if deal_id_key(old_id) == deal_id_key(new_id):
            continue
        cell = deal.raw.get(ID_FIELD)
        findings.append(
            Finding(
                code=Code.RETYPED_ID,
                severity=Severity.WARNING,
                row=deal.row,
                column=columns.header_of(ID_FIELD),
                value=None if is_blank(cell) else display_value(cell),
                deal_id=deal.deal_id,
                field=ID_FIELD,
                params={"old_id": old_id, "date": seen_on.isoformat()},
            )
        )
    return findings
