"""Element spans of a small package part: where each starts and ends, for text edits.

pipesheet edits the workbook part, the content types, the relationships parts
and the styles part as text, so every byte it does not own stays as stored. To
place an edit it must know where an element's start tag, content and end tag
are. A byte search for ``</sheets>`` misses what XML allows and producers
write: ``</sheets >``, a prefix declared on an inner element, a default
namespace redeclared there, or a comment that mentions a tag. So the part is
parsed with expat, which resolves namespaces, and each element's span is
recorded by its namespace and local name, as ElementTree names elements.

Example: in ``<x:workbook xmlns:x="M"><sheets xmlns="M"></sheets ></x:workbook>``
the element ``sheets`` of namespace ``M`` has the prefix ``b""``, and its
content ends where ``</sheets >`` starts.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from xml.parsers import expat

from config.errors import UnsupportedWorkbookError

# A start tag from its "<": the name, attributes with quoted values (which may
# contain ">"), and "/>" for an element without content.
_START_TAG = re.compile(
    rb"""<[^\s/>]+(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*(/?)>"""
)
_END_TAG = re.compile(rb"</[^\s>]+\s*>")


class PartLayoutError(ValueError):
    """A part has no place where pipesheet can put its edit with certainty.

    The message completes the sentence "pipesheet cannot edit the part
    because ...". Callers that know the workbook and the part name turn it
    into an :class:`~config.errors.UnsupportedWorkbookError`.
    """


@dataclass(frozen=True)
class ElementSpan:
    """One element of a part: its name and the byte offsets of its pieces.

    ``start`` is the offset of its ``<``, ``content_start`` the offset after
    its start tag, ``content_end`` the offset of its end tag's ``</`` and
    ``end`` the offset after its end tag. For ``<a/>`` the last three are
    equal. ``prefix`` is the prefix it is written with, colon included, and
    ``namespaces`` maps each prefix in scope inside it (``""`` for the
    default namespace) to its namespace.
    """

    namespace: str
    name: str
    prefix: bytes
    depth: int
    start: int
    content_start: int
    content_end: int
    end: int
    namespaces: Mapping[str, str]

    @property
    def is_empty_tag(self) -> bool:
        """Whether the element is written as one tag, ``<a/>``."""
        return self.content_start == self.end

    @property
    def qualified_name(self) -> bytes:
        """The name as the part writes it, such as ``b"x:sheets"``."""
        return self.prefix + self.name.encode()

    def prefix_for(self, namespace: str) -> bytes | None:
        """Return the prefix of ``namespace`` in scope inside the element, or None.

        The prefix comes with its colon, and the default namespace gives
        ``b""``.
        """
        if self.namespace == namespace:
            return self.prefix
        for prefix, uri in self.namespaces.items():
            if uri == namespace and prefix:
                return prefix.encode() + b":"
        return None


class PartOutline:
    """The elements of a part down to ``max_depth`` (the root has depth 0).

    :raises PartLayoutError: if the part is not well-formed XML in UTF-8.
    """

    def __init__(self, xml: bytes, max_depth: int = 2) -> None:
        if xml.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in xml[:4]:
            raise PartLayoutError("it is not UTF-8 (it is UTF-16)")
        self.elements: list[ElementSpan] = []
        self._xml = xml
        self._max_depth = max_depth
        self._open: list[tuple[str, int, int, bool, Mapping[str, str]] | None] = []
        self._scopes: list[Mapping[str, str]] = [{}]
        self._declared: dict[str, str] = {}
        self._parse()

    @property
    def root(self) -> ElementSpan:
        """The part's root element."""
        return self.elements[0]

    def children(self, parent: ElementSpan) -> Iterator[ElementSpan]:
        """Yield the child elements of ``parent``, in document order."""
        for element in self.elements:
            if (
                element.depth == parent.depth + 1
                and parent.content_start <= element.start < parent.content_end
            ):
                yield element

    def find_child(
        self, parent: ElementSpan, namespace: str, name: str
    ) -> ElementSpan | None:
        """Return the first child of ``parent`` called ``name`` in ``namespace``."""
        return next(
            (
                child
                for child in self.children(parent)
                if (child.namespace, child.name) == (namespace, name)
            ),
            None,
        )

    def require_root(self, namespace: str, name: str) -> ElementSpan:
        """Return the root element after checking its name.

        :raises PartLayoutError: if the root is another element.
        """
        if (self.root.namespace, self.root.name) != (namespace, name):
            raise PartLayoutError(
                f"its root element is <{self.root.name}> of namespace "
                f"{self.root.namespace!r}, not <{name}> of namespace {namespace!r}"
            )
        return self.root

    def _parse(self) -> None:
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.namespace_prefixes = True
        parser.StartNamespaceDeclHandler = self._declare
        parser.StartElementHandler = lambda name, _: self._start(parser, name)
        parser.EndElementHandler = lambda name: self._end(parser)
        try:
            parser.Parse(self._xml, True)
        except expat.ExpatError as error:
            raise PartLayoutError(f"it is not well-formed XML ({error})") from error
        if not self.elements:
            raise PartLayoutError("it has no root element")
        self.elements.sort(key=lambda element: element.start)

    def _declare(self, prefix: str | None, uri: str | None) -> None:
        self._declared[prefix or ""] = uri or ""

    def _start(self, parser: expat.XMLParserType, name: str) -> None:
        scope = self._scopes[-1]
        if self._declared:
            scope = {**scope, **self._declared}
            self._declared = {}
        self._scopes.append(scope)
        depth = len(self._open)
        if depth > self._max_depth:
            self._open.append(None)
            return

        start = parser.CurrentByteIndex
        tag = _START_TAG.match(self._xml, start)
        if tag is None:
            raise PartLayoutError(f"the start tag at byte {start} cannot be read")
        self._open.append((name, start, tag.end(), tag.group(1) == b"/", scope))

    def _end(self, parser: expat.XMLParserType) -> None:
        self._scopes.pop()
        opened = self._open.pop()
        if opened is None:
            return
        name, start, content_start, empty, scope = opened
        if empty:
            content_end = end = content_start
        else:
            content_end = parser.CurrentByteIndex
            tag = _END_TAG.match(self._xml, content_end)
            if tag is None:
                raise PartLayoutError(
                    f"the end tag at byte {content_end} cannot be read"
                )
            end = tag.end()

        namespace, _, rest = name.partition(" ") if " " in name else ("", "", name)
        local, _, prefix = rest.partition(" ")
        self.elements.append(
            ElementSpan(
                namespace=namespace,
                name=local,
                prefix=prefix.encode() + b":" if prefix else b"",
                depth=len(self._open),
                start=start,
                content_start=content_start,
                content_end=content_end,
                end=end,
                namespaces=scope,
            )
        )


def append_child(xml: bytes, parent: ElementSpan, element: bytes) -> bytes:
    """Return ``xml`` with ``element`` as the last child of ``parent``.

    An empty tag ``<a .../>`` is opened into ``<a ...>element</a>``.
    """
    if not parent.is_empty_tag:
        at = parent.content_end
        return xml[:at] + element + xml[at:]
    start_tag = xml[parent.start : parent.end].removesuffix(b"/>").rstrip() + b">"
    end_tag = b"</" + parent.qualified_name + b">"
    return xml[: parent.start] + start_tag + element + end_tag + xml[parent.end :]


def insert_before(xml: bytes, sibling: ElementSpan, element: bytes) -> bytes:
    """Return ``xml`` with ``element`` just before ``sibling``."""
    return xml[: sibling.start] + element + xml[sibling.start :]


def insert_in_order(
    xml: bytes,
    outline: PartOutline,
    parent: ElementSpan,
    element: bytes,
    namespace: str,
    followers: Collection[str],
) -> bytes:
    """Return ``xml`` with ``element`` as a child of ``parent``, in schema order.

    The schema fixes the order of a part's children, so ``element`` goes just
    before the first child of ``parent`` in ``namespace`` whose name is one of
    ``followers`` (those the schema puts after it), or last when none is there.
    """
    follower = next(
        (
            child
            for child in outline.children(parent)
            if child.namespace == namespace and child.name in followers
        ),
        None,
    )
    if follower is not None:
        return insert_before(xml, follower, element)
    return append_child(xml, parent, element)


def remove_elements(xml: bytes, elements: list[ElementSpan]) -> bytes:
    """Return ``xml`` without ``elements``, which must not overlap."""
    for element in sorted(elements, key=lambda span: -span.start):
        xml = xml[: element.start] + xml[element.end :]
    return xml


def start_tag(xml: bytes, element: ElementSpan) -> bytes:
    """Return the start tag of ``element``, attributes included."""
    return xml[element.start : element.content_start]


@contextmanager
def editing_part(workbook: str, part: str) -> Iterator[None]:
    """Turn a :class:`PartLayoutError` raised inside into a message for people.

    :raises UnsupportedWorkbookError: naming the workbook, the part and the fix.
    """
    try:
        yield
    except PartLayoutError as error:
        raise UnsupportedWorkbookError(
            f"Workbook {workbook!r}: pipesheet cannot edit the part {part!r} "
            f"because {error}. Nothing was written. Open the workbook in Excel "
            "and save it again as an Excel Workbook (.xlsx), then run again."
        ) from error
