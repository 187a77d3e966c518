"""A recorded run: the workbook's lock, its stage history and the runs table.

This is what ``pipesheet run`` and the scheduler call. It wraps
:func:`sync.run.run_sync` with the state database:

1. take the workbook's lock (another process holding it skips this run),
2. record the run's start and load the last snapshot and the stage log,
3. run the sync, which finds transitions against that snapshot,
4. store the new snapshot and transitions, then the run's outcome,
5. release the lock, whatever happened.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from config.errors import PipesheetError, WorkbookBusyError
from config.models import Pipeline
from rules.stage_history import StageHistory
from sync.run import Progress, RunResult, run_sync
from sync.sources.registry import open_source
from sync.state.figures import run_figures
from sync.state.keys import workbook_key
from sync.state.locks import new_lock_holder
from sync.state.records import RunOutcome
from sync.state.store import StateStore

logger = logging.getLogger(__name__)

# How long a run may hold its workbook's lock. A process that dies holding it
# blocks the workbook for at most this long; a run must finish well within it.
LOCK_TTL = dt.timedelta(minutes=30)


class WorkbookLockedError(WorkbookBusyError):
    """Another pipesheet process is running on the same workbook."""


@dataclass(frozen=True)
class RunRequest:
    """What to run: a definition, its workbook and the day to check against."""

    pipeline: Pipeline
    as_of: dt.date
    source_location: str | None = None
    output: Path | None = None
    dry_run: bool = False


def run_recorded(
    request: RunRequest,
    store: StateStore,
    *,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> RunResult:
    """Run one sync under the workbook's lock and record it in ``store``.

    A dry run reads the stage history but records nothing and takes no lock.

    :raises WorkbookLockedError: another process holds the workbook's lock.
    :raises PipesheetError: the run could not be done; it is recorded as failed
        (or deferred, when the workbook was busy).
    """
    key = workbook_key(request.pipeline, request.source_location)
    if request.dry_run:
        return _run(request, load_history(store, key), progress)

    holder = new_lock_holder()
    started = now or dt.datetime.now(dt.UTC)
    if not store.acquire_lock(key, holder, LOCK_TTL, started):
        raise _locked_error(store, key)
    try:
        return _run_and_record(request, store, key, progress)
    finally:
        store.release_lock(key, holder)


def load_history(store: StateStore, key: str) -> StageHistory:
    """Return what the state database remembers of the workbook's earlier runs."""
    return StageHistory(
        previous=store.latest_snapshot(key),
        transitions=store.transitions(key),
        log_started_on=store.log_started_on(key),
    )


def _run_and_record(
    request: RunRequest, store: StateStore, key: str, progress: Progress | None
) -> RunResult:
    run_id = store.start_run(key, request.pipeline.source.tab, request.as_of)
    try:
        result = _run(request, load_history(store, key), progress)
    except WorkbookBusyError as error:
        store.finish_run(run_id, RunOutcome.DEFERRED, error=str(error))
        raise
    except PipesheetError as error:
        store.finish_run(run_id, RunOutcome.FAILED, error=str(error))
        raise
    except Exception as error:
        store.finish_run(run_id, RunOutcome.FAILED, error=repr(error))
        raise

    if result.history is not None:
        store.save_snapshot(run_id, result.history.snapshots)
        store.record_transitions(key, run_id, result.history.new_transitions)
    store.finish_run(run_id, RunOutcome.OK, **run_figures(result))
    return result


def _run(
    request: RunRequest, history: StageHistory, progress: Progress | None
) -> RunResult:
    source = open_source(request.pipeline, request.source_location, request.output)
    return run_sync(
        request.pipeline,
        source,
        request.as_of,
        dry_run=request.dry_run,
        progress=progress,
        history=history,
    )


def _locked_error(store: StateStore, key: str) -> WorkbookLockedError:
    lock = store.lock(key)
    holder = lock.holder if lock else "another process"
    until = lock.expires_at.isoformat(timespec="seconds") if lock else "soon"
    logger.warning("run skipped: workbook=%s locked by %s", key, holder)
    return WorkbookLockedError(
        f"Workbook {key!r} is being synced by {holder} (lock held until "
        f"{until}). This run was skipped; the next run will try again."
    )
