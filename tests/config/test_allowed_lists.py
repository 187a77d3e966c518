"""Tests of where a definition may read an allowed-value list from."""

from __future__ import annotations

import pytest

from config.loader import parse_pipeline
from tests.config.test_models import definition, problems


@pytest.mark.parametrize(
    ("tabs", "tab", "key"),
    [
        ({}, "Follow-ups", "followups"),
        ({}, "FUNNEL", "funnel"),
        ({"problems": "Issues"}, "issues", "problems"),
    ],
    ids=["default-name", "other-case", "renamed-tab"],
)
def test_list_on_generated_tab_rejected(
    tabs: dict[str, str], tab: str, key: str
) -> None:
    data = definition(
        allowed={"owner": {"from_tab": {"tab": tab, "column": "Owner"}}},
        outputs={"tabs": tabs},
    )

    assert problems(data) == [
        (
            f"allowed.owner.from_tab.tab: the tab {tab!r} is the generated tab of "
            f"outputs.tabs.{key} (case is ignored), which pipesheet rewrites on "
            "every run; name a tab of your own that lists the allowed values"
        )
    ]


def test_list_on_own_tab_accepted() -> None:
    data = definition(
        allowed={"owner": {"from_tab": {"tab": "Lists", "column": "Owner"}}},
        outputs={"tabs": {"problems": "Issues"}},
    )

    pipeline = parse_pipeline(data, origin="team.yaml")

    assert list(pipeline.allowed) == ["owner"]


def test_list_on_renamed_default_accepted() -> None:
    # A tab called Problems is the user's own once the generated one is renamed.
    data = definition(
        allowed={"owner": {"from_tab": {"tab": "Problems", "column": "Owner"}}},
        outputs={"tabs": {"problems": "Issues"}},
    )

    pipeline = parse_pipeline(data, origin="team.yaml")

    assert list(pipeline.allowed) == ["owner"]


def test_list_on_empty_generated_tab_name_not_blamed() -> None:
    # An empty tab name is a problem of outputs.tabs alone, not of lists
    # that read no tab.
    data = definition(
        allowed={"owner": {"values": ["Ana"]}},
        outputs={"tabs": {"stage_log": ""}},
    )

    assert problems(data) == [
        (
            "outputs.tabs.stage_log: invalid value ''; the tab name cannot be used "
            "because it is empty. Choose another name."
        )
    ]


@pytest.mark.parametrize(
    "spec",
    [{"values": ["Lead"]}, {"from_tab": {"tab": "Lists", "column": "Stage"}}],
    ids=["values", "from-tab"],
)
def test_list_for_stage_rejected(spec: dict[str, object]) -> None:
    data = definition(allowed={"stage": spec})

    assert problems(data) == [
        (
            "allowed.stage: the stage column takes the names and aliases listed under "
            "'stages', so an allowed list for it would be ignored; delete this entry, "
            "and add any other spelling to the 'aliases' of its stage"
        )
    ]
