"""The run-state store: runs, deal snapshots, transitions and workbook locks.

One :class:`StateStore` wraps one database. Any number of processes may open
the same database; each method is one short transaction.
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import shutil
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from types import TracebackType
from typing import Any, Unpack

import sqlalchemy as sa
from sqlalchemy.engine import URL

from config.file_kinds import file_kind
from rules.history import DealSnapshot, StayEnd, Transition
from rules.transitions import ROW_INDEX, SEEN_ON_INDEX
from sync.sources.file_access import running_user
from sync.state import locks as workbook_locks
from sync.state.engine import create_state_engine, state_url
from sync.state.errors import (
    EmptyStateError,
    RunNotFoundError,
    StateError,
    StateNotFoundError,
)
from sync.state.failures import damaged_error, failure_advice, is_damaged
from sync.state.locks import WorkbookLock
from sync.state.packing import (
    PackedHistory,
    SharedTexts,
    pack_history,
    pack_snapshot,
    pack_transitions,
    unpack_snapshot_with_starts,
    unpack_transitions_with_starts,
)
from sync.state.read_only import create_read_only_engine
from sync.state.records import RunFigures, RunOutcome, RunRecord
from sync.state.schema import (
    HEAD_REVISION,
    ForeignTablesError,
    UnknownRevisionError,
    check_readable_revisions,
    upgrade_schema,
)
from sync.state.sqlite_contents import check_sqlite_contents
from sync.state.tables import as_utc, run_snapshots, run_transitions, runs
from sync.state.upgrades import (
    copy_for_reading,
    describe_revisions,
    keep_and_announce_upgrade,
)

logger = logging.getLogger(__name__)

FIGURE_NAMES = frozenset(RunFigures.__annotations__)


class StateStore:
    """Run history, snapshots, transitions and locks in one database."""

    def __init__(self, engine: sa.Engine) -> None:
        """Wrap an engine whose schema is up to date; prefer :meth:`open`."""
        self.engine = engine
        # The state database that was requested but does not exist, when this
        # store is an empty stand-in for it; messages name that path instead.
        self.stands_in_for: str | None = None
        # The database that this store reads a temporary upgraded copy of,
        # whose folder close() deletes; see open_for_reading.
        self.copy_of: str | None = None

    @classmethod
    def open(cls, url_or_path: str, *, create: bool = True) -> StateStore:
        """Open a state database and bring its schema up to date.

        :param url_or_path: an SQLite file path, or any SQLAlchemy URL such as
            ``postgresql+psycopg://user@host/pipesheet``.
        :param create: create a missing SQLite file; when False, a missing
            file raises :class:`StateNotFoundError` instead.
        :raises StateError: the database cannot be opened or upgraded.
        """
        url = _parse_url(url_or_path)
        _check_sqlite_file(url, create=create)
        _check_contents(url, writing=True)
        return cls._open_upgraded(url, keep_and_announce_upgrade)

    @classmethod
    def _open_upgraded(
        cls,
        url: URL,
        on_upgrade: Callable[[sa.Connection, list[str]], None] | None,
    ) -> StateStore:
        """Open the database at ``url`` and bring its schema up to date."""
        engine = _create_engine(url)
        try:
            with engine.connect() as connection:
                upgrade_schema(connection, on_upgrade)
        except (UnknownRevisionError, ForeignTablesError) as error:
            engine.dispose()
            raise schema_error(_show(url), error) from error
        except StateError:
            engine.dispose()
            raise
        except sa.exc.SQLAlchemyError as error:
            engine.dispose()
            if is_damaged(error):
                raise damaged_error(_show(url), _first_line(error)) from error
            advice = failure_advice(
                error,
                "Check --state or PIPESHEET_STATE and that the database is "
                "reachable and writable.",
            )
            raise StateError(
                f"State database {_show(url)!r} could not be opened or upgraded: "
                f"{_first_line(error)}. {advice}"
            ) from error

        logger.debug("state database %s open", _show(url))
        return cls(engine)

    @classmethod
    def open_for_reading(cls, url_or_path: str) -> StateStore:
        """Open an existing state database for a command that records nothing.

        The database is never changed. An SQLite file with the current schema
        is opened read-only, so it may sit on a read-only file system. An
        SQLite file with an older schema is copied to a temporary folder,
        whose copy is upgraded and read instead, with a warning.

        :raises StateNotFoundError: no SQLite file exists at the path.
        :raises StateError: the database cannot be opened or read, a newer
            pipesheet wrote it, or it is at a URL and has an older schema.
        """
        url = _parse_url(url_or_path)
        engine, recorded = _open_checked(url)
        if recorded == [HEAD_REVISION]:
            logger.debug("state database %s open for reading", _show(url))
            return cls(engine)
        if not _is_sqlite_file(url):
            engine.dispose()
            raise StateError(
                f"State database {_show(url)!r} has "
                f"{describe_revisions(recorded)}, older than this pipesheet's "
                f"{HEAD_REVISION!r}, and this command does not change it. Back "
                "the database up, then run 'pipesheet run CONFIG' without "
                "--dry-run once, which upgrades it; pipesheet versions that "
                f"predate revision {HEAD_REVISION!r} cannot open it afterwards."
            )
        return cls._open_upgraded_copy(engine, url, recorded)

    @staticmethod
    def read_revisions(url_or_path: str) -> list[str] | None:
        """Return the schema revisions recorded in a database, changing nothing.

        Returns None when no SQLite file exists at the path, and no revision
        for an empty database.

        :raises StateError: the database cannot be read, a newer pipesheet
            wrote it, or it is not a pipesheet database. The message is the
            one a run gives.
        """
        url = _parse_url(url_or_path)
        try:
            engine, recorded = _open_checked(url)
        except StateNotFoundError:
            return None
        except EmptyStateError:
            return []
        engine.dispose()
        return recorded

    @classmethod
    def _open_upgraded_copy(
        cls, engine: sa.Engine, url: URL, recorded: list[str]
    ) -> StateStore:
        """Read an upgraded temporary copy of the SQLite file ``engine`` reads."""
        original = _show(url)
        try:
            copy = copy_for_reading(engine, Path(original))
        finally:
            engine.dispose()
        try:
            store = cls._open_upgraded(_parse_url(str(copy)), None)
        except BaseException:
            shutil.rmtree(copy.parent, ignore_errors=True)
            raise
        store.copy_of = original
        logger.warning(
            "State database %r has %s, older than this pipesheet's %r, so this "
            "command read an upgraded copy and left the database unchanged. The "
            "next run without --dry-run upgrades it and keeps a copy of the old "
            "file.",
            original,
            describe_revisions(recorded),
            HEAD_REVISION,
        )
        return store

    @property
    def url(self) -> str:
        """Return the database URL with any password hidden.

        For a store that reads a temporary copy, this is the database it copied.
        """
        return self.copy_of or _show(self.engine.url)

    def close(self) -> None:
        """Close every pooled connection; the store is unusable afterwards."""
        self.engine.dispose()
        if self.copy_of is not None and self.engine.url.database:
            shutil.rmtree(Path(self.engine.url.database).parent, ignore_errors=True)

    def __enter__(self) -> StateStore:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()

    def start_run(
        self,
        workbook_key: str,
        tab: str,
        as_of: dt.date,
        *,
        now: dt.datetime | None = None,
    ) -> int:
        """Record the start of a run and return its id.

        :param now: the start time (aware); default the current time.
        :raises ValueError: ``now`` is naive.
        """
        started_at = as_utc(now) if now else dt.datetime.now(dt.UTC)
        insert = (
            sa.insert(runs)
            .values(
                workbook_key=workbook_key, tab=tab, as_of=as_of, started_at=started_at
            )
            .returning(runs.c.id)
        )
        with self._begin() as connection:
            run_id: int = connection.execute(insert).scalar_one()
        return run_id

    def finish_run(
        self,
        run_id: int,
        outcome: RunOutcome | str,
        *,
        now: dt.datetime | None = None,
        **figures: Unpack[RunFigures],
    ) -> None:
        """Record how run ``run_id`` ended and its figures.

        :param now: the finish time (aware); default the current time.
        :raises ValueError: ``outcome`` is not a :class:`RunOutcome` value, or
            ``now`` is naive.
        :raises TypeError: a figure is not a :class:`RunFigures` key.
        :raises RunNotFoundError: no run has that id.
        """
        values = _finish_values(outcome, now, figures)
        with self._begin() as connection:
            self._finish(connection, run_id, values)

    def finish_ok_run(
        self,
        workbook_key: str,
        run_id: int,
        snapshot: Sequence[DealSnapshot] | None,
        found: Sequence[Transition],
        *,
        stay_starts: Mapping[str, dt.date] | None = None,
        ended_stay_starts: Mapping[str, dt.date] | None = None,
        now: dt.datetime | None = None,
        **figures: Unpack[RunFigures],
    ) -> None:
        """Store a successful run's snapshot and transitions and record it ``ok``.

        This is :meth:`save_snapshot` (unless ``snapshot`` is None),
        :meth:`record_transitions` and :meth:`finish_run` in one transaction,
        so one commit instead of three, and no snapshot of a run that is not
        recorded as ``ok``. ``stay_starts`` go with the snapshot and
        ``ended_stay_starts`` with the transitions: see
        :func:`sync.state.packing.pack_snapshot` and
        :func:`sync.state.packing.pack_transitions`.

        :raises TypeError: a figure is not a :class:`RunFigures` key.
        :raises RunNotFoundError: no run has that id.
        :raises ValueError: the run belongs to another workbook, or ``now`` is
            naive.
        """
        packed = pack_history(snapshot, found, stay_starts, ended_stay_starts)
        self.finish_packed_ok_run(workbook_key, run_id, packed, now=now, **figures)

    def finish_packed_ok_run(
        self,
        workbook_key: str,
        run_id: int,
        packed: PackedHistory,
        *,
        now: dt.datetime | None = None,
        **figures: Unpack[RunFigures],
    ) -> None:
        """Do :meth:`finish_ok_run` with the documents packed already.

        ``packed`` is what :func:`sync.state.packing.pack_history` returns.

        :raises TypeError: a figure is not a :class:`RunFigures` key.
        :raises RunNotFoundError: no run has that id.
        :raises ValueError: the run belongs to another workbook, or ``now`` is
            naive.
        """
        values = _finish_values(RunOutcome.OK, now, figures)
        with self._begin() as connection:
            _check_run_workbook(connection, run_id, workbook_key, self.url)
            if packed.snapshot is not None:
                self._save_snapshot(connection, run_id, packed.snapshot)
            if packed.transitions is not None:
                _insert_transitions(connection, run_id, packed.transitions)
            self._finish(connection, run_id, values)

    def _finish(
        self, connection: sa.Connection, run_id: int, values: dict[str, Any]
    ) -> None:
        updated = connection.execute(
            sa.update(runs).where(runs.c.id == run_id).values(values)
        ).rowcount
        if updated == 0:
            raise _run_not_found(run_id, self.url)

    def runs(
        self,
        workbook_key: str | None = None,
        limit: int = 20,
        *,
        tab: str | None = None,
    ) -> list[RunRecord]:
        """Return the latest ``limit`` runs, newest first, of one or all workbooks.

        :param tab: keep only the runs of this pipeline tab of ``workbook_key``,
            matched ignoring case; default every tab.
        """
        query = sa.select(runs).order_by(runs.c.id.desc()).limit(limit)
        with self._begin() as connection:
            if workbook_key is not None:
                query = query.where(runs_of_tab(connection, workbook_key, tab))
            rows = connection.execute(query).all()
        return [_run_record(row) for row in rows]

    def run(self, run_id: int) -> RunRecord | None:
        """Return the run with id ``run_id``, or None when there is none."""
        query = sa.select(runs).where(runs.c.id == run_id)
        with self._begin() as connection:
            row = connection.execute(query).one_or_none()
        return None if row is None else _run_record(row)

    def workbooks(self) -> list[str]:
        """Return the keys of every workbook that has runs, sorted."""
        query = sa.select(runs.c.workbook_key).distinct().order_by(runs.c.workbook_key)
        with self._begin() as connection:
            return list(connection.execute(query).scalars())

    def tabs(self, workbook_key: str) -> list[str]:
        """Return the pipeline tabs of the workbook's runs, sorted, one per name.

        Names that differ only in case are one tab, listed as its latest run
        spelled it.
        """
        with self._begin() as connection:
            recorded = _recorded_tabs(connection, workbook_key)
        latest: dict[str, str] = {}
        for name in recorded:
            latest[name.casefold()] = name
        return sorted(latest.values(), key=str.casefold)

    def rename_tab(self, workbook_key: str, old: str, new: str) -> int:
        """Record the workbook's runs of tab ``old`` as runs of tab ``new``.

        The runs' snapshots and transitions go with them, so the history of a
        renamed pipeline tab continues under its new name.

        :returns: the number of runs renamed.
        """
        with self._begin() as connection:
            of_old = runs_of_tab(connection, workbook_key, old)
            renamed = connection.execute(
                sa.update(runs).where(of_old).values(tab=new)
            ).rowcount
        logger.debug(
            "runs renamed workbook=%s tab=%s->%s count=%s",
            workbook_key,
            old,
            new,
            renamed,
        )
        return int(renamed)

    def rename_workbook(self, old: str, new: str) -> int:
        """Record the runs of workbook key ``old`` as runs of workbook key ``new``.

        The runs' snapshots and transitions go with them, so the history of
        a moved or renamed workbook continues under its new key.

        :returns: the number of runs renamed.
        """
        with self._begin() as connection:
            renamed = connection.execute(
                sa.update(runs)
                .where(runs.c.workbook_key == old)
                .values(workbook_key=new)
            ).rowcount
        logger.debug("runs renamed workbook=%s->%s count=%s", old, new, renamed)
        return int(renamed)

    def save_snapshot(
        self,
        run_id: int,
        deals: Sequence[DealSnapshot],
        stay_starts: Mapping[str, dt.date] | None = None,
    ) -> None:
        """Store the run's snapshot of every deal, replacing one saved before.

        ``stay_starts`` are those of :func:`sync.state.packing.pack_snapshot`.

        :raises RunNotFoundError: no run has that id.
        """
        packed = pack_snapshot(deals, stay_starts)
        with self._begin() as connection:
            self._save_snapshot(connection, run_id, packed)

    def _save_snapshot(
        self, connection: sa.Connection, run_id: int, packed: bytes
    ) -> None:
        marked = connection.execute(
            sa.update(runs).where(runs.c.id == run_id).values(has_snapshot=True)
        ).rowcount
        if marked == 0:
            raise _run_not_found(run_id, self.url)
        connection.execute(
            sa.delete(run_snapshots).where(run_snapshots.c.run_id == run_id)
        )
        connection.execute(
            sa.insert(run_snapshots).values(run_id=run_id, packed=packed)
        )

    def latest_snapshot(
        self, workbook_key: str, *, tab: str | None = None
    ) -> list[DealSnapshot] | None:
        """Return the snapshot of the workbook's latest successful run, by row.

        Only runs with outcome ``ok`` and a saved snapshot count; "latest" is
        the one started last. Returns None when no such run exists, and an
        empty list when that run saw no deals.

        :param tab: count only the runs of this pipeline tab, matched ignoring
            case; default every tab of the workbook.
        """
        return self.latest_snapshot_with_starts(workbook_key, tab=tab)[0]

    def latest_snapshot_with_starts(
        self,
        workbook_key: str,
        *,
        tab: str | None = None,
        texts: SharedTexts | None = None,
    ) -> tuple[list[DealSnapshot] | None, dict[str, dt.date]]:
        """Return :meth:`latest_snapshot` and the stay starts stored with it.

        The starts are empty without such a run, and for a snapshot stored
        without them.

        :param texts: texts to share with other documents read with it.
        """
        latest_run = (
            sa.select(run_snapshots.c.packed)
            .select_from(runs)
            .outerjoin(run_snapshots, run_snapshots.c.run_id == runs.c.id)
            .where(runs.c.outcome == RunOutcome.OK.value, runs.c.has_snapshot)
            .order_by(runs.c.id.desc())
            .limit(1)
        )
        with self._begin() as connection:
            latest_run = latest_run.where(runs_of_tab(connection, workbook_key, tab))
            found = connection.execute(latest_run).one_or_none()
        if found is None:
            return None, {}
        if found.packed is None:
            return [], {}
        deals, stay_starts = unpack_snapshot_with_starts(found.packed, texts)
        return sorted(deals, key=itemgetter(ROW_INDEX)), stay_starts

    def latest_as_of(
        self, workbook_key: str, *, tab: str | None = None
    ) -> dt.date | None:
        """Return the latest day of the workbook's successful runs.

        A run that found no stage change stores no snapshot, but it saw the
        sheet on its day all the same, so it counts here.

        :param tab: count only the runs of this pipeline tab, matched ignoring
            case; default every tab of the workbook.
        """
        query = sa.select(sa.func.max(runs.c.as_of)).where(
            runs.c.outcome == RunOutcome.OK.value
        )
        return self._run_day(workbook_key, tab, query)

    def log_started_on(
        self, workbook_key: str, *, tab: str | None = None
    ) -> dt.date | None:
        """Return the day of the workbook's first successful run with a snapshot.

        :param tab: count only the runs of this pipeline tab, matched ignoring
            case; default every tab of the workbook.
        """
        query = sa.select(sa.func.min(runs.c.as_of)).where(
            runs.c.outcome == RunOutcome.OK.value, runs.c.has_snapshot
        )
        return self._run_day(workbook_key, tab, query)

    def _run_day(
        self, workbook_key: str, tab: str | None, query: sa.Select[Any]
    ) -> dt.date | None:
        """Return the day ``query`` selects from the runs of the workbook's tab."""
        with self._begin() as connection:
            query = query.where(runs_of_tab(connection, workbook_key, tab))
            day: dt.date | None = connection.execute(query).scalar_one_or_none()
        return day

    def record_transitions(
        self, workbook_key: str, run_id: int, found: Sequence[Transition]
    ) -> None:
        """Store the transitions run ``run_id`` found in the workbook.

        :raises RunNotFoundError: no run has that id.
        :raises ValueError: the run belongs to another workbook.
        """
        packed = pack_transitions(found) if found else None
        with self._begin() as connection:
            _check_run_workbook(connection, run_id, workbook_key, self.url)
            if packed is not None:
                _insert_transitions(connection, run_id, packed)

    def transitions(
        self, workbook_key: str, deal_id: str | None = None, *, tab: str | None = None
    ) -> list[Transition]:
        """Return the workbook's transitions, or one deal's, oldest first.

        Only transitions recorded by runs with outcome ``ok`` count, the same
        runs :meth:`latest_snapshot` reads, so a run that failed after
        recording never leaves a transition that the next run finds again.
        Transitions seen on the same day keep the order they were recorded in.

        :param tab: count only the runs of this pipeline tab, matched ignoring
            case; default every tab of the workbook.
        """
        found = self.transitions_with_starts(workbook_key, tab=tab)[0]
        if deal_id is not None:
            found = [move for move in found if move.deal_id == deal_id]
        return found

    def transitions_with_starts(
        self,
        workbook_key: str,
        *,
        tab: str | None = None,
        texts: SharedTexts | None = None,
    ) -> tuple[list[Transition], dict[StayEnd, dt.date]]:
        """Return :meth:`transitions` and the stored starts of the stays they end.

        Of two starts stored for one stay end, the first recorded is kept,
        because a second can only come from a later run of the same day, which
        ended a stay that began on that day.

        :param texts: texts to share with other documents read with it.
        """
        query = (
            sa.select(run_transitions.c.packed)
            .join(runs, runs.c.id == run_transitions.c.run_id)
            .where(runs.c.outcome == RunOutcome.OK.value)
            .order_by(run_transitions.c.id)
        )
        with self._begin() as connection:
            query = query.where(runs_of_tab(connection, workbook_key, tab))
            documents = connection.execute(query).scalars().all()

        found: list[Transition] = []
        ended_stay_starts: dict[StayEnd, dt.date] = {}
        texts = {} if texts is None else texts
        for packed in documents:
            moves, starts = unpack_transitions_with_starts(packed, texts)
            found.extend(moves)
            for stay_end, start in starts.items():
                ended_stay_starts.setdefault(stay_end, start)
        return sorted(found, key=itemgetter(SEEN_ON_INDEX)), ended_stay_starts

    def acquire_lock(
        self,
        workbook_key: str,
        holder: str,
        ttl: dt.timedelta,
        now: dt.datetime,
    ) -> bool:
        """Take the workbook's lock until ``now + ttl`` if it is free or expired.

        Atomic across every process sharing the database: of several callers
        at once, exactly one gets True. The holder already holding it gets
        False too (use :meth:`renew_lock`). ``holder`` is ``host:pid:uuid``,
        see :func:`sync.state.locks.new_lock_holder`.
        """
        with self._begin() as connection:
            return workbook_locks.acquire_lock(
                connection, workbook_key, holder, ttl, now
            )

    def renew_lock(
        self,
        workbook_key: str,
        holder: str,
        ttl: dt.timedelta,
        now: dt.datetime,
    ) -> bool:
        """Extend the lock to ``now + ttl``; False means ``holder`` lost it."""
        with self._begin() as connection:
            return workbook_locks.renew_lock(connection, workbook_key, holder, ttl, now)

    def release_lock(self, workbook_key: str, holder: str) -> bool:
        """Release the lock if ``holder`` holds it; another holder's lock stays."""
        with self._begin() as connection:
            return workbook_locks.release_lock(connection, workbook_key, holder)

    def lock(self, workbook_key: str) -> WorkbookLock | None:
        """Return the workbook's lock row, expired or not, or None."""
        with self._begin() as connection:
            return workbook_locks.read_lock(connection, workbook_key)

    @contextmanager
    def _begin(self) -> Iterator[sa.Connection]:
        """Run a block in one transaction; report an unusable database clearly."""
        try:
            with self.engine.begin() as connection:
                yield connection
        except sa.exc.DatabaseError as error:
            if is_damaged(error):
                raise damaged_error(self.url, _first_line(error)) from error
            if not isinstance(error, sa.exc.OperationalError):
                raise
            advice = failure_advice(
                error, "Check that it is reachable and writable, then retry."
            )
            raise StateError(
                f"State database {self.url!r} failed: {_first_line(error)}. {advice}"
            ) from error


def _run_record(row: sa.Row[Any]) -> RunRecord:
    return RunRecord(
        id=row.id,
        workbook_key=row.workbook_key,
        tab=row.tab,
        as_of=row.as_of,
        started_at=row.started_at,
        finished_at=row.finished_at,
        outcome=RunOutcome(row.outcome) if row.outcome else None,
        deals=row.deals,
        errors=row.errors,
        warnings=row.warnings,
        infos=row.infos,
        status_cells_written=row.status_cells_written,
        tabs_written=row.tabs_written,
        api_requests=row.api_requests,
        bytes_written=row.bytes_written,
        error=row.error,
    )


def _finish_values(
    outcome: RunOutcome | str, now: dt.datetime | None, figures: RunFigures
) -> dict[str, Any]:
    """Return the runs row's values of a finished run; see StateStore.finish_run."""
    unknown = sorted(set(figures) - FIGURE_NAMES)
    if unknown:
        raise TypeError(
            f"unknown run figures {unknown}; expected some of {sorted(FIGURE_NAMES)}"
        )

    values: dict[str, Any] = dict(figures)
    values["outcome"] = RunOutcome(outcome).value
    values["finished_at"] = as_utc(now) if now else dt.datetime.now(dt.UTC)
    return values


def runs_of_tab(
    connection: sa.Connection, workbook_key: str, tab: str | None
) -> sa.ColumnElement[bool]:
    """Return the condition that selects the runs of one workbook and tab.

    Tabs match ignoring case, as Excel and Google Sheets name them. The
    spellings recorded for the workbook are compared in Python, because SQL's
    LOWER folds only ASCII letters on SQLite.
    """
    of_workbook = runs.c.workbook_key == workbook_key
    if tab is None:
        return of_workbook
    folded = tab.casefold()
    recorded = _recorded_tabs(connection, workbook_key)
    spellings = [name for name in recorded if name.casefold() == folded]
    return sa.and_(of_workbook, runs.c.tab.in_(spellings))


def _recorded_tabs(connection: sa.Connection, workbook_key: str) -> list[str]:
    """Return each spelling of a tab in the workbook's runs, oldest run first."""
    query = (
        sa.select(runs.c.tab, sa.func.max(runs.c.id).label("latest"))
        .where(runs.c.workbook_key == workbook_key)
        .group_by(runs.c.tab)
        .order_by("latest")
    )
    return list(connection.execute(query).scalars())


def _insert_transitions(connection: sa.Connection, run_id: int, packed: bytes) -> None:
    connection.execute(sa.insert(run_transitions).values(run_id=run_id, packed=packed))


def _check_run_workbook(
    connection: sa.Connection, run_id: int, workbook_key: str, database: str
) -> None:
    stored_key = connection.execute(
        sa.select(runs.c.workbook_key).where(runs.c.id == run_id)
    ).scalar_one_or_none()
    if stored_key is None:
        raise _run_not_found(run_id, database)
    if stored_key != workbook_key:
        raise ValueError(
            f"run {run_id} belongs to workbook {stored_key!r}, not {workbook_key!r}"
        )


def _run_not_found(run_id: int, database: str) -> RunNotFoundError:
    return RunNotFoundError(
        f"State database {database!r} has no run {run_id}; "
        "pass an id returned by start_run."
    )


def _is_sqlite_file(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database not in (
        None,
        "",
        ":memory:",
    )


def _open_checked(url: URL) -> tuple[sa.Engine, list[str]]:
    """Open ``url`` without changing it and return its checked revisions.

    An SQLite file is opened read-only.

    :raises StateNotFoundError: no SQLite file exists at the path.
    :raises StateError: the database cannot be read, a newer pipesheet wrote
        it, or it is not a pipesheet database.
    """
    if _is_sqlite_file(url):
        _check_sqlite_file(url, create=False)
        _check_contents(url, writing=False)
        engine = create_read_only_engine(url)
    else:
        engine = _create_engine(url)
    try:
        with engine.connect() as connection, connection.begin():
            recorded = check_readable_revisions(connection)
    except (UnknownRevisionError, ForeignTablesError) as error:
        engine.dispose()
        raise schema_error(_show(url), error) from error
    except sa.exc.SQLAlchemyError as error:
        engine.dispose()
        if is_damaged(error):
            raise damaged_error(_show(url), _first_line(error)) from error
        raise StateError(
            f"State database {_show(url)!r} could not be opened for reading: "
            f"{_first_line(error)}. Check --state or PIPESHEET_STATE and that "
            "the database is readable."
        ) from error
    return engine, recorded


def _check_contents(url: URL, *, writing: bool) -> None:
    """Check that an existing SQLite file is pipesheet's, before an engine opens it.

    :raises EmptyStateError: the file is empty and ``writing`` is False.
    :raises StateError: the file is another program's or not a database.
    """
    if not _is_sqlite_file(url):
        return
    assert url.database is not None
    try:
        check_sqlite_contents(url.database, writing=writing)
    except ForeignTablesError as error:
        raise schema_error(url.database, error) from error


def schema_error(
    shown: str, error: UnknownRevisionError | ForeignTablesError
) -> StateError:
    """Return the message for a database this pipesheet must not open."""
    if isinstance(error, UnknownRevisionError):
        return StateError(
            f"State database {shown!r} was written by a newer pipesheet: "
            f"{error}. Upgrade pipesheet, or point --state or PIPESHEET_STATE "
            "at another database. Nothing was changed."
        )
    return StateError(
        f"{shown!r} is not a pipesheet state database: {error}. "
        "Pass --state or set PIPESHEET_STATE to the database your runs use, "
        "or to a new path, which a run creates. Nothing was changed."
    )


def _parse_url(url_or_path: str) -> URL:
    try:
        return state_url(url_or_path)
    except (sa.exc.ArgumentError, ValueError) as error:
        raise StateError(
            f"State database {url_or_path!r} is neither a file path nor a "
            f"valid SQLAlchemy URL: {error}. Pass a path such as "
            "pipesheet-state.sqlite or a URL such as "
            "postgresql+psycopg://user@host/pipesheet."
        ) from error


def _create_engine(url: URL) -> sa.Engine:
    try:
        return create_state_engine(url)
    except (sa.exc.NoSuchModuleError, ImportError) as error:
        raise StateError(
            f"State database {_show(url)!r}: no driver for {url.drivername!r} "
            f"({error}). Install the driver, e.g. 'pip install psycopg[binary]' "
            "for postgresql+psycopg://, or use an SQLite file path."
        ) from error


def _check_sqlite_file(url: URL, *, create: bool) -> None:
    """Check the file of an SQLite state database before SQLite opens it.

    SQLite reports a missing folder, a folder that may not be entered and a
    path through a file all as "unable to open database file", and it blocks
    on a FIFO. So the file is looked at first, and a message shows the
    operating system's reason.

    :param create: create a missing file; when False, raise instead.
    :raises StateNotFoundError: no file exists at the path and ``create`` is
        False.
    :raises StateError: the path is a folder or not a regular file, or it
        cannot be looked at or created.
    """
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    path = url.database
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if not create:
            raise StateNotFoundError(
                f"No state database at {path!r}. Pass --state PATH or set "
                "PIPESHEET_STATE to the database that runs are recorded in."
            ) from None
        _create_private_sqlite_file(path)
        return
    except OSError as error:
        raise _unreachable_file_error(path, error, "opened") from error

    kind = file_kind(mode)
    if kind == "a folder":
        example = Path(path) / "pipesheet-state.sqlite"
        raise StateError(
            f"State database {path!r} is a folder, not a file. Pass "
            f"--state or set PIPESHEET_STATE to a file path, such as "
            f"{str(example)!r}."
        )
    if kind is not None:
        raise StateError(
            f"State database {path!r} is {kind}, not a regular file, so SQLite "
            "cannot keep a database in it. Pass --state or set PIPESHEET_STATE "
            "to the path of an SQLite file (a missing one is created)."
        )


def _create_private_sqlite_file(path: str) -> None:
    """Create a missing SQLite file readable by its owner only.

    The database keeps snapshots of every deal, so it is made as private as
    pipesheet's backups of the workbook. SQLite gives its -wal and -shm files
    the database file's permissions.

    :raises StateError: the file cannot be created, naming the reason.
    """
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return  # Another process created it meanwhile.
    except OSError as error:
        raise _unreachable_file_error(path, error, "created") from error
    os.close(descriptor)


def _unreachable_file_error(path: str, error: OSError, verb: str) -> StateError:
    """Return the error for an SQLite file that the operating system denied."""
    reason = error.strerror or str(error)
    folder = str(Path(path).parent)
    if error.errno in (errno.EACCES, errno.EPERM):
        fix = (
            f"Give the user pipesheet runs as ({running_user()}) access to "
            "each folder on the path"
        )
        if verb == "created":
            fix += f" and write access to {folder!r}"
        fix += ", or"
    elif error.errno == errno.ENOENT:
        fix = f"The folder {folder!r} does not exist. Create it, or"
    elif error.errno == errno.ENOTDIR:
        fix = "A part of the path before the file name is not a folder. Fix it, or"
    else:
        fix = "Check the path, or"
    return StateError(
        f"State database {path!r} could not be {verb}: {reason}. {fix} point "
        "--state or PIPESHEET_STATE at another path."
    )


def _show(url: URL) -> str:
    if url.get_backend_name() == "sqlite" and url.database:
        # A read-only engine names its file as an SQLite URI, "file:/path".
        if url.query.get("uri") == "true":
            return urllib.parse.unquote(url.database.removeprefix("file:"))
        return url.database
    return url.render_as_string(hide_password=True)


def _first_line(error: sa.exc.SQLAlchemyError) -> str:
    cause = error.orig if isinstance(error, sa.exc.DBAPIError) else error
    return str(cause).strip().splitlines()[0] if str(cause).strip() else repr(cause)
