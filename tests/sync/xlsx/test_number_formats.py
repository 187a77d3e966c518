"""Tests of the text Excel shows for whole numbers in padding and text formats."""

from __future__ import annotations

import pytest

from sync.xlsx.number_formats import whole_number_styles, whole_number_text


@pytest.mark.parametrize(
    ("code", "number", "shown"),
    [
        ('"D-"0000', 42, "D-0042"),
        ("00000", 123, "00123"),
        ("00000", 2139, "02139"),
        ("\\D-0000", 42, "D-0042"),
        ("\\D\\-0000", 42, "D-0042"),
        ('"D-"0000', 123456, "D-123456"),
        ('"D-"#', 7, "D-7"),
        ('"D-"#', 0, "D-"),
        ("#00", 5, "05"),
        ('0000"-EU"', 12, "0012-EU"),
        ('"Deal "000', 9, "Deal 009"),
        ("[Blue]0000", 42, "0042"),
        ("[Color10]0000", 42, "0042"),
        ('"ID "General', 42, "ID 42"),
        ("(0000)", 42, "(0042)"),
        ('"a;b"00', 3, "a;b03"),
        ("0000", -42, "-0042"),
        ('0000;"minus "0000', -42, "minus 0042"),
        ('"D-"0000;"D-"0000;"D-"0000;@', 0, "D-0000"),
        ('"D-"0000;"-"0;"none"', 0, None),
        ('"ID "General', 123_456_789_012, None),
        ("0000", 10**15, None),
    ],
    ids=[
        "quoted-prefix",
        "zero-padding",
        "zip-code",
        "escaped-prefix",
        "escaped-characters",
        "longer-than-padding",
        "hash",
        "hash-zero",
        "hash-then-zeros",
        "suffix",
        "prefix-with-space",
        "colour",
        "numbered-colour",
        "general",
        "plain-brackets",
        "semicolon-in-quotes",
        "negative-one-section",
        "negative-section",
        "zero-section",
        "zero-section-text-only",
        "general-too-long",
        "more-than-15-digits",
    ],
)
def test_whole_number_shown(code: str, number: int, shown: str | None) -> None:
    render = whole_number_text(code)

    assert render is not None
    assert render(number) == shown


@pytest.mark.parametrize(
    "code",
    [
        "0.00",
        "#,##0",
        "0%",
        "0.00E+00",
        "# ?/?",
        "mm-dd-yy",
        "hh:mm",
        "[<100]0;0",
        "[$€-407]0",
        "@",
        '"D-"@',
        "_(0_)",
        "*-0",
        "0#",
        "000-0000",
        '"no number"',
        "0;;",
        '"D-0',
    ],
    ids=[
        "decimals",
        "thousands",
        "percent",
        "exponent",
        "fraction",
        "date",
        "time",
        "condition",
        "currency-tag",
        "text",
        "text-with-prefix",
        "space-width",
        "fill",
        "zero-then-hash",
        "digits-split",
        "literal-only",
        "empty-sections",
        "unclosed-quote",
    ],
)
def test_other_formats_not_rendered(code: str) -> None:
    assert whole_number_text(code) is None


STYLES = (
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<numFmts count="3"><numFmt numFmtId="164" formatCode="&quot;D-&quot;0000"/>'
    b'<numFmt numFmtId="165" formatCode="0.00"/>'
    b'<numFmt numFmtId="166" formatCode="00000"/></numFmts>'
    b'<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/>'
    b'<xf numFmtId="165"/><xf numFmtId="1"/><xf numFmtId="166"/></cellXfs>'
    b"</styleSheet>"
)


def test_styles_with_padding_formats() -> None:
    styles = whole_number_styles(STYLES)

    assert sorted(styles) == [1, 4]
    assert styles[1](42) == "D-0042"
    assert styles[4](123) == "00123"


def test_styles_without_custom_formats() -> None:
    styles = STYLES.replace(b"numFmts", b"other")

    assert whole_number_styles(styles) == {}
