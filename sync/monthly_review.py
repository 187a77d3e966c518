"""Freeze the review tabs of past months on the first recorded run of a month.

Each successful run records the last month it reviewed. Reviews are due for
the months after the last one an earlier run recorded, up to the month
before this run's day (``as_of``, the date in the pipeline's time zone). An
earlier run must exist, so that the stage log covers part of the months
reviewed. A tab is
written only when the workbook has no tab of that name yet.
So a frozen review is never rewritten, even if the lost reasons on the sheet
change later.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from pathlib import Path

from config.models import Pipeline
from rules.checks import CLOSE_DATE_FIELD
from rules.deals import ColumnMap, Deal
from rules.grid import SheetGrid
from rules.review import last_day_of_month, month_before, review_log_rows
from rules.stage_history import HistoryOutcome, StageHistory
from rules.stage_lists import month_stage_list, pipeline_with_stages
from sync.plan import GeneratedTab
from sync.planner import is_generated_tab
from sync.render_review import render_review, review_tab_name
from sync.run import HistoryTabs, PipelineTab
from sync.sources.base import WorkbookSource
from sync.state.ok_runs import review_coverage
from sync.state.store import StateStore

logger = logging.getLogger(__name__)


# After a long pause, at most this many past months get a review at once.
MAX_REVIEW_MONTHS = 12


def due_review_months(
    store: StateStore,
    workbook_key: str,
    as_of: dt.date,
    run_id: int | None,
    tab: str | None = None,
) -> list[dt.date]:
    """Return the first days of the months to review, oldest first.

    Each month after the last one that an earlier successful run recorded as
    reviewed, up to the month before ``as_of``, is due. So a month without
    runs (a worker off over the holidays) does not lose the review of the
    month before it, and neither does a month whose first run was made by a
    pipesheet version that wrote no reviews. A month before the first run's
    month is never due, because the stage log does not cover it.

    :param run_id: the run in progress, left out of the earlier runs; None for
        a dry run, which records no run.
    :param tab: count only the runs of this pipeline tab; default every tab.
    """
    coverage = review_coverage(store, workbook_key, tab=tab, excluding_run=run_id)
    if coverage.first_day is None:
        return []
    reviewed = [month_before(coverage.first_day)]
    if coverage.reviewed_through is not None:
        reviewed.append(coverage.reviewed_through)
    if coverage.latest_unrecorded_day is not None:
        # A run recorded before runs recorded their reviews may have been the
        # first of its month without writing the month before's review, so
        # only the months before that one count as reviewed. Trusting no
        # such run would make every month since the first run due at once.
        reviewed.append(month_before(month_before(coverage.latest_unrecorded_day)))
    last_reviewed = max(reviewed)
    if last_reviewed >= month_before(as_of):
        return []
    months = [month_before(as_of)]
    while months[-1] > next_month(last_reviewed) and len(months) < MAX_REVIEW_MONTHS:
        months.append(month_before(months[-1]))
    if months[-1] > next_month(last_reviewed):
        first_skipped = next_month(last_reviewed)
        last_skipped = month_before(months[-1])
        logger.warning(
            "No review was recorded after the one of %s until this run of %s, "
            "so only the last %d months get a review tab. The months %s to %s "
            "get none, and pipesheet does not add them later.",
            last_reviewed.strftime("%Y-%m"),
            as_of,
            MAX_REVIEW_MONTHS,
            first_skipped.strftime("%Y-%m"),
            last_skipped.strftime("%Y-%m"),
        )
    return months[::-1]


def next_month(first_day: dt.date) -> dt.date:
    """Return the first day of the month after ``first_day``'s month."""
    return (first_day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def review_tabs(
    source: WorkbookSource,
    pipeline: Pipeline,
    history: StageHistory,
    months: Sequence[dt.date],
    as_of: dt.date,
    output: Path | None = None,
) -> HistoryTabs | None:
    """Return what builds the review tabs of ``months`` in the run, if any is due.

    ``months`` are the first days of the months to review. A month whose tab
    exists already is left out (and logged). The run calls the result after
    it applied the history to its deals, so the review counts the moves this
    run records and dates them as the Stage log tab does. Each month is
    counted with the stages of its last recorded run, so a stage added or
    removed after the month leaves its review as the month's runs saw the
    stages. A month without such a run uses the definition's stages. ``output`` is the
    file the run writes instead of the workbook, if any: the reviews then go
    there, with a warning.
    """
    names = {}
    for first_day in months:
        name = review_tab_name(
            pipeline.outputs.locale, first_day, pipeline.outputs.tabs.review
        )
        same_name = [
            tab for tab in source.tab_names() if tab.casefold() == name.casefold()
        ]
        if same_name:
            _log_existing_tab(source, pipeline, same_name[0], first_day)
        else:
            names[first_day] = name
    if not names:
        return None
    if output is not None:
        _warn_review_in_output(source, output, list(names))

    def build(
        grid: SheetGrid,
        columns: ColumnMap,
        deals: Sequence[Deal],
        logged: HistoryOutcome,
    ) -> list[GeneratedTab]:
        close_column = None
        if CLOSE_DATE_FIELD in columns.fields:
            close_column = columns.header_of(CLOSE_DATE_FIELD)
        tabs = []
        for first_day, name in names.items():
            review = review_log_rows(
                logged.log_rows,
                deals,
                _month_pipeline(pipeline, history, first_day),
                first_day,
                log_started_on=history.log_started_on or as_of,
                run_days=sorted({*history.run_days, as_of}),
            )
            logger.info(
                "monthly review workbook=%s month=%s tab=%r",
                source.name,
                first_day,
                name,
            )
            tabs.append(
                render_review(
                    review,
                    pipeline,
                    grid.tab,
                    as_of,
                    close_column,
                    logged.entered_column,
                )
            )
        return tabs

    return build


def _month_pipeline(
    pipeline: Pipeline, history: StageHistory, first_day: dt.date
) -> Pipeline:
    """Return the definition with the stages that the month's last run used."""
    last_day = last_day_of_month(first_day)
    stages = month_stage_list(history.run_stages, first_day, last_day)
    if stages is None:
        return pipeline
    return pipeline_with_stages(pipeline, stages)


def _warn_review_in_output(
    source: WorkbookSource, output: Path, months: Sequence[dt.date]
) -> None:
    """Warn that the due reviews go into the --output file, not the workbook."""
    # A review is written by the first recorded run after its month only, and
    # this run is recorded as a run of the workbook.
    listed = ", ".join(f"{month:%Y-%m}" for month in months)
    logger.warning(
        "The review of %s goes into %s, which this run writes, and not into "
        "%s: a month's review is written only by the first recorded run after "
        "the month. To keep the review in %s, copy its tab over from %s.",
        listed,
        output.name,
        source.name,
        source.name,
        output.name,
    )


def _log_existing_tab(
    source: WorkbookSource, pipeline: Pipeline, tab: str, first_day: dt.date
) -> None:
    """Log why the review is not written when a tab already has its name.

    pipesheet's own review tab is frozen, so it is left with a debug line. A
    review generated from another pipeline tab, or a tab of the user's, is
    never overwritten, and a review is due only on the month's first run, so
    a warning reports that this review is not written.
    """
    grid = source.read_tab(tab)
    if is_generated_tab(grid):
        pipeline_tab = PipelineTab(pipeline.source.tab, source.tab_names())
        made_from = pipeline_tab.other_source(grid)
        if made_from is None:
            logger.debug("review tab %r exists in %s; left as it is", tab, source.name)
            return
        logger.warning(
            "Workbook %r already has a tab %r that pipesheet generated from tab "
            "%r, so the review of %s for tab %r was not written. Give this "
            "definition's review tabs another name under outputs.tabs.review, "
            "such as %r, before the first run of a month: a review is written "
            "only by the first run after its month, so the review of %s stays "
            "unwritten.",
            source.name,
            tab,
            made_from,
            f"{first_day:%Y-%m}",
            pipeline.source.tab,
            f"{pipeline.source.tab} Review {{month}}",
            f"{first_day:%Y-%m}",
        )
        return
    logger.warning(
        "Workbook %r already has a tab %r that pipesheet did not create, so the "
        "review of %s was not written; pipesheet never overwrites a tab of yours. "
        "Rename that tab before the first run of a month to get the review of the "
        "month before.",
        source.name,
        tab,
        f"{first_day:%Y-%m}",
    )
