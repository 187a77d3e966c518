"""Row checks: the findings a pipeline definition's stage rules produce for deals.

Parsing (``rules.rows``) already reported cells it could not read and stages it
did not know, so these checks look only at what parsed cleanly.
"""

from __future__ import annotations

import datetime as dt
import difflib
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from config.models import ID_FIELD, STAGE_FIELD, Pipeline
from rules.cells import display_value
from rules.deals import ColumnMap, Deal
from rules.findings import Code, Finding, Severity
from rules.followups import (
    NEXT_STEP_DATE_FIELD,
    FollowupState,
    classify_followup,
    is_followup_suppressed,
    is_open,
)
from rules.grid import is_blank

STAGE_ENTERED_FIELD = "stage_entered_date"
CLOSE_DATE_FIELD = "close_date"

# difflib similarity below which an allowed value is not offered as a suggestion.
# 'GTXPro' against 'GTX Pro' scores 0.92, 'Acme' against 'Zenith' 0.2.
SUGGESTION_CUTOFF = 0.6
# Allowed values quoted in a finding when no single one is close enough.
CHOICES_SHOWN = 8


@dataclass
class AllowedList:
    """One field's allowed values, normalised once per run for fast lookups."""

    values: list[str]
    ignore_case: bool
    keys: dict[str, str] = field(init=False)
    folded: dict[str, str] = field(init=False)
    suggestions: dict[str, str | None] = field(init=False, default_factory=dict)
    # Keys by cell text, kept because a column repeats a few values on many rows.
    known_keys: dict[str, str] = field(
        init=False, default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.keys = {self.key_of(value): value for value in self.values}
        self.folded = {key.casefold(): value for key, value in self.keys.items()}

    def key_of(self, text: str) -> str:
        """Return ``text`` as compared: NFC, single spaces, casefolded if asked."""
        if text not in self.known_keys:
            key = unicodedata.normalize("NFC", " ".join(text.split()))
            self.known_keys[text] = key.casefold() if self.ignore_case else key
        return self.known_keys[text]

    def suggest(self, key: str) -> str | None:
        """Return the allowed value nearest to ``key``, or None when none is close.

        Suggestions ignore case even for a case-sensitive list, so that 'gtx pro'
        still points at 'GTX Pro'.
        """
        folded = key.casefold()
        if folded not in self.suggestions:
            matches = difflib.get_close_matches(
                folded, list(self.folded), n=1, cutoff=SUGGESTION_CUTOFF
            )
            self.suggestions[folded] = self.folded[matches[0]] if matches else None
        return self.suggestions[folded]


@dataclass(frozen=True)
class CheckContext:
    """Inputs every deal check needs besides the deal: columns, rules and today."""

    columns: ColumnMap
    pipeline: Pipeline
    allowed: dict[str, AllowedList]
    as_of: dt.date


# The severity of each finding these checks produce.
SEVERITIES: dict[Code, Severity] = {
    Code.DUPLICATE_ID: Severity.ERROR,
    Code.MISSING_REQUIRED: Severity.ERROR,
    Code.UNKNOWN_VALUE: Severity.ERROR,
    Code.CLOSE_DATE_PASSED: Severity.WARNING,
    Code.FOLLOWUP_OVERDUE: Severity.WARNING,
    Code.FOLLOWUP_DUE_SOON: Severity.INFO,
    Code.NO_NEXT_STEP: Severity.WARNING,
    Code.IDLE_IN_STAGE: Severity.WARNING,
}

DealCheck = Callable[[Deal, CheckContext], list[Finding]]


def check_deals(
    deals: list[Deal],
    columns: ColumnMap,
    pipeline: Pipeline,
    allowed: Mapping[str, Collection[str]],
    as_of: dt.date,
) -> list[Finding]:
    """Check every deal against the stage rules and return the findings by row.

    ``allowed`` maps a field to its allowed values, already read from the
    definition or from a list tab. Within a row, findings keep the order of
    ``DEAL_CHECKS``, after any ``duplicate-id``.
    """
    context = CheckContext(columns, pipeline, prepare_allowed(allowed, pipeline), as_of)
    findings = find_duplicate_ids(deals, columns)

    for deal in deals:
        for check in DEAL_CHECKS:
            findings.extend(check(deal, context))
    return sorted(findings, key=lambda finding: finding.row or 0)


def prepare_allowed(
    allowed: Mapping[str, Collection[str]], pipeline: Pipeline
) -> dict[str, AllowedList]:
    """Return the allowed lists keyed by field, with each list's case rule."""
    lists: dict[str, AllowedList] = {}
    for field_name, values in allowed.items():
        spec = pipeline.allowed.get(field_name)
        ignore_case = spec.ignore_case if spec is not None else True
        lists[field_name] = AllowedList(list(values), ignore_case)
    return lists


def find_duplicate_ids(deals: list[Deal], columns: ColumnMap) -> list[Finding]:
    """Return a ``duplicate-id`` error on every deal whose trimmed ID another has."""
    deal_ids = [(deal.deal_id or "").strip() for deal in deals]
    counts = Counter(deal_ids)
    deals_by_id: dict[str, list[Deal]] = defaultdict(list)
    for deal_id, deal in zip(deal_ids, deals, strict=True):
        if deal_id and counts[deal_id] > 1:
            deals_by_id[deal_id].append(deal)

    findings: list[Finding] = []
    for sharing in deals_by_id.values():
        findings.extend(_duplicate_finding(deal, sharing, columns) for deal in sharing)
    return findings


def check_required(deal: Deal, context: CheckContext) -> list[Finding]:
    """Return ``missing-required`` for each blank field the deal's stage requires.

    A required field that is not mapped is a definition problem and the model
    rejects it, so it is skipped here. A blank ID already has ``missing-id``.
    """
    if deal.stage is None:
        return []
    missing = [
        name
        for name in deal.stage.required
        if name != ID_FIELD
        and name in context.columns.fields
        and is_blank(deal.raw.get(name))
    ]
    params = {"stage": deal.stage.name}
    return [
        _finding(Code.MISSING_REQUIRED, deal, context.columns, name, params)
        for name in missing
    ]


def check_allowed_values(deal: Deal, context: CheckContext) -> list[Finding]:
    """Return ``unknown-value`` for each filled field whose value is not allowed.

    The stage field is skipped because parsing reports unknown stages itself.
    """
    findings: list[Finding] = []
    for name, allowed in context.allowed.items():
        value = deal.values.get(name)
        if name == STAGE_FIELD or name not in context.columns.fields or value is None:
            continue

        text = value if isinstance(value, str) else display_value(value)
        key = allowed.key_of(text)
        if key in allowed.keys:
            continue
        params = _unknown_value_params(allowed, key, context.pipeline, name)
        findings.append(
            _finding(Code.UNKNOWN_VALUE, deal, context.columns, name, params)
        )
    return findings


def check_close_date(deal: Deal, context: CheckContext) -> list[Finding]:
    """Return ``close-date-passed`` when an open deal's expected close is past."""
    close_date = deal.date(CLOSE_DATE_FIELD)
    if not is_open(deal) or close_date is None or close_date >= context.as_of:
        return []
    params = {
        "days": str((context.as_of - close_date).days),
        "date": close_date.isoformat(),
    }
    return [
        _finding(
            Code.CLOSE_DATE_PASSED, deal, context.columns, CLOSE_DATE_FIELD, params
        )
    ]


def check_followup(deal: Deal, context: CheckContext) -> list[Finding]:
    """Return the follow-up finding of an open deal: overdue, due soon or missing.

    Nothing is checked when the next-step date column is not mapped, or when the
    deal is snoozed or acknowledged.
    """
    if NEXT_STEP_DATE_FIELD not in context.columns.fields or not is_open(deal):
        return []
    if is_followup_suppressed(deal, context.as_of):
        return []

    due = deal.date(NEXT_STEP_DATE_FIELD)
    if due is None:
        return _check_next_step_present(deal, context)
    return _check_next_step_due(deal, due, context)


def check_idle(deal: Deal, context: CheckContext) -> list[Finding]:
    """Return ``idle-in-stage`` when a deal stayed longer than its stage allows."""
    entered = deal.date(STAGE_ENTERED_FIELD)
    if deal.stage is None or deal.stage.idle_days is None or entered is None:
        return []
    if STAGE_ENTERED_FIELD not in context.columns.fields:
        return []

    days = (context.as_of - entered).days
    if days <= deal.stage.idle_days:
        return []
    params = {
        "days": str(days),
        "limit": str(deal.stage.idle_days),
        "stage": deal.stage.name,
    }
    return [
        _finding(Code.IDLE_IN_STAGE, deal, context.columns, STAGE_ENTERED_FIELD, params)
    ]


DEAL_CHECKS: tuple[DealCheck, ...] = (
    check_required,
    check_allowed_values,
    check_close_date,
    check_followup,
    check_idle,
)


def _check_next_step_present(deal: Deal, context: CheckContext) -> list[Finding]:
    # A filled but unreadable date already has a bad-date finding from parsing.
    if deal.stage is None or not is_blank(deal.raw.get(NEXT_STEP_DATE_FIELD)):
        return []
    required = deal.stage.next_step_required
    if required is None:
        required = context.pipeline.followups.require_next_step_date
    if not required:
        return []
    params = {"stage": deal.stage.name}
    return [
        _finding(Code.NO_NEXT_STEP, deal, context.columns, NEXT_STEP_DATE_FIELD, params)
    ]


def _check_next_step_due(
    deal: Deal, due: dt.date, context: CheckContext
) -> list[Finding]:
    due_soon_days = context.pipeline.followups.due_soon_days
    state = classify_followup(due, context.as_of, due_soon_days)
    if state is None:
        return []

    params = {"date": due.isoformat()}
    if state is FollowupState.OVERDUE:
        code = Code.FOLLOWUP_OVERDUE
        params["days"] = str((context.as_of - due).days)
    else:
        code = Code.FOLLOWUP_DUE_SOON
        params["days"] = str((due - context.as_of).days)
    return [_finding(code, deal, context.columns, NEXT_STEP_DATE_FIELD, params)]


def _duplicate_finding(deal: Deal, sharing: list[Deal], columns: ColumnMap) -> Finding:
    # NOTE: each finding lists every other row of its group, so k rows sharing
    # one ID cost time and text in proportion to k squared.
    others = [str(other.row) for other in sharing if other is not deal]
    params = {"rows": ", ".join(others), "count": str(len(sharing))}
    return _finding(Code.DUPLICATE_ID, deal, columns, ID_FIELD, params)


def _unknown_value_params(
    allowed: AllowedList, key: str, pipeline: Pipeline, field_name: str
) -> dict[str, str]:
    quoted = allowed.values[:CHOICES_SHOWN]
    more = ", …" if len(allowed.values) > len(quoted) else ""
    params = {
        "choices": ", ".join(quoted) + more,
        "choice_count": str(len(allowed.values)),
    }
    suggestion = allowed.suggest(key)
    if suggestion is not None:
        params["suggestion"] = suggestion

    spec = pipeline.allowed.get(field_name)
    if spec is not None and spec.from_tab is not None:
        params["list_tab"] = spec.from_tab.tab
        params["list_column"] = spec.from_tab.column
    return params


def _finding(
    code: Code, deal: Deal, columns: ColumnMap, field_name: str, params: dict[str, str]
) -> Finding:
    return Finding(
        code=code,
        severity=SEVERITIES[code],
        row=deal.row,
        column=columns.header_of(field_name),
        value=_cell_text(deal, field_name),
        deal_id=deal.deal_id,
        field=field_name,
        params=dict(params),
    )


def _cell_text(deal: Deal, field_name: str) -> str | None:
    # A parsed date reads better than the serial number or datetime behind it.
    parsed = deal.values.get(field_name)
    if isinstance(parsed, dt.date):
        return parsed.isoformat()
    raw = deal.raw.get(field_name, parsed)
    return None if is_blank(raw) else display_value(raw)
