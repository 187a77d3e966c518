"""The workbook part (``xl/workbook.xml``), its relationships and its list of tabs.

The workbook part is found through the package relationships, and each tab's
sheet part through the workbook's relationships, so nothing here assumes
Excel's usual part names.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

from config.errors import UnsupportedWorkbookError
from sync.date_system import uses_1904_dates
from sync.sources.package_messages import strict_open_xml_error
from sync.xlsx.filter_names import write_filter_names
from sync.xlsx.markup import escape_attribute
from sync.xlsx.package import Package
from sync.xlsx.part_outline import (
    PartLayoutError,
    PartOutline,
    append_child,
    editing_part,
    insert_in_order,
    start_tag,
)
from sync.xlsx.relationships import (
    OFFICE_DOCUMENT,
    OFFICE_RELATIONSHIPS_NS,
    STRICT_OFFICE_DOCUMENT,
    WORKSHEET,
    Relationship,
    add_relationship,
    next_relationship_id,
    parse_relationships,
    relative_target,
    rels_part,
    remove_relationship,
)
from sync.xlsx.tab_digests import (
    AFTER_DEFINED_NAMES,
    TabRecord,
    drop_tab_records,
    read_tab_records,
    write_tab_records,
)

SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@dataclass(frozen=True)
class SheetEntry:
    """One tab as the workbook part lists it.

    ``part`` is None when the relationship is missing or points outside the
    package. ``rel_type`` distinguishes worksheets from chart sheets and macro sheets.
    """

    name: str
    sheet_id: int
    rel_id: str
    part: str | None
    rel_type: str

    @property
    def is_worksheet(self) -> bool:
        return self.rel_type == WORKSHEET


class WorkbookParts:
    """The workbook part, its relationships and the tabs they define."""

    def __init__(self, package: Package) -> None:
        self._package = package
        self.part = _find_workbook_part(package)
        self._rels_part = rels_part(self.part)
        self._xml = package.read(self.part)
        self._rels_xml = package.read_required(self._rels_part)

        self.relationships = parse_relationships(self._rels_xml, self.part)
        root = ElementTree.fromstring(self._xml)
        self.sheets = _parse_sheets(root, self.relationships, package.workbook)
        # Whether the workbook counts dates from 1904-01-01 (old Mac Excel's
        # default) instead of from 1899-12-30.
        self.date1904 = uses_1904_dates(root)

    def find_sheet(self, name: str) -> SheetEntry | None:
        """Return the tab called exactly ``name``, or None."""
        return next((sheet for sheet in self.sheets if sheet.name == name), None)

    def find_sheet_ignoring_case(self, name: str) -> SheetEntry | None:
        """Return the tab whose name equals ``name`` as Excel compares names."""
        folded = name.casefold()
        return next((s for s in self.sheets if s.name.casefold() == folded), None)

    def related(self, rel_type: str) -> list[Relationship]:
        """Return the workbook's relationships of ``rel_type``."""
        return [rel for rel in self.relationships if rel.type == rel_type]

    def add_relationship(self, rel_type: str, part: str) -> str:
        """Relate the workbook to ``part``; return the new relationship id."""
        rel_id = next_relationship_id(rel.id for rel in self.relationships)
        target = relative_target(self.part, part)
        with editing_part(self._package.workbook, self._rels_part):
            self._rels_xml = add_relationship(self._rels_xml, rel_id, rel_type, target)
        self.relationships.append(Relationship(rel_id, rel_type, part))
        return rel_id

    def remove_relationship(self, relationship: Relationship) -> None:
        """Drop ``relationship`` from the workbook's relationships part."""
        with editing_part(self._package.workbook, self._rels_part):
            self._rels_xml = remove_relationship(self._rels_xml, relationship.id)
        self.relationships.remove(relationship)

    def add_worksheet(self, name: str, part: str) -> SheetEntry:
        """Append a tab called ``name`` whose sheet part is ``part``.

        The tab gets the next free ``sheetId`` and goes last in the tab order, so
        the positions that defined names and the active tab refer to are kept.
        """
        sheet_id = max((sheet.sheet_id for sheet in self.sheets), default=0) + 1
        rel_id = self.add_relationship(WORKSHEET, part)
        with editing_part(self._package.workbook, self.part):
            self._xml = _insert_sheet_element(self._xml, name, sheet_id, rel_id)

        entry = SheetEntry(name, sheet_id, rel_id, part, WORKSHEET)
        self.sheets.append(entry)
        return entry

    def tab_records(self) -> dict[int, TabRecord]:
        """Return pipesheet's records of the generated tabs it wrote, by position."""
        return read_tab_records(self._xml)

    def set_tab_records(self, records: dict[int, TabRecord]) -> None:
        """Store records of generated tabs, by position in :attr:`sheets`.

        LibreOffice 7.4 fails to load a workbook that has tab-scoped defined
        names when a tab's name starts or ends with an apostrophe. Excel forbids
        such a name, but openpyxl writes it (tests/sync/xlsx/test_libreoffice.py).
        Such a workbook keeps no records, so later runs read its generated tabs
        to compare them.
        """
        with editing_part(self._package.workbook, self.part):
            if any(_quote_at_end(sheet.name) for sheet in self.sheets):
                self._xml = drop_tab_records(self._xml, range(len(self.sheets)))
                return
            self._xml = write_tab_records(self._xml, records)

    def set_filter_names(self, ranges: dict[int, str | None]) -> None:
        """Store the filtered range of generated tabs, by position in :attr:`sheets`.

        A workbook with a tab name that starts or ends with an apostrophe
        gets none, since LibreOffice 7.4 fails to load tab-scoped defined
        names there (see :meth:`set_tab_records`).
        """
        if any(_quote_at_end(sheet.name) for sheet in self.sheets):
            return
        with editing_part(self._package.workbook, self.part):
            self._xml = write_filter_names(self._xml, ranges)

    def request_full_calculation(self) -> None:
        """Ask Excel to recalculate every formula when it next opens the workbook.

        A user's formula may read a status cell or a generated tab, and its
        saved result is stale once pipesheet rewrites them. ECMA-376 Part 1
        (18.2.2, calcPr) has an application do a full calculation on load when
        ``fullCalcOnLoad`` is set; Excel's saved results are shown otherwise.
        """
        with editing_part(self._package.workbook, self.part):
            self._xml = with_full_calculation(self._xml)

    def save(self) -> None:
        """Stage the workbook part and its relationships in the package."""
        self._package.write(self.part, self._xml)
        self._package.write(self._rels_part, self._rels_xml)


# The workbook part's elements that come after calcPr, in schema order.
_AFTER_CALCULATION = AFTER_DEFINED_NAMES[AFTER_DEFINED_NAMES.index("calcPr") + 1 :]


def with_full_calculation(xml: bytes) -> bytes:
    """Return the workbook part with ``fullCalcOnLoad="1"`` on its ``<calcPr>``.

    The element is added, in its place in the schema's order, when missing.

    :raises PartLayoutError: if the part has no ``<workbook>`` root.
    """
    outline = PartOutline(xml, max_depth=1)
    root = outline.require_root(SPREADSHEET_NS, "workbook")
    element = outline.find_child(root, SPREADSHEET_NS, "calcPr")
    if element is not None:
        tag = start_tag(xml, element)
        setting = re.compile(rb"""(\sfullCalcOnLoad\s*=\s*)(["'])[^"']*\2""")
        if setting.search(tag):
            tag = setting.sub(rb"\g<1>\g<2>1\g<2>", tag, count=1)
        else:
            at = len(b"<" + element.qualified_name)
            tag = tag[:at] + b' fullCalcOnLoad="1"' + tag[at:]
        return xml[: element.start] + tag + xml[element.content_start :]

    calculation = b"<" + root.prefix + b'calcPr fullCalcOnLoad="1"/>'
    return insert_in_order(
        xml, outline, root, calculation, SPREADSHEET_NS, _AFTER_CALCULATION
    )


def _quote_at_end(name: str) -> bool:
    return name.startswith("'") or name.endswith("'")


def _find_workbook_part(package: Package) -> str:
    root_relationships = parse_relationships(package.read_required("_rels/.rels"), "")
    types = {rel.type: rel for rel in root_relationships if not rel.external}
    if STRICT_OFFICE_DOCUMENT in types:
        raise strict_open_xml_error(package.workbook)

    document = types.get(OFFICE_DOCUMENT)
    if document is None or package.find(document.target) is None:
        raise UnsupportedWorkbookError(
            f"Workbook {package.workbook!r} has no workbook part. Open it in Excel "
            "and save it as an Excel Workbook (.xlsx), then run again."
        )
    if document.target.lower().endswith(".bin"):
        raise UnsupportedWorkbookError(
            f"Workbook {package.workbook!r} is a binary workbook (.xlsb). Save it as "
            "an Excel Workbook (.xlsx) in Excel."
        )
    return document.target


def _parse_sheets(
    root: ElementTree.Element, relationships: list[Relationship], workbook: str
) -> list[SheetEntry]:
    targets = {rel.id: rel for rel in relationships}
    sheets = []
    for element in root.iter(f"{{{SPREADSHEET_NS}}}sheet"):
        rel_id = element.get(f"{{{OFFICE_RELATIONSHIPS_NS}}}id", "")
        relationship = targets.get(rel_id)
        internal = relationship is not None and not relationship.external
        sheets.append(
            SheetEntry(
                name=element.get("name", ""),
                sheet_id=int(element.get("sheetId", "0")),
                rel_id=rel_id,
                part=relationship.target if internal and relationship else None,
                rel_type=relationship.type if relationship else "",
            )
        )

    if not sheets:
        raise UnsupportedWorkbookError(
            f"Workbook {workbook!r} lists no tabs in its workbook part. Open it in "
            "Excel and save it again, then run again."
        )
    return sheets


def _insert_sheet_element(xml: bytes, name: str, sheet_id: int, rel_id: str) -> bytes:
    """Return the workbook part with a ``<sheet>`` added last in ``<sheets>``.

    The element takes the prefix that ``<sheets>`` is written with, and the
    relationships namespace's prefix in scope there, declaring its own when
    there is none.

    :raises PartLayoutError: if the part has no ``<sheets>`` in its root.
    """
    outline = PartOutline(xml, max_depth=1)
    root = outline.require_root(SPREADSHEET_NS, "workbook")
    sheets = outline.find_child(root, SPREADSHEET_NS, "sheets")
    if sheets is None:
        raise PartLayoutError("its <workbook> element has no <sheets> element")

    rel_prefix = sheets.prefix_for(OFFICE_RELATIONSHIPS_NS)
    declaration = "" if rel_prefix else f' xmlns:pr="{OFFICE_RELATIONSHIPS_NS}"'
    element = (
        f'<{sheets.prefix.decode()}sheet{declaration} name="{escape_attribute(name)}" '
        f'sheetId="{sheet_id}" {(rel_prefix or b"pr:").decode()}id="{rel_id}"/>'
    ).encode()
    return append_child(xml, sheets, element)
