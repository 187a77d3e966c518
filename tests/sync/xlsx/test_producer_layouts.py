"""patch_workbook on hand-built packages in layouts that XML and OPC allow.

Each package is the smallest workbook with a Deals tab, written as zip members
of XML text. Each has one quirk that some producer writes: white space before
">" in end tags, a prefix declared on an inner element, a default namespace
redeclared there, or a comment before the root. Others are content types
without a "rels" default, a percent-encoded part name, or a leftover ``.rels``
part. In the pipeline tab's sheet data, XML allows white space in end tags
and comments, CDATA sections and processing instructions. A patch gives a
package that openpyxl and calamine open, or a clear rejection.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from config.errors import UnsupportedWorkbookError
from sync.plan import BarChart, GeneratedTab, HighlightRule
from sync.xlsx.edits import WorkbookEdits
from sync.xlsx.package import Package
from sync.xlsx.workbook_patch import _check_staged_xml, patch_workbook
from tests.sync.xlsx.packages import raw_members

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
RELS_TYPE = "application/vnd.openxmlformats-package.relationships+xml"
WORKBOOK_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
)
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
STYLES_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"

DEALS = [
    ["Deal ID", "Stage", "Owner", "Amount"],
    ["D-1", "Lead", "Ann", "100"],
    ["D-2", "Proposal", "", "200"],
    ["D-3", "Closed Won", "Bob", "300"],
    ["D-4", "Bogus", "Cy", "400"],
]
STATUS = {2: "OK", 3: "ERROR: Owner is missing", 4: "OK", 5: "ERROR: unknown stage"}
FUNNEL = GeneratedTab(
    "Funnel",
    [["Stage", "Deals"], ["Lead", 1], ["Proposal", 1], ["Closed Won", 1]],
    BarChart("Funnel", 0, [1], 1, 1, 3, "D2"),
)
PROBLEMS = GeneratedTab("Problems", [["Row", "Message"], [3, "Owner is missing"]])
# Parts a run of EDITS may change in these packages; every other member is kept.
OWNED = {
    "[Content_Types].xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/styles.xml",
    "xl/worksheets/sheet1.xml",
    "xl/worksheets/deal%20sheet.xml",
}


def edits() -> WorkbookEdits:
    """Return edits with status cells, a highlight and two generated tabs."""
    return WorkbookEdits(
        tab="Deals",
        status_column=4,
        header_row=1,
        status_header="Status",
        status_cells=dict(STATUS),
        generated_tabs=[FUNNEL, PROBLEMS],
        owned_tab_names=["Funnel", "Problems"],
        highlights=[HighlightRule('LEFT($E2,5)="ERROR"', "FFC7CE")],
        highlight_range=(2, 5, 0, 4),
    )


def sheet_xml() -> str:
    rows = []
    for number, values in enumerate(DEALS, start=1):
        cells = "".join(
            f'<c r="{"ABCD"[index]}{number}" t="inlineStr"><is><t>{value}</t></is></c>'
            for index, value in enumerate(values)
            if value
        )
        rows.append(f'<row r="{number}">{cells}</row>')
    return (
        f'{DECLARATION}<worksheet xmlns="{MAIN}" xmlns:r="{OFFICE}">'
        f"<sheetData>{''.join(rows)}</sheetData></worksheet>"
    )


def workbook_xml(after_sheets: str = "") -> str:
    return (
        f'{DECLARATION}<workbook xmlns="{MAIN}" xmlns:r="{OFFICE}"><sheets>'
        '<sheet name="Deals" sheetId="1" r:id="rId1"/></sheets>'
        f"{after_sheets}</workbook>"
    )


def relationships_xml(*relationships: tuple[str, str, str]) -> str:
    entries = "".join(
        f'<Relationship Id="{rel_id}" Type="{OFFICE}/{kind}" Target="{target}"/>'
        for rel_id, kind, target in relationships
    )
    return f'{DECLARATION}<Relationships xmlns="{PACKAGE}">{entries}</Relationships>'


def content_types_xml(sheet: str = "/xl/worksheets/sheet1.xml") -> str:
    return (
        f'{DECLARATION}<Types xmlns="{TYPES}">'
        f'<Default Extension="rels" ContentType="{RELS_TYPE}"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{WORKBOOK_TYPE}"/>'
        f'<Override PartName="{sheet}" ContentType="{SHEET_TYPE}"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{STYLES_TYPE}"/></Types>'
    )


STYLES_XML = (
    f'{DECLARATION}<styleSheet xmlns="{MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
    'borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" '
    'fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1">'
    '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def base_parts() -> dict[str, str]:
    """Return the parts of the plain package that each case changes one way."""
    return {
        "[Content_Types].xml": content_types_xml(),
        "_rels/.rels": relationships_xml(("rId1", "officeDocument", "xl/workbook.xml")),
        "xl/workbook.xml": workbook_xml(),
        "xl/_rels/workbook.xml.rels": relationships_xml(
            ("rId1", "worksheet", "worksheets/sheet1.xml"),
            ("rId2", "styles", "styles.xml"),
        ),
        "xl/worksheets/sheet1.xml": sheet_xml(),
        "xl/styles.xml": STYLES_XML,
    }


def space_end_tags(xml: str, *names: str) -> str:
    """Write each end tag of ``names`` with a space before its ">"."""
    for name in names:
        xml = xml.replace(f"</{name}>", f"</{name} >")
    return xml


def end_tag_space_workbook_calculation(parts: dict[str, str]) -> None:
    defined = '<definedNames><definedName name="Ids">Deals!$A$2:$A$5</definedName>'
    xml = workbook_xml(defined + '</definedNames><calcPr calcId="191029"/>')
    parts["xl/workbook.xml"] = space_end_tags(xml, "sheets")


def end_tag_space_workbook_only(parts: dict[str, str]) -> None:
    parts["xl/workbook.xml"] = workbook_xml().replace("</sheets>", "</sheets\n>")


def end_tag_space_every_package_part(parts: dict[str, str]) -> None:
    for name in ("[Content_Types].xml", "xl/workbook.xml", "xl/styles.xml"):
        parts[name] = re.sub(r"</([\w:]+)>", r"</\1 >", parts[name])
    for name in ("_rels/.rels", "xl/_rels/workbook.xml.rels"):
        parts[name] = space_end_tags(parts[name], "Relationships")


def inner_prefixed_sheets(parts: dict[str, str]) -> None:
    parts["xl/workbook.xml"] = (
        f'{DECLARATION}<workbook xmlns="{MAIN}" xmlns:r="{OFFICE}">'
        f'<x:sheets xmlns:x="{MAIN}"><x:sheet name="Deals" sheetId="1" r:id="rId1"/>'
        '</x:sheets><definedNames><definedName name="Ids">Deals!$A$2:$A$5'
        '</definedName></definedNames><calcPr calcId="191029"/></workbook>'
    )


def inner_default_namespace(parts: dict[str, str]) -> None:
    parts["xl/workbook.xml"] = (
        f'{DECLARATION}<x:workbook xmlns:x="{MAIN}"><sheets xmlns="{MAIN}" '
        f'xmlns:rel="{OFFICE}"><sheet name="Deals" sheetId="1" rel:id="rId1"/>'
        "</sheets></x:workbook>"
    )
    parts["xl/styles.xml"] = (
        STYLES_XML.replace("<styleSheet", "<s:styleSheet")
        .replace("</styleSheet>", "</s:styleSheet>")
        .replace(f'xmlns="{MAIN}"', f'xmlns:s="{MAIN}"')
        .replace("<fonts ", f'<fonts xmlns="{MAIN}" ')
        .replace("<fills ", f'<fills xmlns="{MAIN}" ')
        .replace("<borders ", f'<borders xmlns="{MAIN}" ')
        .replace("<cellStyleXfs ", f'<cellStyleXfs xmlns="{MAIN}" ')
        .replace("<cellXfs ", f'<cellXfs xmlns="{MAIN}" ')
        .replace("<cellStyles ", f'<cellStyles xmlns="{MAIN}" ')
    )


def comment_before_roots(parts: dict[str, str]) -> None:
    for name, root in [
        ("xl/workbook.xml", "<x:workbook>"),
        ("[Content_Types].xml", "<ct:Types>"),
        ("xl/_rels/workbook.xml.rels", "<p:Relationships>"),
    ]:
        comment = f"<!-- {root} --><?producer {root}?>"
        parts[name] = parts[name].replace(DECLARATION, DECLARATION + comment)


def content_types_without_rels_default(parts: dict[str, str]) -> None:
    overrides = [
        ("/_rels/.rels", RELS_TYPE),
        ("/xl/_rels/workbook.xml.rels", RELS_TYPE),
        ("/xl/workbook.xml", WORKBOOK_TYPE),
        ("/xl/worksheets/sheet1.xml", SHEET_TYPE),
        ("/xl/styles.xml", STYLES_TYPE),
    ]
    entries = "".join(
        f'<Override PartName="{name}" ContentType="{kind}"/>'
        for name, kind in overrides
    )
    parts["[Content_Types].xml"] = (
        f'{DECLARATION}<Types xmlns="{TYPES}">{entries}</Types>'
    )


def percent_encoded_member(parts: dict[str, str]) -> None:
    parts["xl/worksheets/deal%20sheet.xml"] = parts.pop("xl/worksheets/sheet1.xml")
    parts["xl/_rels/workbook.xml.rels"] = relationships_xml(
        ("rId1", "worksheet", "worksheets/deal%20sheet.xml"),
        ("rId2", "styles", "styles.xml"),
    )
    parts["[Content_Types].xml"] = content_types_xml("/xl/worksheets/deal%20sheet.xml")


def leftover_sheet_relationships(parts: dict[str, str]) -> None:
    parts["xl/worksheets/_rels/sheet2.xml.rels"] = relationships_xml(
        ("rId1", "image", "../media/image1.png")
    )


def leftover_drawing_relationships(parts: dict[str, str]) -> None:
    parts["xl/drawings/_rels/drawing1.xml.rels"] = relationships_xml(
        ("rId1", "image", "../media/image1.png")
    )


def end_tag_space_sheet(parts: dict[str, str]) -> None:
    xml = re.sub(r"</(row|sheetData|worksheet)>", "</\\1\n  >", sheet_xml())
    xml = re.sub(r"</(c|is)>", "</\\1 >", xml)
    parts["xl/worksheets/sheet1.xml"] = xml.replace("</t>", "</t\t>")


# Markup inside the sheet data whose text looks like rows and status cells,
# by the text it goes before.
SHEET_MARKUP = {
    '<row r="2">': '<!-- <row r="2"><c r="E2"><v>9</v></c></row> -->',
    "Ann</t>": '<![CDATA[</t></is></c><c r="E3">]]>',
    '<row r="4">': '<?producer <row r="4"><c r="E4"/> ?>',
    "</sheetData>": "<!-- </sheetData> -->",
}


def markup_in_sheet_data(parts: dict[str, str]) -> None:
    xml = sheet_xml()
    for text, markup in SHEET_MARKUP.items():
        xml = xml.replace(text, markup + text)
    parts["xl/worksheets/sheet1.xml"] = xml


def unrelated_styles_member(parts: dict[str, str]) -> None:
    parts["xl/_rels/workbook.xml.rels"] = relationships_xml(
        ("rId1", "worksheet", "worksheets/sheet1.xml")
    )


LAYOUTS: dict[str, Callable[[dict[str, str]], None]] = {
    "end-tag-space-workbook-calculation": end_tag_space_workbook_calculation,
    "end-tag-space-workbook-only": end_tag_space_workbook_only,
    "end-tag-space-every-package-part": end_tag_space_every_package_part,
    "inner-prefixed-sheets": inner_prefixed_sheets,
    "inner-default-namespace": inner_default_namespace,
    "comment-before-roots": comment_before_roots,
    "content-types-without-rels-default": content_types_without_rels_default,
    "percent-encoded-member": percent_encoded_member,
    "leftover-sheet-relationships": leftover_sheet_relationships,
    "leftover-drawing-relationships": leftover_drawing_relationships,
    "unrelated-styles-member": unrelated_styles_member,
    "end-tag-space-sheet": end_tag_space_sheet,
    "markup-in-sheet-data": markup_in_sheet_data,
}
SHEET_LAYOUTS = {
    "end-tag-space-sheet": end_tag_space_sheet,
    "markup-in-sheet-data": markup_in_sheet_data,
}


def build(path: Path, change: Callable[[dict[str, str]], None] | None = None) -> Path:
    parts = base_parts()
    if change is not None:
        change(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, xml.encode("utf-8"))
    return path


def content_type_problems(path: Path) -> list[str]:
    """Return the members that have no content type in the package."""
    with zipfile.ZipFile(path) as archive:
        types = ElementTree.fromstring(archive.read("[Content_Types].xml"))
        names = archive.namelist()
    defaults = {
        entry.get("Extension", "").lower()
        for entry in types.iter(f"{{{TYPES}}}Default")
    }
    overrides = {
        entry.get("PartName", "").lower()
        for entry in types.iter(f"{{{TYPES}}}Override")
    }
    return [
        name
        for name in names
        if name != "[Content_Types].xml"
        and f"/{name}".lower() not in overrides
        and name.rsplit(".", 1)[-1].lower() not in defaults
    ]


def malformed_parts(path: Path) -> list[str]:
    """Return the XML members that do not parse."""
    malformed = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            try:
                ElementTree.fromstring(archive.read(name))
            except ElementTree.ParseError:
                malformed.append(name)
    return malformed


def calamine_status(path: Path) -> list[str]:
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Deals")
    return [str(row[4]) for row in sheet.to_python()]


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_layout_patched_well_formed(
    tmp_path: Path, layout: Callable[[dict[str, str]], None]
) -> None:
    target = tmp_path / "out.xlsx"

    patch_workbook(build(tmp_path / "in.xlsx", layout), target, edits())

    assert malformed_parts(target) == []
    assert content_type_problems(target) == []


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_layout_patched_readable(
    tmp_path: Path, layout: Callable[[dict[str, str]], None]
) -> None:
    target = tmp_path / "out.xlsx"

    patch_workbook(build(tmp_path / "in.xlsx", layout), target, edits())

    expected = ["Status", *STATUS.values()]
    assert calamine_status(target) == expected
    loaded = openpyxl.load_workbook(target)
    assert loaded.sheetnames == ["Deals", "Funnel", "Problems"]
    assert [row[4] for row in loaded["Deals"].iter_rows(values_only=True)] == expected


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_layout_keeps_other_members(
    tmp_path: Path, layout: Callable[[dict[str, str]], None]
) -> None:
    source = build(tmp_path / "in.xlsx", layout)
    target = tmp_path / "out.xlsx"

    patch_workbook(source, target, edits())

    before = raw_members(source)
    after = raw_members(target)
    unowned = [name for name in before if name not in OWNED]
    assert {name: after[name] for name in unowned} == {
        name: before[name] for name in unowned
    }


@pytest.mark.parametrize(
    "layout",
    [end_tag_space_every_package_part, *SHEET_LAYOUTS.values()],
    ids=["end-tag-space-every-package-part", *SHEET_LAYOUTS],
)
def test_layout_second_run_unchanged(
    tmp_path: Path, layout: Callable[[dict[str, str]], None]
) -> None:
    source = build(tmp_path / "in.xlsx", layout)
    first = tmp_path / "first.xlsx"
    second = tmp_path / "second.xlsx"

    patch_workbook(source, first, edits())
    stats = patch_workbook(first, second, edits())

    assert stats.members_rewritten == []


def statuses_by_id(rows: list[list[object]]) -> dict[str, str]:
    """Return the status column's value by the deal ID in column A."""
    return {str(row[0]): str(row[4]) for row in rows[1:]}


@pytest.mark.parametrize("layout", SHEET_LAYOUTS.values(), ids=SHEET_LAYOUTS.keys())
def test_sheet_layout_status_on_id_row(
    tmp_path: Path, layout: Callable[[dict[str, str]], None]
) -> None:
    target = tmp_path / "out.xlsx"

    patch_workbook(build(tmp_path / "in.xlsx", layout), target, edits())

    expected = {"D-1": "OK", "D-2": "ERROR: Owner is missing", "D-3": "OK"}
    expected["D-4"] = "ERROR: unknown stage"
    sheet = CalamineWorkbook.from_path(str(target)).get_sheet_by_name("Deals")
    assert statuses_by_id(sheet.to_python()) == expected
    loaded = openpyxl.load_workbook(target)["Deals"]
    rows = [list(row) for row in loaded.iter_rows(values_only=True)]
    assert statuses_by_id(rows) == expected


def test_sheet_markup_kept(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"

    patch_workbook(build(tmp_path / "in.xlsx", markup_in_sheet_data), target, edits())

    with zipfile.ZipFile(target) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    for text, markup in SHEET_MARKUP.items():
        assert markup + text in sheet
    assert sheet.count("<row ") == sheet_xml().count("<row ") + 2


def test_leftover_relationships_not_attached(tmp_path: Path) -> None:
    source = build(tmp_path / "in.xlsx", leftover_sheet_relationships)
    target = tmp_path / "out.xlsx"

    patch_workbook(source, target, edits())

    with zipfile.ZipFile(target) as archive:
        workbook_rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    assert 'Target="worksheets/sheet2.xml"' not in workbook_rels
    assert 'Target="worksheets/sheet3.xml"' in workbook_rels


def test_new_rels_part_gets_default(tmp_path: Path) -> None:
    source = build(tmp_path / "in.xlsx", content_types_without_rels_default)
    target = tmp_path / "out.xlsx"

    patch_workbook(source, target, edits())

    with zipfile.ZipFile(target) as archive:
        types = archive.read("[Content_Types].xml").decode()
    assert f'<Default Extension="rels" ContentType="{RELS_TYPE}"/>' in types


def utf16_workbook_relationships(parts: dict[str, str]) -> None:
    xml = parts["xl/_rels/workbook.xml.rels"].replace("UTF-8", "UTF-16")
    parts["xl/_rels/workbook.xml.rels"] = xml


def test_unplaceable_edit_rejected(tmp_path: Path) -> None:
    source = tmp_path / "in.xlsx"
    parts = base_parts()
    utf16_workbook_relationships(parts)
    with zipfile.ZipFile(source, "w") as archive:
        for name, xml in parts.items():
            encoding = "utf-16" if name.endswith("workbook.xml.rels") else "utf-8"
            archive.writestr(name, xml.encode(encoding))
    target = tmp_path / "out.xlsx"

    with pytest.raises(UnsupportedWorkbookError) as raised:
        patch_workbook(source, target, edits())

    message = str(raised.value)
    assert "Workbook 'in.xlsx'" in message
    assert "'xl/_rels/workbook.xml.rels'" in message
    assert "it is not UTF-8" in message
    assert not target.exists()


def test_malformed_staged_part_rejected(tmp_path: Path) -> None:
    source = build(tmp_path / "in.xlsx")

    with Package(source) as package:
        package.write("xl/workbook.xml", b"<workbook><sheets></workbook>")
        with pytest.raises(UnsupportedWorkbookError) as raised:
            _check_staged_xml(package)

    message = str(raised.value)
    assert "Workbook 'in.xlsx'" in message
    assert "'xl/workbook.xml' is not well-formed XML" in message


def test_unrelated_styles_part_extended(tmp_path: Path) -> None:
    source = build(tmp_path / "in.xlsx", unrelated_styles_member)
    target = tmp_path / "out.xlsx"

    patch_workbook(source, target, edits())

    with zipfile.ZipFile(target) as archive:
        workbook_rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        styles = archive.read("xl/styles.xml").decode()
    assert f'Type="{OFFICE}/styles" Target="styles.xml"' in workbook_rels
    assert '<cellStyle name="Normal" xfId="0" builtinId="0"/>' in styles
    assert 'rgb="FFFFC7CE"' in styles


def table_in_default_namespace(parts: dict[str, str]) -> None:
    names = ["Deal ID", "Stage", "Owner", "Amount", "Old status"]
    columns = "".join(
        f'<tableColumn id="{number}" name="{name}"/>'
        for number, name in enumerate(names, start=1)
    )
    parts["xl/tables/table1.xml"] = (
        f'{DECLARATION}<!-- <table ref="A9:B9"> --><x:table xmlns:x="{MAIN}" id="1" '
        'name="Deals" displayName="Deals" ref="A1:E5">'
        f'<tableColumns xmlns="{MAIN}" count="5">{columns}</tableColumns >'
        "</x:table >"
    )
    parts["xl/worksheets/_rels/sheet1.xml.rels"] = relationships_xml(
        ("rId1", "table", "../tables/table1.xml")
    )
    table_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        "</Types>",
        f'<Override PartName="/xl/tables/table1.xml" ContentType="{table_type}"/>'
        "</Types>",
    )


def test_table_column_renamed_any_spelling(tmp_path: Path) -> None:
    source = build(tmp_path / "in.xlsx", table_in_default_namespace)
    target = tmp_path / "out.xlsx"

    patch_workbook(source, target, edits())

    with zipfile.ZipFile(target) as archive:
        table = archive.read("xl/tables/table1.xml").decode()
    assert '<tableColumn id="5" name="Status"/>' in table
    assert "Old status" not in table
    assert '<!-- <table ref="A9:B9"> -->' in table
