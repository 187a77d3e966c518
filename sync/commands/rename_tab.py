"""``pipesheet rename-tab``: carry a pipeline tab's run history over to a new name.

A run whose tab has no recorded runs carries the history over by itself when
exactly one tab with runs is gone from the workbook. This command is for the
other cases, which a run reports in a warning.
"""

from __future__ import annotations

import datetime as dt

import click
from rich.console import Console
from rich.text import Text

from sync.commands.history import (
    _no_runs_message,
    _selected_workbook,
    source_option,
    state_option,
)
from sync.state.errors import RunNotFoundError, StateError

# Renaming takes two short transactions. The lock keeps runs out meanwhile.
LOCK_TTL = dt.timedelta(minutes=1)


@click.command("rename-tab")
@click.argument("old_tab", metavar="OLD_TAB")
@click.argument("config", metavar="CONFIG")
@source_option
@state_option
def rename_tab(old_tab: str, config: str, source: str | None, state: str) -> None:
    """Count the recorded runs of OLD_TAB as runs of CONFIG's tab.

    Use it after renaming the pipeline tab (and source.tab), so the stage
    history continues under the new name. Runs that CONFIG's tab already has
    are kept as tab "TAB (set aside)", or "TAB (set aside 2)" and so on when
    that name is taken: `history` lists them, runs ignore them.
    """
    selected = _selected_workbook(config, source)
    assert selected is not None  # CONFIG is a required argument.
    key, tab = selected
    old_tab = old_tab.strip()
    if old_tab.casefold() == tab.casefold():
        raise click.UsageError(
            f"OLD_TAB {old_tab!r} is the tab of {config!r} already; pass the "
            "tab's former name."
        )

    from rules.messages import counted
    from sync.renamed_tab import set_aside_name
    from sync.state.locks import new_lock_holder
    from sync.state.store import StateStore

    with StateStore.open(state, create=False) as store:
        if not store.runs(key, 1, tab=old_tab):
            raise RunNotFoundError(_no_runs_message(store, state, key, old_tab))
        holder = new_lock_holder()
        if not store.acquire_lock(key, holder, LOCK_TTL, dt.datetime.now(dt.UTC)):
            raise StateError(
                f"Workbook {key!r} is being synced; nothing was renamed. Run "
                "'pipesheet rename-tab' again when the run has finished."
            )
        try:
            set_aside = set_aside_name(tab, store.tabs(key))
            set_aside_count = store.rename_tab(key, tab, set_aside)
            moved = store.rename_tab(key, old_tab, tab)
        finally:
            store.release_lock(key, holder)

    message = (
        f"{counted(moved, 'run')} of tab {old_tab!r} of workbook {key!r} now "
        f"{'counts' if moved == 1 else 'count'} for tab {tab!r}."
    )
    if set_aside_count:
        message += (
            f" Tab {tab!r} had {counted(set_aside_count, 'run')} of its own, now "
            f"listed as tab {set_aside!r} and read by no run."
        )
    Console().print(Text(message), soft_wrap=True)
