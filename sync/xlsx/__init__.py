"""A lossless .xlsx/.xlsm writer that patches only the parts pipesheet owns.

:func:`patch_workbook` rewrites the pipeline tab's status column and pipesheet's
conditional formats. It writes the generated tabs with their charts and updates
the parts that list tabs. Every other zip member is copied as stored.
"""

from sync.xlsx.compression import ZLIB_DEFLATER, Deflater, fastest_deflater
from sync.xlsx.edits import PatchStats, WorkbookEdits
from sync.xlsx.workbook_patch import patch_workbook

__all__ = [
    "ZLIB_DEFLATER",
    "Deflater",
    "PatchStats",
    "WorkbookEdits",
    "fastest_deflater",
    "patch_workbook",
]
