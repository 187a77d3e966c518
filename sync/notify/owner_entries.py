"""The warnings about digests that reach no one.

An owner without an entry in ``notifications.owners`` gets no digest of their
own. That warning comes on every run, in one line for all owners, and also
names the entries that match no owner, one of which may be the owner's old or
misspelt name (``Dietr`` for ``Dieter``). Without ``manager_digest_to`` the
items of deals with a blank owner cell reach no one. That warning comes once a
day, because ``serve`` may run a workbook every few minutes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable, Sequence

from config.models import EmailChannel, Notifications
from rules.close_spellings import CloseSpellings, is_one_typo_apart, spelling_skeleton
from rules.digest import DigestItem
from rules.messages import counted, first_and_more
from rules.text_forms import owner_key
from sync.notify.ledger import DigestLedger
from sync.run import RunResult

logger = logging.getLogger(__name__)

# A team can have many owners, so a log line names at most this many owners
# without an entry, and as many entries without deals, and counts the rest.
OWNERS_NAMED = 5

# The ledger's channel for "this warning was logged that day". Channel ids of
# a definition cannot be blank, so no digest is recorded under it.
MISSING_ENTRY_LOGGED = ""
# The ledger's owner for "the items with a blank owner cell were logged that
# day". Owners of digests are never blank, so no digest is recorded under it.
BLANK_OWNER = ""


def warn_owner_entries(result: RunResult, notifications: Notifications) -> None:
    """Log, on every run, owners without an entry and entries without deals.

    Each run logs it again, unlike the warning about blank owner cells, because
    a renamed owner otherwise stops getting digests without notice. Nothing is
    logged when ``notifications.owners`` is empty: then no owner gets a digest
    of their own by design.
    """
    if not notifications.owners:
        return
    if "owner" in result.columns.fields:
        owner_cells = Counter(deal.values.get("owner") for deal in result.deals)
        header = result.columns.header_of("owner")
    else:
        owner_cells = Counter()
        header = None
    message = describe_owner_entries(
        notifications,
        owner_cells.items(),
        tab=result.tab,
        workbook=result.workbook,
        owner_header=header,
    )
    if message is not None:
        logger.warning("%s", message)


def describe_owner_entries(
    notifications: Notifications,
    owner_cells: Iterable[tuple[object, int]],
    *,
    tab: str,
    workbook: str,
    owner_header: str | None,
) -> str | None:
    """Describe the sheet's owners without an entry and the entries without deals.

    Returns one message for all of them, or None when every owner has an
    entry and every entry has deals. Spellings that differ only in case and
    spacing are one owner, as :meth:`Notifications.contact_of` matches them.

    :param owner_cells: pairs of an owner cell value and its number of deal
        rows. Blank and non-text values are left out.
    :param owner_header: the header of the owner column, None when the
        definition maps none.
    """
    rows_by_key, spellings_by_key = _group_owner_cells(owner_cells)
    entry_keys = {owner_key(name) for name in notifications.owners}
    missing = [key for key in spellings_by_key if key not in entry_keys]
    unused = [
        name for name in notifications.owners if owner_key(name) not in rows_by_key
    ]
    if not missing and not unused:
        return None

    sentences = []
    if missing:
        owners = [spellings_by_key[key][0] for key in missing]
        suggestions = suggest_entries(owners, unused)
        named = [
            _named_owner(spellings_by_key[key], rows_by_key[key], suggestions)
            for key in missing
        ]
        if len(missing) == 1:
            subject = f"1 owner of tab {tab!r} in {workbook} has"
            effect = "gets no digest of its own"
        else:
            subject = f"{len(missing):,} owners of tab {tab!r} in {workbook} have"
            effect = "get no digest of their own"
        sentences.append(
            f"{subject} no entry in notifications.owners and {effect}: "
            f"{_listed(named)}."
        )
    if unused:
        if len(unused) == 1:
            subject = "1 entry in notifications.owners matches"
        else:
            subject = f"{len(unused):,} entries in notifications.owners match"
        entries = [repr(name) for name in unused]
        sentences.append(
            f"{subject} no owner with deals on the tab: {_listed(entries)}."
        )
    if owner_header is None:
        sentences.append(
            "The definition maps no owner column, so no deal has an owner: add "
            "columns.owner to the definition."
        )
    else:
        sentences.append(
            "Add each owner under notifications.owners as column "
            f"{owner_header!r} spells the name (case and spaces do not matter), "
            "and rename or remove the entries that match no owner."
        )
    if missing:
        sentences.append(_fallback(notifications))
    return "digests: " + " ".join(sentences)


def _group_owner_cells(
    owner_cells: Iterable[tuple[object, int]],
) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Return the rows and the spellings of each owner, by :func:`owner_key`."""
    rows_by_key: dict[str, int] = {}
    spellings_by_key: dict[str, list[str]] = {}
    for value, rows in owner_cells:
        if not isinstance(value, str) or not value.strip():
            continue
        key = owner_key(value)
        rows_by_key[key] = rows_by_key.get(key, 0) + rows
        spellings_by_key.setdefault(key, []).append(value)
    return rows_by_key, spellings_by_key


def _named_owner(
    spellings: Sequence[str], rows: int, suggestions: dict[str, str]
) -> str:
    """Name an owner in all spellings, with the rows and a misspelt entry if any.

    >>> _named_owner(["Robert", "robert "], 6, {"Robert": "Robrt"})
    "'Robert' or 'robert ' (6 rows; the entry 'Robrt' may be meant for it)"
    """
    named = " or ".join(repr(spelling) for spelling in spellings)
    details = counted(rows, "row")
    entry = suggestions.get(spellings[0])
    if entry is not None:
        details += f"; the entry {entry!r} may be meant for it"
    return f"{named} ({details})"


def _listed(names: Sequence[str]) -> str:
    return first_and_more(names, OWNERS_NAMED)


def _fallback(notifications: Notifications) -> str:
    if notifications.manager_digest_to is not None:
        return "Until then their items go only into the manager's digest."
    if any(
        isinstance(channel, EmailChannel) and channel.to
        for channel in notifications.channels
    ):
        return (
            "Until then their digests go only to the 'to' addresses of the "
            "e-mail channels."
        )
    return (
        "Until then their items reach no one, because "
        "notifications.manager_digest_to is not set either."
    )


def suggest_entries(owners: Sequence[str], entries: Sequence[str]) -> dict[str, str]:
    """Return, by owner, the one unused entry that misspells the owner's name.

    A spelling variant counts (``Anna-Lena`` for ``Anna Lena``), and so does one
    typo, also in a short name: unlike a cell value, the entry matches no
    owner of the sheet, so it is not another owner's name. An owner with two
    close entries gets none.

    >>> suggest_entries(["Dieter", "Bo"], ["Dietr", "Ana"])
    {'Dieter': 'Dietr'}
    """
    spellings = CloseSpellings(entries)
    suggestions: dict[str, str] = {}
    for owner in owners:
        variant = spellings.nearest(owner)
        skeleton = spelling_skeleton(owner)
        typos = [
            entry
            for entry in entries
            if is_one_typo_apart(skeleton, spelling_skeleton(entry))
        ]
        if variant is not None:
            suggestions[owner] = variant
        elif len(typos) == 1:
            suggestions[owner] = typos[0]
    return suggestions


def _note_logged_once(
    ledger: DigestLedger,
    workbook_key: str,
    owner: str,
    digest_date: dt.date,
    now: dt.datetime,
) -> None:
    # A failure only means the warning is logged again on the next run.
    try:
        ledger.record_sent(
            workbook_key, owner, MISSING_ENTRY_LOGGED, digest_date, "", set(), now
        )
    except Exception as error:  # The run is recorded already; only the note fails.
        logger.debug(
            "digests workbook=%s: warning about owner %r not noted as logged: %s",
            workbook_key,
            owner,
            error,
        )


def log_items_without_owner(
    result: RunResult,
    items: Sequence[DigestItem],
    ledger: DigestLedger,
    workbook_key: str,
    now: dt.datetime,
) -> None:
    """Warn, once a day, about digest items of deals with a blank owner cell.

    Call it only when ``notifications.manager_digest_to`` is not set, because
    otherwise the manager's digest lists these items.

    :param now: the current time (aware), recorded when the warning is logged.
    """
    # Items on no row (a problem with the tab itself) have no owner either. The
    # owner column cannot fix them, so they are not counted here.
    unowned = [item for item in items if not item.owner and item.row is not None]
    if not unowned:
        return
    if ledger.was_sent(workbook_key, BLANK_OWNER, MISSING_ENTRY_LOGGED, result.as_of):
        return

    rows = counted(len({item.row for item in unowned}), "row")
    if "owner" in result.columns.fields:
        header = result.columns.header_of("owner")
        where = f"on {rows} of tab {result.tab!r} in {result.workbook} with a blank "
        where += f"{header!r} cell"
        cause = ""
        fix = "Fill in the owners in the sheet"
    else:
        where = f"on {rows} of tab {result.tab!r} in {result.workbook}"
        cause = "the definition maps no owner column and "
        fix = "Add columns.owner to the definition"
    logger.warning(
        "digests: %s (follow-ups and problems) %s %s no one, because %s"
        "notifications.manager_digest_to is not set. %s, or set "
        "notifications.manager_digest_to in the definition.",
        counted(len(unowned), "digest item"),
        where,
        "reaches" if len(unowned) == 1 else "reach",
        cause,
        fix,
    )
    _note_logged_once(ledger, workbook_key, BLANK_OWNER, result.as_of, now)
