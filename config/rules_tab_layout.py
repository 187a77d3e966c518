"""The tables of a Rules tab: their columns, header texts and cell conversions.

Each table is a :class:`Block` whose first column names the table, such as
``Stage``. Its other columns are matched by header text, ignoring case,
spaces, underscores and hyphens, and each column's :class:`CellKind` sets
how its cells become definition values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from rules.cell_numbers import decimal_from_cell
from rules.cell_problem import CellProblem
from rules.cells import display_value, parse_flag
from rules.grid import CellValue
from rules.text_forms import fold_text, normalize_text

# Separators of the items in a list cell: commas (also the full-width and
# enumeration commas of Chinese text) and line breaks typed with Alt+Enter.
_LIST_SEPARATORS = re.compile(r"[,，、\n]")


class CellKind(Enum):
    """The conversion of a cell into a definition value."""

    TEXT = "text"
    LIST = "list"
    FLAG = "flag"
    NUMBER = "number"
    PERCENT = "percent"
    LOWER_TEXT = "lower text"


@dataclass(frozen=True)
class Column:
    """A column of a block: its definition key, header texts and cell kind."""

    key: str
    headers: tuple[str, ...]
    kind: CellKind = CellKind.TEXT


@dataclass(frozen=True)
class Block:
    """A kind of block: its name, first column, and the other columns it takes."""

    name: str
    columns: tuple[Column, ...]
    required: tuple[str, ...] = ()

    @property
    def first(self) -> Column:
        return self.columns[0]

    def column_for(self, header: str) -> Column | None:
        """Return the column a header text names, or None."""
        wanted = header_key(header)
        for column in self.columns:
            if any(header_key(text) == wanted for text in column.headers):
                return column
        return None


NOTES = Column("notes", ("Notes", "Note", "Comment", "备注", "说明"))
SETTINGS = Block(
    "Setting",
    (
        Column("setting", ("Setting", "设置", "设置项")),
        Column("value", ("Value", "值", "取值")),
        NOTES,
    ),
    required=("value",),
)
STAGES = Block(
    "Stage",
    (
        Column("name", ("Stage", "阶段", "阶段名称")),
        Column("aliases", ("Aliases", "别名"), CellKind.LIST),
        Column("probability", ("Probability", "概率", "赢率"), CellKind.PERCENT),
        Column("required", ("Required", "Required fields", "必填"), CellKind.LIST),
        Column("idle_days", ("Idle days", "停留天数"), CellKind.NUMBER),
        Column("outcome", ("Outcome", "结果"), CellKind.LOWER_TEXT),
        Column("reached_if_filled", ("Reached if filled", "已填即到达"), CellKind.LIST),
        Column(
            "next_step_required", ("Next step required", "需要下一步"), CellKind.FLAG
        ),
        NOTES,
    ),
)
FIELDS = Block(
    "Field",
    (
        Column("field", ("Field", "字段")),
        Column("aliases", ("Headers", "Aliases", "表头"), CellKind.LIST),
        Column("required", ("Required", "必填"), CellKind.FLAG),
        Column("type", ("Type", "类型"), CellKind.LOWER_TEXT),
        NOTES,
    ),
)
BLOCKS = (SETTINGS, STAGES, FIELDS)


def header_key(text: str) -> str:
    """Return a header text without case, spaces, underscores and hyphens.

    >>> header_key("Idle_days"), header_key(" idle Days ")
    ('idledays', 'idledays')
    """
    return re.sub(r"[\s_-]", "", fold_text(text))


def convert_cell(value: CellValue, kind: CellKind) -> object:
    """Return a filled cell as the definition value of a column of ``kind``.

    A value that does not convert is returned as it is, so that validation
    reports it with what the key expects.

    >>> convert_cell("New, Prospect", CellKind.LIST)
    ['New', 'Prospect']
    >>> convert_cell("5%", CellKind.PERCENT)
    0.05
    """
    if kind is CellKind.LIST:
        return split_list(value)
    if kind is CellKind.FLAG:
        flag = parse_flag(value)
        return flag if isinstance(flag, bool) else cell_text(value)
    if kind is CellKind.PERCENT:
        return _fraction(value)
    if kind is CellKind.NUMBER:
        return value if isinstance(value, int | float) else cell_text(value).strip()
    if kind is CellKind.LOWER_TEXT:
        return cell_text(value).strip().casefold()
    return cell_text(value).strip()


def split_list(value: CellValue) -> list[str]:
    """Return the items of a list cell, split at commas and line breaks."""
    return [
        item.strip()
        for item in _LIST_SEPARATORS.split(cell_text(value))
        if item.strip()
    ]


def _fraction(value: CellValue) -> object:
    """Return a probability cell as a fraction, or its text when it reads as none.

    Text is read as a deal's Probability cell reads it, so a decimal comma
    counts: ``12,5 %`` and ``0,125`` are 0.125. A number outside 0 to 1 is
    returned as typed, so that the problem quotes the cell's text.
    """
    # A cell formatted as a percentage already contains the fraction: 5% is 0.05.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = normalize_text(cell_text(value))
    is_percent = text.endswith("%")
    number = decimal_from_cell(text.removesuffix("%").strip(), money=False)
    if isinstance(number, CellProblem):
        return text
    fraction = number / 100 if is_percent else number
    return float(fraction) if 0 <= fraction <= 1 else text


def cell_text(value: CellValue) -> str:
    """Return a cell as text, numbers as Excel shows them (``2025``, not ``2025.0``)."""
    return display_value(value)
