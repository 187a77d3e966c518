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
  month's end.
- When the log began after the month's first day, the moves before it are
  missing. Deals in a won (lost) stage at the month's end whose close date on
  the sheet is in the month, but whose move into that stage the month's log
  does not show, are then counted separately *by close date*, and their lost
  reasons are counted too.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby

from config.models import Outcome, Pipeline, Stage
from rules.checks import CLOSE_DATE_FIELD
from rules.deals import Deal
from rules.headers import StageLookup
from rules.history import Transition
from rules.stage_log import DEAL_ID, StageLogRow, StageStay, stage_log_rows
from rules.text_forms import fold_text
from rules.transitions import deals_by_unique_id

LOST_REASON_FIELD = "lost_reason"


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


@dataclass(frozen=True)
class _Stay:
    """A stay of a deal, its stage and the stage it led to.

    ``stage`` is None for a stage the definition does not know. ``next_stage``
    is None while the stay lasts, after the deal left the sheet, and when the
    next stage is unknown. ``previous_stage`` is the stage of the stay before,
    if the deal had one in a known stage. ``first`` marks the deal's first stay
    in the log.
    """

    deal_id: str
    stay: StageStay
    stage: Stage | None
    next_stage: Stage | None
    previous_stage: Stage | None
    first: bool


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
    stays = _month_stays(rows, pipeline, last_day, log_started_on)
    in_month = [item for item in stays if _entered_in(item.stay, first_day, last_day)]
    ended = [item for item in stays if _exited_in(item.stay, first_day, last_day)]

    won_ids = _deal_ids(item for item in in_month if _closed_as(item, Outcome.WON))
    lost_ids = _deal_ids(item for item in in_month if _closed_as(item, Outcome.LOST))
    late_start = log_started_on > first_day
    won_by_date: set[str] = set()
    lost_by_date: set[str] = set()
    if late_start:
        closed_in_month = _closed_in_month(stays, deals, first_day, last_day)
        won_by_date = closed_in_month[Outcome.WON] - won_ids
        lost_by_date = closed_in_month[Outcome.LOST] - lost_ids

    reasons, not_on_sheet = count_lost_reasons(lost_ids | lost_by_date, deals)
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
        left_sheet=len(_deal_ids(item for item in ended if item.stay.disappeared)),
        lost_reasons=reasons,
        lost_not_on_sheet=not_on_sheet,
        win_rates=_observed_win_rates(stays, pipeline),
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
    on_sheet = deals_by_unique_id(deals)
    spelled: dict[str, str] = {}
    counts: dict[str, int] = defaultdict(int)
    for deal_id in sorted(deal_ids & on_sheet.keys()):
        reason = (on_sheet[deal_id].text(LOST_REASON_FIELD) or "").strip()
        key = fold_text(reason)
        spelled.setdefault(key, reason)
        counts[key] += 1

    ordered = sorted(counts, key=lambda key: (-counts[key], key))
    reasons = [LostReasonCount(spelled[key], counts[key]) for key in ordered]
    return reasons, len(deal_ids - on_sheet.keys())


def _closed_in_month(
    stays: Sequence[_Stay], deals: Sequence[Deal], first_day: dt.date, last_day: dt.date
) -> dict[Outcome, set[str]]:
    """Return the deals closed at the month's end whose close date is in the month.

    The outcome is the log's at the month's end, the close date the sheet's now.
    """
    final_outcomes = _final_outcomes(stays)
    closed: dict[Outcome, set[str]] = {Outcome.WON: set(), Outcome.LOST: set()}
    for deal_id, deal in deals_by_unique_id(deals).items():
        outcome = final_outcomes.get(deal_id)
        close_date = deal.date(CLOSE_DATE_FIELD)
        if outcome not in closed or close_date is None:
            continue
        # A datetime cell is a date too, and only its day counts.
        if isinstance(close_date, dt.datetime):
            close_date = close_date.date()
        if first_day <= close_date <= last_day:
            closed[outcome].add(deal_id)
    return closed


def _final_outcomes(stays: Sequence[_Stay]) -> dict[str, Outcome]:
    # The outcome of each deal's stage at the month's end, for deals on the
    # sheet then in a known stage.
    return {
        item.deal_id: item.stage.outcome
        for item in stays
        if item.stay.exited is None and item.stage is not None
    }


def _observed_win_rates(
    stays: Sequence[_Stay], pipeline: Pipeline
) -> list[StageWinRate]:
    """Return won ÷ closed per open stage over the deals that were ever in it."""
    final_outcomes = _final_outcomes(stays)
    rates: list[StageWinRate] = []
    for stage in pipeline.open_stages:
        visited = _deal_ids(item for item in stays if _in_stage(item, stage))
        outcomes = [final_outcomes.get(deal_id) for deal_id in visited]
        won = outcomes.count(Outcome.WON)
        closed = won + outcomes.count(Outcome.LOST)
        observed = won / closed if closed else None
        rates.append(StageWinRate(stage.name, stage.probability, closed, won, observed))
    return rates


def _month_stays(
    rows: Sequence[StageLogRow],
    pipeline: Pipeline,
    last_day: dt.date,
    log_started_on: dt.date,
) -> list[_Stay]:
    lookup = StageLookup(pipeline)
    stays: list[_Stay] = []
    for deal_id, rows_of_deal in groupby(rows, key=DEAL_ID):
        until_month_end = [
            _stay_until(row, last_day, log_started_on) for row in rows_of_deal
        ]
        deal_stays = [stay for stay in until_month_end if stay.entered <= last_day]
        if not deal_stays:
            continue
        stages = [lookup.find(stay.stage) for stay in deal_stays]
        for index, stay in enumerate(deal_stays):
            has_next = index + 1 < len(deal_stays) and not stay.disappeared
            stays.append(
                _Stay(
                    deal_id=deal_id,
                    stay=stay,
                    stage=stages[index],
                    next_stage=stages[index + 1] if has_next else None,
                    previous_stage=stages[index - 1] if index > 0 else None,
                    first=index == 0,
                )
            )
    return stays


def _stay_until(
    row: StageLogRow, last_day: dt.date, log_started_on: dt.date
) -> StageStay:
    """Return a Stage log row as the stay it was at the end of ``last_day``.

    A stay the log's first run found keeps that run's day even where the
    sheet's date moved its start, because the review leaves such stays out.
    """
    if row.first_seen is not None and row.first_seen == log_started_on:
        row = row._replace(entered=row.first_seen, entered_known=False)
    if row.exited is not None and row.exited > last_day:
        row = row._replace(exited=None, disappeared=False)
    days = ((row.exited or last_day) - row.entered).days
    return StageStay(
        row.stage,
        row.entered,
        row.exited,
        days,
        row.entered_known,
        row.disappeared,
        row.first_seen,
    )


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
    left = _deal_ids(item for item in exits if item.stay.disappeared)

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


def _entered_in(stay: StageStay, first_day: dt.date, last_day: dt.date) -> bool:
    return stay.entered_known and first_day <= stay.entered <= last_day


def _exited_in(stay: StageStay, first_day: dt.date, last_day: dt.date) -> bool:
    return stay.exited is not None and first_day <= stay.exited <= last_day


def _is(stage: Stage | None, outcome: Outcome) -> bool:
    return stage is not None and stage.outcome is outcome


def _in_stage(item: _Stay, stage: Stage) -> bool:
    return item.stage is not None and item.stage.name == stage.name


def _closed_as(item: _Stay, outcome: Outcome) -> bool:
    # A move between two won stages (signed, then upsold) closes nothing.
    return _is(item.stage, outcome) and not _is(item.previous_stage, outcome)


def _deal_ids(items: Iterable[_Stay]) -> set[str]:
    return {item.deal_id for item in items}
