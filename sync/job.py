"""A recorded run: the workbook's lock, its stage history, the runs table, digests.

This is what ``pipesheet run`` and the scheduler call. It wraps
:func:`sync.run.run_sync` with the state database:

1. take the workbook's lock (another process holding it skips this run),
2. record the run's start and load the last snapshot and the stage log,
3. run the sync, which finds transitions against that snapshot and, on the
   month's first successful run, freezes the previous month's review tab,
4. store the new snapshot and transitions, then the run's outcome,
5. send the day's digests that are due,
6. release the lock, whatever happened.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import socket
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Unpack

from config.errors import PipesheetError, QuotaExceededError, WorkbookBusyError
from config.models import Pipeline, SourceKind
from rules.deals import ColumnMap, Deal
from rules.grid import SheetGrid
from rules.messages import counted
from rules.review import month_before
from rules.stage_history import (
    TRANSITION_NOTICE_DAYS,
    HistoryOutcome,
    StageHistory,
    describe_unknown_recorded_stages,
    with_current_stage_names,
)
from rules.stage_lists import stage_list_of
from sync.atomic import remove_stale_temporaries
from sync.collector import paused_cycle_collection
from sync.history_packing import HistoryPacking
from sync.interrupts import interrupts_held_back, signal_name
from sync.monthly_review import due_review_months, review_tabs
from sync.plan import GeneratedTab
from sync.renamed_tab import (
    TabHistoryChoice,
    carry_over_renamed_tab,
    choose_history_tab,
)
from sync.run import HistoryTabs, Progress, RunResult, UnwrittenRunError, run_sync
from sync.sources.base import WorkbookSource
from sync.sources.registry import open_source
from sync.sources.request_tally import REQUESTS_SENT
from sync.state.errors import StateError
from sync.state.figures import run_figures
from sync.state.keys import workbook_key
from sync.state.locks import new_lock_holder
from sync.state.ok_runs import ok_run_days, ok_run_stages, stored_stage_list
from sync.state.packing import SharedTexts
from sync.state.records import RunFigures, RunOutcome
from sync.state.store import StateStore
from sync.unrecorded_log import STAGE_LOG_UNRECORDED, unrecorded_log_warning

# Sending digests needs the mail and webhook clients, about 10 ms of imports
# (``python -X importtime``), which a definition without notifications skips.
if TYPE_CHECKING:
    from sync.notify.dispatch import DigestReport

logger = logging.getLogger(__name__)

# How long a run may hold its workbook's lock. A process that dies holding it
# blocks the workbook for at most this long, or less on the same host (see
# holder_is_dead). A run must finish well within it.
LOCK_TTL = dt.timedelta(minutes=30)
# Unfinished runs looked at when a run takes the workbook's lock.
UNFINISHED_RUNS_CHECKED = 10
# The error recorded for a run that freed its lock without recording its end.
UNRECORDED_END = (
    "the run ended without recording its outcome, for example because the state "
    "database failed (such as on a full disk) when it tried; the next run found "
    "it unfinished. The run's output or log shows its error."
)


class DeferredRunError(WorkbookBusyError):
    """A run deferred because its workbook was busy, after it sent the due digests.

    ``result`` is the run's unwritten result, with the deals and findings it
    read. ``digests`` is None when the definition has no notifications or
    sending failed as a whole.
    """

    def __init__(
        self, message: str, result: RunResult, digests: DigestReport | None
    ) -> None:
        super().__init__(message)
        self.result = result
        self.digests = digests


class WorkbookLockedError(WorkbookBusyError):
    """Another pipesheet process is running on the same workbook."""


class RunNotRecordedError(StateError):
    """The workbook was written, but the state database did not record the run."""


class EarlierAsOfError(PipesheetError, ValueError):
    """A recorded run requested for a day before the workbook's latest recorded run."""


@dataclass(frozen=True)
class RunRequest:
    """A run's request: a definition, its workbook and the day to check against.

    ``started_at`` (aware) is when the run was requested. The digests it may
    send are those of that moment's day in the definition's time zone, even
    when the run ends after midnight. Give the moment from which a default
    ``as_of`` was taken. None means when :func:`record_run` starts.
    """

    pipeline: Pipeline
    as_of: dt.date
    source_location: str | None = None
    output: Path | None = None
    dry_run: bool = False
    started_at: dt.datetime | None = None


@dataclass(frozen=True)
class RecordedRun:
    """A finished run: the sync's result, its id in the runs table, its digests.

    ``run_id`` is None for a dry run. ``digests`` is None for a dry run, for a
    definition without notifications, and when sending failed as a whole. It
    is a report with nothing sent when the workbook's Stage log lists stays
    that ``store`` has no record of.
    """

    result: RunResult
    run_id: int | None
    digests: DigestReport | None


def run_recorded(
    request: RunRequest,
    store: StateStore,
    *,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> RunResult:
    """Run one sync under the workbook's lock and record it in ``store``.

    A dry run reads the stage history but records nothing and takes no lock.
    See :func:`record_run`, which also returns the run's id and digests.

    :raises WorkbookLockedError: another process holds the workbook's lock.
    :raises RunNotRecordedError: the workbook was written, but the state
        database failed to record the run.
    :raises PipesheetError: the run could not be done; it is recorded as failed
        (or deferred, when the workbook was busy).
    """
    return record_run(request, store, progress=progress, now=now).result


@paused_cycle_collection()
def record_run(
    request: RunRequest,
    store: StateStore,
    *,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
    on_run_started: Callable[[int], None] | None = None,
) -> RecordedRun:
    """Run one sync under the workbook's lock, record it and send due digests.

    :param now: the current time (aware) for the lock and the digests; the
        runs table records the real time of the start and the end.
    :param on_run_started: called with the run's id in the runs table as soon
        as the run is recorded as started. A dry run records none.
    :raises WorkbookLockedError: another process holds the workbook's lock.
    :raises RunNotRecordedError: the workbook was written, but the state
        database failed to record the run.
    :raises PipesheetError: the run could not be done; it is recorded as failed
        (or deferred, when the workbook was busy).
    """
    key = workbook_key(request.pipeline, request.source_location)
    tab = request.pipeline.source.tab
    if request.dry_run:
        source = _open_source(request)
        choice = _choose_history_tab(store, key, tab, store.tabs(key), source)
        tab = carry_over_renamed_tab(
            store, key, tab, choice, dry_run=True, workbook=source.name
        )
        # A dry run shows the review tabs the run would freeze, too.
        review_months = due_review_months(store, key, request.as_of, None, tab)
        since = stage_lists_since(request.as_of, review_months)
        history = with_current_stage_names(
            load_history(store, key, tab, since), request.pipeline
        )
        _warn_unknown_recorded_stages(history, request.pipeline)
        used = _history_to_use(request, source, store, key, history)
        review_months = review_months if used is not None else []
        result = _run(request, source, used, progress, review_months)
        _warn_owner_entries(request.pipeline, result)
        return RecordedRun(result, None, None)

    holder = new_lock_holder()
    started = now or dt.datetime.now(dt.UTC)
    if request.started_at is None:
        request = dataclasses.replace(request, started_at=started)
    previous = store.lock(key)
    if store.acquire_lock(key, holder, LOCK_TTL, started):
        stale_after = LOCK_TTL
    elif _take_over_dead_lock(store, key, holder, started):
        stale_after = dt.timedelta(0)
    else:
        raise _locked_error(store, key)
    try:
        # The runs of an expired lock's holder may still be going on.
        _close_unrecorded_runs(store, key, previous.acquired_at if previous else None)
        today = _today(request.pipeline, started)
        time_zone = request.pipeline.timezone
        _check_as_of_order(store, key, tab, request.as_of, today, time_zone)
        _remove_stale_temporaries(request, key, stale_after)
        recorded = _run_and_record(request, store, key, progress, now, on_run_started)
    except BaseException:
        with interrupts_held_back():
            _release_lock_logged(store, key, holder, started + LOCK_TTL)
        raise
    _release_lock_logged(store, key, holder, started + LOCK_TTL)
    return recorded


def _release_lock_logged(
    store: StateStore, key: str, holder: str, expires_at: dt.datetime
) -> None:
    # A lock that cannot be freed, as on a full disk, must not hide the
    # run's own error or fail a run that was recorded. A dead holder's lock
    # is taken over by the next run on this host at once. Both ways of
    # taking the lock set its expiry to the run's start plus LOCK_TTL.
    try:
        store.release_lock(key, holder)
    except StateError as error:
        logger.warning(
            "Workbook %r stays locked, because its lock could not be freed: %s "
            "The next run on this host takes the lock over, but a run on "
            "another host waits until the lock expires at %s.",
            key,
            error,
            expires_at.isoformat(timespec="seconds"),
        )


def load_history(
    store: StateStore, key: str, tab: str, stage_lists_since: dt.date | None = None
) -> StageHistory:
    """Return what the state database remembers of earlier runs on one tab.

    Each pipeline tab of a workbook has a history of its own, so two
    definitions that read two tabs of one workbook never see each other's
    deals. Tabs match ignoring case. The runs' stage lists are read from the
    day ``stage_lists_since`` on, or all of them when it is None.
    """
    # One deal's ID and stages in the snapshot and the transitions become one
    # object each, which takes about half the memory of separate copies.
    texts: SharedTexts = {}
    previous, stay_starts = store.latest_snapshot_with_starts(key, tab=tab, texts=texts)
    transitions, ended_stay_starts = store.transitions_with_starts(
        key, tab=tab, texts=texts
    )
    return StageHistory(
        previous=previous,
        transitions=transitions,
        log_started_on=store.log_started_on(key, tab=tab),
        run_days=ok_run_days(store, key, tab=tab),
        stay_starts=stay_starts,
        ended_stay_starts=ended_stay_starts,
        run_stages=ok_run_stages(store, key, tab=tab, since=stage_lists_since),
    )


def stage_lists_since(as_of: dt.date, review_months: Sequence[dt.date]) -> dt.date:
    """Return the first day whose runs' stage lists a run as of ``as_of`` reads.

    Those are the runs whose moves the transition checks still show, and the
    runs of the months it reviews.
    """
    notice_start = as_of - dt.timedelta(days=TRANSITION_NOTICE_DAYS - 1)
    return min([notice_start, *review_months])


def holder_process(holder: str) -> tuple[str, int] | None:
    """Return the host name and process id in a lock holder ``host:pid:uuid``."""
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdecimal():
        return None
    return parts[0], int(parts[1])


def holder_is_dead(holder: str) -> bool:
    """Return True when the holder is a process of this host that no longer runs.

    NOTE: two containers that share a state database and a host name, but not
    a process namespace, would see each other's holders as dead. Give each
    container its own host name.
    """
    process = holder_process(holder)
    if process is None or process[0] != socket.gethostname():
        return False
    try:
        os.kill(process[1], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # It runs, as another user.
    return False


def abandon_run(
    store: StateStore,
    key: str,
    holder: str,
    reason: str,
    api_requests: int | None = None,
) -> list[int]:
    """Record the runs a stopped lock holder left unfinished as failed; free its lock.

    Nothing happens when ``holder`` no longer holds the workbook's lock.

    :param api_requests: the requests the holder sent, when the caller counted
        them; None leaves the runs' count empty.

    :returns: the ids of the runs recorded as failed.
    """
    lock = store.lock(key)
    if lock is None or lock.holder != holder:
        return []

    unfinished = [
        record.id
        for record in store.runs(key, UNFINISHED_RUNS_CHECKED)
        if record.outcome is None and record.started_at >= lock.acquired_at
    ]
    figures: RunFigures = {"error": reason}
    if api_requests is not None:
        figures["api_requests"] = api_requests
    for run_id in unfinished:
        store.finish_run(run_id, RunOutcome.FAILED, **figures)
    store.release_lock(key, holder)
    logger.info(
        "run abandoned workbook=%s holder=%s runs=%s reason=%s",
        key,
        holder,
        unfinished,
        reason,
    )
    return unfinished


def _close_unrecorded_runs(
    store: StateStore, key: str, started_before: dt.datetime | None
) -> None:
    """Record as failed the runs that ended without an outcome and freed the lock.

    The caller holds the workbook's lock, and every run holds it until it has
    recorded its outcome, so an unfinished run from before the lock was taken
    ended without recording it, such as when the state database failed.
    Only the latest UNFINISHED_RUNS_CHECKED runs are looked at, because each
    run closes the ones before it.

    :param started_before: close only runs started before this moment; None
        closes every unfinished run.
    """
    try:
        unfinished = [
            record.id
            for record in store.runs(key, UNFINISHED_RUNS_CHECKED)
            if record.outcome is None
            and (started_before is None or record.started_at < started_before)
        ]
        for run_id in unfinished:
            store.finish_run(run_id, RunOutcome.FAILED, error=UNRECORDED_END)
    except StateError as error:
        logger.warning("unfinished runs of %s left as they are: %s", key, error)
        return
    if unfinished:
        logger.info("runs closed workbook=%s runs=%s", key, unfinished)


def _take_over_dead_lock(
    store: StateStore, key: str, holder: str, now: dt.datetime
) -> bool:
    lock = store.lock(key)
    if lock is None:
        return store.acquire_lock(key, holder, LOCK_TTL, now)
    if not holder_is_dead(lock.holder):
        return False

    reason = (
        f"the process {lock.holder} stopped before it recorded how the run ended; "
        "the next run took over its lock"
    )
    abandon_run(store, key, lock.holder, reason)
    return store.acquire_lock(key, holder, LOCK_TTL, now)


def _run_and_record(
    request: RunRequest,
    store: StateStore,
    key: str,
    progress: Progress | None,
    now: dt.datetime | None,
    on_run_started: Callable[[int], None] | None = None,
) -> RecordedRun:
    with HistoryPacking() as packing:
        return _record_run(request, store, key, progress, now, packing, on_run_started)


def _record_run(
    request: RunRequest,
    store: StateStore,
    key: str,
    progress: Progress | None,
    now: dt.datetime | None,
    packing: HistoryPacking,
    on_run_started: Callable[[int], None] | None = None,
) -> RecordedRun:
    tab = request.pipeline.source.tab
    recorded_tabs = store.tabs(key)
    run_id = store.start_run(key, tab, request.as_of)
    if on_run_started is not None:
        on_run_started(run_id)
    # A failed run's source goes with the exception, so its requests are
    # counted from the process's tally.
    requests_before = REQUESTS_SENT.total
    try:
        source = _open_source(request)
        choice = _choose_history_tab(store, key, tab, recorded_tabs, source)
        carry_over_renamed_tab(
            store, key, tab, choice, dry_run=False, workbook=source.name
        )
        if choice.renamed_from is not None:
            # The old tab's runs may be of a later day than this run's.
            today = _today(request.pipeline, now or dt.datetime.now(dt.UTC))
            time_zone = request.pipeline.timezone
            _check_as_of_order(store, key, tab, request.as_of, today, time_zone)
        review_months = due_review_months(store, key, request.as_of, run_id, tab)
        since = stage_lists_since(request.as_of, review_months)
        stored = load_history(store, key, tab, since)
        packing.stored = stored
        history = with_current_stage_names(stored, request.pipeline)
        _warn_unknown_recorded_stages(history, request.pipeline)
        used = _history_to_use(request, source, store, key, history)
        review_months = review_months if used is not None else []
        result = _run(request, source, used, progress, review_months, packing)
    except UnwrittenRunError as error:
        # Only the write waits for the busy workbook. The digests need only
        # the read, so a workbook left open all day still gets its digests,
        # unless they were sent from another state database (see above).
        _warn_owner_entries(request.pipeline, error.result)
        if used is None:
            digests = _skipped_digests(request.pipeline, STAGE_LOG_UNRECORDED)
        else:
            digests = _send_digests(
                request.pipeline, store, key, error.result, now, request.started_at
            )
        deferred = DeferredRunError(
            f"{error}{describe_digests(digests)}", error.result, digests
        )
        sent = REQUESTS_SENT.total - requests_before
        _finish_logged(
            store, run_id, RunOutcome.DEFERRED, error=str(deferred), api_requests=sent
        )
        raise deferred from error
    except Exception as error:
        # A busy workbook or Google's quota defers the run, because the next
        # run can do the same work; anything else fails it. A message of
        # pipesheet's is stored as it is, any other error with its type.
        later = isinstance(error, WorkbookBusyError | QuotaExceededError)
        outcome = RunOutcome.DEFERRED if later else RunOutcome.FAILED
        text = str(error) if isinstance(error, PipesheetError) else repr(error)
        sent = REQUESTS_SENT.total - requests_before
        _finish_logged(store, run_id, outcome, error=text, api_requests=sent)
        raise
    except KeyboardInterrupt as interrupt:
        with interrupts_held_back():
            _record_interrupted(
                store, run_id, interrupt, REQUESTS_SENT.total - requests_before
            )
        raise

    figures = run_figures(result)
    figures["stages"] = stored_stage_list(stage_list_of(request.pipeline))
    if used is not None:
        # The run wrote the due reviews, or found their tabs written.
        figures["reviewed_through"] = month_before(request.as_of)
    try:
        store.finish_packed_ok_run(
            key, run_id, packing.result(result.history), **figures
        )
    except StateError as error:
        raise _not_recorded(store, run_id, result, error) from error
    _warn_owner_entries(request.pipeline, result)
    if used is None:
        # The digests of the other database's runs are recorded only there,
        # so this run would send them again. The logged warning states this.
        digests = _skipped_digests(request.pipeline, STAGE_LOG_UNRECORDED)
    else:
        digests = _send_digests(
            request.pipeline, store, key, result, now, request.started_at
        )
    return RecordedRun(result, run_id, digests)


def _finish_logged(
    store: StateStore, run_id: int, outcome: RunOutcome, **figures: Unpack[RunFigures]
) -> bool:
    """Record how a run ended; log a failure instead of raising it.

    The caller goes on to raise the run's own error, which a failing state
    database must not hide. The next run then records the run as failed
    (see _close_unrecorded_runs). Returns whether the outcome was recorded.
    """
    try:
        store.finish_run(run_id, outcome, **figures)
    except StateError as failed:
        logger.warning("run %s left without an outcome: %s", run_id, failed)
        return False
    return True


def _record_interrupted(
    store: StateStore, run_id: int, interrupt: KeyboardInterrupt, sent: int
) -> None:
    """Record a run stopped by a signal as failed, so history shows it ended.

    A write past its commit point defers signals until the run is recorded
    (sync.interrupts), so a run stopped here left the workbook as it was.
    """
    error = (
        f"Stopped by {signal_name(interrupt)} before its write replaced the "
        "workbook, which was left as it was."
    )
    _finish_logged(store, run_id, RunOutcome.FAILED, error=error, api_requests=sent)


def _not_recorded(
    store: StateStore, run_id: int, result: RunResult, error: StateError
) -> StateError:
    """Record the run as failed if the database still allows it; return the error.

    finish_ok_run is one transaction, so the failed recording left no snapshot
    or transitions of this run behind.
    """
    report = result.report
    if report is None or not (report.bytes_written or report.requests):
        # Nothing was written, so the database's own error describes the run.
        _finish_logged(store, run_id, RunOutcome.FAILED, error=str(error))
        return error

    message = _describe_not_recorded(report.output, error, RunOutcome.FAILED.value)
    if _finish_logged(store, run_id, RunOutcome.FAILED, error=message):
        return RunNotRecordedError(message)
    listed_as = "unfinished until the next run records it as failed"
    return RunNotRecordedError(_describe_not_recorded(report.output, error, listed_as))


def _describe_not_recorded(output: str, error: StateError, listed_as: str) -> str:
    # ``listed_as`` is the outcome that ``pipesheet history`` shows for the run.
    return (
        f"Workbook {output!r} was written, but the run's result was not "
        f"recorded, and history lists the run as {listed_as}: {error} The next "
        "run compares the workbook with the last recorded run, so it dates the "
        "stage changes this run found to its own day."
    )


def _open_source(request: RunRequest) -> WorkbookSource:
    return open_source(
        request.pipeline,
        request.source_location,
        request.output,
        writes=not request.dry_run,
    )


def _choose_history_tab(
    store: StateStore,
    key: str,
    tab: str,
    recorded_tabs: Sequence[str],
    source: WorkbookSource,
) -> TabHistoryChoice:
    # Only a tab without runs needs the workbook's tab names. Sources read them
    # once per run, and the sync reads them anyway.
    if any(name.casefold() == tab.casefold() for name in recorded_tabs):
        return TabHistoryChoice()
    return choose_history_tab(tab, recorded_tabs, source.tab_names())


def _history_to_use(
    request: RunRequest,
    source: WorkbookSource,
    store: StateStore,
    key: str,
    history: StageHistory,
) -> StageHistory | None:
    """Return ``history``, or None when the run must leave the Stage log alone.

    A tab without stage history in ``store`` whose Stage log tab lists
    earlier stays was run with another state database, or under another
    workbook key. Such a run uses and records no stage history, as with
    ``--no-state``, and sends no digests, so the next run checks again.
    """
    if history.log_started_on is not None:
        return history
    warning = unrecorded_log_warning(
        source, request.pipeline, store, key, request.as_of
    )
    if warning is None:
        return history
    logger.warning("%s", warning)
    return None


def _run(
    request: RunRequest,
    source: WorkbookSource,
    history: StageHistory | None,
    progress: Progress | None,
    review_months: Sequence[dt.date] = (),
    packing: HistoryPacking | None = None,
) -> RunResult:
    reviews = None
    if review_months:
        # A run without stage history has no review months.
        assert history is not None
        # A dry run writes no review, into --output or elsewhere.
        output = None if request.dry_run else request.output
        reviews = review_tabs(
            source, request.pipeline, history, review_months, request.as_of, output
        )

    history_tabs = reviews
    if packing is not None and history is not None:
        history_tabs = _packing_started(packing, reviews)
    return run_sync(
        request.pipeline,
        source,
        request.as_of,
        dry_run=request.dry_run,
        progress=progress,
        history=history,
        history_tabs=history_tabs,
    )


def _packing_started(
    packing: HistoryPacking, reviews: HistoryTabs | None
) -> HistoryTabs:
    """Wrap ``reviews`` so that the run's history starts packing before they are built.

    run_sync calls ``history_tabs`` right after it has applied the history
    to the deals, the first moment the documents to store are known. Without
    reviews, the wrapper builds no tab.
    """

    def build(
        grid: SheetGrid,
        columns: ColumnMap,
        deals: Sequence[Deal],
        logged: HistoryOutcome,
    ) -> list[GeneratedTab]:
        packing.start(logged)
        if reviews is None:
            return []
        return reviews(grid, columns, deals, logged)

    return build


def _warn_unknown_recorded_stages(history: StageHistory, pipeline: Pipeline) -> None:
    warning = describe_unknown_recorded_stages(history, pipeline)
    if warning is not None:
        logger.warning("%s", warning)


def _warn_owner_entries(pipeline: Pipeline, result: RunResult) -> None:
    if pipeline.notifications is None:
        return
    from sync.notify.owner_entries import warn_owner_entries

    warn_owner_entries(result, pipeline.notifications)


def _send_digests(
    pipeline: Pipeline,
    store: StateStore,
    key: str,
    result: RunResult,
    now: dt.datetime | None,
    run_started: dt.datetime | None,
) -> DigestReport | None:
    # send_due_digests logs one INFO line with the sent and failed counts.
    if pipeline.notifications is None:
        return None
    from sync.notify.dispatch import send_due_digests
    from sync.state.digest_ledger import StateDigestLedger

    ledger = StateDigestLedger(store)
    moment = now or dt.datetime.now(dt.UTC)
    # The run is already recorded as OK, so a digest error is logged, not raised.
    try:
        report = send_due_digests(
            result, pipeline, ledger, moment, workbook_key=key, run_started=run_started
        )
    except Exception as error:
        logger.error(
            "digests workbook=%s not sent: %s: %s; retrying on the next run",
            key,
            type(error).__name__,
            error,
        )
        return None

    if report.skipped is not None:
        logger.debug("digests workbook=%s not due: %s", key, report.skipped)
    return report


def describe_digests(report: DigestReport | None) -> str:
    """Return a sentence on the digests a deferred run sent, or "" when none were due.

    It starts with a space, to follow the message of the busy workbook.
    """
    if report is None or report.skipped is not None:
        return ""
    sent = len(report.sent)
    failed = len(report.failed)
    if not sent and not failed:
        return ""
    text = f" The digests did not wait for the write: {counted(sent, 'digest')} sent"
    if failed:
        text += f", {failed} not sent (a later run of the same day retries them)"
    return text + "."


def _skipped_digests(pipeline: Pipeline, reason: str) -> DigestReport | None:
    if pipeline.notifications is None:
        return None
    from sync.notify.dispatch import DigestReport

    return DigestReport([], skipped=reason)


def _remove_stale_temporaries(
    request: RunRequest, key: str, older_than: dt.timedelta
) -> None:
    # Only Excel workbooks are written through temporary files, beside the
    # workbook (whose key is its path) or beside --output.
    if request.pipeline.source.kind is not SourceKind.EXCEL:
        return
    targets = [Path(key), *([request.output] if request.output else [])]
    for target in targets:
        try:
            remove_stale_temporaries(target, older_than)
        except OSError as error:
            logger.warning(
                "temporary files beside %s not removed: %s", target.name, error
            )


def _today(pipeline: Pipeline, now: dt.datetime) -> dt.date:
    return now.astimezone(zoneinfo.ZoneInfo(pipeline.timezone)).date()


def _check_as_of_order(
    store: StateStore,
    key: str,
    tab: str,
    as_of: dt.date,
    today: dt.date,
    time_zone: str,
) -> None:
    """Reject a recorded run for a day before the tab's latest recorded run.

    Stage changes are recorded in run order, and the stage log reads them as
    happening in that order, so a run back in time would record a change
    before ones already seen and leave the history wrong for good.

    :param today: the current day in the definition's time zone ``time_zone``.
        A latest run after it came from another time zone (a future --as-of is
        a usage error), and the message then explains how to go on.
    :raises EarlierAsOfError: naming both days and the options that fit.
    """
    latest = store.latest_as_of(key, tab=tab)
    if latest is None or as_of >= latest:
        return
    message = (
        f"Tab {tab!r} of workbook {key!r} was last run as of {latest}, so a "
        f"run as of {as_of} would record its stage changes out of order. Nothing "
        "was run. To look at an earlier day, add --dry-run (nothing is recorded) "
        "or --no-state (no history is used or kept)."
    )
    if latest > today:
        message += (
            f" The run as of {latest} is for a day after today in time zone "
            f"{time_zone!r} ({today}), as after a change of the definition's "
            "timezone to one behind the old one; 'pipesheet history' lists it. "
            f"Runs are recorded again from {latest} on by themselves, or at once "
            "with the old timezone set back. pipesheet cannot remove a recorded "
            f"run, so to record runs before {latest}, move the state database "
            "aside or pass --state with a new one; the stage history then starts "
            "empty."
        )
    raise EarlierAsOfError(message)


def _locked_error(store: StateStore, key: str) -> WorkbookLockedError:
    lock = store.lock(key)
    holder = lock.holder if lock else "another process"
    until = lock.expires_at.isoformat(timespec="seconds") if lock else "soon"
    logger.info("run skipped: workbook=%s locked by %s", key, holder)
    return WorkbookLockedError(
        f"Workbook {key!r} is being synced by {holder} (lock held until "
        f"{until}). This run was skipped. Run again after that run ends (a "
        "scheduled run retries by itself)."
    )
