"""The exceptions pipesheet raises, one base for all of them.

    PipesheetError
    ├── DefinitionError (ValueError)      unusable pipeline definition
    ├── SheetLayoutError (LookupError)    tab, header or required column not found
    │   ├── AllowedListNotFoundError      the tab or column of an allowed list
    │   └── AmbiguousListColumnError      two columns of a list tab share its header
    └── SourceError                       the workbook cannot be read or written
        ├── WorkbookNotFoundError (LookupError)
        ├── UnsupportedWorkbookError (ValueError)
        ├── WorkbookBusyError             open in Excel, or changed during the run
        ├── WorkbookReadOnlyError         the file's permissions forbid writing it
        ├── FeatureLossError              saving would damage features of the file
        └── QuotaExceededError            Google's request quota stayed spent

Every message names the thing (workbook, tab, row, column), shows the value and
says how to fix it. The CLI turns these into exit code 1.
"""

from __future__ import annotations


class PipesheetError(Exception):
    """Base of every error pipesheet raises on purpose."""


class DefinitionError(PipesheetError, ValueError):
    """The pipeline definition is invalid."""


class SheetLayoutError(PipesheetError, LookupError):
    """The workbook lacks a tab, header or required column the definition needs."""


class AllowedListNotFoundError(SheetLayoutError):
    """The tab or column that an allowed-value list is read from does not exist."""


class AmbiguousListColumnError(SheetLayoutError):
    """Two columns of a list tab have the header an allowed-value list names."""


class SourceError(PipesheetError):
    """The workbook could not be read or written."""


class WorkbookNotFoundError(SourceError, LookupError):
    """The workbook file or spreadsheet does not exist."""


class UnsupportedWorkbookError(SourceError, ValueError):
    """The file is not a workbook pipesheet can read (wrong format, corrupt)."""


class WorkbookBusyError(SourceError):
    """The workbook is open elsewhere or changed during the run; retry later."""


class WorkbookReadOnlyError(SourceError):
    """The workbook file is read-only, so pipesheet leaves it as it is."""


class FeatureLossError(SourceError):
    """Saving in place would drop or damage features of the workbook."""


class QuotaExceededError(SourceError):
    """Google kept rejecting requests for quota until the run's deadline passed.

    Nothing was written after the rejection, so the next run can pick up.
    """
