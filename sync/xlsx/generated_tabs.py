"""Generated tabs written into the package: new tabs registered, owned tabs replaced.

A generated tab that already exists and is listed as owned keeps its sheet part,
its place in the tab order and its sheetId. Only its content is replaced, together
with the parts related to it (its drawing and chart). A new tab gets new parts
and goes last in the tab order. Parts of an owned tab that the new content no
longer needs are removed, unless some other part still refers to them. Owned
tabs that a run does not generate are left as they are.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from config.errors import DefinitionError, SheetLayoutError
from config.tab_names import excel_tab_name_problem
from rules.grid import column_letter
from sync.plan import GeneratedTab
from sync.xlsx.app_properties import add_tab_titles
from sync.xlsx.chart_xml import render_chart, render_drawing
from sync.xlsx.compression import Deflater
from sync.xlsx.content_types import (
    CHART_TYPE,
    DRAWING_TYPE,
    RELATIONSHIPS_TYPE,
    WORKSHEET_TYPE,
    ContentTypes,
)
from sync.xlsx.filter_names import filter_range
from sync.xlsx.package import Package
from sync.xlsx.relationships import (
    CHART,
    DRAWING,
    EXTENDED_PROPERTIES,
    parse_relationships,
    relative_target,
    rels_part,
    render_relationships,
)
from sync.xlsx.sheet_xml import render_tab, write_tab
from sync.xlsx.styles import StyleSheet, StylesPart
from sync.xlsx.tab_digests import (
    GridDigest,
    TabRecord,
    record_digest,
    tab_name_key,
)
from sync.xlsx.workbook_parts import SheetEntry, WorkbookParts
from sync.xlsx.zipcopy import MemberStream, NewMember

logger = logging.getLogger(__name__)

# A call that returns the grid digest of each generated tab that had none
# when the writing started, by tab name. It may wait for another process.
GridDigests = Callable[[], dict[str, str]]


@dataclass
class TabsWritten:
    """The generated tabs written, and whether a replaced tab had formulas."""

    names: list[str] = field(default_factory=list)
    formulas_replaced: bool = False


def write_generated_tabs(
    package: Package,
    workbook: WorkbookParts,
    content_types: ContentTypes,
    styles: StylesPart,
    tabs: list[GeneratedTab],
    owned_tab_names: list[str],
    pipeline_tab: str,
    *,
    grid_digests: GridDigests | None = None,
    rendered: Sequence[RenderedSheet] | None = None,
) -> TabsWritten:
    """Write every generated tab, replacing owned ones in place.

    :param grid_digests: the digests of the tabs' grids, for their records,
        when another process computes them. It is called once, after every
        sheet part is written, if a tab still lacks its digest. Without it,
        each grid is hashed while its sheet XML is rendered.
    :param rendered: each tab's sheet XML, rendered and deflated already by
        :func:`render_sheet` with the cell formats of ``styles``, in the
        order of ``tabs``.
    :raises DefinitionError: if a tab name is not a valid Excel tab name, is used
        twice, or is the pipeline tab.
    :raises SheetLayoutError: if the workbook already has a tab of that name that
        pipesheet does not own, or that is not a worksheet.
    :raises SourceError: if a tab contains a value that cannot go into a cell.
    """
    _check_tab_names(tabs, pipeline_tab, package.workbook)
    owned = {name.casefold() for name in owned_tab_names}
    tabs_before = [sheet.name for sheet in workbook.sheets if sheet.is_worksheet]
    written = TabsWritten()
    new_tabs: list[str] = []
    records_before = workbook.tab_records()
    sheets: list[tuple[int, GeneratedTab, NewMember, str | None]] = []

    for index, tab in enumerate(tabs):
        existing = workbook.find_sheet_ignoring_case(tab.name)
        if existing is not None:
            part = _owned_sheet_part(existing, owned, package.workbook)
            record = records_before.get(workbook.sheets.index(existing))
            if not _is_recorded_part(package, part, record):
                written.formulas_replaced |= _has_formulas(package.read(part))
        else:
            part = package.free_name(
                _sibling_pattern(workbook.part, "worksheets/sheet")
            )

        sheet, digest = _write_tab_parts(
            package,
            content_types,
            styles,
            tab,
            part,
            workbook.date1904,
            hash_grid=grid_digests is None,
            rendered=None if rendered is None else rendered[index],
        )
        if existing is None:
            existing = workbook.add_worksheet(tab.name, part)
            new_tabs.append(tab.name)
        sheets.append((workbook.sheets.index(existing), tab, sheet, digest))
        written.names.append(tab.name)

    unhashed = any(digest is None for _, _, _, digest in sheets)
    digests = grid_digests() if grid_digests is not None and unhashed else {}
    # A tab that grid_digests left out is hashed here.
    records = {
        position: _tab_record(
            tab, sheet, digest or digests.get(tab.name) or tab.digest, workbook
        )
        for position, tab, sheet, digest in sheets
    }
    workbook.set_tab_records(records)
    workbook.set_filter_names(
        {position: _filter_range(tab) for position, tab, _, _ in sheets}
    )
    _add_app_titles(package, tabs_before, new_tabs)
    return written


def _filter_range(tab: GeneratedTab) -> str | None:
    """Return the range of the tab's AutoFilter as a defined name gives it."""
    rows = tab.filter_rows
    if rows is None:
        return None
    first, last = rows
    last_column = column_letter(max(len(tab.grid[first]) - 1, 0))
    return filter_range(tab.name, first + 1, last + 1, last_column)


def _write_tab_parts(
    package: Package,
    content_types: ContentTypes,
    styles: StylesPart,
    tab: GeneratedTab,
    part: str,
    date1904: bool,
    *,
    hash_grid: bool,
    rendered: RenderedSheet | None = None,
) -> tuple[NewMember, str | None]:
    """Write a tab's sheet part and its drawing and chart, dropping unused old parts.

    :param rendered: the tab's sheet XML as :func:`render_sheet` deflated it.
    :returns: the sheet part's member and the digest of the tab's grid, or
        None for the digest when ``hash_grid`` is false and the tab had none.
    """
    old_parts = _parts_below(package, part)
    kept_parts = {part}
    sheet_rels: list[tuple[str, str, str]] = []
    drawing_rel_id = _drawing_rel_id(tab)

    if drawing_rel_id is not None:
        assert tab.chart is not None
        drawing, chart = _chart_part_names(package, part, old_parts)
        sheet_rels.append((drawing_rel_id, DRAWING, relative_target(part, drawing)))
        chart_rel = ("rId1", CHART, relative_target(drawing, chart))

        package.write(drawing, render_drawing(tab.chart, "rId1"))
        _write_relationships(package, content_types, drawing, [chart_rel])
        package.write(chart, render_chart(tab, tab.chart))
        content_types.set_override(drawing, DRAWING_TYPE)
        content_types.set_override(chart, CHART_TYPE)
        kept_parts |= {drawing, rels_part(drawing), chart}

    sheet, digest = _write_sheet_part(
        package, styles, tab, part, drawing_rel_id, date1904, hash_grid, rendered
    )
    content_types.set_override(part, WORKSHEET_TYPE)
    if sheet_rels:
        _write_relationships(package, content_types, part, sheet_rels)
        kept_parts.add(rels_part(part))
    _remove_unused(
        package, content_types, [p for p in old_parts if p not in kept_parts]
    )
    return sheet, digest


def _write_relationships(
    package: Package,
    content_types: ContentTypes,
    part: str,
    relationships: list[tuple[str, str, str]],
) -> None:
    """Write the ``.rels`` part of ``part``, making sure it has a content type.

    ECMA-376 Part 2 lets a package give every part an ``Override`` and have
    no ``Default`` for the "rels" extension. A new relationships part then
    needs a ``Default`` entry, or it would have no content type at all.
    """
    rels = rels_part(part)
    package.write(rels, render_relationships(relationships))
    if content_types.content_type(rels) is None:
        content_types.ensure_default("rels", RELATIONSHIPS_TYPE)


def _tab_record(
    tab: GeneratedTab, sheet: NewMember, digest: str, workbook: WorkbookParts
) -> TabRecord:
    """Return the record a later run compares the tab with."""
    return TabRecord(
        record_digest(digest, workbook.date1904),
        sheet.crc,
        sheet.size,
        name_key=tab_name_key(tab.name),
    )


def _write_sheet_part(
    package: Package,
    styles: StylesPart,
    tab: GeneratedTab,
    part: str,
    drawing_rel_id: str | None,
    date1904: bool,
    hash_grid: bool,
    rendered: RenderedSheet | None,
) -> tuple[NewMember, str | None]:
    """Write a tab's sheet XML to ``part``, deflating it as it is rendered.

    A large Problems tab is tens of megabytes of XML, never held whole. When the
    result has the size and CRC of the part it replaces, the tab is rendered
    again and compared byte for byte, so an unchanged part stays as stored.

    :param rendered: the sheet XML rendered and deflated already, which is
        staged instead.
    :returns: the member written and the digest of the tab's grid, hashed while
        the XML was rendered unless the tab had it already. The digest is None
        when the tab had none and ``hash_grid`` is false.
    """
    if rendered is not None:
        sheet = package.deflated_member(
            part, rendered.payload, rendered.crc, rendered.size
        )
        hexdigest = rendered.digest
    else:
        # A run that looked for unchanged tabs has hashed the grid already.
        digest = GridDigest() if hash_grid and not tab.has_digest else None
        with package.open_stream(part) as stream:
            write_tab(
                tab,
                styles.sheet,
                stream.write,
                drawing_rel_id,
                workbook=package.workbook,
                date1904=date1904,
                digest=digest,
            )
            sheet = stream.close()
        hexdigest = None if digest is None else digest.hexdigest()
    if package.may_equal_source(sheet):
        xml = render_tab(
            tab,
            styles.sheet,
            drawing_rel_id,
            workbook=package.workbook,
            date1904=date1904,
        )
        package.write(part, xml)
    else:
        package.write_member(sheet)
    if hexdigest is not None:
        return sheet, hexdigest
    return sheet, tab.digest if tab.has_digest else None


@dataclass(frozen=True)
class RenderedSheet:
    """A tab's sheet XML deflated, with the digest of its grid when it had none."""

    payload: bytes | bytearray
    crc: int
    size: int
    digest: str | None


def render_sheet(
    tab: GeneratedTab,
    styles: StyleSheet,
    deflater: Deflater,
    *,
    workbook: str,
    date1904: bool,
) -> RenderedSheet:
    """Render and deflate a tab's sheet XML as :func:`write_generated_tabs` would.

    The grid is hashed as it is rendered, unless the tab has its digest.

    :raises SourceError: for a value that cannot go into a cell.
    """
    digest = None if tab.has_digest else GridDigest()
    with MemberStream(tab.name, deflater, None) as stream:
        write_tab(
            tab,
            styles,
            stream.write,
            _drawing_rel_id(tab),
            workbook=workbook,
            date1904=date1904,
            digest=digest,
        )
        member = stream.close()
    hexdigest = None if digest is None else digest.hexdigest()
    return RenderedSheet(member.payload, member.crc, member.size, hexdigest)


def _drawing_rel_id(tab: GeneratedTab) -> str | None:
    """Return the relationship id of the tab's drawing, None for a tab without."""
    return "rId1" if tab.chart is not None else None


def _chart_part_names(
    package: Package, part: str, old_parts: list[str]
) -> tuple[str, str]:
    """Return the drawing and chart part names, reusing the tab's old ones."""
    old_drawings = [p for p in old_parts if _is_part_in(p, "drawings", ".xml")]
    old_charts = [p for p in old_parts if _is_part_in(p, "charts", ".xml")]
    drawing = old_drawings[0] if old_drawings else None
    chart = old_charts[0] if old_charts else None

    folder = posixpath.dirname(posixpath.dirname(part))
    drawing = drawing or package.free_name(
        posixpath.join(folder, "drawings/drawing{}.xml")
    )
    chart = chart or package.free_name(posixpath.join(folder, "charts/chart{}.xml"))
    return drawing, chart


def _parts_below(package: Package, part: str) -> list[str]:
    """Return every part reachable from ``part`` through relationships, and their rels.

    ``part`` itself is not included; its own ``.rels`` part is.
    """
    found: list[str] = []
    pending = [part]
    while pending:
        source = pending.pop()
        rels = rels_part(source)
        if package.find(rels) is None:
            continue
        found.append(rels)
        for relationship in parse_relationships(package.read(rels), source):
            target = relationship.target
            known = target in found or target == part
            if relationship.external or known or package.find(target) is None:
                continue
            found.append(target)
            pending.append(target)
    return found


def _remove_unused(
    package: Package, content_types: ContentTypes, parts: list[str]
) -> None:
    """Remove ``parts`` that no relationship outside them still targets."""
    if not parts:
        return
    doomed = {part.lower() for part in parts}
    still_used = _targets_outside(package, doomed)
    for part in parts:
        if part.lower() in still_used:
            logger.debug("Kept %s: another part still refers to it", part)
            continue
        package.remove(part)
        content_types.remove_override(part)
        logger.debug("Removed %s: its generated tab no longer uses it", part)


def _targets_outside(package: Package, doomed: set[str]) -> set[str]:
    """Return the lower-cased targets of every ``.rels`` part not in ``doomed``."""
    targets: set[str] = set()
    for name in list(package.part_names()):
        if not name.lower().endswith(".rels") or name.lower() in doomed:
            continue
        source = _rels_source(name)
        if source.lower() in doomed:
            continue
        for relationship in parse_relationships(package.read(name), source):
            targets.add(relationship.target.lower())
    return targets


def _owned_sheet_part(sheet: SheetEntry, owned: set[str], workbook: str) -> str:
    if sheet.name.casefold() not in owned:
        raise SheetLayoutError(
            f"Workbook {workbook!r} already has a tab {sheet.name!r} that pipesheet "
            "did not create, so pipesheet will not overwrite it. Rename that tab, or "
            "choose another name for the generated tab under outputs.tabs in the "
            "pipeline definition."
        )
    if not sheet.is_worksheet or sheet.part is None:
        raise SheetLayoutError(
            f"Workbook {workbook!r}: tab {sheet.name!r} is not a worksheet (it is a "
            "chart sheet or macro sheet), so pipesheet cannot write its table there. "
            "Delete or rename that tab, then run again."
        )
    return sheet.part


def _check_tab_names(
    tabs: list[GeneratedTab], pipeline_tab: str, workbook: str
) -> None:
    seen = {pipeline_tab.casefold(): pipeline_tab}
    for tab in tabs:
        problem = excel_tab_name_problem(tab.name)
        if problem is None and tab.name.casefold() in seen:
            problem = f"it is the same tab as {seen[tab.name.casefold()]!r}"
        if problem is not None:
            raise DefinitionError(
                f"Workbook {workbook!r}: generated tab name {tab.name!r} cannot be "
                f"used because {problem}. Choose another name in the pipeline "
                "definition's outputs."
            )
        seen[tab.name.casefold()] = tab.name


def _add_app_titles(
    package: Package, tabs_before: list[str], new_tabs: list[str]
) -> None:
    if not new_tabs:
        return
    root = parse_relationships(package.read("_rels/.rels"), "")
    properties = [rel.target for rel in root if rel.type == EXTENDED_PROPERTIES]
    if not properties or package.find(properties[0]) is None:
        return
    xml = package.read(properties[0])
    package.write(properties[0], add_tab_titles(xml, tabs_before, new_tabs))


def _is_recorded_part(package: Package, part: str, record: TabRecord | None) -> bool:
    """Return True when ``part`` has the CRC-32 and size that ``record`` stores.

    Such a part is the sheet XML pipesheet wrote, which has values only, so it
    need not be inflated to look for formulas. The Problems tab of the
    100k-row workbook that bench/generate.py makes is 54 MB of XML.
    """
    member = package.stored_member(part)
    if record is None or member is None:
        return False
    return (member.crc, member.size) == (record.crc, record.size)


def _has_formulas(sheet_xml: bytes) -> bool:
    return b"<f>" in sheet_xml or b"<f " in sheet_xml or b":f>" in sheet_xml


def _sibling_pattern(workbook_part: str, stem: str) -> str:
    return posixpath.join(posixpath.dirname(workbook_part), stem + "{}.xml")


def _is_part_in(part: str, folder: str, extension: str) -> bool:
    return posixpath.basename(posixpath.dirname(part)) == folder and part.endswith(
        extension
    )


def _rels_source(rels: str) -> str:
    """Return the part whose relationships ``rels`` stores (inverse of rels_part)."""
    folder, file_name = posixpath.split(rels)
    return posixpath.join(posixpath.dirname(folder), file_name.removesuffix(".rels"))
