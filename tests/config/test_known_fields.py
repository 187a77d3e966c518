"""Tests for keys under ``columns:`` that look like known fields."""

from __future__ import annotations

import pytest

from config.errors import DefinitionError
from config.loader import parse_pipeline


def definition(columns: dict[str, object]) -> dict[str, object]:
    return {
        "name": "Test pipeline",
        "source": {"tab": "Deals"},
        "columns": {
            "id": {"aliases": ["Deal ID"]},
            "stage": {"aliases": ["Stage"]},
            **columns,
        },
        "stages": [{"name": "Lead"}, {"name": "Won", "outcome": "won"}],
    }


def problems(data: dict[str, object]) -> list[str]:
    with pytest.raises(DefinitionError) as raised:
        parse_pipeline(data, origin="team.yaml")
    _heading, *lines = str(raised.value).splitlines()
    return [line.removeprefix("  - ") for line in lines]


@pytest.mark.parametrize(
    ("key", "known"),
    [
        ("Owner", "owner"),
        ("next_stepdate", "next_step_date"),
        ("Next Step Date", "next_step_date"),
        ("close-date", "close_date"),
        ("probabilty", "probability"),
        ("ownr", "owner"),
    ],
    ids=["capital", "missing-underscore", "spaces", "dash", "missing-letter", "typo"],
)
def test_key_like_known_field_rejected(key: str, known: str) -> None:
    data = definition({key: {"aliases": ["Column"]}})

    assert problems(data) == [
        (
            f"columns.{key}: the key {key!r} looks like the known field "
            f"{known!r}, which is not mapped. Rename the key to {known!r}, or, "
            f"for a field of your own, choose a name less like {known!r}"
        )
    ]


@pytest.mark.parametrize(
    "key",
    ["region", "state", "country", "product_line", "deal_owner", "lead_source"],
    ids=["region", "state", "country", "product-line", "deal-owner", "lead-source"],
)
def test_custom_field_accepted(key: str) -> None:
    pipeline = parse_pipeline(definition({key: {"aliases": ["Column"]}}), "team.yaml")

    assert key in pipeline.columns


@pytest.mark.parametrize(
    "key",
    ["product_id", "account_id", "owner_name", "productCode", "close date planned"],
    ids=["product-id", "account-id", "owner-name", "camel-case", "spaced"],
)
def test_known_field_plus_word_accepted(key: str) -> None:
    pipeline = parse_pipeline(definition({key: {"aliases": ["Column"]}}), "team.yaml")

    assert key in pipeline.columns


@pytest.mark.parametrize(
    ("key", "known"),
    [("next_step_dates", "next_step_date"), ("stage_entered", "stage_entered_date")],
    ids=["typo-in-word", "missing-word"],
)
def test_known_field_plus_typo_rejected(key: str, known: str) -> None:
    data = definition({key: {"aliases": ["Column"]}})

    assert problems(data) == [
        (
            f"columns.{key}: the key {key!r} looks like the known field "
            f"{known!r}, which is not mapped. Rename the key to {known!r}, or, "
            f"for a field of your own, choose a name less like {known!r}"
        )
    ]


def test_key_near_mapped_field_accepted() -> None:
    data = definition(
        {"owner": {"aliases": ["Owner"]}, "owners": {"aliases": ["Co-owners"]}}
    )

    pipeline = parse_pipeline(data, origin="team.yaml")

    assert set(pipeline.columns) == {"id", "stage", "owner", "owners"}


@pytest.mark.parametrize(
    ("field", "declared", "expected"),
    [
        ("amount", "text", "amount"),
        ("next_step_date", "flag", "date"),
        ("id", "number", "text"),
    ],
    ids=["amount-as-text", "date-as-flag", "id-as-number"],
)
def test_known_field_type_override_rejected(
    field: str, declared: str, expected: str
) -> None:
    data = definition({field: {"aliases": ["Column"], "type": declared}})

    assert problems(data) == [
        (
            f"columns.{field}.type: invalid value {declared!r}; expected "
            f"{expected!r}, the fixed type of the known field {field!r}. Delete "
            "'type', or map the column under a name of your own to read it as "
            f"{declared!r}"
        )
    ]


def test_misspelled_key_reported_once() -> None:
    # The stages, allowed lists and group_by name 'owner'; the one cause is the key.
    data = definition({"Owner": {"aliases": ["Owner"]}})
    data["stages"] = [
        {"name": "Lead", "required": ["owner"]},
        {"name": "Won", "outcome": "won", "reached_if_filled": ["owner"]},
    ]
    data["allowed"] = {"owner": {"values": ["Ana"]}}
    data["outputs"] = {"group_by": ["owner"]}

    assert problems(data) == [
        (
            "columns.Owner: the key 'Owner' looks like the known field 'owner', "
            "which is not mapped. Rename the key to 'owner', or, for a field of "
            "your own, choose a name less like 'owner'"
        )
    ]


@pytest.mark.parametrize(
    ("key", "known"),
    [
        ("created", "created_date"),
        ("created_on", "created_date"),
        ("close", "close_date"),
        ("closing_date", "close_date"),
        ("expected_close", "close_date"),
        ("follow_up_date", "next_step_date"),
        ("followup_date", "next_step_date"),
        ("Follow-up Date", "next_step_date"),
        ("next_date", "next_step_date"),
        ("stage_date", "stage_entered_date"),
    ],
    ids=[
        "created",
        "created-on",
        "close",
        "closing-date",
        "expected-close",
        "follow-up-date",
        "followup-date",
        "header-text",
        "next-date",
        "stage-date",
    ],
)
def test_usual_name_of_known_field_rejected(key: str, known: str) -> None:
    data = definition({key: {"aliases": ["Column"]}})

    assert problems(data) == [
        (
            f"columns.{key}: the key {key!r} is a usual name of the known field "
            f"{known!r}, which is not mapped, so the checks that read {known!r} "
            f"would be off. Rename the key to {known!r}, or, for a field of your "
            "own, choose another name"
        )
    ]


def test_key_near_usual_name_rejected() -> None:
    data = definition({"closing_dates": {"aliases": ["Column"]}})

    assert problems(data) == [
        (
            "columns.closing_dates: the key 'closing_dates' looks like "
            "'closing_date', a usual name of the known field 'close_date', which "
            "is not mapped, so the checks that read 'close_date' would be off. "
            "Rename the key to 'close_date', or, for a field of your own, choose "
            "a name less like 'closing_date'"
        )
    ]


@pytest.mark.parametrize(
    "key",
    ["created_by", "closed", "closing_reason", "follow_up_owner"],
    ids=["created-by", "closed", "closing-reason", "follow-up-owner"],
)
def test_usual_name_plus_word_accepted(key: str) -> None:
    pipeline = parse_pipeline(definition({key: {"aliases": ["Column"]}}), "team.yaml")

    assert key in pipeline.columns


def test_usual_name_of_mapped_field_accepted() -> None:
    data = definition(
        {"close_date": {"aliases": ["Close"]}, "expected_close": {"aliases": ["Plan"]}}
    )

    pipeline = parse_pipeline(data, origin="team.yaml")

    assert "expected_close" in pipeline.columns


@pytest.mark.parametrize(
    "key",
    ["close_reason", "created_month", "Created Month", "next_call_date"],
    ids=["close-reason", "created-month", "spaced", "next-call-date"],
)
def test_key_with_other_word_accepted(key: str) -> None:
    pipeline = parse_pipeline(definition({key: {"aliases": ["Column"]}}), "team.yaml")

    assert key in pipeline.columns


@pytest.mark.parametrize(
    ("key", "declared"),
    [
        ("follow_ups", "number"),
        ("customers", "number"),
        ("follow_up_date", "text"),
        ("ownr", "flag"),
    ],
    ids=["follow-ups-number", "customers-number", "usual-name-text", "typo-flag"],
)
def test_key_of_other_type_accepted(key: str, declared: str) -> None:
    data = definition({key: {"aliases": ["Column"], "type": declared}})

    pipeline = parse_pipeline(data, "team.yaml")

    assert key in pipeline.columns


@pytest.mark.parametrize(
    ("key", "declared", "known"),
    [
        ("creatd_date", None, "created_date"),
        ("next_stpe_date", None, "next_step_date"),
        ("close_data", "date", "close_date"),
        ("lost_reasn", "text", "lost_reason"),
    ],
    ids=["dropped-letter", "swapped-letters", "same-type", "same-type-text"],
)
def test_misspelt_word_rejected(key: str, declared: str | None, known: str) -> None:
    spec: dict[str, object] = {"aliases": ["Column"]}
    if declared is not None:
        spec["type"] = declared

    assert problems(definition({key: spec})) == [
        (
            f"columns.{key}: the key {key!r} looks like the known field "
            f"{known!r}, which is not mapped. Rename the key to {known!r}, or, "
            f"for a field of your own, choose a name less like {known!r}"
        )
    ]


@pytest.mark.parametrize(
    ("key", "alias", "known"),
    [
        ("stage_enterd", "stage_entered", "stage_entered_date"),
        ("follow_ups", "follow_up", "next_step_date"),
        ("customers", "customer", "account"),
    ],
    ids=["stage-enterd", "follow-ups-text", "customers-text"],
)
def test_misspelt_usual_name_rejected(key: str, alias: str, known: str) -> None:
    data = definition({key: {"aliases": ["Column"]}})

    assert problems(data) == [
        (
            f"columns.{key}: the key {key!r} looks like {alias!r}, a usual name "
            f"of the known field {known!r}, which is not mapped, so the checks "
            f"that read {known!r} would be off. Rename the key to {known!r}, or, "
            f"for a field of your own, choose a name less like {alias!r}"
        )
    ]


def test_usual_name_of_same_type_rejected() -> None:
    data = definition({"follow_up_date": {"aliases": ["Column"], "type": "date"}})

    assert problems(data) == [
        (
            "columns.follow_up_date: the key 'follow_up_date' is a usual name of "
            "the known field 'next_step_date', which is not mapped, so the checks "
            "that read 'next_step_date' would be off. Rename the key to "
            "'next_step_date', or, for a field of your own, choose another name"
        )
    ]
