"""The key that names a workbook in the state database."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from config.errors import DefinitionError

# The command line imports this module before it validates a definition, and
# config.models brings in pydantic, so the models are imported when needed.
if TYPE_CHECKING:
    from config.models import Pipeline

# The id in a Google Sheets URL: https://docs.google.com/spreadsheets/d/<id>/edit,
# or .../spreadsheets/u/<n>/d/<id>/edit when the browser is signed in to more
# than one Google account (<n> is the account's position).
SPREADSHEET_URL_ID = re.compile(r"/spreadsheets/(?:u/\d+/)?d/([A-Za-z0-9_-]+)")


def workbook_key(pipeline: Pipeline, source_location: str | None = None) -> str:
    """Return the state key of the workbook a run reads.

    The key of an Excel file is its resolved absolute path, so ``./a.xlsx``
    and ``/srv/a.xlsx`` name the same workbook. The key of a Google
    spreadsheet is its id, whether given as the id or as a URL.

    The key leaves out the tab: runs on two tabs of one workbook share its
    lock, so one process writes the file at a time, while the state database
    keeps each tab's history apart by the tab its runs record.

    :param source_location: the ``--source`` given to the run; default the
        definition's ``source.path`` or ``source.spreadsheet``.
    :raises DefinitionError: neither names a workbook.
    """
    from config.models import SourceKind

    if pipeline.source.kind is SourceKind.GOOGLE_SHEETS:
        location = source_location or pipeline.source.spreadsheet
        return spreadsheet_id(_require_location(pipeline, location, "spreadsheet"))

    location = source_location or pipeline.source.path
    path = Path(_require_location(pipeline, location, "path"))
    return str(path.expanduser().resolve())


def spreadsheet_id(url_or_id: str) -> str:
    """Return the spreadsheet id of a Google Sheets URL, or the id itself."""
    match = SPREADSHEET_URL_ID.search(url_or_id)
    return match.group(1) if match else url_or_id.strip()


def _require_location(pipeline: Pipeline, location: str | None, key: str) -> str:
    if location and location.strip():
        return location
    raise DefinitionError(
        f"Definition {pipeline.name!r}: source.{key} is not set. Set it in the "
        "definition or pass --source."
    )
