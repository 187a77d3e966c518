"""Packages calamine reads differently from the writer, or cannot read at all.

Each workbook is built here from zip members and XML text, as producers other
than Excel write them.
"""

from __future__ import annotations

import posixpath
import warnings
import zipfile
from pathlib import Path

import pytest

from config.errors import UnsupportedWorkbookError
from sync.sources import excel
from sync.sources.excel import ExcelWorkbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_RELATIONSHIPS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
MACRO_SHEET = "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet"
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
SHEET_PART = "xl/worksheets/sheet1.xml"

ROWS = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>Deal ID</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>Stage</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>D-1</t></is></c>'
    '<c r="B2" t="inlineStr"><is><t>Lead</t></is></c></row>'
)
SHEET = (
    f'{DECLARATION}<worksheet xmlns="{MAIN}"><sheetData>{ROWS}</sheetData></worksheet>'
)
STRICT_SAVE = (
    "is saved as Strict Open XML, which pipesheet does not write. Save it as an "
    "Excel Workbook (.xlsx) in Excel."
)


def relationships(*entries: tuple[str, str, str]) -> str:
    """Return a .rels part with (id, type, target) entries."""
    items = "".join(
        f'<Relationship Id="{rel_id}" Type="{kind}" Target="{target}"/>'
        for rel_id, kind, target in entries
    )
    return (
        f'{DECLARATION}<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">{items}'
        "</Relationships>"
    )


def workbook_xml(*tabs: tuple[str, str], main: str = MAIN) -> str:
    """Return a workbook part listing (name, relationship id) tabs."""
    sheets = "".join(
        f'<sheet name="{name}" sheetId="{number}" r:id="{rel_id}"/>'
        for number, (name, rel_id) in enumerate(tabs, start=1)
    )
    return (
        f'{DECLARATION}<workbook xmlns="{main}" xmlns:r="{RELATIONSHIPS}">'
        f"<sheets>{sheets}</sheets></workbook>"
    )


def one_tab_parts(sheet_target: str = "worksheets/sheet1.xml") -> dict[str, str]:
    """Return the parts of a workbook whose one tab, Deals, is SHEET_PART."""
    return {
        "[Content_Types].xml": (
            f"{DECLARATION}<Types "
            'xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/></Types>'
        ),
        "_rels/.rels": relationships(
            ("rId1", f"{RELATIONSHIPS}/officeDocument", "xl/workbook.xml")
        ),
        "xl/workbook.xml": workbook_xml(("Deals", "rId1")),
        "xl/_rels/workbook.xml.rels": relationships(
            ("rId1", f"{RELATIONSHIPS}/worksheet", sheet_target)
        ),
        SHEET_PART: SHEET,
    }


def write_package(
    path: Path,
    parts: dict[str, str | bytes],
    *,
    method: int = zipfile.ZIP_DEFLATED,
    extra: tuple[tuple[str, str], ...] = (),
) -> Path:
    """Write ``parts`` and then ``extra`` members, which may repeat a name."""
    with warnings.catch_warnings():
        # zipfile warns of a repeated name, which some tests write on purpose.
        warnings.simplefilter("ignore", UserWarning)
        with zipfile.ZipFile(path, "w", method) as package:
            for name, content in [*parts.items(), *extra]:
                package.writestr(name, content)
    return path


def utf16(text: str) -> bytes:
    """Return a part as UTF-16 with a byte order mark, its declaration to match."""
    return text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")


def read_error(path: Path) -> str:
    """Return the message of the error raised when the Deals tab is read."""
    with pytest.raises(UnsupportedWorkbookError) as raised:
        ExcelWorkbook(path).read_tab("Deals")
    return str(raised.value)


@pytest.mark.parametrize(
    ("repeated", "reason"),
    [
        (SHEET_PART, f"it lists the member {SHEET_PART!r} twice"),
        (
            "xl/worksheets/SHEET1.xml",
            (
                f"it lists the members {SHEET_PART!r} and 'xl/worksheets/SHEET1.xml', "
                "whose names differ only in case, so they name the same part"
            ),
        ),
    ],
    ids=["same-name", "name-differing-in-case"],
)
def test_member_listed_twice_rejected(
    tmp_path: Path, repeated: str, reason: str
) -> None:
    # calamine would read one of the two sheets silently.
    stale = SHEET.replace("D-1", "OLD-1")
    path = write_package(
        tmp_path / "Pipeline.xlsx", dict(one_tab_parts()), extra=((repeated, stale),)
    )

    with pytest.raises(UnsupportedWorkbookError) as raised:
        ExcelWorkbook(path)

    assert str(raised.value) == (
        f"Workbook 'Pipeline.xlsx' is not a valid .xlsx file: {reason}. Open it in "
        "Excel and save it as an Excel Workbook (.xlsx or .xlsm), then run again."
    )


def strict_by_relationship() -> dict[str, str | bytes]:
    parts: dict[str, str | bytes] = dict(one_tab_parts())
    parts["_rels/.rels"] = relationships(
        ("rId1", f"{STRICT_RELATIONSHIPS}/officeDocument", "xl/workbook.xml")
    )
    parts["xl/workbook.xml"] = workbook_xml(("Deals", "rId1"), main=STRICT_MAIN)
    return parts


def strict_by_namespace() -> dict[str, str | bytes]:
    # Transitional relationships around a workbook part in Strict's namespace.
    parts: dict[str, str | bytes] = dict(one_tab_parts())
    parts["xl/workbook.xml"] = (
        f"{DECLARATION}<!-- <workbook xmlns='{MAIN}'> -->"
        f'<s:workbook xmlns:s="{STRICT_MAIN}" xmlns:r="{RELATIONSHIPS}">'
        '<s:sheets><s:sheet name="Deals" sheetId="1" r:id="rId1"/></s:sheets>'
        "</s:workbook>"
    )
    return parts


@pytest.mark.parametrize(
    "parts",
    [strict_by_relationship(), strict_by_namespace()],
    ids=["strict-relationship", "strict-namespace"],
)
def test_strict_open_xml_rejected(
    tmp_path: Path, parts: dict[str, str | bytes]
) -> None:
    path = write_package(tmp_path / "Pipeline.xlsx", parts)

    with pytest.raises(UnsupportedWorkbookError) as raised:
        ExcelWorkbook(path)

    assert str(raised.value) == f"Workbook 'Pipeline.xlsx' {STRICT_SAVE}"


def test_utf16_workbook_part_named(tmp_path: Path) -> None:
    parts: dict[str, str | bytes] = dict(one_tab_parts())
    parts["xl/workbook.xml"] = utf16(workbook_xml(("Deals", "rId1")))
    path = write_package(tmp_path / "Pipeline.xlsx", parts)

    with pytest.raises(UnsupportedWorkbookError) as raised:
        ExcelWorkbook(path)

    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx' could not be read: its part 'xl/workbook.xml' is "
        "encoded as UTF-16. The file format allows that, but pipesheet's reader "
        "(python-calamine) reads only UTF-8 parts. Open the workbook in Excel or "
        "LibreOffice Calc and save it as Excel Workbook (.xlsx), which stores every "
        "part as UTF-8, then run again."
    )


@pytest.mark.parametrize(
    "relationships_part", ["xl/_rels/workbook.xml.rels", "_rels/.rels"]
)
def test_utf16_relationships_named(tmp_path: Path, relationships_part: str) -> None:
    parts: dict[str, str | bytes] = dict(one_tab_parts())
    parts[relationships_part] = utf16(str(parts[relationships_part]))
    path = write_package(tmp_path / "Pipeline.xlsx", parts)

    message = read_error(path)

    assert message.startswith(
        f"Workbook 'Pipeline.xlsx' could not be read: its part {relationships_part!r} "
        "is encoded as UTF-16."
    )


def test_utf16_sheet_named_not_called_empty(tmp_path: Path) -> None:
    # calamine reads a UTF-16 sheet part as an empty tab, without an error.
    parts: dict[str, str | bytes] = dict(one_tab_parts())
    parts[SHEET_PART] = utf16(SHEET)
    path = write_package(tmp_path / "Pipeline.xlsm", parts)

    assert read_error(path) == (
        "Workbook 'Pipeline.xlsm' could not be read: its part "
        "'xl/worksheets/sheet1.xml' is encoded as UTF-16. The file format allows "
        "that, but pipesheet's reader (python-calamine) reads only UTF-8 parts. "
        "Open the workbook in Excel or LibreOffice Calc and save it as Excel "
        "Macro-Enabled Workbook (.xlsm), which stores every part as UTF-8, then run "
        "again."
    )


def test_utf16_part_calamine_skips_still_read(tmp_path: Path) -> None:
    # Neither calamine nor the writer reads a custom XML part, which may be UTF-16.
    parts: dict[str, str | bytes] = dict(one_tab_parts())
    parts["customXml/item1.xml"] = utf16(f"{DECLARATION}<properties/>")
    path = write_package(tmp_path / "Pipeline.xlsx", parts)

    grid = ExcelWorkbook(path).read_tab("Deals")

    assert grid.rows == [["Deal ID", "Stage"], ["D-1", "Lead"]]


TARGETS_CALAMINE_MISSES = [
    ("worksheets/../worksheets/sheet1.xml", "its '.' or '..' segments", True),
    ("./worksheets/sheet1.xml", "its '.' or '..' segments", True),
    ("worksheets/sheet%31.xml", "its %-escapes", False),
]
TARGET_IDS = ["dot-dot", "dot", "percent-escape"]


@pytest.mark.parametrize(
    ("target", "unresolved", "libreoffice"), TARGETS_CALAMINE_MISSES, ids=TARGET_IDS
)
def test_target_calamine_misses_read(
    tmp_path: Path, target: str, unresolved: str, libreoffice: bool
) -> None:
    # The packaging rules resolve these targets to part names, calamine does not.
    parts: dict[str, str | bytes] = dict(one_tab_parts(target))
    parts["xl/workbook.xml"] = workbook_xml(("Deals", "rId1"), ("Notes", "rId2"))
    parts["xl/_rels/workbook.xml.rels"] = relationships(
        ("rId1", f"{RELATIONSHIPS}/worksheet", target),
        ("rId2", f"{RELATIONSHIPS}/worksheet", "worksheets/sheet2.xml"),
    )
    parts["xl/worksheets/sheet2.xml"] = SHEET.replace("D-1", "note")
    workbook = ExcelWorkbook(write_package(tmp_path / "Pipeline.xlsx", parts))

    deals = workbook.read_tab("Deals")
    notes = workbook.read_tab("Notes")

    assert deals.rows == [["Deal ID", "Stage"], ["D-1", "Lead"]]
    assert notes.rows == [["Deal ID", "Stage"], ["note", "Lead"]]


@pytest.mark.parametrize(
    ("target", "unresolved", "libreoffice"), TARGETS_CALAMINE_MISSES, ids=TARGET_IDS
)
def test_target_calamine_misses_named(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    unresolved: str,
    libreoffice: bool,
) -> None:
    # Should the copy with plain targets not help, the message names the cause.
    monkeypatch.setattr(excel, "with_plain_targets", lambda data: None)
    path = write_package(tmp_path / "Pipeline.xlsx", dict(one_tab_parts(target)))
    programs = "Excel or LibreOffice Calc" if libreoffice else "Excel"

    assert read_error(path) == (
        "Workbook 'Pipeline.xlsx' could not be read: its workbook part finds the "
        f"cells of tab 'Deals' at {target!r}. That path is valid, but pipesheet's "
        f"reader (python-calamine) does not resolve {unresolved} to the part "
        f"'xl/worksheets/sheet1.xml'. Open the workbook in {programs} and save it "
        "as Excel Workbook (.xlsx), which writes plain paths, then run again."
    )


def test_missing_sheet_part_still_called_damaged(tmp_path: Path) -> None:
    parts: dict[str, str | bytes] = dict(one_tab_parts())
    del parts[SHEET_PART]
    path = write_package(tmp_path / "Pipeline.xlsx", parts)

    assert read_error(path).startswith(
        "Workbook 'Pipeline.xlsx' is damaged: it lists the tab 'Deals', but the "
        "part that contains that tab's cells is missing."
    )


def test_macro_sheet_named_without_xlsx_advice(tmp_path: Path) -> None:
    parts: dict[str, str | bytes] = dict(one_tab_parts())
    parts["xl/workbook.xml"] = workbook_xml(("Deals", "rId1"), ("Macro1", "rId2"))
    parts["xl/_rels/workbook.xml.rels"] = relationships(
        ("rId1", f"{RELATIONSHIPS}/worksheet", "worksheets/sheet1.xml"),
        ("rId2", MACRO_SHEET, "macrosheets/sheet1.xml"),
    )
    parts["xl/macrosheets/sheet1.xml"] = (
        f'{DECLARATION}<xm:macrosheet xmlns="{MAIN}" '
        'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
        "<sheetData/></xm:macrosheet>"
    )
    path = write_package(tmp_path / "Pipeline.xlsm", parts)
    before = path.read_bytes()

    message = read_error(path)

    assert message == (
        "Workbook 'Pipeline.xlsm' could not be read: its tab 'Macro1' is an Excel "
        "4.0 macro sheet, a sheet type that pipesheet's reader (python-calamine) "
        "does not open, and then it reads no tab at all. Nothing was written: the "
        "workbook and its macros are unchanged. Keep the deals in a workbook "
        "without Excel 4.0 macro sheets, or delete that sheet in Excel if its "
        "macros are no longer used, then run again."
    )
    assert path.read_bytes() == before


def test_bzip2_members_named(tmp_path: Path) -> None:
    path = write_package(
        tmp_path / "Pipeline.xlsx", dict(one_tab_parts()), method=zipfile.ZIP_BZIP2
    )

    assert read_error(path) == (
        "Workbook 'Pipeline.xlsx' could not be read: its member '_rels/.rels' "
        "is compressed with bzip2 (zip method 12), and pipesheet reads only the "
        "Deflate method that Excel writes. The file was probably zipped again by "
        "an archive tool. Zip the extracted parts again with the Deflate method, "
        "or save the workbook again from the program that made it, as Excel "
        "Workbook (.xlsx)."
    )


def test_xlsm_fallback_advice_keeps_macros(tmp_path: Path) -> None:
    path = tmp_path / "Pipeline.xlsm"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("xl/workbook.xml", "not xml at all")

    assert read_error(path) == (
        "Workbook 'Pipeline.xlsm' could not be read: Cannot detect file format. "
        "Open it in Excel, save it again as Excel Macro-Enabled Workbook (.xlsm) "
        "and run again."
    )


def workbook_part_at(name: str) -> dict[str, str | bytes]:
    """Return the one-tab parts with the workbook part moved to ``name``."""
    parts: dict[str, str | bytes] = dict(one_tab_parts())
    parts["_rels/.rels"] = relationships(
        ("rId1", f"{RELATIONSHIPS}/officeDocument", f"/{name}")
    )
    parts[name] = parts.pop("xl/workbook.xml")
    folder, file_name = posixpath.split(name)
    parts[posixpath.join(folder, "_rels", f"{file_name}.rels")] = relationships(
        ("rId1", f"{RELATIONSHIPS}/worksheet", f"/{SHEET_PART}")
    )
    del parts["xl/_rels/workbook.xml.rels"]
    return parts


def test_workbook_part_at_package_root_read(tmp_path: Path) -> None:
    # The root relationship names the workbook part, so a package need not
    # keep it in xl/ as Excel does.
    path = write_package(tmp_path / "Pipeline.xlsx", workbook_part_at("workbook.xml"))

    grid = ExcelWorkbook(path).read_tab("Deals")

    assert grid.rows == [["Deal ID", "Stage"], ["D-1", "Lead"]]


def test_workbook_part_calamine_cannot_find_named(tmp_path: Path) -> None:
    path = write_package(tmp_path / "Pipeline.xlsx", workbook_part_at("main/book.xml"))

    assert read_error(path) == (
        "Workbook 'Pipeline.xlsx' could not be read: its workbook part is "
        "'main/book.xml'. The file format allows any name, but pipesheet's reader "
        "(python-calamine) finds a workbook part only at 'xl/workbook.xml' or "
        "'workbook.xml'. Open the workbook in Excel and save it as Excel Workbook "
        "(.xlsx), which stores it there, then run again."
    )


def test_word_document_with_relationships_named(tmp_path: Path) -> None:
    # Its root relationship is an officeDocument too, but not to a workbook.
    parts: dict[str, str | bytes] = {
        "_rels/.rels": relationships(
            ("rId1", f"{RELATIONSHIPS}/officeDocument", "word/document.xml")
        ),
        "word/document.xml": (
            f"{DECLARATION}<w:document xmlns:w="
            '"http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>'
        ),
    }
    path = write_package(tmp_path / "Pipeline.xlsx", parts)

    with pytest.raises(UnsupportedWorkbookError) as raised:
        ExcelWorkbook(path)

    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx' is a Word document (.docx), not a workbook. "
        "Point --source or source.path at the pipeline's workbook."
    )
