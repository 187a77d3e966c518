"""Patching a workbook file: the owned parts rewritten, every other member copied.

This is the entry point of :mod:`sync.xlsx`. It opens the source package, edits
the pipeline tab's sheet part, writes the generated tabs, updates the package
parts that list tabs and parts, and writes the new archive to ``target``.
"""

from __future__ import annotations

import functools
import logging
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from config.errors import PipesheetError, SheetLayoutError, UnsupportedWorkbookError
from sync.forked import ForkedCall, can_fork
from sync.plan import GeneratedTab
from sync.xlsx.cell_refs import range_ref
from sync.xlsx.compression import Deflater, fastest_deflater
from sync.xlsx.content_types import ContentTypes
from sync.xlsx.early_tabs import EarlyTabRender
from sync.xlsx.edits import PatchStats, WorkbookEdits
from sync.xlsx.generated_tabs import write_generated_tabs
from sync.xlsx.highlights import HighlightBlock, rewrite_highlights
from sync.xlsx.package import Package
from sync.xlsx.relationships import CALC_CHAIN
from sync.xlsx.sheet_patch import SheetPatch, patch_status_column
from sync.xlsx.styles import StylesPart, read_fill_dxf_colours
from sync.xlsx.tab_digests import grid_digest
from sync.xlsx.tables import rename_table_headers
from sync.xlsx.workbook_parts import WorkbookParts
from sync.xlsx.zipcopy import NewMember, ZipMember

logger = logging.getLogger(__name__)

# The pipeline tab's sheet is patched in a child process from this size of its
# XML on. Smaller sheets take less time to patch than a fork costs.
CHILD_SHEET_BYTES = 1 << 20


class StepTimer:
    """Seconds spent in each named step, summed when a step repeats."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the block and add its duration to ``name``."""
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self.seconds[name] = self.seconds.get(name, 0.0) + elapsed


def patch_workbook(
    source: Path,
    target: Path | BinaryIO,
    edits: WorkbookEdits,
    *,
    deflater: Deflater | None = None,
    data: bytes | None = None,
    early: EarlySheetPatch | None = None,
    early_tabs: EarlyTabRender | None = None,
) -> PatchStats:
    """Write ``source`` with ``edits`` applied to ``target``; never modify ``source``.

    Only the parts pipesheet owns change: the pipeline tab's sheet part (status
    cells and pipesheet's conditional formats), the generated tabs and their
    charts, and the package parts that list tabs and parts. Every other zip
    member is copied as stored, byte for byte. ``target`` is written completely
    and flushed; syncing it to disk and renaming it is the caller's job.
    ``target`` may also be a file open for binary writing, which is left open.

    :param deflater: the compressor for rewritten members; by default ISA-L when
        python-isal is installed, else zlib.
    :param data: the bytes of ``source`` as the caller read and checked them;
        by default the file is read.
    :param early: the pipeline tab's patch that :func:`start_sheet_patch`
        started from the same bytes. Its result is used when it was started
        with the same status and highlight edits and compressor; otherwise it is
        cancelled and the tab is patched here.
    :param early_tabs: the generated tabs that
        :func:`~sync.xlsx.early_tabs.start_tab_render` renders from the same
        bytes. Its sheets are used when it rendered the very tabs of
        ``edits`` with the same compressor and cell formats; otherwise the
        tabs are rendered here.
    :raises SheetLayoutError: if the pipeline tab is missing or not a worksheet,
        or a generated tab would overwrite a tab pipesheet does not own.
    :raises DefinitionError: if a generated tab name is not a valid tab name.
    :raises UnsupportedWorkbookError: if ``source`` is not a workbook pipesheet
        can patch (not a zip, damaged, Strict Open XML, or over 4 GB).
    :raises FeatureLossError: if writing would break a feature of the workbook.
    :raises SourceError: if a generated tab contains a value that cannot go into a
        cell, such as a datetime with a time zone.
    :raises ValueError: if ``target`` is ``source``.
    """
    try:
        return _patch_workbook(source, target, edits, deflater, data, early, early_tabs)
    finally:
        if early_tabs is not None:
            early_tabs.cancel()


def _patch_workbook(
    source: Path,
    target: Path | BinaryIO,
    edits: WorkbookEdits,
    deflater: Deflater | None,
    data: bytes | None,
    early: EarlySheetPatch | None,
    early_tabs: EarlyTabRender | None,
) -> PatchStats:
    _reject_same_file(source, target)
    deflater = deflater or fastest_deflater()
    early_child = None
    if early is not None and early.fits(edits, deflater):
        early_child = early.child
    elif early is not None:
        early.child.cancel()
    timer = StepTimer()
    with timer.step("read_directory"):
        package = Package(source, eager_deflater=deflater, data=data)

    with package:
        try:
            cells_written = _apply_edits(
                package, edits, timer, early_child, early_tabs, deflater
            )
        except ElementTree.ParseError as error:
            raise UnsupportedWorkbookError(
                f"Workbook {source.name!r} has a damaged XML part ({error}). Open it "
                "in Excel and save it again, then run again."
            ) from error
        with timer.step("deflate"):
            members = package.compress(deflater)
        with timer.step("write"):
            bytes_written = _write_target(package, members, target)

    stats = PatchStats(
        members_copied_raw=sum(not isinstance(m, NewMember) for m in members),
        members_rewritten=[m.name for m in members if isinstance(m, NewMember)],
        bytes_written=bytes_written,
        seconds_by_step=timer.seconds,
        members_removed=package.removed,
        deflate_backend=deflater.name,
    )
    _log_patch(source, edits, stats, cells_written)
    return stats


def _apply_edits(
    package: Package,
    edits: WorkbookEdits,
    timer: StepTimer,
    early_child: ForkedCall[ChildOutcome] | None = None,
    early_tabs: EarlyTabRender | None = None,
    deflater: Deflater | None = None,
) -> int:
    """Stage every owned part's new content; return the status cells written.

    ``early_child`` is a child already patching the pipeline tab's sheet with
    ``edits``, from the same bytes as ``package``. ``early_tabs`` renders the
    generated tabs from those bytes, compressed with ``deflater``.
    """
    with timer.step("read_parts"):
        workbook = WorkbookParts(package)
        content_types = ContentTypes(package)
        styles = StylesPart(package, workbook, content_types)

    patch_sheet = _pipeline_patch(package, workbook, styles, edits)
    # The tabs' child hashes them as it renders them.
    unhashed = []
    if early_tabs is None:
        unhashed = [tab for tab in edits.generated_tabs if not tab.has_digest]
    with _SheetPatchRun(package, patch_sheet, timer, unhashed, early_child) as sheet:
        try:
            with timer.step("generated_tabs"):
                rendered = None
                if early_tabs is not None:
                    rendered = early_tabs.take(
                        edits.generated_tabs,
                        styles.sheet,
                        deflater or fastest_deflater(),
                    )
                tabs = write_generated_tabs(
                    package,
                    workbook,
                    content_types,
                    styles,
                    edits.generated_tabs,
                    edits.owned_tab_names,
                    edits.tab,
                    grid_digests=sheet.grid_digests if sheet.hashes_grids else None,
                    rendered=rendered,
                )
        except Exception:
            sheet.raise_own_error()
            raise
        patch = sheet.finish()

    with timer.step("package_parts"):
        if patch.formulas_replaced or tabs.formulas_replaced:
            _drop_calculation_chain(package, workbook, content_types)
        styles.save()
        content_types.save()
        workbook.request_full_calculation()
        workbook.save()
    with timer.step("check_parts"):
        _check_staged_xml(package)
    return patch.cells_written


def _check_staged_xml(package: Package) -> None:
    """Reject the write if a changed XML part is not well-formed.

    pipesheet edits package parts as text. This last check keeps an edit that
    went wrong in a layout no test met from reaching the file. Parts deflated
    while they were written (sheets and generated tabs) are not checked: they
    are tens of megabytes on a large workbook.

    :raises UnsupportedWorkbookError: naming the workbook and the part.
    """
    for name, content in package.staged_contents():
        if not name.lower().endswith((".xml", ".rels")):
            continue
        try:
            expat.ParserCreate().Parse(bytes(content), True)
        except expat.ExpatError as error:
            raise UnsupportedWorkbookError(
                f"Workbook {package.workbook!r}: pipesheet's edit of the part "
                f"{name!r} is not well-formed XML ({error}), so nothing was "
                "written. Open the workbook in Excel and save it again, then run "
                "again, and report this if it happens again."
            ) from error


# The outcome of patching the pipeline tab's sheet: the summary, and the new
# member when a byte changed.
SheetOutcome = tuple[SheetPatch, NewMember | None]
# The result a child process returns: the patch's outcome, and the digests of
# the generated tabs' grids by tab name.
ChildOutcome = tuple[SheetOutcome, dict[str, str]]

UNPATCHED = SheetPatch(cells_written=0, formulas_replaced=False, changed=False)


@dataclass(frozen=True)
class _PipelinePatch:
    """The pipeline tab's sheet part and the call that patches it."""

    part: str
    run: Callable[[], SheetOutcome]


def _pipeline_patch(
    package: Package,
    workbook: WorkbookParts,
    styles: StylesPart,
    edits: WorkbookEdits,
) -> _PipelinePatch | None:
    """Prepare the status cells and highlights; None when there are none.

    Whatever changes shared parts (styles, tables) happens here, before the
    patch itself, which may run in a child process that cannot change them.
    """
    if not _edits_sheet(edits):
        return None
    texts = dict(edits.status_cells)
    if edits.status_header is not None:
        texts[edits.header_row] = edits.status_header

    part = _pipeline_sheet_part(workbook, edits.tab, package.workbook)
    block = None
    if edits.highlights:
        block = _highlight_block(package, workbook, edits, styles)
    elif edits.remove_highlights:
        fill_dxfs = read_fill_dxf_colours(package, workbook)
        block = HighlightBlock(rules=(), dxf_ids=(), sqref=None, fill_dxfs=fill_dxfs)

    def rewrite_tail(tail: bytes, prefix: bytes) -> bytes:
        return tail if block is None else rewrite_highlights(tail, prefix, block)

    place = f"Workbook {package.workbook!r}, tab {edits.tab!r}"
    if edits.status_header is not None:
        rename_table_headers(
            package,
            part,
            edits.header_row,
            edits.status_column,
            edits.status_header,
            place,
        )

    def run() -> SheetOutcome:
        # A large tab's sheet is tens of megabytes of XML, so it is inflated,
        # patched and deflated again piece by piece, never held whole.
        # The pieces are closed on an error too: a paused generator keeps a
        # view of the mapped file, which the package could not close then.
        with (
            package.open_stream(part) as stream,
            closing(package.read_pieces(part)) as pieces,
        ):
            if edits.id_cells:
                patch = _patch_ids_then_statuses(
                    pieces, edits, texts, place, stream.write, rewrite_tail
                )
            else:
                patch = patch_status_column(
                    pieces,
                    edits.status_column,
                    texts,
                    place,
                    stream.write,
                    rewrite_tail,
                )
            return patch, stream.close() if patch.changed else None

    return _PipelinePatch(part, run)


# The pieces in which the ID pass's output is read back for the status pass.
SPOOLED_PIECE = 1 << 20


def _patch_ids_then_statuses(
    pieces: Iterable[bytes],
    edits: WorkbookEdits,
    texts: dict[int, str],
    place: str,
    write: Callable[[bytes | bytearray], object],
    rewrite_tail: Callable[[bytes, bytes], bytes],
) -> SheetPatch:
    """Write the new IDs into the ID column, then the status cells, in two passes.

    Each pass is the status column's streaming patch, given one column. The
    first pass goes to a temporary file, so the sheet XML is still never
    held whole in memory. An ID replaces a blank cell in place, keeping its
    style, or is inserted in column order, as a status cell is.
    """
    with tempfile.TemporaryFile() as spool:
        ids = patch_status_column(
            pieces, edits.id_column, edits.id_cells, place, spool.write
        )
        spool.seek(0)
        spooled = iter(functools.partial(spool.read, SPOOLED_PIECE), b"")
        statuses = patch_status_column(
            spooled, edits.status_column, texts, place, write, rewrite_tail
        )
    return SheetPatch(
        cells_written=statuses.cells_written,
        formulas_replaced=ids.formulas_replaced or statuses.formulas_replaced,
        changed=ids.changed or statuses.changed,
    )


class _SheetPatchRun:
    """The pipeline tab's patch, run in a child process when that pays.

    Without a child, the patch runs at once, so its error is raised before
    the generated tabs are written, as it always was. With a child, the
    generated tabs are written meanwhile; when they fail,
    :meth:`raise_own_error` still raises the patch's error first.

    The child also hashes the grids of ``unhashed``, the generated tabs
    without a digest, because it finishes the patch well before the parent
    finishes writing the tabs. On the first run of the 100k-row workbook that
    bench/generate.py makes, that took about 0.1 s of CPU out of the parent
    (thread time, 2-core VM). ``early_child`` is a child that
    :func:`start_sheet_patch` started before the write, which hashed the tabs
    it was given. The parent hashes any other tab of ``unhashed`` itself.
    """

    def __init__(
        self,
        package: Package,
        patch: _PipelinePatch | None,
        timer: StepTimer,
        unhashed: list[GeneratedTab],
        early_child: ForkedCall[ChildOutcome] | None = None,
    ) -> None:
        self._package = package
        self._patch = patch
        self._timer = timer
        self._unhashed = unhashed
        self._outcome: SheetOutcome | None = None
        self._digests: dict[str, str] | None = None
        self._child: ForkedCall[ChildOutcome] | None = None
        if patch is None:
            if early_child is not None:
                early_child.cancel()
            self._outcome = (UNPATCHED, None)
        elif early_child is not None:
            self._child = early_child
        elif can_fork() and _is_large(package, patch.part):
            run = patch.run
            self._child = ForkedCall(lambda: (run(), _grid_digests(unhashed)))
        else:
            with timer.step("patch_sheet"):
                self._outcome = patch.run()

    def __enter__(self) -> _SheetPatchRun:
        return self

    def __exit__(self, *exception: object) -> None:
        if self._child is not None:
            self._child.cancel()

    @property
    def hashes_grids(self) -> bool:
        """Whether a child process hashes the generated tabs' grids."""
        return self._child is not None

    def grid_digests(self) -> dict[str, str]:
        """Wait for the child and return the digests of the ``unhashed`` tabs.

        The wait is part of the caller's step, so it is not timed again.
        """
        self._wait()
        digests = self._digests or {}
        missing = [tab for tab in self._unhashed if tab.name not in digests]
        self._digests = {**digests, **_grid_digests(missing)}
        return self._digests

    def finish(self) -> SheetPatch:
        """Wait for the patch, stage its member, and return its summary."""
        with self._timer.step("patch_sheet"):
            outcome = self._wait()
        patch, member = outcome
        if member is not None:
            self._package.write_member(member)
        return patch

    def raise_own_error(self) -> None:
        """Raise the patch's error, if it has one, in the parent process."""
        if self._outcome is None:
            self._wait()

    def _wait(self) -> SheetOutcome:
        if self._outcome is None:
            assert self._patch is not None
            if self._child is not None:
                child_outcome = self._child.result()
                self._child = None
                if child_outcome is not None:
                    self._outcome, self._digests = child_outcome
            if self._outcome is None:
                self._outcome = self._patch.run()
        return self._outcome


@dataclass(frozen=True)
class EarlySheetPatch:
    """The pipeline tab's patch running in a child before the write begins.

    ``edits`` are the edits the child applies. Only their status cells,
    status header and highlights matter to it. ``deflater`` is the name of
    the compressor it uses.
    """

    edits: WorkbookEdits
    deflater: str
    child: ForkedCall[ChildOutcome]

    def fits(self, edits: WorkbookEdits, deflater: Deflater) -> bool:
        """Return True when the child's patch is the one ``edits`` ask for."""
        mine = self.edits
        return (
            deflater.name == self.deflater
            and edits.tab == mine.tab
            and edits.status_column == mine.status_column
            and edits.header_row == mine.header_row
            and edits.status_header == mine.status_header
            and (
                edits.status_cells is mine.status_cells
                or edits.status_cells == mine.status_cells
            )
            and edits.highlights == mine.highlights
            and edits.highlight_range == mine.highlight_range
            and edits.remove_highlights == mine.remove_highlights
        )

    def cancel(self) -> None:
        """Kill the child if it still runs, and reap it."""
        self.child.cancel()


def start_sheet_patch(
    source: Path,
    data: bytes,
    edits: WorkbookEdits,
    unhashed: Sequence[GeneratedTab] = (),
) -> EarlySheetPatch | None:
    """Start patching the pipeline tab's sheet in a child process, ahead of the write.

    A run calls this once its tabs are made, so the patch runs on another
    core while the run still reads and plans the generated tabs. The child
    then hashes the grids of ``unhashed``. Pass the result to
    :func:`patch_workbook` with the same ``data``, or cancel it. Returns
    None, and starts nothing, when the process may not fork, the edits change
    nothing in the sheet, or the sheet is smaller than ``CHILD_SHEET_BYTES``.
    Errors are left to the write, which patches the sheet again and raises
    them.

    :param data: the bytes of ``source`` as the caller read and checked them.
    """
    if not can_fork() or not _edits_sheet(edits):
        return None
    try:
        with Package(source, data=data) as package:
            part = _pipeline_sheet_part(WorkbookParts(package), edits.tab, source.name)
            large = _is_large(package, part)
    except (PipesheetError, OSError, ElementTree.ParseError) as error:
        logger.debug("Pipeline tab not patched ahead: %s", error)
        return None
    if not large:
        return None

    deflater = fastest_deflater()

    def patch() -> ChildOutcome:
        with Package(source, eager_deflater=deflater, data=data) as package:
            workbook = WorkbookParts(package)
            content_types = ContentTypes(package)
            styles = StylesPart(package, workbook, content_types)
            sheet = _pipeline_patch(package, workbook, styles, edits)
            assert sheet is not None
            outcome = sheet.run()
        return outcome, _grid_digests(unhashed)

    return EarlySheetPatch(edits, deflater.name, ForkedCall(patch))


def _edits_sheet(edits: WorkbookEdits) -> bool:
    """Return True when ``edits`` change the pipeline tab's sheet part."""
    return bool(
        edits.status_cells
        or edits.id_cells
        or edits.status_header is not None
        or edits.highlights
        or edits.remove_highlights
    )


def _grid_digests(tabs: Sequence[GeneratedTab]) -> dict[str, str]:
    return {tab.name: grid_digest(tab.grid) for tab in tabs}


def _is_large(package: Package, part: str) -> bool:
    """Return True when patching ``part`` takes long enough to pay for a fork."""
    member = package.stored_member(part)
    return member is not None and member.size >= CHILD_SHEET_BYTES


def _pipeline_sheet_part(workbook: WorkbookParts, tab: str, name: str) -> str:
    sheet = workbook.find_sheet(tab)
    if sheet is None:
        tabs = ", ".join(repr(s.name) for s in workbook.sheets)
        raise SheetLayoutError(
            f"Workbook {name!r} has no tab {tab!r}; its tabs are {tabs}. Check the "
            "tab name in the pipeline definition's source."
        )
    if not sheet.is_worksheet or sheet.part is None:
        raise SheetLayoutError(
            f"Workbook {name!r}: tab {tab!r} is not a worksheet (it is a chart sheet "
            "or macro sheet). Point the pipeline definition at the deals tab."
        )
    return sheet.part


def _highlight_block(
    package: Package, workbook: WorkbookParts, edits: WorkbookEdits, styles: StylesPart
) -> HighlightBlock:
    """Return the highlight rules with their dxf ids, or only rules to remove.

    Only a block with rules to write reads the styles through ``styles``, which
    then saves the styles part.
    """
    if edits.highlight_range is not None:
        first_row, last_row, first_column, last_column = edits.highlight_range
        if first_row <= last_row:
            sqref = range_ref(first_row, first_column, last_row, last_column)
            dxf_ids = [styles.sheet.dxf_id(rule.fill_rgb) for rule in edits.highlights]
            fill_dxfs = styles.sheet.fill_dxf_colours()
            return HighlightBlock(edits.highlights, dxf_ids, sqref, fill_dxfs)
    fill_dxfs = read_fill_dxf_colours(package, workbook)
    return HighlightBlock(edits.highlights, [], None, fill_dxfs)


def _drop_calculation_chain(
    package: Package, workbook: WorkbookParts, content_types: ContentTypes
) -> None:
    """Remove the calculation chain, which Excel rebuilds when it is missing.

    Excel reports a damaged file when the chain lists a cell without a
    formula, and replacing a formula cell leaves exactly that behind.
    """
    for relationship in workbook.related(CALC_CHAIN):
        package.remove(relationship.target)
        content_types.remove_override(relationship.target)
        workbook.remove_relationship(relationship)
        logger.debug("Removed %s: a replaced cell held a formula", relationship.target)


def _write_target(
    package: Package, members: list[ZipMember | NewMember], target: Path | BinaryIO
) -> int:
    if not isinstance(target, Path):
        return package.save(target, members)
    try:
        with target.open("wb") as out:
            written = package.save(out, members)
            out.flush()
        return written
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _reject_same_file(source: Path, target: Path | BinaryIO) -> None:
    if (
        isinstance(target, Path)
        and target.exists()
        and source.exists()
        and source.samefile(target)
    ):
        raise ValueError(f"target {str(target)!r} is the source workbook itself")


def _log_patch(
    source: Path, edits: WorkbookEdits, stats: PatchStats, cells_written: int
) -> None:
    # The count includes the header cell when the run renames the header, so
    # it can be one more than the "Wrote" line's count of deal rows.
    header = " (with the status header)" if edits.status_header is not None else ""
    logger.info(
        "Patched workbook %s tab %s: %d status cells%s, %d generated tabs, "
        "%d members rewritten, %d copied, %d bytes in %.2f s (%s)",
        source.name,
        edits.tab,
        cells_written,
        header,
        len(edits.generated_tabs),
        len(stats.members_rewritten),
        stats.members_copied_raw,
        stats.bytes_written,
        sum(stats.seconds_by_step.values()),
        stats.deflate_backend,
    )
