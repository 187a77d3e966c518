"""The stage log: each deal's stays in each stage, and the figures built on them.

Conventions:

- A run records a move on the day it runs, so a stay begins on the day of the
  run that first found the deal in that stage. The true move happened between the
  previous run and that day.
- A deal already on the sheet at the log's first run has been in its stage
  since some unknown day. That stay's ``entered`` is the first run's date and
  is marked ``entered_known=False``: its days are a lower bound ("≥").
- The current stay counts up to ``as_of``. A stay ends on the day a run finds
  the deal in another stage, or no longer finds it on the sheet. A deal that
  comes back on the sheet in the stage it left in, after any absence,
  continues that stay.
- A sheet with a stage-entered date column can move the start of a current
  stay earlier: see :func:`start_stays_on_sheet_dates`. When the stay ends,
  it keeps the start that the last run before the move showed: see
  :func:`stage_log_rows`.
- Stages are named as the runs recorded them, so a stay in a stage the
  pipeline does not know keeps the cell text.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, replace
from functools import partial
from itertools import compress, groupby
from operator import attrgetter, eq, itemgetter, not_
from typing import NamedTuple, cast

from config.models import Outcome, Pipeline, Stage
from rules.checks import SEVERITIES, STAGE_ENTERED_FIELD
from rules.deals import ColumnMap, Deal
from rules.findings import Code, Finding
from rules.headers import StageLookup
from rules.history import StayEnd, Transition
from rules.metrics import funnel_stages
from rules.transitions import (
    SEEN_ON_INDEX,
    TO_STAGE_INDEX,
    deals_by_unique_id,
    stage_column_finding,
)

# The deal ID of a transition or of a Stage log line.
DEAL_ID = attrgetter("deal_id")


class StageStay(NamedTuple):
    """One uninterrupted stay of a deal in one stage.

    ``exited`` is None for the current stay. ``days`` runs from ``entered`` to
    ``exited``, or to ``as_of`` for the current stay. ``entered_known`` is
    False when the deal was already in the stage at the log's first run, so
    ``entered`` and ``days`` are lower bounds. ``disappeared`` is True when the
    stay ended because the deal was no longer on the sheet. ``first_seen`` is
    the day a run first found the deal in the stage when ``entered`` was taken
    from the row's stage-entered date instead, and None otherwise.
    """

    stage: str
    entered: dt.date
    exited: dt.date | None
    days: int
    entered_known: bool
    disappeared: bool = False
    first_seen: dt.date | None = None


@dataclass(frozen=True)
class TimeInStage:
    """A deal's time in stage: its latest stay and its total days per stage.

    ``latest`` is the current stay, or the last one of a deal that disappeared
    from the sheet. ``cumulative_days`` adds up every stay per stage, the
    current one included, in the order the deal first entered each stage.
    ``cumulative_known`` is False for a stage whose total is a lower bound.
    """

    deal_id: str
    latest: StageStay
    cumulative_days: dict[str, int]
    cumulative_known: dict[str, bool]

    @property
    def current_stage(self) -> str | None:
        """Stage the deal is in now, or None when it disappeared from the sheet."""
        return self.latest.stage if self.latest.exited is None else None

    @property
    def entered(self) -> dt.date | None:
        """Date the deal entered its current stage, or None when it disappeared."""
        return self.latest.entered if self.latest.exited is None else None

    @property
    def latest_stay_days(self) -> int:
        """Days of the latest stay, counted up to ``as_of`` for the current one."""
        return self.latest.days


@dataclass(frozen=True)
class LogFunnelStage:
    """One open or won stage of the funnel the stage log shows.

    ``any_stage`` counts deals that were ever in this stage or a later one,
    and at the first stage also the deals only ever recorded lost. ``strict``
    counts deals whose recorded path went through every funnel stage
    up to this one, in order.
    """

    name: str
    outcome: Outcome
    any_stage: int
    strict: int


class StageLogRow(NamedTuple):
    """One line of the Stage log tab: one stay of one deal.

    The fields after ``deal_id`` are those of :class:`StageStay`, in its order.
    """

    deal_id: str
    stage: str
    entered: dt.date
    exited: dt.date | None
    days: int
    entered_known: bool
    disappeared: bool = False
    first_seen: dt.date | None = None


# Build a Stage log line from a tuple of its fields in C, because calling the
# class runs its __new__ in Python, once per stay.
_new_row = partial(tuple.__new__, StageLogRow)
# Fields of a Stage log line, for ``map`` to read a column without a Python loop.
_STAGE, _ENTERED, _EXITED, _FIRST_SEEN = (
    itemgetter(StageLogRow._fields.index(name))
    for name in ("stage", "entered", "exited", "first_seen")
)


def stage_stays(
    transitions: Sequence[Transition], as_of: dt.date, *, log_started_on: dt.date
) -> list[StageStay]:
    """Turn one deal's transitions into its stays, oldest first.

    ``log_started_on`` is the date of the log's first run. Transitions seen
    after ``as_of`` are left out. A transition into the stage the deal is
    already in continues the stay.

    Before: None → Lead on 09-01 (the first run), Lead → Proposal on 09-03,
    as of 09-07. After: Lead 09-01 to 09-03, 2 days, entered unknown. Proposal
    from 09-03, 4 days so far.
    """
    rows = stage_log_rows(transitions, as_of, log_started_on=log_started_on)
    return [_stay_of_row(row) for row in rows]


def time_in_stage(
    transitions: Sequence[Transition], as_of: dt.date, *, log_started_on: dt.date
) -> dict[str, TimeInStage]:
    """Compute each deal's latest and cumulative time in stage, in deal ID order.

    ``log_started_on`` is the date of the log's first run, which the caller
    takes from its run history because that run may have recorded no
    transition. Deals with no stay on or
    before ``as_of`` are left out.
    """
    rows = stage_log_rows(transitions, as_of, log_started_on=log_started_on)
    return times_of_log_rows(rows)


def times_of_log_rows(rows: Sequence[StageLogRow]) -> dict[str, TimeInStage]:
    """Compute :func:`time_in_stage` from the rows :func:`stage_log_rows` returns.

    ``rows`` must list each deal's rows together, as that function does.
    """
    return {
        deal_id: _time_in_stage(deal_id, [_stay_of_row(row) for row in rows_of_deal])
        for deal_id, rows_of_deal in groupby(rows, key=DEAL_ID)
    }


def cumulative_days_of_rows(rows: Sequence[StageLogRow]) -> list[int]:
    """Add up each deal's days per stage, and return the total for each row.

    A row's total is the ``cumulative_days`` of :func:`times_of_log_rows` for
    its deal and stage, so it includes the current stay up to ``as_of``. ``rows``
    must list each deal's rows together, as :func:`stage_log_rows` does.

    Before: D-1 Proposal 1 day, D-1 Qualified 4 days, D-1 Proposal 0 days so
    far. After: ``[1, 4, 1]``.
    """
    days = list(map(attrgetter("days"), rows))
    deal_ids = list(map(DEAL_ID, rows))
    # Only a deal with several rows can have two stays in one stage. On the
    # log's first run every deal has one row, so the totals are the rows' days.
    if not any(map(eq, deal_ids[1:], deal_ids)):
        return days

    # zip builds the keys and map reads the totals in C, so only the sums run
    # in Python. For 100k rows of 50k deals that took about 0.1 s, against
    # 0.26 s with a key built per row (2-core VM under load).
    keys = list(zip(deal_ids, map(attrgetter("stage"), rows), strict=True))
    totals = dict.fromkeys(keys, 0)
    for key, stay_days in zip(keys, days, strict=True):
        totals[key] += stay_days
    return list(map(totals.__getitem__, keys))


def idle_findings_from_log(
    deals: Sequence[Deal],
    stays: Mapping[str, StageLogRow],
    columns: ColumnMap,
    pipeline: Pipeline,
) -> list[Finding]:
    """Return ``idle-in-stage`` for open deals that stayed longer than allowed.

    For sheets without a stage-entered date column only: with one, the row
    checks measure the stay from that column, and the caller uses those
    instead. A deal is idle when its current stay in the log is longer than its
    stage's ``idle_days``. The params are those of the row check, and the
    finding points at the stage column. A first-run stay's days are a lower
    bound, so such a deal may have been idle longer than ``days`` shows.
    ``stays`` maps deal IDs to current stays of :func:`stage_log_rows` on
    the same day, either all of them or those that :func:`idle_stays` returns.
    """
    lookup = StageLookup(pipeline)
    findings: list[Finding] = []
    for deal_id, deal in deals_by_unique_id(deals).items():
        stay = stays.get(deal_id)
        if stay is None:
            continue

        logged = lookup.find(stay.stage)
        if deal.stage is not None and logged is not None:
            findings.extend(_idle_finding(deal, deal.stage, logged, stay, columns))
    return sorted(findings, key=lambda finding: finding.row or 0)


def idle_stays(
    rows: Sequence[StageLogRow], pipeline: Pipeline
) -> dict[str, StageLogRow]:
    """Return the current stays longer than their stage's idle limit, by deal ID.

    Only those deals can be idle, so :func:`idle_findings_from_log` needs
    no other stay. The limit is the ``idle_days`` of the open stage that the
    stay's stage label names. ``rows`` are those of :func:`stage_log_rows`.

    Before: D-1 in Demo (idle limit 14) for 20 days after 3 days in Lead, and
    D-2 in Demo for 5 days. After: D-1's stay in Demo.
    """
    lookup = StageLookup(pipeline)
    limits: dict[str, int] = {}
    for label in set(map(_STAGE, rows)):
        stage = lookup.find(label)
        if stage is not None and stage.outcome is Outcome.OPEN:
            if stage.idle_days is not None:
                limits[label] = stage.idle_days
    if not limits:
        return {}

    return {
        row.deal_id: row
        for row in rows
        if row.exited is None
        and (limit := limits.get(row.stage)) is not None
        and row.days > limit
    }


def idle_from_log_starts(
    findings: list[Finding],
    deals: Sequence[Deal],
    rows: Sequence[StageLogRow],
    stale: Set[str],
    as_of: dt.date,
) -> list[Finding]:
    """Count ``idle-in-stage`` from the Stage log's stay for stale sheet dates.

    The row check counts from the row's stage-entered date. The Stage log
    does not take that date when a recorded run saw the deal in another stage
    after it, as when a rep moved the deal but left the date of the previous
    move: :func:`start_stays_on_sheet_dates` returns those deals' IDs as
    ``stale``. Their idle days count from the log's start of the stay, so the
    status and the Stage log agree: the finding is dropped when those days
    are within the limit, and states them otherwise.

    Before: D-1 moved to Proposal (idle limit 14) on a run of 01-06, Stage
    Entered still 2020-12-01, idle-in-stage of 36 days as of 01-06. After: no
    finding, because the stay in the log starts on 01-06.
    """
    if not stale:
        return findings
    current = {row.deal_id: row for row in rows if row.exited is None}
    by_row = {deal.row: deal for deal in deals if deal.deal_id in stale}
    remaining = []
    for finding in findings:
        deal = by_row.get(finding.row or 0)
        row = current.get(deal.deal_id or "") if deal is not None else None
        if finding.code is not Code.IDLE_IN_STAGE or deal is None or row is None:
            remaining.append(finding)
            continue
        stage = deal.stage
        if stage is None or stage.idle_days is None or row.stage != stage.name:
            remaining.append(finding)
            continue
        days = (as_of - row.entered).days
        if days > stage.idle_days:
            # NOTE: the message calls this the day a run first found the deal
            # in the stage, but a start that keep_shown_starts kept can be an
            # earlier row date that the Stage log showed.
            since = row.entered.isoformat()
            params = {**finding.params, "days": str(days), "since": since}
            remaining.append(replace(finding, params=params))
    return remaining


def log_funnel(
    transitions: Sequence[Transition], pipeline: Pipeline
) -> list[LogFunnelStage]:
    """Count the deals of the log that reached each open and won stage, in order.

    Every deal recorded in a known stage counts, the ones that later
    disappeared from the sheet and the closed ones included. A path is the
    funnel stages a deal was recorded in, in order, without lost and unknown
    stages. ``any_stage`` counts paths that reach this stage or a later one,
    so a deal first seen past the first stage, at the log's first run or
    later, counts at every stage before it too. A deal recorded only in lost
    stages counts at the first stage, as the funnel without history counts a
    lost deal whose last open stage is unknown. So the first stage's
    ``any_stage`` is every deal recorded in a known stage. ``strict`` counts
    paths that contain the funnel's stages up to this one in order, with
    anything between them: a move back and a second pass can make up a
    skipped stage. A deal first seen past the first stage or lost counts in
    ``any_stage`` only.

    NOTE: a filled field named in a stage's ``reached_if_filled`` is not
    applied here, because only transitions come in, so a deal first seen
    lost counts at the first stage even where the Reached column counts it
    further.

    Before: paths Lead → Qualified, Lead → Proposal and Proposal, and a deal
    first seen lost. After: Lead 4 any-stage and 2 strict, Qualified 3 and 1,
    Proposal 2 and 0.
    """
    funnel = funnel_stages(pipeline)
    # Each column is read once, with ``map`` in C, for all the counts below.
    deal_ids = list(map(DEAL_ID, transitions))
    to_stages = list(map(itemgetter(TO_STAGE_INDEX), transitions))
    labels = set(to_stages)
    positions = _funnel_positions(labels, funnel, pipeline)
    # On a log's first run, and later while no deal has moved, each deal has
    # one transition, which makes both counts below simpler.
    one_move_each = len(set(deal_ids)) == len(deal_ids)
    # Many deals share a path, so each distinct path is measured once.
    paths = _count_paths(transitions, deal_ids, to_stages, positions, one_move_each)

    # Paths counted by how far they reach, so each stage sums a few counts.
    furthest: Counter[int] = Counter()
    strict: Counter[int] = Counter()
    for path, deal_count in paths.items():
        furthest[max(path, default=-1)] += deal_count
        strict[_strict_reach(path)] += deal_count
    furthest[0] += _lost_without_path(
        deal_ids, to_stages, labels, positions, pipeline, one_move_each
    )
    return [
        LogFunnelStage(
            name=stage.name,
            outcome=stage.outcome,
            any_stage=sum(n for reach, n in furthest.items() if reach >= index),
            strict=sum(n for reach, n in strict.items() if reach > index),
        )
        for index, stage in enumerate(funnel)
    ]


def stage_log_rows(
    transitions: Sequence[Transition],
    as_of: dt.date,
    *,
    log_started_on: dt.date,
    ended_stay_starts: Mapping[StayEnd, dt.date] | None = None,
) -> list[StageLogRow]:
    """List every stay of every deal, by deal ID (text order) and then by date.

    ``ended_stay_starts`` are the starts that the Stage log showed for stays
    while they went on, keyed by the move that ended each. Such a stay starts
    there, with ``first_seen`` set, and the stay before it ends there unless
    the deal had left the sheet. A start that is not earlier than the
    recorded one, or not after the last day the previous stay was seen, is
    left out.

    Before: D-2 None → Lead on 09-01, D-1 None → Lead on 09-01 and Lead →
    Qualified on 09-03, as of 09-04, with the log started on 09-01. After: D-1
    Lead 09-01 to 09-03, D-1 Qualified from 09-03, D-2 Lead from 09-01. With
    ended_stay_starts {(D-1, Lead, 09-03): 08-20}: D-1 Lead 08-20 to 09-03.
    """
    rows: list[StageLogRow] = []
    deal_id: str | None = None
    # The deal's stage after its latest transition, None before its first one
    # and while it is off the sheet. A move into that same stage continues it.
    stage: str | None = None
    # The stage the deal left the sheet in, while it is off the sheet.
    left_in: str | None = None
    for transition in _log_order(transitions):
        moved_id, from_stage, to_stage, seen_on = transition
        if moved_id != deal_id:
            deal_id, stage, left_in = moved_id, None, None
        if seen_on > as_of or to_stage == stage:
            continue
        if stage is None and to_stage is not None and to_stage == left_in:
            rows[-1] = _reopen_stay(rows[-1], as_of)
            stage, left_in = to_stage, None
            continue

        if stage is not None:
            rows[-1] = _end_stay(rows[-1], transition)
            if ended_stay_starts and from_stage is not None:
                stay_end = StayEnd(moved_id, from_stage, seen_on)
                # A later stay in the same stage that ends on the same day
                # began on that day, so the checks leave its start out.
                start = ended_stay_starts.get(stay_end)
                if start is not None:
                    _start_ended_stay_on(rows, start, seen_on)
        left_in = stage if to_stage is None else None
        stage = to_stage
        if stage is None:
            continue
        # Only the first run can find deals whose stage began before the log did.
        entered_known = from_stage is not None or seen_on != log_started_on
        days = (as_of - seen_on).days
        rows.append(
            _new_row((moved_id, stage, seen_on, None, days, entered_known, False, None))
        )
    return rows


class SheetDateStarts(NamedTuple):
    """The starts and stale dates that :func:`start_stays_on_sheet_dates` found.

    ``stay_starts`` maps the deal ID of each current stay that begins before
    the day a run first found the deal in the stage to that start. The start
    is the row's date where taken, else the one that the stay kept while the
    deal was off the sheet. ``stale`` contains the IDs of the deals whose
    date was not taken because a run saw the deal in its previous stage on
    or after it.
    """

    stay_starts: dict[str, dt.date]
    stale: set[str]


def start_stays_on_sheet_dates(
    rows: list[StageLogRow],
    deals: Mapping[str, Deal],
    run_days: Sequence[dt.date] = (),
) -> SheetDateStarts:
    """Start each deal's current stay on its row's stage-entered date if earlier.

    A run records a stay from the day it first finds the deal in the stage.
    So a deal already in its stage at the log's first run, or added to the
    sheet in a later stage, would show fewer days than the idle check counts
    from the row. The row's date is taken when it is a readable date, earlier than
    the recorded start, on a row in the stage the log shows or in no known
    stage (the history keeps the last known one), and after the last run
    day that saw the deal in its previous stay, because the deal was in
    another stage then. ``run_days`` are the as-of days of the recorded runs,
    oldest first. Without them, only the day a run first found the deal in
    the previous stage is known to be such a day. A previous stay that ended
    by a move then ends on the row's date. ``deals`` are today's deals by ID.
    ``rows``, those of :func:`stage_log_rows` for the same day, are changed
    in place, because a copy would hold a second row per deal (12 MB at 100k
    deals).

    Before: D-1 in Demo from 12-05 (the log's first run), 0 days, as of
    12-05, with Stage Entered 09-21. After: Demo from 09-21, 75 days, start
    known, first seen 12-05.

    :returns: the starts of current stays and the stale dates, as
        :class:`SheetDateStarts` describes them.
    """
    deal_ids = list(map(DEAL_ID, rows))
    is_current = _current_stays(rows)
    kept = _kept_starts(rows, is_current)
    dates = _earlier_sheet_dates(rows, is_current, deal_ids, deals)

    # Only a row after a row of the same deal has a previous stay to check and
    # end. The other rows, all of them on a log's first run, take their dates
    # first, without those checks. A later row reads and changes only the row
    # before it, which is final by then, so the result is that of one pass.
    later = _later_stay_rows(deal_ids)
    for index in [index for index in dates if index not in later] if later else dates:
        rows[index] = _started_on(rows[index], dates[index])
    stale: set[str] = set()
    for index in sorted(later.intersection(dates)):
        if not _start_later_stay(rows, index, dates[index], run_days, stale):
            del dates[index]
    return SheetDateStarts(_starts_by_deal(deal_ids, kept, dates), stale)


def start_stays_on_stored_starts(
    rows: list[StageLogRow], stay_starts: Mapping[str, dt.date]
) -> None:
    """Start each current stay on the start a recorded run stored for it, if earlier.

    ``stay_starts`` are those that :func:`start_stays_on_sheet_dates` returned
    on the run that stored them, so each passed its checks then and needs no
    workbook now. As there, the stay before ends on the start too, unless the
    deal had left the sheet. ``rows``, those of :func:`stage_log_rows`, are
    changed in place.

    Before: D-1 in Lead from 12-01 (the log's first run), 1 day as of 12-02,
    with the stored start 11-29. After: Lead from 11-29, 3 days, start known,
    first seen 12-01.
    """
    if not stay_starts:
        return
    for index, row in enumerate(rows):
        start = stay_starts.get(row.deal_id)
        if start is None or row.exited is not None or start >= row.entered:
            continue
        previous = rows[index - 1] if index else None
        if (
            previous is not None
            and previous.deal_id == row.deal_id
            and not previous.disappeared
        ):
            rows[index - 1] = _end_stay_on(previous, start)
        rows[index] = _started_on(row, start)


def keep_shown_starts(
    rows: list[StageLogRow],
    before: Sequence[StageLogRow],
    shown: Mapping[str, dt.date],
    starts: dict[str, dt.date],
    *,
    last_run: dt.date | None,
    as_of: dt.date,
    log_started_on: dt.date,
) -> set[str]:
    """Keep the start that the last run showed for a current stay where needed.

    :func:`start_stays_on_sheet_dates` starts current stays on today's
    stage-entered dates, so an edit of that cell after a run can move a start
    that the Stage log already showed. Two kinds of such starts stay as shown:

    - that of a stay after a move recorded before today, because it is also
      the day the stay before it ended;
    - a start that is, or would move to, a day in a month whose review is
      written: from the month of ``log_started_on`` up to the month before
      that of ``last_run``. The deal would count as new or as entering the
      stage in two reviews, or in none.

    A stay the log's first run found is counted by no review, so it follows
    the sheet. ``before`` are the rows as they were before the sheet dates,
    ``shown`` the starts stored by the last run, and ``starts`` those that
    :func:`start_stays_on_sheet_dates` returned. ``rows`` and ``starts`` are
    changed in place. Only the deals whose start differs from the stored one
    are visited, so an unchanged sheet costs one comparison of two dicts.
    Returns the IDs of the deals whose start was kept.

    Before: D-1 Lead 10-01 to 10-06 and Demo from 10-06 (the row's date) on
    the run of 10-07; on 10-08 the row shows 10-08. After: the same stays,
    where the sheet alone gives Demo from 10-07 and Lead ending 10-07.
    """
    # On the log's first run every stay begins today, so no start was shown.
    if last_run is None or starts == shown:
        return set()
    kept: set[str] = set()
    changed = sorted({deal_id for deal_id, _ in starts.items() ^ shown.items()})
    deal_ids = list(map(DEAL_ID, rows))
    # The months whose review a run up to ``last_run`` wrote.
    reviewed_from, reviewed_before = (
        log_started_on.replace(day=1),
        last_run.replace(day=1),
    )
    for deal_id in changed:
        index = bisect_right(deal_ids, deal_id) - 1
        if index < 0 or deal_ids[index] != deal_id:
            continue
        row = before[index]
        first_found = row.entered if row.first_seen is None else row.first_seen
        if row.exited is not None or first_found >= as_of:
            continue
        old = min(shown.get(deal_id, row.entered), row.entered)
        if rows[index].entered == old:
            continue
        has_previous = index > 0 and deal_ids[index - 1] == deal_id
        previous = before[index - 1] if has_previous else None
        if previous is None or previous.disappeared:
            if previous is None and first_found == log_started_on:
                continue
            new = rows[index].entered
            if not any(reviewed_from <= day < reviewed_before for day in (old, new)):
                continue
        rows[index] = row if old == row.entered else _started_on(row, old)
        if previous is not None and not previous.disappeared:
            rows[index - 1] = _end_stay_on(previous, old)
        if old < first_found:
            starts[deal_id] = old
        else:
            starts.pop(deal_id, None)
        kept.add(deal_id)
    return kept


def _starts_by_deal(
    deal_ids: list[str], kept: dict[int, dt.date], started: dict[int, dt.date]
) -> dict[str, dt.date]:
    """Return the starts of current stays by deal ID, in row order.

    ``started`` are the starts taken from the sheet, by row index in row
    order, and ``kept`` those of other current stays that kept one.
    """
    starts = started
    if kept:
        merged = {**kept, **started}
        starts = {index: merged[index] for index in sorted(merged)}
    # Each current stay is the last row of its deal, so each ID comes once.
    return dict(zip(map(deal_ids.__getitem__, starts), starts.values(), strict=True))


def _current_stays(rows: list[StageLogRow]) -> list[bool]:
    """Return, per row, whether the row is a current stay, which has no end."""
    return [exited is None for exited in map(_EXITED, rows)]


def _kept_starts(rows: list[StageLogRow], is_current: list[bool]) -> dict[int, dt.date]:
    """Return the start of each current stay that kept one, by row index.

    Such a stay has a ``first_seen`` day, because it kept the start that the
    Stage log showed for it before its deal left the sheet.
    """
    first_seen = list(map(_FIRST_SEEN, rows))
    if first_seen.count(None) == len(first_seen):
        return {}
    return {
        index: rows[index].entered
        for index, (seen, current) in enumerate(
            zip(first_seen, is_current, strict=True)
        )
        if current and seen is not None
    }


def _later_stay_rows(deal_ids: list[str]) -> set[int]:
    """Return the indexes of the rows that follow a row of the same deal."""
    # ``any`` compares the IDs in C, so a log with one row per deal needs no set.
    if not any(map(eq, deal_ids[1:], deal_ids)):
        return set()
    pairs = enumerate(map(eq, deal_ids[1:], deal_ids), start=1)
    return {index for index, same in pairs if same}


def _earlier_sheet_dates(
    rows: list[StageLogRow],
    is_current: list[bool],
    deal_ids: list[str],
    deals: Mapping[str, Deal],
) -> dict[int, dt.date]:
    """Return the stage-entered dates that may start current stays, by row index.

    A row's date is its deal's readable stage-entered date, where that is
    earlier than the stay's start and the deal's row is in the logged stage or
    in no known stage. A blank or unknown stage cell leaves the deal in the
    logged stage.
    """
    found = list(map(deals.get, deal_ids))
    values = [
        None if deal is None else deal.values.get(STAGE_ENTERED_FIELD) for deal in found
    ]
    # A sheet has few distinct dates, so each distinct value is checked once.
    as_date = {value: _date_of_value(value) for value in set(values)}
    dates = map(as_date.__getitem__, values)
    columns = zip(
        dates, is_current, map(_ENTERED, rows), map(_STAGE, rows), found, strict=True
    )
    return {
        index: date
        for index, (date, current, start, stage, deal) in enumerate(columns)
        if date is not None
        and current
        and date < start
        and deal is not None
        and (deal.stage is None or deal.stage.name == stage)
    }


def _date_of_value(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _start_later_stay(
    rows: list[StageLogRow],
    index: int,
    entered: dt.date,
    run_days: Sequence[dt.date],
    stale: set[str],
) -> bool:
    """Start a deal's stay after its first on ``entered``, unless that is stale.

    The stay before it ends on ``entered`` too, unless the deal had left the
    sheet. A date before the first day the stay can have begun on adds the
    deal's ID to ``stale`` instead, and the result is False.
    """
    row = rows[index]
    previous = rows[index - 1]
    if entered < _earliest_start(previous, run_days):
        stale.add(row.deal_id)
        return False
    if not previous.disappeared:
        rows[index - 1] = _end_stay_on(previous, entered)
    rows[index] = _started_on(row, entered)
    return True


def _started_on(row: StageLogRow, entered: dt.date) -> StageLogRow:
    """Return the current stay ``row`` started on the earlier day ``entered``."""
    deal_id, stage, start, _, days, _, _, first_seen = row
    days += (start - entered).days
    if first_seen is None:
        first_seen = start
    return _new_row((deal_id, stage, entered, None, days, True, False, first_seen))


def _start_ended_stay_on(
    rows: list[StageLogRow], start: dt.date, exited: dt.date
) -> None:
    """Start the last row's stay, which ended on ``exited``, on ``start``.

    The stay before it ends on ``start`` too, unless the deal had left the
    sheet. A start that :func:`start_stays_on_sheet_dates` would not take,
    given no run days, changes nothing.
    """
    row = rows[-1]
    if start >= row.entered:
        return
    previous = rows[-2] if len(rows) > 1 else None
    if previous is not None and previous.deal_id == row.deal_id:
        if start < _earliest_start(previous, ()):
            return
        if not previous.disappeared:
            rows[-2] = _end_stay_on(previous, start)

    first_seen = row.first_seen if row.first_seen is not None else row.entered
    days = (exited - start).days
    rows[-1] = row._replace(
        entered=start, days=days, entered_known=True, first_seen=first_seen
    )


def _earliest_start(previous: StageLogRow, run_days: Sequence[dt.date]) -> dt.date:
    """Return the first day the stay after ``previous`` can have begun on.

    A deal that left the sheet was off it from the day a run found it
    missing. Otherwise every run from the day a run first found the deal in
    the previous stage up to the run that recorded the move saw the deal
    there, so the move came after the last of them.
    """
    if previous.disappeared and previous.exited is not None:
        return previous.exited
    last_seen = previous.entered if previous.first_seen is None else previous.first_seen
    if previous.exited is not None:
        before_move = bisect_left(run_days, previous.exited)
        if before_move:
            last_seen = max(last_seen, run_days[before_move - 1])
    return last_seen + dt.timedelta(days=1)


def _end_stay_on(row: StageLogRow, exited: dt.date) -> StageLogRow:
    return row._replace(exited=exited, days=(exited - row.entered).days)


def _log_order(transitions: Sequence[Transition]) -> list[Transition]:
    """Sort transitions by deal ID, then by day, keeping same-day ones in order."""
    by_day = sorted(transitions, key=itemgetter(SEEN_ON_INDEX))
    return sorted(by_day, key=DEAL_ID)


def _end_stay(row: StageLogRow, transition: Transition) -> StageLogRow:
    return _new_row(
        (
            row.deal_id,
            row.stage,
            row.entered,
            transition.seen_on,
            (transition.seen_on - row.entered).days,
            row.entered_known,
            transition.to_stage is None,
            row.first_seen,
        )
    )


def _reopen_stay(row: StageLogRow, as_of: dt.date) -> StageLogRow:
    # A deal back on the sheet in the stage it left in never left that stage
    # as far as the runs can tell, so the stay goes on.
    return row._replace(exited=None, days=(as_of - row.entered).days, disappeared=False)


def _stay_of_row(row: StageLogRow) -> StageStay:
    return StageStay._make(row[1:])


def _time_in_stage(deal_id: str, stays: list[StageStay]) -> TimeInStage:
    cumulative_days: dict[str, int] = {}
    cumulative_known: dict[str, bool] = {}
    for stay in stays:
        cumulative_days[stay.stage] = cumulative_days.get(stay.stage, 0) + stay.days
        known = cumulative_known.get(stay.stage, True) and stay.entered_known
        cumulative_known[stay.stage] = known
    return TimeInStage(deal_id, stays[-1], cumulative_days, cumulative_known)


def _idle_finding(
    deal: Deal, stage: Stage, logged: Stage, stay: StageLogRow, columns: ColumnMap
) -> list[Finding]:
    # When the sheet shows another stage than the log, the logged stay is not
    # the deal's current one.
    limit = stage.idle_days
    if logged.name != stage.name or stage.outcome is not Outcome.OPEN:
        return []
    if limit is None or stay.days <= limit:
        return []

    # The same params as the row check that reads a stage-entered date column.
    params = {
        "days": str(stay.days),
        "limit": str(limit),
        "stage": stage.name,
    }
    if not stay.entered_known:
        # The deal was in the stage before the log's first run, so the days
        # are a lower bound.
        params["log_began"] = stay.entered.isoformat()
    if STAGE_ENTERED_FIELD in columns.fields:
        # The row's cell gave no date to count from, so the message requests one.
        params["entered_column"] = columns.header_of(STAGE_ENTERED_FIELD)
        if stay.entered_known:
            params["first_found"] = stay.entered.isoformat()
    severity = SEVERITIES[Code.IDLE_IN_STAGE]
    return [stage_column_finding(Code.IDLE_IN_STAGE, deal, columns, params, severity)]


def _funnel_positions(
    labels: Set[str | None], funnel: list[Stage], pipeline: Pipeline
) -> dict[str | None, int]:
    """Return the funnel position of each stage label, leaving out lost and unknown."""
    positions = {stage.name: index for index, stage in enumerate(funnel)}
    lookup = StageLookup(pipeline)
    by_label: dict[str | None, int] = {}
    for label in labels:
        stage = lookup.find(label)
        if stage is not None and stage.name in positions:
            by_label[label] = positions[stage.name]
    return by_label


def _lost_without_path(
    deal_ids: list[str],
    to_stages: list[str | None],
    labels: Set[str | None],
    positions: dict[str | None, int],
    pipeline: Pipeline,
    one_move_each: bool,
) -> int:
    """Count the deals recorded in a lost stage and in no funnel stage.

    ``deal_ids`` and ``to_stages`` are the columns of the transitions, and
    ``labels`` the distinct ``to_stages``. ``one_move_each`` is True when
    no deal ID repeats. A deal whose one transition is into a lost stage
    was then recorded in no funnel stage, so those transitions are counted.
    """
    lookup = StageLookup(pipeline)
    lost_labels = {
        label
        for label in labels
        if (stage := lookup.find(label)) is not None and stage.outcome is Outcome.LOST
    }
    if not lost_labels:
        return 0
    if one_move_each:
        return sum(map(lost_labels.__contains__, to_stages))

    lost = set(compress(deal_ids, map(lost_labels.__contains__, to_stages)))
    # Discarding the placed deals from the lost ones builds no set of all placed.
    lost.difference_update(compress(deal_ids, map(positions.__contains__, to_stages)))
    return len(lost)


def _count_paths(
    transitions: Sequence[Transition],
    deal_ids: list[str],
    to_stages: list[str | None],
    positions: dict[str | None, int],
    one_move_each: bool,
) -> Counter[tuple[int, ...]]:
    """Count the deals of each path that :func:`_funnel_paths` returns.

    A deal with one transition, as every deal on a log's first run and most
    deals later, has that transition's one position as its path. So those
    positions are counted without a path per deal, and only the deals with
    several transitions get one. ``deal_ids`` and ``to_stages`` are the
    columns of ``transitions``. With the columns read once for the whole
    funnel, :func:`log_funnel` took 0.020 s instead of 0.034 s for 100k
    deals with one transition each, and 0.036 s instead of 0.054 s after 5k
    moves more (2-core VM, median of 7). ``one_move_each`` is True when no
    deal ID repeats.
    """
    singles: dict[str | None, tuple[int, ...]] = {
        label: (position,) for label, position in positions.items()
    }
    if one_move_each:
        counts = Counter(map(singles.get, to_stages))
    else:
        moves = Counter(deal_ids)
        repeated_ids = {deal_id for deal_id, count in moves.items() if count > 1}
        is_repeated = list(map(repeated_ids.__contains__, deal_ids))
        counts = Counter(map(singles.get, compress(to_stages, map(not_, is_repeated))))
        paths = _funnel_paths(list(compress(transitions, is_repeated)), positions)
        counts.update(paths.values())
    # A transition out of the funnel gives no path: see _funnel_paths.
    counts.pop(None, None)
    return cast(Counter[tuple[int, ...]], counts)


def _funnel_paths(
    transitions: Sequence[Transition], positions: dict[str | None, int]
) -> dict[str, tuple[int, ...]]:
    """Return each deal's path: the funnel positions it was recorded in, in order.

    Only the order of each deal's own transitions matters, so one sort by day
    is enough. A deal that never entered a funnel stage is left out, because
    an empty path counts at no stage.
    """
    by_day = sorted(transitions, key=itemgetter(SEEN_ON_INDEX))
    # ``map`` reads the IDs and positions of all transitions in C, and only a
    # move into a funnel stage extends a path: 0.046 s, not 0.058 s, for 100k.
    deal_ids = list(map(DEAL_ID, by_day))
    steps = list(map(positions.get, map(itemgetter(TO_STAGE_INDEX), by_day)))

    paths: dict[str, tuple[int, ...]] = {}
    for deal_id, position in zip(deal_ids, steps, strict=True):
        if position is not None:
            paths[deal_id] = paths.get(deal_id, ()) + (position,)
    return paths


def _strict_reach(path: tuple[int, ...]) -> int:
    # How many funnel stages, from the first, the path contains in order. Taking
    # each next stage at its first chance finds the longest such run.
    reached = 0
    for position in path:
        if position == reached:
            reached += 1
    return reached
