"""Tests for the rules a pipeline definition must follow, as users see them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from config.errors import DefinitionError
from config.loader import parse_pipeline
from config.models import FieldType, Pipeline


def definition(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Test pipeline",
        "source": {"tab": "Deals"},
        "columns": {
            "id": {"aliases": ["Deal ID"]},
            "stage": {"aliases": ["Stage"]},
            "owner": {"aliases": ["Owner"]},
            "amount": {"aliases": ["Amount"]},
        },
        "stages": [
            {"name": "Lead"},
            {"name": "Proposal"},
            {"name": "Won", "outcome": "won"},
            {"name": "Lost", "outcome": "lost"},
        ],
    }
    data.update(changes)
    return data


def stages(*entries: dict[str, object]) -> list[dict[str, object]]:
    return [dict(entry) for entry in entries]


def problems(data: dict[str, object]) -> list[str]:
    """Return the problem lines of the error ``parse_pipeline`` raises."""
    with pytest.raises(DefinitionError) as raised:
        parse_pipeline(data, origin="team.yaml")
    heading, *lines = str(raised.value).splitlines()
    assert heading.startswith("team.yaml: invalid pipeline definition (")
    return [line.removeprefix("  - ") for line in lines]


def test_valid_definition_accepted() -> None:
    pipeline = parse_pipeline(definition(), origin="team.yaml")

    assert [stage.name for stage in pipeline.open_stages] == ["Lead", "Proposal"]


@pytest.mark.parametrize(
    ("name", "line"),
    [
        (
            "Asia/Shangai",
            (
                "timezone: invalid value 'Asia/Shangai'; expected an IANA time zone "
                "name such as 'Europe/Berlin' or 'Asia/Shanghai'; did you mean "
                "'Asia/Shanghai'?"
            ),
        ),
        (
            "utc",
            (
                "timezone: invalid value 'utc'; expected an IANA time zone name such "
                "as 'Europe/Berlin' or 'Asia/Shanghai'; did you mean 'UTC'?"
            ),
        ),
        (
            "Pacific",
            (
                "timezone: invalid value 'Pacific'; expected an IANA time zone name "
                "such as 'Europe/Berlin' or 'Asia/Shanghai'; did you mean "
                "'America/Los_Angeles'?"
            ),
        ),
        (
            "../etc/passwd",
            (
                "timezone: invalid value '../etc/passwd'; expected an IANA time zone "
                "name such as 'Europe/Berlin' or 'Asia/Shanghai'"
            ),
        ),
        (
            "localtime",
            (
                "timezone: invalid value 'localtime'; expected an IANA time zone "
                "name such as 'Europe/Berlin' or 'Asia/Shanghai', because "
                "'localtime' is whatever zone the machine running pipesheet is set "
                "to, which can differ from the team's"
            ),
        ),
        (
            "Factory",
            (
                "timezone: invalid value 'Factory'; expected an IANA time zone name "
                "such as 'Europe/Berlin' or 'Asia/Shanghai'"
            ),
        ),
        (
            "right/Asia/Taipei",
            (
                "timezone: invalid value 'right/Asia/Taipei'; expected an IANA time "
                "zone name such as 'Europe/Berlin' or 'Asia/Shanghai'; did you mean "
                "'Asia/Taipei'?"
            ),
        ),
        (
            "CST",
            (
                "timezone: invalid value 'CST'; expected an IANA time zone name such "
                "as 'Europe/Berlin' or 'Asia/Shanghai'; 'CST' is an abbreviation, "
                "did you mean 'America/Chicago' or 'Asia/Shanghai'?"
            ),
        ),
        (
            "UTC+8",
            (
                "timezone: invalid value 'UTC+8'; expected an IANA time zone name "
                "such as 'Europe/Berlin' or 'Asia/Shanghai'; write the zone of a city "
                "at that offset, such as 'Asia/Shanghai' or 'Asia/Hong_Kong', which "
                "follows its daylight saving changes, or 'Etc/GMT-8' for the fixed "
                "offset (Etc zones count the other way round)"
            ),
        ),
        (
            "Z",
            (
                "timezone: invalid value 'Z'; expected an IANA time zone name such "
                "as 'Europe/Berlin' or 'Asia/Shanghai'; did you mean 'UTC'?"
            ),
        ),
        (
            "Asia/Beijing",
            (
                "timezone: invalid value 'Asia/Beijing'; expected an IANA time zone "
                "name such as 'Europe/Berlin' or 'Asia/Shanghai'; did you mean "
                "'Asia/Shanghai'?"
            ),
        ),
        (
            "China Standard Time",
            (
                "timezone: invalid value 'China Standard Time'; expected an IANA "
                "time zone name such as 'Europe/Berlin' or 'Asia/Shanghai'; did you "
                "mean 'Asia/Shanghai'?"
            ),
        ),
    ],
    ids=[
        "misspelled",
        "wrong-case",
        "zone-folder",
        "path-outside",
        "machine-zone",
        "no-place",
        "leap-second-copy",
        "abbreviation",
        "utc-offset",
        "zulu",
        "city-sharing-a-zone",
        "windows-name",
    ],
)
def test_bad_time_zone_rejected(name: str, line: str) -> None:
    assert problems(definition(timezone=name)) == [line]


def test_schedule_time_zone_checked() -> None:
    data = definition(schedule={"cron": "0 8 * * 1-5", "timezone": "Europe/Berln"})

    assert problems(data) == [
        (
            "schedule.timezone: invalid value 'Europe/Berln'; expected an IANA time "
            "zone name such as 'Europe/Berlin' or 'Asia/Shanghai'; did you mean "
            "'Europe/Berlin'?"
        )
    ]


def test_known_time_zones_accepted() -> None:
    data = definition(
        timezone="Asia/Shanghai", schedule={"timezone": "America/New_York"}
    )

    pipeline = parse_pipeline(data, origin="team.yaml")

    assert pipeline.timezone == "Asia/Shanghai"


def test_schedule_time_zone_sets_day_zone() -> None:
    data = definition(schedule={"cron": "0 7 * * *", "timezone": "Asia/Taipei"})

    pipeline = parse_pipeline(data, origin="team.yaml")

    assert pipeline.timezone == "Asia/Taipei"


def test_default_time_zone_without_schedule_zone() -> None:
    data = definition(schedule={"cron": "0 7 * * *"})

    pipeline = parse_pipeline(data, origin="team.yaml")

    assert pipeline.timezone == "UTC"


def test_stage_name_reused_as_alias_rejected() -> None:
    data = definition(
        stages=stages(
            {"name": "Lead"},
            {"name": "Proposal", "aliases": ["Quote", " lead "]},
            {"name": "Won", "outcome": "won"},
        )
    )

    assert problems(data) == [
        (
            "stages[1] ('Proposal').aliases: the label ' lead ' is already used by "
            "stages[0] ('Lead'); each stage name and alias must be unique, "
            "so rename or delete one of them"
        )
    ]


def test_duplicate_stage_names_rejected() -> None:
    data = definition(
        stages=stages(
            {"name": "Lead"},
            {"name": "Won", "outcome": "won"},
            {"name": "WON", "outcome": "won"},
        )
    )

    assert problems(data) == [
        (
            "stages[2] ('WON').name: the label 'WON' is already used by stages[1] "
            "('Won'); each stage name and alias must be unique, "
            "so rename or delete one of them"
        )
    ]


def test_alias_repeating_own_name_rejected() -> None:
    data = definition(
        stages=stages(
            {"name": "Lead", "aliases": ["LEAD"]},
            {"name": "Won", "outcome": "won"},
        )
    )

    assert problems(data) == [
        (
            "stages[0] ('Lead').aliases: the alias 'LEAD' repeats this stage's name "
            "or another of its aliases; delete it"
        )
    ]


@pytest.mark.parametrize(
    ("stage_key", "line"),
    [
        (
            "required",
            (
                "stages[1] ('Proposal').required: the field 'amont' is not in "
                "columns; did you mean 'amount'? Mapped fields: amount, id, owner, "
                "stage. Otherwise add 'amont' under columns with the header aliases "
                "of its column, or remove it from stages[1] ('Proposal').required"
            ),
        ),
        (
            "reached_if_filled",
            (
                "stages[1] ('Proposal').reached_if_filled: the field 'amont' is not "
                "in columns; did you mean 'amount'? Mapped fields: amount, id, owner, "
                "stage. Otherwise add 'amont' under columns with the header aliases "
                "of its column, or remove it from "
                "stages[1] ('Proposal').reached_if_filled"
            ),
        ),
    ],
    ids=["required", "reached-if-filled"],
)
def test_stage_naming_unmapped_field_rejected(stage_key: str, line: str) -> None:
    data = definition(
        stages=stages(
            {"name": "Lead"},
            {"name": "Proposal", stage_key: ["owner", "amont"]},
            {"name": "Won", "outcome": "won"},
        )
    )

    assert problems(data) == [line]


def test_unmapped_field_without_near_match() -> None:
    data = definition(
        stages=stages(
            {"name": "Lead", "required": ["close_date"]},
            {"name": "Won", "outcome": "won"},
        )
    )

    assert problems(data) == [
        (
            "stages[0] ('Lead').required: the field 'close_date' is not in columns. "
            "Mapped fields: amount, id, owner, stage. Add 'close_date' under "
            "columns with the header aliases of its column, or remove it from "
            "stages[0] ('Lead').required"
        )
    ]


def test_allowed_and_group_by_fields_checked() -> None:
    data = definition(
        allowed={"ownr": {"values": ["Ana Lima"]}},
        outputs={"group_by": ["region"]},
    )

    assert problems(data) == [
        (
            "allowed: the field 'ownr' is not in columns; did you mean 'owner'? "
            "Mapped fields: amount, id, owner, stage. Otherwise add 'ownr' under "
            "columns with the header aliases of its column, or remove it from allowed"
        ),
        (
            "outputs.group_by: the field 'region' is not in columns. Mapped fields: "
            "amount, id, owner, stage. Add 'region' under columns with the header "
            "aliases of its column, or remove it from outputs.group_by"
        ),
    ]


def test_no_won_stage_rejected() -> None:
    data = definition(
        stages=stages({"name": "Lead"}, {"name": "Lost", "outcome": "lost"})
    )

    assert problems(data) == [
        "stages: no stage has 'outcome: won'; add it to the stage of signed deals"
    ]


def test_no_open_stage_rejected() -> None:
    data = definition(
        stages=stages(
            {"name": "Won", "outcome": "won"}, {"name": "Lost", "outcome": "lost"}
        )
    )

    assert problems(data) == [
        (
            "stages: every stage is closed; add at least one open stage (a stage "
            "without 'outcome' is open)"
        )
    ]


def test_single_stage_rejected() -> None:
    data = definition(stages=stages({"name": "Won", "outcome": "won"}))

    assert problems(data) == ["stages: has 1 item; expected at least 2 items"]


@pytest.mark.parametrize(
    ("field", "line"),
    [
        (
            "id",
            (
                "columns: the 'id' field is missing; every definition maps it, for "
                "example 'id: {aliases: [Deal ID]}'"
            ),
        ),
        (
            "stage",
            (
                "columns: the 'stage' field is missing; every definition maps it, "
                "for example 'stage: {aliases: [Stage]}'"
            ),
        ),
    ],
    ids=["id", "stage"],
)
def test_unmapped_key_field_rejected(field: str, line: str) -> None:
    data = definition()
    columns = data["columns"]
    assert isinstance(columns, dict)
    del columns[field]

    assert problems(data) == [line]


def test_header_claimed_by_two_fields_rejected() -> None:
    data = definition()
    columns = data["columns"]
    assert isinstance(columns, dict)
    columns["account"] = {"aliases": ["Account", "OWNER"]}

    assert problems(data) == [
        (
            "columns.account.aliases: the header 'OWNER' is also an alias of the field "
            "'owner'; a header can name only one field, "
            "so delete it from one of the two"
        )
    ]


def test_full_width_header_counts_as_same() -> None:
    data = definition()
    columns = data["columns"]
    assert isinstance(columns, dict)
    columns["account"] = {"aliases": ["ＯＷＮＥＲ"]}

    assert problems(data) == [
        (
            "columns.account.aliases: the header 'ＯＷＮＥＲ' is also an alias of the "
            "field 'owner'; a header can name only one field, "
            "so delete it from one of the two"
        )
    ]


def test_all_reference_problems_reported_together() -> None:
    data = definition(
        stages=stages(
            {"name": "Lead", "required": ["acount"]},
            {"name": "lead"},
        )
    )

    assert problems(data) == [
        (
            "stages[1] ('lead').name: the label 'lead' is already used by stages[0] "
            "('Lead'); each stage name and alias must be unique, "
            "so rename or delete one of them"
        ),
        "stages: no stage has 'outcome: won'; add it to the stage of signed deals",
        (
            "stages[0] ('Lead').required: the field 'acount' is not in columns; did "
            "you mean 'amount'? Mapped fields: amount, id, owner, stage. Otherwise "
            "add 'acount' under columns with the header aliases of its column, or "
            "remove it from stages[0] ('Lead').required"
        ),
    ]


@pytest.mark.parametrize(
    ("written", "stored"),
    [("auto", "auto"), ("Auto", "auto"), (3, 3), (3.0, 3), ("3", 3)],
    ids=["auto", "auto-capitalised", "number", "whole-float", "number-as-text"],
)
def test_header_row_forms_accepted(written: object, stored: object) -> None:
    data = definition(source={"tab": "Deals", "header_row": written})

    pipeline = parse_pipeline(data, origin="team.yaml")

    assert pipeline.source.header_row == stored


@pytest.mark.parametrize(
    ("written", "shown"),
    [(True, "true"), (0, "0"), (-1, "-1"), (2.5, "2.5"), ("first", "'first'")],
    ids=["boolean", "zero", "negative", "fraction", "word"],
)
def test_header_row_bad_forms_rejected(written: object, shown: str) -> None:
    data = definition(source={"tab": "Deals", "header_row": written})

    assert problems(data) == [
        (
            f"source.header_row: invalid value {shown}; expected the row number "
            "of the header (1 for the first row) or 'auto' to find it"
        )
    ]


@pytest.mark.parametrize(
    ("allowed", "line"),
    [
        (
            {},
            (
                "allowed.owner: expected one of 'values' (a list) or 'from_tab' (a "
                "tab and column), got neither"
            ),
        ),
        (
            {"values": ["Ana Lima"], "from_tab": {"tab": "Lists", "column": "Owner"}},
            (
                "allowed.owner: expected one of 'values' (a list) or 'from_tab' (a "
                "tab and column), got both; delete one"
            ),
        ),
    ],
    ids=["neither", "both"],
)
def test_allowed_list_needs_one_source(allowed: dict[str, object], line: str) -> None:
    assert problems(definition(allowed={"owner": allowed})) == [line]


def test_model_errors_raise_validation_error() -> None:
    with pytest.raises(ValidationError) as raised:
        Pipeline.model_validate(definition(timezone="Nowhere/Town"))

    assert raised.value.error_count() == 1


@pytest.mark.parametrize(
    ("field", "declared", "expected"),
    [
        ("amount", None, FieldType.AMOUNT),
        ("owner", None, FieldType.TEXT),
        ("amount", "amount", FieldType.AMOUNT),
        ("region", "number", FieldType.NUMBER),
    ],
    ids=[
        "known-field-default",
        "text-field-default",
        "known-field-own-type",
        "custom-field-declared",
    ],
)
def test_field_type_follows_declaration(
    field: str, declared: str | None, expected: FieldType
) -> None:
    data = definition()
    columns = data["columns"]
    assert isinstance(columns, dict)
    columns[field] = {"aliases": [field.title()], "type": declared}

    pipeline = parse_pipeline(data, origin="team.yaml")

    assert pipeline.field_type(field) is expected
