"""The first bytes that tell a file's format, whatever its name ends in.

This module sits in ``config`` because the definition loader and the ``sync``
sources both need it, and ``config`` imports nothing from ``sync``.
"""

# The first bytes of every OLE compound file (Microsoft's Compound File Binary
# format): an Excel 97-2003 workbook (.xls), and any workbook that Excel
# encrypted with a password, whatever its format.
OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")

# Markers near the start of text that a program saved under a workbook's
# name: web applications export HTML tables as .xls, and Excel 2003 saved
# "XML Spreadsheet" files that are often named .xls too.
_HTML_STARTS = (b"<!doctype html", b"<html", b"<table", b"<meta")
_XML_SPREADSHEET_NAMESPACE = b"urn:schemas-microsoft-com:office:spreadsheet"


def text_document_kind(head: bytes) -> str | None:
    """Return the kind of text document a workbook file contains, if it is known.

    :param head: the file's first bytes, a few kilobytes.
    :returns: "an HTML table" or "an Excel 2003 XML spreadsheet", or None.
    """
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if text.startswith(b"<?xml"):
        if _XML_SPREADSHEET_NAMESPACE in text:
            return "an Excel 2003 XML spreadsheet"
        text = text[text.find(b"?>") + 2 :].lstrip()
    if text.startswith(_HTML_STARTS) or b"<html" in text[:1024]:
        return "an HTML table"
    return None
