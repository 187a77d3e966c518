"""Closed deals that left the pipeline tab since the last run, such as to an archive.

The Funnel's win rates, won and lost figures, average cycle and sales velocity
count the closed deals on the pipeline tab. A won or lost deal moved to
another tab leaves them, so the figures change although no deal changed. The
stage history keeps no close date for a deal that left, so it cannot count
it in their place, and a run names such deals instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from config.models import Outcome, Pipeline
from rules.history import Transition
from rules.messages import counted, first_and_more
from rules.stage_history import HistoryOutcome

# How many departed deals a warning names before it counts the rest.
MAX_NAMED_DEALS = 10


def departed_closed_deals(
    logged: HistoryOutcome, pipeline: Pipeline
) -> list[Transition]:
    """Return the moves of the won or lost deals that left the tab in this run.

    A deal whose ID was retyped left under its old ID only in the new
    transitions, and the merged log records it as retyped, so it is no
    departure.
    """
    closed = {
        stage.name
        for stage in pipeline.stages
        if stage.outcome in (Outcome.WON, Outcome.LOST)
    }
    departed = [
        move
        for move in logged.new_transitions
        if move.to_stage is None and move.from_stage in closed
    ]
    if not departed:
        return []
    recorded = set(logged.transitions)
    return [move for move in departed if move in recorded]


def describe_departed_closed_deals(
    location: str, departed: Sequence[Transition]
) -> str | None:
    """Return a warning naming the closed deals that left the tab, or None.

    :param location: the start of the message, naming the workbook and tab
        (:meth:`rules.grid.SheetGrid.describe_location`).
    """
    if not departed:
        return None
    names = [f"{move.deal_id} ({move.from_stage})" for move in departed]
    named = first_and_more(names, MAX_NAMED_DEALS)
    pronoun = "it" if len(departed) == 1 else "them"
    return (
        f"{location}: {counted(len(departed), 'closed deal')} left the tab since "
        f"the last run: {named}. The Funnel's win rates, won and lost counts and "
        "values, average cycle and sales velocity count only the closed deals "
        f"on this tab, so they no longer count {pronoun}. To keep closed deals "
        "counted, leave their rows on the tab and hide, filter or group them "
        "instead of moving them to another tab."
    )
