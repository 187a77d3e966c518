"""Describe the mapped columns that the pipeline tab lacks, and what that turns off.

Only required columns stop a run. Another mapped column that no header
matches leaves everything that reads it inert: an allowed list, a
``group_by`` breakdown, or an option such as ``metrics.win_rate_days``.
"""

from __future__ import annotations

from config.field_needs import find_field_needs
from config.models import KNOWN_FIELD_TYPES, Pipeline
from rules.deals import ColumnMap
from rules.grid import SheetGrid
from rules.headers import listed_headers, nearest_header


def describe_unfound_needed_columns(
    grid: SheetGrid, columns: ColumnMap, pipeline: Pipeline
) -> list[str]:
    """Return a message for each option whose field has no column in the sheet.

    Before: ``metrics.win_rate_days: 90``, and no header matches the alias
    'Close Date' of ``close_date``. After: "Workbook 'deals.xlsx', tab 'Deals':
    metrics.win_rate_days reads the field 'close_date' (looked for 'Close
    Date'), which has no column. This option counts ..., so the period is not
    applied: ..."
    """
    messages = []
    for need in find_field_needs(pipeline):
        if need.field in columns.fields or need.field not in pipeline.columns:
            continue
        messages.append(
            f"Workbook {grid.workbook!r}, tab {grid.tab!r}: {need.option} reads "
            f"the field {_field_looked_for(need.field, columns, pipeline)}, "
            f"which has no column. This option {need.purpose}, so "
            f"{need.without_column}. Headers found: "
            f"{listed_headers(columns.headers)}. {_FIX}"
        )
    return messages


def describe_unfound_optional_columns(
    grid: SheetGrid, columns: ColumnMap, pipeline: Pipeline
) -> str | None:
    """Return one message naming the other used fields without a column, if any.

    A field counts as used when it has an allowed list, is in
    ``outputs.group_by``, or is a field of the team's own (not a known field):
    those were set up to be read. A known field the shipped definitions map
    but the sheet does not keep (a probability or lead source column) is
    optional, so its absence is no warning. The fields that an option reads
    are left out too: they have :func:`describe_unfound_needed_columns`.
    """
    needed = {need.field for need in find_field_needs(pipeline)}
    used = {
        *pipeline.allowed,
        *pipeline.outputs.group_by,
        *(field for field in pipeline.columns if field not in KNOWN_FIELD_TYPES),
    }
    unfound = [
        field
        for field in pipeline.columns
        if field not in columns.fields and field not in needed and field in used
    ]
    if not unfound:
        return None

    fields = ", ".join(_field_looked_for(field, columns, pipeline) for field in unfound)
    return (
        f"Workbook {grid.workbook!r}, tab {grid.tab!r}: no column for {fields}. "
        "Nothing that reads these fields is checked: their allowed lists, "
        "group_by breakdowns and values. Headers found: "
        f"{listed_headers(columns.headers)}. {_FIX}"
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
    nearest = nearest_header(aliases, columns.headers, taken)
    if nearest is not None:
        text += f", nearest header {nearest}"
    return text + ")"
