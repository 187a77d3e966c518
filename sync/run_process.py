"""One scheduled run in a child process, killed when it passes its deadline.

Why a process and not a thread: Python cannot stop a thread, so a run hung in
a read of a stalled network drive would keep its workbook's lock and could
still write the workbook long after its deadline. A child process is killed
for real (SIGKILL). The workbook is then left whole, because every write
renames a complete temporary file over it (:func:`sync.atomic.write_atomically`).
The parent then reads the run from the state database. A run recorded as
ended before the kill is reported as recorded. Otherwise the parent records
the run as failed and frees the lock at once, so the next run does not wait
for the lock to expire.

The child is started with the ``spawn`` method: a fresh interpreter that
shares no threads, locks or database connections with the service. It gets
plain data (definition path, workbook, state database URL) and builds the
source and the store itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from config.errors import PipesheetError, QuotaExceededError, WorkbookBusyError
from sync.atomic import remove_temporaries_of_process
from sync.interrupts import WriteProgress, follow_writes
from sync.job import (
    LOCK_TTL,
    DeferredRunError,
    RecordedRun,
    RunRequest,
    WorkbookLockedError,
    abandon_run,
    holder_process,
    record_run,
)
from sync.log_output import ServiceFormatter, shorten_message
from sync.schedules import load_definition
from sync.sources.request_tally import REQUESTS_SENT, SharedCounter
from sync.state import keys
from sync.state.records import RunOutcome, RunRecord
from sync.state.store import StateStore

if TYPE_CHECKING:
    from sync.notify.dispatch import DigestReport
    from sync.run import RunResult

logger = logging.getLogger(__name__)

# How often the parent looks at its child's deadline and at a stop request.
WAIT_STEP_SECONDS = 0.2
# The maximum seconds a run that timed out while writing may go on.
RECORD_GRACE_LIMIT = 60.0
# Seconds of the workbook lock's lifetime left unused by that extra time.
LOCK_MARGIN_SECONDS = 10.0
# Characters of an error message carried back to the service.
SUMMARY_ERROR_LIMIT = 2000


@dataclass(frozen=True)
class RunSummary:
    """The end of one scheduled run, small enough to pass between processes.

    ``outcome`` is that of the runs table; a run that was not started because
    the service was stopping is ``skipped``. ``seconds`` is measured by the
    process that ran it. ``tab`` is the pipeline tab of the definition as the
    run loaded it, with ``workbook_key`` its workbook, and None when the
    definition was not loaded.
    """

    definition: str
    workbook_key: str
    outcome: RunOutcome
    started_at: dt.datetime
    seconds: float
    as_of: dt.date | None = None
    workbook: str | None = None
    deals: int = 0
    findings: int = 0
    api_requests: int = 0
    digests_sent: int = 0
    digests_failed: int = 0
    error: str | None = None
    tab: str | None = None


class RunControl:
    """The service's request to stop, shared by the threads that wait for runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stop_at: float | None = None

    @property
    def stopping(self) -> bool:
        """Return True once a stop was requested; no new run starts then."""
        with self._lock:
            return self._stop_at is not None

    @property
    def stop_deadline(self) -> float | None:
        """Return the :func:`time.monotonic` time at which runs are killed."""
        with self._lock:
            return self._stop_at

    def request_stop(self, grace_seconds: float) -> None:
        """Let running runs go on for ``grace_seconds`` more, then kill them.

        A second request can only bring the deadline closer.
        """
        deadline = time.monotonic() + grace_seconds
        with self._lock:
            if self._stop_at is None or deadline < self._stop_at:
                self._stop_at = deadline

    def reset(self) -> None:
        """Forget a stop request, for a service started again in this process."""
        with self._lock:
            self._stop_at = None


# One per process, because the scheduler calls a plain function.
RUN_CONTROL = RunControl()


def run_workbook_job(
    config: str,
    source: str | None,
    state: str,
    workbook_key: str,
    timeout_seconds: float,
    log_level: int = logging.INFO,
    tab: str | None = None,
    time_zone: str | None = None,
) -> RunSummary:
    """Run one definition in a child process; the scheduler's job function.

    The child is killed after ``timeout_seconds``, or at the deadline of a
    stop request, and its run is then recorded as failed. A run whose
    definition could not be loaded is recorded as failed under
    ``workbook_key`` and ``tab``, the workbook the job ran last.

    :param config: the definition file's path, or a shipped definition name.
    :param source: the workbook instead of the definition's, or None.
    :param state: the state database's path or SQLAlchemy URL.
    :param workbook_key: the workbook's key in the state database, used to
        free the lock of a killed child.
    :param log_level: the level the child logs at, to stderr.
    :param tab: the pipeline tab the job ran last; None records no run for
        a definition that could not be loaded.
    :param time_zone: the time zone of the day such a run is recorded for.
    """
    started_at = dt.datetime.now(dt.UTC)
    if RUN_CONTROL.stopping:
        return RunSummary(
            definition=config,
            workbook_key=workbook_key,
            outcome=RunOutcome.SKIPPED,
            started_at=started_at,
            seconds=0.0,
            error="the service is stopping",
        )

    context = multiprocessing.get_context("spawn")
    reader, writer = context.Pipe(duplex=False)
    # The child copies its request count here as it goes, so a child killed
    # at its deadline still reports how many requests it sent.
    requests_sent = context.Value("q", 0, lock=False)
    # The child notes here how far its write has come (WriteProgress).
    progress = context.Value("b", WriteProgress.NOT_FINAL, lock=False)
    # The child notes here the id of its run in the runs table, 0 before it
    # has one, so that the service can look the run up after killing it.
    run_id = context.Value("q", 0, lock=False)
    child = context.Process(
        target=_run_in_child,
        args=(
            config,
            source,
            state,
            log_level,
            writer,
            ChildShares(requests_sent, progress, run_id),
        ),
        name=f"pipesheet run {workbook_key}",
    )
    started = time.monotonic()
    child.start()
    writer.close()

    stopped_because = _wait_for(child, timeout_seconds, progress, workbook_key)
    summary = _receive(reader)
    reader.close()
    if summary is not None and summary.tab is None:
        # The definition failed to load in the child, so the run names no
        # workbook of its own and is reported and recorded under the job's.
        summary = dataclasses.replace(summary, workbook_key=workbook_key)
        if tab is not None:
            summary = _record_unloaded_run(summary, state, tab, time_zone or "UTC")
        return summary
    if summary is not None:
        return summary  # The child's workbook, from the definition it loaded.

    reason = stopped_because or (
        f"the run's process ended with exit code {child.exitcode} before it "
        "reported how the run ended"
    )
    sent = int(requests_sent.value)
    finished = _finished_run(state, int(run_id.value), workbook_key)
    if finished is not None:
        # The run recorded how it ended before the process was stopped, so
        # the runs table is right and only the lock may be left to free.
        _free_lock_of(child.pid, state, workbook_key, reason, sent)
        return _recorded_summary(config, finished, started_at, reason, sent)

    reason += "; " + _workbook_state(WriteProgress(progress.value))
    logger.error("run stopped workbook=%s: %s", workbook_key, reason)
    # NOTE: the first run after an edit of the definition's source locks the
    # new workbook, which the service learns of only from the run's summary.
    # Killed, that run leaves its lock to expire after the lock's lifetime.
    _free_lock_of(child.pid, state, workbook_key, reason, sent)
    return RunSummary(
        definition=config,
        workbook_key=workbook_key,
        outcome=RunOutcome.FAILED,
        started_at=started_at,
        seconds=time.monotonic() - started,
        as_of=_stopped_run_day(state, int(run_id.value), started_at, time_zone),
        api_requests=sent,
        error=reason,
    )


def _stopped_run_day(
    state: str, run_id: int, started_at: dt.datetime, time_zone: str | None
) -> dt.date | None:
    """Return the day of a run whose process was killed, for its log line.

    That is the day the runs table records, or else the job's start day in
    the time zone of the definition as the job last loaded it. None when
    neither is known.
    """
    if run_id:
        try:
            with StateStore.open(state) as store:
                found = store.run(run_id)
        except PipesheetError:
            found = None  # _free_lock_of has logged why the database failed.
        if found is not None:
            return found.as_of
    if time_zone is None:
        return None
    return started_at.astimezone(zoneinfo.ZoneInfo(time_zone)).date()


def run_definition(
    config: str,
    source: str | None,
    state: str,
    *,
    now: dt.datetime | None = None,
    on_run_started: Callable[[int], None] | None = None,
) -> RunSummary:
    """Load a definition and run it, recorded, for today in its time zone.

    Runs in the calling process; :func:`run_workbook_job` calls it in a child.
    Nothing is raised: every failure is in the summary's outcome and error.

    :param now: the current time (aware); "today" is its date in the
        definition's time zone.
    :param on_run_started: called with the run's id in the runs table once
        the run is recorded as started.
    """
    moment = now or dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    requests_before = REQUESTS_SENT.total
    summary = RunSummary(config, source or config, RunOutcome.FAILED, moment, 0.0)
    try:
        pipeline = load_definition(config, source)
        as_of = moment.astimezone(zoneinfo.ZoneInfo(pipeline.timezone)).date()
        key = keys.workbook_key(pipeline, source)
        summary = dataclasses.replace(
            summary, as_of=as_of, workbook_key=key, tab=pipeline.source.tab
        )
        logger.info("run started workbook=%s as_of=%s", key, as_of)
        with StateStore.open(state) as store:
            recorded = record_run(
                RunRequest(pipeline, as_of, source, started_at=moment),
                store,
                now=now,
                on_run_started=on_run_started,
            )
        summary = _summarise(summary, recorded)
    except WorkbookLockedError as error:
        summary = _with_error(summary, RunOutcome.SKIPPED, str(error))
    except DeferredRunError as error:
        summary = _with_error(summary, RunOutcome.DEFERRED, str(error))
        summary = _with_counts(summary, error.result)
        summary = _with_digests(summary, error.digests)
    except (WorkbookBusyError, QuotaExceededError) as error:
        summary = _with_error(summary, RunOutcome.DEFERRED, str(error))
    except PipesheetError as error:
        summary = _with_error(summary, RunOutcome.FAILED, str(error))
    except Exception as error:  # One bad run must never stop the service.
        logger.exception("run of %s failed unexpectedly", config)
        summary = _with_error(summary, RunOutcome.FAILED, repr(error))
    if summary.outcome is not RunOutcome.OK:
        # A failed run returns no result, so its requests come from the tally.
        sent = REQUESTS_SENT.total - requests_before
        summary = dataclasses.replace(summary, api_requests=sent)
    return dataclasses.replace(summary, seconds=time.perf_counter() - started)


@dataclass(frozen=True)
class ChildShares:
    """Shared values that a run's process writes and the service reads.

    ``requests_sent`` counts the run's requests, ``progress`` is how far its
    write has come (:class:`WriteProgress`), and ``run_id`` is its id in the
    runs table, 0 until the run is recorded as started.
    """

    requests_sent: SharedCounter
    progress: SharedCounter
    run_id: SharedCounter


def _run_in_child(
    config: str,
    source: str | None,
    state: str,
    log_level: int,
    pipe: Connection,
    shares: ChildShares,
) -> None:
    # The service decides when its runs stop, so the signals a terminal or
    # systemd sends to the whole process group leave the run going.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ServiceFormatter())
    logging.basicConfig(level=log_level, handlers=[handler])
    quiet_library_loggers(log_level)
    REQUESTS_SENT.share_with(shares.requests_sent)
    follow_writes(lambda reached: setattr(shares.progress, "value", reached))

    summary = run_definition(
        config,
        source,
        state,
        on_run_started=lambda run_id: setattr(shares.run_id, "value", run_id),
    )
    try:
        pipe.send(summary)
    except OSError:
        logger.warning("run of %s finished, but the service had stopped", config)
    pipe.close()


class RepeatedSchedulerWarning(logging.Filter):
    """Drops APScheduler's warnings that the service logs in its own words.

    Those are a run skipped because the previous one is still going, and a run
    missed by more than the grace time. The prefixes are APScheduler 3.11's
    message formats.
    """

    PREFIXES = (
        'Execution of job "%s" skipped: maximum number of running instances',
        'Run time of job "%s" was missed by',
    )

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            isinstance(record.msg, str) and record.msg.startswith(self.PREFIXES)
        )


REPEATED_SCHEDULER_WARNING = RepeatedSchedulerWarning()


def quiet_library_loggers(level: int) -> None:
    """Keep APScheduler's and Alembic's INFO lines out of the service's log.

    Both log several lines per run that repeat the service's own lines, so
    they show only when the service logs at DEBUG. APScheduler's warnings of
    skipped and missed runs are dropped, because the service logs each once.
    """
    library_level = logging.DEBUG if level <= logging.DEBUG else logging.WARNING
    for name in ("apscheduler", "alembic"):
        logging.getLogger(name).setLevel(library_level)
    # The scheduler's own logger, and that of the "default" executor.
    for name in ("apscheduler.scheduler", "apscheduler.executors.default"):
        logging.getLogger(name).addFilter(REPEATED_SCHEDULER_WARNING)


def _wait_for(
    child: multiprocessing.process.BaseProcess,
    timeout: float,
    progress: SharedCounter,
    workbook_key: str,
) -> str | None:
    """Wait for the child to end; kill it and return why at a deadline.

    A child that has begun the final step of its write when it times out gets
    :func:`record_grace_seconds` more, once, to finish and record the run,
    because its workbook already contains, or is about to contain, the run's
    result. A stop of the service gives no such time: the service manager
    may kill the whole service soon after its own stop timeout.
    """
    deadline = time.monotonic() + timeout
    extended = False
    while True:
        child.join(WAIT_STEP_SECONDS)
        if child.exitcode is not None:
            return None

        now = time.monotonic()
        stop_deadline = RUN_CONTROL.stop_deadline
        if stop_deadline is not None and now >= stop_deadline:
            reason = "the service was stopped before the run finished"
        elif now >= deadline:
            reason = f"timed out after {timeout:g} s (--run-timeout)"
            grace = record_grace_seconds(timeout)
            writing = progress.value != WriteProgress.NOT_FINAL
            if not extended and writing and grace > 0:
                extended = True
                deadline = now + grace
                logger.warning(
                    "run of %s %s %s; it has %g s more to finish and record the run",
                    workbook_key,
                    reason,
                    _step_at_deadline(WriteProgress(progress.value)),
                    grace,
                )
                continue
            if extended:
                reason += " and the time given to record the run after the write"
        else:
            continue

        child.kill()
        child.join()
        return reason


def record_grace_seconds(timeout: float) -> float:
    """Return the seconds a run that timed out while writing may go on.

    As long again as its timeout, but at most :data:`RECORD_GRACE_LIMIT`
    seconds, since recording takes a fraction of a run, and never so long
    that the workbook's lock, taken when the run started, could expire.
    """
    lock_left = LOCK_TTL.total_seconds() - timeout - LOCK_MARGIN_SECONDS
    return max(0.0, min(timeout, RECORD_GRACE_LIMIT, lock_left))


def _step_at_deadline(progress: WriteProgress) -> str:
    # Once the workbook is written, the run records itself and then sends the
    # day's digests, and the write progress does not tell those two apart.
    if progress is WriteProgress.COMMITTING:
        return "while it wrote the workbook"
    return "after it wrote the workbook, while it recorded the run or sent digests"


def _workbook_state(progress: WriteProgress) -> str:
    """Describe the workbook of a run stopped at ``progress``."""
    if progress is WriteProgress.NOT_FINAL:
        return "the workbook is as it was before the run"
    if progress is WriteProgress.COMMITTING:
        return "the workbook is as it was before the run, or fully written"
    return "the workbook was fully written, but the run was not recorded"


def _finished_run(state: str, run_id: int, workbook_key: str) -> RunRecord | None:
    """Return the run ``run_id`` if the runs table records how it ended.

    ``run_id`` 0 stands for a process stopped before it recorded a run. A
    database that cannot be read gives None too, and the caller then reports
    the run as stopped before it was recorded.
    """
    if run_id == 0:
        return None
    try:
        with StateStore.open(state) as store:
            found = store.run(run_id)
    except PipesheetError as error:
        logger.error(
            "run %d of %s: the state database could not be read to see whether "
            "the run was recorded: %s",
            run_id,
            workbook_key,
            error,
        )
        return None
    if found is None or found.outcome is None:
        return None
    return found


def _recorded_summary(
    config: str,
    record: RunRecord,
    started_at: dt.datetime,
    reason: str,
    api_requests: int,
) -> RunSummary:
    """Describe a run that was recorded as ended before its process was stopped.

    Any digest that the process had not sent by then was not sent, and the
    summary counts none as sent, because only the process knew.
    """
    outcome = record.outcome
    assert outcome is not None  # _finished_run returns ended runs only
    note = (
        f"the run was recorded as {outcome.value}, then its process was stopped "
        f"before it reported back ({reason}). Any digest it had not sent by then "
        "was not sent"
    )
    logger.warning("run stopped workbook=%s: %s", record.workbook_key, note)
    if record.error:
        note = f"{record.error} ({note})"
    findings = sum(
        count or 0 for count in (record.errors, record.warnings, record.infos)
    )
    seconds = record.seconds
    if seconds is None:
        seconds = (dt.datetime.now(dt.UTC) - started_at).total_seconds()
    return RunSummary(
        definition=config,
        workbook_key=record.workbook_key,
        outcome=outcome,
        started_at=started_at,
        seconds=seconds,
        as_of=record.as_of,
        deals=record.deals or 0,
        findings=findings,
        api_requests=api_requests,
        error=shorten_message(note, SUMMARY_ERROR_LIMIT),
        tab=record.tab,
    )


def _receive(reader: Connection) -> RunSummary | None:
    try:
        if reader.poll():
            received = reader.recv()
            return received if isinstance(received, RunSummary) else None
    except (EOFError, OSError):
        pass
    return None


def _record_unloaded_run(
    summary: RunSummary, state: str, tab: str, time_zone: str
) -> RunSummary:
    """Record a run whose definition did not load as failed, so history lists it.

    Returns the summary with the day it was recorded for as its ``as_of``.
    """
    zone = zoneinfo.ZoneInfo(time_zone)
    as_of = summary.started_at.astimezone(zone).date()
    try:
        with StateStore.open(state) as store:
            run_id = store.start_run(
                summary.workbook_key, tab, as_of, now=summary.started_at
            )
            store.finish_run(run_id, RunOutcome.FAILED, error=summary.error or "")
    except PipesheetError as error:
        logger.error(
            "run of %s failed and could not be recorded: %s",
            summary.workbook_key,
            error,
        )
        return summary
    return dataclasses.replace(summary, as_of=as_of)


def _free_lock_of(
    pid: int | None, state: str, workbook_key: str, reason: str, api_requests: int
) -> None:
    """Record the child's unfinished run as failed and free its lock, if it held it.

    The child's temporary files are removed first, while its lock still keeps
    other runs from writing the workbook. The next run would take them for a
    write in progress until they are older than the lock's time to live.
    """
    try:
        with StateStore.open(state) as store:
            lock = store.lock(workbook_key)
            holder = lock.holder if lock else None
            if holder and holder_process(holder) == (socket.gethostname(), pid):
                _remove_temporaries_of(pid, workbook_key)
                abandon_run(store, workbook_key, holder, reason, api_requests)
    except PipesheetError as error:
        logger.error(
            "run of %s: its lock could not be freed: %s; it expires by itself",
            workbook_key,
            error,
        )


def _remove_temporaries_of(pid: int | None, workbook_key: str) -> None:
    # An Excel workbook's key is its absolute path; a spreadsheet's key is its
    # id, which has no temporary files.
    if pid is None or not os.path.isabs(workbook_key):
        return
    try:
        remove_temporaries_of_process(Path(workbook_key), pid)
    except OSError as error:
        logger.warning(
            "run of %s: temporary files of process %d not removed: %s",
            workbook_key,
            pid,
            error,
        )


def _summarise(summary: RunSummary, recorded: RecordedRun) -> RunSummary:
    result = recorded.result
    summary = dataclasses.replace(
        summary,
        outcome=RunOutcome.OK,
        workbook=result.workbook,
        api_requests=result.requests,
    )
    return _with_digests(_with_counts(summary, result), recorded.digests)


def _with_counts(summary: RunSummary, result: RunResult) -> RunSummary:
    # A deferred run read and checked the sheet too, so it has these counts.
    return dataclasses.replace(
        summary, deals=len(result.deals), findings=len(result.findings)
    )


def _with_digests(summary: RunSummary, digests: DigestReport | None) -> RunSummary:
    return dataclasses.replace(
        summary,
        digests_sent=len(digests.sent) if digests else 0,
        digests_failed=len(digests.failed) if digests else 0,
    )


def _with_error(summary: RunSummary, outcome: RunOutcome, error: str) -> RunSummary:
    return dataclasses.replace(
        summary, outcome=outcome, error=shorten_message(error, SUMMARY_ERROR_LIMIT)
    )
