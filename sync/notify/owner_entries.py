"""The warnings about digest items that reach no one, each once a day.

An owner without an entry in ``notifications.owners`` gets no digest, and
without ``manager_digest_to`` the items of deals with a blank owner cell reach
no one. The warnings come once a day, not on every run, because ``serve`` may
run a workbook every few minutes, and name each owner once. The owner warning
also names an entry that matches no owner and is spelt close to the owner's
name (``Dietr`` for ``Dieter``), which is the usual cause.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence

from config.models import Notifications, OwnerContact
from rules.close_spellings import CloseSpellings, is_one_typo_apart, spelling_skeleton
from rules.digest import DigestItem, OwnerDigest
from rules.messages import counted
from sync.notify.ledger import DigestLedger
from sync.run import RunResult

logger = logging.getLogger(__name__)

# A team can have many owners, so a log line names at most this many owners
# without a contact and counts the rest. DEBUG lists them all.
OWNERS_NAMED = 5

# The ledger's channel for "this owner's missing entry was logged that day".
# Channel ids of a definition cannot be blank, so no digest is recorded under it.
MISSING_ENTRY_LOGGED = ""
# The ledger's owner for "the items with a blank owner cell were logged that
# day". Owners of digests are never blank, so no digest is recorded under it.
BLANK_OWNER = ""


def log_owners_without_entry(
    addressed: Sequence[tuple[OwnerDigest, OwnerContact | None]],
    notifications: Notifications,
    deal_owners: Iterable[str],
    ledger: DigestLedger,
    workbook_key: str,
    now: dt.datetime,
    *,
    catch_all: bool,
) -> None:
    """Log the owners of digests without a contact, each once a day.

    :param deal_owners: the owner cells of the run's deals, to find entries
        that match no owner.
    :param catch_all: a channel, such as an e-mail channel with "to"
        addresses, delivers the digests of owners without a contact too.
    """
    missing = [digest for digest, contact in addressed if contact is None]
    if not missing:
        return
    logger.debug("owners without a contact: %s", ", ".join(d.owner for d in missing))
    if catch_all:
        return  # Their digests go to the channel's fixed addresses.

    unlogged = [
        digest.owner
        for digest in missing
        if not ledger.was_sent(
            workbook_key, digest.owner, MISSING_ENTRY_LOGGED, digest.digest_date
        )
    ]
    if not unlogged:
        return
    suggestions = suggest_entries(unlogged, unused_entries(notifications, deal_owners))
    _log_missing(unlogged, suggestions, manager_digest=notifications.manager_digest_to)
    _note_logged(missing, unlogged, ledger, workbook_key, now)


def unused_entries(
    notifications: Notifications, deal_owners: Iterable[str]
) -> list[str]:
    """Return the names under ``notifications.owners`` that match no deal owner."""
    used = {id(notifications.contact_of(owner)) for owner in deal_owners}
    return [
        name
        for name, contact in notifications.owners.items()
        if id(contact) not in used
    ]


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


def _log_missing(
    owners: Sequence[str],
    suggestions: dict[str, str],
    *,
    manager_digest: OwnerContact | None,
) -> None:
    named = ", ".join(_named(owner, suggestions) for owner in owners[:OWNERS_NAMED])
    if len(owners) > OWNERS_NAMED:
        named += f" and {len(owners) - OWNERS_NAMED} more"
    count = (
        "1 owner has no entry in notifications.owners and gets"
        if len(owners) == 1
        else f"{len(owners)} owners have no entry in notifications.owners and get"
    )
    fix = "Add them under notifications.owners in the definition"
    if suggestions:
        fix += ", or correct the entries named in brackets"
    if manager_digest is not None:
        level = logging.INFO
        fallback = "Their items still go into the manager's digest."
    else:
        level = logging.WARNING
        fallback = (
            "Until then their items reach no one, because "
            "notifications.manager_digest_to is not set either."
        )
    logger.log(level, "digests: %s no digest: %s. %s. %s", count, named, fix, fallback)


def _named(owner: str, suggestions: dict[str, str]) -> str:
    entry = suggestions.get(owner)
    if entry is None:
        return repr(owner)
    return f"{owner!r} (the entry {entry!r} matches no owner; did you mean {owner!r}?)"


def _note_logged(
    missing: Sequence[OwnerDigest],
    logged: Sequence[str],
    ledger: DigestLedger,
    workbook_key: str,
    now: dt.datetime,
) -> None:
    for digest in missing:
        if digest.owner in logged:
            _note_logged_once(
                ledger, workbook_key, digest.owner, digest.digest_date, now
            )


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
