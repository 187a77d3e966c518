"""Pydantic models of a pipeline definition: what a team's sales process is.

A definition is data only. Loading it (YAML or a ``Rules`` tab) lives in
:mod:`config.loader`; applying it to rows lives in :mod:`rules`.
"""

from __future__ import annotations

import difflib
import unicodedata
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

    @field_validator("header_row", mode="before")
    @classmethod
    def _check_header_row(cls, value: object) -> object:
        # Runs before pydantic's own union check so a bad value gets one clear
        # message, and so ``true`` is not taken as row 1.
        if isinstance(value, str) and value.strip().casefold() == "auto":
            return "auto"
        if isinstance(value, str) and value.strip().isdecimal():
            value = int(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)

        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
        raise ValueError(
            f"invalid value {value!r}; expected the row number of the header "
            "(1 for the first row) or 'auto' to find it"
        )


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
        if self.values is None and self.from_tab is None:
            raise ValueError(
                "expected one of 'values' (a list) or 'from_tab' (a tab and "
                "column), got neither"
            )
        if self.values is not None and self.from_tab is not None:
            raise ValueError(
                "expected one of 'values' (a list) or 'from_tab' (a tab and "
                "column), got both; delete one"
            )
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

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str | None) -> str | None:
        if value is not None:
            check_time_zone(value)
        return value


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
        check_time_zone(value)
        return value

    @model_validator(mode="after")
    def _check_references(self) -> Pipeline:
        # Collect every problem, so a user fixes them in one pass. Each line
        # starts with the key path it is about.
        problems = [
            *_check_key_fields_mapped(self.columns),
            *_check_unique_aliases(self.columns),
            *_check_unique_stage_names(self.stages),
            *_check_outcomes(self.stages),
        ]
        for index, stage in enumerate(self.stages):
            path = f"stages[{index}] ({stage.name!r})"
            problems += _check_fields_known(
                stage.required, self.columns, f"{path}.required"
            )
            problems += _check_fields_known(
                stage.reached_if_filled, self.columns, f"{path}.reached_if_filled"
            )
        problems += _check_fields_known(list(self.allowed), self.columns, "allowed")
        problems += _check_fields_known(
            self.outputs.group_by, self.columns, "outputs.group_by"
        )

        if problems:
            raise ValueError("\n".join(problems))
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


def check_time_zone(name: str) -> None:
    """Check that ``name`` is in this system's IANA time zone database.

    :raises ValueError: with the nearest known name when there is one.
    """
    try:
        zoneinfo.ZoneInfo(name)
        return
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a folder of the zone database, such as "Asia", is not a zone.
        pass

    message = (
        f"invalid value {name!r}; expected an IANA time zone name such as "
        "'Europe/Berlin' or 'Asia/Shanghai'"
    )
    nearest = _nearest_time_zone(name)
    if nearest:
        message += f"; did you mean {nearest!r}?"
    raise ValueError(message)


def _nearest_time_zone(name: str) -> str | None:
    known = zoneinfo.available_timezones()
    by_casefold = {zone.casefold(): zone for zone in known}
    if name.strip().casefold() in by_casefold:
        return by_casefold[name.strip().casefold()]

    nearest = difflib.get_close_matches(name, sorted(known), n=1)
    return nearest[0] if nearest else None


def _check_key_fields_mapped(columns: dict[str, ColumnSpec]) -> list[str]:
    examples = {ID_FIELD: "Deal ID", STAGE_FIELD: "Stage"}
    return [
        f"columns: the {field!r} field is missing; every definition maps it, "
        f"for example '{field}: {{aliases: [{example}]}}'"
        for field, example in examples.items()
        if field not in columns
    ]


def _check_unique_aliases(columns: dict[str, ColumnSpec]) -> list[str]:
    # A header that two fields claim could be matched to either of them.
    problems: list[str] = []
    owners: dict[str, str] = {}
    for field, spec in columns.items():
        for alias in spec.aliases:
            key = _label_key(alias)
            owner = owners.setdefault(key, field)
            if owner != field:
                problems.append(
                    f"columns.{field}.aliases: the header {alias!r} is also an "
                    f"alias of the field {owner!r}; a header can name only one field"
                )
    return problems


def _check_unique_stage_names(stages: list[Stage]) -> list[str]:
    problems: list[str] = []
    first_users: dict[str, int] = {}
    for index, stage in enumerate(stages):
        path = f"stages[{index}] ({stage.name!r})"
        for position, label in enumerate([stage.name, *stage.aliases]):
            key = _label_key(label)
            first = first_users.get(key)
            if first is None:
                first_users[key] = index
            elif first == index:
                problems.append(
                    f"{path}.aliases: the alias {label!r} repeats this stage's "
                    "name or another of its aliases; delete it"
                )
            else:
                key_name = "name" if position == 0 else "aliases"
                problems.append(
                    f"{path}.{key_name}: the label {label!r} is already used by "
                    f"stages[{first}] ({stages[first].name!r}); each stage name "
                    "and alias must be unique"
                )
    return problems


def _label_key(label: str) -> str:
    # The same folding as header matching in rules: NFKC, spaces, case.
    return " ".join(unicodedata.normalize("NFKC", label).split()).casefold()


def _check_outcomes(stages: list[Stage]) -> list[str]:
    outcomes = {stage.outcome for stage in stages}
    problems: list[str] = []
    if Outcome.OPEN not in outcomes:
        problems.append(
            "stages: every stage is closed; add at least one open stage "
            "(a stage without 'outcome' is open)"
        )
    if Outcome.WON not in outcomes:
        problems.append(
            "stages: no stage has 'outcome: won'; add it to the stage of signed deals"
        )
    return problems


def _check_fields_known(
    fields: list[str], columns: dict[str, ColumnSpec], where: str
) -> list[str]:
    problems: list[str] = []
    for field in fields:
        if field in columns:
            continue
        message = f"{where}: the field {field!r} is not in columns"
        nearest = difflib.get_close_matches(field, list(columns), n=1)
        if nearest:
            message += f"; did you mean {nearest[0]!r}?"
        else:
            message += "."
        problems.append(f"{message} Mapped fields: {', '.join(sorted(columns))}")
    return problems
