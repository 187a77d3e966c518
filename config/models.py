"""Pydantic models of a pipeline definition: what a team's sales process is.

A definition is data only. Loading it (YAML or a ``Rules`` tab) lives in
:mod:`config.loader`; applying it to rows lives in :mod:`rules`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from config.close_matches import closest_match
from config.cron import check_cron
from config.field_needs import check_needed_fields_mapped
from config.known_fields import (
    check_field_names,
    check_field_types,
    find_field_typos,
)
from config.smtp_host import check_smtp_host, is_host_name
from config.tab_names import check_review_tab_name, tab_name_problem
from config.time_zones import check_time_zone, is_time_zone
from config.webhook_url import check_webhook_url
from rules.text_forms import fold_text, owner_key

# A mapping key that a key path writes after a dot, such as 'owners.Ana'.
_PLAIN_KEY = re.compile(r"^[\w-]+$")


def key_path_part(key: object) -> str:
    """Return a mapping key as a key path writes it after its parent.

    ``Ana`` gives ``.Ana``, and ``Ana Lima`` gives ``['Ana Lima']``.
    """
    if isinstance(key, str) and _PLAIN_KEY.match(key):
        return f".{key}"
    return f"[{key!r}]"


def check_not_blank(label: str) -> str:
    """Check that a name matched against the sheet has a character other than spaces.

    A blank header or stage name would match the sheet's empty cells.

    :raises ValueError: when ``label`` is empty or only whitespace.
    """
    if label.strip():
        return label
    raise ValueError(
        f"invalid value {label!r}; expected a name with at least one character "
        "that is not a space, as written in the sheet"
    )


# A header, stage or tab name, compared with the sheet's text.
Label = Annotated[str, AfterValidator(check_not_blank)]


def check_text_not_blank(text: str) -> str:
    """Check that a text key has a character other than spaces.

    :raises ValueError: when ``text`` is empty or only whitespace.
    """
    if text.strip():
        return text
    raise ValueError(
        f"invalid value {text!r}; expected text with at least one character "
        "that is not a space"
    )


# A name, path or id that means nothing when blank.
NonBlankText = Annotated[str, AfterValidator(check_text_not_blank)]

# Maximum of the day-count options: about 100 years. A run's day is from 1900
# to 2199, so a period this long still starts after year 1, the earliest date
# that Python's datetime holds.
MAX_DAYS = 36_500


def yaml_text(value: object) -> str:
    """Return a definition value as YAML writes it, such as ``true`` or ``null``.

    Values other than true, false and null get :func:`repr`, so text keeps its
    quotes.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return repr(value)


def _reject_true_false_as_whole_number(value: object) -> object:
    # Pydantic reads true as 1 and false as 0 for number keys, so
    # 'idle_days: true' would become one day without a word.
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "expected a whole number")
    return value


def _reject_true_false_as_number(value: object) -> object:
    if isinstance(value, bool):
        raise PydanticCustomError("float_type", "expected a number")
    return value


# The types of every number key: like int and float, but true and false are
# errors instead of 1 and 0.
WholeNumber = Annotated[int, BeforeValidator(_reject_true_false_as_whole_number)]
Number = Annotated[float, BeforeValidator(_reject_true_false_as_number)]


class StrictModel(BaseModel):
    """Base of every definition model: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceKind(StrEnum):
    EXCEL = "excel"
    GOOGLE_SHEETS = "google_sheets"


class FieldType(StrEnum):
    """Parsing type of the cells of a column."""

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
OWNER_FIELD = "owner"
PROBABILITY_FIELD = "probability"
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
    """Location of the pipeline table."""

    kind: SourceKind = SourceKind.EXCEL
    path: NonBlankText | None = None
    spreadsheet: NonBlankText | None = Field(
        default=None, description="Google spreadsheet URL or id."
    )
    credentials: NonBlankText | None = Field(
        default=None, description="Path of a service-account JSON file."
    )
    tab: Label = Field(description="Name of the tab that contains the deals.")
    header_row: int | Literal["auto"] = Field(
        default="auto", description="1-based row of the header, or 'auto'."
    )
    rules_tab: Label | None = Field(
        default=None,
        description="Name of a tab of the same workbook whose settings, stage "
        "table and field table are laid over this definition; pipesheet only "
        "reads it.",
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
        # None is a blank Rules tab cell or a YAML key with nothing after it.
        shown = "no value" if value is None else f"invalid value {yaml_text(value)}"
        raise ValueError(
            f"{shown}; expected the row number of the header (1 for the first row) "
            "or 'auto' to find it"
        )


# The longest prefix of a filled ID. An ID is matched as text, so a longer
# prefix only makes the cell harder to read.
MAX_ID_PREFIX_LENGTH = 20
# At most 12 digits, so the number of a filled ID stays below 10**12.
MAX_ID_DIGITS = 12


def check_id_prefix(prefix: str) -> str:
    """Check that a filled ID's prefix stays apart from the number after it.

    :raises ValueError: when the prefix is blank, has spaces at either end,
        ends with a digit, starts with ``=`` or is too long.
    """
    problem = None
    if not prefix.strip():
        problem = "it is blank"
    elif prefix != prefix.strip():
        problem = "it starts or ends with a space, which a deal ID loses"
    elif prefix[-1].isdecimal():
        problem = "it ends with a digit, which would run into the number"
    elif prefix.startswith("="):
        problem = "it starts with '=', so a spreadsheet would read a formula"
    elif len(prefix) > MAX_ID_PREFIX_LENGTH:
        problem = f"it is longer than {MAX_ID_PREFIX_LENGTH} characters"
    if problem is None:
        return prefix
    raise ValueError(
        f"invalid value {prefix!r}; the prefix of filled IDs cannot be used "
        f"because {problem}. Use letters and a separator, such as 'D-'"
    )


class IdFill(StrictModel):
    """The form of the IDs a run writes into blank ID cells: a prefix and a number.

    With ``prefix: D-`` and ``digits: 4`` the IDs are ``D-0001``, ``D-0002``
    and so on, each one more than the highest number with that prefix on the
    sheet and in the run history.
    """

    prefix: Annotated[str, AfterValidator(check_id_prefix)] = Field(
        description="Text before the number, such as 'D-'."
    )
    digits: Annotated[WholeNumber, Field(ge=1, le=MAX_ID_DIGITS)] = Field(
        default=4,
        description="Digits the number is padded to with zeros; a larger "
        "number gets more digits.",
    )


class ColumnSpec(StrictModel):
    """One logical field and the header texts that name it in a sheet."""

    aliases: list[Label] = Field(min_length=1)
    type: FieldType | None = Field(
        default=None, description="Parsing type; a known field's type is fixed."
    )
    required: bool = Field(
        default=False, description="The run stops if no header matches."
    )
    fill: IdFill | None = Field(
        default=None,
        description="Only under columns.id: fill the blank ID cell of each "
        "deal row with a new ID; unset leaves blank IDs as they are.",
    )


class Stage(StrictModel):
    """One stage of the pipeline, in funnel order."""

    name: Label
    aliases: list[Label] = Field(default_factory=list)
    probability: Annotated[Number, Field(ge=0, le=1)] | None = None
    outcome: Outcome = Outcome.OPEN
    required: list[str] = Field(
        default_factory=list, description="Fields that must be filled in this stage."
    )
    idle_days: Annotated[WholeNumber, Field(ge=1, le=MAX_DAYS)] | None = Field(
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
    due_soon_days: Annotated[WholeNumber, Field(ge=0, le=MAX_DAYS)] = 3
    require_next_step_date: bool = True


class AllowedFromTab(StrictModel):
    """An allowed-value list read from a column of another tab of the workbook."""

    tab: Label
    column: Label


class AllowedValues(StrictModel):
    values: Annotated[list[str], Field(min_length=1)] | None = None
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
    review: str | None = Field(
        default=None,
        description="Name of the monthly review tabs, where {month} stands for "
        "the month as YYYY-MM; default the locale's, 'Review {month}' in English.",
    )

    def every_run(self) -> list[str]:
        """Return the names of the tabs every run writes, in the order it writes them.

        The monthly review tabs are not among them.
        """
        return [
            self.funnel,
            self.followups,
            self.problems,
            self.definitions,
            self.stage_log,
        ]


class Outputs(StrictModel):
    status_header: Label = "pipesheet status"
    tabs: TabNames = TabNames()
    locale: Locale = Locale.EN
    highlight_rows: bool = True
    group_by: list[str] = Field(
        default_factory=list, description="Fields to break metrics down by."
    )


class MetricsSettings(StrictModel):
    """Settings of the figures on the Funnel tab."""

    win_rate_days: Annotated[WholeNumber, Field(ge=1, le=MAX_DAYS)] | None = Field(
        default=None,
        description=(
            "Days up to the run's day, that day included, whose closed deals the "
            "win rates, won and lost figures, average cycle and velocity count; "
            "unset counts every closed deal on the pipeline tab."
        ),
    )


class Schedule(StrictModel):
    cron: str = "0 7 * * 1-5"
    timezone: str | None = None

    @field_validator("cron")
    @classmethod
    def _check_cron(cls, value: str) -> str:
        check_cron(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str | None) -> str | None:
        if value is not None:
            check_time_zone(value)
        return value


class WebhookFormat(StrEnum):
    """The payload shape a webhook receiver expects."""

    GENERIC = "generic"
    SLACK = "slack"
    FEISHU = "feishu"
    DINGTALK = "dingtalk"
    WECOM = "wecom"


# Formats whose bots can check a signature made with a shared secret.
SIGNED_WEBHOOK_FORMATS = (WebhookFormat.FEISHU, WebhookFormat.DINGTALK)


def check_environment_name(name: str) -> str:
    """Check that ``name`` is a variable name a POSIX shell can ``export``.

    :raises ValueError: when it is not, for example when a secret was pasted in.
    """
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return name
    raise ValueError(
        f"invalid value {name!r}; expected the name of an environment variable, "
        "such as 'PIPESHEET_SMTP_PASSWORD', that holds the value (never the "
        "value itself)"
    )


# Channel ids are stored with each sent digest, in a column of this width.
MAX_CHANNEL_ID_LENGTH = 64


def check_channel_id(channel_id: str) -> str:
    """Check that a channel id is 1 to :data:`MAX_CHANNEL_ID_LENGTH` characters.

    :raises ValueError: when it is empty or longer.
    """
    if channel_id.strip() and len(channel_id) <= MAX_CHANNEL_ID_LENGTH:
        return channel_id
    raise ValueError(
        f"invalid value {channel_id!r}; expected an id of 1 to "
        f"{MAX_CHANNEL_ID_LENGTH} characters, such as 'team-chat'"
    )


EnvironmentName = Annotated[str, AfterValidator(check_environment_name)]
ChannelId = Annotated[str, AfterValidator(check_channel_id)]


class OwnerContact(StrictModel):
    """The destinations of one person's digest: an e-mail address, webhooks, or both."""

    email: str | None = None
    webhooks: list[str] = Field(
        default_factory=list, description="Ids of webhook channels to post to."
    )

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str | None) -> str | None:
        if value is not None:
            check_email_address(value)
        return value

    @model_validator(mode="after")
    def _check_not_empty(self) -> OwnerContact:
        if self.email is None and not self.webhooks:
            raise ValueError(
                "expected 'email', 'webhooks' or both, got neither; add where "
                "this person's digest goes"
            )
        return self


class EmailChannel(StrictModel):
    """Digests sent as e-mail through an SMTP server.

    The user name and password are read from the environment variables named
    here when a digest is sent, so the definition file contains no secret.
    """

    kind: Literal["email"]
    id: ChannelId = "email"
    smtp_host: str = Field(min_length=1)
    smtp_port: WholeNumber = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    from_address: str
    username_env: EnvironmentName | None = None
    password_env: EnvironmentName | None = None
    to: list[str] | None = Field(
        default=None,
        min_length=1,
        description="Addresses that receive every digest instead of the owners.",
    )

    @field_validator("smtp_host")
    @classmethod
    def _check_smtp_host(cls, value: str) -> str:
        return check_smtp_host(value)

    @field_validator("from_address")
    @classmethod
    def _check_from_address(cls, value: str) -> str:
        check_email_address(value)
        return value

    @field_validator("to")
    @classmethod
    def _check_to(cls, value: list[str] | None) -> list[str] | None:
        for address in value or []:
            check_email_address(address)
        return value

    @model_validator(mode="after")
    def _check_credentials(self) -> EmailChannel:
        if (self.username_env is None) != (self.password_env is None):
            raise ValueError(
                "expected both 'username_env' and 'password_env', or neither; "
                "add the missing one"
            )
        if self.username_env is not None and not self.starttls:
            raise ValueError(
                "'starttls: false' with a user name and password would send the "
                "password unencrypted; set 'starttls: true'"
            )
        return self


class WebhookChannel(StrictModel):
    """Digests posted as JSON to a chat bot or any HTTP endpoint."""

    kind: Literal["webhook"]
    id: ChannelId
    url: str
    format: WebhookFormat = WebhookFormat.GENERIC
    secret_env: EnvironmentName | None = Field(
        default=None,
        description="Environment variable holding a Feishu or DingTalk signing secret.",
    )

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return check_webhook_url(value)

    @model_validator(mode="after")
    def _check_secret_format(self) -> WebhookChannel:
        if self.secret_env is not None and self.format not in SIGNED_WEBHOOK_FORMATS:
            raise ValueError(
                f"'secret_env' is only used by the formats feishu and dingtalk, "
                f"not {self.format.value!r}; delete it"
            )
        return self


Channel = Annotated[EmailChannel | WebhookChannel, Field(discriminator="kind")]


class Notifications(StrictModel):
    """Daily digests: when they go out, to whom, and through which channels."""

    digest_hour: WholeNumber | None = Field(
        default=None,
        ge=0,
        le=23,
        description="Hour of the day, in the pipeline's time zone, from which "
        "the day's digests are sent. Unset, the day's first run sends them.",
    )
    owners: dict[str, OwnerContact] = Field(
        default_factory=dict, description="Owner names as written in the sheet."
    )
    channels: list[Channel] = Field(min_length=1)
    manager_digest_to: OwnerContact | None = Field(
        default=None, description="Receives one digest of every owner's items."
    )

    @model_validator(mode="after")
    def _check_references(self) -> Notifications:
        problems = [
            *_check_unique_channel_ids(self.channels),
            *_check_unique_owner_names(self.owners),
        ]
        contacts = [
            (f"owners{key_path_part(name)}", contact)
            for name, contact in self.owners.items()
        ]
        if self.manager_digest_to is not None:
            contacts.append(("manager_digest_to", self.manager_digest_to))
        for path, contact in contacts:
            problems += _check_contact_channels(contact, self.channels, path)

        if problems:
            raise ValueError("\n".join(problems))
        return self

    def contact_of(self, owner: str) -> OwnerContact | None:
        """Return the contact of an owner named in the sheet, ignoring case and spaces.

        ``" ana  LIMA"`` in the sheet finds the entry ``Ana Lima``, and so do
        ``Ana Lima`` followed by an invisible direction mark and ``王\u3000芳``
        (an ideographic space) for ``王芳``. Names are compared by
        :func:`rules.text_forms.owner_key`, as digests group owners.
        """
        entry = self.entry_of(owner)
        return None if entry is None else self.owners[entry]

    def entry_of(self, owner: str) -> str | None:
        """Return the name under ``owners`` that matches an owner of the sheet."""
        key = owner_key(owner)
        for name in self.owners:
            if owner_key(name) == key:
                return name
        return None


class Pipeline(StrictModel):
    """A complete pipeline definition."""

    name: NonBlankText
    source: SourceConfig
    columns: dict[str, ColumnSpec]
    stages: list[Stage] = Field(min_length=2)
    transitions: TransitionPolicy = TransitionPolicy()
    followups: FollowupPolicy = FollowupPolicy()
    allowed: dict[str, AllowedValues] = Field(default_factory=dict)
    outputs: Outputs = Outputs()
    metrics: MetricsSettings = MetricsSettings()
    timezone: str = "UTC"
    date_order: DateOrder = DateOrder.DMY
    schedule: Schedule | None = None
    notifications: Notifications | None = None

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        check_time_zone(value)
        return value

    @model_validator(mode="before")
    @classmethod
    def _take_schedule_time_zone(cls, data: Any) -> Any:
        # Without a top-level timezone, the schedule's zone is the zone of the
        # day too, so a run at 07:00 in Taipei checks the Taipei day. An
        # invalid schedule.timezone is left for that key's own error.
        if not isinstance(data, dict) or "timezone" in data:
            return data
        schedule = data.get("schedule")
        if isinstance(schedule, Schedule):
            zone = schedule.timezone
        elif isinstance(schedule, dict):
            zone = schedule.get("timezone")
        else:
            zone = None
        if not isinstance(zone, str) or not is_time_zone(zone):
            return data
        return {**data, "timezone": zone}

    @model_validator(mode="after")
    def _check_references(self) -> Pipeline:
        # Collect every problem, so a user fixes them in one pass. Each line
        # starts with the key path it is about.
        problems = [
            *_check_key_fields_mapped(self.columns),
            *check_field_names(self.columns, KNOWN_FIELD_TYPES),
            *check_field_types(self.columns, KNOWN_FIELD_TYPES),
            *_check_unique_aliases(self.columns),
            *_check_unique_stage_names(self.stages),
            *_check_outcomes(self.stages),
            *_check_open_stages_first(self.stages),
            *_check_tab_names(self.outputs.tabs, self.source),
            *check_review_tab_name(
                self.outputs.tabs.review, excel=self.source.kind is SourceKind.EXCEL
            ),
            *_check_allowed_list_tabs(self.allowed, self.outputs.tabs),
            *_check_no_allowed_stages(self.allowed),
            *_check_id_fill(self.columns, self.source),
        ]
        # A known field whose key has a typo is reported once, at that key,
        # not again wherever the definition names the field.
        renamed = set(find_field_typos(self.columns, KNOWN_FIELD_TYPES).values())
        for index, stage in enumerate(self.stages):
            path = f"stages[{index}] ({stage.name!r})"
            problems += _check_closed_stage_options(stage, path)
            problems += _check_fields_known(
                stage.required, self.columns, f"{path}.required", renamed
            )
            problems += _check_fields_known(
                stage.reached_if_filled,
                self.columns,
                f"{path}.reached_if_filled",
                renamed,
            )
        problems += _check_fields_known(
            list(self.allowed), self.columns, "allowed", renamed
        )
        problems += _check_fields_known(
            self.outputs.group_by, self.columns, "outputs.group_by", renamed
        )
        problems += check_needed_fields_mapped(self, renamed)

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


def _check_key_fields_mapped(columns: dict[str, ColumnSpec]) -> list[str]:
    examples = {ID_FIELD: "Deal ID", STAGE_FIELD: "Stage"}
    return [
        f"columns: the {field!r} field is missing; every definition maps it, "
        f"for example '{field}: {{aliases: [{example}]}}'"
        for field, example in examples.items()
        if field not in columns
    ]


def _check_id_fill(columns: dict[str, ColumnSpec], source: SourceConfig) -> list[str]:
    problems = [
        f"columns{key_path_part(field)}.fill: only the {ID_FIELD!r} column can be "
        f"filled; move 'fill' under columns.{ID_FIELD} or delete it"
        for field, spec in columns.items()
        if field != ID_FIELD and spec.fill is not None
    ]
    id_spec = columns.get(ID_FIELD)
    # TODO: fill blank IDs in Google Sheets too, through the same batch as the
    # status cells. Until then the setting is rejected there.
    if (
        id_spec is not None
        and id_spec.fill is not None
        and source.kind is SourceKind.GOOGLE_SHEETS
    ):
        problems.append(
            f"columns.{ID_FIELD}.fill: filling blank IDs works only for Excel "
            "workbooks (source.kind: excel) for now, and this definition reads "
            "Google Sheets; delete 'fill' and type the missing IDs in the sheet"
        )
    return problems


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
                    f"alias of the field {owner!r}; a header can name only one field, "
                    "so delete it from one of the two"
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
                    "and alias must be unique, so rename or delete one of them"
                )
    return problems


def _label_key(label: str) -> str:
    # The folding of header matching in rules: NFKC, spaces, case, and no
    # invisible format characters, so labels match sheet cells the same way.
    return fold_text(label)


def _check_tab_names(tabs: TabNames, source: SourceConfig) -> list[str]:
    # The Excel writer rejects these names too, but only after the whole run.
    problems = _check_rules_tab_name(source)
    first_users = {source.tab.casefold(): "source.tab"}
    if source.rules_tab is not None:
        first_users.setdefault(source.rules_tab.casefold(), "source.rules_tab")
    for key, name in tabs.model_dump(exclude={"review"}).items():
        path = f"outputs.tabs.{key}"
        problem = tab_name_problem(name, excel=source.kind is SourceKind.EXCEL)
        if problem is not None:
            problems.append(
                f"{path}: invalid value {name!r}; the tab name cannot be used "
                f"because {problem}. Choose another name."
            )
            continue

        first = first_users.setdefault(name.casefold(), path)
        if first == "source.tab":
            problems.append(
                f"{path}: the tab {name!r} is the pipeline tab named in source.tab, "
                "and pipesheet never overwrites the deals; choose another name"
            )
        elif first == "source.rules_tab":
            problems.append(
                f"{path}: the tab {name!r} is the Rules tab named in "
                "source.rules_tab, which pipesheet only reads; choose another name"
            )
        elif first != path:
            problems.append(
                f"{path}: the tab {name!r} is also the tab of {first} (case is "
                "ignored), so one would overwrite the other; give each its own name"
            )
    return problems


def _check_rules_tab_name(source: SourceConfig) -> list[str]:
    rules_tab = source.rules_tab
    if rules_tab is None or rules_tab.casefold() != source.tab.casefold():
        return []
    return [
        (
            f"source.rules_tab: the tab {rules_tab!r} is the pipeline tab named in "
            "source.tab (case is ignored); name the tab that contains the settings "
            "and stage table, such as 'Rules'"
        )
    ]


def _check_allowed_list_tabs(
    allowed: dict[str, AllowedValues], tabs: TabNames
) -> list[str]:
    # A generated tab is rewritten on every run, so a value added to it is lost.
    named = tabs.model_dump(exclude={"review"}).items()
    generated = {name.casefold(): key for key, name in named}
    problems: list[str] = []
    for field, spec in allowed.items():
        if spec.from_tab is None:
            continue
        tab = spec.from_tab.tab
        key = generated.get(tab.casefold())
        if key is not None:
            problems.append(
                f"allowed.{field}.from_tab.tab: the tab {tab!r} is the generated "
                f"tab of outputs.tabs.{key} (case is ignored), which pipesheet "
                "rewrites on every run; name a tab of your own that lists the "
                "allowed values"
            )
    return problems


def _check_no_allowed_stages(allowed: dict[str, AllowedValues]) -> list[str]:
    # The stage column is checked against the stage names and aliases, and
    # the checks skip an allowed list for it.
    if STAGE_FIELD not in allowed:
        return []
    return [
        (
            f"allowed.{STAGE_FIELD}: the stage column takes the names and aliases "
            "listed under 'stages', so an allowed list for it would be ignored; "
            "delete this entry, and add any other spelling to the 'aliases' of "
            "its stage"
        )
    ]


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


def _check_open_stages_first(stages: list[Stage]) -> list[str]:
    # The funnel counts a deal as having reached every stage listed before its
    # own, so an open stage after the won stage would count its deals as won.
    # A lost stage is no step of the funnel and may be listed anywhere.
    won = [index for index, stage in enumerate(stages) if stage.outcome is Outcome.WON]
    if not won:
        return []
    first_won = stages[won[0]]
    return [
        f"stages[{index}] ({stage.name!r}): this open stage is listed after the "
        f"won stage stages[{won[0]}] ({first_won.name!r}), and the funnel counts "
        "a deal as having reached every stage listed before its own; list every "
        "open stage before the won stages"
        for index, stage in enumerate(stages)
        if index > won[0] and stage.outcome is Outcome.OPEN
    ]


def _check_closed_stage_options(stage: Stage, path: str) -> list[str]:
    # The follow-up checks skip closed deals, so next_step_required would do
    # nothing there, and idle_days would tell a rep to move a won deal forward.
    if stage.outcome is Outcome.OPEN:
        return []
    options = []
    if stage.idle_days is not None:
        options.append("idle_days")
    if stage.next_step_required:
        options.append("next_step_required")
    problems = [
        f"{path}.{option}: this option applies to open stages only, and this "
        f"stage has 'outcome: {stage.outcome.value}'; delete it"
        for option in options
    ]

    if stage.outcome is Outcome.LOST and stage.reached_if_filled:
        problems.append(
            f"{path}.reached_if_filled: a lost stage is not a step of the funnel, "
            "so no deal is counted as reaching it; move the fields to the open "
            "or won stage they show a deal reached, or delete the option"
        )
    return problems


def _check_fields_known(
    fields: list[str],
    columns: dict[str, ColumnSpec],
    where: str,
    renamed: set[str],
) -> list[str]:
    problems: list[str] = []
    for field in fields:
        if field in columns or field in renamed:
            continue
        message = f"{where}: the field {field!r} is not in columns"
        nearest = closest_match(field, columns)
        add = "Add"
        if nearest is not None:
            message += f"; did you mean {nearest!r}?"
            add = "Otherwise add"
        else:
            message += "."
        problems.append(
            f"{message} Mapped fields: {', '.join(sorted(columns))}. "
            f"{add} {field!r} under columns with the header aliases of its "
            f"column, or remove it from {where}"
        )
    return problems


def check_email_address(address: str) -> None:
    """Check that ``address`` looks like a plain e-mail address, ``name@host``.

    The check is loose on purpose, because the SMTP server decides what it
    accepts. It catches a name or a URL typed into the wrong key.

    :raises ValueError: the text has no single ``@`` between a name and a host
        name, such as ``example.com``.
    """
    name, at, host = address.partition("@")
    if at and name and is_host_name(host) and not any(c.isspace() for c in address):
        return
    raise ValueError(
        f"invalid e-mail address {address!r}; expected an address such as "
        "'ana.lima@example.com'"
    )


def _check_unique_channel_ids(
    channels: list[EmailChannel | WebhookChannel],
) -> list[str]:
    problems: list[str] = []
    first_users: dict[str, int] = {}
    for index, channel in enumerate(channels):
        first = first_users.setdefault(channel.id, index)
        if first != index:
            problems.append(
                f"channels[{index}].id: the id {channel.id!r} is already used by "
                f"channels[{first}]; give each channel its own id"
            )
    return problems


def _check_unique_owner_names(owners: dict[str, OwnerContact]) -> list[str]:
    # Owners are matched to the sheet ignoring case and spacing, so two entries
    # that differ only there would claim the same deals.
    problems: list[str] = []
    first_names: dict[str, str] = {}
    for name in owners:
        if not owner_key(name):
            # A blank name would match the deals whose owner cell is empty.
            problems.append(
                f"owners{key_path_part(name)}: invalid owner name {name!r}; "
                "expected the name as the owner column writes it, with at least "
                "one character that is not a space"
            )
            continue
        first = first_names.setdefault(owner_key(name), name)
        if first != name:
            problems.append(
                f"owners{key_path_part(name)}: the name matches {first!r} (case "
                "and spaces are ignored); merge the two entries"
            )
    return problems


def _check_contact_channels(
    contact: OwnerContact, channels: list[EmailChannel | WebhookChannel], path: str
) -> list[str]:
    webhook_ids = [c.id for c in channels if isinstance(c, WebhookChannel)]
    problems: list[str] = []
    for webhook in contact.webhooks:
        if webhook in webhook_ids:
            continue
        message = f"{path}.webhooks: {webhook!r} is not the id of a webhook channel"
        nearest = closest_match(webhook, webhook_ids)
        if nearest is not None:
            message += f"; did you mean {nearest!r}?"
        elif webhook_ids:
            message += f"; webhook channels: {', '.join(webhook_ids)}"
        else:
            message += "; add a channel with 'kind: webhook' and that id"
        problems.append(message)

    has_email_channel = any(isinstance(c, EmailChannel) for c in channels)
    if contact.email is not None and not has_email_channel:
        problems.append(
            f"{path}.email: no channel sends e-mail; add a channel with "
            "'kind: email' or delete the address"
        )
    return problems
