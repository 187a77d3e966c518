"""Queries about a workbook's successful runs, for scheduling and the review."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, NamedTuple

import sqlalchemy as sa

from sync.state.errors import StateError
from sync.state.records import RunOutcome
from sync.state.store import StateStore, runs_of_tab
from sync.state.tables import UtcDateTime, runs


def latest_ok_day(
    store: StateStore,
    workbook_key: str,
    *,
    tab: str | None = None,
    excluding_run: int | None = None,
) -> dt.date | None:
    """Return the latest ``as_of`` of the workbook's runs with outcome ``ok``.

    :param tab: count only the runs of this pipeline tab, matched ignoring
        case; default every tab of the workbook.
    :param excluding_run: a run to leave out, such as the one in progress.
    """
    query = sa.select(sa.func.max(runs.c.as_of)).where(
        runs.c.outcome == RunOutcome.OK.value
    )
    if excluding_run is not None:
        query = query.where(runs.c.id != excluding_run)
    day: dt.date | None = _scalar_of_tab(store, query, workbook_key, tab)
    return day


class ReviewCoverage(NamedTuple):
    """The monthly reviews that a workbook's ``ok`` runs recorded.

    ``first_day`` is the earliest ``as_of`` of any of them. ``reviewed_through``
    is the latest month that a run recorded as reviewed, and
    ``latest_unrecorded_day`` the latest ``as_of`` of a run that recorded
    none, such as a run by a pipesheet version without reviews. Each is None
    when no run has one.
    """

    first_day: dt.date | None
    reviewed_through: dt.date | None
    latest_unrecorded_day: dt.date | None


def review_coverage(
    store: StateStore,
    workbook_key: str,
    *,
    tab: str | None = None,
    excluding_run: int | None = None,
) -> ReviewCoverage:
    """Return what the workbook's ``ok`` runs record of the monthly reviews.

    :param tab: count only the runs of this pipeline tab, matched ignoring
        case; default every tab of the workbook.
    :param excluding_run: a run to leave out, such as the one in progress.
    :raises StateError: if the database cannot be read.
    """
    unrecorded_day = sa.case((runs.c.reviewed_through.is_(None), runs.c.as_of))
    query = sa.select(
        sa.func.min(runs.c.as_of),
        sa.func.max(runs.c.reviewed_through),
        sa.func.max(unrecorded_day),
    ).where(runs.c.outcome == RunOutcome.OK.value)
    if excluding_run is not None:
        query = query.where(runs.c.id != excluding_run)
    try:
        with store.engine.begin() as connection:
            query = query.where(runs_of_tab(connection, workbook_key, tab))
            row = connection.execute(query).one()
    except sa.exc.OperationalError as error:
        raise _read_error(store, error) from error
    return ReviewCoverage(*row)


def ok_run_days(
    store: StateStore, workbook_key: str, *, tab: str | None = None
) -> tuple[dt.date, ...]:
    """Return the distinct ``as_of`` days of the workbook's ``ok`` runs, oldest first.

    :param tab: count only the runs of this pipeline tab, matched ignoring
        case; default every tab of the workbook.
    :raises StateError: if the database cannot be read.
    """
    query = (
        sa.select(runs.c.as_of)
        .where(runs.c.outcome == RunOutcome.OK.value)
        .distinct()
        .order_by(runs.c.as_of)
    )
    try:
        with store.engine.begin() as connection:
            query = query.where(runs_of_tab(connection, workbook_key, tab))
            return tuple(connection.execute(query).scalars())
    except sa.exc.OperationalError as error:
        raise _read_error(store, error) from error


def latest_ok_start(
    store: StateStore, workbook_key: str, *, tab: str | None = None
) -> dt.datetime | None:
    """Return when the workbook's latest run with outcome ``ok`` started (UTC).

    :param tab: count only the runs of this pipeline tab, matched ignoring
        case; default every tab of the workbook.
    """
    latest = sa.func.max(runs.c.started_at, type_=UtcDateTime)
    query = sa.select(latest).where(runs.c.outcome == RunOutcome.OK.value)
    started: dt.datetime | None = _scalar_of_tab(store, query, workbook_key, tab)
    return started


def latest_ok_finishes(
    store: StateStore, workbook_tabs: Mapping[str, str | None]
) -> dict[str, dt.datetime]:
    """Return when each workbook's latest run with outcome ``ok`` finished (UTC).

    ``workbook_tabs`` maps each workbook key to the pipeline tab whose runs
    count, or None for every tab. Every process that records runs in this
    database counts, so a service gets the runs of another service that
    shares the database. Workbooks without such a run are left out.
    """
    finished = sa.func.max(runs.c.finished_at, type_=UtcDateTime)
    of_ok = sa.select(finished).where(runs.c.outcome == RunOutcome.OK.value)
    finishes: dict[str, dt.datetime] = {}
    try:
        with store.engine.begin() as connection:
            for key, tab in workbook_tabs.items():
                query = of_ok.where(runs_of_tab(connection, key, tab))
                when = connection.execute(query).scalar_one_or_none()
                if when is not None:
                    finishes[key] = when
    except sa.exc.OperationalError as error:
        raise _read_error(store, error) from error
    return finishes


def _scalar_of_tab(
    store: StateStore, query: sa.Select[Any], workbook_key: str, tab: str | None
) -> Any:
    """Return the one value ``query`` selects over the runs of a workbook tab.

    :raises StateError: if the database cannot be read.
    """
    try:
        with store.engine.begin() as connection:
            query = query.where(runs_of_tab(connection, workbook_key, tab))
            return connection.execute(query).scalar_one_or_none()
    except sa.exc.OperationalError as error:
        raise _read_error(store, error) from error


def _read_error(store: StateStore, error: sa.exc.OperationalError) -> StateError:
    return StateError(
        f"State database {store.url!r} failed: {error.orig}. Check that it "
        "is reachable and readable, then retry."
    )
