"""Messages for .xlsx packages that pipesheet's reader or writer cannot handle.

Each names the workbook and the cause, and explains how to save the workbook
so that it can be read. The advice keeps an .xlsm an .xlsm, so that saving again
keeps its macros.
"""

from __future__ import annotations

import posixpath
import zipfile

from config.errors import UnsupportedWorkbookError

# Names of the zip compression methods other than Stored and Deflate.
_METHOD_NAMES = {
    9: "Deflate64",
    12: "bzip2",
    14: "LZMA",
    93: "Zstandard",
    95: "XZ",
    98: "PPMd",
}

# The file type to save a workbook as, by its suffix.
_FORMATS = {
    ".xlsx": "Excel Workbook (.xlsx)",
    ".xlsm": "Excel Macro-Enabled Workbook (.xlsm)",
}


def strict_open_xml_error(workbook: str) -> UnsupportedWorkbookError:
    """Return the error for a workbook saved as Strict Open XML."""
    return UnsupportedWorkbookError(
        f"Workbook {workbook!r} is saved as Strict Open XML, which pipesheet does "
        "not write. Save it as an Excel Workbook (.xlsx) in Excel."
    )


def save_as_format(workbook: str) -> str:
    """Return the Excel file type to save ``workbook`` as, keeping its macros."""
    suffix = posixpath.splitext(workbook)[1].lower()
    return _FORMATS.get(suffix, _FORMATS[".xlsx"])


def resave(workbook: str, *, libreoffice: bool = True) -> str:
    """Return how to save the workbook again, as the start of a sentence.

    :param libreoffice: whether LibreOffice Calc opens the case. Calc 7.4
        opened UTF-16 parts and '..' targets, but not %-escaped targets or a
        workbook part at another name.
    """
    programs = "Excel or LibreOffice Calc" if libreoffice else "Excel"
    return f"Open the workbook in {programs} and save it as {save_as_format(workbook)}"


def compression_message(member: zipfile.ZipInfo, workbook: str) -> str:
    method = _METHOD_NAMES.get(member.compress_type, "an unknown method")
    return (
        f"Workbook {workbook!r} could not be read: its member {member.filename!r} "
        f"is compressed with {method} (zip method {member.compress_type}), and "
        "pipesheet reads only the Deflate method that Excel writes. The file was "
        "probably zipped again by an archive tool. Zip the extracted parts again "
        "with the Deflate method, or save the workbook again from the program "
        f"that made it, as {save_as_format(workbook)}."
    )


def workbook_place_message(part: str, workbook: str) -> str:
    return (
        f"Workbook {workbook!r} could not be read: its workbook part is {part!r}. "
        "The file format allows any name, but pipesheet's reader "
        "(python-calamine) finds a workbook part only at 'xl/workbook.xml' or "
        f"'workbook.xml'. {resave(workbook, libreoffice=False)}, which stores "
        "it there, then run again."
    )


def utf16_message(part: str, workbook: str) -> str:
    return (
        f"Workbook {workbook!r} could not be read: its part {part!r} is encoded "
        "as UTF-16. The file format allows that, but pipesheet's reader "
        f"(python-calamine) reads only UTF-8 parts. {resave(workbook)}, "
        "which stores every part as UTF-8, then run again."
    )


def macro_sheet_message(tab: str, kind: str, workbook: str) -> str:
    return (
        f"Workbook {workbook!r} could not be read: its tab {tab!r} is {kind}, a "
        "sheet type that pipesheet's reader (python-calamine) does not open, and "
        "then it reads no tab at all. Nothing was written: the workbook and its "
        "macros are unchanged. Keep the deals in a workbook without Excel 4.0 "
        "macro sheets, or delete that sheet in Excel if its macros are no "
        "longer used, then run again."
    )
