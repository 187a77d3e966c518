"""The ``_xlnm._FilterDatabase`` names written for generated tabs' AutoFilters."""

from __future__ import annotations

from sync.xlsx.filter_names import filter_range, write_filter_names

HEAD = (
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheets><sheet name="Deals" sheetId="1"/></sheets>'
)


def test_names_added_without_defined_names() -> None:
    xml = f"{HEAD}<calcPr/></workbook>".encode()

    written = write_filter_names(xml, {2: "'Problems'!$A$3:$G$9", 3: None})

    assert written.decode() == (
        f"{HEAD}<definedNames>"
        '<definedName name="_xlnm._FilterDatabase" localSheetId="2" hidden="1">'
        "'Problems'!$A$3:$G$9</definedName></definedNames><calcPr/></workbook>"
    )


def test_old_filter_names_of_tabs_replaced() -> None:
    user_name = '<definedName name="Totals">Deals!$A$1</definedName>'
    other_tab = (
        '<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
        "Deals!$A$3:$Q$20</definedName>"
    )
    old = (
        '<definedName function="false" hidden="true" localSheetId="2" '
        'name="_xlnm._FilterDatabase" vbProcedure="false">'
        "Problems!$A$3:$G$5</definedName>"
        '<definedName name="_xlnm._FilterDatabase" localSheetId="3" hidden="1">'
        "'Funnel'!$A$3:$H$9</definedName>"
    )
    xml = f"{HEAD}<definedNames>{user_name}{other_tab}{old}</definedNames></workbook>"

    written = write_filter_names(
        xml.encode(), {2: "'Problems'!$A$3:$G$9", 3: None}
    ).decode()

    assert written == (
        f"{HEAD}<definedNames>{user_name}{other_tab}"
        '<definedName name="_xlnm._FilterDatabase" localSheetId="2" hidden="1">'
        "'Problems'!$A$3:$G$9</definedName></definedNames></workbook>"
    )


def test_filter_range_quotes_tab_name() -> None:
    assert filter_range("O'Neil & Co", 3, 9, "G") == "'O''Neil & Co'!$A$3:$G$9"


def test_names_escaped_as_xml() -> None:
    xml = f"{HEAD}</workbook>".encode()

    written = write_filter_names(xml, {1: filter_range("R&D", 3, 4, "B")})

    assert b">'R&amp;D'!$A$3:$B$4</definedName>" in written
