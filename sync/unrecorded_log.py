"""Find a Stage log tab whose stays the state database has no record of.

The state database keeps a workbook's stage history under the workbook's key
(its resolved path or spreadsheet id) and pipeline tab. After the workbook's
folder is moved, the file renamed, or a run started with another state file,
a run finds no history and would replace the Stage log tab with a new one
that begins today. Such a run leaves the tab as it is instead, sends no
digests, and warns.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from collections.abc import Iterable

from config.models import Pipeline
from rules.grid import CellValue, SheetGrid
from sync.planner import banner_source_tab, is_generated_tab
from sync.sources.base import WorkbookSource
from sync.state.store import StateStore

# The reason in the digest report of a run that found such a tab.
STAGE_LOG_UNRECORDED = (
    "the Stage log tab lists stays that this state database has no record of"
)
# The banner, a blank row and the header come before the stays.
FIRST_STAY_ROW = 4
ENTERED_COLUMN, EXITED_COLUMN, NOTE_COLUMN = 2, 3, 5
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def unrecorded_log_warning(
    source: WorkbookSource,
    pipeline: Pipeline,
    store: StateStore,
    key: str,
    as_of: dt.date,
) -> str | None:
    """Return a warning when the Stage log tab lists stays the database lacks.

    Call it only when ``store`` has no stage history of the pipeline tab. The
    tab counts when pipesheet made it from this pipeline tab and a run
    recorded one of its stays before ``as_of``. Returns None otherwise.
    """
    grid = _stage_log_tab(source, pipeline)
    if grid is None:
        return None
    earliest = _earliest_recorded_day(grid)
    if earliest is None or earliest >= as_of:
        return None

    tab = pipeline.source.tab
    lacking = (
        f"state database {store.url!r} has no stage history of tab {tab!r} of "
        "that workbook"
    )
    if store.stands_in_for is not None:
        lacking = f"there is no state database at {store.stands_in_for!r}"
    message = (
        f"Tab {grid.tab!r} of workbook {key!r} lists stays recorded since "
        f"{earliest}, but {lacking}. So this run neither used nor "
        f"recorded stage history, and left tab {grid.tab!r} as it was. "
    )
    if pipeline.notifications is not None:
        message += (
            "It sent no digests either, because the digests those runs sent "
            "are recorded in their database, so sending them from this one "
            "would repeat them. "
        )
    message += (
        "Run with the state database those runs were recorded in (--state or "
        "PIPESHEET_STATE)."
    )
    others = _workbooks_with_tab(store, key, tab)
    if others:
        listed = ", ".join(repr(other) for other in others)
        command = (
            f"pipesheet rename-workbook {shlex.quote(others[0])} {shlex.quote(key)}"
        )
        message += (
            f" If the workbook was moved or renamed, this database has runs of "
            f"tab {tab!r} in {listed}: carry them over with '{command}'."
        )
    return message + f" To start a new stage history, delete tab {grid.tab!r}."


def _stage_log_tab(source: WorkbookSource, pipeline: Pipeline) -> SheetGrid | None:
    name = pipeline.outputs.tabs.stage_log.casefold()
    found = [tab for tab in source.tab_names() if tab.casefold() == name]
    if not found:
        return None
    grid = source.read_tab(found[0])
    made_from = banner_source_tab(grid)
    if not is_generated_tab(grid) or made_from is None:
        return None
    return grid if made_from.casefold() == pipeline.source.tab.casefold() else None


def _earliest_recorded_day(grid: SheetGrid) -> dt.date | None:
    """Return the earliest day on which a run recorded a stay of the tab.

    A stay ends on a run's day. It begins on one too, unless its note names
    the day a run first recorded it, because its start came from the row.
    """
    days: list[dt.date] = []
    for values in grid.rows[FIRST_STAY_ROW - 1 :]:
        cells = [*values, *[None] * (NOTE_COLUMN + 1 - len(values))]
        note = cells[NOTE_COLUMN]
        recorded = ISO_DAY.findall(note) if isinstance(note, str) else []
        started = recorded[-1] if recorded else cells[ENTERED_COLUMN]
        days.extend(_days([started, cells[EXITED_COLUMN]]))
    return min(days, default=None)


def _days(cells: Iterable[CellValue]) -> list[dt.date]:
    # Excel dates read as dates, text from other sources as ISO days.
    days: list[dt.date] = []
    for cell in cells:
        if isinstance(cell, dt.datetime):
            days.append(cell.date())
        elif isinstance(cell, dt.date):
            days.append(cell)
        elif isinstance(cell, str) and ISO_DAY.fullmatch(cell.strip()):
            days.append(dt.date.fromisoformat(cell.strip()))
    return days


def _workbooks_with_tab(store: StateStore, key: str, tab: str) -> list[str]:
    """Return the other workbooks whose runs read a tab of that name."""
    folded = tab.casefold()
    return [
        other
        for other in store.workbooks()
        if other != key and any(name.casefold() == folded for name in store.tabs(other))
    ]
