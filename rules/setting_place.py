"""Where a message directs the user to change a setting: the definition or a Rules tab.

A definition with a Rules tab, whether the workbook itself is CONFIG or a
YAML file names the tab, takes its settings from the tab's Setting table
over those of its base. So a fix there works even when the base is a
shipped definition that the team does not edit.
"""

from __future__ import annotations


def setting_place(rules_tab: str | None) -> str:
    """Return where to change a setting, such as "in the definition".

    :param rules_tab: the name of the definition's Rules tab, if it has one.
    """
    if rules_tab is None:
        return "in the definition"
    return f"in the Setting table of tab {rules_tab!r}"
