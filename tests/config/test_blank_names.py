"""Tests that names matched against the sheet cannot be blank in a definition."""

from __future__ import annotations

import pytest

from config.loader import parse_pipeline
from tests.config.test_models import definition, problems

BLANK_EXPECTED = (
    "expected a name with at least one character that is not a space, as "
    "written in the sheet"
)
COLUMNS = {
    "id": {"aliases": ["Deal ID"]},
    "stage": {"aliases": ["Stage"]},
    "owner": {"aliases": ["Owner", "  "]},
}
STAGES = [
    {"name": "\t"},
    {"name": "Proposal", "aliases": [""]},
    {"name": "Won", "outcome": "won"},
]


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        (
            {"columns": COLUMNS},
            f"columns.owner.aliases[1]: invalid value '  '; {BLANK_EXPECTED}",
        ),
        (
            {"outputs": {"status_header": "  "}},
            f"outputs.status_header: invalid value '  '; {BLANK_EXPECTED}",
        ),
        (
            {"source": {"tab": " "}},
            f"source.tab: invalid value ' '; {BLANK_EXPECTED}",
        ),
        (
            {"allowed": {"owner": {"from_tab": {"tab": "Team", "column": " "}}}},
            f"allowed.owner.from_tab.column: invalid value ' '; {BLANK_EXPECTED}",
        ),
    ],
    ids=["column-alias", "status-header", "source-tab", "list-column"],
)
def test_blank_name_rejected(changes: dict[str, object], line: str) -> None:
    assert problems(definition(**changes)) == [line]


def test_blank_stage_names_rejected() -> None:
    assert problems(definition(stages=STAGES)) == [
        f"stages[0].name: invalid value '\\t'; {BLANK_EXPECTED}",
        f"stages[1] ('Proposal').aliases[0]: invalid value ''; {BLANK_EXPECTED}",
    ]


TEXT_EXPECTED = "expected text with at least one character that is not a space"


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        ({"name": ""}, f"name: invalid value ''; {TEXT_EXPECTED}"),
        ({"name": "   "}, f"name: invalid value '   '; {TEXT_EXPECTED}"),
        (
            {"source": {"tab": "Deals", "path": ""}},
            f"source.path: invalid value ''; {TEXT_EXPECTED}",
        ),
        (
            {"source": {"tab": "Deals", "spreadsheet": " "}},
            f"source.spreadsheet: invalid value ' '; {TEXT_EXPECTED}",
        ),
        (
            {"source": {"tab": "Deals", "credentials": ""}},
            f"source.credentials: invalid value ''; {TEXT_EXPECTED}",
        ),
    ],
    ids=["empty-name", "spaces-name", "source-path", "spreadsheet", "credentials"],
)
def test_blank_text_rejected(changes: dict[str, object], line: str) -> None:
    assert problems(definition(**changes)) == [line]


def test_empty_allowed_list_rejected() -> None:
    data = definition(allowed={"owner": {"values": []}})

    assert problems(data) == [
        "allowed.owner.values: has 0 items; expected at least 1 item"
    ]


def test_blank_allowed_values_accepted() -> None:
    # The checks drop blank and invisible values, so this list reaches them
    # empty, and each unknown-value finding states that the list is empty.
    data = definition(allowed={"owner": {"values": [" ", "\u200b"]}})

    pipeline = parse_pipeline(data, "pipeline.yaml")

    assert pipeline.allowed["owner"].values == [" ", "\u200b"]
