"""Where a message tells the user to change a setting: the definition or a Rules tab.

A definition with a Rules tab, whether the workbook itself is CONFIG or a
YAML file names the tab, takes its settings from the tab's Setting table
over those of its base. So a fix there works even when the base is a
shipped definition that the team does not edit.
"""

from __future__ import annotations

import re

from config.errors import SheetLayoutError
from config.models import Pipeline
from rules.deals import ColumnMap
from rules.grid import SheetGrid
from rules.headers import match_columns

# A fix of source.header_row as rules/headers.py words it, such as "set
# source.header_row to 43 in the definition" or "Set source.header_row to
# 44, or to auto, in the definition".
_HEADER_ROW_FIX = re.compile(
    r"(source\.header_row to \d+(?:, or to auto,)?) in the definition"
)


def setting_place(rules_tab: str | None) -> str:
    """Return where to change a setting, such as "in the definition".

    :param rules_tab: the name of the definition's Rules tab, if it has one.
    """
    if rules_tab is None:
        return "in the definition"
    return f"in the Setting table of tab {rules_tab!r}"


def place_header_row_fixes(message: str, rules_tab: str | None) -> str:
    """Return ``message`` with its source.header_row fixes set in ``rules_tab``.

    Before: "set source.header_row to 43 in the definition." After, with the
    tab 'Rules': "set source.header_row to 43 in the Setting table of tab
    'Rules'."
    """
    if rules_tab is None:
        return message
    return _HEADER_ROW_FIX.sub(rf"\1 {setting_place(rules_tab)}", message)


def match_sheet_columns(
    grid: SheetGrid, pipeline: Pipeline, *, check_required: bool = True
) -> ColumnMap:
    """Call :func:`rules.headers.match_columns`, its fixes worded for a Rules tab.

    :raises SheetLayoutError: as ``match_columns`` does.
    """
    # TODO: word these fixes in rules/headers.py with setting_place, so that
    # no message needs rewording here.
    try:
        return match_columns(grid, pipeline, check_required=check_required)
    except SheetLayoutError as error:
        rules_tab = pipeline.source.rules_tab
        message = place_header_row_fixes(str(error), rules_tab)
        if message == str(error):
            raise
        raise type(error)(message) from error
