"""The protocol every workbook backend implements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from rules.grid import SheetGrid
from sync.plan import GeneratedTab, WritePlan


@dataclass(frozen=True)
class WriteReport:
    """What a backend actually wrote.

    ``skipped`` lists deal IDs whose status was not written because the row moved
    away, vanished or was edited between read and write. A row that had no
    unique ID at the read is listed as ``row:<n>``, its row number at the read.
    ``status_header_written`` is true when the status column's header was
    written, as after outputs.status_header changed only in case or spacing.
    ``output_unchanged`` is true when ``output`` already contained exactly the
    bytes the write would have written, so nothing was written. ``backup`` is
    the copy of ``output`` as it was before the write, when the write kept one.
    ``ids_filled`` are the new IDs written into blank ID cells, and
    ``id_rows_skipped`` the rows (as read) whose new ID was not written
    because the row changed since the read.
    """

    status_cells_written: int
    tabs_written: list[str]
    bytes_written: int
    requests: int
    skipped: list[str]
    output: str
    status_header_written: bool = False
    output_unchanged: bool = False
    backup: str | None = None
    ids_filled: tuple[str, ...] = ()
    id_rows_skipped: tuple[int, ...] = ()


class WorkbookSource(Protocol):
    """A workbook pipesheet can read tabs from and apply a write plan to."""

    @property
    def name(self) -> str:
        """Return the workbook's name as users know it (file name or title)."""
        ...

    @property
    def target_name(self) -> str:
        """Return the name of the workbook that :meth:`apply` writes.

        It differs from :attr:`name` when the result goes to another file.
        """
        ...

    @property
    def requests_made(self) -> int:
        """Return the API requests made so far (0 for a local file)."""
        ...

    def tab_names(self) -> list[str]:
        """Return the names of all tabs in workbook order."""
        ...

    def read_tab(self, tab: str) -> SheetGrid:
        """Return the values of one tab; raise SheetLayoutError if it is missing."""
        ...

    def apply(self, plan: WritePlan) -> WriteReport:
        """Write the plan, skipping rows that moved or changed since the read."""
        ...


@runtime_checkable
class RecordedTabsSource(Protocol):
    """A source that can tell which tabs the workbook records as pipesheet's."""

    def is_recorded_tab(self, tab: str) -> bool:
        """Return True if the workbook records ``tab`` as a tab pipesheet generated."""
        ...

    def is_renamed_tab(self, tab: str) -> bool:
        """Return True if the workbook records ``tab`` under another name.

        pipesheet writes each generated tab under its own name, so such a tab
        was renamed by a person since.
        """
        ...


@runtime_checkable
class EditedTabsSource(Protocol):
    """A source that can tell generated tabs edited since pipesheet wrote them."""

    def edited_generated_tabs(self, grids: Sequence[SheetGrid]) -> list[str]:
        """Return the names of the tabs whose content differs from what was written.

        :param grids: generated tabs read whole from the workbook.
        """
        ...


@runtime_checkable
class RowCheckSource(Protocol):
    """A source whose write streams a tab's rows and rejects some layouts of them."""

    def check_tab_rows(self, tab: str) -> None:
        """Raise the error a write would raise on the rows of ``tab``, writing nothing.

        :raises UnsupportedWorkbookError: naming the workbook, the tab and the
            rows, and how to fix them.
        """
        ...


@runtime_checkable
class TimeZoneSource(Protocol):
    """A source whose workbook names its own time zone, as a Google spreadsheet does."""

    def time_zone(self) -> str:
        """Return the workbook's IANA time zone name, or "" when it names none."""
        ...


@runtime_checkable
class TabRecordSource(Protocol):
    """A source that records the generated tabs it writes, so reads can be skipped.

    Implementing this is optional: a run reads and compares every generated
    tab of a source without it.
    """

    def unchanged_generated_tabs(
        self, tabs: Sequence[GeneratedTab]
    ) -> dict[str, SheetGrid]:
        """Return the tabs the workbook contains exactly as pipesheet last wrote them.

        Keys are generated tab names. Each grid's rows are the generated tab's
        own grid, so comparing it with the tab finds them equal at once.
        """
        ...

    def written_generated_tabs(
        self, tabs: Sequence[GeneratedTab]
    ) -> dict[str, SheetGrid]:
        """Return the tabs the workbook contains as pipesheet last wrote them.

        Those of :meth:`unchanged_generated_tabs` come as that method gives
        them. A tab whose content differs from the one to write comes with
        only its first row, where the banner is, and ``head_only`` set.
        """
        ...


@runtime_checkable
class EarlyWriteSource(Protocol):
    """A source that can start writing the status cells before the plan is complete.

    Implementing this is optional. A run that calls :meth:`start_write` or
    :meth:`start_tab_render` ends with :meth:`cancel_write`, so no work
    started ahead outlives it.
    """

    def start_write(self, plan: WritePlan, tabs: Sequence[GeneratedTab]) -> None:
        """Start writing the status cells, header and highlights of ``plan``.

        ``plan`` has no generated tabs. ``tabs`` are the run's generated tabs
        as made, before they are compared with the workbook's, for work the
        write can do on them ahead. The work becomes part of the next
        :meth:`WorkbookSource.apply` whose plan has the same status writes,
        and is dropped otherwise.
        """
        ...

    def start_tab_render(self, tabs: Sequence[GeneratedTab]) -> None:
        """Start rendering the generated ``tabs`` that the write will likely write.

        The work becomes part of the next :meth:`WorkbookSource.apply` whose
        plan writes these very tabs, and is dropped otherwise.
        """
        ...

    def cancel_write(self) -> None:
        """Stop and drop the work :meth:`start_write` and :meth:`start_tab_render`
        started, if any."""
        ...


@runtime_checkable
class ShownIdSource(Protocol):
    """A source whose ID cells may hold numbers that a number format shows as text.

    Implementing this is optional: the deal IDs of a source without it are
    the values its reads give.
    """

    def read_ids_as_shown(self, grid: SheetGrid, column: int) -> None:
        """Put into ``grid`` the text each number of the ID ``column`` shows.

        ``grid`` is a tab this source read, and is changed in place, so a
        later read of the same bytes gives it unchanged. Later reads of the
        tab read that column the same way.
        """
        ...
