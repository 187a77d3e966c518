"""The stage list each recorded run used, and the stage order it gives moves.

Each successful run records its definition's stages, in order, with their
outcomes. A move is then judged by the list of the run that recorded it, and
a month's review counts the month with the list of the month's last run. So a
stage added, removed or moved later does not change how an earlier move or
month reads.

Lists are read through today's definition first: a recorded name that is now
a stage's name or alias becomes that stage's name, as the recorded moves do
(see :func:`rules.stage_history.with_current_stage_names`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from config.models import Outcome, Pipeline, Stage
from rules.headers import StageLookup


class RecordedStage(NamedTuple):
    """One stage of a recorded run's list: its name and outcome."""

    name: str
    outcome: Outcome


# A run's stages in definition order.
StageList = tuple[RecordedStage, ...]


class RunStages(NamedTuple):
    """The stage list of one successful run, as the state database stores it.

    ``stages`` is None for a run recorded before runs stored their lists.
    ``recorded_moves`` is True when the run stored stage changes.
    """

    day: dt.date
    stages: StageList | None
    recorded_moves: bool


def stage_list_of(pipeline: Pipeline) -> StageList:
    """Return the definition's stages as a run records them."""
    return tuple(RecordedStage(stage.name, stage.outcome) for stage in pipeline.stages)


def named_as_now(stages: StageList, lookup: StageLookup) -> StageList:
    """Return ``stages`` with each name the definition has as its stage's name.

    A name that is no stage's name or alias now stays as recorded. When two recorded
    names now lead to one stage, the first keeps its place.

    Before: Lead, Demo; the stage Demo is now Product Demo, alias Demo.
    After: Lead, Product Demo.
    """
    named: dict[str, RecordedStage] = {}
    for recorded in stages:
        stage = lookup.find(recorded.name)
        name = recorded.name if stage is None else stage.name
        named.setdefault(name, recorded._replace(name=name))
    return tuple(named.values())


def month_stage_list(
    run_stages: Iterable[RunStages], first_day: dt.date, last_day: dt.date
) -> StageList | None:
    """Return the stage list of the last run from ``first_day`` to ``last_day``.

    None when no run of those days recorded a list.
    """
    found: StageList | None = None
    for run in run_stages:
        if first_day <= run.day <= last_day and run.stages is not None:
            found = run.stages
    return found


def pipeline_with_stages(pipeline: Pipeline, stages: StageList) -> Pipeline:
    """Return the definition with the stages of a recorded list, in its order.

    A stage the definition still has keeps its settings, such as its
    probability. A stage it no longer has gets the recorded outcome and no
    other setting. The result is not validated again, because it only feeds
    counts of recorded stays.
    """
    lookup = StageLookup(pipeline)
    month_stages: list[Stage] = []
    for recorded in stages:
        stage = lookup.find(recorded.name)
        if stage is None or stage.outcome is not recorded.outcome:
            stage = Stage(name=recorded.name, outcome=recorded.outcome)
        month_stages.append(stage)
    return pipeline.model_copy(update={"stages": month_stages})


class StageOrder:
    """One stage list's order, which decides whether a move skips or goes back.

    Conventions (those of :mod:`rules.transitions`):

    - Open stages and won stages each move in list order. A move to an
      earlier stage of the same kind, or from a closed stage to an open one,
      is a move back.
    - A move from an open stage to a later open stage skips the open stages
      between them. A move to a won stage skips every open stage after the
      one it left.
    - Closing as lost, from any stage, is neither.
    """

    def __init__(self, stages: Sequence[RecordedStage]) -> None:
        self.stages = tuple(stages)
        self._positions = {stage.name: index for index, stage in enumerate(stages)}

    def find(self, name: str | None) -> RecordedStage | None:
        """Return the list's stage named ``name`` exactly, or None."""
        if name is None or name not in self._positions:
            return None
        return self.stages[self._positions[name]]

    def skipped(self, source: RecordedStage, target: RecordedStage) -> list[str]:
        """Return the names of the open stages a forward move jumped over."""
        if source.outcome is not Outcome.OPEN or target.outcome is Outcome.LOST:
            return []
        start = self._positions[source.name] + 1
        end = len(self.stages)
        if target.outcome is Outcome.OPEN:
            end = self._positions[target.name]
        between = self.stages[start:end]
        return [stage.name for stage in between if stage.outcome is Outcome.OPEN]

    def is_move_back(self, source: RecordedStage, target: RecordedStage) -> bool:
        """Return True when a move from ``source`` to ``target`` goes back."""
        if target.outcome is Outcome.OPEN and source.outcome is not Outcome.OPEN:
            return True
        if source.outcome is not target.outcome or target.outcome is Outcome.LOST:
            return False
        return self._positions[target.name] < self._positions[source.name]


def orders_by_day(
    run_stages: Iterable[RunStages], current: StageList, since: dt.date
) -> dict[dt.date, tuple[StageOrder, ...]]:
    """Return the stage orders of the runs that recorded moves after ``since``, by day.

    ``current`` is the list of today's definition, which a run recorded before
    runs stored their lists counts as. A day whose runs all used ``current``
    is left out, so its moves are judged by the definition as before.
    """
    lists: dict[dt.date, list[StageList]] = {}
    for run in run_stages:
        if run.day <= since or not run.recorded_moves:
            continue
        stages = current if run.stages is None else run.stages
        day_lists = lists.setdefault(run.day, [])
        if stages not in day_lists:
            day_lists.append(stages)
    return {
        day: tuple(map(StageOrder, day_lists))
        for day, day_lists in lists.items()
        if day_lists != [current]
    }
