"""Find generated tabs that an earlier name in outputs.tabs left in the workbook.

After ``outputs.tabs.funnel`` changes from "Funnel" to "Pipeline funnel", the
run writes the new tab and no longer updates the old one, whose figures go
stale. pipesheet never deletes a tab, so an ``old-generated-tab`` notice
names the tab for the user to delete.
"""

from __future__ import annotations

import re

from config.models import Pipeline
from rules.findings import Code, Finding, Severity
from rules.grid import SheetGrid
from sync.planner import REVIEW_BANNERS, banner_source_tab, is_generated_tab
from sync.sources.base import RecordedTabsSource, WorkbookSource


def earlier_generated_tabs(source: WorkbookSource, pipeline: Pipeline) -> list[Finding]:
    """Return an ``old-generated-tab`` notice for each tab a run no longer writes.

    The workbook records such a tab as pipesheet's, its banner names this
    pipeline tab as its source, and its name is not among the definition's
    generated tabs. Monthly review tabs are left out,
    because they stay as they were frozen. So is a tab renamed since
    pipesheet wrote it, such as "Funnel" renamed to "Funnel Q4 snapshot",
    because a person keeps that tab on purpose.

    NOTE: only tabs the workbook records are read, so that a run does not read
    every tab of the user's. A tab from a version of pipesheet that wrote no
    records, or from a workbook whose records were dropped, gets no notice.
    """
    if not isinstance(source, RecordedTabsSource):
        return []
    current = [
        pipeline.source.tab,
        *pipeline.outputs.tabs.model_dump(exclude={"review"}).values(),
    ]
    skipped = {name.casefold() for name in current}
    candidates = [
        name
        for name in source.tab_names()
        if name.casefold() not in skipped
        and not _is_copy_of(name, skipped)
        and source.is_recorded_tab(name)
        and not source.is_renamed_tab(name)
    ]

    notices = []
    for name in candidates:
        grid = source.read_tab(name)
        if not is_generated_tab(grid) or _is_review_tab(grid):
            continue
        made_from = banner_source_tab(grid)
        if made_from is None or made_from.casefold() != pipeline.source.tab.casefold():
            continue
        params = {"tab": grid.tab, "source_tab": made_from}
        notices.append(
            Finding(Code.OLD_GENERATED_TAB, Severity.INFO, None, params=params)
        )
    return notices


# The names spreadsheet programs give a copy of a tab: Excel "Funnel (2)",
# LibreOffice "Funnel_2", Google Sheets "Copy of Funnel".
_COPY_NAMES = (
    re.compile(r"(?P<name>.+) \(\d+\)"),
    re.compile(r"(?P<name>.+)_\d+"),
    re.compile(r"Copy of (?P<name>.+)"),
)


def _is_copy_of(tab: str, names: set[str]) -> bool:
    """Return True when ``tab`` is named as a copy of a tab in ``names`` (folded).

    A manager who copies the Funnel tab to keep a snapshot made that tab on
    purpose, so it gets no notice asking to delete it.
    """
    for pattern in _COPY_NAMES:
        match = pattern.fullmatch(tab)
        if match is not None and match["name"].casefold() in names:
            return True
    return False


def _is_review_tab(grid: SheetGrid) -> bool:
    first = grid.cell(1, 0)
    return isinstance(first, str) and any(
        banner.match(first) for banner in REVIEW_BANNERS
    )
