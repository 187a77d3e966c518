"""Row checks: the findings a pipeline definition's stage rules produce for deals.

Parsing (``rules.rows``) already reported cells it could not read and stages it
did not know, so these checks look only at what parsed cleanly.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import attrgetter, is_, lt

from config.models import ID_FIELD, OWNER_FIELD, STAGE_FIELD, Outcome, Pipeline, Stage
from rules.cell_dates import day_month_readings
from rules.cells import display_value
from rules.close_spellings import CloseSpellings
from rules.deals import ColumnMap, Deal, ParsedValue
from rules.findings import Code, Finding, Severity, join_items
from rules.followups import (
    ACKNOWLEDGED_FIELD,
    NEXT_STEP_DATE_FIELD,
    SNOOZE_FIELD,
    FollowupState,
    classify_followups,
    is_silenced,
)
from rules.grid import is_blank
from rules.text_forms import (
    deal_id_key,
    drop_invisible,
    fold_case,
    lookalike_id_key,
    normalize_text,
)

STAGE_ENTERED_FIELD = "stage_entered_date"
CLOSE_DATE_FIELD = "close_date"
CREATED_DATE_FIELD = "created_date"

# Allowed values quoted in a finding when no single one is close enough.
CHOICES_SHOWN = 8


@dataclass
class AllowedList:
    """One field's allowed values, normalised once per run for fast lookups.

    ``values`` keep the list's spelling without invisible format characters,
    because a matching cell is shown in that spelling in the outputs.
    """

    values: list[str]
    ignore_case: bool
    # True for the owner list: names are compared without any space, as
    # notifications.owners entries are (see rules.text_forms.owner_key).
    ignore_spaces: bool = False
    keys: dict[str, str] = field(init=False)
    folded: dict[str, str] = field(init=False)
    suggestions: dict[str, str | None] = field(init=False, default_factory=dict)
    # Built on the first suggestion, because most runs find no unknown value.
    spellings: CloseSpellings | None = field(
        init=False, default=None, repr=False, compare=False
    )
    # Keys by cell text, kept because a column repeats a few values on many rows.
    known_keys: dict[str, str] = field(
        init=False, default_factory=dict, repr=False, compare=False
    )
    # Whether each cell text seen so far is allowed, cached for the same reason.
    known_texts: dict[str, bool] = field(
        init=False, default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        visible = (drop_invisible(value).strip() for value in self.values)
        self.values = [value for value in visible if value]
        self.keys = {self.key_of(value): value for value in self.values}
        self.folded = {fold_case(key): value for key, value in self.keys.items()}

    def key_of(self, text: str) -> str:
        """Return ``text`` as compared: NFKC, single spaces, casefolded if asked.

        NFKC is the form stage names and headers are compared in, so that
        ``Ａｎａ Ｌｉｍａ`` typed with full-width letters is ``Ana Lima``. With
        ``ignore_spaces`` the key has no space at all, so ``王\u3000芳`` (padded
        with an ideographic space) is ``王芳``.
        """
        if text not in self.known_keys:
            key = normalize_text(text)
            if self.ignore_spaces:
                key = key.replace(" ", "")
            self.known_keys[text] = fold_case(key) if self.ignore_case else key
        return self.known_keys[text]

    def accepts(self, text: str) -> bool:
        """Return True when the key of ``text`` matches an allowed value's key."""
        accepted = self.known_texts.get(text)
        if accepted is None:
            accepted = self.known_texts[text] = self.key_of(text) in self.keys
        return accepted

    def suggest(self, key: str) -> str | None:
        """Return the allowed value that ``key`` misspells, or None.

        Only a spelling variant or, in a long value, one typo counts (see
        :mod:`rules.close_spellings`). Suggestions ignore case even for a
        case-sensitive list, so that 'gtx pro' still points at 'GTX Pro'.
        """
        folded = fold_case(key)
        if folded not in self.suggestions:
            if self.spellings is None:
                self.spellings = CloseSpellings(self.values)
            self.suggestions[folded] = self.spellings.nearest(folded)
        return self.suggestions[folded]


# A check of the deals in one stage, given the rules of that stage and the
# run's context. It keeps each deal's findings in the order a check of that
# deal alone would give, but may list them field by field, not deal by deal.
StageCheck = Callable[["StageDeals", "CheckContext"], list[Finding]]


@dataclass(frozen=True)
class StageRules:
    """The parts of one stage's rules that the checks use, computed once per run.

    ``stage`` is None for deals whose stage is blank or unknown. ``required``
    leaves out the ID, because ``missing-id`` reports a blank ID. It also
    leaves out fields whose column is not on the sheet. ``checks`` are the
    checks of ``DEAL_CHECKS`` that can find something in this stage, in order,
    and ``fields`` are the fields they read.
    """

    stage: Stage | None
    required: tuple[str, ...]
    next_step_required: bool
    checks: tuple[StageCheck, ...]
    fields: tuple[str, ...]


@dataclass(frozen=True)
class StageDeals:
    """The deals of one stage, with the values that its checks read as columns.

    ``values`` maps each field in ``rules.fields`` to the parsed value of that
    field of each deal, in the order of ``deals``: None where the cell is blank
    or unreadable.
    """

    rules: StageRules
    deals: list[Deal]
    values: dict[str, list[ParsedValue | None]]


@dataclass(frozen=True)
class CheckContext:
    """Inputs every check needs besides the deals: columns, rules and today.

    ``headers`` maps each mapped field to its header text, and ``stage_rules``
    maps each stage name to its rules. ``allowed_fields`` contains the allowed
    lists of mapped fields other than the stage. ``text_date_fields`` are the
    date fields with a cell typed as text. When they are None (unknown), every
    date finding reads its cell. ``has_tabs`` is false for deals read from a
    source without tabs, such as a CSV file, whose findings then name no tab.
    """

    columns: ColumnMap
    pipeline: Pipeline
    allowed: dict[str, AllowedList]
    as_of: dt.date
    text_date_fields: Collection[str] | None = None
    has_tabs: bool = True
    headers: dict[str, str] = field(init=False, repr=False, compare=False)
    stage_rules: dict[str, StageRules] = field(init=False, repr=False, compare=False)
    unstaged_rules: StageRules = field(init=False, repr=False, compare=False)
    allowed_fields: list[tuple[str, AllowedList]] = field(
        init=False, repr=False, compare=False
    )
    _date_texts: dict[dt.date, str] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _params: dict[tuple[tuple[str, str], ...], dict[str, str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        fields = self.columns.fields
        headers = {name: self.columns.header_of(name) for name in fields}
        allowed_fields = [
            (name, allowed)
            for name, allowed in self.allowed.items()
            if name != STAGE_FIELD and name in fields
        ]
        # The dataclass is frozen, so derived fields bypass its __setattr__.
        object.__setattr__(self, "headers", headers)
        object.__setattr__(self, "allowed_fields", allowed_fields)

        stage_rules = {
            stage.name: self._work_out(stage) for stage in self.pipeline.stages
        }
        object.__setattr__(self, "stage_rules", stage_rules)
        object.__setattr__(self, "unstaged_rules", self._work_out(None))

    def rules_of(self, stage: Stage | None) -> StageRules:
        """Return the rules of a stage, computed now if it is not the pipeline's."""
        if stage is None:
            return self.unstaged_rules
        rules = self.stage_rules.get(stage.name)
        if rules is None or rules.stage is not stage:
            return self._work_out(stage)
        return rules

    def date_text(self, day: dt.date) -> str:
        """Return the ISO text of a day, reusing one string per distinct day."""
        text = self._date_texts.get(day)
        if text is None:
            text = self._date_texts[day] = day.isoformat()
        return text

    def may_have_text_dates(self, field_name: str) -> bool:
        """Return True unless the field is known to have no date typed as text."""
        fields = self.text_date_fields
        return fields is None or field_name in fields

    def shared_params(self, params: dict[str, str]) -> dict[str, str]:
        """Return the params dict of an earlier equal finding, or ``params``.

        Findings with equal params (most of them, because days, dates and stages
        recur) share one dict, so no code may change a finding's params.
        """
        return self._params.setdefault(tuple(params.items()), params)

    def _work_out(self, stage: Stage | None) -> StageRules:
        required = _required_fields(stage, self.columns)
        next_step_required = _next_step_required(stage, self.pipeline)
        checks = _possible_checks(stage, required, self)
        fields = _fields_read(stage, checks, required, self)
        return StageRules(stage, required, next_step_required, checks, fields)


# The severity of each finding these checks produce.
SEVERITIES: dict[Code, Severity] = {
    Code.DUPLICATE_ID: Severity.ERROR,
    Code.LOOKALIKE_ID: Severity.WARNING,
    Code.MISSING_REQUIRED: Severity.ERROR,
    Code.UNKNOWN_VALUE: Severity.ERROR,
    Code.CLOSE_DATE_PASSED: Severity.WARNING,
    Code.CLOSE_BEFORE_CREATED: Severity.ERROR,
    Code.DATE_IN_FUTURE: Severity.WARNING,
    Code.FOLLOWUP_OVERDUE: Severity.WARNING,
    Code.FOLLOWUP_DUE_SOON: Severity.INFO,
    Code.NO_NEXT_STEP: Severity.WARNING,
    Code.IDLE_IN_STAGE: Severity.WARNING,
}


def check_deals(
    deals: list[Deal],
    columns: ColumnMap,
    pipeline: Pipeline,
    allowed: Mapping[str, Collection[str]],
    as_of: dt.date,
    *,
    text_date_fields: Collection[str] | None = None,
    has_tabs: bool = True,
) -> list[Finding]:
    """Check every deal against the stage rules and return the findings by row.

    ``allowed`` maps a field to its allowed values, already read from the
    definition or from a list tab. Within a row, findings keep the order of
    ``DEAL_CHECKS``, after any ``duplicate-id``. ``text_date_fields`` are the
    date fields with a cell typed as text (:class:`rules.rows.DealRows`).
    Date findings of other fields then skip reading their cells. ``has_tabs``
    is false for deals read from a source without tabs, such as a CSV file.
    """
    context = CheckContext(
        columns,
        pipeline,
        prepare_allowed(allowed, pipeline),
        as_of,
        text_date_fields,
        has_tabs,
    )
    deal_ids = [deal_id_key(deal.deal_id or "") for deal in deals]
    findings = find_duplicate_ids(deals, deal_ids, columns)
    findings += find_lookalike_ids(deals, deal_ids, columns)

    for stage_deals in group_by_stage(deals, context):
        for check in stage_deals.rules.checks:
            findings += check(stage_deals, context)

    # A stable sort by row keeps each row's findings in the order the checks
    # listed them, which is the order of DEAL_CHECKS after any duplicate-id.
    findings.sort(key=attrgetter("row"))
    return findings


# Types of the bound list methods that add a stage's deals and values in
# group_by_stage.
_AddDeal = Callable[[Deal], None]
_AddValues = Callable[[Iterable["ParsedValue | None"]], None]


def group_by_stage(deals: list[Deal], context: CheckContext) -> list[StageDeals]:
    """Return the deals of each stage, in order, with the values its checks read.

    Deals with a blank or unknown stage form one group with the rules of no stage.
    """
    # One pass in sheet order groups the deals and reads their values. The
    # values dicts of a large sheet do not fit in the CPU caches, so reading
    # them field by field, or stage by stage after grouping, took 1.4 to 2.4
    # times as long (100k deals, 2-core VM). Stages are unhashable models, so
    # deals are grouped by the stage's identity.
    rules_by_stage: dict[int, StageRules] = {}
    deals_by_stage: dict[int, list[Deal]] = {}
    values_by_stage: dict[int, list[ParsedValue | None]] = {}
    # One lookup per deal finds the stage's list methods and fields, which
    # saved 3 of 57 ms at 100k deals (2-core VM) against three lookups.
    appenders: dict[int, tuple[_AddDeal, _AddValues, tuple[str, ...]]] = {}
    for deal in deals:
        key = id(deal.stage)
        appender = appenders.get(key)
        if appender is None:
            rules = rules_by_stage[key] = context.rules_of(deal.stage)
            grouped_deals = deals_by_stage[key] = []
            grouped_values = values_by_stage[key] = []
            appender = (grouped_deals.append, grouped_values.extend, rules.fields)
            appenders[key] = appender
        add_deal, add_values, fields = appender
        add_deal(deal)
        add_values(map(deal.values.get, fields))

    return [
        StageDeals(rules, deals_by_stage[key], columns_of(values_by_stage[key], rules))
        for key, rules in rules_by_stage.items()
    ]


def columns_of(
    values: list[ParsedValue | None], rules: StageRules
) -> dict[str, list[ParsedValue | None]]:
    """Return the values of ``rules.fields`` field by field, given deal by deal.

    Before, for fields ``("owner", "amount")``: ``["Ana", None, None, 5.0]``.
    After: ``{"owner": ["Ana", None], "amount": [None, 5.0]}``.
    """
    # The values come in one flat list, not a tuple per deal, because building
    # 100k tuples took longer: check_deals took 0.23 s with them and 0.20 s
    # without (stage timer, 100k rows, 2-core VM).
    width = len(rules.fields)
    return {name: values[index::width] for index, name in enumerate(rules.fields)}


def prepare_allowed(
    allowed: Mapping[str, Collection[str]], pipeline: Pipeline
) -> dict[str, AllowedList]:
    """Return the allowed lists keyed by field, with each list's case rule."""
    lists: dict[str, AllowedList] = {}
    for field_name, values in allowed.items():
        spec = pipeline.allowed.get(field_name)
        ignore_case = spec.ignore_case if spec is not None else True
        lists[field_name] = AllowedList(
            list(values), ignore_case, ignore_spaces=field_name == OWNER_FIELD
        )
    return lists


def find_duplicate_ids(
    deals: list[Deal], deal_ids: list[str], columns: ColumnMap
) -> list[Finding]:
    """Return a ``duplicate-id`` error on every deal whose ID another has.

    ``deal_ids`` are the deals' IDs as :func:`deal_id_key` gives them (empty
    for a blank ID), so a space or a direction mark pasted around an ID does
    not make it another ID.
    """
    deals_by_id: dict[str, list[Deal]] = defaultdict(list)
    # Counting takes longer than a set, so IDs are counted only when some repeat.
    blank_count = deal_ids.count("")
    if len(set(deal_ids)) + max(blank_count - 1, 0) == len(deal_ids):
        return []
    counts = Counter(deal_ids)
    repeated = {deal_id for deal_id, count in counts.items() if deal_id and count > 1}
    if repeated:
        for deal_id, deal in zip(deal_ids, deals, strict=True):
            if deal_id in repeated:
                deals_by_id[deal_id].append(deal)

    findings: list[Finding] = []
    for sharing in deals_by_id.values():
        findings.extend(_duplicate_finding(deal, sharing, columns) for deal in sharing)
    return findings


def find_lookalike_ids(
    deals: list[Deal], deal_ids: list[str], columns: ColumnMap
) -> list[Finding]:
    """Return a ``lookalike-id`` warning on each deal whose ID looks like another's.

    IDs that differ in case, character width (full-width ``Ａ-1``), spacing or
    the kind of dash (``A‐1`` with a Unicode hyphen) are separate deals, so a
    rep who retypes ``A-1`` as ``a-1`` starts a new stage history. Each such
    ID gets a warning naming the others; rows that share one ID exactly have
    ``duplicate-id`` instead. ``deal_ids`` are as :func:`find_duplicate_ids`
    takes them.
    """
    distinct = set(deal_ids)
    distinct.discard("")
    joined = "\n".join(distinct)
    # ASCII IDs without spaces, all in one case, cannot look alike, and the
    # joined IDs tell that in one pass: 3 ms for 100,000 IDs, where folding
    # each ID took 115 ms (2-core VM under load).
    if joined.isascii() and " " not in joined and "\t" not in joined:
        if joined.upper() == joined or joined.lower() == joined:
            return []
        folded = set(map(str.lower, distinct))
    else:
        folded = set(map(lookalike_id_key, distinct))
    if len(folded) == len(distinct):
        return []

    spellings: defaultdict[str, dict[str, list[Deal]]] = defaultdict(dict)
    for deal_id, deal in zip(deal_ids, deals, strict=True):
        if deal_id:
            spellings[lookalike_id_key(deal_id)].setdefault(deal_id, []).append(deal)
    findings = []
    for group in spellings.values():
        if len(group) > 1:
            findings += _lookalike_findings(group, columns)
    return findings


def _lookalike_findings(
    group: dict[str, list[Deal]], columns: ColumnMap
) -> list[Finding]:
    """Return the findings of one group of look-alike IDs, each with its deals."""
    findings = []
    for deal_id, sharing in group.items():
        others = [other for other in group if other != deal_id]
        rows = sorted(deal.row for other in others for deal in group[other])
        params = {
            "rows": ", ".join(map(str, rows)),
            "others": join_items(map(repr, others)),
        }
        findings += [
            _id_finding(Code.LOOKALIKE_ID, deal, columns, params) for deal in sharing
        ]
    return findings


def check_required(stage_deals: StageDeals, context: CheckContext) -> list[Finding]:
    """Return ``missing-required`` for each blank field the deals' stage requires.

    A required field that is not mapped is a definition problem and the model
    rejects it, so it is skipped here. A blank ID already has ``missing-id``.
    A cell that is filled but unreadable has a finding from parsing instead.
    """
    stage, deals = stage_deals.rules.stage, stage_deals.deals
    if stage is None:
        return []

    findings: list[Finding] = []
    params = context.shared_params({"stage": stage.name})
    for name in stage_deals.rules.required:
        # Few values are missing, so ``compress`` picks those deals in C.
        missing = map(is_, stage_deals.values[name], repeat(None))
        findings += [
            _finding(Code.MISSING_REQUIRED, deal, context, name, params)
            for deal in compress(deals, missing)
            if is_blank(deal.raw.get(name))
        ]
    return findings


def check_allowed_values(
    stage_deals: StageDeals, context: CheckContext
) -> list[Finding]:
    """Return ``unknown-value`` for each filled field whose value is not allowed.

    The stage field is skipped because parsing reports unknown stages itself.
    """
    findings: list[Finding] = []
    for name, allowed in context.allowed_fields:
        values = stage_deals.values[name]
        unknown = _unknown_values(set(values), name, allowed, context)
        if not unknown:
            continue
        # Few values are unknown, so ``compress`` picks those deals in C.
        found = compress(
            zip(stage_deals.deals, values, strict=True),
            map(unknown.__contains__, values),
        )
        findings += [
            _finding(Code.UNKNOWN_VALUE, deal, context, name, unknown[value])
            for deal, value in found
        ]
    return findings


def check_close_date(stage_deals: StageDeals, context: CheckContext) -> list[Finding]:
    """Return ``close-date-passed`` for each deal whose expected close is past.

    The deals must be in an open stage: :func:`_possible_checks` runs this check
    only there.
    """
    as_of = context.as_of

    def describe(close_date: dt.date) -> tuple[Code, dict[str, str]] | None:
        if close_date >= as_of:
            return None
        days = (as_of - close_date).days
        return Code.CLOSE_DATE_PASSED, _days_date_params(
            days, context.date_text(close_date)
        )

    close_dates = stage_deals.values[CLOSE_DATE_FIELD]
    return _dated_findings(
        stage_deals, close_dates, CLOSE_DATE_FIELD, describe, context
    )


def check_close_before_created(
    stage_deals: StageDeals, context: CheckContext
) -> list[Finding]:
    """Return ``close-before-created`` for each deal closed before it was created.

    The finding is on the close date cell and names the created date, because
    either one can be the mistyped one. The metrics leave such deals out of the
    average cycle. The sheet must have both date columns:
    :func:`_possible_checks` runs this check only there.
    """
    # Days are compared, so a date with a time of day counts as its day. A
    # sheet repeats few dates, so each distinct value is turned into a day
    # number once, and ``map`` compares the days in C. A value that is no
    # date gets a day number that compares as not inverted.
    created_dates = stage_deals.values[CREATED_DATE_FIELD]
    close_dates = stage_deals.values[CLOSE_DATE_FIELD]
    created_days = _day_numbers(created_dates, -math.inf)
    close_days = _day_numbers(close_dates, math.inf)
    is_inverted = map(
        lt,
        map(close_days.__getitem__, close_dates),
        map(created_days.__getitem__, created_dates),
    )
    inverted = compress(zip(stage_deals.deals, created_dates, strict=True), is_inverted)

    header = context.headers[CREATED_DATE_FIELD]
    findings: list[Finding] = []
    for deal, created in inverted:
        assert isinstance(created, dt.date)
        params = {"created_column": header, "created": context.date_text(created)}
        findings.append(
            _finding(
                Code.CLOSE_BEFORE_CREATED,
                deal,
                context,
                CLOSE_DATE_FIELD,
                context.shared_params(params),
            )
        )
    return findings


def _day_numbers(
    values: list[ParsedValue | None], other: float
) -> dict[ParsedValue | None, float]:
    """Return the day number of each distinct date in ``values``, else ``other``."""
    return {
        value: value.toordinal() if isinstance(value, dt.date) else other
        for value in set(values)
    }


def check_future_dates(stage_deals: StageDeals, context: CheckContext) -> list[Finding]:
    """Return ``date-in-future`` for each date after today that cannot be ahead.

    A deal cannot have been created or have entered its stage after today, and
    a won or lost deal cannot close after it. The finding on such a close date
    names the stage, and the metrics leave the deal out of the average cycle,
    and out of the win rates when ``metrics.win_rate_days`` sets a period.
    An open deal's close date is the expected one, which may lie ahead.
    """
    as_of, today = context.as_of, context.date_text(context.as_of)
    stage = stage_deals.rules.stage
    closed_stage = stage.name if stage is not None and _is_closed(stage) else None

    def describe_past(date: dt.date) -> tuple[Code, dict[str, str]] | None:
        if date <= as_of:
            return None
        return Code.DATE_IN_FUTURE, context.shared_params({"today": today})

    def describe_close(date: dt.date) -> tuple[Code, dict[str, str]] | None:
        if date <= as_of or closed_stage is None:
            return None
        params = {"today": today, "stage": closed_stage}
        period_days = context.pipeline.metrics.win_rate_days
        if period_days is not None:
            params["period_days"] = str(period_days)
        return Code.DATE_IN_FUTURE, context.shared_params(params)

    findings: list[Finding] = []
    for name in _future_date_fields(stage, context):
        describe = describe_close if name == CLOSE_DATE_FIELD else describe_past
        dates = stage_deals.values[name]
        findings += _dated_findings(stage_deals, dates, name, describe, context)
    return findings


def check_followup(stage_deals: StageDeals, context: CheckContext) -> list[Finding]:
    """Return the follow-up finding of each deal: overdue, due soon or missing.

    Nothing is checked on a deal that is snoozed or acknowledged. The deals must
    be in an open stage on a sheet with a next-step date column:
    :func:`_possible_checks` runs this check only there.
    """
    as_of, due_dates = context.as_of, stage_deals.values[NEXT_STEP_DATE_FIELD]
    states = classify_followups(_dates_in(due_dates), as_of, context.pipeline)

    def describe(due: dt.date) -> tuple[Code, dict[str, str]] | None:
        state = states[due]
        if state is None:
            return None
        if state is FollowupState.OVERDUE:
            code, days = Code.FOLLOWUP_OVERDUE, (as_of - due).days
        else:
            code, days = Code.FOLLOWUP_DUE_SOON, (due - as_of).days
        return code, _date_days_params(context.date_text(due), days)

    silenced = _silenced_positions(stage_deals, as_of)
    unsilenced_dates = list(due_dates)
    for position in silenced:
        unsilenced_dates[position] = None
    findings = _dated_findings(
        stage_deals, unsilenced_dates, NEXT_STEP_DATE_FIELD, describe, context
    )

    # A deal gets at most one of the two findings, so joining the lists keeps
    # the findings of each deal in order.
    return findings + _check_next_step_present(stage_deals, silenced, context)


def check_idle(stage_deals: StageDeals, context: CheckContext) -> list[Finding]:
    """Return ``idle-in-stage`` for each deal that stayed longer than allowed.

    The deals must be in a stage with ``idle_days`` on a sheet with a
    stage-entered date column: :func:`_possible_checks` runs this check only
    there.
    """
    stage, as_of = stage_deals.rules.stage, context.as_of
    if stage is None or stage.idle_days is None:
        return []
    name, limit = stage.name, stage.idle_days

    def describe(entered: dt.date) -> tuple[Code, dict[str, str]] | None:
        days = (as_of - entered).days
        if days <= limit:
            return None
        return Code.IDLE_IN_STAGE, _idle_params(days, limit, name)

    entered_dates = stage_deals.values[STAGE_ENTERED_FIELD]
    return _dated_findings(
        stage_deals, entered_dates, STAGE_ENTERED_FIELD, describe, context
    )


DEAL_CHECKS: tuple[StageCheck, ...] = (
    check_required,
    check_allowed_values,
    check_close_before_created,
    check_future_dates,
    check_close_date,
    check_followup,
    check_idle,
)


def _possible_checks(
    stage: Stage | None, required: tuple[str, ...], context: CheckContext
) -> tuple[StageCheck, ...]:
    # The checks that can find something on a deal in ``stage``. The others are
    # left out, so the run neither calls them nor reads the fields they need.
    fields = context.columns.fields
    in_open_stage = stage is not None and stage.outcome is Outcome.OPEN
    has_idle_limit = stage is not None and stage.idle_days is not None
    possible: dict[StageCheck, bool] = {
        check_required: bool(required),
        check_allowed_values: bool(context.allowed_fields),
        check_close_before_created: (
            CREATED_DATE_FIELD in fields and CLOSE_DATE_FIELD in fields
        ),
        check_future_dates: bool(_future_date_fields(stage, context)),
        check_close_date: in_open_stage,
        check_followup: in_open_stage and NEXT_STEP_DATE_FIELD in fields,
        check_idle: has_idle_limit and STAGE_ENTERED_FIELD in fields,
    }
    return tuple(check for check in DEAL_CHECKS if possible[check])


def _fields_read(
    stage: Stage | None,
    checks: tuple[StageCheck, ...],
    required: tuple[str, ...],
    context: CheckContext,
) -> tuple[str, ...]:
    # The fields that ``checks`` read from the values of a deal, without repeats.
    fields = list(required) if check_required in checks else []
    if check_allowed_values in checks:
        fields += [name for name, _allowed in context.allowed_fields]
    if check_close_before_created in checks:
        fields += [CREATED_DATE_FIELD, CLOSE_DATE_FIELD]
    if check_future_dates in checks:
        fields += _future_date_fields(stage, context)
    if check_close_date in checks:
        fields.append(CLOSE_DATE_FIELD)
    if check_followup in checks:
        fields += [NEXT_STEP_DATE_FIELD, SNOOZE_FIELD, ACKNOWLEDGED_FIELD]
    if check_idle in checks:
        fields.append(STAGE_ENTERED_FIELD)
    return tuple(dict.fromkeys(fields))


def _future_date_fields(stage: Stage | None, context: CheckContext) -> list[str]:
    # The mapped date fields that must not be after today in ``stage``.
    names = [CREATED_DATE_FIELD, STAGE_ENTERED_FIELD]
    if _is_closed(stage):
        names.append(CLOSE_DATE_FIELD)
    return [name for name in names if name in context.columns.fields]


def _is_closed(stage: Stage | None) -> bool:
    return stage is not None and stage.outcome is not Outcome.OPEN


def _unknown_values(
    values: set[ParsedValue | None],
    name: str,
    allowed: AllowedList,
    context: CheckContext,
) -> dict[ParsedValue | None, dict[str, str]]:
    # The params of each filled value of field ``name`` that is not allowed.
    # The values of one field share a type, so values that are equal also
    # display alike. The keys leave out None, the value of a blank cell.
    unknown: dict[ParsedValue | None, dict[str, str]] = {}
    for value in values:
        if value is None:
            continue
        text = value if isinstance(value, str) else display_value(value)
        if allowed.accepts(text):
            continue
        params = _unknown_value_params(allowed, allowed.key_of(text), context, name)
        unknown[value] = context.shared_params(params)
    return unknown


def _silenced_positions(stage_deals: StageDeals, as_of: dt.date) -> set[int]:
    # The positions of the deals that are snoozed or acknowledged. Most deals
    # have both cells blank, so is_silenced runs only for the others.
    values = stage_deals.values
    marks = zip(values[SNOOZE_FIELD], values[ACKNOWLEDGED_FIELD], strict=True)
    return {
        position
        for position, (snooze, ack) in enumerate(marks)
        if (snooze is not None or ack is not None) and is_silenced(snooze, ack, as_of)
    }


def _check_next_step_present(
    stage_deals: StageDeals, silenced: set[int], context: CheckContext
) -> list[Finding]:
    # A filled but unreadable date already has a bad-date finding from parsing.
    stage, due_dates = stage_deals.rules.stage, stage_deals.values[NEXT_STEP_DATE_FIELD]
    if stage is None or not stage_deals.rules.next_step_required:
        return []

    # Few deals lack a date, so the first pass reads only the dates: 6 ms
    # instead of 16 ms for the 65k open deals of the 100k-row benchmark sheet.
    deals = stage_deals.deals
    positions = [
        position
        for position, due in enumerate(due_dates)
        if not isinstance(due, dt.date) and position not in silenced
    ]
    undated = [
        deals[position]
        for position in positions
        if is_blank(deals[position].raw.get(NEXT_STEP_DATE_FIELD))
    ]
    params = context.shared_params({"stage": stage.name})
    return [
        _finding(Code.NO_NEXT_STEP, deal, context, NEXT_STEP_DATE_FIELD, params)
        for deal in undated
    ]


def _dates_in(values: Iterable[ParsedValue | None]) -> set[dt.date]:
    # The distinct dates among ``values``. A large sheet repeats a few hundred
    # dates, so the set is small.
    return {value for value in set(values) if isinstance(value, dt.date)}


def _dated_findings(
    stage_deals: StageDeals,
    dates: Sequence[ParsedValue | None],
    field_name: str,
    describe: Callable[[dt.date], tuple[Code, dict[str, str]] | None],
    context: CheckContext,
) -> list[Finding]:
    # A finding on each deal whose date in ``dates`` gets a code and params
    # from ``describe``. It runs once per distinct date, and the findings of one
    # date share its params and the text of its value.
    facts: dict[ParsedValue | None, tuple[Code, Severity, str, dict[str, str]]] = {}
    for date in _dates_in(dates):
        described = describe(date)
        if described is not None:
            code, params = described
            facts[date] = (code, SEVERITIES[code], context.date_text(date), params)
    if not facts:
        return []

    header = context.headers[field_name]
    may_have_text = context.may_have_text_dates(field_name)
    # ``compress`` picks the deals with a finding in C, so the loop runs once
    # per finding, not once per deal.
    found = compress(
        zip(stage_deals.deals, dates, strict=True), map(facts.__contains__, dates)
    )
    findings = []
    for deal, value in found:
        code, severity, text, params = facts[value]
        if may_have_text:
            # A date typed as text shows as typed, with the day read.
            cell = deal.raw.get(field_name)
            if type(cell) is str:
                text = _typed_date_text(cell, text)
        findings.append(
            Finding(
                code,
                severity,
                deal.row,
                header,
                text,
                deal.deal_id,
                field_name,
                params,
            )
        )
    return findings


# The params of findings made from a day count, a date and a stage. They are
# cached, so findings with equal params share one dict without building one
# each, and no code may change them. Distinct days, dates and stages are few.
PARAMS_CACHE_SIZE = 4096


@functools.lru_cache(maxsize=PARAMS_CACHE_SIZE)
def _days_date_params(days: int, date: str) -> dict[str, str]:
    return {"days": str(days), "date": date}


@functools.lru_cache(maxsize=PARAMS_CACHE_SIZE)
def _date_days_params(date: str, days: int) -> dict[str, str]:
    return {"date": date, "days": str(days)}


@functools.lru_cache(maxsize=PARAMS_CACHE_SIZE)
def _idle_params(days: int, limit: int, stage: str) -> dict[str, str]:
    return {"days": str(days), "limit": str(limit), "stage": stage}


def _duplicate_finding(deal: Deal, sharing: list[Deal], columns: ColumnMap) -> Finding:
    # NOTE: each finding lists every other row of its group, so k rows sharing
    # one ID cost time and text in proportion to k squared.
    others = [str(other.row) for other in sharing if other is not deal]
    params = {"rows": ", ".join(others), "count": str(len(sharing))}
    if any(_is_long_number(other.raw.get(ID_FIELD)) for other in sharing):
        params["significant_digits"] = str(SPREADSHEET_DIGITS)
    # The cell shows such a number in exponent form, but the deal is known by
    # all its digits, so the message gives both.
    displayed_id = _cell_text(deal, ID_FIELD)
    if _is_long_number(deal.raw.get(ID_FIELD)) and displayed_id != deal.deal_id:
        params["full_number"] = deal.deal_id or ""
    return _id_finding(Code.DUPLICATE_ID, deal, columns, params)


def _id_finding(
    code: Code, deal: Deal, columns: ColumnMap, params: dict[str, str]
) -> Finding:
    """Return a finding of ``code`` on the deal's ID cell."""
    return Finding(
        code=code,
        severity=SEVERITIES[code],
        row=deal.row,
        column=columns.header_of(ID_FIELD),
        value=_cell_text(deal, ID_FIELD),
        deal_id=deal.deal_id,
        field=ID_FIELD,
        params=params,
    )


# Excel keeps 15 significant digits of a number and turns later ones into zeros
# (its "number precision" limit), so numeric IDs of 16 or more digits that
# differ only after the 15th become one number.
SPREADSHEET_DIGITS = 15


def _is_long_number(cell: object) -> bool:
    """Return True for a number cell of more than ``SPREADSHEET_DIGITS`` digits."""
    if isinstance(cell, bool) or not isinstance(cell, int | float):
        return False
    return math.isfinite(cell) and abs(cell) >= 10**SPREADSHEET_DIGITS


def _unknown_value_params(
    allowed: AllowedList, key: str, context: CheckContext, field_name: str
) -> dict[str, str]:
    shown = allowed.values[:CHOICES_SHOWN]
    more = ["…"] if len(allowed.values) > len(shown) else []
    params = {
        "choices": join_items([*shown, *more]),
        "choice_count": str(len(allowed.values)),
    }
    suggestion = allowed.suggest(key)
    if suggestion is not None:
        params["suggestion"] = suggestion

    spec = context.pipeline.allowed.get(field_name)
    if spec is not None and spec.from_tab is not None:
        # A source without tabs reads such a list from its one table.
        if context.has_tabs:
            params["list_tab"] = spec.from_tab.tab
        params["list_column"] = spec.from_tab.column
    elif spec is not None:
        params["list_key"] = f"allowed.{field_name}.values"
    return params


def _finding(
    code: Code,
    deal: Deal,
    context: CheckContext,
    field_name: str,
    params: dict[str, str],
) -> Finding:
    """Build a finding on a deal's cell, which shows the cell's text as its value.

    ``params`` come from :meth:`CheckContext.shared_params`.
    """
    # Positional arguments, because keywords cost about a tenth more per finding
    # (measured on 85k findings).
    return Finding(
        code,
        SEVERITIES[code],
        deal.row,
        context.headers[field_name],
        _cell_text(deal, field_name),
        deal.deal_id,
        field_name,
        params,
    )


def _required_fields(stage: Stage | None, columns: ColumnMap) -> tuple[str, ...]:
    if stage is None:
        return ()
    return tuple(
        name for name in stage.required if name != ID_FIELD and name in columns.fields
    )


def _next_step_required(stage: Stage | None, pipeline: Pipeline) -> bool:
    if stage is None:
        return False
    if stage.next_step_required is None:
        return pipeline.followups.require_next_step_date
    return stage.next_step_required


def _cell_text(deal: Deal, field_name: str) -> str | None:
    # A parsed date reads better than the serial number or datetime behind it.
    parsed = deal.values.get(field_name)
    raw = deal.raw.get(field_name, parsed)
    if isinstance(parsed, dt.date):
        day = parsed.isoformat()
        return _typed_date_text(raw, day) if isinstance(raw, str) else day
    return None if is_blank(raw) else display_value(raw)


@functools.lru_cache(maxsize=PARAMS_CACHE_SIZE)
def _typed_date_text(typed: str, day: str) -> str:
    """Return the value of a finding on a date typed as text.

    Text that reads as two days, one per day/month order, gives the text and
    the day it was read as: ``12/07/2026`` read as 2026-07-12 gives
    ``12/07/2026 → 2026-07-12``, so the value shows what the cell contains.
    The arrow needs no translation. Any other text gives the day alone,
    because it cannot be read another way.
    """
    readings = day_month_readings(typed)
    if readings is None or len(set(readings.values())) < 2:
        return day
    return f"{typed.strip()} → {day}"
