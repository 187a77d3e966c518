"""``pipesheet rename-workbook``: carry a workbook's run history over to a new key.

The state database keys a workbook by its resolved path, or by its Google
spreadsheet id. After the workbook's folder is moved or the file renamed, a
run finds no history under the new path, leaves the Stage log tab as it was
and warns. This command records the old path's runs under the new one.
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Sequence
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from sync.commands.history import state_option
from sync.state.errors import RunNotFoundError, StateError
from sync.state.keys import spreadsheet_id

# Renaming takes two short transactions. The locks keep runs out meanwhile.
LOCK_TTL = dt.timedelta(minutes=1)


@click.command("rename-workbook")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@state_option
def rename_workbook(old: str, new: str, state: str) -> None:
    """Count the recorded runs of workbook OLD as runs of workbook NEW.

    Use it after moving the workbook's folder or renaming the file (and
    source.path), so its stage history continues. OLD and NEW are file paths,
    resolved as runs resolve them, or Google spreadsheet ids or URLs;
    `pipesheet history` lists the workbooks with runs. Runs that NEW already
    has are kept as workbook "NEW (set aside)", or "NEW (set aside 2)" and so
    on when that name is taken: `history` lists them, runs ignore them.
    """
    from rules.messages import counted
    from sync.renamed_tab import set_aside_name
    from sync.state.locks import new_lock_holder
    from sync.state.store import StateStore

    with StateStore.open(state, create=False) as store:
        known = store.workbooks()
        old_key = _recorded_key(old, known, state)
        new_key = _new_key(new, old_key)
        if new_key == old_key:
            raise click.UsageError(
                f"NEW {new!r} is workbook {old_key!r} already; pass the "
                "workbook's new path or spreadsheet id."
            )

        holder = new_lock_holder()
        now = dt.datetime.now(dt.UTC)
        locked = [
            key
            for key in (old_key, new_key)
            if store.acquire_lock(key, holder, LOCK_TTL, now)
        ]
        try:
            if len(locked) < 2:
                raise StateError(
                    f"Workbook {old_key!r} or {new_key!r} is being synced; nothing "
                    "was renamed. Run 'pipesheet rename-workbook' again when the "
                    "run has finished."
                )
            set_aside = set_aside_name(new_key, known)
            set_aside_count = store.rename_workbook(new_key, set_aside)
            moved = store.rename_workbook(old_key, new_key)
        finally:
            for key in locked:
                store.release_lock(key, holder)

    message = (
        f"{counted(moved, 'run')} of workbook {old_key!r} now "
        f"{'counts' if moved == 1 else 'count'} for workbook {new_key!r}."
    )
    if set_aside_count:
        message += (
            f" Workbook {new_key!r} had {counted(set_aside_count, 'run')} of its "
            f"own, now listed as workbook {set_aside!r} and read by no run."
        )
    Console().print(Text(message), soft_wrap=True)


def _recorded_key(text: str, known: Sequence[str], state: str) -> str:
    """Return the workbook key of the state database that ``text`` names."""
    candidates = [text.strip(), _path_key(text), spreadsheet_id(text)]
    for candidate in candidates:
        if candidate in known:
            return candidate
    listed = ", ".join(shlex.quote(key) for key in known) or "none"
    raise RunNotFoundError(
        f"No runs of workbook {text!r} recorded in {state}. Pass OLD as "
        f"`pipesheet history` lists it; workbooks with runs: {listed}."
    )


def _new_key(text: str, old_key: str) -> str:
    """Return NEW's key: a resolved path, which must exist, or a spreadsheet id.

    :raises click.UsageError: NEW names no file, as a mistyped path does.
    """
    if not Path(old_key).is_absolute():
        return spreadsheet_id(text)
    key = _path_key(text)
    if not Path(key).is_file():
        raise click.UsageError(
            f"NEW {text!r} is not a file ({key!r} not found). Move or rename the "
            "workbook first, then pass its new path."
        )
    return key


def _path_key(text: str) -> str:
    return str(Path(text.strip()).expanduser().resolve())
