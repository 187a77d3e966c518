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


# The form LibreOffice 7.4 saves pipesheet's formats in: General and date 14 as
# custom number formats, an equal copy of the default font, a border with
# diagonal flags, and default alignment, protection and apply attributes.
LIBREOFFICE_DEFAULTS = (
    '<alignment horizontal="general" vertical="bottom" textRotation="0" '
    'wrapText="false" indent="0" shrinkToFit="false"/>'
    '<protection locked="true" hidden="false"/>'
)
LIBREOFFICE_DATE_XF = (
    '<xf numFmtId="166" fontId="1" fillId="0" borderId="0" xfId="0" '
    f'applyFont="false" applyProtection="false">{LIBREOFFICE_DEFAULTS}</xf>'
)
LIBREOFFICE_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="General"/>'
    '<numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd"/>'
    '<numFmt numFmtId="166" formatCode="m/d/yyyy"/></numFmts>'
    '<fonts count="3"><font><sz val="11"/><name val="Calibri"/><charset val="1"/>'
    '</font><font><sz val="11"/><name val="Calibri"/><charset val="1"/></font>'
    '<font><b val="true"/><sz val="11"/><name val="Calibri"/><charset val="1"/>'
    "</font></fonts>"
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border diagonalUp="false" diagonalDown="false"><left/>'
    "<right/><top/><bottom/><diagonal/></border></borders>"
    '<cellStyleXfs count="1"><xf numFmtId="164" fontId="0" fillId="0" '
    'borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="164" fontId="0" fillId="0" borderId="0" '
    f'xfId="0" applyFont="false">{LIBREOFFICE_DEFAULTS}</xf>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" '
    f'applyFont="false" applyAlignment="true">{LIBREOFFICE_DEFAULTS}</xf>'
    '<xf numFmtId="164" fontId="2" fillId="0" borderId="0" xfId="0" '
    f'applyFont="true" applyAlignment="false">{LIBREOFFICE_DEFAULTS}</xf>'
    f"{LIBREOFFICE_DATE_XF}</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    '</cellStyles><dxfs count="0"/></styleSheet>'
)


def test_libreoffice_saved_formats_reused() -> None:
    styles = StyleSheet(LIBREOFFICE_STYLES.encode(), "w.xlsx")

    date_xf = styles.cell_xf_id(14)
    bold_xf = styles.cell_xf_id(0, bold=True)

    assert (date_xf, bold_xf) == (3, 2)
    assert styles.text == LIBREOFFICE_STYLES


@pytest.mark.parametrize(
    ("number_format", "expected_id"),
    [(21, 4), (22, 4), (0, 0)],
    ids=["time", "date-and-time", "general"],
)
def test_other_built_in_format_not_taken_for_date(
    number_format: int, expected_id: int
) -> None:
    styles = StyleSheet(LIBREOFFICE_STYLES.encode(), "w.xlsx")

    assert styles.cell_xf_id(number_format) == expected_id


@pytest.mark.parametrize(
    ("change", "replacement"),
    [
        ('horizontal="general"', 'horizontal="left"'),
        ('wrapText="false"', 'wrapText="true"'),
        ('locked="true"', 'locked="false"'),
        ('applyProtection="false"', 'applyProtection="false" quotePrefix="true"'),
        ('fontId="1"', 'fontId="2"'),
        ('fillId="0"', 'fillId="1"'),
        ('numFmtId="166"', 'numFmtId="165"'),
        ("<protection", "<extLst/><protection"),
    ],
    ids=[
        "left-aligned",
        "wrapped",
        "unlocked",
        "quote-prefix",
        "bold",
        "patterned-fill",
        "iso-date",
        "extension-list",
    ],
)
def test_changed_date_format_not_reused(change: str, replacement: str) -> None:
    changed = LIBREOFFICE_DATE_XF.replace(change, replacement)
    xml = LIBREOFFICE_STYLES.replace(LIBREOFFICE_DATE_XF, changed)
    styles = StyleSheet(xml.encode(), "w.xlsx")

    assert styles.cell_xf_id(14) == 4
    assert '<cellXfs count="5">' in styles.text


@pytest.mark.parametrize(
    "code",
    ["dd/mm/yyyy", "d/m/yyyy", "yyyy/mm/dd", "mm-dd-yy"],
    ids=["german", "brazilian", "japanese", "standard"],
)
def test_short_date_of_other_language_reused(code: str) -> None:
    xml = LIBREOFFICE_STYLES.replace('formatCode="m/d/yyyy"', f'formatCode="{code}"')
    styles = StyleSheet(xml.encode(), "w.xlsx")

    assert styles.cell_xf_id(14) == 3


@pytest.mark.parametrize(
    "code",
    ["d-mmm-yy", "mm/yyyy", "dd/mm/yyyy hh:mm", "dd.mm.yyyy"],
    ids=["month-name", "no-day", "with-time", "dotted"],
)
def test_other_date_not_taken_for_built_in_date(code: str) -> None:
    xml = LIBREOFFICE_STYLES.replace('formatCode="m/d/yyyy"', f'formatCode="{code}"')
    styles = StyleSheet(xml.encode(), "w.xlsx")

    assert styles.cell_xf_id(14) == 4


@pytest.mark.parametrize(
    ("code", "built_in_id"),
    [("#,##0", 3), ("#,##0.00", 4)],
    ids=["whole-number", "decimal"],
)
def test_custom_thousands_format_reused(code: str, built_in_id: int) -> None:
    xml = (
        LIBREOFFICE_STYLES.replace('<numFmts count="3">', '<numFmts count="4">')
        .replace(
            "</numFmts>", f'<numFmt numFmtId="167" formatCode="{code}"/></numFmts>'
        )
        .replace('<cellXfs count="4">', '<cellXfs count="5">')
        .replace(
            "</cellXfs>",
            '<xf numFmtId="167" fontId="0" fillId="0" borderId="0" xfId="0" '
            f'applyFont="false">{LIBREOFFICE_DEFAULTS}</xf></cellXfs>',
        )
    )
    styles = StyleSheet(xml.encode(), "w.xlsx")

    assert styles.cell_xf_id(built_in_id) == 4
    assert styles.text == xml


def test_fill_dxf_colours_skip_other_formats() -> None:
    dxfs = (
        '<dxfs count="4"><dxf><font><b/></font></dxf>'
        f"{PINK_DXF}"
        '<dxf><font><color rgb="FFFF0000"/></font><fill><patternFill>'
        '<bgColor rgb="FFFFC7CE"/></patternFill></fill></dxf>'
        '<dxf><fill><patternFill patternType="solid"><fgColor rgb="ffffeb9c"/>'
        '<bgColor rgb="FFFFEB9C"/></patternFill></fill></dxf></dxfs>'
    ).encode()

    assert style_sheet(dxfs).fill_dxf_colours() == {1: "FFFFC7CE", 3: "FFFFEB9C"}


def test_fill_dxf_colours_without_dxfs() -> None:
    assert style_sheet(b"").fill_dxf_colours() == {}
