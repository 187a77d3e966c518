"""Tests of one spelling per grouped value: owners, teams and other group_by fields."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from config.models import AllowedValues, Outputs
from rules.checks import AllowedList
from rules.followups import list_followups
from rules.metrics import compute_metrics
from rules.spellings import (
    Respelling,
    spell_grouped_values,
    spell_values,
    typed_spellings,
)
from tests.rules.builders import AS_OF, build_deal, build_pipeline

OVERDUE = AS_OF - dt.timedelta(days=3)
OWNERS = ["Ana Lima", "Bén"]


@pytest.mark.parametrize(
    "typed",
    ["ana lima", " ANA  LIMA", "Ana\u00a0Lima", "Ａｎａ Ｌｉｍａ", "Ana Lima\u200b"],
    ids=["case", "spaces", "nbsp", "full-width", "zero-width"],
)
def test_allowed_spelling_shown(typed: str) -> None:
    spellings = spell_values({typed: 1}, AllowedList(OWNERS, ignore_case=True))

    assert spellings == {typed: "Ana Lima"}


@pytest.mark.parametrize(
    "listed",
    ["Ana Lima\u200f", "\ufeffAna Lima", "Ana Li\u00adma", "\u2067Ana Lima\u2069"],
    ids=["rtl-mark", "byte-order-mark", "soft-hyphen", "isolate"],
)
def test_list_spelling_shown_without_invisible_marks(listed: str) -> None:
    allowed = AllowedList([listed, "Bén"], ignore_case=True)

    spellings = spell_values({"Ana Lima": 1, "ana lima": 1}, allowed)

    assert spellings == {"Ana Lima": "Ana Lima", "ana lima": "Ana Lima"}


def test_unlisted_spelling_shown_without_invisible_marks() -> None:
    counts = {"Chen Wei\u200f": 2, "chen wei": 1}

    spellings = spell_values(counts, None)

    assert spellings == {"Chen Wei\u200f": "Chen Wei", "chen wei": "Chen Wei"}


def test_unlisted_values_grouped_by_most_common() -> None:
    counts = {"chen WEI": 1, "Chen Wei": 2, " Chen  Wei ": 1, "Ana Lma": 1}

    spellings = spell_values(counts, AllowedList(OWNERS, ignore_case=True))

    assert spellings == {
        "chen WEI": "Chen Wei",
        "Chen Wei": "Chen Wei",
        " Chen  Wei ": "Chen Wei",
        "Ana Lma": "Ana Lma",
    }


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        (["east", "EAST", "East"], "EAST"),
        (["ana lima", "Ana Lima"], "Ana Lima"),
        (["Emea ", "emea"], "Emea"),
    ],
    ids=["capitals-first", "capital-first", "spaces-dropped"],
)
def test_unlisted_tie_same_in_any_order(typed: list[str], shown: str) -> None:
    for order in itertools.permutations(typed):
        spellings = spell_values(dict.fromkeys(order, 1), None)

        assert set(spellings.values()) == {shown}, order


def test_grouped_owner_same_when_rows_sorted() -> None:
    pipeline = build_pipeline()
    typed = [("D-4", "ana lima", "Lead"), ("D-5", "Ana Lima", "Closed Won")]
    names_by_order = []
    for rows in (typed, typed[::-1]):
        deals = [
            build_deal(pipeline, row, deal_id, stage, owner=owner, amount=100)
            for row, (deal_id, owner, stage) in enumerate(rows, start=4)
        ]

        spell_grouped_values(deals, pipeline, {})
        metrics = compute_metrics(deals, pipeline, AS_OF)

        names_by_order.append([group.group for group in metrics.by_owner.groups])

    assert names_by_order == [["Ana Lima"], ["Ana Lima"]]


def test_case_sensitive_list_keeps_other_case_apart() -> None:
    counts = {"GTX Pro": 1, "gtx pro": 1}

    spellings = spell_values(counts, AllowedList(["GTX Pro"], ignore_case=False))

    assert spellings == {"GTX Pro": "GTX Pro", "gtx pro": "gtx pro"}


def test_grouped_fields_respelled_raw_kept() -> None:
    pipeline = build_pipeline(
        outputs=Outputs(group_by=["region"]),
        allowed={"owner": AllowedValues(values=OWNERS)},
    )
    deals = [
        build_deal(pipeline, 4, "D-4", "Lead", owner="ana lima", region="EMEA"),
        build_deal(pipeline, 5, "D-5", "Lead", owner=" ANA  LIMA", region="emea"),
        build_deal(pipeline, 6, "D-6", "Lead", owner="Ana Lima", region="Emea "),
        build_deal(pipeline, 7, "D-7", "Lead", owner="ben", product="gtx"),
    ]

    spell_grouped_values(deals, pipeline, {"owner": OWNERS})

    assert [deal.values["owner"] for deal in deals] == ["Ana Lima"] * 3 + ["ben"]
    assert [deal.values.get("region") for deal in deals] == ["EMEA"] * 3 + [None]
    assert deals[1].raw["owner"] == " ANA  LIMA"
    assert deals[3].values["product"] == "gtx"


def test_respellings_list_replaced_values() -> None:
    pipeline = build_pipeline(allowed={"owner": AllowedValues(values=OWNERS)})
    deals = [
        build_deal(pipeline, 4, "D-4", "Lead", owner="Ana Lima"),
        build_deal(pipeline, 5, "D-5", "Lead", owner="ana lima"),
    ]

    respelled = spell_grouped_values(deals, pipeline, {"owner": OWNERS})

    assert respelled == [
        Respelling(deals[1].values, "owner", "ana lima", "Ana Lima"),
    ]


def test_typed_spellings_back_in_block() -> None:
    pipeline = build_pipeline(allowed={"owner": AllowedValues(values=OWNERS)})
    deal = build_deal(pipeline, 4, "D-4", "Lead", owner=" ANA  LIMA")
    respelled = spell_grouped_values([deal], pipeline, {"owner": OWNERS})

    with typed_spellings(respelled):
        inside = deal.values["owner"]

    assert inside == " ANA  LIMA"
    assert deal.values["owner"] == "Ana Lima"


def test_followups_and_breakdowns_one_owner() -> None:
    pipeline = build_pipeline(allowed={"owner": AllowedValues(values=OWNERS)})
    typed = ["Ana Lima", "ana lima", " ANA  LIMA", "Ａｎａ Ｌｉｍａ"]
    deals = [
        build_deal(
            pipeline, row, f"D-{row}", "Lead", owner=owner, next_step_date=OVERDUE
        )
        for row, owner in enumerate(typed, start=4)
    ]

    spell_grouped_values(deals, pipeline, {"owner": OWNERS})
    followups = list_followups(deals, pipeline, AS_OF)
    metrics = compute_metrics(deals, pipeline, AS_OF)

    assert [item.owner for item in followups] == ["Ana Lima"] * 4
    assert [group.group for group in metrics.by_owner.groups] == ["Ana Lima"]
    assert metrics.by_owner.groups[0].open_deals == 4


def test_followups_owner_without_list_marks() -> None:
    listed = ["Ana Lima\u200f"]
    pipeline = build_pipeline(allowed={"owner": AllowedValues(values=listed)})
    deal = build_deal(
        pipeline, 4, "D-4", "Lead", owner="Ana Lima", next_step_date=OVERDUE
    )

    spell_grouped_values([deal], pipeline, {"owner": listed})
    followups = list_followups([deal], pipeline, AS_OF)
    metrics = compute_metrics([deal], pipeline, AS_OF)

    assert [item.owner for item in followups] == ["Ana Lima"]
    assert [group.group for group in metrics.by_owner.groups] == ["Ana Lima"]


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ({"王芳": 2, "王\u3000芳": 1}, "王芳"),
        ({"王芳": 1, "王\u3000芳": 2}, "王\u3000芳"),
        (
            {"王芳": 1, "王 芳": 1, "王\u00a0芳": 1, "王\u3000\u3000芳": 3},
            "王\u3000\u3000芳",
        ),
        ({"Ana Lima": 1, "Ana  Lima": 1, "ANA\u00a0LIMA": 1}, "Ana Lima"),
    ],
    ids=["ideographic-padding", "padding-most-common", "any-space", "latin"],
)
def test_owner_spaces_one_group(typed: dict[str, int], shown: str) -> None:
    pipeline = build_pipeline()
    owners = [owner for owner, count in typed.items() for _ in range(count)]
    deals = [
        build_deal(
            pipeline, row, f"D-{row}", "Lead", owner=owner, next_step_date=OVERDUE
        )
        for row, owner in enumerate(owners, start=4)
    ]

    spell_grouped_values(deals, pipeline, {})
    followups = list_followups(deals, pipeline, AS_OF)
    metrics = compute_metrics(deals, pipeline, AS_OF)

    assert {item.owner for item in followups} == {shown}
    assert [group.group for group in metrics.by_owner.groups] == [shown]
    assert metrics.by_owner.groups[0].open_deals == len(owners)


def test_owner_list_accepts_padded_name() -> None:
    listed = ["王芳", "Ana Lima"]
    pipeline = build_pipeline(allowed={"owner": AllowedValues(values=listed)})
    deals = [
        build_deal(pipeline, 4, "D-4", "Lead", owner="王\u3000芳"),
        build_deal(pipeline, 5, "D-5", "Lead", owner="王芳"),
    ]

    spell_grouped_values(deals, pipeline, {"owner": listed})
    metrics = compute_metrics(deals, pipeline, AS_OF)

    assert [group.group for group in metrics.by_owner.groups] == ["王芳"]
    assert metrics.by_owner.groups[0].open_deals == 2


def test_other_field_keeps_words_apart() -> None:
    spellings = spell_values({"GTX Pro": 1, "GTXPro": 1}, None)

    assert spellings == {"GTX Pro": "GTX Pro", "GTXPro": "GTXPro"}


def test_breakdown_groups_owner_spellings_unspelled() -> None:
    pipeline = build_pipeline()
    deals = [
        build_deal(pipeline, 4, "D-4", "Lead", owner="王\u3000芳", amount=100),
        build_deal(pipeline, 5, "D-5", "Lead", owner="王芳", amount=100),
    ]

    metrics = compute_metrics(deals, pipeline, AS_OF)

    assert [group.group for group in metrics.by_owner.groups] == ["王\u3000芳"]
    assert metrics.by_owner.groups[0].open_value == 200.0
