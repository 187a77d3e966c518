"""One sync run: read, check, compute, plan, write."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import chain
from typing import Protocol

from config.errors import (
    AllowedListNotFoundError,
    AmbiguousListColumnError,
    SheetLayoutError,
    WorkbookBusyError,
)
from config.models import ID_FIELD, Outcome, Pipeline
from rules.allowed import allowed_inline, list_fix, read_allowed_column
from rules.checks import check_deals
from rules.comma_conflicts import describe_comma_conflicts
from rules.date_order_conflicts import (
    date_order_mismatch_fields,
    describe_date_order_conflicts,
)
from rules.deals import ColumnMap, Deal
from rules.departed_deals import (
    departed_closed_deals,
    describe_departed_closed_deals,
)
from rules.far_rows import describe_far_rows
from rules.findings import Finding, sort_findings
from rules.followups import Followup, list_followups
from rules.formula_results import (
    describe_unsaved_formula_results,
    note_empty_formula_results,
)
from rules.grid import SheetGrid
from rules.headers import match_columns
from rules.id_fill import (
    FilledId,
    grid_with_ids,
    history_deal_ids,
    plan_id_fills,
    with_filled_ids,
)
from rules.messages import counted
from rules.metrics import PipelineMetrics, compute_metrics, win_rate_period_start
from rules.rows import read_deal_rows
from rules.spellings import spell_grouped_values
from rules.stage_history import (
    HistoryOutcome,
    StageHistory,
    apply_history,
    lost_at_stages,
)
from rules.stage_log import idle_from_log_starts
from rules.unfound_columns import (
    describe_unfound_default_columns,
    describe_unfound_needed_columns,
)
from sync.cell_text import fit_tab
from sync.collector import paused_cycle_collection
from sync.earlier_tabs import earlier_generated_tabs
from sync.edited_tabs import describe_edited_tabs, find_edited_tabs
from sync.forked_checks import ForkedChecks
from sync.plan import GeneratedTab, WritePlan
from sync.planner import (
    banner_source_tab,
    earlier_status_columns,
    hidden_status_column,
    is_generated_tab,
    plan_statuses,
    plan_writes,
    status_column_problem,
)
from sync.render import render_tabs
from sync.sheet_time_zone import describe_time_zone_mismatch
from sync.sources.base import (
    EarlyWriteSource,
    ShownIdSource,
    TabRecordSource,
    WorkbookSource,
    WriteReport,
)
from sync.sources.csv_table import CsvTable
from sync.sources.read_only import ReadOnlyFile
from sync.status_blocks import covering_formula_problem, merged_status_cells
from sync.status_drawings import covered_status_column
from sync.status_formulas import with_status_formulas
from sync.tab_rows import fit_tab_rows

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RunResult:
    """Everything one run found, computed and wrote."""

    workbook: str
    tab: str
    as_of: dt.date
    columns: ColumnMap
    deals: list[Deal]
    findings: list[Finding]
    followups: list[Followup]
    metrics: PipelineMetrics
    plan: WritePlan
    report: WriteReport | None
    dry_run: bool
    seconds: float
    history: HistoryOutcome | None = None
    requests: int = 0
    # Problems that stop a real run before it writes; a dry run lists them.
    blockers: tuple[str, ...] = ()
    # False for a source without tabs, such as a CSV file.
    has_tabs: bool = True


class UnwrittenRunError(WorkbookBusyError):
    """The run read and checked the workbook, but it was busy, so nothing was written.

    ``result`` is the run's result without a write report. The day's digests
    can still go out from it, because they need only the read.
    """

    def __init__(self, busy: WorkbookBusyError, result: RunResult) -> None:
        super().__init__(str(busy))
        self.result = result


class HistoryTabs(Protocol):
    """A builder of tabs from a run's deals and the stage history applied to them."""

    def __call__(
        self,
        grid: SheetGrid,
        columns: ColumnMap,
        deals: Sequence[Deal],
        logged: HistoryOutcome,
    ) -> list[GeneratedTab]:
        """Return the tabs, given the pipeline tab's grid, columns and deals."""
        ...


@paused_cycle_collection()
def run_sync(
    pipeline: Pipeline,
    source: WorkbookSource,
    as_of: dt.date,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    history: StageHistory | None = None,
    history_tabs: HistoryTabs | None = None,
) -> RunResult:
    """Run one sync of ``source`` against ``pipeline`` for the day ``as_of``.

    With ``history`` (from the state database) the run also finds stage
    transitions, checks them and writes the Stage log tab. ``history_tabs``
    then builds more tabs, such as the monthly reviews, from the run's deals
    and the history applied to them; they are planned after the generated
    tabs, like them only where their content differs from the workbook's.

    :raises UnwrittenRunError: the workbook was busy when the run wrote.
    :raises PipesheetError: the definition, the workbook or its layout is unusable.
    """
    try:
        return _run_sync(
            pipeline,
            source,
            as_of,
            dry_run=dry_run,
            progress=progress,
            history=history,
            history_tabs=history_tabs,
        )
    finally:
        # A run that stops between the start of the status write and the
        # write itself leaves no work running.
        if isinstance(source, EarlyWriteSource):
            source.cancel_write()


def _run_sync(
    pipeline: Pipeline,
    source: WorkbookSource,
    as_of: dt.date,
    *,
    dry_run: bool,
    progress: Progress | None,
    history: StageHistory | None,
    history_tabs: HistoryTabs | None,
) -> RunResult:
    started = time.perf_counter()
    notify = progress or (lambda _message: None)

    if isinstance(source, CsvTable):
        notify(f"Reading {source.name}")
    else:
        notify(f"Reading tab {pipeline.source.tab!r} of {source.name}")
    grid = source.read_tab(pipeline.source.tab)
    columns = match_columns(grid, pipeline)
    if isinstance(source, ShownIdSource) and ID_FIELD in columns.fields:
        source.read_ids_as_shown(grid, columns.fields[ID_FIELD])
    for problem in [
        *describe_unfound_needed_columns(grid, columns, pipeline),
        *describe_unfound_default_columns(grid, columns, pipeline),
    ]:
        logger.warning("%s", problem)
    zone_problem = describe_time_zone_mismatch(source, pipeline, as_of)
    if zone_problem is not None:
        logger.warning("%s", zone_problem)
    deal_rows = read_deal_rows(grid, columns, pipeline)
    # The sheet as read, which the write compares with the sheet then. With
    # new IDs, ``grid`` becomes the sheet as it will be after the write.
    read_grid = grid
    id_fills: list[FilledId] = []
    # A file pipesheet only reads cannot get the IDs, so its rows keep their
    # missing-id errors.
    if not isinstance(source, ReadOnlyFile):
        id_fills = plan_id_fills_of(grid, columns, deal_rows.deals, pipeline, history)
    if id_fills:
        grid = grid_with_ids(grid, columns.fields[ID_FIELD], id_fills)
        deal_rows = with_filled_ids(deal_rows, columns, grid, id_fills)
    deals, findings = deal_rows.deals, deal_rows.findings
    far_rows = describe_far_rows(
        grid,
        columns.header_row + len(deals),
        columns.status_column,
        columns.fields.get(ID_FIELD),
    )
    if far_rows is not None:
        logger.warning("%s", far_rows)
    if grid.unsaved_formula_results:
        # Only such a sheet needs the set of deal rows, 100,000 at 100k rows.
        unsaved = describe_unsaved_formula_results(
            grid, columns, {deal.row for deal in deals}
        )
        if unsaved is not None:
            logger.warning("%s", unsaved)
    mismatched = date_order_mismatch_fields(findings)
    if mismatched:
        for conflict in describe_date_order_conflicts(
            grid, columns, pipeline, mismatched
        ):
            logger.warning("%s", conflict)
    for conflict in describe_comma_conflicts(grid, columns, pipeline):
        logger.warning("%s", conflict)
    status_problem = status_column_problem(grid, columns, pipeline, deals)
    findings += earlier_status_columns(grid, columns, pipeline)
    findings += earlier_generated_tabs(source, pipeline)

    notify(f"Checking {counted(len(deals), 'deal')}")
    allowed = read_allowed_lists(source, pipeline, columns)
    checks = partial(
        check_deals,
        deals,
        columns,
        pipeline,
        allowed,
        as_of,
        text_date_fields=deal_rows.text_date_fields,
        has_tabs=grid.has_tabs,
    )
    # On a large sheet a child runs the checks while this process goes on up
    # to the metrics, none of which needs the findings.
    with ForkedChecks(checks, len(deals)) as forked_checks:
        respelled = spell_grouped_values(deals, pipeline, allowed)
        logged = None
        extra_tabs: list[GeneratedTab] = []
        if history is not None:
            logged = apply_history(history, deals, columns, pipeline, as_of)
            departed = describe_departed_closed_deals(
                grid.describe_location(), departed_closed_deals(logged, pipeline)
            )
            if departed is not None:
                logger.warning("%s", departed)
            if history_tabs is not None:
                extra_tabs = history_tabs(grid, columns, deals, logged)
        followups = list_followups(deals, pipeline, as_of)
        lost_at = None
        if history is not None and logged is not None:
            lost_stages = {
                stage.name for stage in pipeline.stages if stage.outcome is Outcome.LOST
            }
            lost_at = lost_at_stages(logged.transitions, lost_stages)
        period_start = win_rate_period_start(pipeline, as_of, columns)
        metrics = compute_metrics(
            deals, pipeline, as_of, period_start=period_start, lost_at=lost_at
        )
        findings = findings + forked_checks.findings(respelled)

    findings = note_empty_formula_results(findings, grid, columns)
    if logged is not None:
        findings = idle_from_log_starts(
            findings, deals, logged.log_rows, logged.stale_entered, as_of
        )
        findings = findings + logged.findings
    findings = sort_findings(findings)

    tabs = render_tabs(
        pipeline, grid, deals, findings, followups, metrics, as_of, logged
    )
    tabs.extend(extra_tabs)
    tabs = [fit_tab(tab) for tab in tabs]
    tabs = _fit_tab_rows(tabs, grid)
    existing = read_generated_tabs(source, tabs)
    if status_problem is None and not dry_run and isinstance(source, EarlyWriteSource):
        # The source can render the tabs to write while the run plans the
        # status cells. Tabs the source vouches are unchanged are left out,
        # because the plan does not write them.
        source.start_tab_render(
            [tab for tab in tabs if not _vouched_unchanged(tab, existing)]
        )
    statuses = status_problem is None
    plan_cells_of = partial(
        plan_statuses,
        columns=columns,
        deals=deals,
        findings=findings,
        pipeline=pipeline,
        id_fills=id_fills,
    )
    status_plan = plan_cells_of(read_grid, statuses=statuses)
    if statuses:
        found = _with_status_formulas(source, read_grid, columns, status_plan)
        if found is not read_grid:
            formulas = found.empty_formula_results
            grid = dataclasses.replace(grid, empty_formula_results=formulas)
            read_grid = found
            status_plan = plan_cells_of(read_grid, statuses=True)
    plan_status_cells = partial(plan_cells_of, read_grid)
    formula_problem = None
    if statuses:
        formula_problem = covering_formula_problem(
            read_grid,
            status_plan.status_column,
            _status_rows(status_plan),
            pipeline.source.rules_tab,
        )
    if formula_problem is not None:
        # As with status_problem, a dry run plans no status cells.
        statuses = False
        status_plan = plan_status_cells(statuses=False)
    if statuses and not dry_run and isinstance(source, EarlyWriteSource):
        # The source can write the status cells while the run reads and plans
        # the generated tabs. It starts only now because making the tabs reads
        # every deal, and the run copies each memory page a forked child still
        # shares when it touches it. Starting earlier cost the run about 0.06 s
        # of CPU on the 100k-row benchmark (2-core VM).
        source.start_write(status_plan, tabs)
    pipeline_tab = PipelineTab(pipeline.source.tab, source.tab_names())
    blockers = generated_tab_conflicts(source.name, existing, pipeline_tab)
    for blocker in (formula_problem, status_problem):
        if blocker is not None:
            blockers.insert(0, blocker)
    if blockers and not dry_run:
        raise SheetLayoutError(f"{blockers[0]} Nothing was written.")
    if blockers:
        # A dry run still shows the findings, and plans no write to a user's tab.
        users = {
            name
            for name, grid in existing.items()
            if not is_generated_tab(grid) or pipeline_tab.other_source(grid) is not None
        }
        tabs = [tab for tab in tabs if tab.name not in users]
        existing = {name: existing[name] for name in existing if name not in users}
    plan = plan_writes(
        read_grid,
        columns,
        deals,
        findings,
        tabs,
        existing,
        pipeline,
        statuses=statuses,
        status_plan=status_plan,
    )

    hidden = hidden_status_column(grid, plan.status_column)
    if status_problem is None and hidden is not None:
        logger.warning("%s", hidden)
    covered = covered_status_column(
        grid,
        plan.status_column,
        (plan.header_row, plan.last_row),
        pipeline.outputs.status_header,
    )
    if status_problem is None and covered is not None:
        logger.warning("%s", covered)
    merged = merged_status_cells(
        grid,
        plan.status_column,
        (plan.header_row, plan.last_row),
        pipeline.outputs.status_header,
        status_rows=chain([plan.header_row], (deal.row for deal in deals)),
        rules_tab=pipeline.source.rules_tab,
    )
    if status_problem is None and merged is not None:
        logger.warning("%s", merged)
    # A run with --output leaves the source workbook and its edits as they are.
    edited = []
    if source.target_name == source.name:
        edited = find_edited_tabs(source, plan.tabs, existing)

    result = RunResult(
        workbook=source.name,
        tab=grid.tab,
        as_of=as_of,
        columns=columns,
        deals=deals,
        findings=findings,
        followups=followups,
        metrics=metrics,
        plan=plan,
        report=None,
        dry_run=dry_run,
        seconds=0.0,
        history=logged,
        requests=source.requests_made,
        blockers=tuple(blockers),
        has_tabs=grid.has_tabs,
    )
    if not dry_run and not plan.is_empty:
        cells = counted(len(plan.status_cells), "status cell")
        tab_count = counted(len(plan.tabs), "tab")
        if plan.id_cells:
            cells += f", {counted(len(plan.id_cells), 'new ID')}"
        notify(_write_progress(source, f"{cells} and {tab_count}"))
        try:
            written = source.apply(plan)
        except WorkbookBusyError as error:
            raise UnwrittenRunError(error, result) from error
        result = dataclasses.replace(
            result, report=written, requests=source.requests_made
        )
        if edited and written.tabs_written:
            warning = describe_edited_tabs(
                source.name, edited, written=True, backup=written.backup
            )
            logger.warning("%s", warning)
    elif edited:
        warning = describe_edited_tabs(source.name, edited, written=False, backup=None)
        logger.warning("%s", warning)

    seconds = time.perf_counter() - started
    report = result.report
    logger.info(
        "run workbook=%s tab=%s as_of=%s deals=%d findings=%d status_writes=%d "
        "tabs_written=%d requests=%d dry_run=%s seconds=%.2f",
        source.name,
        grid.tab,
        as_of,
        len(deals),
        len(findings),
        report.status_cells_written if report else 0,
        len(report.tabs_written) if report else 0,
        source.requests_made,
        dry_run,
        seconds,
    )
    return dataclasses.replace(result, seconds=seconds)


def _with_status_formulas(
    source: WorkbookSource, read_grid: SheetGrid, columns: ColumnMap, plan: WritePlan
) -> SheetGrid:
    """Return the grid with the formula cells that read empty where statuses go.

    Only a source whose values leave such cells out reads them here, and the
    caller plans the statuses again: a new status column goes right of them,
    and :func:`covering_formula_problem` names those in an existing one.
    """
    return with_status_formulas(
        source,
        read_grid,
        plan.status_column,
        _status_rows(plan),
        new_column=columns.status_column is None,
    )


def _status_rows(plan: WritePlan) -> Iterator[int]:
    """Yield the rows of the status cells ``plan`` writes, its header's too.

    A generator, so that a sheet whose formulas stay out of the status
    column never lists the rows.
    """
    if plan.write_status_header:
        yield plan.header_row
    for write in plan.status_cells:
        yield write.row


def plan_id_fills_of(
    grid: SheetGrid,
    columns: ColumnMap,
    deals: Sequence[Deal],
    pipeline: Pipeline,
    history: StageHistory | None,
) -> list[FilledId]:
    """Return the new IDs for blank ID cells, when the definition fills them.

    Without ``columns.id.fill`` this returns none and costs nothing. Without
    ``history`` (``--no-state``) only the sheet's IDs are known, so the ID of
    a deal deleted from the sheet may be given again.
    """
    fill = pipeline.columns[ID_FIELD].fill
    if fill is None or ID_FIELD not in columns.fields:
        return []
    fills = plan_id_fills(grid, columns, deals, fill, history_deal_ids(history))
    if fills:
        logger.debug(
            "%d deal rows of tab %s have a blank ID and get a new one",
            len(fills),
            grid.tab,
        )
    return fills


def read_allowed_lists(
    source: WorkbookSource, pipeline: Pipeline, columns: ColumnMap
) -> dict[str, list[str]]:
    """Return the allowed-value lists the run checks, reading tabs as needed.

    A list for a field without a column in the pipeline tab is not read,
    because no value of that field is checked. A list whose tab or column is
    missing, whose header two columns share, or that a CSV file cannot hold,
    is left out of the checks with a warning, and the run still checks
    everything else and writes the statuses.
    """
    lists: dict[str, list[str]] = {}
    grids: dict[str, SheetGrid] = {}
    for field, spec in pipeline.allowed.items():
        if field not in columns.fields:
            logger.debug(
                "allowed.%s is not read because its field has no column", field
            )
            continue
        inline = allowed_inline(spec)
        if inline is not None:
            lists[field] = inline
            continue
        assert spec.from_tab is not None  # the model requires one of the two
        tab = spec.from_tab.tab
        if isinstance(source, CsvTable) and not source.has_tab(tab):
            logger.warning(
                "%s is a CSV file without tab %r, so allowed.%s is not checked. "
                "List the values in the definition to check them.",
                source.name,
                tab,
                field,
            )
            continue
        try:
            if tab not in grids:
                check_list_tab(source, field, tab, pipeline.source.rules_tab)
                grids[tab] = source.read_tab(tab)
            lists[field] = read_allowed_column(
                grids[tab], spec.from_tab.column, field, pipeline.source.rules_tab
            )
        except (AllowedListNotFoundError, AmbiguousListColumnError) as error:
            logger.warning("%s", error)
    return lists


def check_list_tab(
    source: WorkbookSource, field: str, tab: str, rules_tab: str | None = None
) -> None:
    """Check that the tab an allowed-value list is read from exists.

    ``rules_tab`` is the Rules tab laid over the definition, if any, whose
    settings the error names as the fix.

    :raises AllowedListNotFoundError: naming the list's setting and the tabs.
    """
    names = source.tab_names()
    if tab.casefold() in {name.casefold() for name in names}:
        return
    listed = ", ".join(repr(name) for name in names)
    raise AllowedListNotFoundError(
        f"Workbook {source.name!r} has no tab {tab!r}, which allowed.{field}."
        f"from_tab names as the list of allowed values, so runs do not check the "
        f"values of {field!r}. Existing tabs: {listed}. "
        f"{list_fix('Add the tab', field, 'tab', rules_tab)}"
    )


def _vouched_unchanged(tab: GeneratedTab, existing: dict[str, SheetGrid]) -> bool:
    """Return True when the source returned the tab's own grid as the tab's content.

    A source does that only for a tab it checked still shows what was written.
    """
    current = existing.get(tab.name)
    return current is not None and current.rows is tab.grid


def read_generated_tabs(
    source: WorkbookSource, tabs: Sequence[GeneratedTab]
) -> dict[str, SheetGrid]:
    """Return the current content of those generated tabs that exist, by name.

    A tab that a :class:`TabRecordSource` vouches for is not read: its content
    is the generated grid itself, or differs from it, and then only its first
    row is read. Every other tab is read.
    """
    unchanged: dict[str, SheetGrid] = {}
    if isinstance(source, TabRecordSource):
        unchanged = source.written_generated_tabs(tabs)
    names = [tab.name for tab in tabs if tab.name not in unchanged]
    read = read_existing_tabs(source, names)

    existing = {}
    for tab in tabs:
        grid = unchanged.get(tab.name) or read.get(tab.name)
        if grid is not None:
            existing[tab.name] = grid
    return existing


def read_existing_tabs(
    source: WorkbookSource, names: list[str]
) -> dict[str, SheetGrid]:
    """Return the current content of those generated tabs that exist.

    Tab names are matched ignoring case, as Excel does, and the result is keyed
    by the generated tab's name.
    """
    present = {name.casefold() for name in source.tab_names()}
    return {name: source.read_tab(name) for name in names if name.casefold() in present}


def check_generated_tab_names(
    workbook: str,
    existing: dict[str, SheetGrid],
    pipeline_tab: PipelineTab | None = None,
) -> None:
    """Check that every existing tab named like a generated tab is this run's.

    :param existing: tabs named like generated tabs, by generated tab name.
    :param pipeline_tab: the pipeline tab the generated tabs are made from.
    :raises SheetLayoutError: naming the first tab in the way.
    """
    conflicts = generated_tab_conflicts(workbook, existing, pipeline_tab)
    if conflicts:
        raise SheetLayoutError(f"{conflicts[0]} Nothing was written.")


def generated_tab_conflicts(
    workbook: str,
    existing: dict[str, SheetGrid],
    pipeline_tab: PipelineTab | None = None,
) -> list[str]:
    """Return a message for each tab named like a generated tab that is not ours.

    That is a tab of the user's, or, given ``pipeline_tab``, a tab whose banner
    names another pipeline tab of the workbook as its source, so that two
    definitions reading two tabs of one workbook never overwrite each other's
    outputs. The writers stop at a tab of the user's too, but only after the
    run has reported that it is writing. Checking first lets ``check`` and dry
    runs report it.

    :param existing: tabs named like generated tabs, by generated tab name.
    """
    conflicts = []
    for grid in existing.values():
        if not is_generated_tab(grid):
            conflicts.append(_describe_users_tab(workbook, grid))
            continue
        made_from = pipeline_tab.other_source(grid) if pipeline_tab else None
        if pipeline_tab is not None and made_from is not None:
            suggested = f"{pipeline_tab.name} {grid.tab}"
            conflicts.append(
                f"Workbook {workbook!r} already has a tab {grid.tab!r} that "
                f"pipesheet generated from tab {made_from!r}, so a run for tab "
                f"{pipeline_tab.name!r} will not overwrite it. Give this "
                "definition's generated tabs other names under outputs.tabs, "
                f"such as {suggested!r}."
            )
    return conflicts


def _describe_users_tab(workbook: str, grid: SheetGrid) -> str:
    """Return the message for a tab of the user's named like a generated tab."""
    conflict = (
        f"Workbook {workbook!r} already has a tab {grid.tab!r} that pipesheet "
        "did not create, so pipesheet will not overwrite it."
    )
    if not grid.very_hidden:
        return (
            f"{conflict} Rename that tab, or choose another name for the "
            "generated tab under outputs.tabs in the pipeline definition."
        )
    return (
        f"{conflict} The tab is very hidden, so Excel's Unhide dialog does not "
        "list it. Choose another name for the generated tab under outputs.tabs "
        "in the pipeline definition, or show the tab from Excel's VBA editor "
        "and rename it: press Alt+F11, select the sheet in the Project window "
        "and set Visible to -1 - xlSheetVisible in its Properties window."
    )


@dataclass(frozen=True)
class PipelineTab:
    """The pipeline tab a run reads, and every tab name of its workbook."""

    name: str
    workbook_tabs: Sequence[str]

    def other_source(self, grid: SheetGrid) -> str | None:
        """Return the other pipeline tab that generated ``grid``, if any.

        That is the tab its banner names, when that is not this tab and the
        workbook still has it. A banner naming a tab that is gone was left by
        an earlier name of this pipeline tab, so the run may replace it.
        """
        made_from = banner_source_tab(grid)
        if made_from is None or made_from.casefold() == self.name.casefold():
            return None
        present = {name.casefold() for name in self.workbook_tabs}
        return made_from if made_from.casefold() in present else None


def _write_progress(source: WorkbookSource, changes: str) -> str:
    """Return the progress line shown before a workbook is written.

    A run with ``--output`` leaves the copy as it is when the copy already
    contains this result, which is known only once its bytes are built, so
    its line claims no write.
    """
    if source.target_name == source.name:
        return f"Writing {changes} to {source.target_name}"
    return f"Preparing {source.target_name}: a copy of {source.name} with {changes}"


def _fit_tab_rows(tabs: list[GeneratedTab], grid: SheetGrid) -> list[GeneratedTab]:
    """Return the tabs cut to the rows a sheet holds, warning of each cut."""
    fitted = []
    for tab in tabs:
        cut, warning = fit_tab_rows(tab, grid.describe_location())
        if warning is not None:
            logger.warning("%s", warning)
        fitted.append(cut)
    return fitted
