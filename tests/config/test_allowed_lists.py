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
