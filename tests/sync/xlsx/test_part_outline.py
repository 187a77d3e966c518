"""PartOutline: element spans found by namespace, as XML allows them to be written."""

from __future__ import annotations

import pytest

from config.errors import UnsupportedWorkbookError
from sync.xlsx.part_outline import (
    PartLayoutError,
    PartOutline,
    append_child,
    editing_part,
    remove_elements,
)

MAIN = "urn:main"
OTHER = "urn:other"


def spans(xml: bytes) -> list[tuple[str, str, bytes]]:
    outline = PartOutline(xml)
    return [
        (element.namespace, element.name, xml[element.start : element.end])
        for element in outline.elements
    ]


def test_end_tag_with_space_spanned() -> None:
    xml = b'<a xmlns="urn:main"><b>text</b\n></a >'

    assert spans(xml) == [
        (MAIN, "a", xml),
        (MAIN, "b", b"<b>text</b\n>"),
    ]


def test_inner_prefix_resolved() -> None:
    xml = b'<a xmlns="urn:main"><x:b xmlns:x="urn:main"/><c xmlns="urn:other"/></a>'

    outline = PartOutline(xml)

    b, c = list(outline.children(outline.root))
    assert (b.namespace, b.name, b.prefix) == (MAIN, "b", b"x:")
    assert (c.namespace, c.name, c.prefix) == (OTHER, "c", b"")


def test_comment_and_instruction_skipped() -> None:
    xml = b'<?xml version="1.0"?><!-- <x:a> --><?pi <x:a>?><a xmlns="urn:main"/>'

    outline = PartOutline(xml)

    assert outline.root.start == xml.index(b"<a ")
    assert outline.root.prefix == b""


def test_attribute_with_angle_bracket() -> None:
    xml = b"<a xmlns=\"urn:main\"><b note='1 > 0'>x</b></a>"

    outline = PartOutline(xml)

    (b,) = list(outline.children(outline.root))
    assert xml[b.content_start : b.content_end] == b"x"


def test_prefix_for_other_namespace() -> None:
    xml = b'<a xmlns="urn:main" xmlns:r="urn:other"><b xmlns:s="urn:other"/></a>'

    outline = PartOutline(xml)

    (b,) = list(outline.children(outline.root))
    assert b.prefix_for(OTHER) in (b"r:", b"s:")
    assert b.prefix_for(MAIN) == b""
    assert b.prefix_for("urn:missing") is None


def test_append_to_empty_tag() -> None:
    xml = b'<a xmlns="urn:main"><x:b xmlns:x="urn:main" /></a>'
    outline = PartOutline(xml)
    (b,) = list(outline.children(outline.root))

    assert append_child(xml, b, b"<x:c/>") == (
        b'<a xmlns="urn:main"><x:b xmlns:x="urn:main"><x:c/></x:b></a>'
    )


def test_append_before_spaced_end_tag() -> None:
    xml = b'<a xmlns="urn:main"><b/></a >'
    outline = PartOutline(xml)

    assert append_child(xml, outline.root, b"<c/>") == (
        b'<a xmlns="urn:main"><b/><c/></a >'
    )


def test_remove_elements_keeps_rest() -> None:
    xml = b'<a xmlns="urn:main"><b/><c>1</c ><b/></a>'
    outline = PartOutline(xml)
    removed = [e for e in outline.children(outline.root) if e.name == "b"]

    assert remove_elements(xml, removed) == b'<a xmlns="urn:main"><c>1</c ></a>'


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (b"<a><b></a>", "it is not well-formed XML"),
        ('<a xmlns="urn:main"/>'.encode("utf-16"), "it is not UTF-8"),
        (b"", "it is not well-formed XML"),
    ],
    ids=["mismatched-tags", "utf-16", "empty"],
)
def test_unreadable_part_rejected(xml: bytes, reason: str) -> None:
    with pytest.raises(PartLayoutError, match=reason):
        PartOutline(xml)


def test_root_name_checked() -> None:
    outline = PartOutline(b'<Types xmlns="urn:other"/>')

    with pytest.raises(PartLayoutError, match="its root element is <Types>"):
        outline.require_root(MAIN, "Types")


def test_editing_part_names_workbook_and_part() -> None:
    with pytest.raises(UnsupportedWorkbookError) as raised:
        with editing_part("Deals.xlsx", "xl/workbook.xml"):
            raise PartLayoutError("its <workbook> element has no <sheets> element")

    assert str(raised.value) == (
        "Workbook 'Deals.xlsx': pipesheet cannot edit the part 'xl/workbook.xml' "
        "because its <workbook> element has no <sheets> element. Nothing was "
        "written. Open the workbook in Excel and save it again as an Excel "
        "Workbook (.xlsx), then run again."
    )


def test_byte_order_mark_counted() -> None:
    xml = b'\xef\xbb\xbf<?xml version="1.0"?>\n<a xmlns="urn:main"><b/></a>'

    outline = PartOutline(xml)

    assert xml[outline.root.start : outline.root.end] == b'<a xmlns="urn:main"><b/></a>'
