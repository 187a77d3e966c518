"""pipesheet's conditional-format rules, which colour pipeline rows by status.

A rule is pipesheet's own when it is a custom-formula rule whose formula has the
shape of a highlight rule once cell references are ignored:
``=LEFT($K5,7)="ERROR: "`` matches ``LEFT($H2,7)="ERROR: "``. Every other rule
is the user's and is kept. Rules cover the data rows down to the end of the
tab, so rows people add later are coloured too.
"""

from __future__ import annotations

import re
from typing import Any

from rules.status import STATUS_PREFIXES
from sync.plan import HighlightRule
from sync.sources.sheets_state import Rectangle, TabInfo, grid_range, parse_rectangle

Request = dict[str, Any]

_CELL_REFERENCE = re.compile(r"\$?\b[A-Z]{1,3}\$?[0-9]+\b")


def owned_rule_indexes(tab: TabInfo, highlights: list[HighlightRule]) -> list[int]:
    """Return the positions of pipesheet's own conditional-format rules on a tab.

    A rule is pipesheet's when it is a custom-formula rule whose formula has
    the shape of a highlight rule once cell references are ignored, so a rule
    survives the status column or header row moving. Every status prefix of
    every locale counts, so switching locale replaces the old rules.
    """
    shapes = {_formula_shape(rule.formula) for rule in highlights}
    for prefixes in STATUS_PREFIXES.values():
        for prefix in prefixes.values():
            shapes.add(_formula_shape(f'LEFT(A1,{len(prefix)})="{prefix}"'))
    return [
        index
        for index, rule in enumerate(tab.conditional_formats)
        if _rule_formula(rule) is not None
        and _formula_shape(_rule_formula(rule) or "") in shapes
    ]


def highlight_requests(
    tab: TabInfo, highlights: list[HighlightRule], area: Rectangle
) -> list[Request]:
    """Return the requests replacing pipesheet's highlight rules, or none when the
    rules on the tab already match the plan.

    New rules rank after the user's rules. Deletes name rules by position, so
    ``tab`` must be metadata read just before writing.
    """
    new_rules = [_highlight_rule(tab.sheet_id, rule, area) for rule in highlights]
    owned = owned_rule_indexes(tab, highlights)
    current = [_rule_key(tab.conditional_formats[index]) for index in owned]
    if current == [_rule_key(rule) for rule in new_rules]:
        return []

    requests: list[Request] = [
        {"deleteConditionalFormatRule": {"sheetId": tab.sheet_id, "index": index}}
        for index in reversed(owned)
    ]
    first = len(tab.conditional_formats) - len(owned)
    for offset, rule in enumerate(new_rules):
        requests.append(
            {"addConditionalFormatRule": {"rule": rule, "index": first + offset}}
        )
    return requests


def _highlight_rule(
    sheet_id: int, rule: HighlightRule, area: Rectangle
) -> dict[str, Any]:
    ranges = [
        grid_range(
            sheet_id, area.start_row, area.end_row, area.start_column, area.end_column
        )
    ]
    condition = {
        "type": "CUSTOM_FORMULA",
        "values": [{"userEnteredValue": "=" + rule.formula.strip().removeprefix("=")}],
    }
    fill = {"backgroundColor": _colour(rule.fill_rgb)}
    return {"ranges": ranges, "booleanRule": {"condition": condition, "format": fill}}


def _colour(rgb: str) -> dict[str, float]:
    hex_digits = rgb.lstrip("#")[-6:]
    red, green, blue = (int(hex_digits[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return {"red": red, "green": green, "blue": blue}


def _rule_formula(rule: dict[str, Any]) -> str | None:
    condition = (rule.get("booleanRule") or {}).get("condition") or {}
    values = condition.get("values") or []
    if condition.get("type") != "CUSTOM_FORMULA" or len(values) != 1:
        return None
    return str(values[0].get("userEnteredValue", ""))


def _formula_shape(formula: str) -> str:
    return _CELL_REFERENCE.sub("#", formula.strip().removeprefix("="))


def _rule_key(rule: dict[str, Any]) -> tuple[object, ...]:
    """Return what makes two highlight rules equal, ignoring how Google prints them."""
    ranges = tuple(parse_rectangle(area) for area in rule.get("ranges") or [])
    boolean = rule.get("booleanRule") or {}
    colour = (boolean.get("format") or {}).get("backgroundColor") or {}
    channels = tuple(
        round(float(colour.get(name, 0)) * 255) for name in ("red", "green", "blue")
    )
    return (_rule_formula(rule), ranges, channels)
