"""pipesheet's conditional-format rules on the pipeline tab: found, removed, re-added.

SpreadsheetML gives a ``<cfRule>`` no place for a marker that Excel keeps, so
pipesheet recognises its own rules by what it writes (see
:func:`_owned_rule_spans`). A rule is pipesheet's when:

- it is an expression rule whose formula has the shape of a formula pipesheet
  writes. A shape is the formula after XML unescaping and stripping
  surrounding whitespace, with every cell reference replaced by a placeholder.
- its dxf only fills cells with the colour pipesheet gives that formula.
- the ranges of its ``<conditionalFormatting>`` block start at column A, and
  its formula reads cells on the block's first row, inside the block's columns.

``LEFT($F2,7)="ERROR: "`` on ``A2:F9`` and ``LEFT($G5,7)="ERROR: "`` on
``A5:H40`` are both pipesheet's, so a rule an earlier run wrote is still
recognised after Excel moved the status column or the header row with it.
The same formula on ``A2:A9``, or with a red font, is the user's and stays.

The shapes pipesheet writes are those of the current highlight rules and the
status-prefix tests of every locale: ``LEFT(ref,n)="prefix"`` for each prefix in
:data:`rules.status.STATUS_PREFIXES`, as :mod:`sync.planner` writes them. So a
rule written before the locale changed is recognised too. Such rules are
removed, with their block unless it also contains the user's rules, and one new
block with every highlight rule is added. So a run replaces its rules instead
of stacking copies, whatever range they covered before. One block of
pipesheet's that already colours as the new one would, in whatever form another
program saved it, is kept as it is instead, so the sheet's bytes stay the same.

The new block goes after the sheet's other conditional formats, at the place the
worksheet schema gives them: after ``mergeCells`` and ``phoneticPr``, before
``dataValidations``, ``hyperlinks``, the page setup and ``extLst``. Its rules
get priorities below every existing rule's, so the user's rules keep winning.

NOTE: a user's own rule with the same formula, fill and range as pipesheet's
is taken for pipesheet's and replaced. A rule of pipesheet's whose format or
range the user changed is taken for the user's and stays next to the new one.
When the definition changes a highlight formula to another shape, the block an
earlier run wrote stays in the sheet next to the new one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rules.status import STATUS_PREFIXES
from sync.plan import HIGHLIGHT_FILLS, HighlightRule
from sync.xlsx.cell_refs import parse_cell_ref, parse_range_ref
from sync.xlsx.markup import escape_attribute, escape_markup, unescape
from sync.xlsx.styles import argb_colour

# Worksheet children that the schema puts before conditionalFormatting, after
# sheetData, and conditionalFormatting itself.
_BEFORE_HIGHLIGHTS = frozenset(
    {
        "sheetCalcPr",
        "sheetProtection",
        "protectedRanges",
        "scenarios",
        "autoFilter",
        "sortState",
        "dataConsolidate",
        "customSheetViews",
        "mergeCells",
        "phoneticPr",
        "conditionalFormatting",
    }
)
_START_TAG = re.compile(rb"<(?:([\w.-]+):)?([\w.-]+)(?=[\s/>])[^>]*?(/?)>")
_RULE_TAG = re.compile(rb"<(?:[\w.-]+:)?cfRule(?=[\s/>])([^>]*)>")
_FORMULA = re.compile(
    rb"<(?:[\w.-]+:)?formula>(.*?)</(?:[\w.-]+:)?formula>", flags=re.DOTALL
)
_BLOCK = re.compile(
    rb"<(?:[\w.-]+:)?conditionalFormatting[\s>].*?</(?:[\w.-]+:)?conditionalFormatting>",
    flags=re.DOTALL,
)
_PRIORITY = re.compile(rb"""<(?:[\w.-]+:)?cfRule\b[^>]*?\spriority\s*=\s*["'](\d+)""")
# A cfRule element with its attributes and content. pipesheet writes no empty
# rule, so a self-closing one makes the counts differ and the block not match.
_RULE = re.compile(
    rb"<(?:[\w.-]+:)?cfRule(?=[\s>])([^>]*?)>(.*?)</(?:[\w.-]+:)?cfRule>",
    flags=re.DOTALL,
)
_EMPTY_RULE = re.compile(rb"<(?:[\w.-]+:)?cfRule(?=[\s/])[^>]*/>")
_TAG_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# The attributes an expression rule may have. The schema gives the ones after
# stopIfTrue to other rule types, so an expression rule ignores them.
_EXPRESSION_ATTRIBUTES = frozenset(
    {
        "type",
        "dxfId",
        "priority",
        "stopIfTrue",
        "aboveAverage",
        "percent",
        "bottom",
        "operator",
        "text",
        "timePeriod",
        "rank",
        "stdDev",
        "equalAverage",
    }
)
# A cell reference such as G2, $G2 or $G$2, and what a shape puts in its place.
_CELL_REFERENCE = re.compile(r"\$?[A-Z]{1,3}\$?\d+")
_REFERENCE_PLACEHOLDER = "{ref}"
# The status-prefix test sync.planner writes for each prefix, in every locale,
# with the ARGB fill it gives the test's severity.
_PREFIX_TEST_FILLS: dict[str, frozenset[str]] = {
    f'LEFT({_REFERENCE_PLACEHOLDER},{len(prefix)})="{prefix}"': frozenset(
        {argb_colour(HIGHLIGHT_FILLS[severity])}
    )
    for prefixes in STATUS_PREFIXES.values()
    for severity, prefix in prefixes.items()
}


@dataclass(frozen=True)
class HighlightBlock:
    """The highlight rules to write, their dxf ids and the range they colour.

    ``fill_dxfs`` maps the index of each dxf of the workbook that only fills
    cells to its ARGB colour (:meth:`StyleSheet.fill_dxf_colours`). A rule
    whose dxf is not the fill pipesheet gives its formula is the user's. None
    skips that test, for callers that do not read the styles part.
    """

    rules: Sequence[HighlightRule]
    dxf_ids: Sequence[int]
    sqref: str | None
    fill_dxfs: Mapping[int, str] | None = None


def rewrite_highlights(tail: bytes, prefix: bytes, block: HighlightBlock) -> bytes:
    """Replace pipesheet's conditional formats in the XML after ``</sheetData>``.

    :param tail: the worksheet XML from just after ``</sheetData>`` to its end.
    :param prefix: the namespace prefix of the worksheet's elements, with colon.

    A block without rules only removes pipesheet's conditional formats. When
    the sheet already has one block of pipesheet's that means the same as
    ``block``, in whatever form another program wrote it, ``tail`` is
    returned unchanged, so the sheet is not rewritten for it.
    """
    fills = owned_rule_fills(block.rules)
    elements = _top_level_elements(tail, prefix)

    remaining = tail
    owned: list[bytes] = []
    shared = False
    for start, end, name in reversed(elements):
        if name != "conditionalFormatting":
            continue
        element = tail[start:end]
        spans = _owned_rule_spans(element, fills, block.fill_dxfs)
        if spans and len(spans) == len(_RULE_TAG.findall(element)):
            remaining = remaining[:start] + remaining[end:]
            owned.append(element)
        elif spans:
            # A block that also contains the user's rules keeps them.
            users_rules = _without_spans(element, spans)
            remaining = remaining[:start] + users_rules + remaining[end:]
            shared = True
    if block.sqref is None:
        return remaining
    other_priority = _highest_priority(remaining)
    if len(owned) == 1 and not shared and means_block(owned[0], block, other_priority):
        return tail

    at = _insertion_point(_top_level_elements(remaining, prefix))
    first_priority = _highest_priority(remaining) + 1
    new_block = _render_block(prefix, block, block.sqref, first_priority)
    return remaining[:at] + new_block + remaining[at:]


def means_block(existing: bytes, block: HighlightBlock, other_priority: int) -> bool:
    """Return True if a conditionalFormatting element colours as ``block`` would.

    It must cover the same ranges and have ``block``'s rules in order, with
    the same formulas and dxf ids. Their priority numbers must be above
    ``other_priority``, the highest number among the sheet's other rules, so
    those rules still take precedence. Attribute order, quoting,
    escaping and the attributes that expression rules ignore (LibreOffice
    7.4 writes ``aboveAverage="0"`` and ``text=""``, for one) do not matter.
    """
    opening = _START_TAG.match(existing)
    assert opening is not None, "callers pass a whole conditionalFormatting element"
    attributes = _tag_attributes(opening.group(0))
    if set(attributes) != {"sqref"} or block.sqref is None:
        return False
    if _range_set(attributes["sqref"]) != _range_set(block.sqref):
        return False

    rules = _RULE.findall(existing)
    if len(rules) != len(block.rules) or len(_RULE_TAG.findall(existing)) != len(rules):
        return False
    priority = other_priority
    for (rule_attributes, body), rule, dxf_id in zip(
        rules, block.rules, block.dxf_ids, strict=True
    ):
        found = _tag_attributes(rule_attributes)
        if not _is_plain_expression(found, dxf_id):
            return False
        if int(found["priority"]) <= priority:
            return False
        priority = int(found["priority"])
        formulas = _FORMULA.findall(body)
        if len(formulas) != 1 or _FORMULA.sub(b"", body).strip():
            return False
        if unescape(formulas[0].decode()).strip() != rule.formula.strip():
            return False
    return True


def has_pipesheet_highlights(
    xml: bytes, fill_dxfs: Mapping[int, str] | None = None
) -> bool:
    """Return True if ``xml`` has a conditional-format block that pipesheet wrote.

    See :func:`pipesheet_highlight_blocks`.
    """
    return bool(pipesheet_highlight_blocks(xml, fill_dxfs))


def pipesheet_highlight_blocks(
    xml: bytes, fill_dxfs: Mapping[int, str] | None = None
) -> dict[bytes, frozenset[int]]:
    """Return each conditional-format block of ``xml`` that pipesheet wrote.

    The value is the 0-based columns that pipesheet's rules in the block read.
    A rule is recognised by the status-prefix tests of every locale, the shapes
    the planner writes (see :func:`_owned_rule_spans`). Cell text cannot hold the
    block's tag, because XML escapes its ``<``.
    """
    if b"conditionalFormatting" not in xml:
        return {}
    blocks: dict[bytes, frozenset[int]] = {}
    for match in _BLOCK.finditer(xml):
        columns = owned_block_columns(match.group(0), _PREFIX_TEST_FILLS, fill_dxfs)
        if columns is not None:
            blocks[match.group(0)] = columns
    return blocks


def owned_rule_fills(rules: Sequence[HighlightRule]) -> dict[str, frozenset[str]]:
    """Return the formula shapes that pipesheet writes, each with its ARGB fills.

    These are the shapes of ``rules``' formulas and of the status-prefix tests of
    every locale: ``LEFT($G2,7)="ERROR: "`` has the shape
    ``LEFT({ref},7)="ERROR: "`` and the fill ``FFFFC7CE``.
    """
    fills = {shape: set(colours) for shape, colours in _PREFIX_TEST_FILLS.items()}
    for rule in rules:
        fills.setdefault(formula_shape(rule.formula), set()).add(
            argb_colour(rule.fill_rgb)
        )
    return {shape: frozenset(colours) for shape, colours in fills.items()}


def owned_block_columns(
    block: bytes,
    fills: Mapping[str, frozenset[str]],
    fill_dxfs: Mapping[int, str] | None,
) -> frozenset[int] | None:
    """Return the 0-based columns that pipesheet's rules in ``block`` read.

    Returns None when no rule of the conditionalFormatting ``block`` is
    pipesheet's (see :func:`_owned_rule_spans`).
    """
    spans = _owned_rule_spans(block, fills, fill_dxfs)
    if not spans:
        return None
    return frozenset().union(*(columns for _, _, columns in spans))


def _owned_rule_spans(
    block: bytes,
    fills: Mapping[str, frozenset[str]],
    fill_dxfs: Mapping[int, str] | None,
) -> list[tuple[int, int, frozenset[int]]]:
    """Return the start, end and read columns of each of pipesheet's rules in ``block``.

    A rule of a conditionalFormatting block is pipesheet's when it looks as
    pipesheet writes it, as Excel keeps it after rows or columns move:

    - it is an expression whose formula has a shape of ``fills``, and uses a
      dxf that only fills cells with that shape's colour, unless
      ``fill_dxfs`` is None;
    - each range of the block's ``sqref`` starts at column A;
    - the formula reads cells on the block's first row and inside the
      block's columns: ``LEFT($E2,7)="ERROR: "`` on ``A2:E40``.

    So a user's rule with the same formula but another range (``A2:A40``) or
    another format (a red font) is not pipesheet's. A block with an empty
    ``<cfRule/>`` gives none, because the rule pattern cannot split it.
    """
    opening = _START_TAG.match(block)
    sqref = _tag_attributes(opening.group(0)).get("sqref", "") if opening else ""
    area = _block_area(sqref)
    if area is None or _EMPTY_RULE.search(block):
        return []
    spans: list[tuple[int, int, frozenset[int]]] = []
    for rule in _RULE.finditer(block):
        columns = _owned_rule_columns(rule, area, fills, fill_dxfs)
        if columns:
            spans.append((rule.start(), rule.end(), columns))
    return spans


def _owned_rule_columns(
    rule: re.Match[bytes],
    area: tuple[int, int],
    fills: Mapping[str, frozenset[str]],
    fill_dxfs: Mapping[int, str] | None,
) -> frozenset[int] | None:
    """Return the columns a cfRule of pipesheet's reads; None for another rule."""
    attributes = _tag_attributes(rule.group(1))
    formulas = _FORMULA.findall(rule.group(2))
    if attributes.get("type") != "expression" or len(formulas) != 1:
        return None
    formula = unescape(formulas[0].decode()).strip()
    owned_fills = fills.get(formula_shape(formula))
    if owned_fills is None:
        return None
    if fill_dxfs is not None:
        dxf_id = attributes.get("dxfId", "").strip()
        fill = fill_dxfs.get(int(dxf_id)) if dxf_id.isdigit() else None
        if fill is None or not _same_rgb(fill, owned_fills):
            return None

    top_row, last_column = area
    columns: set[int] = set()
    for reference in _CELL_REFERENCE.findall(formula):
        row, column = parse_cell_ref(reference.replace("$", ""))
        if row != top_row or column > last_column:
            return None
        columns.add(column)
    return frozenset(columns)


def formula_shape(formula: str) -> str:
    """Return ``formula`` stripped, with each cell reference replaced by ``{ref}``."""
    return _CELL_REFERENCE.sub(_REFERENCE_PLACEHOLDER, formula.strip())


def _tag_attributes(tag: bytes) -> dict[str, str]:
    return {
        name.decode(): unescape((double or single).decode())
        for name, double, single in _TAG_ATTRIBUTE.findall(tag)
    }


def _same_rgb(argb: str, owned: frozenset[str]) -> bool:
    """Return True if ``argb`` has the RGB of one of ``owned``, whatever its alpha.

    openpyxl 3.1.5 saves a fill colour given as ``"FFC7CE"`` as ``"00FFC7CE"``,
    so the alpha byte is not compared.
    """
    return argb[-6:] in {colour[-6:] for colour in owned}


def _block_area(sqref: str) -> tuple[int, int] | None:
    """Return the first row and last column of ``sqref`` if each range starts at A.

    ``"A2:E9 A12:E20"`` gives ``(2, 4)``. A range that starts right of column A,
    or that is no cell range, gives None.
    """
    areas = [parse_range_ref(ref) for ref in sqref.replace("$", "").split()]
    if not areas:
        return None
    corners: list[tuple[int, int]] = []
    for area in areas:
        if area is None or area[1] != 0:
            return None
        corners.append((area[0], area[3]))
    return min(row for row, _ in corners), max(column for _, column in corners)


def _range_set(sqref: str) -> frozenset[str]:
    """Return the ranges of a space-separated ``sqref``, upper case, without ``$``."""
    return frozenset(sqref.replace("$", "").upper().split())


def _is_plain_expression(attributes: dict[str, str], dxf_id: int) -> bool:
    """Return True if rule ``attributes`` are an expression with ``dxf_id`` alone."""
    if attributes.get("type") != "expression":
        return False
    if attributes.get("dxfId", "").strip() != str(dxf_id):
        return False
    if not attributes.get("priority", "").strip().isdigit():
        return False
    if attributes.get("stopIfTrue", "0").strip().lower() not in ("0", "false"):
        return False
    return set(attributes) <= _EXPRESSION_ATTRIBUTES


def _top_level_elements(tail: bytes, prefix: bytes) -> list[tuple[int, int, str]]:
    """List ``(start, end, local name)`` of the worksheet children in ``tail``.

    The walk stops at the first child that the schema puts after the conditional
    formats (or at one it does not know), because nothing later matters here and
    such children (``extLst``, ``mc:AlternateContent``) may nest elements of
    their own name.
    """
    elements: list[tuple[int, int, str]] = []
    position = 0
    while True:
        position = _skip_misc(tail, position)
        tag = _START_TAG.match(tail, position)
        if tag is None:
            return elements
        name = tag.group(2).decode()
        tag_prefix = tag.group(1) + b":" if tag.group(1) else b""
        if tag_prefix != prefix:
            elements.append((tag.start(), tag.start(), ""))
            return elements

        end = tag.end() if tag.group(3) else _element_end(tail, tag, prefix)
        elements.append((tag.start(), end, name))
        if name not in _BEFORE_HIGHLIGHTS:
            return elements
        position = end


def _skip_misc(tail: bytes, position: int) -> int:
    """Skip whitespace, comments and processing instructions."""
    while True:
        while position < len(tail) and tail[position] in b" \t\r\n":
            position += 1
        if tail.startswith(b"<!--", position):
            closing, length = tail.find(b"-->", position), 3
        elif tail.startswith(b"<?", position):
            closing, length = tail.find(b"?>", position), 2
        else:
            return position
        if closing < 0:
            return len(tail)
        position = closing + length


def _element_end(tail: bytes, tag: re.Match[bytes], prefix: bytes) -> int:
    closing = b"</" + prefix + tag.group(2) + b">"
    end = tail.find(closing, tag.end())
    return len(tail) if end < 0 else end + len(closing)


def _without_spans(
    element: bytes, spans: list[tuple[int, int, frozenset[int]]]
) -> bytes:
    """Return ``element`` without the byte ranges of ``spans``, given in order."""
    pieces: list[bytes] = []
    position = 0
    for start, end, _ in spans:
        pieces.append(element[position:start])
        position = end
    pieces.append(element[position:])
    return b"".join(pieces)


def _insertion_point(elements: list[tuple[int, int, str]]) -> int:
    """Return where the new block goes: after the last child that precedes it."""
    at = 0
    for start, end, name in elements:
        if name not in _BEFORE_HIGHLIGHTS:
            return at if at else start
        at = end
    return at


def _highest_priority(tail: bytes) -> int:
    return max((int(value) for value in _PRIORITY.findall(tail)), default=0)


def _render_block(
    prefix: bytes, block: HighlightBlock, sqref: str, first_priority: int
) -> bytes:
    p = prefix.decode()
    pairs = zip(block.rules, block.dxf_ids, strict=True)
    rules = "".join(
        f'<{p}cfRule type="expression" dxfId="{dxf_id}" '
        f'priority="{first_priority + number}">'
        f"<{p}formula>{escape_markup(rule.formula.strip())}</{p}formula></{p}cfRule>"
        for number, (rule, dxf_id) in enumerate(pairs)
    )
    opening = f'<{p}conditionalFormatting sqref="{escape_attribute(sqref)}">'
    return (opening + rules + f"</{p}conditionalFormatting>").encode()
