"""pipesheet's conditional-format rules on the pipeline tab: found, removed, re-added.

SpreadsheetML gives a ``<cfRule>`` no place for a marker that Excel keeps, so
pipesheet recognises its own rules by their formulas. A ``<conditionalFormatting>``
block is pipesheet's when every rule in it is an expression rule whose formula has
the shape of a formula pipesheet writes. A shape is the formula after XML
unescaping and stripping surrounding whitespace, with every cell reference
replaced by a placeholder. ``LEFT($F2,7)="ERROR: "`` and ``LEFT($G5,7)="ERROR: "``
have the same shape, so a block an earlier run wrote is still recognised after
the status column or the header row moved.

The shapes pipesheet writes are those of the current highlight rules and the
status-prefix tests of every locale: ``LEFT(ref,n)="prefix"`` for each prefix in
:data:`rules.status.STATUS_PREFIXES`, as :mod:`sync.planner` writes them. So a
block written before the locale changed is recognised too. Such blocks are
removed and one new block with every highlight rule is added, so a run replaces
its rules instead of stacking copies, whatever range they covered before.
One block that already colours as the new one would, in whatever form another
program saved it, is kept as it is instead, so the sheet's bytes stay the same.

The new block goes after the sheet's other conditional formats, at the place the
worksheet schema gives them: after ``mergeCells`` and ``phoneticPr``, before
``dataValidations``, ``hyperlinks``, the page setup and ``extLst``. Its rules
get priorities below every existing rule's, so the user's rules keep winning.

NOTE: a user's own expression rule with one of these shapes (a status-prefix
test on any column, for example) is taken for pipesheet's and replaced. When the
definition changes a highlight formula to another shape, the block an earlier
run wrote stays in the sheet next to the new one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rules.status import STATUS_PREFIXES
from sync.plan import HighlightRule
from sync.xlsx.markup import escape_attribute, escape_markup, unescape

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
_EXPRESSION_TYPE = re.compile(rb"""\stype\s*=\s*["']expression["']""")
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
# The status-prefix test sync.planner writes for each prefix, in every locale.
_PREFIX_TEST_SHAPES = frozenset(
    f'LEFT({_REFERENCE_PLACEHOLDER},{len(prefix)})="{prefix}"'
    for prefixes in STATUS_PREFIXES.values()
    for prefix in prefixes.values()
)


@dataclass(frozen=True)
class HighlightBlock:
    """The highlight rules to write, their dxf ids and the range they colour."""

    rules: Sequence[HighlightRule]
    dxf_ids: Sequence[int]
    sqref: str | None


def rewrite_highlights(tail: bytes, prefix: bytes, block: HighlightBlock) -> bytes:
    """Replace pipesheet's conditional formats in the XML after ``</sheetData>``.

    :param tail: the worksheet XML from just after ``</sheetData>`` to its end.
    :param prefix: the namespace prefix of the worksheet's elements, with colon.

    A block without rules only removes pipesheet's conditional formats. When
    the sheet already has one block of pipesheet's that means the same as
    ``block``, in whatever form another program wrote it, ``tail`` is
    returned unchanged, so the sheet is not rewritten for it.
    """
    shapes = owned_formula_shapes(block.rules)
    elements = _top_level_elements(tail, prefix)

    remaining = tail
    owned: list[bytes] = []
    for start, end, name in reversed(elements):
        ours = _is_pipesheets(tail[start:end], shapes)
        if name == "conditionalFormatting" and ours:
            remaining = remaining[:start] + remaining[end:]
            owned.append(tail[start:end])
    if block.sqref is None:
        return remaining
    if len(owned) == 1 and means_block(owned[0], block, _highest_priority(remaining)):
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


def has_pipesheet_highlights(xml: bytes) -> bool:
    """Return True if ``xml`` has a conditional-format block that pipesheet wrote.

    It is recognised by the status-prefix tests of every locale, the shapes the
    planner writes. Cell text cannot hold the block's tag, because XML escapes
    its ``<``.
    """
    if b"conditionalFormatting" not in xml:
        return False
    return any(
        _is_pipesheets(match.group(0), _PREFIX_TEST_SHAPES)
        for match in _BLOCK.finditer(xml)
    )


def owned_formula_shapes(rules: Sequence[HighlightRule]) -> frozenset[str]:
    """Return the formula shapes that mark a conditional format as pipesheet's.

    These are the shapes of ``rules``' formulas and of the status-prefix tests of
    every locale: ``LEFT($G2,7)="ERROR: "`` has the shape
    ``LEFT({ref},7)="ERROR: "``.
    """
    return _PREFIX_TEST_SHAPES | {formula_shape(rule.formula) for rule in rules}


def formula_shape(formula: str) -> str:
    """Return ``formula`` stripped, with each cell reference replaced by ``{ref}``."""
    return _CELL_REFERENCE.sub(_REFERENCE_PLACEHOLDER, formula.strip())


def _tag_attributes(tag: bytes) -> dict[str, str]:
    return {
        name.decode(): unescape((double or single).decode())
        for name, double, single in _TAG_ATTRIBUTE.findall(tag)
    }


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


def _is_pipesheets(block: bytes, shapes: frozenset[str]) -> bool:
    """Return True if every rule of a conditionalFormatting block is pipesheet's."""
    rules = _RULE_TAG.findall(block)
    found = [formula_shape(unescape(f.decode())) for f in _FORMULA.findall(block)]
    if not rules or len(found) != len(rules):
        return False
    expressions = all(_EXPRESSION_TYPE.search(attributes) for attributes in rules)
    return expressions and all(shape in shapes for shape in found)


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
