"""Formats added to the styles part: appended once, then found again."""

from __future__ import annotations

import pytest

from sync.xlsx.styles import DEFAULT_STYLES, StyleSheet

STYLES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    b'<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    b'<font><i/><sz val="11"/><name val="Calibri"/></font></fonts>'
    b'<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    b'<borders count="1"><border/></borders>'
    b'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    b'</cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" '
    b'borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" '
    b'xfId="0" applyNumberFormat="1"><alignment horizontal="left"/></xf>'
    b'<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    b'<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    b"</cellStyles>DXFS"
    b'<tableStyles count="0"/></styleSheet>'
)
PINK_DXF = (
    '<dxf><fill><patternFill><bgColor rgb="FFFFC7CE"/></patternFill></fill></dxf>'
)


def style_sheet(dxfs: bytes = b'<dxfs count="0"/>') -> StyleSheet:
    return StyleSheet(STYLES.replace(b"DXFS", dxfs), "w.xlsx")


@pytest.mark.parametrize(
    ("dxfs", "expected_id", "expected"),
    [
        (b'<dxfs count="0"/>', 0, f'<dxfs count="1">{PINK_DXF}</dxfs>'),
        (
            b'<dxfs count="1"><dxf><font><b/></font></dxf></dxfs>',
            1,
            f'<dxfs count="2"><dxf><font><b/></font></dxf>{PINK_DXF}</dxfs>',
        ),
        (b"", 0, f'<dxfs count="1">{PINK_DXF}</dxfs><tableStyles'),
    ],
    ids=["empty", "appended", "missing"],
)
def test_dxf_appended_with_count(dxfs: bytes, expected_id: int, expected: str) -> None:
    styles = style_sheet(dxfs)

    dxf_id = styles.dxf_id("#ffc7ce")

    assert dxf_id == expected_id
    assert expected in styles.text


@pytest.mark.parametrize(
    "pink",
    [
        PINK_DXF,
        PINK_DXF.replace('"/>', '" />'),
        PINK_DXF.replace("><", ">\n  <"),
    ],
    ids=["as-written", "openpyxl-space", "indented"],
)
def test_identical_dxf_reused(pink: str) -> None:
    dxfs = f'<dxfs count="2"><dxf><font><b/></font></dxf>{pink}</dxfs>'.encode()
    styles = style_sheet(dxfs)

    dxf_id = styles.dxf_id("FFFFC7CE")

    assert dxf_id == 1
    assert styles.to_bytes() == STYLES.replace(b"DXFS", dxfs)


@pytest.mark.parametrize(
    "pink",
    [
        PINK_DXF.replace("<patternFill>", '<patternFill patternType="solid">'),
        PINK_DXF.replace("<bgColor", '<fgColor rgb="FFFFC7CE"/><bgColor'),
        PINK_DXF.replace("FFFFC7CE", "ffffc7ce"),
        PINK_DXF.replace('"/>', '"></bgColor>'),
    ],
    ids=["solid-pattern", "foreground-too", "lower-case", "end-tag"],
)
def test_equivalent_dxf_reused(pink: str) -> None:
    dxfs = f'<dxfs count="2"><dxf><font><b/></font></dxf>{pink}</dxfs>'.encode()
    styles = style_sheet(dxfs)

    dxf_id = styles.dxf_id("FFC7CE")

    assert dxf_id == 1
    assert styles.to_bytes() == STYLES.replace(b"DXFS", dxfs)


@pytest.mark.parametrize(
    "other",
    [
        PINK_DXF.replace("<fill>", "<font><b/></font><fill>"),
        PINK_DXF.replace("<patternFill>", '<patternFill patternType="gray125">'),
        PINK_DXF.replace("<bgColor", '<fgColor rgb="FF000000"/><bgColor'),
        PINK_DXF.replace('rgb="FFFFC7CE"', 'theme="5" tint="0.6"'),
        PINK_DXF.replace('rgb="FFFFC7CE"', 'rgb="FFFFC7CE" tint="0.5"'),
    ],
    ids=["bold-too", "other-pattern", "other-foreground", "theme-colour", "tinted"],
)
def test_different_dxf_not_reused(other: str) -> None:
    dxfs = f'<dxfs count="1">{other}</dxfs>'.encode()
    styles = style_sheet(dxfs)

    dxf_id = styles.dxf_id("FFC7CE")

    assert dxf_id == 1
    assert styles.to_bytes().count(b"<dxf>") == 2


def test_invalid_fill_colour_rejected() -> None:
    with pytest.raises(ValueError) as raised:
        style_sheet().dxf_id("pink")

    assert str(raised.value) == "fill colour 'pink' is not a hex colour like 'FFC7CE'"


def test_plain_date_format_appended() -> None:
    styles = style_sheet()

    xf_id = styles.cell_xf_id(14)

    assert xf_id == 3
    assert '<cellXfs count="4">' in styles.text
    assert (
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" '
        'applyNumberFormat="1"/></cellXfs>' in styles.text
    )


def test_plain_date_format_reused() -> None:
    styles = StyleSheet(
        STYLES.replace(b"DXFS", b"").replace(
            b'<xf numFmtId="164"', b'<xf numFmtId="14"'
        ),
        "w.xlsx",
    )

    assert styles.cell_xf_id(14) == 2


def test_bold_header_format_adds_font_once() -> None:
    styles = style_sheet()

    first = styles.cell_xf_id(0, bold=True)
    second = styles.cell_xf_id(0, bold=True)

    assert (first, second) == (3, 3)
    assert '<fonts count="3">' in styles.text
    assert '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>' in styles.text


@pytest.mark.parametrize(
    ("bold_font", "expected_id"),
    [
        ('<font><name val="Calibri" /><b val="1" /><sz val="11" /></font>', 2),
        ('<font><b val="true"/><sz val="11"/><name val="Calibri"/></font>', 2),
        ('<font><b val="0"/><sz val="11"/><name val="Calibri"/></font>', 3),
        ('<font><b/><sz val="12"/><name val="Calibri"/></font>', 3),
    ],
    ids=["openpyxl-form", "true", "switched-off", "other-size"],
)
def test_bold_font_found_by_meaning(bold_font: str, expected_id: int) -> None:
    styles = StyleSheet(
        STYLES.replace(b"DXFS", b"")
        .replace(b'<fonts count="2">', b'<fonts count="3">')
        .replace(b"</font></fonts>", b"</font>" + bold_font.encode() + b"</fonts>"),
        "w.xlsx",
    )

    styles.cell_xf_id(0, bold=True)

    assert f'fontId="{expected_id}"' in styles.text
    assert f'<fonts count="{expected_id + 1}">' in styles.text


def test_default_format_needs_no_entry() -> None:
    styles = style_sheet()

    assert styles.cell_xf_id(0) == 0
    assert styles.to_bytes() == STYLES.replace(b"DXFS", b'<dxfs count="0"/>')


def test_default_style_sheet_accepts_formats() -> None:
    styles = StyleSheet(DEFAULT_STYLES, "w.xlsx")

    assert (styles.dxf_id("FFC7CE"), styles.cell_xf_id(14)) == (0, 1)


def test_prefixed_style_sheet_gets_prefixed_entries() -> None:
    xml = (
        b"<x:styleSheet "
        b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<x:fonts count="1"><x:font/></x:fonts><x:cellXfs count="1"><x:xf '
        b'numFmtId="0"/>'
        b"</x:cellXfs></x:styleSheet>"
    )
    styles = StyleSheet(xml, "w.xlsx")

    styles.dxf_id("FFC7CE")

    assert (
        '<x:dxfs count="1"><x:dxf><x:fill><x:patternFill><x:bgColor rgb="FFFFC7CE"/>'
        "</x:patternFill></x:fill></x:dxf></x:dxfs></x:styleSheet>" in styles.text
    )
