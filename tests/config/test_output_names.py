"""Tests of the tab names and schedule a definition is checked for when loaded."""

from __future__ import annotations

import pytest

from config.loader import parse_pipeline
from tests.config.test_models import definition, problems

EXCEL_SOURCE = {"kind": "excel", "tab": "Deals"}
SHEETS_SOURCE = {"kind": "google_sheets", "spreadsheet": "abc", "tab": "Deals"}


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Fun/nel:[1]", "Excel does not allow '/:[]' in tab names"),
        (
            "Funnel of the whole sales team 2025",
            "it is 35 characters long and Excel allows 31",
        ),
        (
            "F" * 30 + "\U0001f4c8",
            (
                "it is 32 characters long (Excel counts an emoji or other "
                "character beyond U+FFFF as two) and Excel allows 31"
            ),
        ),
        ("History", "Excel reserves it for its change history"),
        ("'Funnel'", "Excel does not allow an apostrophe at its start or end"),
        ("  ", "it is empty"),
    ],
    ids=["characters", "length", "emoji-length", "reserved", "apostrophe", "blank"],
)
def test_excel_tab_name_rejected(name: str, reason: str) -> None:
    data = definition(source=EXCEL_SOURCE, outputs={"tabs": {"funnel": name}})

    assert problems(data) == [
        (
            f"outputs.tabs.funnel: invalid value {name!r}; the tab name cannot be "
            f"used because {reason}. Choose another name."
        )
    ]


def test_sheets_tab_name_follows_google_rules() -> None:
    name = "Funnel/2025 of the whole sales team"
    data = definition(source=SHEETS_SOURCE, outputs={"tabs": {"funnel": name}})

    assert parse_pipeline(data, origin="team.yaml").outputs.tabs.funnel == name


def test_sheets_blank_tab_name_rejected() -> None:
    data = definition(source=SHEETS_SOURCE, outputs={"tabs": {"stage_log": " "}})

    assert problems(data) == [
        (
            "outputs.tabs.stage_log: invalid value ' '; the tab name cannot be used "
            "because it is empty. Choose another name."
        )
    ]


@pytest.mark.parametrize(
    "source", [EXCEL_SOURCE, SHEETS_SOURCE], ids=["excel", "sheets"]
)
def test_tab_name_with_outer_spaces_rejected(source: dict[str, str]) -> None:
    data = definition(source=source, outputs={"tabs": {"funnel": "  Funnel "}})

    assert problems(data) == [
        (
            "outputs.tabs.funnel: invalid value '  Funnel '; the tab name cannot be "
            "used because it starts or ends with a space, so it looks like 'Funnel' "
            "but is another tab. Choose another name."
        )
    ]


def test_tab_name_with_invisible_character_rejected() -> None:
    data = definition(outputs={"tabs": {"problems": "Problems\u200b"}})

    assert problems(data) == [
        (
            "outputs.tabs.problems: invalid value 'Problems\\u200b'; the tab name "
            "cannot be used because it holds invisible characters, so it looks like "
            "'Problems' but is another tab. Choose another name."
        )
    ]


def test_two_outputs_one_tab_rejected() -> None:
    data = definition(outputs={"tabs": {"funnel": "problems"}})

    assert problems(data) == [
        (
            "outputs.tabs.problems: the tab 'Problems' is also the tab of "
            "outputs.tabs.funnel (case is ignored), so one would overwrite the "
            "other; give each its own name"
        )
    ]


def test_output_named_as_pipeline_tab_rejected() -> None:
    data = definition(outputs={"tabs": {"definitions": "DEALS"}})

    assert problems(data) == [
        (
            "outputs.tabs.definitions: the tab 'DEALS' is the pipeline tab named in "
            "source.tab, and pipesheet never overwrites the deals; choose another name"
        )
    ]


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("Review", "it has no {month}, so every month's review would get one name"),
        (
            "Review {{month}}",
            "it has no {month}, so every month's review would get one name",
        ),
        (
            "Review {month} {team}",
            "it has braces other than {month}; write {{ and }} for a brace in the name",
        ),
        ("Review {month}?", "Excel does not allow '?' in tab names"),
        (
            "Monthly review of the team {month}",
            "it is 34 characters long and Excel allows 31",
        ),
        (
            "Review {month} ",
            (
                "it starts or ends with a space, so it looks like 'Review 2025-12' "
                "but is another tab"
            ),
        ),
    ],
    ids=[
        "no-month",
        "escaped-month",
        "other-field",
        "characters",
        "length",
        "outer-space",
    ],
)
def test_review_tab_name_rejected(template: str, reason: str) -> None:
    data = definition(source=EXCEL_SOURCE, outputs={"tabs": {"review": template}})

    assert problems(data) == [
        (
            f"outputs.tabs.review: invalid value {template!r}; the tab name cannot "
            f"be used because {reason}. Choose another name."
        )
    ]


def test_review_tab_name_accepted() -> None:
    data = definition(outputs={"tabs": {"review": "East {month} {{Review}}"}})

    tabs = parse_pipeline(data, origin="team.yaml").outputs.tabs
    assert tabs.review == "East {month} {{Review}}"


@pytest.mark.parametrize(
    ("cron", "reason"),
    [
        (
            "61 7 * * *",
            "the minute field '61' is invalid; expected a minute from 0 to 59",
        ),
        ("0 25 * * *", "the hour field '25' is invalid; expected an hour from 0 to 23"),
        ("0 7 0 * *", "the day field '0' is invalid; expected a day from 1 to 31"),
        (
            "0 7 * 13 *",
            "the month field '13' is invalid; expected a month from 1 to 12",
        ),
        ("every day", "it has 2 fields"),
        ("daily", "it has 1 field"),
        (
            "@daily",
            'pipesheet does not read cron shorthands; write "0 0 * * *" instead',
        ),
        (
            "@Weekly",
            'pipesheet does not read cron shorthands; write "0 0 * * 0" instead',
        ),
        ("0 7 * *", "it has 4 fields"),
        ("0 0 7 * * 1-5", "it has 6 fields"),
        (
            "0 7 * * 1-9",
            (
                "the weekday field '1-9' is invalid; expected a weekday from 0 to 7 "
                "(0 and 7 are Sunday) or from sun to sat"
            ),
        ),
        (
            "0 7 * * mon-xyz",
            (
                "the weekday field 'mon-xyz' is invalid; expected a weekday from 0 "
                "to 7 (0 and 7 are Sunday) or from sun to sat"
            ),
        ),
    ],
    ids=[
        "minute-61",
        "hour-25",
        "day-0",
        "month-13",
        "words",
        "one-word",
        "daily-shorthand",
        "weekly-shorthand",
        "four-fields",
        "six-fields",
        "weekday-9",
        "weekday-name",
    ],
)
def test_bad_cron_rejected(cron: str, reason: str) -> None:
    data = definition(schedule={"cron": cron})

    assert problems(data) == [
        (
            f"schedule.cron: invalid value {cron!r}; {reason}. A cron expression "
            "has five fields, minute hour day month weekday, such as "
            '"0 7 * * 1-5" for 07:00 on weekdays'
        )
    ]


@pytest.mark.parametrize(
    "cron",
    ["0 7 * * 1-5", "30 6 * * 0,7", "*/15 8-18 * * mon-fri", "0 9 1 * *"],
    ids=["weekdays", "sunday-numbers", "steps-and-names", "monthly"],
)
def test_cron_forms_accepted(cron: str) -> None:
    pipeline = parse_pipeline(definition(schedule={"cron": cron}), origin="t.yaml")

    assert pipeline.schedule is not None
    assert pipeline.schedule.cron == cron
