"""What ``pipesheet serve`` reports about itself: health and run metrics.

:class:`ServiceHealth` collects each run's summary. It returns the bodies of
``/healthz`` (JSON, status 200 or 503) and ``/metrics`` (Prometheus text
exposition format 0.0.4). The format is written here, because six metric
families need no client library.

A workbook is stale when its last successful run (or the service's start, if
it has none yet) is older than twice its schedule's longest interval between
two runs. ``/healthz`` then returns 503. The last successful run is the latest
of this service's own and of those the service passes to
:meth:`ServiceHealth.add_recorded_successes`: the runs recorded in the state
database by any service that shares it. Without them, a service whose runs are
all skipped because another service holds the workbook's lock would report the
workbook stale while it is synced on time. A request reads them again when
the last read is :data:`RECORDED_SUCCESSES_MAX_AGE` old. The read runs in a
thread of its own, and the request waits for it at most
:data:`RECORDED_SUCCESSES_WAIT`, so a locked state database cannot hold
``/healthz`` longer. The request then shows what was read before.

A workbook's digests are failing when the latest of its runs that sent or
tried to send a digest had a digest fail. ``/healthz`` then reports the status
``digests_failing`` with HTTP 200, not 503: the sync is fine, and restarting
the service, as a probe on 503 may do, does not mend a channel.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sync.run_process import RunSummary
from sync.state.records import RunOutcome

# How many of a schedule's intervals may pass without a successful run.
STALE_AFTER_INTERVALS = 2
# The maximum age in seconds of the successes read from the state database
# when a request comes, and the maximum wait of a request for a new read.
RECORDED_SUCCESSES_MAX_AGE = 5.0
RECORDED_SUCCESSES_WAIT = 1.0

NextRunTimes = Callable[[], Mapping[str, dt.datetime | None]]
RecordedSuccesses = Callable[[], Mapping[str, dt.datetime]]


@dataclass
class WorkbookHealth:
    """The service's record of one scheduled workbook."""

    definition: str
    workbook_key: str
    interval: dt.timedelta
    last_run_at: dt.datetime | None = None
    last_outcome: RunOutcome | None = None
    last_ok_at: dt.datetime | None = None
    # The error of the latest run, None when it succeeded.
    last_error: str | None = None
    # This service's latest run that sent or tried to send a digest: its end and
    # counts. The state database records no failed digests, so a restart clears them.
    last_digests_at: dt.datetime | None = None
    last_digests_sent: int = 0
    last_digests_failed: int = 0


@dataclass
class WorkbookMetrics:
    """Counters of one workbook's runs since the service started."""

    runs: dict[RunOutcome, int]
    duration_sum: float = 0.0
    duration_count: int = 0
    rows: int | None = None
    api_requests: int = 0
    digests_sent: int = 0
    digests_failed: int = 0


class ServiceHealth:
    """The health and metrics of a running service, safe to use from any thread.

    :param started_at: when the service started (aware).
    :param next_run_times: returns the next run time by workbook key, read
        from the scheduler when a report is made.
    :param recorded_successes: returns when each workbook's latest successful
        run finished, by any process, read from the state database when a
        report is made (see the module's docstring); None reads nothing.
    """

    def __init__(
        self,
        started_at: dt.datetime,
        next_run_times: NextRunTimes,
        recorded_successes: RecordedSuccesses | None = None,
    ) -> None:
        self.started_at = started_at
        self.next_run_times = next_run_times
        self.recorded_successes = recorded_successes
        self._lock = threading.Lock()
        self._workbooks: dict[str, WorkbookHealth] = {}
        self._metrics: dict[str, WorkbookMetrics] = {}
        self._read_at: float | None = None
        self._reader: threading.Thread | None = None

    def watch(
        self,
        definition: str,
        workbook_key: str,
        interval: dt.timedelta,
        last_ok_at: dt.datetime | None,
    ) -> None:
        """Start reporting a workbook, with its last success from the state database."""
        with self._lock:
            self._workbooks[workbook_key] = WorkbookHealth(
                definition, workbook_key, interval, last_ok_at=last_ok_at
            )
            self._metrics[workbook_key] = WorkbookMetrics(
                runs=dict.fromkeys(RunOutcome, 0)
            )

    def move(self, old_key: str, new_key: str) -> None:
        """Report a watched workbook's entry and counters under ``new_key``.

        A definition edited while the service runs may name another workbook;
        its job's history goes with it. A key not watched is ignored.
        """
        with self._lock:
            health = self._workbooks.pop(old_key, None)
            metrics = self._metrics.pop(old_key, None)
            if health is None or metrics is None:
                return
            health.workbook_key = new_key
            self._workbooks[new_key] = health
            self._metrics[new_key] = metrics

    def record(self, summary: RunSummary) -> None:
        """Count one finished run; a workbook not watched is ignored."""
        finished_at = summary.started_at + dt.timedelta(seconds=summary.seconds)
        with self._lock:
            health = self._workbooks.get(summary.workbook_key)
            metrics = self._metrics.get(summary.workbook_key)
            if health is None or metrics is None:
                return
            health.last_run_at = finished_at
            health.last_outcome = summary.outcome
            health.last_error = summary.error or None
            if summary.outcome is RunOutcome.OK:
                health.last_ok_at = finished_at
                metrics.rows = summary.deals
            metrics.runs[summary.outcome] += 1
            metrics.duration_sum += summary.seconds
            metrics.duration_count += 1
            metrics.api_requests += summary.api_requests
            if summary.digests_sent or summary.digests_failed:
                health.last_digests_at = finished_at
                health.last_digests_sent = summary.digests_sent
                health.last_digests_failed = summary.digests_failed
            metrics.digests_sent += summary.digests_sent
            metrics.digests_failed += summary.digests_failed

    def count_skipped_fire(self, workbook_key: str) -> None:
        """Count a scheduled run left out because the workbook's previous run still ran.

        It is counted as a skipped run. No run ended, so the workbook's last
        run and outcome stay as they were.
        """
        with self._lock:
            metrics = self._metrics.get(workbook_key)
            if metrics is not None:
                metrics.runs[RunOutcome.SKIPPED] += 1

    def healthz(self, now: dt.datetime) -> tuple[int, dict[str, Any]]:
        """Return the HTTP status (200 or 503) and the JSON body of ``/healthz``.

        Body: ``status`` ("ok", "digests_failing" or "stale", which wins),
        ``pid``, ``started_at``, the earliest ``next_run_at``, and per workbook
        key its definition, last run, last outcome and error, last success,
        next run, whether it is stale, and the counts of its latest run with
        digests. A stale workbook whose last run was deferred has a ``hint``
        on what to do instead of restarting the service.
        """
        self.read_recorded_successes()
        next_runs = self.next_run_times()
        with self._lock:
            workbooks = {
                key: self._workbook_json(health, next_runs.get(key), now)
                for key, health in sorted(self._workbooks.items())
            }
        stale = any(entry["stale"] for entry in workbooks.values())
        failing = any(entry["digests_failing"] for entry in workbooks.values())
        status = "ok"
        if failing:
            status = "digests_failing"
        if stale:
            status = "stale"

        upcoming = [when for when in next_runs.values() if when is not None]
        body = {
            "status": status,
            "pid": os.getpid(),
            "started_at": _iso(self.started_at),
            "next_run_at": _iso(min(upcoming)) if upcoming else None,
            "workbooks": workbooks,
        }
        return (503 if stale else 200), body

    def metrics_text(self) -> str:
        """Return ``/metrics`` in the Prometheus text exposition format 0.0.4."""
        self.read_recorded_successes()
        with self._lock:
            metrics = sorted(self._metrics.items())
            last_ok = {key: h.last_ok_at for key, h in self._workbooks.items()}
        lines: list[str] = []
        lines += _family(
            "pipesheet_runs_total",
            "counter",
            "Runs finished or skipped since the service started, by workbook and "
            "outcome.",
            (
                (f'workbook="{_label(key)}",outcome="{outcome.value}"', count)
                for key, entry in metrics
                for outcome, count in entry.runs.items()
            ),
        )
        lines += _family(
            "pipesheet_digests_total",
            "counter",
            "Digests sent or failed since the service started, by workbook and status.",
            (
                (f'workbook="{_label(key)}",status="{status}"', count)
                for key, entry in metrics
                for status, count in (
                    ("sent", entry.digests_sent),
                    ("failed", entry.digests_failed),
                )
            ),
        )
        lines += _duration_family(metrics)
        lines += _family(
            "pipesheet_rows",
            "gauge",
            "Deals (rows) read by the latest successful run, by workbook.",
            (
                (f'workbook="{_label(k)}"', e.rows)
                for k, e in metrics
                if e.rows is not None
            ),
        )
        lines += _family(
            "pipesheet_api_requests_total",
            "counter",
            "Requests to the spreadsheet API (0 for Excel files), by workbook.",
            ((f'workbook="{_label(k)}"', e.api_requests) for k, e in metrics),
        )
        lines += _family(
            "pipesheet_last_success_timestamp_seconds",
            "gauge",
            "Unix time of the latest successful run, by workbook.",
            (
                (f'workbook="{_label(key)}"', when.timestamp())
                for key, when in sorted(last_ok.items())
                if when is not None
            ),
        )
        return "\n".join(lines) + "\n"

    def add_recorded_successes(self, recorded: Mapping[str, dt.datetime]) -> None:
        """Take when each workbook's latest successful run finished, by any process.

        A workbook keeps this service's own success when that is later.
        """
        with self._lock:
            for key, health in self._workbooks.items():
                when = recorded.get(key)
                if when is not None and (
                    health.last_ok_at is None or when > health.last_ok_at
                ):
                    health.last_ok_at = when

    def read_recorded_successes(self) -> None:
        """Read the successes recorded in the state database, if the last read is old.

        Waits for the read at most :data:`RECORDED_SUCCESSES_WAIT` seconds; a
        read still going then updates the report when it ends.
        """
        if self.recorded_successes is None:
            return
        with self._lock:
            now = time.monotonic()
            fresh = (
                self._read_at is not None
                and now - self._read_at < RECORDED_SUCCESSES_MAX_AGE
            )
            if fresh or (self._reader is not None and self._reader.is_alive()):
                return
            self._read_at = now
            self._reader = threading.Thread(
                target=self._add_read_successes,
                name="pipesheet health read",
                daemon=True,
            )
            reader = self._reader
        reader.start()
        reader.join(RECORDED_SUCCESSES_WAIT)

    def _add_read_successes(self) -> None:
        assert self.recorded_successes is not None
        self.add_recorded_successes(self.recorded_successes())

    def _workbook_json(
        self, health: WorkbookHealth, next_run: dt.datetime | None, now: dt.datetime
    ) -> dict[str, Any]:
        reference = health.last_ok_at or self.started_at
        max_age = STALE_AFTER_INTERVALS * health.interval
        stale = now - reference > max_age
        return {
            "definition": health.definition,
            "last_run_at": _iso(health.last_run_at),
            "last_outcome": health.last_outcome.value if health.last_outcome else None,
            "last_ok_at": _iso(health.last_ok_at),
            "next_run_at": _iso(next_run),
            "max_age_seconds": max_age.total_seconds(),
            "stale": stale,
            "last_error": health.last_error,
            "hint": _stale_hint(health) if stale else None,
            "last_digests_at": _iso(health.last_digests_at),
            "last_digests_sent": health.last_digests_sent,
            "last_digests_failed": health.last_digests_failed,
            "digests_failing": health.last_digests_failed > 0,
        }


def _stale_hint(health: WorkbookHealth) -> str | None:
    """Say why restarting the service does not mend a workbook whose runs wait.

    A deferred run waits for something outside the service, such as a lock
    file of Excel or LibreOffice that a crash left behind, so the next runs
    stay deferred after a restart too.
    """
    if health.last_outcome is not RunOutcome.DEFERRED:
        return None
    return (
        "The runs are deferred, and a restart of the service does not change "
        "that: they wait until the cause in last_error is gone. For a workbook "
        "open in Excel or LibreOffice, close it. If nobody has it open, delete "
        "the lock file that last_error names, and the next scheduled run syncs "
        "the workbook."
    )


def _duration_family(metrics: list[tuple[str, WorkbookMetrics]]) -> list[str]:
    lines = [
        "# HELP pipesheet_run_duration_seconds Duration of runs, by workbook.",
        "# TYPE pipesheet_run_duration_seconds summary",
    ]
    for key, entry in metrics:
        label = f'workbook="{_label(key)}"'
        lines.append(
            f"pipesheet_run_duration_seconds_sum{{{label}}} "
            f"{_number(entry.duration_sum)}"
        )
        lines.append(
            f"pipesheet_run_duration_seconds_count{{{label}}} {entry.duration_count}"
        )
    return lines


def _family(
    name: str, kind: str, help_text: str, samples: Iterable[tuple[str, float]]
) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    lines.extend(f"{name}{{{labels}}} {_number(value)}" for labels, value in samples)
    return lines


def _label(value: str) -> str:
    # The exposition format escapes backslash, double quote and line feed.
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds") if moment else None
