"""The rules Excel applies to tab names, shared by definition checks and the writer."""

from __future__ import annotations

# Excel rejects these characters in tab names, and names over 31 characters.
FORBIDDEN_NAME_CHARACTERS = frozenset("[]:*?/\\")
MAX_TAB_NAME = 31
# Excel reserves this name for its change-tracking history sheet.
RESERVED_TAB_NAME = "history"


def excel_tab_name_problem(name: str) -> str | None:
    """Return why Excel would reject ``name`` as a tab name, or None if it accepts it.

    The reason completes the sentence "... cannot be used because ...".
    """
    if not name.strip():
        return "it is empty"
    if len(name) > MAX_TAB_NAME:
        return f"it is {len(name)} characters long and Excel allows {MAX_TAB_NAME}"
    forbidden = sorted(set(name) & FORBIDDEN_NAME_CHARACTERS)
    if forbidden:
        return f"Excel does not allow {''.join(forbidden)!r} in tab names"
    if name.startswith("'") or name.endswith("'"):
        return "Excel does not allow an apostrophe at its start or end"
    if name.casefold() == RESERVED_TAB_NAME:
        return "Excel reserves it for its change history"
    return None
