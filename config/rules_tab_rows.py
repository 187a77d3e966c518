"""Write a definition as the rows of a Rules tab, the layout users then edit.

Reading the rows back with :mod:`config.rules_tab` and laying them over the
definition named in ``based_on`` gives that definition again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from config.models import Locale, Outcome, Pipeline, Stage
from config.rules_tab import BASED_ON
from config.rules_tab_layout import FIELDS, SETTINGS, STAGES, Block
from rules.grid import CellValue

# The keys the Setting table lists, beside based_on: those a team changes most.
LISTED_SETTINGS = (
    ("timezone",),
    ("date_order",),
    ("followups", "due_soon_days"),
    ("followups", "require_next_step_date"),
    ("outputs", "locale"),
)
# The header texts of each locale: the first of a column's headers in English,
# the Chinese one (listed after the English ones) in Chinese.
_YES = {Locale.EN: "yes", Locale.ZH_CN: "是"}
_NO = {Locale.EN: "no", Locale.ZH_CN: "否"}


@dataclass
class RulesTabRows:
    """The rows of a Rules tab, with the header rows and probability cells marked.

    ``header_rows`` and ``percent_cells`` are 1-based rows and (row, 0-based
    column) pairs, for the writer to style.
    """

    rows: list[list[CellValue]] = field(default_factory=list)
    header_rows: list[int] = field(default_factory=list)
    percent_cells: list[tuple[int, int]] = field(default_factory=list)

    def add_header(self, block: Block, keys: list[str], locale: Locale) -> None:
        """Add a blank row unless first, then the header row of ``block``."""
        if self.rows:
            self.rows.append([])
        by_key = {column.key: column for column in block.columns}
        self.rows.append([_header(by_key[key].headers, locale) for key in keys])
        self.header_rows.append(len(self.rows))


def rules_tab_rows(pipeline: Pipeline, based_on: str, locale: Locale) -> RulesTabRows:
    """Return the Setting, Stage and Field tables that restate ``pipeline``.

    :param based_on: the name of ``pipeline`` as a shipped definition.
    :param locale: the language of the headers and yes/no words.
    """
    tab = RulesTabRows()
    tab.add_header(SETTINGS, ["setting", "value"], locale)
    tab.rows.append([BASED_ON, based_on])
    data = pipeline.model_dump(mode="json")
    for path in LISTED_SETTINGS:
        value: object = data
        for part in path:
            value = value[part] if isinstance(value, dict) else None
        tab.rows.append([".".join(path), _cell(value, locale)])

    stage_keys = _stage_keys(pipeline.stages)
    tab.add_header(STAGES, stage_keys, locale)
    for stage in pipeline.stages:
        tab.rows.append(_stage_row(stage, stage_keys, locale))
        if stage.probability is not None:
            tab.percent_cells.append((len(tab.rows), stage_keys.index("probability")))

    field_keys = ["field", "aliases", "required"]
    if any(spec.type is not None for spec in pipeline.columns.values()):
        field_keys.append("type")
    tab.add_header(FIELDS, field_keys, locale)
    for name, spec in pipeline.columns.items():
        row = [name, ", ".join(spec.aliases), _cell(spec.required, locale)]
        if "type" in field_keys:
            row.append(spec.type.value if spec.type is not None else None)
        tab.rows.append(row)
    return tab


def _stage_keys(stages: list[Stage]) -> list[str]:
    keys = ["name", "aliases", "probability", "required", "idle_days", "outcome"]
    if any(stage.reached_if_filled for stage in stages):
        keys.append("reached_if_filled")
    if any(stage.next_step_required is not None for stage in stages):
        keys.append("next_step_required")
    return keys


def _stage_row(stage: Stage, keys: list[str], locale: Locale) -> list[CellValue]:
    values = stage.model_dump()
    if stage.outcome is Outcome.OPEN:
        values["outcome"] = None
    return [_cell(values[key], locale) for key in keys]


def _cell(value: object, locale: Locale) -> CellValue:
    if isinstance(value, bool):
        return _YES[locale] if value else _NO[locale]
    if isinstance(value, list):
        return ", ".join(map(str, value)) or None
    if isinstance(value, str | int | float) or value is None:
        return str(value) if isinstance(value, str) else value
    return str(value)


def _header(headers: tuple[str, ...], locale: Locale) -> str:
    if locale is Locale.ZH_CN:
        return next((text for text in headers if not text.isascii()), headers[0])
    return headers[0]
