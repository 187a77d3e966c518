"""The workbook's styles part: the few formats pipesheet adds, reused when present.

pipesheet needs a differential format (``dxf``) per highlight colour and, for
generated tabs, cell formats for dates and a bold header. Each is looked up
first and appended only when missing, so a second run finds the formats the
first one added and leaves the part unchanged. Appending never renumbers
existing entries, so every index the workbook already uses stays valid.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from config.errors import UnsupportedWorkbookError
from sync.xlsx.cell_formats import (
    is_empty_border,
    is_empty_fill,
    means_number_format,
    number_format_codes,
    plain_format_indexes,
)
from sync.xlsx.content_types import ContentTypes
from sync.xlsx.package import Package
from sync.xlsx.part_outline import (
    ElementSpan,
    PartOutline,
    editing_part,
    insert_in_order,
    start_tag,
)
from sync.xlsx.relationships import STYLES
from sync.xlsx.workbook_parts import WorkbookParts

SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STYLES_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"

# Collections that the schema puts after dxfs, for inserting a missing <dxfs>.
_AFTER_DXFS = ("tableStyles", "colors", "extLst")
_HEX_COLOUR = re.compile(r"#?([0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})")
_ATTRIBUTE = re.compile(r"""([\w:.-]+)\s*=\s*["']([^"']*)["']""")
# Font properties that are on unless ``val`` switches them off.
_SWITCH_PROPERTIES = frozenset(
    ("b", "i", "strike", "condense", "extend", "outline", "shadow")
)

DEFAULT_STYLES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/>'
    b'</font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill>'
    b'<fill><patternFill patternType="gray125"/></fill></fills><borders count="1">'
    b"<border><left/><right/><top/><bottom/><diagonal/></border></borders>"
    b'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    b'</cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
    b'borderId="0" xfId="0"/></cellXfs><cellStyles count="1"><cellStyle '
    b'name="Normal" xfId="0" builtinId="0"/></cellStyles><dxfs count="0"/>'
    b"</styleSheet>"
)


class StyleSheet:
    """A styles part as text, with lookups that append what is missing.

    Each collection is found through :class:`PartOutline`, and what is added to
    it takes the prefix the collection is written with.
    """

    def __init__(self, xml: bytes, workbook: str, part: str = "xl/styles.xml") -> None:
        self.workbook = workbook
        self.part = part
        try:
            xml.decode("utf-8")
        except UnicodeDecodeError as error:
            raise UnsupportedWorkbookError(
                f"Workbook {workbook!r} has a styles part that is not UTF-8. Open it "
                "in Excel and save it again, then run again."
            ) from error
        self.xml = xml
        self._outline: PartOutline | None = None
        # Each cell_xf_id call's number format, weight and result, in order, so
        # that another copy of the part can repeat them (see sync.xlsx.early_tabs).
        self.xf_requests: list[tuple[int, bool, int]] = []

    @property
    def text(self) -> str:
        """The part's content as text."""
        return self.xml.decode("utf-8")

    def dxf_id(self, fill_rgb: str) -> int:
        """Return the index of a dxf that fills cells with ``fill_rgb``.

        :param fill_rgb: ``"FFC7CE"``, ``"#FFC7CE"`` or with alpha ``"FFFFC7CE"``.
        :raises ValueError: if ``fill_rgb`` is not a hex colour.
        """
        argb = argb_colour(fill_rgb)
        if self._section("dxfs") is None:
            self._insert_dxfs()
        p = self._child_prefix("dxfs")
        dxf = (
            f"<{p}dxf><{p}fill><{p}patternFill><{p}bgColor "
            f'rgb="{argb}"/></{p}patternFill></{p}fill></{p}dxf>'
        )
        for index, (existing, prefix) in enumerate(self._children("dxfs", "dxf")):
            if _fill_only_colour(existing, prefix) == argb:
                return index
        return self._find_or_append("dxfs", "dxf", dxf)

    def fill_dxf_colours(self) -> dict[int, str]:
        """Return the ARGB colour of each dxf that only fills cells with a solid colour.

        The keys are dxf indexes. A dxf that also sets a font, border or number
        format, or uses a theme or indexed colour, is left out.
        """
        colours: dict[int, str] = {}
        dxfs = self._optional_children("dxfs", "dxf")
        for index, (existing, prefix) in enumerate(dxfs):
            colour = _fill_only_colour(existing, prefix)
            if colour is not None:
                colours[index] = colour
        return colours

    def cell_xf_id(self, num_fmt_id: int, bold: bool = False) -> int:
        """Return the index of a plain cell format with a number format and weight.

        An existing format with the same number format and font, no fill or
        border, the default parent style, and default alignment and protection
        is reused, in whatever form another program wrote it.
        """
        xf_id = self._cell_xf_id(num_fmt_id, bold)
        self.xf_requests.append((num_fmt_id, bold, xf_id))
        return xf_id

    def _cell_xf_id(self, num_fmt_id: int, bold: bool) -> int:
        font_id = self._bold_font_id() if bold else 0
        if num_fmt_id == 0 and font_id == 0:
            return 0
        matches = self._plain_format_check(num_fmt_id, font_id)
        for index, (xf, _) in enumerate(self._children("cellXfs", "xf")):
            if matches(xf):
                return index

        applied = ' applyNumberFormat="1"' if num_fmt_id else ""
        applied += ' applyFont="1"' if font_id else ""
        xf = (
            f'<{self._child_prefix("cellXfs")}xf numFmtId="{num_fmt_id}" '
            f'fontId="{font_id}" fillId="0" borderId="0" xfId="0"{applied}/>'
        )
        return self._find_or_append("cellXfs", "xf", xf)

    def to_bytes(self) -> bytes:
        """Return the part's content."""
        return self.xml

    def _plain_format_check(
        self, num_fmt_id: int, font_id: int
    ) -> Callable[[str], bool]:
        """Return a check of whether an ``xf`` is a plain format with these ids.

        The fonts, fills, borders and custom number formats are read once here,
        so the check compares what each index refers to, not the index.
        """
        num_fmts = self._optional_children("numFmts", "numFmt")
        codes = number_format_codes([num_fmt for num_fmt, _ in num_fmts])
        fonts = [_font_meaning(font, p) for font, p in self._children("fonts", "font")]
        fills = [
            is_empty_fill(fill) for fill, _ in self._optional_children("fills", "fill")
        ]
        borders = [
            is_empty_border(border)
            for border, _ in self._optional_children("borders", "border")
        ]
        font = fonts[font_id] if font_id < len(fonts) else None

        def matches(xf: str) -> bool:
            indexes = plain_format_indexes(xf)
            if indexes is None or indexes["xfId"] != 0:
                return False
            if not means_number_format(indexes["numFmtId"], num_fmt_id, codes):
                return False
            fill, border = indexes["fillId"], indexes["borderId"]
            return (
                indexes["fontId"] < len(fonts)
                and fonts[indexes["fontId"]] == font
                and (fill == 0 or (fill < len(fills) and fills[fill]))
                and (border == 0 or (border < len(borders) and borders[border]))
            )

        return matches

    def _bold_font_id(self) -> int:
        fonts = self._children("fonts", "font")
        if not fonts:
            raise self._missing("fonts")
        default, prefix = fonts[0]
        default_meaning = _font_meaning(default, prefix)
        if "b" in default_meaning:
            return 0
        bold_meaning = {**default_meaning, "b": ()}
        for index, (font, font_prefix) in enumerate(fonts):
            if _font_meaning(font, font_prefix) == bold_meaning:
                return index

        start_tag_end = default.index(">") + 1
        if default[start_tag_end - 2] == "/":
            p = self._child_prefix("fonts")
            bold = f"<{p}font><{p}b/></{p}font>"
        else:
            bold = default[:start_tag_end] + f"<{prefix}b/>" + default[start_tag_end:]
        return self._find_or_append("fonts", "font", bold)

    def _find_or_append(self, collection: str, child: str, element: str) -> int:
        children = self._children(collection, child)
        expected = _squeeze(element)
        for index, (existing, _) in enumerate(children):
            if _squeeze(existing) == expected:
                return index
        self._append(collection, element, len(children) + 1)
        return len(children)

    def _outlined(self) -> PartOutline:
        if self._outline is None:
            with editing_part(self.workbook, self.part):
                self._outline = PartOutline(self.xml, max_depth=2)
                self._outline.require_root(SPREADSHEET_NS, "styleSheet")
        return self._outline

    def _set_xml(self, xml: bytes) -> None:
        self.xml = xml
        self._outline = None

    def _section(self, name: str) -> ElementSpan | None:
        outline = self._outlined()
        return outline.find_child(outline.root, SPREADSHEET_NS, name)

    def _child_prefix(self, collection: str) -> str:
        """Return the prefix a new child of ``collection`` is written with."""
        section = self._section(collection)
        if section is None:
            raise self._missing(collection)
        return section.prefix.decode()

    def _children(self, collection: str, child: str) -> list[tuple[str, str]]:
        """Return the text and prefix of each ``child`` element of ``collection``."""
        section = self._section(collection)
        if section is None:
            raise self._missing(collection)
        return [
            (self.xml[element.start : element.end].decode(), element.prefix.decode())
            for element in self._outlined().children(section)
            if (element.namespace, element.name) == (SPREADSHEET_NS, child)
        ]

    def _optional_children(self, collection: str, child: str) -> list[tuple[str, str]]:
        """Return the ``child`` elements of ``collection``, none if it is missing."""
        if self._section(collection) is None:
            return []
        return self._children(collection, child)

    def _append(self, collection: str, element: str, count: int) -> None:
        section = self._section(collection)
        assert section is not None, "callers read the collection first"
        opening = start_tag(self.xml, section).decode()
        opening = opening.removesuffix(">").removesuffix("/").rstrip()
        opening = _with_count(opening, count) + ">"
        if section.is_empty_tag:
            closing = f"</{section.qualified_name.decode()}>"
        else:
            closing = self.xml[section.content_end : section.end].decode()

        content = self.xml[section.content_start : section.content_end]
        replacement = opening.encode() + content + element.encode() + closing.encode()
        self._set_xml(self.xml[: section.start] + replacement + self.xml[section.end :])

    def _insert_dxfs(self) -> None:
        outline = self._outlined()
        root = outline.root
        empty = b'<%sdxfs count="0"/>' % root.prefix
        self._set_xml(
            insert_in_order(self.xml, outline, root, empty, SPREADSHEET_NS, _AFTER_DXFS)
        )

    def _missing(self, collection: str) -> UnsupportedWorkbookError:
        return UnsupportedWorkbookError(
            f"Workbook {self.workbook!r} has no <{collection}> in its styles part. "
            "Open it in Excel and save it again, then run again."
        )


def styles_part_name(workbook: WorkbookParts) -> str:
    """Return the styles part of ``workbook``: its related one, else styles.xml."""
    related = workbook.related(STYLES)
    folder = posixpath.dirname(workbook.part)
    return (related[0].target if related else f"{folder}/styles.xml").lstrip("/")


def read_fill_dxf_colours(package: Package, workbook: WorkbookParts) -> dict[int, str]:
    """Return :meth:`StyleSheet.fill_dxf_colours` of the workbook's styles part.

    A workbook without a styles part has no dxfs, so it gives an empty mapping.
    """
    part = styles_part_name(workbook)
    if package.find(part) is None:
        return {}
    return StyleSheet(package.read(part), package.workbook, part).fill_dxf_colours()


def argb_colour(fill_rgb: str) -> str:
    """Return ``fill_rgb`` as 8 upper-case hex digits: ``"#ffc7ce"`` → ``"FFFFC7CE"``.

    :raises ValueError: if ``fill_rgb`` is not a hex colour.
    """
    match = _HEX_COLOUR.fullmatch(fill_rgb.strip())
    if match is None:
        raise ValueError(f"fill colour {fill_rgb!r} is not a hex colour like 'FFC7CE'")
    digits = match.group(1).upper()
    return digits if len(digits) == 8 else "FF" + digits


def _fill_only_colour(dxf: str, prefix: str) -> str | None:
    """Return the solid ARGB colour ``dxf`` fills cells with, if that is all it does.

    Programs that save the workbook write the same format in several forms:
    with or without ``patternType="solid"`` and with an equal foreground
    colour, in any letter case. A theme or indexed colour gives None.
    """
    tags = re.findall(rf"</?{re.escape(prefix)}(\w+)", dxf)
    structure = [tag for tag in tags if tag not in ("fgColor", "bgColor")]
    if structure != ["dxf", "fill", "patternFill", "patternFill", "fill", "dxf"]:
        return None
    pattern = re.search(rf"<{re.escape(prefix)}patternFill\b[^>]*", dxf)
    assert pattern is not None, "the tags above include patternFill"
    pattern_type = dict(_ATTRIBUTE.findall(pattern.group(0))).get("patternType")
    if pattern_type not in (None, "solid"):
        return None

    colours = re.findall(rf"<{re.escape(prefix)}(fgColor|bgColor)\b([^>]*)>", dxf)
    found = {tag: dict(_ATTRIBUTE.findall(attributes)) for tag, attributes in colours}
    if len(colours) != len(found) or "bgColor" not in found:
        return None
    values = set()
    for attributes in found.values():
        if set(attributes) != {"rgb"}:
            return None
        values.add(attributes["rgb"].upper())
    return values.pop() if len(values) == 1 else None


def _font_meaning(font: str, prefix: str) -> dict[str, tuple[tuple[str, str], ...]]:
    """Return a font's properties in a form that ignores how a program wrote them.

    Excel writes ``<b/>`` and openpyxl writes ``<b val="1" />``, in another
    order of properties, for the same bold font. A property that is switched
    off, such as ``<b val="0"/>``, is left out.

    >>> _font_meaning('<font><sz val="11"/><b/></font>', "")
    {'sz': (('val', '11'),), 'b': ()}
    """
    meaning: dict[str, tuple[tuple[str, str], ...]] = {}
    pattern = rf"<{re.escape(prefix)}(\w+)\b([^>]*?)/?>"
    for tag, attributes in re.findall(pattern, font):
        if tag == "font":
            continue
        values = {name: value for name, value in _ATTRIBUTE.findall(attributes)}
        if tag in _SWITCH_PROPERTIES:
            switch = values.pop("val", "1").strip().lower()
            if switch in ("0", "false"):
                continue
        if "rgb" in values:
            values["rgb"] = values["rgb"].upper()
        meaning[tag] = tuple(sorted(values.items()))
    return meaning


def _with_count(start_tag: str, count: int) -> str:
    if re.search(r"\scount\s*=", start_tag):
        return re.sub(r"""(\scount\s*=\s*)["']\d*["']""", rf'\g<1>"{count}"', start_tag)
    return start_tag


def _squeeze(element: str) -> str:
    """Drop whitespace between tags and before a tag's end, as writers differ.

    openpyxl, for one, writes ``<bgColor rgb="FFFFC7CE" />``.
    """
    return re.sub(r"\s+(/?>)", r"\1", re.sub(r">\s+<", "><", element.strip()))


class StylesPart:
    """The workbook's styles part, loaded on first use and created if missing.

    A workbook without a styles relationship whose folder has a
    ``styles.xml`` gets that part related and extended, not replaced:
    openpyxl 3.1 reads ``xl/styles.xml`` by its name, relationship or not,
    so it shows those styles already.
    """

    def __init__(
        self, package: Package, workbook: WorkbookParts, content_types: ContentTypes
    ) -> None:
        self._package = package
        self._workbook = workbook
        self._content_types = content_types
        self._part: str | None = None
        self._related = False
        self._sheet: StyleSheet | None = None

    @property
    def sheet(self) -> StyleSheet:
        """The style sheet to look formats up in and add them to."""
        if self._sheet is None:
            self._related = bool(self._workbook.related(STYLES))
            self._part = styles_part_name(self._workbook)
            if self._package.find(self._part) is not None:
                xml = self._package.read(self._part)
            else:
                xml = DEFAULT_STYLES
            self._sheet = StyleSheet(xml, self._package.workbook, self._part)
        return self._sheet

    def save(self) -> None:
        """Stage the styles part if it was used, registering it if it is new."""
        if self._sheet is None or self._part is None:
            return
        if not self._related:
            self._workbook.add_relationship(STYLES, self._part)
        if self._content_types.content_type(self._part) != STYLES_TYPE:
            self._content_types.set_override(self._part, STYLES_TYPE)
        self._package.write(self._part, self._sheet.to_bytes())
