"""The ``[Content_Types].xml`` part: which content type each part has.

Every part pipesheet adds gets an ``Override`` entry; a part it removes loses its
entry. Entries are edited as text so the rest of the part keeps its bytes.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ElementTree

from sync.xlsx.markup import escape_attribute, root_prefix
from sync.xlsx.package import Package

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
        self._prefix = root_prefix(self._xml)

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
            f'<{self._prefix.decode()}Override PartName="/{escape_attribute(part)}" '
            f'ContentType="{escape_attribute(content_type)}"/>'
        )
        self._insert(element.encode())
        self._overrides[f"/{part}".lower()] = content_type

    def ensure_default(self, extension: str, content_type: str) -> None:
        """Add a ``Default`` entry for ``extension`` unless one exists."""
        if extension.lower() in self._defaults:
            return
        prefix = self._prefix.decode()
        element = (
            f'<{prefix}Default Extension="{escape_attribute(extension)}" '
            f'ContentType="{escape_attribute(content_type)}"/>'
        )
        self._insert(element.encode())
        self._defaults[extension.lower()] = content_type

    def remove_override(self, part: str) -> None:
        """Remove the ``Override`` entry of ``part`` if there is one."""
        if self._overrides.pop(f"/{part}".lower(), None) is None:
            return
        prefix = re.escape(self._prefix)
        pattern = (
            rb"<"
            + prefix
            + rb"Override\b[^>]*?\sPartName\s*=\s*[\"']/"
            + re.escape(part.encode())
            + rb"[\"'][^>]*?(?:/>|>\s*</"
            + prefix
            + rb"Override>)"
        )
        self._xml = re.sub(pattern, b"", self._xml, count=1, flags=re.IGNORECASE)

    def save(self) -> None:
        """Stage the part in the package (unchanged text stays as stored)."""
        self._package.write(CONTENT_TYPES_PART, self._xml)

    def _insert(self, element: bytes) -> None:
        closing = b"</" + self._prefix + b"Types>"
        at = self._xml.rfind(closing)
        self._xml = self._xml[:at] + element + self._xml[at:]
