"""Queries about a workbook's successful runs, for scheduling and the review."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, NamedTuple

import sqlalchemy as sa

from config.models import Outcome
from rules.stage_lists import RecordedStage, RunStages, StageList
from sync.state.errors import StateError
from sync.state.records import RunOutcome
from sync.state.store import StateStore, runs_of_tab
from sync.state.tables import UtcDateTime, run_transitions, runs


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


def ok_run_stages(
    store: StateStore,
    workbook_key: str,
    *,
    tab: str | None = None,
    since: dt.date | None = None,
) -> tuple[RunStages, ...]:
    """Return the distinct stage lists of the workbook's ``ok`` runs, by day.

    Runs of one day with the same list and the same ``recorded_moves`` come
    as one item, in the place of the latest of them, so a service that runs
    every few minutes reads a few items per day. A run recorded before
    schema revision 0007 has no list.

    :param tab: count only the runs of this pipeline tab, matched ignoring
        case; default every tab of the workbook.
    :param since: leave out the runs of days before this one.
    :raises StateError: if the database cannot be read.
    """
    moved_runs = sa.select(run_transitions.c.run_id).distinct().subquery()
    recorded_moves = moved_runs.c.run_id.is_not(None)
    # The JSON type has no equality on PostgreSQL, so the lists group as text.
    stages_text = sa.cast(runs.c.stages, sa.Text)
    query = (
        sa.select(runs.c.as_of, stages_text, recorded_moves)
        .select_from(runs)
        .outerjoin(moved_runs, moved_runs.c.run_id == runs.c.id)
        .where(runs.c.outcome == RunOutcome.OK.value)
        .group_by(runs.c.as_of, stages_text, recorded_moves)
        .order_by(sa.func.max(runs.c.id))
    )
    if since is not None:
        query = query.where(runs.c.as_of >= since)
    try:
        with store.engine.begin() as connection:
            query = query.where(runs_of_tab(connection, workbook_key, tab))
            rows = connection.execute(query).all()
    except sa.exc.OperationalError as error:
        raise _read_error(store, error) from error
    return tuple(
        RunStages(day, _stage_list(text), bool(moved)) for day, text, moved in rows
    )


def stored_stage_list(stages: StageList) -> list[list[str]]:
    """Return a stage list as the runs table stores it: ``[name, outcome]`` pairs."""
    return [[stage.name, stage.outcome.value] for stage in stages]


def _stage_list(text: str | None) -> StageList | None:
    """Read a stored stage list back, or return None for a run that stored none.

    A value that is not a JSON list of ``[name, outcome]`` pairs, which only
    an edit of the database by hand leaves, counts as none too.
    """
    if text is None:
        return None
    try:
        stored = json.loads(text)
    except ValueError:
        return None
    if not isinstance(stored, list):
        return None
    outcomes = {outcome.value: outcome for outcome in Outcome}
    stages: list[RecordedStage] = []
    for pair in stored:
        if not (isinstance(pair, list) and len(pair) == 2):
            return None
        name, outcome = pair
        if not isinstance(name, str) or outcome not in outcomes:
            return None
        stages.append(RecordedStage(name, outcomes[outcome]))
    return tuple(stages)


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
