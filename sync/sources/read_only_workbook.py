"""OpenDocument (.ods) and Excel 97-2003 (.xls) files, read with python-calamine.

Nothing is written to these files (:mod:`sync.sources.read_only`).
"""

from __future__ import annotations

from pathlib import Path

from python_calamine import CalamineSheet, CalamineWorkbook

from config.errors import SourceError
from rules.grid import SheetGrid
from sync.plan import WritePlan
from sync.sources.base import WriteReport
from sync.sources.excel import open_with_calamine, read_rows, resolve_tab_name
from sync.sources.excel_read_ahead import take_read_ahead
from sync.sources.read_only import read_only_error


class ReadOnlyWorkbook:
    """A local .ods or .xls file whose tabs pipesheet reads and checks.

    :meth:`apply` raises, so only dry runs and ``check`` use this source.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._calamine: CalamineWorkbook | None = None
        self._grids: dict[str, SheetGrid] = {}
        # A tab parsed ahead (sync.sources.excel_read_ahead) but not yet read.
        self._parsed: dict[str, CalamineSheet] = {}

    @property
    def name(self) -> str:
        """Return the file name."""
        return self._path.name

    @property
    def target_name(self) -> str:
        """Return the file name: nothing else is ever written."""
        return self._path.name

    @property
    def requests_made(self) -> int:
        """Return 0: a local file costs no API requests."""
        return 0

    def tab_names(self) -> list[str]:
        """Return the names of all tabs in workbook order."""
        return list(self._workbook().sheet_names)

    def read_tab(self, tab: str) -> SheetGrid:
        """Return the values of one tab, as :meth:`ExcelWorkbook.read_tab` does.

        :raises SheetLayoutError: if the workbook has no such tab.
        """
        workbook = self._workbook()
        name = resolve_tab_name(workbook.sheet_names, tab, self.name)
        grid = self._grids.get(name)
        if grid is None:
            rows = read_rows(workbook, name, self.name, self._parsed.pop(name, None))
            grid = self._grids[name] = SheetGrid(self.name, name, rows)
        return grid

    def apply(self, plan: WritePlan) -> WriteReport:
        """Raise: pipesheet does not write this format.

        :raises UnsupportedWorkbookError: always.
        """
        raise read_only_error(self._path)

    def _workbook(self) -> CalamineWorkbook:
        if self._calamine is not None:
            return self._calamine

        # The command's read ahead parses these formats too.
        ahead = take_read_ahead(self._path)
        if ahead is not None:
            self._calamine = ahead.workbook
            if ahead.tab is not None and ahead.sheet is not None:
                self._parsed[ahead.tab] = ahead.sheet
            return ahead.workbook

        try:
            data = self._path.read_bytes()
        except OSError as error:
            raise SourceError(
                f"Workbook {self.name!r} could not be read: {error}. Check that "
                "the file is readable by the user pipesheet runs as."
            ) from error
        self._calamine = open_with_calamine(data, self.name)
        return self._calamine
