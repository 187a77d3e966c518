"""The fields that definition options read, so that an option without one is caught.

An option whose field is not mapped, or whose column is not in the sheet, does
nothing, so a user needs a message to notice: ``metrics.win_rate_days`` without
a close date counts every closed deal, and ``followups.require_next_step_date``
without a next-step date lists no follow-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config.models import Pipeline, Stage

_NEXT_STEP_DATE = "next_step_date"
_CLOSE_DATE = "close_date"
_OWNER = "owner"
# The value of config.models.Outcome.OPEN; that module imports this one.
_OPEN = "open"
_FOLLOWUP_MARKS = ("snooze_until", "acknowledged")


@dataclass(frozen=True)
class FieldNeed:
    """An option of a definition and the field it reads."""

    option: str
    field: str
    # Completes the sentence "this option ...".
    purpose: str
    # Completes "..., so ..." for a run on a sheet without the field's column.
    without_column: str = "it does nothing"
    # Completes "If the sheet does not keep that column, delete ...", where
    # deleting the whole option would drop more than this field.
    deletion: str = ""


def find_field_needs(pipeline: Pipeline) -> list[FieldNeed]:
    """Return the field each option set in ``pipeline`` reads, one need per option.

    An option that names several fields has one need per field.
    ``followups.require_next_step_date`` and ``followups.due_soon_days``
    count only when the file sets them, because they have defaults, also in
    definitions without follow-ups.
    """
    needs: list[FieldNeed] = []
    followups = pipeline.followups
    if followups.require_next_step_date and (
        "require_next_step_date" in followups.model_fields_set
    ):
        option = "followups.require_next_step_date"
        purpose = "asks open deals for a next-step date"
        needs.append(FieldNeed(option, _NEXT_STEP_DATE, purpose))
    for index, stage in enumerate(pipeline.stages):
        needs += _find_stage_needs(index, stage, pipeline)

    if "due_soon_days" in followups.model_fields_set:
        option = "followups.due_soon_days"
        purpose = "lists the next steps due within this many days as due soon"
        needs.append(FieldNeed(option, _NEXT_STEP_DATE, purpose))
    if pipeline.metrics.win_rate_days is not None:
        purpose = "counts the deals that closed in the period by their close date"
        every_closed = (
            "the period is not applied: win rates, won and lost figures, the "
            "average cycle and velocity count every closed deal, as without "
            "the option"
        )
        option = "metrics.win_rate_days"
        needs.append(FieldNeed(option, _CLOSE_DATE, purpose, every_closed))
    for mark in _FOLLOWUP_MARKS:
        if mark in pipeline.columns:
            purpose = "silences the follow-ups of the next-step date column"
            needs.append(FieldNeed(f"columns.{mark}", _NEXT_STEP_DATE, purpose))
    # A field named here but not mapped has a problem of its own in the model.
    for field in dict.fromkeys(pipeline.outputs.group_by):
        if field not in pipeline.columns:
            continue
        purpose = f"breaks the Funnel tab's figures down by {field!r}"
        without = "the breakdown has one blank group that contains every deal"
        deletion = f"{field!r} from outputs.group_by"
        needs.append(FieldNeed("outputs.group_by", field, purpose, without, deletion))
    if pipeline.notifications is not None and pipeline.notifications.owners:
        purpose = "sends each owner a digest of the deals in the owner column"
        needs.append(FieldNeed("notifications.owners", _OWNER, purpose))
    return needs


@dataclass(frozen=True)
class DefaultFieldUse:
    """A mapped field that pipesheet reads with no option set, and what then stops."""

    field: str
    # Completes "..., which ... read".
    readers: str
    # Completes "..., so ..." for a run on a sheet without the field's column.
    without_column: str


def find_default_field_uses(pipeline: Pipeline) -> list[DefaultFieldUse]:
    """Return the mapped fields that the default checks and tabs read.

    A field that an option of the definition reads is left out, because
    :func:`find_field_needs` covers it. An unmapped field is left out too:
    without it, the checks that read it are off by choice.
    """
    needed = {need.field for need in find_field_needs(pipeline)}
    uses: list[DefaultFieldUse] = []
    if _NEXT_STEP_DATE in pipeline.columns and _NEXT_STEP_DATE not in needed:
        asks = pipeline.followups.require_next_step_date
        checks = "asked for a next-step date or found" if asks else "found"
        uses.append(
            DefaultFieldUse(
                _NEXT_STEP_DATE,
                "the follow-up checks",
                f"none runs: no open deal is {checks} overdue or due soon",
            )
        )
    if _OWNER in pipeline.columns and _OWNER not in needed:
        uses.append(
            DefaultFieldUse(
                _OWNER,
                "the Follow-ups tab and the owner breakdown of the Funnel tab",
                "they list every deal under a blank owner",
            )
        )
    return uses


def _find_stage_needs(index: int, stage: Stage, pipeline: Pipeline) -> list[FieldNeed]:
    path = f"stages[{index}] ({stage.name!r})"
    needs: list[FieldNeed] = []
    # A closed stage's next_step_required has a problem of its own.
    if stage.next_step_required and stage.outcome == _OPEN:
        purpose = "asks open deals for a next-step date"
        needs.append(FieldNeed(f"{path}.next_step_required", _NEXT_STEP_DATE, purpose))

    # A field named here but not mapped has a problem of its own in the model.
    for field in dict.fromkeys(stage.reached_if_filled):
        if field not in pipeline.columns:
            continue
        purpose = (
            f"counts a deal with {field!r} filled as having reached stage "
            f"{stage.name!r} in the funnel"
        )
        without = "no deal counts as reaching the stage by that field"
        option = f"{path}.reached_if_filled"
        needs.append(FieldNeed(option, field, purpose, without))
    return needs


def check_needed_fields_mapped(pipeline: Pipeline, renamed: set[str]) -> list[str]:
    """Return a problem for each option whose field is not under ``columns``.

    :param renamed: known fields mapped under a misspelled key, which has a
        problem of its own.
    """
    return [
        f"{need.option}: this option {need.purpose}, but the field "
        f"{need.field!r} is not mapped under columns, so it would do nothing. "
        f"Map {need.field!r} under columns with the header aliases of its "
        "column, or delete the option"
        for need in find_field_needs(pipeline)
        if need.field not in pipeline.columns and need.field not in renamed
    ]
