"""OpenDocument (.ods) and Excel 97-2003 (.xls) files, read with python-calamine.

Nothing is written to these files (:mod:`sync.sources.read_only`).
"""

from __future__ import annotations

from pathlib import Path

from python_calamine import CalamineSheet, CalamineWorkbook

from rules.grid import SheetGrid
from sync.sources.excel import open_with_calamine, read_rows, resolve_tab_name
from sync.sources.excel_read_ahead import take_read_ahead
from sync.sources.read_only import ReadOnlyFile
from sync.sources.sheet_halves import SheetHalves


class ReadOnlyWorkbook(ReadOnlyFile):
    """A local .ods or .xls file whose tabs pipesheet reads and checks."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._calamine: CalamineWorkbook | None = None
        self._grids: dict[str, SheetGrid] = {}
        # A tab parsed ahead (sync.sources.excel_read_ahead) but not yet read.
        self._parsed: dict[str, CalamineSheet | SheetHalves] = {}

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

        self._calamine = open_with_calamine(self._read_bytes(), self.name)
        return self._calamine
