"""Find the features of a workbook that an openpyxl load and save would lose.

openpyxl 3.1 rebuilds the whole package on save from what it understood on
load. Whatever it did not read is dropped, often without a warning: Excel 2010+
extensions (cross-sheet dropdowns, data bars, sparklines, slicers), cached
formula results, dynamic-array flags, pictures in cells, checkboxes, form
controls and more. This module inspects the zip parts directly, without an
openpyxl load, so the check is fast and cannot itself damage anything.

Not reported, because openpyxl keeps the substance and changes only the look:
chart styles, the size of comment boxes, ``docProps/app.xml`` and printer
settings binaries.
"""

from __future__ import annotations

import importlib.util
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from config.errors import UnsupportedWorkbookError

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_DRAWING_MAIN = "http://schemas.openxmlformats.org/drawingml/2006/main"
_CHART_GRAPHIC = "http://schemas.openxmlformats.org/drawingml/2006/chart"

# Worksheet elements openpyxl reads and writes back. Every other top-level
# element of a worksheet is dropped on save.
_KEPT_SHEET_ELEMENTS = {
    "sheetPr",
    "dimension",
    "sheetViews",
    "sheetFormatPr",
    "cols",
    "sheetData",
    "sheetProtection",
    "autoFilter",
    "mergeCells",
    "conditionalFormatting",
    "dataValidations",
    "hyperlinks",
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "drawing",
    "legacyDrawing",
    "tableParts",
    "scenarios",
    # Dropped too, but it only contains furigana settings for East Asian text.
    "phoneticPr",
}

_SHEET_ELEMENT_NAMES = {
    "ignoredErrors": "ignored-error markers (hidden green triangles)",
    "protectedRanges": "protected ranges (Allow Edit Ranges)",
    "customSheetViews": "custom views",
    "oleObjects": "embedded objects (OLE)",
    "controls": "form controls",
    "picture": "sheet background picture",
    "legacyDrawingHF": "header and footer pictures",
    "sortState": "saved sort settings",
    "dataConsolidate": "data consolidation settings",
}

# Excel 2010+ features stored in a worksheet's <extLst>, by the local name of
# the element inside each <ext>.
_EXTENSION_NAMES = {
    "dataValidations": "x14 data validations (dropdowns with lists on other tabs)",
    "conditionalFormattings": "x14 conditional formats (data bars, icon sets)",
    "sparklineGroups": "sparklines",
    "slicerList": "slicers",
    "timelineRefs": "timelines",
    "protectedRanges": "protected ranges (Allow Edit Ranges)",
    "ignoredErrors": "ignored-error markers (hidden green triangles)",
    "webExtensions": "Office add-ins (web extensions)",
}

# Feature names of the parts a sheet's relationships point to, by the last
# segment of the relationship type URI.
_SHEET_RELATIONSHIP_NAMES = {
    "pivotTable": "pivot tables",
    "threadedComment": "threaded comments",
    "ctrlProp": "form controls",
    "slicer": "slicers",
    "timeline": "timelines",
    "oleObject": "embedded objects (OLE)",
    "queryTable": "query tables (external data)",
}

# Parts found anywhere in the package. A part listed here is reported in the
# workbook only when no tab already reported the same feature.
_PART_NAMES = [
    ("xl/pivotCache/", "pivot tables"),
    ("xl/slicerCaches/", "slicers"),
    ("xl/slicers/", "slicers"),
    ("xl/timelineCaches/", "timelines"),
    ("xl/timelines/", "timelines"),
    ("xl/threadedComments/", "threaded comments"),
    ("xl/ctrlProps/", "form controls"),
    ("xl/activeX/", "ActiveX controls"),
    ("xl/embeddings/", "embedded objects (OLE)"),
    ("xl/featurePropertyBag/", "cell checkboxes"),
    ("xl/externalLinks/", "links to other workbooks"),
    ("xl/connections.xml", "data connections (Power Query, external data)"),
    ("xl/queryTables/", "query tables (external data)"),
    ("xl/model/", "data model (Power Pivot)"),
    ("xl/webextensions/", "Office add-ins (web extensions)"),
    ("customXml/", "custom XML parts (SharePoint or add-in properties)"),
    ("xl/vbaProjectSignature", "the VBA project's digital signature"),
    ("xl/richData/", "pictures in cells"),
]

_FORMULA_WITH_CACHED_VALUE = re.compile(
    rb"(?:</(?:\w+:)?f>|<(?:\w+:)?f\b[^>]*/>)\s*<(?:\w+:)?v(?:\s[^>]*)?>[^<]"
)
_DYNAMIC_ARRAY_CELL = re.compile(rb"<(?:\w+:)?c\s[^>]*?\bcm=\"")
_RICH_VALUE_CELL = re.compile(rb"<(?:\w+:)?c\s[^>]*?\bvm=\"")
_SHEET_DATA_START = re.compile(rb"<((?:\w+:)?)sheetData\b[^>]*?(/?)>")

# Exceptions raised while reading a damaged package.
PACKAGE_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, ET.ParseError, KeyError)


@dataclass
class _Findings:
    """Features found so far, each with where it is, in the order found."""

    entries: list[str] = field(default_factory=list)
    features: set[str] = field(default_factory=set)

    def add(self, feature: str, tab: str | None) -> None:
        entry = f"{feature} on tab {tab!r}" if tab else f"{feature} in the workbook"
        if entry not in self.entries:
            self.entries.append(entry)
        self.features.add(feature)


@dataclass(frozen=True)
class _Sheet:
    name: str
    kind: str
    part: str


def find_features_openpyxl_would_lose(path: Path) -> list[str]:
    """Return what an openpyxl load and save of the workbook would drop.

    Each entry is a short name of the feature and where it is, for example
    ``"sparklines on tab 'Deals'"``. An empty list means openpyxl keeps every
    feature this check looks for. ``.xlsm`` files are assumed to be loaded
    with ``keep_vba=True``, as pipesheet always does.

    :raises UnsupportedWorkbookError: if the file is not a readable zip package.
    """
    keeps_vba = path.suffix.lower() == ".xlsm"
    try:
        with zipfile.ZipFile(path) as package:
            return find_features_in_package(package, keeps_vba=keeps_vba)
    except PACKAGE_ERRORS as error:
        raise UnsupportedWorkbookError(
            f"Workbook {path.name!r} could not be inspected because its zip "
            f"package is damaged ({error}). Open it in Excel and save it again, "
            "or restore it from a backup."
        ) from error


def find_features_in_package(package: zipfile.ZipFile, *, keeps_vba: bool) -> list[str]:
    """Return what an openpyxl load and save of an open package would drop.

    ``keeps_vba`` is True when the workbook would be loaded with
    ``keep_vba=True``. Without that option the VBA project itself is lost.
    """
    findings = _Findings()
    members = set(package.namelist())
    for sheet in _list_sheets(package, members):
        _inspect_sheet(package, members, sheet, findings)

    _inspect_parts(members, findings, keeps_vba=keeps_vba)
    return findings.entries


def _list_sheets(package: zipfile.ZipFile, members: set[str]) -> list[_Sheet]:
    workbook_part = _find_workbook_part(package, members)
    targets = _read_relationships(package, members, workbook_part)
    root = ET.fromstring(package.read(workbook_part))

    sheets = []
    for element in root.iter(f"{{{_MAIN}}}sheet"):
        target = targets.get(element.get(f"{{{_RELATIONSHIPS}}}id", ""))
        if target and target[1] in members:
            sheets.append(_Sheet(element.get("name", "?"), *target))
    return sheets


def _find_workbook_part(package: zipfile.ZipFile, members: set[str]) -> str:
    for kind, target in _read_relationships(package, members, "").values():
        if kind == "officeDocument":
            return target
    return "xl/workbook.xml"


def _read_relationships(
    package: zipfile.ZipFile, members: set[str], part: str
) -> dict[str, tuple[str, str]]:
    """Return a part's relationships as id → (type's last segment, target part).

    External targets (URLs, other files) are returned as written.
    """
    folder, name = posixpath.split(part)
    rels_part = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels_part not in members:
        return {}

    relationships = {}
    root = ET.fromstring(package.read(rels_part))
    for element in root.iter(f"{{{_PACKAGE_RELATIONSHIPS}}}Relationship"):
        kind = element.get("Type", "").rsplit("/", 1)[-1]
        target = _resolve_target(folder, element)
        relationships[element.get("Id", "")] = (kind, target)
    return relationships


def _resolve_target(folder: str, element: ET.Element) -> str:
    target = element.get("Target", "")
    if element.get("TargetMode") == "External":
        return target
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target))


def _inspect_sheet(
    package: zipfile.ZipFile, members: set[str], sheet: _Sheet, findings: _Findings
) -> None:
    if sheet.kind not in ("worksheet", "chartsheet"):
        findings.add("the whole tab (a macro or dialog sheet)", sheet.name)
        return

    content = package.read(sheet.part)
    skeleton, cells = _split_sheet_data(content)
    _inspect_cells(cells, sheet.name, findings)
    _inspect_sheet_elements(ET.fromstring(skeleton), sheet.name, findings)

    relationships = _read_relationships(package, members, sheet.part)
    for kind, target in relationships.values():
        if kind in _SHEET_RELATIONSHIP_NAMES:
            findings.add(_SHEET_RELATIONSHIP_NAMES[kind], sheet.name)
        elif kind == "drawing" and target in members:
            _inspect_drawing(package, target, sheet.name, findings)


def _split_sheet_data(content: bytes) -> tuple[bytes, bytes]:
    """Split a worksheet into its XML without cells, and the cells' XML.

    The cells make up nearly all of a large sheet. They are only scanned with
    regular expressions, while the small rest is parsed as XML.
    """
    start = _SHEET_DATA_START.search(content)
    if start is None or start.group(2):
        return content, b""

    prefix = start.group(1)
    end = content.find(b"</" + prefix + b"sheetData>", start.end())
    if end < 0:
        return content, b""

    empty = b"<" + prefix + b"sheetData/>"
    closing_length = len(prefix) + len(b"</sheetData>")
    skeleton = content[: start.start()] + empty + content[end + closing_length :]
    return skeleton, content[start.end() : end]


def _inspect_cells(cells: bytes, tab: str, findings: _Findings) -> None:
    cached = sum(1 for _ in _FORMULA_WITH_CACHED_VALUE.finditer(cells))
    if cached:
        noun = "formula" if cached == 1 else "formulas"
        findings.add(f"cached results of {cached} {noun}", tab)
        findings.features.add("cached results")

    if _DYNAMIC_ARRAY_CELL.search(cells):
        findings.add("dynamic-array formulas", tab)
    if _RICH_VALUE_CELL.search(cells):
        findings.add("pictures in cells", tab)


def _inspect_sheet_elements(root: ET.Element, tab: str, findings: _Findings) -> None:
    for element in root:
        name = _local_name(element.tag)
        if name in _KEPT_SHEET_ELEMENTS:
            continue
        for feature in _describe_sheet_element(element, name):
            findings.add(feature, tab)


def _describe_sheet_element(element: ET.Element, name: str) -> Iterator[str]:
    if name == "extLst":
        for extension in element:
            inner = [_local_name(child.tag) for child in extension]
            label = inner[0] if inner else extension.get("uri", "?")
            yield _EXTENSION_NAMES.get(label, f"Excel extension {label!r}")
    elif name == "AlternateContent":
        # Excel wraps controls and OLE objects in mc:AlternateContent.
        wrapped = {_local_name(child.tag) for child in element.iter()}
        known = sorted(wrapped & _SHEET_ELEMENT_NAMES.keys())
        yield from (_SHEET_ELEMENT_NAMES[item] for item in known)
    else:
        yield _SHEET_ELEMENT_NAMES.get(name, f"{name!r} settings")


def _inspect_drawing(
    package: zipfile.ZipFile, part: str, tab: str, findings: _Findings
) -> None:
    root = ET.fromstring(package.read(part))
    for anchor in root:
        for feature in _describe_drawing_anchor(anchor):
            findings.add(feature, tab)


def _describe_drawing_anchor(anchor: ET.Element) -> Iterator[str]:
    names = {_local_name(element.tag) for element in anchor.iter()}
    uris = [
        element.get("uri", "")
        for element in anchor.iter(f"{{{_DRAWING_MAIN}}}graphicData")
    ]
    if "AlternateContent" in names or any(uri != _CHART_GRAPHIC for uri in uris):
        described = list(_describe_graphic_data(uris))
        yield from described or ["drawing objects openpyxl does not read"]
        return

    if "pic" in names and not _pillow_is_installed():
        yield "pictures (openpyxl needs Pillow to keep them)"
    if {"sp", "grpSp", "cxnSp"} & names:
        yield "shapes and text boxes"


def _describe_graphic_data(uris: list[str]) -> Iterator[str]:
    for uri in uris:
        if "timeslicer" in uri:
            yield "timelines"
        elif "slicer" in uri:
            yield "slicers"
        elif "chartex" in uri:
            yield "Excel 2016 charts (funnel, waterfall, map and similar)"
        elif "diagram" in uri:
            yield "SmartArt diagrams"
        elif uri != _CHART_GRAPHIC:
            yield "drawing objects openpyxl does not read"


def _inspect_parts(members: set[str], findings: _Findings, *, keeps_vba: bool) -> None:
    for prefix, feature in _PART_NAMES:
        if feature in findings.features:
            continue
        if any(member.startswith(prefix) for member in members):
            findings.add(feature, None)

    # metadata.xml flags both dynamic arrays and pictures in cells.
    cell_flags = {"dynamic-array formulas", "pictures in cells"}
    if "xl/metadata.xml" in members and not cell_flags & findings.features:
        findings.add("cell metadata (dynamic arrays or rich values)", None)

    if "xl/vbaProject.bin" in members and not keeps_vba:
        findings.add("VBA macros (the file is not named .xlsm)", None)


def _pillow_is_installed() -> bool:
    return importlib.util.find_spec("PIL") is not None


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
