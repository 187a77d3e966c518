from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from config.models import FollowupPolicy
from rules.deals import Deal, ParsedValue
from rules.followups import Followup, FollowupState, is_silenced, list_followups
from rules.grid import CellValue
from tests.rules.builders import AS_OF, build_deal, build_pipeline

PIPELINE = build_pipeline()


def deal_due(
    row: int,
    owner: str | None,
    due: dt.date | None,
    stage: str = "Lead",
    **cells: CellValue,
) -> Deal:
    return build_deal(
        PIPELINE,
        row,
        f"D-{row}",
        stage,
        owner=owner,
        next_step_date=due,
        **cells,
    )


def days_from_today(days: int) -> dt.date:
    return AS_OF + dt.timedelta(days=days)


def test_followup_lists_overdue_deal_in_full() -> None:
    deal = deal_due(
        5,
        "Ana Lima",
        dt.date(2025, 9, 4),
        stage="Qualified",
        account="Acme Tools",
        next_step="Send pricing",
    )

    followups = list_followups([deal], PIPELINE, AS_OF)

    assert followups == [
        Followup(
            owner="Ana Lima",
            deal_id="D-5",
            row=5,
            account="Acme Tools",
            stage="Qualified",
            next_step="Send pricing",
            due=dt.date(2025, 9, 4),
            days_overdue=5,
            state=FollowupState.OVERDUE,
        )
    ]


@pytest.mark.parametrize(
    ("days_ahead", "state", "days_overdue"),
    [
        (-1, FollowupState.OVERDUE, 1),
        (0, FollowupState.DUE_SOON, 0),
        (3, FollowupState.DUE_SOON, -3),
    ],
    ids=["yesterday", "today", "last-due-soon-day"],
)
def test_followup_state_and_days(
    days_ahead: int, state: FollowupState, days_overdue: int
) -> None:
    deal = deal_due(5, "Ana Lima", days_from_today(days_ahead))

    followups = list_followups([deal], PIPELINE, AS_OF)

    assert followups[0].state is state
    assert followups[0].days_overdue == days_overdue


def test_followup_respects_due_soon_days() -> None:
    pipeline = build_pipeline(followups=FollowupPolicy(due_soon_days=7))
    deals = [deal_due(5, "Ana Lima", days_from_today(7))]

    followups = list_followups(deals, pipeline, AS_OF)

    assert [followup.state for followup in followups] == [FollowupState.DUE_SOON]


@pytest.mark.parametrize(
    "deal",
    [
        deal_due(5, "Ana Lima", days_from_today(4)),
        deal_due(5, "Ana Lima", None),
        deal_due(5, "Ana Lima", days_from_today(-3), snooze_until=AS_OF),
        deal_due(5, "Ana Lima", days_from_today(-3), acknowledged=True),
        deal_due(
            5,
            "Ana Lima",
            days_from_today(-3),
            stage="Closed Won",
            close_date=AS_OF,
            amount=100,
        ),
        build_deal(PIPELINE, 5, "D-5", None, next_step_date=days_from_today(-3)),
    ],
    ids=["not-yet-due", "no-date", "snoozed", "acknowledged", "won", "unknown-stage"],
)
def test_followup_left_out(deal: Deal) -> None:
    followups = list_followups([deal], PIPELINE, AS_OF)

    assert followups == []


def test_followup_kept_after_snooze_ends() -> None:
    deal = deal_due(
        5, "Ana Lima", days_from_today(-3), snooze_until=days_from_today(-1)
    )

    followups = list_followups([deal], PIPELINE, AS_OF)

    assert [followup.row for followup in followups] == [5]


def test_followups_grouped_by_owner_most_overdue_first() -> None:
    deals = [
        deal_due(4, "ben ortiz", days_from_today(-1)),
        deal_due(5, None, days_from_today(-9)),
        deal_due(6, "Ana Lima", days_from_today(2)),
        deal_due(7, "Chen Wei", days_from_today(-2)),
        deal_due(8, "Ana Lima", days_from_today(-6)),
        deal_due(9, "  ", days_from_today(0)),
        deal_due(10, "Ana Lima", days_from_today(-6)),
    ]

    followups = list_followups(deals, PIPELINE, AS_OF)

    assert [(followup.owner, followup.row) for followup in followups] == [
        ("Ana Lima", 8),
        ("Ana Lima", 10),
        ("Ana Lima", 6),
        ("ben ortiz", 4),
        ("Chen Wei", 7),
        ("", 5),
        ("", 9),
    ]


def test_followups_of_padded_owner_together() -> None:
    deals = [
        deal_due(4, "王芳", days_from_today(-1)),
        deal_due(5, "王丽", days_from_today(-2)),
        deal_due(6, "王\u3000芳", days_from_today(-3)),
    ]

    followups = list_followups(deals, PIPELINE, AS_OF)

    assert [followup.row for followup in followups] == [5, 6, 4]


def test_followup_init_sets_every_field() -> None:
    values = {
        field.name: f"value of {field.name}" for field in dataclasses.fields(Followup)
    }

    followup = Followup(**values)  # type: ignore[arg-type]

    assert dataclasses.asdict(followup) == values


def test_followup_rejects_assignment() -> None:
    followup = list_followups(
        [deal_due(5, "Ana Lima", days_from_today(-2))], PIPELINE, AS_OF
    )[0]

    with pytest.raises(dataclasses.FrozenInstanceError):
        followup.row = 6  # type: ignore[misc]


def test_followups_of_one_owner_by_days_then_row() -> None:
    deals = [
        deal_due(9, "Ben Ortiz", days_from_today(-1)),
        deal_due(8, "ana lima", days_from_today(-1)),
        deal_due(7, "Ben Ortiz", days_from_today(-5)),
        deal_due(6, "Ben Ortiz", days_from_today(-1)),
        deal_due(5, None, days_from_today(-9)),
    ]

    followups = list_followups(deals, PIPELINE, AS_OF)

    assert [(followup.owner, followup.row) for followup in followups] == [
        ("ana lima", 8),
        ("Ben Ortiz", 7),
        ("Ben Ortiz", 6),
        ("Ben Ortiz", 9),
        ("", 5),
    ]


@pytest.mark.parametrize(
    ("snooze_until", "acknowledged", "expected"),
    [
        (AS_OF, None, True),
        (days_from_today(-1), None, False),
        (None, True, True),
        (None, False, False),
        ("2099-01-01", None, False),
    ],
    ids=[
        "snoozed-until-today",
        "snooze-ended",
        "acknowledged",
        "not-acknowledged",
        "snooze-not-a-date",
    ],
)
def test_is_silenced_by_snooze_or_acknowledged(
    snooze_until: ParsedValue | None, acknowledged: ParsedValue | None, expected: bool
) -> None:
    assert is_silenced(snooze_until, acknowledged, AS_OF) is expected
