"""Daily digests: each owner's overdue and due-soon follow-ups and problems.

Building a digest is pure. Which items earlier digests already carried comes in
as ``already_sent``; sending digests and remembering what was sent is the job
of :mod:`sync.notify`.

An item's identity is a hash of the deal ID (the row number for a deal without
one), the finding code, the field and the due date. So a follow-up whose date is
moved, or that turns from due soon to overdue, is new again, while a problem
that stays on a deal keeps its identity from day to day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from config.models import Pipeline
from rules.deals import ColumnMap, Deal
from rules.digest_text import (
    DigestLine,
    DigestText,
    render_digest,
    render_item,
    render_markdown_within,
)
from rules.findings import LAYOUT_CODES, Code, Finding, Severity
from rules.followups import (
    ACKNOWLEDGED_FIELD,
    NEXT_STEP_DATE_FIELD,
    SNOOZE_FIELD,
    Followup,
    FollowupState,
    is_followup_suppressed,
)
from rules.text_forms import owner_key, tidy_spaces

# Findings worth a message; info findings stay in the Problems tab.
PROBLEM_SEVERITIES = (Severity.ERROR, Severity.WARNING)
# Findings a follow-up item already stands for, so they are not listed twice.
LISTED_AS_FOLLOWUPS = frozenset({Code.FOLLOWUP_OVERDUE, Code.FOLLOWUP_DUE_SOON})
# Findings about the next step that a snooze date or acknowledged mark silences.
FOLLOWUP_CODES = LISTED_AS_FOLLOWUPS | {Code.NO_NEXT_STEP}


class DigestItemKind(StrEnum):
    OVERDUE = "overdue"
    DUE_SOON = "due-soon"
    PROBLEM = "problem"


_KIND_ORDER = {DigestItemKind.OVERDUE: 0, DigestItemKind.DUE_SOON: 1}
_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class DigestItem:
    """One entry of a digest: a follow-up or a problem on one deal.

    ``owner`` is "" for a deal without one. ``message`` is the full sentence and
    ``short_message`` the few words for chat, both in the pipeline's locale.
    """

    identity: str
    kind: DigestItemKind
    code: Code
    severity: Severity
    owner: str
    deal_id: str | None
    row: int | None
    account: str | None
    stage: str | None
    due: dt.date | None
    message: str
    short_message: str
    is_new: bool = True


@dataclass(frozen=True)
class OwnerDigest:
    """One owner's digest for one day, with its items and rendered bodies.

    ``owner`` names the owner as their entry under ``notifications.owners``
    spells them, or else as most of their rows do. It is None for the
    manager's digest, which no owner cell can name. The subject and bodies
    greet the owner as ``greeted``: as most of their rows spell them ("" for
    the manager's digest). ``text`` is the full plain-text body (e-mail),
    ``chat_text`` and ``markdown`` are shortened bodies for chat webhooks.
    ``content_hash`` is the SHA-256 of subject and text, so equal digests
    have equal hashes.
    ``content`` is what the bodies were rendered from, kept to render a
    shorter chat body for a service with a size limit.
    """

    owner: str | None
    digest_date: dt.date
    items: tuple[DigestItem, ...]
    subject: str
    text: str
    chat_text: str
    markdown: str
    content_hash: str
    greeted: str = ""
    content: DigestText | None = field(default=None, compare=False, repr=False)

    @property
    def identities(self) -> frozenset[str]:
        return frozenset(item.identity for item in self.items)

    def markdown_within(self, max_bytes: int) -> str | None:
        """Return the Markdown chat body in at most ``max_bytes`` bytes of UTF-8.

        It shows fewer items than ``markdown`` when need be, cut whole, and
        keeps the last line that counts the items left out. None when even
        the subject and that line are over the limit.
        """
        if len(self.markdown.encode()) <= max_bytes:
            return self.markdown
        if self.content is None:
            return None
        return render_markdown_within(self.content, max_bytes)

    def count(self, kind: DigestItemKind) -> int:
        """Return how many items of ``kind`` the digest lists."""
        return sum(1 for item in self.items if item.kind is kind)


def build_digests(
    followups: Iterable[Followup],
    findings: Iterable[Finding],
    deals: Iterable[Deal],
    pipeline: Pipeline,
    as_of: dt.date,
    already_sent: Mapping[str, Collection[str]],
    *,
    columns: ColumnMap | None = None,
) -> list[OwnerDigest]:
    """Build one digest per owner with at least one follow-up or problem.

    Digests come in owner order. Items that no earlier digest of that owner
    carried (their identity is not in ``already_sent[owner]``) come first.
    Deals without an owner appear only in :func:`build_team_digest`. Owners are
    grouped by :func:`~rules.text_forms.owner_key` and named as their entry in
    ``notifications.owners`` spells them, or else as most of their items do
    (the first spelling in code point order among equally common ones).

    :param followups: the run's follow-ups; snoozed and acknowledged deals are
        already left out.
    :param findings: the run's findings; only errors and warnings are listed.
    :param deals: the run's deals, to find the owner of a finding's row.
    :param already_sent: item identities of earlier digests, by owner in
        any spelling.
    :param columns: the columns the run matched on the sheet. The hint on
        snoozing names only the snooze and acknowledged columns found there,
        by their headers. None names the columns the definition maps.
    """
    sent_by_key: dict[str, set[str]] = {}
    for owner, identities in already_sent.items():
        sent_by_key.setdefault(owner_key(owner), set()).update(identities)

    by_owner: dict[str, list[DigestItem]] = {}
    for item in collect_items(followups, findings, deals, pipeline, as_of):
        if item.owner:
            by_owner.setdefault(owner_key(item.owner), []).append(item)

    headers = silence_headers(pipeline, columns)
    digests: list[OwnerDigest] = []
    for key, items in sorted(by_owner.items()):
        sent = sent_by_key.get(key, set())
        owner = _owner_name([item.owner for item in items], pipeline)
        digests.append(_build_digest(owner, items, pipeline, as_of, sent, headers))
    return digests


def build_team_digest(
    followups: Iterable[Followup],
    findings: Iterable[Finding],
    deals: Iterable[Deal],
    pipeline: Pipeline,
    as_of: dt.date,
    already_sent: Collection[str],
    *,
    columns: ColumnMap | None = None,
) -> OwnerDigest | None:
    """Build the manager's digest of every owner's items, or None when there are none.

    It also lists items of deals without an owner and findings on no row. Its
    owner is None. ``columns`` is as for :func:`build_digests`.
    """
    items = collect_items(followups, findings, deals, pipeline, as_of)
    if not items:
        return None
    headers = silence_headers(pipeline, columns)
    return _build_digest(None, items, pipeline, as_of, already_sent, headers)


def mark_sent_items(
    digest: OwnerDigest, pipeline: Pipeline, already_sent: Collection[str]
) -> OwnerDigest:
    """Return the digest with the items in ``already_sent`` marked as not new.

    The items are ordered and the bodies rendered again, as
    :func:`build_digests` does for a digest built with ``already_sent``.
    """
    items = list(digest.items)
    if digest.content is None:
        headers = silence_headers(pipeline, None)
    else:
        headers = (digest.content.snooze_header, digest.content.acknowledged_header)
    return _build_digest(
        digest.owner, items, pipeline, digest.digest_date, already_sent, headers
    )


def silence_headers(
    pipeline: Pipeline, columns: ColumnMap | None
) -> tuple[str | None, str | None]:
    """Return the headers of the snooze and acknowledged columns a digest names.

    With ``columns``, a column the sheet lacks is None, and a column found is
    named as the sheet's header writes it. Without, a field the definition
    maps is named by its first alias.
    """
    if columns is not None:
        return (
            _sheet_header(columns, SNOOZE_FIELD),
            _sheet_header(columns, ACKNOWLEDGED_FIELD),
        )
    return (
        _first_alias(pipeline, SNOOZE_FIELD),
        _first_alias(pipeline, ACKNOWLEDGED_FIELD),
    )


def _sheet_header(columns: ColumnMap, field_name: str) -> str | None:
    if field_name not in columns.fields:
        return None
    return columns.header_of(field_name)


def _first_alias(pipeline: Pipeline, field_name: str) -> str | None:
    spec = pipeline.columns.get(field_name)
    return spec.aliases[0] if spec is not None else None


def list_digest_owners(
    followups: Iterable[Followup],
    findings: Iterable[Finding],
    deals: Iterable[Deal],
    pipeline: Pipeline,
    as_of: dt.date,
) -> list[str]:
    """Return the owner keys of the digests :func:`build_digests` would build."""
    items = collect_items(followups, findings, deals, pipeline, as_of)
    keys = {owner_key(item.owner) for item in items if item.owner}
    return sorted(keys)


def collect_items(
    followups: Iterable[Followup],
    findings: Iterable[Finding],
    deals: Iterable[Deal],
    pipeline: Pipeline,
    as_of: dt.date,
) -> list[DigestItem]:
    """Return the digest items of a run: follow-ups first, then problems.

    A problem is an error or warning finding. Follow-up findings are left out,
    because the follow-ups list them, and so is ``no-next-step`` on a snoozed
    or acknowledged deal.
    """
    deals_by_row = {deal.row: deal for deal in deals}
    items = [_followup_item(followup, pipeline) for followup in followups]

    for finding in findings:
        deal = None
        # A layout finding's row may hold any deal, so no owner gets it.
        if finding.row is not None and finding.code not in LAYOUT_CODES:
            deal = deals_by_row.get(finding.row)
        if _is_listed_problem(finding, deal, as_of):
            items.append(_problem_item(finding, deal, pipeline))
    return items


def item_identity(
    deal_id: str | None,
    row: int | None,
    code: Code,
    field: str | None,
    due: dt.date | None,
) -> str:
    """Return the identity of a digest item: a hash of what makes it the same item.

    The hash keeps deal IDs and owner names out of the state database.
    """
    deal_key = deal_id.strip() if deal_id and deal_id.strip() else f"row {row}"
    due_text = due.isoformat() if due is not None else ""
    key = "\x1f".join([deal_key, code.value, field or "", due_text])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _owner_name(spellings: list[str], pipeline: Pipeline) -> str:
    # The entry's spelling stays the same when rows are sorted or retyped. So
    # does the most common spelling, because a tie goes to the first in code
    # point order.
    owner = _most_common_spelling(spellings)
    notifications = pipeline.notifications
    entry = notifications.entry_of(owner) if notifications is not None else None
    return owner if entry is None else entry


def _most_common_spelling(spellings: list[str]) -> str:
    counts = Counter(spellings)
    return min(counts, key=lambda spelling: (-counts[spelling], spelling))


def _greeted_name(owner: str | None, items: Sequence[DigestItem]) -> str | None:
    """Return the name a digest greets, spelled as most of its rows spell it.

    Before: the entry ``ana  lima`` under ``notifications.owners``, and rows
    that spell the owner ``Ana Lima``. After: ``Ana Lima``, because the team
    reads that spelling in the sheet. Runs of spaces become one space, but
    ideographic spaces are kept (see :func:`~rules.text_forms.tidy_spaces`).
    None for the manager's digest, which greets no owner.
    """
    if owner is None:
        return None
    spellings = [item.owner for item in items if item.owner]
    if not spellings:
        return owner
    return tidy_spaces(_most_common_spelling(spellings))


def _is_listed_problem(finding: Finding, deal: Deal | None, as_of: dt.date) -> bool:
    if finding.severity not in PROBLEM_SEVERITIES:
        return False
    if finding.code in LISTED_AS_FOLLOWUPS:
        return False

    suppressed = deal is not None and is_followup_suppressed(deal, as_of)
    return not (finding.code in FOLLOWUP_CODES and suppressed)


def _followup_item(followup: Followup, pipeline: Pipeline) -> DigestItem:
    overdue = followup.state is FollowupState.OVERDUE
    code = Code.FOLLOWUP_OVERDUE if overdue else Code.FOLLOWUP_DUE_SOON
    message, short = render_item(
        _followup_finding(followup, code), followup.next_step, pipeline.outputs.locale
    )

    return DigestItem(
        identity=item_identity(
            followup.deal_id, followup.row, code, NEXT_STEP_DATE_FIELD, followup.due
        ),
        kind=DigestItemKind.OVERDUE if overdue else DigestItemKind.DUE_SOON,
        code=code,
        severity=Severity.WARNING if overdue else Severity.INFO,
        owner=followup.owner,
        deal_id=followup.deal_id,
        row=followup.row,
        account=followup.account,
        stage=followup.stage,
        due=followup.due,
        message=message,
        short_message=short,
    )


def _followup_finding(followup: Followup, code: Code) -> Finding:
    # Rendered through the finding templates, so a follow-up reads the same in
    # a digest as in the status column.
    days = abs(followup.days_overdue)
    return Finding(
        code=code,
        severity=Severity.WARNING,
        row=followup.row,
        deal_id=followup.deal_id,
        field=NEXT_STEP_DATE_FIELD,
        params={"days": str(days), "date": followup.due.isoformat()},
    )


def _problem_item(
    finding: Finding, deal: Deal | None, pipeline: Pipeline
) -> DigestItem:
    message, short = render_item(finding, None, pipeline.outputs.locale)
    owner = (deal.text("owner") or "").strip() if deal is not None else ""
    stage = deal.stage.name if deal is not None and deal.stage is not None else None

    return DigestItem(
        identity=item_identity(
            finding.deal_id, finding.row, finding.code, finding.field, None
        ),
        kind=DigestItemKind.PROBLEM,
        code=finding.code,
        severity=finding.severity,
        owner=owner,
        deal_id=finding.deal_id,
        row=finding.row,
        account=deal.text("account") if deal is not None else None,
        stage=stage,
        due=None,
        message=message,
        short_message=short,
    )


def _build_digest(
    owner: str | None,
    items: list[DigestItem],
    pipeline: Pipeline,
    as_of: dt.date,
    already_sent: Collection[str],
    headers: tuple[str | None, str | None],
) -> OwnerDigest:
    marked = [
        dataclasses.replace(item, is_new=item.identity not in already_sent)
        for item in items
    ]
    ordered = tuple(sorted(marked, key=_item_order))

    first = not already_sent
    greeted = _greeted_name(owner, ordered)
    content = _digest_text(
        greeted, ordered, pipeline, as_of, first=first, headers=headers
    )
    text = render_digest(content)
    hashed = f"{text.subject}\n{text.plain}".encode()
    return OwnerDigest(
        owner=owner,
        digest_date=as_of,
        items=ordered,
        subject=text.subject,
        text=text.plain,
        chat_text=text.chat,
        markdown=text.markdown,
        content_hash=hashlib.sha256(hashed).hexdigest(),
        greeted=greeted or "",
        content=content,
    )


def _digest_text(
    owner: str | None,
    items: tuple[DigestItem, ...],
    pipeline: Pipeline,
    as_of: dt.date,
    *,
    first: bool,
    headers: tuple[str | None, str | None],
) -> DigestText:
    team = owner is None
    lines = [
        DigestLine(
            owner=item.owner if team else None,
            deal_id=item.deal_id,
            row=item.row,
            account=item.account,
            stage=item.stage,
            message=item.message,
            short_message=item.short_message,
            is_new=item.is_new,
        )
        for item in items
    ]
    return DigestText(
        owner=owner,
        pipeline=pipeline,
        digest_date=as_of,
        overdue=sum(1 for item in items if item.kind is DigestItemKind.OVERDUE),
        due_soon=sum(1 for item in items if item.kind is DigestItemKind.DUE_SOON),
        problems=sum(1 for item in items if item.kind is DigestItemKind.PROBLEM),
        lines=lines,
        first=first,
        snoozable=any(item.code in FOLLOWUP_CODES for item in items),
        snooze_header=headers[0],
        acknowledged_header=headers[1],
    )


def _item_order(item: DigestItem) -> tuple[bool, int, int, bool, str, int, int]:
    # New items first. Within new and old: overdue, due soon, then problems,
    # errors before warnings, by owner (blank last), the earliest due date
    # (the most overdue) first, then by row.
    kind = _KIND_ORDER.get(item.kind, len(_KIND_ORDER))
    severity = _SEVERITY_ORDER[item.severity] if kind == len(_KIND_ORDER) else 0
    due = item.due.toordinal() if item.due is not None else 0
    return (
        not item.is_new,
        kind,
        severity,
        item.owner == "",
        owner_key(item.owner),
        due,
        item.row or 0,
    )
