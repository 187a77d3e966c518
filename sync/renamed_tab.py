"""Carry a renamed pipeline tab's stage history over to its new name.

Stage history is kept per pipeline tab, so renaming the tab in the workbook
and in ``source.tab`` would start a new history. A run whose tab has no
recorded runs looks at the tabs that have runs. When exactly one of them is
gone from the workbook, the definition's tab is taken as that tab renamed.
"""

from __future__ import annotations

import logging
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from sync.state.store import StateStore

logger = logging.getLogger(__name__)

# The tab names that `pipesheet rename-tab` gives runs it sets aside:
# "West (set aside)", then "West (set aside 2)" and so on.
SET_ASIDE_NAME = re.compile(r".* \(set aside(?: \d+)?\)", re.IGNORECASE)


def set_aside_name(tab: str, existing_tabs: Sequence[str]) -> str:
    """Return a name for ``tab``'s set-aside runs that none of ``existing_tabs`` has."""
    folded = {name.casefold() for name in existing_tabs}
    name, number = f"{tab} (set aside)", 1
    while name.casefold() in folded:
        number += 1
        name = f"{tab} (set aside {number})"
    return name


@dataclass(frozen=True)
class TabHistoryChoice:
    """The recorded tab whose history a run of a tab without runs takes over.

    ``renamed_from`` is the one recorded tab that is gone from the workbook,
    or None. ``other_tabs`` are the tabs with recorded runs when the choice is
    ambiguous, and empty when there is nothing to choose.
    """

    renamed_from: str | None = None
    other_tabs: tuple[str, ...] = ()


def choose_history_tab(
    tab: str, recorded_tabs: Sequence[str], workbook_tabs: Sequence[str]
) -> TabHistoryChoice:
    """Return the recorded tab that ``tab`` was renamed from, if it is certain.

    Tabs match ignoring case. A tab that has runs of its own, a tab missing
    from the workbook, or a workbook without runs, needs no choice. Otherwise
    the one recorded tab that the workbook no longer has is the old name. With
    none or several such tabs the choice is ambiguous.

    Runs set aside by `pipesheet rename-tab` are read by no run, so their tabs
    are never taken as the old name.

    Before: tab Pipeline; runs of Deals; the workbook has Pipeline, Funnel.
    After: renamed_from 'Deals'.
    """
    recorded_tabs = [
        name for name in recorded_tabs if not SET_ASIDE_NAME.fullmatch(name)
    ]
    folded = tab.casefold()
    if not recorded_tabs or any(name.casefold() == folded for name in recorded_tabs):
        return TabHistoryChoice()

    present = {name.casefold() for name in workbook_tabs}
    if folded not in present:
        return TabHistoryChoice()  # The run stops: the workbook has no such tab.
    missing = [name for name in recorded_tabs if name.casefold() not in present]
    if len(missing) == 1:
        return TabHistoryChoice(renamed_from=missing[0])
    return TabHistoryChoice(other_tabs=tuple(recorded_tabs))


def carry_over_renamed_tab(
    store: StateStore,
    key: str,
    tab: str,
    choice: TabHistoryChoice,
    *,
    dry_run: bool,
    workbook: str | None = None,
) -> str:
    """Apply ``choice`` for a run of ``tab`` and return the tab to read history of.

    A real run records the old tab's runs as runs of ``tab``, so later runs
    find them under the new name. A dry run records nothing and reads the old
    tab's history. An ambiguous choice changes nothing and logs a warning
    that explains how to carry a history over by hand.

    :param workbook: the workbook's name in messages, such as a spreadsheet's
        title; default ``key``.
    """
    name = workbook if workbook is not None else key
    old = choice.renamed_from
    if old is not None and dry_run:
        logger.warning(
            "Tab %r of workbook %r has no recorded runs, and tab %r has runs but "
            "is no longer in the workbook, so this dry run reads the stage "
            "history of %r as that of %r renamed. A real run records the rename.",
            tab,
            name,
            old,
            old,
            tab,
        )
        return old
    if old is not None:
        store.rename_tab(key, old, tab)
        logger.warning(
            "Tab %r of workbook %r has no recorded runs, and tab %r has runs but "
            "is no longer in the workbook, so %r is taken as %r renamed: the runs "
            "and stage history of %r now count for %r.",
            tab,
            name,
            old,
            tab,
            old,
            old,
            tab,
        )
        return tab

    if choice.other_tabs:
        listed = ", ".join(repr(name) for name in choice.other_tabs)
        example = shlex.quote(choice.other_tabs[0])
        logger.warning(
            "Tab %r of workbook %r has no recorded runs, so its stage history "
            "starts with this run. The workbook has runs of tab %s. If %r is "
            "one of them renamed, carry that history over with 'pipesheet "
            "rename-tab OLD_TAB CONFIG' (e.g. 'pipesheet rename-tab %s CONFIG'). "
            "If it is a pipeline of its own, nothing needs doing.",
            tab,
            name,
            listed,
            tab,
            example,
        )
    return tab
