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
from urllib.parse import quote

from sync.xlsx.markup import attribute_value, escape_attribute, unescape
from sync.xlsx.part_outline import (
    PartOutline,
    append_child,
    remove_elements,
    start_tag,
)

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
    """Return the part name a relative or absolute target URI points to.

    Percent-encoding stays, because ECMA-376 Part 2 (9.2.3) maps a part name to
    its zip item name by removing the leading slash only: the target
    ``deal%20sheet.xml`` is the zip item ``xl/worksheets/deal%20sheet.xml``.
    :meth:`~sync.xlsx.package.Package.find` also finds the decoded name, which
    some producers store instead.
    """
    path = target.split("#", 1)[0]
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
    """Append one relationship to a ``.rels`` part's ``<Relationships>`` root.

    :raises PartLayoutError: if the part has no such root or is not well-formed.
    """
    outline = PartOutline(xml, max_depth=0)
    root = outline.require_root(PACKAGE_RELATIONSHIPS_NS, "Relationships")
    element = (
        f'<{root.prefix.decode()}Relationship Id="{escape_attribute(rel_id)}" '
        f'Type="{escape_attribute(rel_type)}" Target="{escape_attribute(target)}"/>'
    ).encode()
    return append_child(xml, root, element)


def remove_relationship(xml: bytes, rel_id: str) -> bytes:
    """Remove the relationship with ``rel_id`` from a ``.rels`` part (if present).

    :raises PartLayoutError: if the part has no such root or is not well-formed.
    """
    outline = PartOutline(xml, max_depth=1)
    root = outline.require_root(PACKAGE_RELATIONSHIPS_NS, "Relationships")
    removed = [
        element
        for element in outline.children(root)
        if element.namespace == PACKAGE_RELATIONSHIPS_NS
        and element.name == "Relationship"
        and _unescaped(attribute_value(start_tag(xml, element), b"Id")) == rel_id
    ]
    return remove_elements(xml, removed[:1])


def _unescaped(value: bytes | None) -> str | None:
    return None if value is None else unescape(value.decode("utf-8", "replace"))


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
