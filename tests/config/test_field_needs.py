"""Tests of options that read a field: without it mapped they would do nothing."""

from __future__ import annotations

import re
from enum import StrEnum

import pytest

from config.field_needs import (
    DefaultFieldUse,
    FieldNeed,
    find_default_field_uses,
    find_field_needs,
)
from config.loader import parse_pipeline
from config.models import Pipeline
from tests.config.test_definition_reference import collect_keys
from tests.config.test_models import definition, problems, stages


def fix_of(field: str) -> str:
    return (
        f"but the field {field!r} is not mapped under columns, so it would do "
        f"nothing. Map {field!r} under columns with the header aliases of its "
        "column, or delete the option"
    )


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        (
            {"followups": {"require_next_step_date": True}},
            "followups.require_next_step_date: this option asks open deals for a "
            "next-step date, " + fix_of("next_step_date"),
        ),
        (
            {
                "stages": stages(
                    {"name": "Lead", "next_step_required": True},
                    {"name": "Won", "outcome": "won"},
                )
            },
            "stages[0] ('Lead').next_step_required: this option asks open deals "
            "for a next-step date, " + fix_of("next_step_date"),
        ),
        (
            {"followups": {"due_soon_days": 5}},
            "followups.due_soon_days: this option lists the next steps due within "
            "this many days as due soon, " + fix_of("next_step_date"),
        ),
        (
            {"metrics": {"win_rate_days": 90}},
            "metrics.win_rate_days: this option counts the deals that closed in "
            "the period by their close date, " + fix_of("close_date"),
        ),
        (
            {
                "notifications": {
                    "owners": {"Ana": {"email": "ana@example.com"}},
                    "channels": [
                        {
                            "kind": "email",
                            "smtp_host": "smtp.example.com",
                            "from_address": "pipesheet@example.com",
                        }
                    ],
                },
            },
            "notifications.owners: this option sends each owner a digest of the "
            "deals in the owner column, " + fix_of("owner"),
        ),
    ],
    ids=[
        "require-next-step",
        "stage-next-step",
        "due-soon-days",
        "win-rate-days",
        "owner-digests",
    ],
)
def test_option_without_its_field_rejected(
    changes: dict[str, object], line: str
) -> None:
    data = definition(**changes)
    data["columns"] = {
        "id": {"aliases": ["Deal ID"]},
        "stage": {"aliases": ["Stage"]},
    }

    assert problems(data) == [line]


@pytest.mark.parametrize("mark", ["snooze_until", "acknowledged"])
def test_followup_mark_without_next_step_date_rejected(mark: str) -> None:
    data = definition()
    data["columns"] = {
        "id": {"aliases": ["Deal ID"]},
        "stage": {"aliases": ["Stage"]},
        mark: {"aliases": ["Mark"]},
    }

    assert problems(data) == [
        f"columns.{mark}: this option silences the follow-ups of the next-step "
        "date column, " + fix_of("next_step_date")
    ]


def test_default_next_step_rule_needs_no_field() -> None:
    # require_next_step_date is true by default, also without follow-ups.
    pipeline = parse_pipeline(definition(), origin="team.yaml")

    assert "next_step_date" not in pipeline.columns


def test_misspelled_field_key_reported_once() -> None:
    data = definition(
        followups={"require_next_step_date": True},
        metrics={"win_rate_days": 90},
    )
    data["columns"] = {
        "id": {"aliases": ["Deal ID"]},
        "stage": {"aliases": ["Stage"]},
        "follow_up_date": {"aliases": ["Follow-up"]},
        "closing_date": {"aliases": ["Closing"]},
    }

    assert [line.split(":")[0] for line in problems(data)] == [
        "columns.follow_up_date",
        "columns.closing_date",
    ]


class Coverage(StrEnum):
    """How a sheet without the column of a field that a key reads gets noticed."""

    NEED = "find_field_needs returns it: the model, doctor and runs report it"
    REQUIRED = "the run stops and names the field"
    USED = "doctor warns that a field it checks or groups by has no column"
    HISTORY = "the stage history of recorded runs stands in for the column"


# Every key of a definition that makes pipesheet read a mapped field. A key
# added to the model must go here or into KEYS_READING_NO_FIELD.
FIELD_READING_KEYS = {
    "stages[].required": Coverage.REQUIRED,
    "columns.<field>.required": Coverage.REQUIRED,
    "stages[].reached_if_filled": Coverage.NEED,
    "stages[].next_step_required": Coverage.NEED,
    "followups.require_next_step_date": Coverage.NEED,
    "followups.due_soon_days": Coverage.NEED,
    "metrics.win_rate_days": Coverage.NEED,
    "notifications.owners": Coverage.NEED,
    "allowed": Coverage.USED,
    "outputs.group_by": Coverage.NEED,
    "stages[].idle_days": Coverage.HISTORY,
}
KEYS_READING_NO_FIELD = {
    # Sections, which contain the keys listed apart.
    *("columns", "stages", "followups", "metrics", "notifications", "outputs"),
    *("source", "transitions", "schedule", "outputs.tabs", "allowed.<field>.from_tab"),
    # The columns map defines the fields. Its snooze_until and acknowledged
    # fields read the next-step date, as
    # test_followup_mark_without_next_step_date_rejected checks.
    *("columns.<field>.aliases", "columns.<field>.type"),
    # fill writes into the id column, which every run needs anyway.
    *("columns.<field>.fill", "columns.<field>.fill.prefix"),
    "columns.<field>.fill.digits",
    *("name", "timezone", "date_order"),
    *("source.kind", "source.path", "source.spreadsheet", "source.credentials"),
    *("source.tab", "source.header_row", "source.rules_tab"),
    *("stages[].name", "stages[].aliases", "stages[].outcome"),
    # A stage's probability is used for a deal whose probability cell is blank.
    "stages[].probability",
    *("transitions.allow_skips", "transitions.allow_moves_back"),
    *("allowed.<field>.values", "allowed.<field>.from_tab.tab"),
    *("allowed.<field>.from_tab.column", "allowed.<field>.ignore_case"),
    *("outputs.status_header", "outputs.locale", "outputs.highlight_rows"),
    *("outputs.tabs.funnel", "outputs.tabs.followups", "outputs.tabs.problems"),
    *("outputs.tabs.definitions", "outputs.tabs.stage_log", "outputs.tabs.review"),
    *("schedule.cron", "schedule.timezone"),
    *("notifications.digest_hour", "notifications.channels"),
    *("notifications.owners.<name>.email", "notifications.owners.<name>.webhooks"),
    "notifications.manager_digest_to",
    "notifications.manager_digest_to.email",
    "notifications.manager_digest_to.webhooks",
    *(
        f"notifications.channels[].{key}"
        for key in (
            *("kind", "id", "smtp_host", "smtp_port", "starttls", "from_address"),
            *("username_env", "password_env", "to", "url", "format", "secret_env"),
        )
    ),
}
EMAIL_CHANNEL = {
    "kind": "email",
    "smtp_host": "smtp.example.com",
    "from_address": "pipesheet@example.com",
}
# A definition that sets each NEED key, with every field it reads mapped.
NEED_CASES: dict[str, dict[str, object]] = {
    "stages[].reached_if_filled": {
        "stages": stages(
            {"name": "Lead"},
            {"name": "Demo", "reached_if_filled": ["created_date"]},
            {"name": "Won", "outcome": "won"},
        )
    },
    "stages[].next_step_required": {
        "stages": stages(
            {"name": "Lead", "next_step_required": True},
            {"name": "Won", "outcome": "won"},
        )
    },
    "followups.require_next_step_date": {"followups": {"require_next_step_date": True}},
    "followups.due_soon_days": {"followups": {"due_soon_days": 5}},
    "metrics.win_rate_days": {"metrics": {"win_rate_days": 90}},
    "outputs.group_by": {"outputs": {"group_by": ["created_date"]}},
    "notifications.owners": {
        "notifications": {
            "owners": {"Ana": {"email": "ana@example.com"}},
            "channels": [EMAIL_CHANNEL],
        }
    },
}
ALL_FIELDS = {
    "id": {"aliases": ["Deal ID"]},
    "stage": {"aliases": ["Stage"]},
    "owner": {"aliases": ["Owner"]},
    "created_date": {"aliases": ["Created"]},
    "close_date": {"aliases": ["Close Date"]},
    "next_step_date": {"aliases": ["Next Step Date"]},
}


def test_every_definition_key_classified() -> None:
    paths, _choices = collect_keys(Pipeline)

    assert set(FIELD_READING_KEYS) & KEYS_READING_NO_FIELD == set()
    assert paths - set(FIELD_READING_KEYS) - KEYS_READING_NO_FIELD == set()
    assert (set(FIELD_READING_KEYS) | KEYS_READING_NO_FIELD) - paths == set()


def test_every_need_key_has_case() -> None:
    need_keys = {
        key for key, coverage in FIELD_READING_KEYS.items() if coverage is Coverage.NEED
    }

    assert set(NEED_CASES) == need_keys


@pytest.mark.parametrize("key", sorted(NEED_CASES), ids=sorted(NEED_CASES))
def test_field_reading_key_is_a_need(key: str) -> None:
    data = definition(**NEED_CASES[key])
    data["columns"] = ALL_FIELDS
    pipeline = parse_pipeline(data, origin="team.yaml")

    options = {
        re.sub(r"\[\d+\] \('[^']*'\)", "[]", need.option)
        for need in find_field_needs(pipeline)
    }
    assert key in options


def test_reached_if_filled_field_is_a_need() -> None:
    data = definition(
        stages=stages(
            {"name": "Lead"},
            {"name": "Demo", "reached_if_filled": ["created_date", "created_date"]},
            {"name": "Won", "outcome": "won"},
        )
    )
    data["columns"] = ALL_FIELDS
    pipeline = parse_pipeline(data, origin="team.yaml")

    assert find_field_needs(pipeline) == [
        FieldNeed(
            "stages[1] ('Demo').reached_if_filled",
            "created_date",
            "counts a deal with 'created_date' filled as having reached stage "
            "'Demo' in the funnel",
            "no deal counts as reaching the stage by that field",
        )
    ]


def test_unmapped_reached_if_filled_reported_once() -> None:
    # The model names the unmapped field where the stage lists it.
    data = definition(
        stages=stages(
            {"name": "Lead"},
            {"name": "Demo", "reached_if_filled": ["demo_date"]},
            {"name": "Won", "outcome": "won"},
        )
    )

    assert [line.split(":")[0] for line in problems(data)] == [
        "stages[1] ('Demo').reached_if_filled"
    ]


FOLLOWUP_CHECKS = "the follow-up checks"
OWNER_READERS = "the Follow-ups tab and the owner breakdown of the Funnel tab"


@pytest.mark.parametrize(
    ("followups", "uses"),
    [
        (
            {},
            [
                DefaultFieldUse(
                    "next_step_date",
                    FOLLOWUP_CHECKS,
                    "none runs: no open deal is asked for a next-step date or found "
                    "overdue or due soon",
                ),
                DefaultFieldUse(
                    "owner", OWNER_READERS, "they list every deal under a blank owner"
                ),
            ],
        ),
        (
            {"require_next_step_date": False},
            [
                DefaultFieldUse(
                    "next_step_date",
                    FOLLOWUP_CHECKS,
                    "none runs: no open deal is found overdue or due soon",
                ),
                DefaultFieldUse(
                    "owner", OWNER_READERS, "they list every deal under a blank owner"
                ),
            ],
        ),
        (
            {"require_next_step_date": True},
            [
                DefaultFieldUse(
                    "owner", OWNER_READERS, "they list every deal under a blank owner"
                ),
            ],
        ),
    ],
    ids=["defaults", "no-next-step-asked", "set-in-file"],
)
def test_default_field_uses_of_mapped_fields(
    followups: dict[str, object], uses: list[DefaultFieldUse]
) -> None:
    # A next-step rule set in the file is a need of its own, not a default.
    data = definition(followups=followups)
    data["columns"] = ALL_FIELDS
    pipeline = parse_pipeline(data, origin="team.yaml")

    assert find_default_field_uses(pipeline) == uses


def test_unmapped_fields_have_no_default_use() -> None:
    data = definition()
    data["columns"] = {
        "id": {"aliases": ["Deal ID"]},
        "stage": {"aliases": ["Stage"]},
    }
    pipeline = parse_pipeline(data, origin="team.yaml")

    assert find_default_field_uses(pipeline) == []


def test_group_by_field_is_a_need() -> None:
    data = definition(outputs={"group_by": ["created_date", "created_date"]})
    data["columns"] = ALL_FIELDS
    pipeline = parse_pipeline(data, origin="team.yaml")

    assert find_field_needs(pipeline) == [
        FieldNeed(
            "outputs.group_by",
            "created_date",
            "breaks the Funnel tab's figures down by 'created_date'",
            "the breakdown has one blank group that contains every deal",
            "'created_date' from outputs.group_by",
        )
    ]
