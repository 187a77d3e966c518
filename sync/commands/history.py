"""``pipesheet history`` and ``pipesheet log``: read the run-state database.

The state database is ``--state``, else the ``PIPESHEET_STATE`` environment
variable, else ``pipesheet-state.sqlite`` in the current folder.
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from rules.history import Transition
from rules.text_forms import deal_id_key, quote_showing_invisible
from sync.commands.options import json_option, reject_empty_source
from sync.state.errors import DealNotFoundError, RunNotFoundError
from sync.state.keys import workbook_key
from sync.state.records import RunRecord

# The store brings in SQLAlchemy, which the pipesheet command line imports only
# for the commands that open a state database.
if TYPE_CHECKING:
    from config.models import Pipeline
    from rules.retyped_ids import RetypedId
    from rules.stage_history import StageHistory
    from rules.stage_log import StageLogRow, TimeInStage
    from sync.state.store import StateStore

DEFAULT_STATE = "pipesheet-state.sqlite"
BLANK = "—"

config_argument = click.argument("config", metavar="[CONFIG]", required=False)
source_option = click.option(
    "--source",
    metavar="PATH_OR_URL",
    callback=reject_empty_source,
    help="Workbook the runs used instead of the definition's source "
    "(the --source given to 'pipesheet run').",
)
state_option = click.option(
    "--state",
    metavar="PATH_OR_URL",
    envvar="PIPESHEET_STATE",
    default=DEFAULT_STATE,
    help="State database: an SQLite file path or a SQLAlchemy URL. Default: "
    f"the PIPESHEET_STATE environment variable, else {DEFAULT_STATE} in the "
    "current folder.",
)


@click.command("history")
@config_argument
@source_option
@state_option
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Maximum number of runs to list.",
)
@json_option
def history(
    config: str | None, source: str | None, state: str, limit: int, as_json: bool
) -> None:
    """List recorded runs, newest first.

    CONFIG (a definition file, a shipped name or a workbook with a Rules tab)
    limits the list to its workbook and tab; without it, runs of every
    workbook are listed. Times are UTC.
    """
    selected = _selected_workbook(config, source)
    from sync.state.store import StateStore

    # Reading one run more than listed shows whether the list leaves runs out.
    with StateStore.open_for_reading(state) as store:
        if selected is None:
            records = store.runs(None, limit + 1)
            empty = f"No runs recorded in {state}."
        else:
            records = store.runs(selected[0], limit + 1, tab=selected[1])
            empty = "" if records else _no_runs_message(store, state, *selected)
    more = len(records) > limit
    records = records[:limit]

    if as_json:
        _print_json({"runs": [run_as_json(record) for record in records]})
        return
    console = Console(soft_wrap=False)
    if not records:
        console.print(Text(empty), soft_wrap=True)
        return
    table = runs_table(records)
    unlimited = console.options.update_width(1_000)
    if console.measure(table, options=unlimited).maximum > console.width:
        table = compact_runs_table(records)
    console.print(table, highlight=False)
    for record in records:
        if record.error:
            outcome = record.outcome or "unfinished"
            console.print(Text(f"Run {record.id} {outcome}: {record.error}"))
    if more:
        listed = f"Only the latest {limit} runs are"
        if limit == 1:
            listed = "Only the latest run is"
        click.echo(
            f"{listed} listed; pass --limit with a larger number to see earlier ones.",
            err=True,
        )


@click.command("log")
@click.argument("deal_id", metavar="DEAL_ID")
@config_argument
@source_option
@state_option
@json_option
def log(
    deal_id: str, config: str | None, source: str | None, state: str, as_json: bool
) -> None:
    """Show one deal's path through the stages, oldest change first.

    CONFIG (a definition file, a shipped name or a workbook with a Rules tab)
    picks the workbook and tab; it may be left out when the state database
    contains runs of only one tab of one workbook. The stays and their days
    are those of the Stage log tab that the latest recorded run wrote. A stay
    starts on the row's stage-entered date where that tab took it, else on the
    day a run first saw the deal in the stage. The current stay counts up to
    the day of the latest recorded run. The total days in each stage add up
    every stay. A figure marked ≥ is a minimum, because it includes a stay
    that began before the first recorded run. A stage renamed with its old
    name kept as an alias shows its new name. Without CONFIG that name comes
    from the runs after the rename, so pass CONFIG when no deal was in the
    stage then.
    """
    pipeline = _selected_definition(config, source)
    from sync.state.ok_runs import ok_run_days
    from sync.state.store import StateStore

    # IDs are read from the sheet trimmed, so a pasted ' D-1 ' finds D-1.
    deal_id = deal_id.strip()
    with StateStore.open_for_reading(state) as store:
        if pipeline is None:
            key, tab = _only_workbook_tab(store, state)
        else:
            key, tab = workbook_key(pipeline, source), pipeline.source.tab
        deal_id, deal_history, retyped = _deal_history(
            store, key, tab, deal_id, renames_from_runs=pipeline is None
        )
        path = deal_history.transitions
        if not path and not store.runs(key, 1, tab=tab):
            raise RunNotFoundError(_no_runs_message(store, state, key, tab))
        if not path:
            raise DealNotFoundError(_no_path_message(store, key, tab, deal_id))
        # The latest ok run counts, also one that stored no new snapshot
        # because the sheet had not changed since the run before.
        run_days = ok_run_days(store, key, tab=tab)
        latest_day = run_days[-1] if run_days else None

    deal_history = _with_current_stage_names(deal_history, pipeline)
    path = deal_history.transitions
    as_of, rows = deal_stays(deal_history, latest_day)
    stays = days_in_previous_stage(path, rows)
    totals = _totals_of(rows)
    if as_json:
        document = path_as_json(key, deal_id, path, stays)
        document["retyped_ids"] = [
            {"old_id": old_id, "new_id": new_id, "seen_on": seen_on.isoformat()}
            for old_id, new_id, seen_on in retyped
        ]
        document["stays"] = stays_as_json(rows)
        _print_json({**document, **totals_as_json(as_of, totals)})
        return
    console = Console(soft_wrap=False)
    console.print(Text(f"Deal {deal_id} in {workbook_labels([key])[key]}"))
    for old_id, new_id, seen_on in retyped:
        # Earlier versions logged an ID in NFD as another ID than in NFC.
        if deal_id_key(old_id) == deal_id_key(new_id):
            continue
        console.print(
            Text(
                f"Its ID was {quote_showing_invisible(old_id)} before the run of "
                f"{seen_on.isoformat()}."
            )
        )
    console.print(path_table(path, stays), highlight=False)
    if rows:
        console.print(stays_table(rows), highlight=False)
    if totals is not None:
        console.print(totals_table(as_of, totals), highlight=False)


def deal_stays(
    deal_history: StageHistory, latest_day: dt.date | None
) -> tuple[dt.date, list[StageLogRow]]:
    """List one deal's stays as the Stage log tab shows them.

    ``deal_history`` contains the deal's transitions and stored starts, and
    ``latest_day`` is the as-of day of the tab's latest recorded run. The
    current stay counts up to that day, and a stay already going on at the
    first recorded run is a lower bound, as in the Stage log tab. Without
    recorded days the path's last and first days are used.

    :returns: the day the current stay is counted up to, and the stays.
    """
    from rules.stage_history import recorded_stays

    path = deal_history.transitions
    last_seen = max(move.seen_on for move in path)
    as_of = max(latest_day or last_seen, last_seen)
    started_on = deal_history.log_started_on or min(move.seen_on for move in path)
    dated = replace(deal_history, log_started_on=started_on)
    return as_of, recorded_stays(dated, as_of)


def days_in_previous_stage(
    path: Sequence[Transition], rows: Sequence[StageLogRow]
) -> list[int | None]:
    """Return, per transition, the days the deal spent in its previous stage.

    Those are the days of the stay in ``rows`` (from :func:`deal_stays`) that
    the transition ended. The first transition has no previous stage, and
    neither has a deal that comes back after it left the sheet: the days
    between are not days in a stage, so both entries are None. A deal that
    comes back in the stage it left in continues that stay, so its removal
    ends none, and the entry counts from the stay's start to the removal::

        seen_on: 03-01 (new → Lead), 03-05 (Lead → Demo)  →  [None, 4]
    """
    ends = _stay_ends(rows)
    stays: list[int | None] = []
    for move in path:
        if move.from_stage is None:
            stays.append(None)
            continue

        ended = ends.get((move.from_stage, move.seen_on))
        if ended:
            stays.append(ended.pop(0))
        else:
            stays.append(_days_into_stay(rows, move))
    return stays


def _stay_ends(rows: Sequence[StageLogRow]) -> dict[tuple[str, dt.date], list[int]]:
    """Return the days of each ended stay, by its stage and the day of its move.

    A stay that a move ended can end earlier in the log, on the next stay's
    start from the row's stage-entered date. That next stay's ``first_seen``
    is then the day of the move.
    """
    ends: dict[tuple[str, dt.date], list[int]] = {}
    for row, after in zip(rows, [*rows[1:], None], strict=True):
        if row.exited is None:
            continue
        moved_on = row.exited
        if not row.disappeared and after is not None:
            moved_on = after.entered if after.first_seen is None else after.first_seen
        ends.setdefault((row.stage, moved_on), []).append(row.days)
    return ends


def _days_into_stay(rows: Sequence[StageLogRow], move: Transition) -> int | None:
    """Return the days from the start of the stay ``move`` left to ``move``."""
    started = [
        row.entered
        for row in rows
        if row.stage == move.from_stage and row.entered <= move.seen_on
    ]
    return (move.seen_on - started[-1]).days if started else None


def _totals_of(rows: Sequence[StageLogRow]) -> TimeInStage | None:
    """Return the deal's total days in each stage, or None without a stay."""
    from rules.stage_log import times_of_log_rows

    times = times_of_log_rows(rows)
    return next(iter(times.values()), None)


def stays_table(rows: Sequence[StageLogRow]) -> Table:
    """Return the table of the deal's stays, as the Stage log tab lists them."""
    table = Table()
    table.add_column("Stage", overflow="fold")
    table.add_column("Entered")
    table.add_column("Exited")
    table.add_column("Days", justify="right")
    for row in rows:
        exited = "" if row.exited is None else row.exited.isoformat()
        if row.disappeared:
            exited += " (removed)"
        days = str(row.days) if row.entered_known else f"≥ {row.days}"
        table.add_row(Text(row.stage), row.entered.isoformat(), exited, days)
    return table


def stays_as_json(rows: Sequence[StageLogRow]) -> list[dict[str, Any]]:
    """Return the deal's stays as JSON-ready documents."""
    return [
        {
            "stage": row.stage,
            "entered": row.entered.isoformat(),
            "exited": None if row.exited is None else row.exited.isoformat(),
            "days": row.days,
            "lower_bound": not row.entered_known,
            "removed": row.disappeared,
            "first_seen": None
            if row.first_seen is None
            else row.first_seen.isoformat(),
        }
        for row in rows
    ]


def totals_table(as_of: dt.date, totals: TimeInStage) -> Table:
    """Return the table of the deal's total days in each stage, minimums marked."""
    table = Table()
    table.add_column("Stage", overflow="fold")
    table.add_column(f"Total days up to {as_of.isoformat()}", justify="right")
    for stage, days in totals.cumulative_days.items():
        known = totals.cumulative_known[stage]
        table.add_row(Text(stage), str(days) if known else f"≥ {days}")
    return table


def totals_as_json(as_of: dt.date, totals: TimeInStage | None) -> dict[str, Any]:
    """Return the total days in each stage as JSON-ready fields of the log."""
    stages: list[dict[str, Any]] = []
    if totals is not None:
        for stage, days in totals.cumulative_days.items():
            known = totals.cumulative_known[stage]
            stages.append(
                {"stage": stage, "total_days": days, "lower_bound": not known}
            )
    return {"as_of": as_of.isoformat(), "days_in_stage": stages}


def runs_table(records: Sequence[RunRecord]) -> Table:
    """Return the table of runs ``pipesheet history`` prints.

    It has a Tab column only when the runs read more than one pipeline tab.
    """
    several_tabs = _has_several_tabs(records)
    table = Table()
    table.add_column("Run", justify="right")
    table.add_column("Workbook", overflow="fold")
    if several_tabs:
        table.add_column("Tab", overflow="fold")
    for name in ("As of", "Started (UTC)", "Duration", "Outcome"):
        table.add_column(name)
    for name in ("Deals", "Errors", "Warnings", "Writes"):
        table.add_column(name, justify="right")

    labels = workbook_labels(record.workbook_key for record in records)
    for record in records:
        cells: list[str | Text] = [str(record.id)]
        cells.append(Text(labels[record.workbook_key]))
        if several_tabs:
            cells.append(Text(record.tab))
        started = _format_started(record.started_at)
        table.add_row(*cells, *_run_cells(record, started))
    return table


def _has_several_tabs(records: Sequence[RunRecord]) -> bool:
    # Tab names are matched ignoring case, as the runs of one tab are.
    return len({record.tab.casefold() for record in records}) > 1


def _run_cells(record: RunRecord, started: str) -> list[str]:
    """Return a run's cells from its as-of day on, with its start time as given."""
    return [
        record.as_of.isoformat(),
        started,
        _format_duration(record.seconds),
        record.outcome.value if record.outcome else "unfinished",
        _format_count(record.deals),
        _format_count(record.errors),
        _format_count(record.warnings),
        _format_writes(record),
    ]


def compact_runs_table(records: Sequence[RunRecord]) -> Table:
    """Return the runs for a narrow terminal: fewer rules, shorter times.

    The workbook goes into the title when every run is of the same one, a Tab
    column shows when the runs read more than one pipeline tab, and a start
    time shows its month, day, hour and minute.
    """
    labels = workbook_labels(record.workbook_key for record in records)
    workbooks = set(labels.values())
    single = len(workbooks) == 1
    several_tabs = _has_several_tabs(records)
    table = Table(
        title=Text(f"Runs of {workbooks.pop()}") if single else None,
        box=None,
        padding=(0, 1, 0, 0),
        pad_edge=False,
        header_style="bold underline",
    )
    table.add_column("Run", justify="right", no_wrap=True)
    if not single:
        table.add_column("Workbook", overflow="fold")
    if several_tabs:
        table.add_column("Tab", overflow="fold")
    for name in ("As of", "Started", "Time", "Outcome"):
        table.add_column(name, no_wrap=True)
    for name in ("Deals", "Errors", "Warn.", "Writes"):
        table.add_column(name, justify="right", no_wrap=name != "Writes")

    for record in records:
        started = record.started_at.astimezone(dt.UTC).strftime("%m-%d %H:%M")
        cells: list[str | Text] = [str(record.id)]
        if not single:
            cells.append(labels[record.workbook_key])
        if several_tabs:
            cells.append(Text(record.tab))
        table.add_row(*cells, *_run_cells(record, started))
    return table


def path_table(path: Sequence[Transition], stays: Sequence[int | None]) -> Table:
    """Return the table of one deal's transitions ``pipesheet log`` prints."""
    table = Table()
    table.add_column("Seen on")
    table.add_column("Change", overflow="fold")
    table.add_column("Days in previous stage", justify="right")
    for transition, days in zip(path, stays, strict=True):
        table.add_row(
            transition.seen_on.isoformat(),
            Text(_format_change(transition)),
            "" if days is None else str(days),
        )
    return table


def run_as_json(record: RunRecord) -> dict[str, Any]:
    """Return one run as a JSON-ready document."""
    return {
        "id": record.id,
        "workbook": record.workbook_key,
        "tab": record.tab,
        "as_of": record.as_of.isoformat(),
        "started_at": record.started_at.isoformat(),
        "finished_at": record.finished_at.isoformat() if record.finished_at else None,
        "seconds": record.seconds,
        "outcome": record.outcome.value if record.outcome else None,
        "deals": record.deals,
        "findings": {
            "error": record.errors,
            "warning": record.warnings,
            "info": record.infos,
        },
        "status_cells_written": record.status_cells_written,
        "tabs_written": record.tabs_written,
        "api_requests": record.api_requests,
        "bytes_written": record.bytes_written,
        "error": record.error,
    }


def path_as_json(
    key: str,
    deal_id: str,
    path: Sequence[Transition],
    stays: Sequence[int | None],
) -> dict[str, Any]:
    """Return one deal's transitions as a JSON-ready document."""
    return {
        "workbook": key,
        "deal_id": deal_id,
        "transitions": [
            {
                "seen_on": transition.seen_on.isoformat(),
                "from_stage": transition.from_stage,
                "to_stage": transition.to_stage,
                "days_in_previous_stage": days,
            }
            for transition, days in zip(path, stays, strict=True)
        ],
    }


def _selected_workbook(
    config: str | None, source: str | None
) -> tuple[str, str] | None:
    """Return the workbook key and pipeline tab of CONFIG, or None without it."""
    pipeline = _selected_definition(config, source)
    if pipeline is None:
        return None
    return workbook_key(pipeline, source), pipeline.source.tab


def _selected_definition(config: str | None, source: str | None) -> Pipeline | None:
    """Load the definition CONFIG, or return None without it."""
    if config is None:
        if source is not None:
            raise click.UsageError("--source needs CONFIG, the definition it is for.")
        return None
    # Imported here because sync.cli imports this module to register commands.
    from sync.cli import check_source_given, resolve_definition

    check_source_given(config, source)
    return resolve_definition(config, source)


def _with_current_stage_names(
    deal_history: StageHistory, pipeline: Pipeline | None
) -> StageHistory:
    # Runs read stored stages through the definition's names and aliases, so a
    # stage renamed with its old name kept as an alias shows its new name here
    # too. Without CONFIG, _deal_history gave the renames the runs show.
    if pipeline is None:
        return deal_history
    from rules.stage_history import with_current_stage_names

    return with_current_stage_names(deal_history, pipeline)


def _only_workbook_tab(store: StateStore, state: str) -> tuple[str, str]:
    keys = store.workbooks()
    if not keys:
        raise RunNotFoundError(f"No runs recorded in {state}.")
    if len(keys) > 1:
        listed = ", ".join(repr(key) for key in keys)
        raise click.UsageError(
            f"{state} contains runs of {len(keys)} workbooks ({listed}); "
            "pass CONFIG to pick one."
        )
    tabs = store.tabs(keys[0])
    if len(tabs) > 1:
        listed = ", ".join(repr(tab) for tab in tabs)
        raise click.UsageError(
            f"{state} contains runs of {len(tabs)} tabs of workbook {keys[0]!r} "
            f"({listed}); pass CONFIG to pick one."
        )
    return keys[0], tabs[0]


def _no_runs_message(store: StateStore, state: str, key: str, tab: str) -> str:
    """Return what ``history`` and ``log`` print when the definition has no runs.

    Runs made with ``--source`` are recorded under that workbook, so the
    message lists the workbooks and tabs that do have runs.
    """
    from sync.sources.registry import TEXT_TABLE_SUFFIXES

    if Path(key).suffix.lower() in TEXT_TABLE_SUFFIXES:
        # A run that would write a CSV or TSV file is rejected before it starts.
        message = (
            f"No runs of file {key!r} recorded in {state}: pipesheet checks CSV "
            "and TSV files but does not run on them, so it records no runs."
        )
    else:
        message = f"No runs of tab {tab!r} of workbook {key!r} recorded in {state}."
    other_tabs = [name for name in store.tabs(key) if name.casefold() != tab.casefold()]
    if other_tabs:
        listed = ", ".join(repr(name) for name in other_tabs)
        message += f" That workbook has runs of tab {listed}."
    others = [other for other in store.workbooks() if other != key]
    if others:
        listed = ", ".join(repr(other) for other in others)
        message += (
            f" {state} contains runs of {listed}. If the runs used another "
            f"workbook than the definition's, pass it as --source, e.g. "
            f"--source {shlex.quote(others[0])}."
        )
    return message


def _deal_history(
    store: StateStore,
    key: str,
    tab: str,
    deal_id: str,
    *,
    renames_from_runs: bool = False,
) -> tuple[str, StageHistory, list[RetypedId]]:
    """Return the transitions and stored stay starts of the deal ``deal_id``.

    Runs record IDs as typed, so ``A-1`` followed by a byte order mark is
    stored with the mark. IDs are compared by :func:`deal_id_key`, which drops
    it, as the duplicate-id check does, so typing ``A-1`` finds that deal. IDs
    stored with and without such a mark are one deal here, under the ID of
    its first transition. A deal whose ID was retyped (see
    :mod:`rules.retyped_ids`) has the transitions of its earlier IDs too, and
    typing an earlier ID finds it. With ``renames_from_runs``, the stages that
    the recorded runs show renamed (see
    :func:`~rules.stage_history.renames_seen_in_runs`) have their new names.

    :returns: the deal's ID, its history, and the retypes that led to that
        ID, oldest first.
    """
    from rules.retyped_ids import latest_id_of, retypes_of
    from rules.stage_history import (
        StageHistory,
        renames_seen_in_runs,
        with_renamed_stages,
        with_retyped_ids,
    )

    typed = deal_id_key(deal_id)
    moves, ended_starts = store.transitions_with_starts(key, tab=tab)
    stored = StageHistory(transitions=moves, ended_stay_starts=ended_starts)
    merged, retyped = with_retyped_ids(stored)
    moves, ended_starts = merged.transitions, merged.ended_stay_starts
    path = [move for move in moves if deal_id_key(move.deal_id) == typed]
    earlier_ids = [old for old, _, _ in retyped if deal_id_key(old) == typed]
    if not path and earlier_ids:
        deal_id = latest_id_of(earlier_ids[-1], retyped)
        typed = deal_id_key(deal_id)
        path = [move for move in moves if deal_id_key(move.deal_id) == typed]
    if not path:
        return deal_id, StageHistory(), []

    one_id = path[0].deal_id
    snapshot, stay_starts = store.latest_snapshot_with_starts(key, tab=tab)
    current_starts = [
        start
        for stored_id, start in stay_starts.items()
        if deal_id_key(stored_id) == typed
    ]
    deal_history = StageHistory(
        transitions=[move._replace(deal_id=one_id) for move in path],
        log_started_on=store.log_started_on(key, tab=tab),
        stay_starts={one_id: current_starts[0]} if current_starts else {},
        ended_stay_starts={
            stay_end._replace(deal_id=one_id): start
            for stay_end, start in ended_starts.items()
            if deal_id_key(stay_end.deal_id) == typed
        },
    )
    if renames_from_runs:
        renamed = renames_seen_in_runs(moves, snapshot)
        deal_history = with_renamed_stages(deal_history, renamed)
    return deal_id, deal_history, retypes_of(one_id, retyped)


def _no_path_message(store: StateStore, key: str, tab: str, deal_id: str) -> str:
    message = (
        f"No stage changes of deal {deal_id!r} recorded for tab {tab!r} of {key!r}."
    )
    moves = store.transitions(key, tab=tab)
    nearest = close_deal_id(deal_id, {move.deal_id for move in moves})
    if nearest is not None:
        message += f" Did you mean {quote_showing_invisible(nearest)}?"
    # A deal whose ID is on several rows, or whose stage cell has named no
    # stage of the pipeline yet, gets no snapshot of its own, which the
    # reader of this message would otherwise not guess.
    return message + (
        f" If {deal_id!r} is in the sheet, check that it is on one row only: "
        "a deal whose ID is on several rows is not recorded. Nor is a deal whose "
        "stage cell has named no stage of the pipeline yet; its row in the "
        "Problems tab says why."
    )


# Characters an ID needs, joining punctuation left out, before one typo in it
# is suggested as a fix. In '1001' one typo changes a quarter of the ID and
# easily gives another real ID, such as '1011' or '1000'.
ID_TYPO_MIN_LENGTH = 5


def close_deal_id(typed: str, recorded: Iterable[str]) -> str | None:
    """Return the one recorded deal ID that ``typed`` misspells, or None.

    Before: ``d100234`` or ``D-102034``, with ``D-100234`` recorded. After:
    ``D-100234``. A misspelling differs in case, width, spaces or joining
    punctuation only. An ID of 5 characters or more, joining punctuation left
    out, may also differ by one typo: a character added, dropped or replaced,
    or two neighbours swapped. Two such IDs leave the intended one open, so neither is
    suggested, and ``1001`` gets no suggestion of ``00123``.
    """
    from rules.close_spellings import is_one_typo_apart, spelling_skeleton

    skeleton = spelling_skeleton(typed)
    by_skeleton: dict[str, set[str]] = {}
    for deal_id in recorded:
        by_skeleton.setdefault(spelling_skeleton(deal_id), set()).add(deal_id)
    variants = by_skeleton.get(skeleton, set())
    if not variants and len(skeleton) >= ID_TYPO_MIN_LENGTH:
        variants = {
            deal_id
            for other, deal_ids in by_skeleton.items()
            if is_one_typo_apart(skeleton, other)
            for deal_id in deal_ids
        }
    return next(iter(variants)) if len(variants) == 1 else None


def workbook_labels(keys: Iterable[str]) -> dict[str, str]:
    """Return the text that shows each workbook key in a table.

    A file's key is its absolute path, and its name is enough, unless two
    workbooks of the table share a name (pipeline.xlsx in two team folders):
    those show as many of their last folders as tell them apart.
    """
    keys = list(dict.fromkeys(keys))
    files = [key for key in keys if Path(key).is_absolute()]
    labels = {key: key for key in keys if key not in files}
    depth = 1
    while files:
        named = {key: "/".join(Path(key).parts[-depth:]) for key in files}
        counts = Counter(named.values())
        unique = [key for key in files if counts[named[key]] == 1]
        for key in unique:
            labels[key] = named[key]
        files = [key for key in files if key not in unique]
        if any(depth >= len(Path(key).parts) for key in files):
            labels.update({key: key for key in files})
            break
        depth += 1
    return labels


def _format_started(started_at: dt.datetime) -> str:
    return started_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _format_duration(seconds: float | None) -> str:
    if seconds is None:
        return BLANK
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def _format_count(count: int | None) -> str:
    return BLANK if count is None else f"{count:,}"


def _format_writes(record: RunRecord) -> str:
    if record.status_cells_written is None and record.tabs_written is None:
        return BLANK
    cells = record.status_cells_written or 0
    tabs = len(record.tabs_written or [])
    return f"{_plural(cells, 'cell')}, {_plural(tabs, 'tab')}"


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def _format_change(transition: Transition) -> str:
    before = transition.from_stage or "(new)"
    after = transition.to_stage or "(removed)"
    return f"{before} → {after}"


def _print_json(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
    sys.stdout.write("\n")
