"""The ``[Content_Types].xml`` part: which content type each part has.

Every part pipesheet adds gets an ``Override`` entry; a part it removes loses its
entry. Entries are edited as text so the rest of the part keeps its bytes.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ElementTree

from sync.xlsx.markup import attribute_value, escape_attribute, unescape
from sync.xlsx.package import Package
from sync.xlsx.part_outline import (
    ElementSpan,
    PartOutline,
    append_child,
    editing_part,
    remove_elements,
    start_tag,
)

CONTENT_TYPES_PART = "[Content_Types].xml"
CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"

WORKSHEET_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
)
DRAWING_TYPE = "application/vnd.openxmlformats-officedocument.drawing+xml"
CHART_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
RELATIONSHIPS_TYPE = "application/vnd.openxmlformats-package.relationships+xml"


class ContentTypes:
    """The content types of a package, with entries to add or remove staged as text."""

    def __init__(self, package: Package) -> None:
        self._package = package
        self._xml = package.read_required(CONTENT_TYPES_PART)

        root = ElementTree.fromstring(self._xml)
        self._defaults = {
            element.get("Extension", "").lower(): element.get("ContentType", "")
            for element in root.iter(f"{{{CONTENT_TYPES_NS}}}Default")
        }
        self._overrides = {
            element.get("PartName", "").lower(): element.get("ContentType", "")
            for element in root.iter(f"{{{CONTENT_TYPES_NS}}}Override")
        }

    def content_type(self, part: str) -> str | None:
        """Return the content type of ``part`` (override first, then extension)."""
        override = self._overrides.get(f"/{part}".lower())
        if override is not None:
            return override
        extension = posixpath.splitext(part)[1].lstrip(".").lower()
        return self._defaults.get(extension)

    def set_override(self, part: str, content_type: str) -> None:
        """Give ``part`` its own content type entry, replacing an existing one."""
        if self._overrides.get(f"/{part}".lower()) == content_type:
            return
        self.remove_override(part)
        element = (
            f'Override PartName="/{escape_attribute(part)}" '
            f'ContentType="{escape_attribute(content_type)}"/>'
        )
        self._insert(element.encode())
        self._overrides[f"/{part}".lower()] = content_type

    def ensure_default(self, extension: str, content_type: str) -> None:
        """Add a ``Default`` entry for ``extension`` unless one exists."""
        if extension.lower() in self._defaults:
            return
        element = (
            f'Default Extension="{escape_attribute(extension)}" '
            f'ContentType="{escape_attribute(content_type)}"/>'
        )
        self._insert(element.encode())
        self._defaults[extension.lower()] = content_type

    def remove_override(self, part: str) -> None:
        """Remove the ``Override`` entry of ``part`` if there is one."""
        if self._overrides.pop(f"/{part}".lower(), None) is None:
            return
        with editing_part(self._package.workbook, CONTENT_TYPES_PART):
            outline = PartOutline(self._xml, max_depth=1)
            root = outline.require_root(CONTENT_TYPES_NS, "Types")
            entries = [
                entry
                for entry in outline.children(root)
                if self._is_override_of(entry, part)
            ]
        self._xml = remove_elements(self._xml, entries)

    def save(self) -> None:
        """Stage the part in the package (unchanged text stays as stored)."""
        self._package.write(CONTENT_TYPES_PART, self._xml)

    def _is_override_of(self, entry: ElementSpan, part: str) -> bool:
        if (entry.namespace, entry.name) != (CONTENT_TYPES_NS, "Override"):
            return False
        name = attribute_value(start_tag(self._xml, entry), b"PartName")
        if name is None:
            return False
        return unescape(name.decode("utf-8", "replace")).lower() == f"/{part}".lower()

    def _insert(self, element: bytes) -> None:
        """Append an entry, given without its "<", last in the ``<Types>`` root."""
        with editing_part(self._package.workbook, CONTENT_TYPES_PART):
            outline = PartOutline(self._xml, max_depth=0)
            root = outline.require_root(CONTENT_TYPES_NS, "Types")
        self._xml = append_child(self._xml, root, b"<" + root.prefix + element)
