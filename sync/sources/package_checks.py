"""Checks of an .xlsx package before its tabs are read, and why calamine fails on one.

python-calamine, which reads the tabs, opens some packages that a run then
rejects, and reads them differently: of a member listed twice it reads one
copy, and it reads Strict Open XML, which the writer does not write.
:func:`check_package` rejects those from the central directory and the first
bytes of the workbook part, so ``check``, dry runs and runs stop alike.

When calamine cannot open a package, or reads a tab as empty or missing,
its error text often names no cause ("Cannot detect file format"). The
``describe_*`` functions run only after such a failure, and look for the
causes known to pipesheet. These are a compression method other than
Deflate, parts encoded as UTF-16, an Excel 4.0 macro sheet and a workbook
part at a name calamine does not try. A tab whose relationship target has
``..`` segments or %-escapes is read from a copy of the package with plain
targets (:func:`with_plain_targets`), and named only if that fails too.
"""

from __future__ import annotations

import html
import io
import re
import xml.etree.ElementTree as ElementTree
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from config.errors import UnsupportedWorkbookError
from sync.sources.package_messages import (
    compression_message,
    macro_sheet_message,
    resave,
    strict_open_xml_error,
    utf16_message,
    workbook_place_message,
)
from sync.xlsx.markup import escape_attribute, root_start_tag
from sync.xlsx.relationships import rels_part, resolve_target
from sync.xlsx.zipcopy import reject_duplicate_members

_PACKAGE_RELATIONSHIP = (
    "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
)
_TRANSITIONAL_RELATIONSHIPS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
)
_STRICT_RELATIONSHIPS = "http://purl.oclc.org/ooxml/officeDocument/relationships"
_OFFICE_DOCUMENTS = {
    _TRANSITIONAL_RELATIONSHIPS + "/officeDocument": False,
    _STRICT_RELATIONSHIPS + "/officeDocument": True,
}
_TRANSITIONAL_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_SHEET = f"{{{_TRANSITIONAL_MAIN}}}sheet"
_SHEET_RELATIONSHIP_ID = f"{{{_TRANSITIONAL_RELATIONSHIPS}}}id"

# Relationship types of the Excel 4.0 macro sheets, which python-calamine 0.9
# rejects with "Unrecognized sheet:type" and then opens no tab at all.
_MACRO_SHEETS = {
    "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet": (
        "an Excel 4.0 macro sheet"
    ),
    "http://schemas.microsoft.com/office/2006/relationships/xlIntlMacrosheet": (
        "an Excel 4.0 international macro sheet"
    ),
}

# The names python-calamine 0.9 finds a workbook part by, whatever the root
# relationship names.
_WORKBOOK_PARTS_FOUND = ("xl/workbook.xml", "workbook.xml", "xl/workbook.bin")

# The relationship types, by their last segment, of the parts calamine reads
# besides the workbook part and the relationships.
_PARTS_READ = ("/worksheet", "/chartsheet", "/dialogsheet", "/styles", "/sharedStrings")

# Zip compression methods by number (PKWARE APPNOTE 4.4.5). The writer reads
# only Stored (0) and Deflate (8) members (sync.xlsx.zipcopy), and
# python-calamine 0.9.1 failed on bzip2 (12) ones. Other methods were not tried.
_READABLE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)

# zipfile raises these for a member it cannot inflate: NotImplementedError
# for an unknown method, RuntimeError for an encrypted member, zlib.error and
# BadZipFile for damaged data.
_UNREADABLE_MEMBER = (
    NotImplementedError,
    RuntimeError,
    zlib.error,
    zipfile.BadZipFile,
    EOFError,
    OSError,
)

# Bytes of a part read to see how it is encoded and what its root element is.
_HEAD_BYTES = 4096
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# A Target attribute of a relationship, with its quote in groups 1 and 3.
# External targets (hyperlinks) have no part behind them, so a target that
# names no part is left as it is.
_RELATIONSHIP_TARGET = re.compile(rb"""(\sTarget\s*=\s*["'])([^"']*)(["'])""")
_ROOT_NAME = re.compile(rb"<(?:([\w.-]+):)?([\w.-]+)")


@dataclass(frozen=True)
class _WorkbookPart:
    """The workbook part, whether it is Strict Open XML, and its first bytes."""

    name: str
    strict: bool
    head: bytes


def check_package(package: zipfile.ZipFile, workbook: str) -> bool:
    """Reject a package that calamine would read but a run rejects.

    :param package: the file, opened; its central directory is read already.
    :param workbook: the file name, for messages.
    :returns: False when the package has no workbook part, so it is some
        other kind of zip file.
    :raises UnsupportedWorkbookError: if a member name is listed twice, or the
        workbook is Strict Open XML or encoded as UTF-16.
    """
    members = package.infolist()
    reject_duplicate_members(
        [member.filename for member in members],
        [member.header_offset for member in members],
        workbook,
    )
    names = {member.filename.lower(): member.filename for member in members}
    part = _workbook_part(package, names)
    if part is None:
        return False
    if part.strict:
        raise strict_open_xml_error(workbook)
    if not part.name.lower().endswith(".bin"):
        _check_workbook_head(part.head, part.name, workbook)
    return True


def describe_unreadable_package(data: bytes, workbook: str) -> str | None:
    """Return why calamine could not open a package, with what to do, if known.

    :param data: the file's content.
    :returns: a message naming the workbook, or None when no known cause is
        found (or ``data`` is not a zip file).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return _describe_package(package, workbook)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
        return None


def describe_unread_tab(path: str, tab: str, workbook: str) -> str | None:
    """Return why calamine read ``tab`` as missing or empty, if the cause is known.

    A sheet part encoded as UTF-16 reads as empty, and one whose relationship
    target has ``.`` or ``..`` segments or %-escapes reads as missing.

    :param path: the workbook file.
    :returns: a message naming the workbook and tab, or None when neither
        cause is found.
    """
    try:
        with zipfile.ZipFile(path) as package:
            return _describe_tab(package, tab, workbook)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
        return None


def with_plain_targets(data: bytes) -> bytes | None:
    """Return a copy of the package whose tabs' targets calamine can follow.

    python-calamine 0.9.1 reads a tab whose target has ``.`` or ``..``
    segments or %-escapes as missing, although the packaging rules resolve
    such a target to a part name. The copy lists each such tab by its part name
    (``/xl/worksheets/sheet1.xml``). Every member is inflated and deflated
    again, so this runs only after calamine missed a tab.

    :returns: the copy, or None when no target needs it or ``data`` is not a
        readable zip file.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return _with_plain_targets(package)
    except (KeyError, zipfile.BadZipFile, *_UNREADABLE_MEMBER):
        return None


def _with_plain_targets(package: zipfile.ZipFile) -> bytes | None:
    names = {member.filename.lower(): member.filename for member in package.infolist()}
    part = _workbook_part(package, names)
    if part is None:
        return None
    relationships_part = names.get(rels_part(part.name).lower())
    if relationships_part is None:
        return None
    xml = package.read(relationships_part)
    plain = _RELATIONSHIP_TARGET.sub(
        lambda match: _plain_target(match, part.name, names), xml
    )
    if plain == xml:
        return None

    copy = io.BytesIO()
    with zipfile.ZipFile(copy, "w") as target:
        for member in package.infolist():
            content = plain if member.filename == relationships_part else None
            data = content or package.read(member)
            target.writestr(
                member, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1
            )
    return copy.getvalue()


def _plain_target(
    match: re.Match[bytes], workbook_part: str, names: Mapping[str, str]
) -> bytes:
    """Return a Target attribute naming its part plainly, if calamine needs that."""
    target = html.unescape(match.group(2).decode("utf-8", "replace"))
    if not _needs_plain_target(target):
        return match.group(0)
    resolved = resolve_target(workbook_part, unquote(target))
    part = names.get(resolved.lower())
    if part is None:
        return match.group(0)
    return match.group(1) + escape_attribute("/" + part).encode() + match.group(3)


def _needs_plain_target(target: str) -> bool:
    segments = target.split("/")
    return "%" in target or "." in segments or ".." in segments


def _describe_package(package: zipfile.ZipFile, workbook: str) -> str | None:
    names = {member.filename.lower(): member.filename for member in package.infolist()}
    part = _workbook_part(package, names)
    if part is None:
        return None
    read_parts = _parts_read(package, names, part.name)

    for name in read_parts:
        member = package.getinfo(name)
        if member.compress_type not in _READABLE_METHODS:
            return compression_message(member, workbook)
    if part.name.lower() not in _WORKBOOK_PARTS_FOUND:
        return workbook_place_message(part.name, workbook)
    for name in read_parts:
        if _is_utf16(_read_head(package, name)):
            return utf16_message(name, workbook)
    for tab, kind in _sheet_kinds(package, part.name):
        if kind in _MACRO_SHEETS:
            return macro_sheet_message(tab, _MACRO_SHEETS[kind], workbook)
    return None


def _parts_read(
    package: zipfile.ZipFile, names: Mapping[str, str], workbook_part: str
) -> list[str]:
    """Return the member names of the parts calamine reads to open a workbook."""
    candidates = ["_rels/.rels", workbook_part, rels_part(workbook_part)]
    for kind, target in _relationships(package, workbook_part).values():
        if kind.endswith(_PARTS_READ):
            candidates.append(resolve_target(workbook_part, target))
    return [names[name.lower()] for name in candidates if name.lower() in names]


def _describe_tab(package: zipfile.ZipFile, tab: str, workbook: str) -> str | None:
    names = {member.filename.lower(): member.filename for member in package.infolist()}
    part = _workbook_part(package, names)
    if part is None:
        return None
    target = _sheet_target(package, part.name, tab)
    if target is None:
        return None
    resolved = resolve_target(part.name, target)
    sheet = names.get(resolved.lower()) or names.get(unquote(resolved).lower())
    if sheet is None:
        return None
    if _is_utf16(_read_head(package, sheet)):
        return utf16_message(sheet, workbook)

    unresolved = []
    if "." in target.split("/") or ".." in target.split("/"):
        unresolved.append("its '.' or '..' segments")
    if "%" in target:
        unresolved.append("its %-escapes")
    if not unresolved:
        return None
    advice = resave(workbook, libreoffice="%" not in target)
    return (
        f"Workbook {workbook!r} could not be read: its workbook part finds the "
        f"cells of tab {tab!r} at {target!r}. That path is valid, but "
        f"pipesheet's reader (python-calamine) does not resolve "
        f"{' or '.join(unresolved)} to the part {sheet!r}. {advice}, which "
        "writes plain paths, then run again."
    )


def _workbook_part(
    package: zipfile.ZipFile, names: Mapping[str, str]
) -> _WorkbookPart | None:
    """Find the workbook part as the packaging rules do: by the root relationship.

    The target must be a binary part or have a ``workbook`` root element, so a
    Word or PowerPoint file renamed to .xlsx is not taken for a workbook.
    Packages without such a relationship fall back to the names Excel uses.
    """
    relationships = names.get("_rels/.rels")
    if relationships is not None:
        for element in _parse(_read(package, relationships)):
            strict = _OFFICE_DOCUMENTS.get(element.get("Type", ""))
            if element.tag != _PACKAGE_RELATIONSHIP or strict is None:
                continue
            name = names.get(resolve_target("", element.get("Target", "")).lower())
            if name is None:
                continue
            head = _read_head(package, name)
            if name.lower().endswith(".bin") or _has_workbook_root(head):
                return _WorkbookPart(name, strict, head)
    for usual in ("xl/workbook.xml", "xl/workbook.bin"):
        if usual in names:
            return _WorkbookPart(names[usual], False, _read_head(package, usual))
    return None


def _has_workbook_root(head: bytes) -> bool:
    if _is_utf16(head):
        head = head.decode("utf-16", "replace").encode("utf-8")
    name = _ROOT_NAME.match(root_start_tag(head))
    return name is not None and name.group(2) == b"workbook"


def _check_workbook_head(head: bytes, part: str, workbook: str) -> None:
    if _is_utf16(head):
        raise UnsupportedWorkbookError(utf16_message(part, workbook))
    if _root_namespace(head) == _STRICT_MAIN:
        raise strict_open_xml_error(workbook)


def _root_namespace(head: bytes) -> str | None:
    """Return the namespace of the root element in a part's first bytes."""
    start_tag = root_start_tag(head)
    name = _ROOT_NAME.match(start_tag)
    if name is None:
        return None
    prefix = name.group(1)
    attribute = b"xmlns:" + prefix if prefix else b"xmlns"
    declaration = re.search(
        rb"\s" + re.escape(attribute) + rb"""\s*=\s*["']([^"']*)["']""", start_tag
    )
    return declaration.group(1).decode("utf-8", "replace") if declaration else None


def _sheet_kinds(package: zipfile.ZipFile, workbook_part: str) -> list[tuple[str, str]]:
    """Return each tab's name and the type of its relationship."""
    relationships = _relationships(package, workbook_part)
    return [
        (
            element.get("name", ""),
            relationships.get(_relationship_id(element), ("",))[0],
        )
        for element in _parse(_read(package, workbook_part)).iter(_SHEET)
    ]


def _relationship_id(sheet: ElementTree.Element) -> str:
    return sheet.get(_SHEET_RELATIONSHIP_ID, "")


def _sheet_target(package: zipfile.ZipFile, workbook_part: str, tab: str) -> str | None:
    """Return the target of ``tab``'s relationship as written, or None."""
    targets = _relationships(package, workbook_part)
    for element in _parse(_read(package, workbook_part)).iter(_SHEET):
        if element.get("name") == tab:
            return targets.get(_relationship_id(element), ("", None))[1]
    return None


def _relationships(package: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Return each relationship's type and target as written, by its id."""
    relationships = {}
    for element in _parse(_read(package, rels_part(part))):
        if element.get("TargetMode") == "External":
            continue
        relationships[element.get("Id", "")] = (
            element.get("Type", ""),
            element.get("Target", ""),
        )
    return relationships


def _read(package: zipfile.ZipFile, name: str) -> bytes:
    """Return a member's content, or b"" when it is missing or cannot be inflated."""
    try:
        return package.read(name)
    except (KeyError, *_UNREADABLE_MEMBER):
        return b""


def _read_head(package: zipfile.ZipFile, name: str) -> bytes:
    """Return a member's first bytes, or b"" when it cannot be inflated."""
    try:
        with package.open(name) as member:
            return member.read(_HEAD_BYTES)
    except _UNREADABLE_MEMBER:
        return b""


def _parse(xml: bytes) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return ElementTree.Element("unreadable")


def _is_utf16(head: bytes) -> bool:
    # Without a byte order mark, UTF-16 text starts with "<" and a zero byte.
    return head.startswith((*_UTF16_BOMS, b"<\x00", b"\x00<"))
