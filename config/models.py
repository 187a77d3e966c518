"""Pydantic models of a pipeline definition: what a team's sales process is.

A definition is data only. Loading it (YAML or a ``Rules`` tab) lives in
:mod:`config.loader`; applying it to rows lives in :mod:`rules`.
"""

from __future__ import annotations

import zoneinfo
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class StrictModel(BaseModel):
    """Base of every definition model: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceKind(StrEnum):
    EXCEL = "excel"
    GOOGLE_SHEETS = "google_sheets"


class FieldType(StrEnum):
    """How the cells of a column are parsed."""

    TEXT = "text"
    DATE = "date"
    AMOUNT = "amount"
    NUMBER = "number"
    PERCENT = "percent"
    FLAG = "flag"


class Outcome(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class Locale(StrEnum):
    EN = "en"
    ZH_CN = "zh-CN"


class DateOrder(StrEnum):
    """Order of day and month in ambiguous text dates such as ``03/04/2025``."""

    DMY = "dmy"
    MDY = "mdy"


# Fields with a meaning of their own to the checks. A definition may add more
# (for grouping or allowed-value lists); those are parsed by their declared type.
ID_FIELD = "id"
STAGE_FIELD = "stage"
KNOWN_FIELD_TYPES: dict[str, FieldType] = {
    "id": FieldType.TEXT,
    "stage": FieldType.TEXT,
    "owner": FieldType.TEXT,
    "account": FieldType.TEXT,
    "product": FieldType.TEXT,
    "amount": FieldType.AMOUNT,
    "probability": FieldType.PERCENT,
    "created_date": FieldType.DATE,
    "close_date": FieldType.DATE,
    "next_step": FieldType.TEXT,
    "next_step_date": FieldType.DATE,
    "stage_entered_date": FieldType.DATE,
    "snooze_until": FieldType.DATE,
    "acknowledged": FieldType.FLAG,
    "lost_reason": FieldType.TEXT,
}


class SourceConfig(StrictModel):
    """Where the pipeline table lives."""

    kind: SourceKind = SourceKind.EXCEL
    path: str | None = None
    spreadsheet: str | None = Field(
        default=None, description="Google spreadsheet URL or id."
    )
    credentials: str | None = Field(
        default=None, description="Path of a service-account JSON file."
    )
    tab: str = Field(description="Name of the tab that holds the deals.")
    header_row: int | Literal["auto"] = Field(
        default="auto", description="1-based row of the header, or 'auto'."
    )

    @field_validator("header_row")
    @classmethod
    def _check_header_row(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError(f"header_row must be 1 or more, or 'auto'; got {value!r}")
        return value


class ColumnSpec(StrictModel):
    """One logical field and the header texts that name it in a sheet."""

    aliases: list[str] = Field(min_length=1)
    type: FieldType | None = Field(
        default=None, description="Parsing type; known fields have a default."
    )
    required: bool = Field(
        default=False, description="The run stops if no header matches."
    )


class Stage(StrictModel):
    """One stage of the pipeline, in funnel order."""

    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    probability: Annotated[float, Field(ge=0, le=1)] | None = None
    outcome: Outcome = Outcome.OPEN
    required: list[str] = Field(
        default_factory=list, description="Fields that must be filled in this stage."
    )
    idle_days: Annotated[int, Field(gt=0)] | None = Field(
        default=None, description="Days a deal may stay in this stage."
    )
    reached_if_filled: list[str] = Field(
        default_factory=list,
        description="Fields whose filled value shows that a deal reached this "
        "stage; the funnel uses them for closed deals whose path is unknown.",
    )
    next_step_required: bool | None = Field(
        default=None,
        description="Open deals here need a next-step date; defaults to the "
        "follow-up policy for open stages and to false for closed ones.",
    )


class TransitionPolicy(StrictModel):
    allow_skips: bool = True
    allow_moves_back: bool = False


class FollowupPolicy(StrictModel):
    due_soon_days: Annotated[int, Field(ge=0)] = 3
    require_next_step_date: bool = True


class AllowedFromTab(StrictModel):
    """An allowed-value list read from a column of another tab of the workbook."""

    tab: str
    column: str


class AllowedValues(StrictModel):
    values: list[str] | None = None
    from_tab: AllowedFromTab | None = None
    ignore_case: bool = True

    @model_validator(mode="after")
    def _exactly_one_source(self) -> AllowedValues:
        if (self.values is None) == (self.from_tab is None):
            raise ValueError("give exactly one of 'values' or 'from_tab'")
        return self


class TabNames(StrictModel):
    funnel: str = "Funnel"
    followups: str = "Follow-ups"
    problems: str = "Problems"
    definitions: str = "Definitions"
    stage_log: str = "Stage log"


class Outputs(StrictModel):
    status_header: str = "pipesheet status"
    tabs: TabNames = TabNames()
    locale: Locale = Locale.EN
    highlight_rows: bool = True
    group_by: list[str] = Field(
        default_factory=list, description="Fields to break metrics down by."
    )


class Schedule(StrictModel):
    cron: str = "0 7 * * 1-5"
    timezone: str | None = None


class Pipeline(StrictModel):
    """A complete pipeline definition."""

    name: str
    source: SourceConfig
    columns: dict[str, ColumnSpec]
    stages: list[Stage] = Field(min_length=2)
    transitions: TransitionPolicy = TransitionPolicy()
    followups: FollowupPolicy = FollowupPolicy()
    allowed: dict[str, AllowedValues] = Field(default_factory=dict)
    outputs: Outputs = Outputs()
    timezone: str = "UTC"
    date_order: DateOrder = DateOrder.DMY
    schedule: Schedule | None = None

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as "
                "'Europe/Berlin' or 'Asia/Shanghai'"
            ) from None
        return value

    @model_validator(mode="after")
    def _check_references(self) -> Pipeline:
        for field in (ID_FIELD, STAGE_FIELD):
            if field not in self.columns:
                raise ValueError(f"columns must map the {field!r} field")
        _check_unique_stage_names(self.stages)
        _check_outcomes(self.stages)
        for stage in self.stages:
            _check_fields_known(
                stage.required, self.columns, f"stage {stage.name!r} required"
            )
            _check_fields_known(
                stage.reached_if_filled,
                self.columns,
                f"stage {stage.name!r} reached_if_filled",
            )
        _check_fields_known(list(self.allowed), self.columns, "allowed")
        _check_fields_known(self.outputs.group_by, self.columns, "outputs.group_by")
        return self

    def field_type(self, field: str) -> FieldType:
        """Return the parsing type of a mapped field."""
        declared = self.columns[field].type
        if declared is not None:
            return declared
        return KNOWN_FIELD_TYPES.get(field, FieldType.TEXT)

    @property
    def open_stages(self) -> list[Stage]:
        return [stage for stage in self.stages if stage.outcome is Outcome.OPEN]


def _check_unique_stage_names(stages: list[Stage]) -> None:
    seen: dict[str, str] = {}
    for stage in stages:
        for label in [stage.name, *stage.aliases]:
            key = label.casefold().strip()
            if key in seen:
                raise ValueError(
                    f"stage label {label!r} is used by both {seen[key]!r} and "
                    f"{stage.name!r}; each name and alias must be unique"
                )
            seen[key] = stage.name


def _check_outcomes(stages: list[Stage]) -> None:
    outcomes = {stage.outcome for stage in stages}
    if Outcome.OPEN not in outcomes:
        raise ValueError("stages need at least one open stage")
    if Outcome.WON not in outcomes:
        raise ValueError("stages need one stage with outcome 'won'")


def _check_fields_known(
    fields: list[str], columns: dict[str, ColumnSpec], where: str
) -> None:
    for field in fields:
        if field not in columns:
            raise ValueError(
                f"{where} names the field {field!r}, which is not in columns; "
                f"mapped fields are: {', '.join(sorted(columns))}"
            )
