"""The first bytes that tell a file's format, whatever its name ends in.

This module sits in ``config`` because the definition loader and the ``sync``
sources both need it, and ``config`` imports nothing from ``sync``.
"""

# The first bytes of every OLE compound file (Microsoft's Compound File Binary
# format): an Excel 97-2003 workbook (.xls), and any workbook that Excel
# encrypted with a password, whatever its format.
OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
