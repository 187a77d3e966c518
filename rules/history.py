"""Deal snapshots and stage transitions: the memory a sheet does not have.

A snapshot records each deal's key fields at one run. Comparing a run's
snapshot with the previous one gives transitions, and the list of transitions
of a deal is its path through the pipeline (the stage log).

Both are named tuples rather than frozen dataclasses, because a run on a
100k-deal workbook builds and loads 100k of each. A frozen dataclass took
about twice as long to build (timeit on CPython 3.11).
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple


class DealSnapshot(NamedTuple):
    """One deal's key fields as one run saw them.

    ``stage`` is the canonical stage name, or the cell text as typed when it
    matches no stage. A run stores the deal's last known stage in place of
    such text or a blank cell, so a typo or a blanked cell is no move.
    ``amount`` is None when blank or unreadable.
    """

    deal_id: str
    stage: str | None
    owner: str | None
    amount: float | None
    row: int


class Transition(NamedTuple):
    """A change of stage first seen by the run of day ``seen_on``.

    ``from_stage`` is None when the deal first appeared; ``to_stage`` is None
    when the deal disappeared from the sheet.
    """

    deal_id: str
    from_stage: str | None
    to_stage: str | None
    seen_on: dt.date


class StayEnd(NamedTuple):
    """The move that ended one deal's stay in one stage, as its transition shows it.

    ``stage`` is the transition's ``from_stage`` and ``seen_on`` its day. It
    keys the start that the Stage log showed for the stay before the move.
    """

    deal_id: str
    stage: str
    seen_on: dt.date
