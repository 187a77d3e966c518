"""Tab names in the extended properties part."""

from __future__ import annotations

from sync.xlsx.app_properties import add_tab_titles


def properties(heading: str, titles: list[str], named: int = 1) -> bytes:
    """Return an app.xml with a worksheet group and a named-range group."""
    names = "".join(f"<vt:lpstr>{title}</vt:lpstr>" for title in titles)
    return (
        '<Properties xmlns:vt="v"><HeadingPairs><vt:vector size="4" baseType="variant">'
        f"<vt:variant><vt:lpstr>{heading}</vt:lpstr></vt:variant><vt:variant><vt:i4>"
        f"{len(titles) - named}</vt:i4></vt:variant><vt:variant><vt:lpstr>Named Ranges"
        f"</vt:lpstr></vt:variant><vt:variant><vt:i4>{named}</vt:i4></vt:variant>"
        f'</vt:vector></HeadingPairs><TitlesOfParts><vt:vector size="{len(titles)}" '
        f'baseType="lpstr">{names}</vt:vector></TitlesOfParts></Properties>'
    ).encode()


def test_new_tabs_join_worksheet_group() -> None:
    xml = properties("Worksheets", ["Deals", "Lists", "Deals!Area"])

    result = add_tab_titles(xml, ["Deals", "Lists"], ["Funnel", "R&D"])

    assert result == properties(
        "Worksheets", ["Deals", "Lists", "Funnel", "R&amp;D", "Deals!Area"]
    )


def test_localised_heading_found_by_names() -> None:
    xml = properties("工作表", ["交易", "Deals!Area"])

    result = add_tab_titles(xml, ["交易"], ["Funnel"])

    assert result == properties("工作表", ["交易", "Funnel", "Deals!Area"])


def test_part_without_matching_group_left_alone() -> None:
    xml = properties("Worksheets", ["Old name", "Deals!Area"])

    assert add_tab_titles(xml, ["Deals"], ["Funnel"]) == xml


def test_part_without_titles_left_alone() -> None:
    xml = b"<Properties><Application>LibreOffice</Application></Properties>"

    assert add_tab_titles(xml, ["Deals"], ["Funnel"]) == xml
