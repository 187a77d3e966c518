"""Describe the mapped columns that the pipeline tab lacks, and what that turns off.

Only required columns stop a run. Another mapped column that no header
matches leaves everything that reads it inert: an allowed list, a
``group_by`` breakdown, an option such as ``metrics.win_rate_days``, or a
check on by default such as the follow-ups of ``next_step_date``.
"""

from __future__ import annotations

from collections.abc import Collection

from config.field_needs import FieldNeed, find_default_field_uses, find_field_needs
from config.known_fields import KNOWN_FIELD_ALIASES
from config.models import Pipeline
from rules.deals import ColumnMap
from rules.grid import SheetGrid
from rules.headers import listed_headers, nearest_header


def describe_unfound_needed_columns(
    grid: SheetGrid,
    columns: ColumnMap,
    pipeline: Pipeline,
    described: Collection[str] = (),
) -> list[str]:
    """Return a message for each field that options read and the sheet lacks.

    Before: ``metrics.win_rate_days: 90``, and no header matches the alias
    'Close Date' of ``close_date``. After: "Workbook 'deals.xlsx', tab 'Deals':
    metrics.win_rate_days reads the field 'close_date' (looked for 'Close
    Date'), which has no column. This option counts ..., so the period is not
    applied: ..."

    A field that several options read gets one message naming them all.
    Fields in ``described`` are left out, because another message names them.
    """
    needs_by_field: dict[str, list[FieldNeed]] = {}
    for need in find_field_needs(pipeline):
        if need.field in columns.fields or need.field not in pipeline.columns:
            continue
        if need.field not in described:
            needs_by_field.setdefault(need.field, []).append(need)
    messages = []
    for field, needs in needs_by_field.items():
        looked_for = _field_looked_for(field, columns, pipeline)
        headers = f"Headers found: {listed_headers(columns.headers)}. {_FIX}"
        if len(needs) == 1:
            need = needs[0]
            messages.append(
                f"{grid.describe_location()}: {need.option} reads the field "
                f"{looked_for}, which has no column. This option {need.purpose}, "
                f"so {need.without_column}. {headers} If the sheet does not keep "
                f"that column, delete {_deletion_of(need, pipeline)}."
            )
            continue
        effects = " ".join(
            f"{need.option} {need.purpose}, so {need.without_column}." for need in needs
        )
        options = ", ".join(need.option for need in needs)
        messages.append(
            f"{grid.describe_location()}: {len(needs)} options read the field "
            f"{looked_for}, which has no column. {effects} {headers} If the sheet "
            f"does not keep that column, delete these options "
            f"{_where_set(pipeline, 'they are')}: {options}."
        )
    return messages


def describe_unfound_default_columns(
    grid: SheetGrid,
    columns: ColumnMap,
    pipeline: Pipeline,
    described: Collection[str] = (),
) -> list[str]:
    """Return a message for each field that default checks read and has no column.

    Before: ``next_step_date`` maps 'Next Step Date', and the sheet's header
    is 'Next step on'. After: "Workbook 'deals.xlsx', tab 'Deals': no column
    for 'next_step_date' (looked for 'Next Step Date', nearest header 'Next
    step on' in column D), which the follow-up checks read, so none runs: ..."

    Fields in ``described`` are left out, because another message names them.
    """
    return [
        f"{grid.describe_location()}: no column for "
        f"{_field_looked_for(use.field, columns, pipeline)}, which {use.readers} "
        f"read, so {use.without_column}. Headers found: "
        f"{listed_headers(columns.headers)}. {_FIX} If the sheet does not keep "
        f"that column, delete {use.field!r} from columns."
        for use in find_default_field_uses(pipeline)
        if use.field not in columns.fields and use.field not in described
    ]


def describe_unfound_optional_columns(
    grid: SheetGrid,
    columns: ColumnMap,
    pipeline: Pipeline,
    described: Collection[str] = (),
) -> str | None:
    """Return one message naming the other mapped fields without a column, if any.

    The fields that an option or a default check reads are left out: they
    have :func:`describe_unfound_needed_columns` and
    :func:`describe_unfound_default_columns`, and so are those in ``described``.
    """
    skipped = {need.field for need in find_field_needs(pipeline)}
    skipped |= {use.field for use in find_default_field_uses(pipeline)}
    skipped |= set(described)
    unfound = [
        field
        for field in pipeline.columns
        if field not in columns.fields and field not in skipped
    ]
    if not unfound:
        return None

    fields = ", ".join(_field_looked_for(field, columns, pipeline) for field in unfound)
    return (
        f"{grid.describe_location()}: no column for {fields}. "
        "Without their columns, no value of these fields is checked, counted or "
        "shown, in allowed lists, group_by breakdowns or figures. "
        f"Headers found: {listed_headers(columns.headers)}. {_FIX} If the sheet "
        "does not keep one of these columns, delete its field from columns."
    )


def _deletion_of(need: FieldNeed, pipeline: Pipeline) -> str:
    # What to delete when the sheet does not keep the column an option reads.
    if pipeline.source.rules_tab is None:
        return need.deletion or f"{need.option} from the definition"
    return f"{need.deletion or need.option} {_where_set(pipeline, 'it is')}"


def _where_set(pipeline: Pipeline, subject: str) -> str:
    # A Rules tab's Setting table is laid over a base definition, and the
    # option may come from either, which the loaded definition does not tell.
    rules_tab = pipeline.source.rules_tab
    if rules_tab is None:
        return "from the definition"
    return (
        f"where {subject} set, in the Setting table of tab {rules_tab!r} or in "
        "the base definition"
    )


_FIX = (
    "Rename the header in the sheet, or add the sheet's header text to the "
    "field's aliases in the definition."
)


def _field_looked_for(field: str, columns: ColumnMap, pipeline: Pipeline) -> str:
    # "'region' (looked for 'Gebiet', nearest header 'Region' in column G)"
    aliases = pipeline.columns[field].aliases
    text = f"{field!r} (looked for {', '.join(map(repr, aliases))}"
    taken = set(columns.fields.values())
    # A usual name of a known field, such as 'Rep' for owner, is a likely
    # header although it is spelled unlike the aliases.
    usual = [name.replace("_", " ") for name in KNOWN_FIELD_ALIASES.get(field, ())]
    nearest = nearest_header([*aliases, *usual], columns.headers, taken)
    if nearest is not None:
        text += f", nearest header {nearest}"
    return text + ")"
