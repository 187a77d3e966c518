"""The monthly review: one calendar month of the stage log, frozen as figures.

Built from the stage log's stays (see :mod:`rules.stage_log`) up to the
month's last day, and from today's deals for lost reasons.

Conventions:

- A deal *entered* a stage in the month when a stay in that stage began on a
  day of the month, as the Stage log tab dates it: a stay dated by the row's
  stage-entered date counts in that date's month, even when a run of the
  next month recorded the move. Stays the log's first run found are left
  out, because their deals entered the stage on some earlier day that the
  log does not date.
- A stay in an open stage that ended in the month ended one of four ways:
  *moved on* to a later open stage, *won* (to a won stage), *lost* (to a lost
  stage) or *left the sheet*. Other ends (a move back, or a move to a stage
  the definition does not know) count in no column.
- *Drop-off* is (lost + left the sheet) ÷ (moved on + won + lost + left the
  sheet), the share of the stage's deals that left the month's funnel.
  Undefined (None) when no stay of the stage ended that way.
- Each count is of distinct deals: a deal that entered a stage twice in the
  month counts once.
- The month's won (lost) deals entered a won (lost) stage in the month from
  a stage of another outcome, so an upsell after a win is not a second win.
- The *observed win rate* of an open stage is won ÷ closed over the log's
  deals that were ever in that stage and were in a won or lost stage at the
  month's end. A deal no longer on the sheet then is in the stage it was
  last recorded in, so a won deal archived off the sheet still counts.
- When the log began after the month's first day, the moves before it are
  missing. Deals in a won (lost) stage at the month's end whose close date on
  the sheet is in the month, but whose move into that stage the month's log
  does not show, are then counted separately *by close date*, and their lost
  reasons are counted too.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from operator import (
    and_,
    eq,
    ge,
    is_,
    is_not,
    itemgetter,
    le,
    not_,
    or_,
)
from typing import NamedTuple, cast

from config.models import Outcome, Pipeline, Stage
from rules.checks import CLOSE_DATE_FIELD
from rules.deals import Deal
from rules.headers import StageLookup
from rules.history import Transition
from rules.stage_log import DEAL_ID, StageLogRow, stage_log_rows
from rules.text_forms import fold_text
from rules.transitions import deals_by_unique_id

LOST_REASON_FIELD = "lost_reason"

# Fields of a Stage log line, for ``map`` to read a column without a Python loop.
_STAGE, _ENTERED, _EXITED, _ENTERED_KNOWN, _DISAPPEARED, _FIRST_SEEN = (
    itemgetter(StageLogRow._fields.index(name))
    for name in (
        "stage",
        "entered",
        "exited",
        "entered_known",
        "disappeared",
        "first_seen",
    )
)


@dataclass(frozen=True)
class ReviewStage:
    """One stage's row of the month's funnel; exits are None for closed stages."""

    name: str
    outcome: Outcome
    entered: int
    moved_on: int | None
    won: int | None
    lost: int | None
    left_sheet: int | None
    drop_off: float | None


@dataclass(frozen=True)
class LostReasonCount:
    """The count of deals lost in the month with one reason (``""`` when blank)."""

    reason: str
    deals: int


@dataclass(frozen=True)
class StageWinRate:
    """An open stage's configured probability beside the win rate the log shows.

    ``closed`` counts the log's deals that were ever in the stage and were won
    or lost at the month's end. ``observed`` is ``won / closed``, or None when
    ``closed`` is 0.
    """

    name: str
    probability: float | None
    closed: int
    won: int
    observed: float | None


@dataclass(frozen=True)
class MonthlyReview:
    """The figures of one calendar month, from ``first_day`` to ``last_day``.

    ``log_started_on`` is set when the log began within the month, so that
    moves before that day are missing. ``lost_not_on_sheet`` counts deals lost
    in the month that are no longer on the sheet, whose reason is unknown.
    ``won_by_close_date`` and ``lost_by_close_date`` count the month's closed
    deals the log missed, by their close date, and are None unless
    ``log_started_on`` is set. ``run_before`` and ``run_after`` are the days
    of the recorded runs around the month when no recorded run fell in it,
    and None otherwise.
    """

    first_day: dt.date
    last_day: dt.date
    log_started_on: dt.date | None
    stages: list[ReviewStage]
    new_deals: int
    won: int
    lost: int
    left_sheet: int
    lost_reasons: list[LostReasonCount]
    lost_not_on_sheet: int
    win_rates: list[StageWinRate]
    won_by_close_date: int | None = None
    lost_by_close_date: int | None = None
    run_before: dt.date | None = None
    run_after: dt.date | None = None


class _Stay(NamedTuple):
    """A stay of a deal that began or ended in the month, and the stays around it.

    ``stage`` is None for a stage the definition does not know. ``next_stage``
    is None while the stay lasts, after the deal left the sheet, and when the
    next stage is unknown. ``previous_stage`` is the stage of the stay before,
    if the deal had one in a known stage. ``first`` marks the deal's first stay
    in the log. ``disappeared`` is True when the stay ended in the month
    because the deal was no longer on the sheet.
    """

    deal_id: str
    stage: Stage | None
    next_stage: Stage | None
    previous_stage: Stage | None
    first: bool
    disappeared: bool


@dataclass(frozen=True)
class _MonthLog:
    """The stays of the Stage log as they were at the end of a month.

    ``entered`` are the stays that began in the month with a known start, and
    ``ended`` those that ended in it. ``final_outcomes`` are the outcomes of
    the deals in a known stage at the month's end, by deal ID, with a deal
    that left the sheet in the stage it was last recorded in.
    ``deal_ids`` and ``stage_names`` are columns of every stay that began by
    the month's end, with None for a stage the definition does not know.
    """

    entered: list[_Stay]
    ended: list[_Stay]
    final_outcomes: dict[str, Outcome]
    deal_ids: list[str]
    stage_names: list[str | None]

    def deals_in(self, stage: Stage) -> set[str]:
        """Return the IDs of the deals with a stay in ``stage`` by the month's end."""
        in_stage = map(eq, self.stage_names, repeat(stage.name))
        return set(compress(self.deal_ids, in_stage))


def month_before(day: dt.date) -> dt.date:
    """Return the first day of the calendar month before ``day``'s month.

    >>> month_before(dt.date(2025, 1, 15))
    datetime.date(2024, 12, 1)
    """
    last_of_previous = day.replace(day=1) - dt.timedelta(days=1)
    return last_of_previous.replace(day=1)


def last_day_of_month(first_day: dt.date) -> dt.date:
    """Return the last day of the month that begins on ``first_day``."""
    next_month = (first_day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return next_month - dt.timedelta(days=1)


def build_monthly_review(
    transitions: Sequence[Transition],
    deals: Sequence[Deal],
    pipeline: Pipeline,
    first_day: dt.date,
    *,
    log_started_on: dt.date,
) -> MonthlyReview:
    """Count one month of the stage log: funnel, drop-off, lost reasons, win rates.

    ``first_day`` is the month's first day. ``deals`` are the sheet's deals
    now, read for the lost reason of deals lost in the month. Stays start on
    the days runs recorded them; :func:`review_log_rows` takes them as the
    Stage log tab dates them.

    Before: in September, D-1 moved Lead → Qualified on 09-03 and D-2 was lost
    from Lead on 09-10 with reason "No budget". After: Lead moved on 1, lost 1,
    drop-off 0.5; Qualified entered 1; lost reasons "No budget" 1.
    """
    last_day = last_day_of_month(first_day)
    rows = stage_log_rows(transitions, last_day, log_started_on=log_started_on)
    return review_log_rows(
        rows, deals, pipeline, first_day, log_started_on=log_started_on
    )


def review_log_rows(
    rows: Sequence[StageLogRow],
    deals: Sequence[Deal],
    pipeline: Pipeline,
    first_day: dt.date,
    *,
    log_started_on: dt.date,
    run_days: Sequence[dt.date] | None = None,
) -> MonthlyReview:
    """Count one month of the Stage log tab's rows, as :func:`build_monthly_review`.

    ``rows`` are those of :func:`rules.stage_log.stage_log_rows` for any day
    after the month, with their starts moved to the sheet's stage-entered
    dates where the Stage log tab moves them. Stays that begin after the
    month are left out, and stays that end after it count as going on.
    ``run_days`` are the as-of days of the recorded runs, oldest first; when
    none falls in the month, the review names the runs around it. None
    leaves that check out.
    """
    last_day = last_day_of_month(first_day)
    month = _month_log(rows, pipeline, first_day, last_day, log_started_on)
    in_month, ended = month.entered, month.ended
    on_sheet = deals_by_unique_id(deals)

    won_ids = _deal_ids(item for item in in_month if _closed_as(item, Outcome.WON))
    lost_ids = _deal_ids(item for item in in_month if _closed_as(item, Outcome.LOST))
    late_start = log_started_on > first_day
    won_by_date: set[str] = set()
    lost_by_date: set[str] = set()
    if late_start:
        closed_in_month = _closed_in_month(
            month.final_outcomes, on_sheet, first_day, last_day
        )
        won_by_date = closed_in_month[Outcome.WON] - won_ids
        lost_by_date = closed_in_month[Outcome.LOST] - lost_ids

    reasons, not_on_sheet = _count_lost_reasons(lost_ids | lost_by_date, on_sheet)
    new_ids = _deal_ids(item for item in in_month if item.first)
    return MonthlyReview(
        first_day=first_day,
        last_day=last_day,
        log_started_on=log_started_on if late_start else None,
        stages=[
            _review_stage(stage, pipeline, in_month, ended) for stage in pipeline.stages
        ],
        new_deals=len(new_ids),
        won=len(won_ids),
        lost=len(lost_ids),
        left_sheet=len(_deal_ids(item for item in ended if item.disappeared)),
        lost_reasons=reasons,
        lost_not_on_sheet=not_on_sheet,
        win_rates=_observed_win_rates(month, pipeline),
        won_by_close_date=len(won_by_date) if late_start else None,
        lost_by_close_date=len(lost_by_date) if late_start else None,
        **_runs_around(run_days or (), first_day, last_day),
    )


def _runs_around(
    run_days: Sequence[dt.date], first_day: dt.date, last_day: dt.date
) -> dict[str, dt.date | None]:
    """Return the runs before and after a month that no recorded run fell in."""
    before = [day for day in run_days if day < first_day]
    after = [day for day in run_days if day > last_day]
    if not before or len(before) + len(after) < len(run_days):
        return {}
    return {"run_before": before[-1], "run_after": after[0] if after else None}


def count_lost_reasons(
    deal_ids: set[str], deals: Sequence[Deal]
) -> tuple[list[LostReasonCount], int]:
    """Count the lost reasons of the given deals, most frequent first.

    Reasons are grouped ignoring case and spacing and shown as the first deal
    (in ID order) spells them. Returns the counts and how many of the deals are
    no longer on the sheet.
    """
    return _count_lost_reasons(deal_ids, deals_by_unique_id(deals))


def _count_lost_reasons(
    deal_ids: set[str], on_sheet: Mapping[str, Deal]
) -> tuple[list[LostReasonCount], int]:
    """Count lost reasons as :func:`count_lost_reasons`, given the deals by ID.

    A month can have thousands of lost deals with a few distinct reasons, so
    each distinct cell value is read and folded once.
    """
    listed = sorted(deal_ids & on_sheet.keys())
    values = _field_values(on_sheet, listed, LOST_REASON_FIELD)
    reason_of = {
        value: (value if isinstance(value, str) else "").strip()
        for value in set(values)
    }
    reasons = list(map(reason_of.__getitem__, values))
    key_of = {reason: fold_text(reason) for reason in set(reasons)}
    counts = Counter(map(key_of.__getitem__, reasons))
    spelled: dict[str, str] = {}
    # dict.fromkeys lists the distinct reasons in the deals' ID order.
    for reason in dict.fromkeys(reasons):
        spelled.setdefault(key_of[reason], reason)

    ordered = sorted(counts, key=lambda key: (-counts[key], key))
    reasons_counted = [LostReasonCount(spelled[key], counts[key]) for key in ordered]
    return reasons_counted, len(deal_ids - on_sheet.keys())


def _closed_in_month(
    final_outcomes: Mapping[str, Outcome],
    on_sheet: Mapping[str, Deal],
    first_day: dt.date,
    last_day: dt.date,
) -> dict[Outcome, set[str]]:
    """Return the deals closed at the month's end whose close date is in the month.

    The outcome is the log's at the month's end, the close date the sheet's now.
    Each distinct close date is checked once.
    """
    # Every outcome that is not open is won or lost. Comparing identities
    # calls no Python code, where hashing an enum member does.
    is_closed = map(is_not, final_outcomes.values(), repeat(Outcome.OPEN))
    closed_ids = list(compress(final_outcomes, is_closed))
    listed = list(compress(closed_ids, map(on_sheet.__contains__, closed_ids)))
    dates = _field_values(on_sheet, listed, CLOSE_DATE_FIELD)
    in_month = {value for value in set(dates) if _is_day_in(value, first_day, last_day)}
    won: set[str] = set()
    lost: set[str] = set()
    for deal_id in compress(listed, map(in_month.__contains__, dates)):
        if final_outcomes[deal_id] is Outcome.WON:
            won.add(deal_id)
        else:
            lost.add(deal_id)
    return {Outcome.WON: won, Outcome.LOST: lost}


def _field_values(
    on_sheet: Mapping[str, Deal], deal_ids: Iterable[str], field_name: str
) -> list[object]:
    """Return the parsed value of one field of each deal, None where blank."""
    return [on_sheet[deal_id].values.get(field_name) for deal_id in deal_ids]


def _is_day_in(value: object, first_day: dt.date, last_day: dt.date) -> bool:
    """Return True for a date or datetime from ``first_day`` to ``last_day``."""
    if not isinstance(value, dt.date):
        return False
    # A datetime cell is a date too, and only its day counts.
    if isinstance(value, dt.datetime):
        value = value.date()
    return first_day <= value <= last_day


def _observed_win_rates(month: _MonthLog, pipeline: Pipeline) -> list[StageWinRate]:
    """Return won ÷ closed per open stage over the deals that were ever in it."""
    rates: list[StageWinRate] = []
    for stage in pipeline.open_stages:
        visited = month.deals_in(stage)
        outcomes = list(map(month.final_outcomes.get, visited))
        won = outcomes.count(Outcome.WON)
        closed = won + outcomes.count(Outcome.LOST)
        observed = won / closed if closed else None
        rates.append(StageWinRate(stage.name, stage.probability, closed, won, observed))
    return rates


def _month_log(
    rows: Sequence[StageLogRow],
    pipeline: Pipeline,
    first_day: dt.date,
    last_day: dt.date,
    log_started_on: dt.date,
) -> _MonthLog:
    """Read the Stage log rows as the stays were at the end of ``last_day``.

    A stay that the log's first run found keeps that run's day as an unknown
    start, even where the sheet's date moved its start, because the review
    leaves such stays out. A stay that ended after ``last_day`` goes on, and
    one that began after it is left out. Each column is read with ``map`` in
    C, and only the stays that began or ended in the month become a
    :class:`_Stay`. With that, :func:`review_log_rows` took 0.17 s of CPU
    instead of 0.64 s with a stay object per row, best of 7, on the
    2025-10-01 run of the 100k-row benchmark sheet (bench/generate.py,
    2-core AMD EPYC).
    """
    found_first = list(map(eq, map(_FIRST_SEEN, rows), repeat(log_started_on)))
    begun = _begun_by(rows, found_first, log_started_on, last_day)
    if not all(begun):
        rows = list(compress(rows, begun))
        found_first = list(compress(found_first, begun))
    deal_ids = list(map(DEAL_ID, rows))
    labels = list(map(_STAGE, rows))
    lookup = StageLookup(pipeline)
    stage_of = {label: lookup.find(label) for label in set(labels)}
    stages = list(map(stage_of.__getitem__, labels))

    ends = _ends_at_month_end(rows, first_day, last_day)
    entered = _entered_in_month(rows, found_first, first_day, last_day)
    known = {label: stage for label, stage in stage_of.items() if stage is not None}
    outcomes = list(
        map({label: stage.outcome for label, stage in known.items()}.get, labels)
    )
    in_known_stage = map(is_not, outcomes, repeat(None))
    # A deal that left the sheet keeps the stage it was last recorded in, so a
    # won deal archived off the sheet still counts as won. A later stay of the
    # same deal comes after it and replaces it in the dict.
    last_known = map(or_, ends.current, ends.disappeared)
    final = compress(
        zip(deal_ids, outcomes, strict=True), map(and_, last_known, in_known_stage)
    )
    return _MonthLog(
        entered=_stays_at(entered, deal_ids, stages, ends.disappeared),
        ended=_stays_at(ends.ended, deal_ids, stages, ends.disappeared),
        # The stays in no known stage, whose outcome is None, are left out.
        final_outcomes=cast("dict[str, Outcome]", dict(final)),
        deal_ids=deal_ids,
        stage_names=list(
            map({label: stage.name for label, stage in known.items()}.get, labels)
        ),
    )


class _MonthEnds(NamedTuple):
    """Per stay, whether it went on at the month's end and whether it left the sheet.

    ``ended`` are the indexes of the stays that ended in the month.
    """

    current: list[bool]
    disappeared: list[bool]
    ended: list[int]


def _ends_at_month_end(
    rows: Sequence[StageLogRow], first_day: dt.date, last_day: dt.date
) -> _MonthEnds:
    """Return the ends of the stays as they were at the end of ``last_day``.

    A stay that ended after ``last_day`` went on then, and had not left the
    sheet. Only the stays with an end are visited in Python.
    """
    exits = list(map(_EXITED, rows))
    current = list(map(is_, exits, repeat(None)))
    disappeared = list(map(_DISAPPEARED, rows))
    ended: list[int] = []
    for index in compress(range(len(rows)), map(not_, current)):
        if exits[index] > last_day:
            current[index] = True
            disappeared[index] = False
        elif exits[index] >= first_day:
            ended.append(index)
    return _MonthEnds(current, disappeared, ended)


def _entered_in_month(
    rows: Sequence[StageLogRow],
    found_first: list[bool],
    first_day: dt.date,
    last_day: dt.date,
) -> Iterator[int]:
    """Return the indexes of the stays with a known start in the month.

    A stay that the log's first run found has no known start.
    """
    known = map(and_, map(_ENTERED_KNOWN, rows), map(not_, found_first))
    days = list(map(_ENTERED, rows))
    in_month = map(
        and_, map(le, repeat(first_day), days), map(ge, repeat(last_day), days)
    )
    return compress(range(len(rows)), map(and_, known, in_month))


def _begun_by(
    rows: Sequence[StageLogRow],
    found_first: list[bool],
    log_started_on: dt.date,
    last_day: dt.date,
) -> list[bool]:
    """Return, per row, whether its stay began on or before ``last_day``.

    A stay that the log's first run found begins on the log's first day.
    """
    entered_by_month_end = map(ge, repeat(last_day), map(_ENTERED, rows))
    if log_started_on <= last_day:
        return list(map(or_, found_first, entered_by_month_end))
    return list(map(and_, map(not_, found_first), entered_by_month_end))


def _stays_at(
    indexes: Iterable[int],
    deal_ids: list[str],
    stages: list[Stage | None],
    disappeared: list[bool],
) -> list[_Stay]:
    """Return the stays at ``indexes`` of the columns, as :class:`_Stay` has them.

    The columns list each deal's stays together, oldest first, so the stays
    around a stay of the same deal are the ones before and after it.
    """
    last = len(deal_ids) - 1
    stays: list[_Stay] = []
    for index in indexes:
        deal_id = deal_ids[index]
        has_previous = index > 0 and deal_ids[index - 1] == deal_id
        has_next = index < last and deal_ids[index + 1] == deal_id
        stays.append(
            _Stay(
                deal_id=deal_id,
                stage=stages[index],
                next_stage=stages[index + 1]
                if has_next and not disappeared[index]
                else None,
                previous_stage=stages[index - 1] if has_previous else None,
                first=not has_previous,
                disappeared=disappeared[index],
            )
        )
    return stays


def _review_stage(
    stage: Stage, pipeline: Pipeline, in_month: Sequence[_Stay], ended: Sequence[_Stay]
) -> ReviewStage:
    entered = _deal_ids(item for item in in_month if _in_stage(item, stage))
    if stage.outcome is not Outcome.OPEN:
        return ReviewStage(stage.name, stage.outcome, len(entered), *[None] * 5)

    exits = [item for item in ended if _in_stage(item, stage)]
    moved_on = _deal_ids(item for item in exits if _moved_on(item, pipeline))
    won = _deal_ids(item for item in exits if _is(item.next_stage, Outcome.WON))
    lost = _deal_ids(item for item in exits if _is(item.next_stage, Outcome.LOST))
    left = _deal_ids(item for item in exits if item.disappeared)

    leaving = len(moved_on) + len(won) + len(lost) + len(left)
    drop_off = (len(lost) + len(left)) / leaving if leaving else None
    return ReviewStage(
        name=stage.name,
        outcome=stage.outcome,
        entered=len(entered),
        moved_on=len(moved_on),
        won=len(won),
        lost=len(lost),
        left_sheet=len(left),
        drop_off=drop_off,
    )


def _moved_on(item: _Stay, pipeline: Pipeline) -> bool:
    # From an open stage to a later open one; wins are counted on their own.
    source, target = item.stage, item.next_stage
    if source is None or target is None or target.outcome is not Outcome.OPEN:
        return False
    order = [stage.name for stage in pipeline.stages]
    return order.index(target.name) > order.index(source.name)


def _is(stage: Stage | None, outcome: Outcome) -> bool:
    return stage is not None and stage.outcome is outcome


def _in_stage(item: _Stay, stage: Stage) -> bool:
    return item.stage is not None and item.stage.name == stage.name


def _closed_as(item: _Stay, outcome: Outcome) -> bool:
    # A move between two won stages (signed, then upsold) closes nothing.
    return _is(item.stage, outcome) and not _is(item.previous_stage, outcome)


def _deal_ids(items: Iterable[_Stay]) -> set[str]:
    return {item.deal_id for item in items}
