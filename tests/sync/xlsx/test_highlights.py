"""pipesheet's conditional formats: recognised by formula, replaced, placed in order."""

from __future__ import annotations

import pytest

from sync.plan import HighlightRule
from sync.xlsx.highlights import (
    HighlightBlock,
    formula_shape,
    has_pipesheet_highlights,
    rewrite_highlights,
)

ERROR_RULE = HighlightRule('LEFT($Q5,5)="ERROR"', "FFC7CE")
WARNING_RULE = HighlightRule('LEFT($Q5,4)="WARN"', "FFEB9C")
BLOCK = HighlightBlock([ERROR_RULE, WARNING_RULE], [7, 8], "A5:Q99")


def ours(first_priority: int) -> bytes:
    """Return the block pipesheet writes for BLOCK with priorities from ``first``."""
    return (
        b'<conditionalFormatting sqref="A5:Q99"><cfRule type="expression" dxfId="7" '
        b'priority="%d"><formula>LEFT($Q5,5)="ERROR"</formula></cfRule><cfRule '
        b'type="expression" dxfId="8" priority="%d"><formula>LEFT($Q5,4)="WARN"'
        b"</formula></cfRule></conditionalFormatting>"
        % (first_priority, first_priority + 1)
    )


OURS = ours(4)
USERS = (
    b'<conditionalFormatting sqref="G5:G99"><cfRule type="cellIs" dxfId="1" '
    b'priority="3" operator="greaterThan"><formula>100</formula></cfRule>'
    b"</conditionalFormatting>"
)
MERGES = b'<mergeCells count="1"><mergeCell ref="A1:C1"/></mergeCells>'
VALIDATIONS = (
    b'<dataValidations count="1"><dataValidation sqref="E5"/></dataValidations>'
)
MARGINS = b'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75"/>'
CLOSE = b"</worksheet>"


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        (
            MERGES + USERS + VALIDATIONS + CLOSE,
            MERGES + USERS + OURS + VALIDATIONS + CLOSE,
        ),
        (MERGES + VALIDATIONS + CLOSE, MERGES + ours(1) + VALIDATIONS + CLOSE),
        (MARGINS + CLOSE, ours(1) + MARGINS + CLOSE),
        (CLOSE, ours(1) + CLOSE),
        (
            b"<extLst><ext/></extLst>" + CLOSE,
            ours(1) + b"<extLst><ext/></extLst>" + CLOSE,
        ),
        (
            b"\n  " + MERGES + b"\n  " + MARGINS + CLOSE,
            b"\n  " + MERGES + ours(1) + b"\n  " + MARGINS + CLOSE,
        ),
    ],
    ids=[
        "after-user-formats",
        "after-merged-cells",
        "before-page-margins",
        "empty-tail",
        "before-extension-list",
        "pretty-printed",
    ],
)
def test_block_placed_in_schema_order(tail: bytes, expected: bytes) -> None:
    assert rewrite_highlights(tail, b"", BLOCK) == expected


def test_previous_block_replaced() -> None:
    old = OURS.replace(b"A5:Q99", b"A5:Q50").replace(b'dxfId="7"', b'dxfId="2"')
    tail = MERGES + USERS + old + VALIDATIONS + CLOSE

    assert (
        rewrite_highlights(tail, b"", BLOCK)
        == MERGES + USERS + OURS + VALIDATIONS + CLOSE
    )


def test_replacing_twice_gives_same_bytes() -> None:
    tail = MERGES + USERS + VALIDATIONS + CLOSE

    once = rewrite_highlights(tail, b"", BLOCK)

    assert rewrite_highlights(once, b"", BLOCK) == once


@pytest.mark.parametrize(
    "block",
    [
        (
            b'<conditionalFormatting sqref="A5:A9"><cfRule type="expression" dxfId="1" '
            b'priority="9"><formula>LEFT($Q5,5)="ERROR"</formula></cfRule><cfRule '
            b'type="expression" dxfId="1" priority="10"><formula>$E5="Lost"</formula>'
            b"</cfRule></conditionalFormatting>"
        ),
        (
            b'<conditionalFormatting sqref="A5:A9"><cfRule type="containsText" '
            b'dxfId="1" '
            b'priority="9" text="ERROR"><formula>LEFT($Q5,5)="ERROR"</formula></cfRule>'
            b"</conditionalFormatting>"
        ),
    ],
    ids=["mixed-with-user-rule", "other-rule-type"],
)
def test_user_blocks_kept(block: bytes) -> None:
    tail = block + CLOSE

    result = rewrite_highlights(tail, b"", BLOCK)

    assert result.startswith(block)


def test_priorities_follow_highest_existing() -> None:
    extension = (
        b"<extLst><ext><x14:conditionalFormattings><x14:conditionalFormatting><x14:cfRu"
        b"le "
        b'type="iconSet" priority="11" id="{A}"/></x14:conditionalFormatting>'
        b"</x14:conditionalFormattings></ext></extLst>"
    )

    result = rewrite_highlights(USERS + extension + CLOSE, b"", BLOCK)

    assert b'priority="12"><formula>LEFT' in result


def test_escaped_formula_recognised() -> None:
    rule = HighlightRule('AND($Q5<>"",$Q5<>"OK")', "FFC7CE")
    block = HighlightBlock([rule], [3], "A5:Q9")
    old = (
        b'<conditionalFormatting sqref="A5:Q7"><cfRule type="expression" dxfId="3" '
        b'priority="1"><formula>AND($Q5&lt;&gt;"",$Q5&lt;&gt;"OK")</formula></cfRule>'
        b"</conditionalFormatting>"
    )

    result = rewrite_highlights(old + CLOSE, b"", block)

    assert result == old.replace(b"A5:Q7", b"A5:Q9") + CLOSE


def test_no_range_only_removes() -> None:
    tail = USERS + OURS + CLOSE

    result = rewrite_highlights(tail, b"", HighlightBlock(BLOCK.rules, [], None))

    assert result == USERS + CLOSE


def test_block_without_rules_only_removes() -> None:
    earlier = OURS.replace(b'5)="ERROR"', b'7)="ERROR: "').replace(
        b'4)="WARN"', b'6)="WARN: "'
    )
    tail = MERGES + USERS + earlier + CLOSE

    result = rewrite_highlights(tail, b"", HighlightBlock([], [], None))

    assert result == MERGES + USERS + CLOSE


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (
            (
                b'<x:conditionalFormatting sqref="A2:F9"><x:cfRule type="expression" '
                b'dxfId="1" priority="2"><x:formula>LEFT($F2,6)="WARN: "</x:formula>'
                b"</x:cfRule></x:conditionalFormatting>"
            ),
            True,
        ),
        (
            MERGES + USERS + OURS.replace(b'"ERROR"', '"错误："'.encode()) + CLOSE,
            False,
        ),
        (
            MERGES
            + (
                '<conditionalFormatting sqref="A2:F9"><cfRule type="expression" '
                'dxfId="1" priority="2"><formula>LEFT($F2,3)="错误："</formula>'
                "</cfRule></conditionalFormatting>"
            ).encode()
            + CLOSE,
            True,
        ),
        (MERGES + USERS + CLOSE, False),
        (
            (
                b'<conditionalFormatting sqref="A2:F9"><cfRule type="expression" '
                b'dxfId="1" priority="2"><formula>LEFT($F2,7)="ERROR: "</formula>'
                b'</cfRule><cfRule type="expression" dxfId="2" priority="3">'
                b"<formula>$E2&gt;100</formula></cfRule></conditionalFormatting>"
            ),
            True,
        ),
    ],
    ids=["prefixed", "other-shape", "chinese", "user-rules", "shared-block"],
)
def test_pipesheet_highlights_recognised(xml: bytes, expected: bool) -> None:
    assert has_pipesheet_highlights(xml) is expected


def test_prefixed_worksheet_gets_prefixed_block() -> None:
    block = HighlightBlock([ERROR_RULE], [7], "A5:Q9")

    result = rewrite_highlights(b"<x:pageMargins/></x:worksheet>", b"x:", block)

    assert result == (
        b'<x:conditionalFormatting sqref="A5:Q9"><x:cfRule type="expression" '
        b'dxfId="7" priority="1"><x:formula>LEFT($Q5,5)="ERROR"</x:formula>'
        b"</x:cfRule></x:conditionalFormatting><x:pageMargins/></x:worksheet>"
    )


@pytest.mark.parametrize(
    ("sqref", "reference"),
    [
        (b"A5:P9", b"$P5"),
        (b"A3:Q9", b"$Q3"),
        (b"A12:AB40", b"$AB$12"),
        (b"A5:Q9", b"Q5"),
        (b"A5:Q9 A12:Q20", b"$Q5"),
    ],
    ids=[
        "column-moved",
        "header-row-moved",
        "absolute-reference",
        "relative",
        "split-range",
    ],
)
def test_block_with_moved_reference_replaced(sqref: bytes, reference: bytes) -> None:
    old = OURS.replace(b"$Q5", reference).replace(b"A5:Q99", sqref)
    tail = MERGES + USERS + old + VALIDATIONS + CLOSE

    result = rewrite_highlights(tail, b"", BLOCK)

    assert result == MERGES + USERS + OURS + VALIDATIONS + CLOSE


@pytest.mark.parametrize(
    ("current", "earlier"),
    [
        (
            ['LEFT($R4,7)="ERROR: "', 'LEFT($R4,6)="WARN: "'],
            ['LEFT($S5,3)="错误："', 'LEFT($S5,3)="提醒："'],
        ),
        (
            ['LEFT($R4,3)="错误："', 'LEFT($R4,3)="提醒："'],
            ['LEFT($S5,7)="ERROR: "', 'LEFT($S5,6)="WARN: "'],
        ),
    ],
    ids=["chinese-to-english", "english-to-chinese"],
)
def test_block_of_other_locale_replaced(current: list[str], earlier: list[str]) -> None:
    rules = [HighlightRule(formula, "FFC7CE") for formula in current]
    old_rules = [HighlightRule(formula, "FFC7CE") for formula in earlier]
    old = rewrite_highlights(CLOSE, b"", HighlightBlock(old_rules, [1, 2], "A5:S9"))

    result = rewrite_highlights(
        USERS + old, b"", HighlightBlock(rules, [3, 4], "A4:R9")
    )

    assert result.count(b"<conditionalFormatting") == 2
    assert result.startswith(USERS)
    for formula in earlier:
        assert formula.encode() not in result
    for formula in current:
        assert formula.encode() in result


@pytest.mark.parametrize(
    "formula",
    [
        b'LEFT($Q5,5)="Lost"',
        b'LEFT($Q5,6)="ERROR"',
        b'$Q5="ERROR"',
    ],
    ids=["other-text", "other-length", "other-function"],
)
def test_block_of_other_shape_kept(formula: bytes) -> None:
    user_block = (
        b'<conditionalFormatting sqref="A5:Q99"><cfRule type="expression" '
        b'dxfId="7" priority="4"><formula>%s</formula></cfRule>'
        b"</conditionalFormatting>" % formula
    )

    result = rewrite_highlights(user_block + CLOSE, b"", BLOCK)

    assert result == user_block + ours(5) + CLOSE


def test_shared_block_keeps_user_rule() -> None:
    user_rule = (
        b'<cfRule type="expression" dxfId="7" priority="4"><formula>$Q5="Lost"'
        b"</formula></cfRule>"
    )
    ours_rule = OURS[OURS.index(b"<cfRule") : OURS.index(b"<cfRule", 50)]
    shared = OURS.replace(ours_rule, user_rule)

    result = rewrite_highlights(MERGES + shared + CLOSE, b"", BLOCK)

    user_block = b'<conditionalFormatting sqref="A5:Q99">' + user_rule
    assert result == (
        MERGES + user_block + b"</conditionalFormatting>" + ours(5) + CLOSE
    )


# The fill-only dxfs of a workbook: 7 and 8 have pipesheet's error and warning
# fills, 3 another colour. Dxf 5 sets a font too, so it is not listed.
FILL_DXFS = {3: "FFFF0000", 7: "FFFFC7CE", 8: "FFFFEB9C"}


@pytest.mark.parametrize(
    ("change", "replacement", "first_priority"),
    [
        (b'sqref="A5:Q99"', b'sqref="A5:A99"', 6),
        (b'sqref="A5:Q99"', b'sqref="B5:Q99"', 6),
        (b'sqref="A5:Q99"', b'sqref="A6:Q99"', 6),
        (b'dxfId="7"', b'dxfId="3"', 5),
        (b'dxfId="7"', b'dxfId="5"', 5),
        (b'dxfId="7"', b'dxfId="8"', 5),
    ],
    ids=[
        "other-columns",
        "not-from-column-a",
        "other-first-row",
        "other-fill",
        "not-fill-only",
        "warning-fill",
    ],
)
def test_user_rule_like_pipesheets_kept(
    change: bytes, replacement: bytes, first_priority: int
) -> None:
    users = OURS.replace(change, replacement)
    block = HighlightBlock(BLOCK.rules, BLOCK.dxf_ids, BLOCK.sqref, FILL_DXFS)

    result = rewrite_highlights(users + CLOSE, b"", block)

    assert result.count(b'<formula>LEFT($Q5,5)="ERROR"</formula>') == 2
    assert result.endswith(ours(first_priority) + CLOSE)


def test_rules_with_own_fills_recognised() -> None:
    block = HighlightBlock(BLOCK.rules, BLOCK.dxf_ids, BLOCK.sqref, FILL_DXFS)
    users = OURS.replace(b'dxfId="7"', b'dxfId="3"').replace(b"A5:Q99", b"A5:A99")
    tail = users + ours(6) + CLOSE
    removal = HighlightBlock(BLOCK.rules, [], None, FILL_DXFS)

    removed = rewrite_highlights(tail, b"", removal)

    assert rewrite_highlights(tail, b"", block) == tail
    assert removed == users + CLOSE


@pytest.mark.parametrize(
    ("formula", "shape"),
    [
        ('LEFT($G2,7)="ERROR: "', 'LEFT({ref},7)="ERROR: "'),
        (' AND($A$1<>"",B22>C3) ', 'AND({ref}<>"",{ref}>{ref})'),
        ('LEFT($XFD1048576,3)="错误："', 'LEFT({ref},3)="错误："'),
    ],
    ids=["mixed-reference", "several-references", "last-cell"],
)
def test_formula_shape_hides_references(formula: str, shape: str) -> None:
    assert formula_shape(formula) == shape


# BLOCK as openpyxl 3.1 saves it (priority before dxfId) and as LibreOffice 7.4
# saves it (attributes expression rules ignore, quotes escaped, renumbered).
OPENPYXL_FORM = (
    b'<conditionalFormatting sqref="A5:Q99"><cfRule type="expression" '
    b'priority="4" dxfId="7"><formula>LEFT($Q5,5)="ERROR"</formula></cfRule>'
    b'<cfRule type="expression" priority="5" dxfId="8"><formula>LEFT($Q5,4)="WARN"'
    b"</formula></cfRule></conditionalFormatting>"
)
LIBREOFFICE_FORM = (
    b'<conditionalFormatting sqref="A5:Q99"><cfRule type="expression" '
    b'priority="5" aboveAverage="0" equalAverage="0" bottom="0" percent="0" '
    b'rank="0" text="" dxfId="7"><formula>LEFT($Q5,5)=&quot;ERROR&quot;</formula>'
    b'</cfRule><cfRule type="expression" priority="6" aboveAverage="0" '
    b'equalAverage="0" bottom="0" percent="0" rank="0" text="" dxfId="8">'
    b"<formula>LEFT($Q5,4)=&quot;WARN&quot;</formula></cfRule>"
    b"</conditionalFormatting>"
)


@pytest.mark.parametrize(
    "saved",
    [
        OPENPYXL_FORM,
        LIBREOFFICE_FORM,
        OPENPYXL_FORM.replace(b'"A5:Q99"', b'"$A$5:$Q$99"'),
        OPENPYXL_FORM.replace(b"priority", b"stopIfTrue='0' priority"),
    ],
    ids=["openpyxl", "libreoffice", "absolute-range", "stop-if-true-off"],
)
def test_equal_block_in_other_form_kept(saved: bytes) -> None:
    tail = MERGES + USERS + saved + VALIDATIONS + CLOSE

    assert rewrite_highlights(tail, b"", BLOCK) == tail


@pytest.mark.parametrize(
    ("change", "replacement"),
    [
        (b'sqref="A5:Q99"', b'sqref="A5:Q98"'),
        (b'dxfId="8"', b'dxfId="9"'),
        (b'priority="4"', b'priority="3"'),
        (b'priority="5"', b'priority="2"'),
        (b'priority="4"', b'priority="4" stopIfTrue="1"'),
        (b'sqref="A5:Q99"', b'sqref="A5:Q99" pivot="1"'),
        (b"LEFT($Q5,4)", b"LEFT($P5,4)"),
        (b'4)="WARN"', b'5)="ERROR"'),
    ],
    ids=[
        "other-range",
        "other-dxf",
        "not-below-user-rule",
        "rules-swapped",
        "stop-if-true",
        "pivot",
        "other-column",
        "repeated-rule",
    ],
)
def test_changed_block_replaced(change: bytes, replacement: bytes) -> None:
    saved = OPENPYXL_FORM.replace(change, replacement)
    assert saved != OPENPYXL_FORM
    tail = MERGES + USERS + saved + VALIDATIONS + CLOSE

    result = rewrite_highlights(tail, b"", BLOCK)

    assert result == MERGES + USERS + OURS + VALIDATIONS + CLOSE


def test_repeated_block_replaced() -> None:
    tail = MERGES + USERS + OPENPYXL_FORM + OPENPYXL_FORM + VALIDATIONS + CLOSE

    result = rewrite_highlights(tail, b"", BLOCK)

    assert result == MERGES + USERS + OURS + VALIDATIONS + CLOSE
