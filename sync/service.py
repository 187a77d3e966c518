"""``pipesheet serve``: run each definition on its schedule until stopped.

The scheduler is APScheduler 3's :class:`BackgroundScheduler`, with one job per
definition. Each job calls :func:`sync.run_process.run_workbook_job` with plain
data, which runs the sync in a child process under a deadline. Job defaults:

- ``max_instances=1``: a run still going when the next fire time comes makes
  the scheduler skip that fire time (logged as a warning), never run twice.
- ``coalesce=True``: fire times missed while the process was busy or asleep
  become one run.
- ``misfire_grace_time`` of :data:`MISFIRE_GRACE`: a run that starts late (a
  busy pool, a suspended machine) still runs instead of being dropped.

A scheduler that starts after a fire time has no record of it, so at start
each job whose latest fire time has no successful run since (in the state
database) runs at once. Two processes on one state database run a workbook
once, because a run takes the workbook's lock there. The other process skips
its run and logs that at INFO.

SIGTERM and SIGINT stop the service: no new run starts, running ones get
``stop_timeout`` seconds to finish and are then killed (the workbook stays
whole), and the process exits. A second signal kills running runs at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import signal
import threading
import zoneinfo
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger

from sync.health import ServiceHealth
from sync.health_http import HealthServer
from sync.run_process import RUN_CONTROL, RunSummary, run_workbook_job
from sync.schedules import (
    ScheduledDefinition,
    build_trigger,
    last_fire_time,
    longest_interval,
    shortest_interval,
)
from sync.state.errors import StateError
from sync.state.ok_runs import latest_ok_finishes, latest_ok_start
from sync.state.records import RunOutcome
from sync.state.store import StateStore

logger = logging.getLogger(__name__)

# A run may start this late and still run (see the module docstring).
MISFIRE_GRACE = dt.timedelta(hours=1)
# Runs of different workbooks that may go on at once, each in its own process.
MAX_PARALLEL_RUNS = 4
# A deferred run (the workbook was open in Excel, or Google's quota ran out)
# is retried at the next fire time. A skipped one ran in another process.
RUN_LOG_LEVELS = {
    RunOutcome.OK: logging.INFO,
    RunOutcome.SKIPPED: logging.INFO,
    RunOutcome.DEFERRED: logging.WARNING,
    RunOutcome.FAILED: logging.ERROR,
}


@dataclass(frozen=True)
class ServiceOptions:
    """The settings of ``pipesheet serve`` other than the definitions.

    ``health_port`` None serves no health endpoint; 0 lets the system pick.
    """

    state: str
    run_timeout: float
    stop_timeout: float
    health_host: str = "127.0.0.1"
    health_port: int | None = None
    log_level: int = logging.INFO


class Service:
    """Runs definitions on their schedules, or each once with :meth:`run_once`."""

    def __init__(
        self, definitions: Sequence[ScheduledDefinition], options: ServiceOptions
    ) -> None:
        self.definitions = list(definitions)
        self.options = options
        self.started_at = dt.datetime.now(dt.UTC)
        self.health = ServiceHealth(
            self.started_at, self._next_run_times, self._reported_successes
        )
        # Whether the latest read for a health report failed; see
        # _reported_successes.
        self._report_read_failed = False
        self.scheduler: BackgroundScheduler | None = None
        self._stop_requested = threading.Event()
        self._signals_received = 0

    def run_once(self) -> list[RunSummary]:
        """Run every definition once now, one after the other, and log each run."""
        RUN_CONTROL.reset()
        logger.info(
            "service running each definition once pid=%d definitions=%d",
            os.getpid(),
            len(self.definitions),
        )
        summaries = []
        with self._signals_handled():
            for definition in self.definitions:
                summary = run_workbook_job(*self._job_args(definition))
                self._log_run(summary)
                summaries.append(summary)
        return summaries

    def serve_forever(self) -> None:
        """Schedule every definition and run until SIGTERM or SIGINT.

        :raises DefinitionError: a definition's schedule is invalid.
        :raises StateError: the state database cannot be opened.
        :raises OSError: the health endpoint's address cannot be bound.
        """
        RUN_CONTROL.reset()
        # Signals are handled from the start, so a stop while the jobs are
        # added (which reads the state database) is as clean as a later one.
        with self._signals_handled():
            self.scheduler = self._build_scheduler()
            self._add_jobs(self.scheduler)
            health_server = self._start_health_server()
            try:
                self._serve_until_stopped(self.scheduler)
            finally:
                if health_server is not None:
                    health_server.stop()
        logger.info("service stopped pid=%d", os.getpid())

    def _serve_until_stopped(self, scheduler: BackgroundScheduler) -> None:
        if self._stop_requested.is_set():
            logger.info("stopped while starting: no run was started")
            return
        scheduler.start()
        self._log_start()
        # A timeout keeps the wait short, so signals are handled promptly.
        while not self._stop_requested.wait(timeout=1.0):
            pass
        self._stop(scheduler)

    def _build_scheduler(self) -> BackgroundScheduler:
        workers = max(1, min(len(self.definitions), MAX_PARALLEL_RUNS))
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=workers)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(MISFIRE_GRACE.total_seconds()),
            },
            timezone=dt.UTC,
        )
        events = EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED
        scheduler.add_listener(self._on_job_event, events | EVENT_JOB_MAX_INSTANCES)
        return scheduler

    def _add_jobs(self, scheduler: BackgroundScheduler) -> None:
        now = dt.datetime.now(dt.UTC)
        with StateStore.open(self.options.state) as store:
            for definition in self.definitions:
                key = definition.workbook_key
                last_ok = latest_ok_start(store, key, tab=definition.tab)
                self._add_job(scheduler, definition, last_ok, now)

    def _add_job(
        self,
        scheduler: BackgroundScheduler,
        definition: ScheduledDefinition,
        last_ok: dt.datetime | None,
        now: dt.datetime,
    ) -> None:
        trigger = build_trigger(definition)
        missed = _missed_fire_time(trigger, last_ok, now)
        # APScheduler reads a next_run_time of None as "paused", so it is only
        # passed to run a missed day now.
        catch_up: dict[str, Any] = {"next_run_time": now} if missed else {}
        if missed is not None:
            logger.info(
                "catching up workbook=%s: no successful run since the run due at %s",
                definition.workbook_key,
                missed.isoformat(timespec="minutes"),
            )

        scheduler.add_job(
            run_workbook_job,
            trigger,
            args=self._job_args(definition),
            id=definition.job_id,
            name=definition.name,
            **catch_up,
        )
        interval = longest_interval(trigger, now)
        self.health.watch(definition.config, definition.workbook_key, interval, last_ok)
        self._warn_if_timeout_skips_runs(definition, trigger, now)

    def _warn_if_timeout_skips_runs(
        self, definition: ScheduledDefinition, trigger: BaseTrigger, now: dt.datetime
    ) -> None:
        # A run still going at the next fire time makes the scheduler skip that
        # run (max_instances=1), so a hung run may take the runs due before its
        # timeout with it.
        gap = shortest_interval(trigger, now)
        timeout = self.options.run_timeout
        if gap is None or timeout < gap.total_seconds():
            return
        logger.warning(
            "workbook=%s: --run-timeout %g s is not shorter than the %g s between "
            "runs of cron %r, so a hung run makes the scheduler skip the runs due "
            "before it is stopped. Pass a --run-timeout below %g s to keep them.",
            definition.workbook_key,
            timeout,
            gap.total_seconds(),
            definition.cron,
            gap.total_seconds(),
        )

    def _job_args(self, definition: ScheduledDefinition) -> list[Any]:
        # Plain data only: the job builds its definition, source and store.
        return [
            definition.config,
            definition.source,
            self.options.state,
            definition.workbook_key,
            self.options.run_timeout,
            self.options.log_level,
            definition.tab,
            definition.timezone,
        ]

    def _start_health_server(self) -> HealthServer | None:
        if self.options.health_port is None:
            return None
        server = HealthServer(
            self.health, self.options.health_host, self.options.health_port
        )
        server.start()
        return server

    def _log_start(self) -> None:
        logger.info(
            "service started pid=%d definitions=%d state=%s run_timeout=%gs",
            os.getpid(),
            len(self.definitions),
            self.options.state,
            self.options.run_timeout,
        )
        next_runs = self._next_run_times()
        for definition in self.definitions:
            next_run = next_runs.get(definition.workbook_key)
            zone = zoneinfo.ZoneInfo(definition.timezone)
            local = next_run.astimezone(zone) if next_run else None
            logger.info(
                "job workbook=%s definition=%s cron=%r timezone=%s next_run=%s",
                definition.workbook_key,
                definition.config,
                definition.cron,
                definition.timezone,
                local.isoformat(timespec="minutes") if local else "none",
            )

    def _next_run_times(self) -> dict[str, dt.datetime | None]:
        scheduler = self.scheduler
        times: dict[str, dt.datetime | None] = {}
        for definition in self.definitions:
            job = scheduler.get_job(definition.job_id) if scheduler else None
            times[definition.workbook_key] = job.next_run_time if job else None
        return times

    def _recorded_successes(self) -> dict[str, dt.datetime]:
        """Return when each definition's last successful run ended, by any process."""
        tabs = {item.workbook_key: item.tab for item in self.definitions}
        try:
            with StateStore.open(self.options.state) as store:
                return latest_ok_finishes(store, tabs)
        except StateError as error:
            logger.warning(
                "health: successful runs of other services could not be read, so "
                "the report counts this service's runs only: %s",
                error,
            )
            return {}

    def _reported_successes(self) -> dict[str, dt.datetime]:
        """Return what :meth:`_recorded_successes` does, for a health request.

        The database is opened read-only, and a failure is logged once until
        a read succeeds again, because probes ask every few seconds.
        """
        tabs = {item.workbook_key: item.tab for item in self.definitions}
        try:
            with StateStore.open_for_reading(self.options.state) as store:
                found = latest_ok_finishes(store, tabs)
        except StateError as error:
            if not self._report_read_failed:
                logger.warning(
                    "health: successful runs of other services could not be "
                    "read for a report, so it shows those read before (logged "
                    "once until a read succeeds): %s",
                    error,
                )
            self._report_read_failed = True
            return {}
        self._report_read_failed = False
        return found

    def _on_job_event(self, event: JobEvent) -> None:
        # Called in the thread that ran the job, or in the scheduler's thread.
        if event.code == EVENT_JOB_EXECUTED and isinstance(event.retval, RunSummary):
            self._log_run(event.retval)
        elif event.code == EVENT_JOB_ERROR:
            logger.error(
                "job %s failed: %s; the next fire time runs it again",
                event.job_id,
                getattr(event, "exception", None),
            )
        elif event.code == EVENT_JOB_MISSED:
            logger.warning(
                "job %s missed its run at %s by more than %s; it runs at the next "
                "fire time",
                event.job_id,
                event.scheduled_run_time,
                MISFIRE_GRACE,
            )
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            logger.warning(
                "job %s: the previous run is still going, so the run due now is "
                "skipped",
                event.job_id,
            )
            for definition in self.definitions:
                if definition.job_id == event.job_id:
                    self.health.count_skipped_fire(definition.workbook_key)

    def _log_run(self, summary: RunSummary) -> None:
        summary = self._follow_workbook(summary)
        self.health.record(summary)
        if summary.outcome is not RunOutcome.OK:
            # Another service on the same state database may have run the
            # workbook; its success keeps the workbook fresh in /healthz.
            self.health.add_recorded_successes(self._recorded_successes())
        logger.log(
            RUN_LOG_LEVELS[summary.outcome],
            "run %s",
            format_fields(_run_fields(summary)),
        )

    def _follow_workbook(self, summary: RunSummary) -> RunSummary:
        """Take the workbook and tab of the run's definition as its job's own.

        Each run loads its definition again, so an edit of its source (path,
        spreadsheet id or tab) takes effect without a restart. The job then
        reports, locks and catches up under the workbook that its runs use.
        A run that did not load its definition is reported under the job's.
        """
        configs = [item.config for item in self.definitions]
        if summary.definition not in configs:
            return summary
        index = configs.index(summary.definition)
        definition = self.definitions[index]
        if summary.tab is None:
            return dataclasses.replace(summary, workbook_key=definition.workbook_key)

        current = (definition.workbook_key, definition.tab)
        if (summary.workbook_key, summary.tab) == current:
            return summary
        others = self.definitions[:index] + self.definitions[index + 1 :]
        if summary.workbook_key in {item.workbook_key for item in others}:
            logger.warning(
                "definition=%s now syncs workbook=%s, which another definition of "
                "this service syncs too; its runs go on being reported as "
                "workbook=%s. Give each definition its own workbook.",
                definition.config,
                summary.workbook_key,
                definition.workbook_key,
            )
            return dataclasses.replace(summary, workbook_key=definition.workbook_key)

        self._move_job(index, summary.workbook_key, summary.tab)
        return summary

    def _move_job(self, index: int, workbook_key: str, tab: str) -> None:
        before = self.definitions[index]
        moved = dataclasses.replace(before, workbook_key=workbook_key, tab=tab)
        self.definitions[index] = moved
        self.health.move(before.workbook_key, workbook_key)
        # A child killed at its deadline has the lock of the key in its job's
        # args freed, so the args follow the workbook too.
        if self.scheduler is not None and self.scheduler.get_job(moved.job_id):
            self.scheduler.modify_job(moved.job_id, args=self._job_args(moved))
        logger.info(
            "definition=%s now syncs workbook=%s tab=%r, before workbook=%s tab=%r",
            moved.config,
            workbook_key,
            tab,
            before.workbook_key,
            before.tab,
        )

    @contextmanager
    def _signals_handled(self) -> Iterator[None]:
        """Handle SIGTERM and SIGINT in the block, then restore the old handlers."""
        if threading.current_thread() is not threading.main_thread():
            yield  # Only the main thread may set handlers.
            return
        signals = (signal.SIGTERM, signal.SIGINT)
        previous = {
            number: signal.signal(number, self._on_signal) for number in signals
        }
        try:
            yield
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)

    def _on_signal(self, signal_number: int, _frame: FrameType | None) -> None:
        self._signals_received += 1
        name = signal.Signals(signal_number).name
        if self._signals_received == 1:
            logger.info(
                "%s received: stopping; running runs get %g s to finish "
                "(send it again to stop them now)",
                name,
                self.options.stop_timeout,
            )
            RUN_CONTROL.request_stop(self.options.stop_timeout)
        else:
            logger.warning("%s received again: stopping running runs now", name)
            RUN_CONTROL.request_stop(0)
        self._stop_requested.set()

    def _stop(self, scheduler: BackgroundScheduler) -> None:
        RUN_CONTROL.request_stop(self.options.stop_timeout)
        scheduler.pause()
        # Waits for the job threads, which end by the stop deadline at most.
        scheduler.shutdown(wait=True)


def format_fields(fields: dict[str, object]) -> str:
    """Format a log line's fields as ``key=value``, quoting values with spaces.

    Before: outcome ok, error ``no tab "Deals"``. After:
    ``outcome=ok error="no tab \\"Deals\\""``. An empty or None value is ``""``.
    """
    parts = []
    for key, value in fields.items():
        text = "" if value is None else str(value)
        if not text or any(character in text for character in ' "=\n\t'):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
            text = text.replace("\n", "\\n").replace("\t", "\\t")
        parts.append(f"{key}={text}")
    return " ".join(parts)


def _run_fields(summary: RunSummary) -> dict[str, object]:
    fields: dict[str, object] = {
        "workbook": summary.workbook_key,
        "outcome": summary.outcome.value,
        "as_of": summary.as_of,
        "deals": summary.deals,
        "findings": summary.findings,
        "api_requests": summary.api_requests,
        "digests_sent": summary.digests_sent,
        "digests_failed": summary.digests_failed,
        "seconds": f"{summary.seconds:.2f}",
        "definition": summary.definition,
    }
    if summary.error:
        # Whole, because a definition's problems come as a list. The run's
        # process cut a very long message at a word boundary.
        fields["error"] = summary.error
    return fields


def _missed_fire_time(
    trigger: Any, last_ok: dt.datetime | None, now: dt.datetime
) -> dt.datetime | None:
    """Return the latest fire time before ``now`` that no successful run followed."""
    latest = last_fire_time(trigger, now)
    if latest is None or (last_ok is not None and last_ok >= latest):
        return None
    return latest
