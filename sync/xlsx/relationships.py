"""Package relationships (``.rels`` parts): reading, resolving and editing them.

A relationship links a source part to a target part by a relative URI, for
example ``xl/_rels/workbook.xml.rels`` contains ``rId1 → worksheets/sheet1.xml``.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, unquote

from sync.xlsx.markup import escape_attribute, root_prefix

PACKAGE_RELATIONSHIPS_NS = (
    "http://schemas.openxmlformats.org/package/2006/relationships"
)
OFFICE_RELATIONSHIPS_NS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
)
OFFICE_DOCUMENT = OFFICE_RELATIONSHIPS_NS + "/officeDocument"
STRICT_OFFICE_DOCUMENT = (
    "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"
)
WORKSHEET = OFFICE_RELATIONSHIPS_NS + "/worksheet"
STYLES = OFFICE_RELATIONSHIPS_NS + "/styles"
CALC_CHAIN = OFFICE_RELATIONSHIPS_NS + "/calcChain"
DRAWING = OFFICE_RELATIONSHIPS_NS + "/drawing"
CHART = OFFICE_RELATIONSHIPS_NS + "/chart"
EXTENDED_PROPERTIES = OFFICE_RELATIONSHIPS_NS + "/extended-properties"

_RELATIONSHIP_ID = re.compile(r"rId(\d+)")


@dataclass(frozen=True)
class Relationship:
    """One relationship of a source part.

    ``target`` is the resolved part name for internal targets and the URI as
    written for external ones (hyperlinks, linked files).
    """

    id: str
    type: str
    target: str
    external: bool = False


def rels_part(part: str) -> str:
    """Return the relationships part of ``part`` (``""`` is the package itself).

    Example: ``xl/workbook.xml`` → ``xl/_rels/workbook.xml.rels``.
    """
    folder, file_name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{file_name}.rels")


def parse_relationships(xml: bytes, source_part: str) -> list[Relationship]:
    """Return the relationships of ``source_part`` stored in its ``.rels`` part.

    :raises xml.etree.ElementTree.ParseError: if the part is not well-formed XML.
    """
    relationships = []
    for element in ElementTree.fromstring(xml):
        if element.tag != f"{{{PACKAGE_RELATIONSHIPS_NS}}}Relationship":
            continue
        external = element.get("TargetMode", "Internal") == "External"
        target = element.get("Target", "")
        if not external:
            target = resolve_target(source_part, target)
        relationships.append(
            Relationship(
                element.get("Id", ""), element.get("Type", ""), target, external
            )
        )
    return relationships


def resolve_target(source_part: str, target: str) -> str:
    """Return the part name a relative or absolute target URI points to."""
    path = unquote(target.split("#", 1)[0])
    if path.startswith("/"):
        return posixpath.normpath(path[1:])
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), path))


def relative_target(source_part: str, part: str) -> str:
    """Return the URI from ``source_part`` to ``part``, as Excel writes targets."""
    start = posixpath.dirname(source_part) or "."
    return quote(posixpath.relpath(part, start))


def next_relationship_id(existing: Iterable[str]) -> str:
    """Return ``rIdN`` with N one past the highest number in ``existing``."""
    numbers = [int(m.group(1)) for m in map(_RELATIONSHIP_ID.fullmatch, existing) if m]
    return f"rId{max(numbers, default=0) + 1}"


def add_relationship(xml: bytes, rel_id: str, rel_type: str, target: str) -> bytes:
    """Insert one relationship before the closing tag of a ``.rels`` part."""
    prefix = root_prefix(xml)
    element = (
        f'<{prefix.decode()}Relationship Id="{escape_attribute(rel_id)}" '
        f'Type="{escape_attribute(rel_type)}" Target="{escape_attribute(target)}"/>'
    ).encode()
    closing = b"</" + prefix + b"Relationships>"
    at = xml.rfind(closing)
    if at >= 0:
        return xml[:at] + element + xml[at:]

    # An empty part may close its root in the start tag: <Relationships .../>.
    empty_root = re.search(rb"<" + re.escape(prefix) + rb"Relationships\b[^>]*?/>", xml)
    if empty_root is None:
        raise ValueError("the relationships part has no Relationships root")
    opened = empty_root.group(0)[:-2] + b">"
    return (
        xml[: empty_root.start()] + opened + element + closing + xml[empty_root.end() :]
    )


def remove_relationship(xml: bytes, rel_id: str) -> bytes:
    """Remove the relationship with ``rel_id`` from a ``.rels`` part (if present)."""
    prefix = re.escape(root_prefix(xml))
    quoted_id = re.escape(rel_id.encode())
    pattern = (
        rb"<"
        + prefix
        + rb"Relationship\b[^>]*?\sId\s*=\s*[\"']"
        + quoted_id
        + rb"[\"'][^>]*?(?:/>|>\s*</"
        + prefix
        + rb"Relationship>)"
    )
    return re.sub(pattern, b"", xml, count=1)


def render_relationships(relationships: Iterable[tuple[str, str, str]]) -> bytes:
    """Return a new ``.rels`` part holding ``(id, type, target)`` entries."""
    elements = "".join(
        f'<Relationship Id="{escape_attribute(rel_id)}" '
        f'Type="{escape_attribute(rel_type)}" Target="{escape_attribute(target)}"/>'
        for rel_id, rel_type, target in relationships
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS_NS}">{elements}</Relationships>'
    ).encode()
