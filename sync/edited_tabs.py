"""Find generated tabs that a person edited since pipesheet wrote them.

A run replaces a generated tab whole whenever its content differs from the
tab to write, so notes typed into it are lost. Content can differ for two
reasons: the pipeline changed (or a day passed), or a person edited the tab.
Only the second deserves a warning, and only a source that records what it
wrote (:class:`~sync.sources.base.EditedTabsSource`) can tell them apart.
"""

from __future__ import annotations

from collections.abc import Sequence

from rules.grid import SheetGrid
from sync.plan import GeneratedTab
from sync.sources.base import EditedTabsSource, WorkbookSource


def find_edited_tabs(
    source: WorkbookSource,
    tabs: Sequence[GeneratedTab],
    existing: dict[str, SheetGrid],
) -> list[str]:
    """Return the names of the tabs to write that a person edited after the last write.

    :param tabs: the generated tabs the run replaces.
    :param existing: the workbook's current generated tabs, by generated tab name.
    """
    if not isinstance(source, EditedTabsSource):
        return []
    read = []
    for tab in tabs:
        grid = existing.get(tab.name)
        # A tab the source vouched for without reading is pipesheet's own write.
        if grid is not None and not grid.head_only and grid.rows is not tab.grid:
            read.append(grid)
    return source.edited_generated_tabs(read) if read else []


def describe_edited_tabs(
    workbook: str, tabs: Sequence[str], *, written: bool, backup: str | None
) -> str:
    """Return the warning for generated tabs changed since pipesheet wrote them.

    A tab whose rows were only sorted is changed too, because its record
    keeps the digest of the rows in the order they were written.

    :param written: whether the run replaced the tabs, or only would replace them.
    :param backup: the copy of the workbook from before the write, if one was kept.
    """
    quoted = [repr(tab) for tab in tabs]
    if len(quoted) == 1:
        changed = f"generated tab {quoted[0]} was changed since pipesheet wrote it"
        them = "it"
    else:
        names = f"{', '.join(quoted[:-1])} and {quoted[-1]}"
        changed = f"generated tabs {names} were changed since pipesheet wrote them"
        them = "them"
    advice = (
        "pipesheet rewrites its generated tabs on every run, so keep notes on a "
        "tab of your own; a sort lasts until the next run."
    )
    if not written:
        return (
            f"Workbook {workbook!r}: {changed} (edited or sorted), and a run "
            f"will replace {them}. {advice}"
        )
    if backup is None:
        backup_note = "No backup of the changed version was kept."
    else:
        backup_note = f"The changed version is kept in {backup}."
    return (
        f"Workbook {workbook!r}: {changed} (edited or sorted), and this run "
        f"replaced {them}. {backup_note} {advice}"
    )
