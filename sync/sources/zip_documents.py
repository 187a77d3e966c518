"""Name the document formats that are zip packages but not Excel workbooks.

OpenDocument, Word, PowerPoint and Apple iWork files are zip packages too, so
one of them renamed to .xlsx passes the zip signature check. The error then
names the real format and how to convert the file.
"""

from __future__ import annotations

import zipfile
from collections.abc import Collection

# An OpenDocument package stores its media type in a member named ``mimetype``,
# and the media type of a template ends in ``-template``.
_OPENDOCUMENT_TYPES = {
    "application/vnd.oasis.opendocument.text": "an OpenDocument text document (.odt)",
    "application/vnd.oasis.opendocument.presentation": (
        "an OpenDocument presentation (.odp)"
    ),
}
_OPENDOCUMENT_SPREADSHEET = "application/vnd.oasis.opendocument.spreadsheet"

# The main part of the Office Open XML documents other than workbooks.
_OFFICE_PARTS = {
    "word/document.xml": "a Word document (.docx)",
    "ppt/presentation.xml": "a PowerPoint presentation (.pptx)",
}

# Numbers, Pages and Keynote save a zip file with the document in
# Index/Document.iwa, and files from iCloud nest an Index.zip instead. Apple
# publishes no specification, so this layout comes from third-party notes.
_IWORK_MEMBERS = ("Index/Document.iwa", "Index.zip")

# Bytes read of the mimetype member; the longest OpenDocument type is shorter.
_MAX_MIMETYPE_BYTES = 100

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def describe_zip_document(
    package: zipfile.ZipFile, names: Collection[str], suffix: str
) -> str:
    """Return what a zip package without a workbook part is, and how to convert it.

    The text completes "Workbook 'x.xlsx' is …", such as "an OpenDocument
    spreadsheet (.ods) with the extension .xlsx. Open it in LibreOffice Calc …".

    :param names: the names of the package's members.
    :param suffix: the file's extension, such as ``.xlsx``.
    """
    media_type = _read_media_type(package, names)
    if media_type.startswith(_OPENDOCUMENT_SPREADSHEET):
        return (
            f"an OpenDocument spreadsheet (.ods) with the extension {suffix}. Open "
            "it in LibreOffice Calc and use File > Save As > Excel 2007-365 (.xlsx), "
            "or rename it to .ods, which pipesheet checks but does not write"
        )
    if any(member in names for member in _IWORK_MEMBERS):
        return (
            f"an Apple Numbers (or other iWork) file with the extension {suffix}. "
            "In Numbers use File > Export To > Excel and choose the .xlsx format"
        )

    other = _other_document(media_type, names)
    if other is not None:
        return (
            f"{other}, not a workbook. Point --source or source.path at the "
            "pipeline's workbook"
        )
    inner = sorted(name for name in names if name.lower().endswith(WORKBOOK_SUFFIXES))
    if inner:
        return (
            f"a zip archive that contains {inner[0]!r}. Extract that workbook and "
            "point --source or source.path at it"
        )
    return (
        "a zip file but not an Excel workbook (it has no xl/workbook.xml part). "
        "Point --source or source.path at the pipeline's workbook, or save the "
        "sheet as Excel Workbook (.xlsx)"
    )


def _read_media_type(package: zipfile.ZipFile, names: Collection[str]) -> str:
    if "mimetype" not in names:
        return ""
    try:
        with package.open("mimetype") as member:
            data = member.read(_MAX_MIMETYPE_BYTES)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError):
        # zipfile raises RuntimeError for an encrypted member and
        # NotImplementedError for an unknown compression method.
        return ""
    return data.decode("ascii", errors="replace").strip()


def _other_document(media_type: str, names: Collection[str]) -> str | None:
    for opendocument_type, kind in _OPENDOCUMENT_TYPES.items():
        if media_type.startswith(opendocument_type):
            return kind
    for part, kind in _OFFICE_PARTS.items():
        if part in names:
            return kind
    return None
