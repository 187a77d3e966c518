"""The rules Excel applies to tab names, shared by definition checks and the writer."""

from __future__ import annotations

from config.close_matches import closest_value
from rules.text_forms import drop_invisible

# Excel rejects these characters in tab names, and names over 31 UTF-16 code units.
FORBIDDEN_NAME_CHARACTERS = frozenset("[]:*?/\\")
MAX_TAB_NAME = 31
# Excel reserves this name for its change-tracking history sheet.
RESERVED_TAB_NAME = "history"


def excel_text_length(text: str) -> int:
    """Return the length of ``text`` as Excel counts it, in UTF-16 code units.

    Excel keeps text as UTF-16, so a character beyond U+FFFF, such as most
    emoji, takes two units of a name's 31.
    """
    return len(text.encode("utf-16-le")) // 2


def excel_tab_name_problem(name: str) -> str | None:
    """Return why Excel would reject ``name`` as a tab name, or None if it accepts it.

    The reason completes the sentence "... cannot be used because ...".
    """
    if not name.strip():
        return "it is empty"
    length = excel_text_length(name)
    if length > MAX_TAB_NAME:
        counted_as = ""
        if length != len(name):
            counted_as = (
                " (Excel counts an emoji or other character beyond U+FFFF as two)"
            )
        return (
            f"it is {length} characters long{counted_as} and Excel allows "
            f"{MAX_TAB_NAME}"
        )
    forbidden = sorted(set(name) & FORBIDDEN_NAME_CHARACTERS)
    if forbidden:
        return f"Excel does not allow {''.join(forbidden)!r} in tab names"
    if name.startswith("'") or name.endswith("'"):
        return "Excel does not allow an apostrophe at its start or end"
    if name.casefold() == RESERVED_TAB_NAME:
        return "Excel reserves it for its change history"
    return None


def tab_name_problem(name: str, *, excel: bool) -> str | None:
    """Return why a definition may not name a tab ``name``, or None if it may.

    Excel's rules apply to an Excel workbook. In either kind a name may not
    start or end with a space or hold an invisible character (a zero-width
    space, say): a spreadsheet accepts it, but the tab then looks like one
    named without them. The reason completes the
    sentence "... cannot be used because ...".
    """
    if not name.strip():
        return "it is empty"
    problem = excel_tab_name_problem(name) if excel else None
    if problem is not None:
        return problem
    if name != name.strip():
        return (
            f"it starts or ends with a space, so it looks like {name.strip()!r} "
            "but is another tab"
        )
    visible = drop_invisible(name)
    if visible != name:
        return (
            "it holds invisible characters, so it looks like "
            f"{visible.strip()!r} but is another tab"
        )
    return None


def check_review_tab_name(template: str | None, *, excel: bool) -> list[str]:
    """Return the problem of ``outputs.tabs.review``, the review tabs' name, if any.

    The name is a template with ``{month}`` for the month as YYYY-MM, checked
    as the names of two months' tabs: ``Review {month}`` gives
    ``Review 2025-11`` and ``Review 2025-12``.
    """
    if template is None:
        return []
    problem: str | None
    try:
        names = [template.format(month=month) for month in ("2025-11", "2025-12")]
    except (AttributeError, IndexError, KeyError, ValueError):
        problem = (
            "it has braces other than {month}; write {{ and }} for a brace in the name"
        )
    else:
        if names[0] == names[1]:
            problem = "it has no {month}, so every month's review would get one name"
        else:
            problem = tab_name_problem(names[1], excel=excel)
    if problem is None:
        return []
    message = (
        f"outputs.tabs.review: invalid value {template!r}; the tab name cannot be "
        f"used because {problem}. Choose another name."
    )
    return [message]


def find_tab_name(names: list[str], tab: str) -> str | None:
    """Return the workbook's spelling of tab ``tab``, ignoring case as Excel does.

    Returns None when no tab of ``names`` has that name.
    """
    if tab in names:
        return tab
    folded = tab.casefold()
    return next((name for name in names if name.casefold() == folded), None)


def existing_tabs_hint(names: list[str], tab: str) -> str:
    """Return "Existing tabs: ..." with the nearest name to a tab not found."""
    listed = ", ".join(repr(name) for name in names) or "none"
    nearest = closest_value(tab.casefold(), {name.casefold(): name for name in names})
    hint = f" Did you mean {nearest!r}?" if nearest is not None else ""
    return f"Existing tabs: {listed}.{hint}"
