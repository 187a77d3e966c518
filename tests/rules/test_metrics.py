from __future__ import annotations

import datetime as dt

import pytest

from config.models import MetricsSettings, Outcome, Outputs, Pipeline, Stage
from rules.deals import ColumnMap, Deal
from rules.grid import CellValue
from rules.metrics import (
    Breakdown,
    GroupMetrics,
    PipelineMetrics,
    StageMetrics,
    compute_metrics,
    win_rate_period_start,
)
from tests.rules.builders import AS_OF, build_deal, build_pipeline

STAGES = [
    Stage(name="Lead", probability=0.25),
    Stage(name="Proposal", probability=0.5, reached_if_filled=["proposal_date"]),
    Stage(name="Won", probability=1.0, outcome=Outcome.WON),
    Stage(name="Lost", probability=0.0, outcome=Outcome.LOST),
]
PIPELINE = build_pipeline(STAGES, outputs=Outputs(group_by=["region"]))


def sheet_deal(
    row: int, stage: str | None, owner: str, region: str, **cells: CellValue
) -> Deal:
    return build_deal(
        PIPELINE, row, f"D-{row}", stage, owner=owner, region=region, **cells
    )


# Ten deals in four stages plus one in an unknown stage. Figures below are worked
# out by hand in the comments of each test.
SHEET = [
    sheet_deal(
        4, "Lead", "Ana", "North", amount=1000, created_date=dt.date(2025, 8, 1)
    ),
    sheet_deal(5, "Lead", "Ana", "North"),
    sheet_deal(6, "Lead", "Ben", "South", amount=2000, probability=0.75),
    sheet_deal(7, "Proposal", "Ben", "South", amount=4000),
    sheet_deal(8, "Proposal", "", "North", amount=8000, probability=0.25),
    sheet_deal(
        9,
        "Won",
        "Ana",
        "North",
        amount=5000,
        created_date=dt.date(2025, 6, 1),
        close_date=dt.date(2025, 7, 1),
    ),
    sheet_deal(
        10,
        "Won",
        "Ben",
        "South",
        amount=3000,
        created_date=dt.date(2025, 5, 1),
        close_date=dt.date(2025, 7, 20),
    ),
    sheet_deal(11, "Won", "Ana", "South", amount=2000, close_date=dt.date(2025, 8, 15)),
    sheet_deal(
        12,
        "Lost",
        "Ben",
        "North",
        amount=6000,
        created_date=dt.date(2025, 4, 1),
        close_date=dt.date(2025, 6, 10),
        proposal_date=dt.date(2025, 5, 2),
    ),
    sheet_deal(
        13,
        "Lost",
        "Ana",
        "North",
        created_date=dt.date(2025, 7, 1),
        close_date=dt.date(2025, 7, 11),
    ),
    sheet_deal(14, None, "Ben", "South", amount=9999),
]


@pytest.fixture(name="metrics")
def fixture_metrics() -> PipelineMetrics:
    return compute_metrics(SHEET, PIPELINE, AS_OF)


def test_metrics_count_known_and_unknown_stages(metrics: PipelineMetrics) -> None:
    assert metrics.deals == 10
    assert metrics.unknown_stage == 1
    assert metrics.as_of == AS_OF
    assert metrics.period_start is None


def test_metrics_stage_rows(metrics: PipelineMetrics) -> None:
    # Reached: Lead by all 10; Proposal by rows 7-11 and lost row 12, whose
    # proposal date proves it; Won by rows 9-11.
    assert metrics.stages == (
        StageMetrics("Lead", Outcome.OPEN, 3, 3000.0, 10, 0.6, 1.0),
        StageMetrics("Proposal", Outcome.OPEN, 2, 12000.0, 6, 0.5, 0.6),
        StageMetrics("Won", Outcome.WON, 3, 10000.0, 3, None, 0.3),
        StageMetrics("Lost", Outcome.LOST, 2, 6000.0, None, None, None),
    )


def test_metrics_open_pipeline(metrics: PipelineMetrics) -> None:
    # Weighted: 1000 × 0.25 + 0 + 2000 × 0.75 (row) + 4000 × 0.5 + 8000 × 0.25 (row).
    assert metrics.open_deals == 5
    assert metrics.open_value == 15000.0
    assert metrics.open_without_amount == 1
    assert metrics.weighted_pipeline == 5750.0


def test_metrics_win_rates(metrics: PipelineMetrics) -> None:
    assert metrics.won == 3
    assert metrics.lost == 2
    assert metrics.won_value == 10000.0
    assert metrics.lost_value == 6000.0
    assert metrics.win_rate == 0.6
    assert metrics.win_rate_by_value == 0.625


def test_metrics_cycle_and_velocity(metrics: PipelineMetrics) -> None:
    # Cycles: 30, 80, 70 and 10 days; row 11 has no created date.
    assert metrics.average_won_amount == 10000 / 3
    assert metrics.average_cycle_days == 47.5
    assert metrics.closed_with_cycle == 4
    assert metrics.sales_velocity == 5 * (10000 / 3) * 0.6 / 47.5
    assert round(metrics.sales_velocity or 0, 4) == 210.5263


def test_metrics_by_owner(metrics: PipelineMetrics) -> None:
    assert metrics.by_owner == Breakdown(
        "owner",
        (
            GroupMetrics("Ana", 2, 1000.0, 250.0, 2, 1, 7000.0, 2 / 3),
            GroupMetrics("Ben", 2, 6000.0, 3500.0, 1, 1, 3000.0, 0.5),
            GroupMetrics("", 1, 8000.0, 2000.0, 0, 0, 0.0, None),
        ),
    )


def test_metrics_by_group_by_field(metrics: PipelineMetrics) -> None:
    assert metrics.breakdowns == (
        Breakdown(
            "region",
            (
                GroupMetrics("North", 3, 9000.0, 2250.0, 1, 2, 5000.0, 1 / 3),
                GroupMetrics("South", 2, 6000.0, 3500.0, 2, 0, 5000.0, 1.0),
            ),
        ),
    )


def test_metrics_period_limits_closed_deals() -> None:
    # Row 12 closed on 2025-06-10, before the period; every other closed deal is in.
    metrics = compute_metrics(SHEET, PIPELINE, AS_OF, period_start=dt.date(2025, 7, 1))

    assert metrics.won == 3
    assert metrics.lost == 1
    assert metrics.lost_value == 0.0
    assert metrics.win_rate == 0.75
    assert metrics.win_rate_by_value == 1.0
    assert metrics.average_cycle_days == 40.0
    assert metrics.closed_with_cycle == 3
    assert metrics.period_start == dt.date(2025, 7, 1)


@pytest.mark.parametrize(
    ("days", "start"),
    [(None, None), (1, AS_OF), (30, dt.date(2025, 8, 11))],
    ids=["unset", "one-day", "thirty-days"],
)
def test_win_rate_period_ends_on_as_of(days: int | None, start: dt.date | None) -> None:
    pipeline = build_pipeline(STAGES, metrics=MetricsSettings(win_rate_days=days))

    assert win_rate_period_start(pipeline, AS_OF) == start


@pytest.mark.parametrize(
    ("headers", "start"),
    [
        (["Deal ID", "Stage", "Close Date"], dt.date(2025, 8, 11)),
        (["Deal ID", "Stage"], None),
    ],
    ids=["close-date-column", "no-close-date-column"],
)
def test_win_rate_period_needs_close_column(
    headers: list[str], start: dt.date | None
) -> None:
    # Without the column no deal has a close date, and a period would drop
    # every closed deal. So the option does nothing there.
    pipeline = build_pipeline(STAGES, metrics=MetricsSettings(win_rate_days=30))
    field_names = ["id", "stage", "close_date"][: len(headers)]
    fields = {name: index for index, name in enumerate(field_names)}
    columns = ColumnMap(1, headers, fields, None)

    assert win_rate_period_start(pipeline, AS_OF, columns) == start


def test_metrics_period_skips_closed_without_date() -> None:
    deals = [build_deal(PIPELINE, 4, "D-4", "Won", amount=100)]

    all_time = compute_metrics(deals, PIPELINE, AS_OF)
    in_period = compute_metrics(
        deals, PIPELINE, AS_OF, period_start=dt.date(2025, 1, 1)
    )

    assert all_time.won == 1
    assert in_period.won == 0


def test_metrics_period_ends_on_as_of() -> None:
    tomorrow = AS_OF + dt.timedelta(days=1)
    deals = [
        build_deal(PIPELINE, 4, "D-4", "Won", amount=100, close_date=AS_OF),
        build_deal(
            PIPELINE, 5, "D-5", "Lost", amount=50, owner="Ana", close_date=tomorrow
        ),
    ]

    all_time = compute_metrics(deals, PIPELINE, AS_OF)
    in_period = compute_metrics(deals, PIPELINE, AS_OF, period_start=AS_OF)

    assert all_time.lost == 1
    assert in_period.won == 1
    assert in_period.lost == 0
    assert in_period.win_rate == 1.0
    assert in_period.win_rate_by_value == 1.0
    assert [group.lost for group in in_period.by_owner.groups] == [0, 0]


def test_metrics_cycle_days_of_datetimes() -> None:
    # Parsing turns datetimes into dates, but a value of another source may
    # keep its time of day: 9.5 days between the two counts as 9, as
    # timedelta.days counts, where the calendar days differ by 10.
    deal = build_deal(PIPELINE, 4, "D-4", "Won", amount=100)
    deal.values["created_date"] = dt.datetime(2025, 6, 1, 18, 0)
    deal.values["close_date"] = dt.datetime(2025, 6, 11, 6, 0)

    metrics = compute_metrics([deal], PIPELINE, AS_OF)

    assert metrics.average_cycle_days == 9.0
    assert metrics.closed_with_cycle == 1


def test_metrics_cycle_days_of_dates() -> None:
    deal = build_deal(PIPELINE, 4, "D-4", "Won", amount=100)
    deal.values["created_date"] = dt.date(2025, 6, 1)
    deal.values["close_date"] = dt.date(2025, 6, 11)
    undated = build_deal(PIPELINE, 5, "D-5", "Lost", close_date=dt.date(2025, 6, 2))

    metrics = compute_metrics([deal, undated], PIPELINE, AS_OF)

    assert metrics.average_cycle_days == 10.0
    assert metrics.closed_with_cycle == 1


@pytest.mark.parametrize(
    "both_dates",
    [
        (dt.date(2025, 9, 30), dt.date(2025, 9, 1)),
        (dt.datetime(2025, 6, 11, 18, 0), dt.datetime(2025, 6, 11, 6, 0)),
    ],
    ids=["dates", "same-day-datetimes"],
)
def test_metrics_cycle_leaves_out_inverted(both_dates: tuple[dt.date, dt.date]) -> None:
    inverted = build_deal(PIPELINE, 4, "D-4", "Won", amount=100)
    inverted.values["created_date"], inverted.values["close_date"] = both_dates
    dated = build_deal(
        PIPELINE,
        5,
        "D-5",
        "Lost",
        created_date=dt.date(2025, 6, 1),
        close_date=dt.date(2025, 6, 21),
    )

    metrics = compute_metrics([inverted, dated], PIPELINE, AS_OF)

    assert metrics.average_cycle_days == 20.0
    assert metrics.closed_with_cycle == 1


@pytest.mark.parametrize(
    "both_dates",
    [
        (dt.date(2025, 1, 1), dt.date(2025, 9, 10)),
        (dt.datetime(2025, 1, 1, 9, 0), dt.datetime(2025, 9, 10, 9, 0)),
    ],
    ids=["dates", "datetimes"],
)
def test_metrics_cycle_leaves_out_future_close(
    both_dates: tuple[dt.date, dt.date],
) -> None:
    future = build_deal(PIPELINE, 4, "D-4", "Won", amount=100)
    future.values["created_date"], future.values["close_date"] = both_dates
    today = build_deal(
        PIPELINE,
        5,
        "D-5",
        "Lost",
        created_date=dt.date(2025, 8, 30),
        close_date=AS_OF,
    )

    metrics = compute_metrics([future, today], PIPELINE, AS_OF)

    assert metrics.average_cycle_days == 10.0
    assert metrics.closed_with_cycle == 1
    assert metrics.won == 1


def test_metrics_count_stage_outside_definition() -> None:
    # A deal may carry a stage that is not the definition's, as a deal built
    # for another pipeline does. It counts as a deal but in no stage row.
    other = Stage(name="Pilot", probability=0.5)
    lead = build_deal(PIPELINE, 4, "D-4", "Lead", amount=100)
    pilot = build_deal(PIPELINE, 5, "D-5", "Lead", amount=200)
    pilot.stage = other

    metrics = compute_metrics([lead, pilot], PIPELINE, AS_OF)

    assert metrics.deals == 2
    assert metrics.open_deals == 2
    assert metrics.stages[0].deals == 1
    assert metrics.stages[0].value == 100.0


def test_metrics_undefined_when_nothing_closed() -> None:
    deals = [build_deal(PIPELINE, 4, "D-4", "Lead", amount=100)]

    metrics = compute_metrics(deals, PIPELINE, AS_OF)

    assert metrics.win_rate is None
    assert metrics.win_rate_by_value is None
    assert metrics.average_won_amount is None
    assert metrics.average_cycle_days is None
    assert metrics.sales_velocity is None


def test_metrics_of_empty_sheet() -> None:
    metrics = compute_metrics([], PIPELINE, AS_OF)

    assert metrics.stages[0] == StageMetrics(
        "Lead", Outcome.OPEN, 0, 0.0, 0, None, None
    )
    assert metrics.open_deals == 0
    assert metrics.weighted_pipeline == 0.0
    assert metrics.by_owner == Breakdown("owner", ())


def test_metrics_funnel_proof_covers_earlier_stages() -> None:
    stages = [
        Stage(name="Lead"),
        Stage(name="Demo"),
        Stage(name="Proposal", reached_if_filled=["proposal_date"]),
        Stage(name="Won", outcome=Outcome.WON),
        Stage(name="Lost", outcome=Outcome.LOST),
    ]
    pipeline = build_pipeline(stages)
    deals = [
        build_deal(pipeline, 4, "D-4", "Lost", proposal_date=dt.date(2025, 5, 1)),
        build_deal(pipeline, 5, "D-5", "Lost"),
    ]

    metrics = compute_metrics(deals, pipeline, AS_OF)

    assert [stage.reached for stage in metrics.stages] == [2, 1, 1, 0, None]


def test_metrics_stage_without_probability_weighs_zero() -> None:
    stages = [Stage(name="Lead"), Stage(name="Won", outcome=Outcome.WON)]
    pipeline = build_pipeline(stages)
    deals = [
        build_deal(pipeline, 4, "D-4", "Lead", amount=1000),
        build_deal(pipeline, 5, "D-5", "Lead", amount=1000, probability=0.5),
    ]

    metrics = compute_metrics(deals, pipeline, AS_OF)

    assert metrics.weighted_pipeline == 500.0


def maven_pipeline() -> Pipeline:
    stages = [
        Stage(name="Prospecting", probability=0.1),
        Stage(name="Engaging", probability=0.5, reached_if_filled=["created_date"]),
        Stage(name="Won", outcome=Outcome.WON),
        Stage(name="Lost", outcome=Outcome.LOST),
    ]
    return build_pipeline(stages, fields=["id", "owner", "stage", "created_date"])


def test_metrics_maven_stage_counts_win_rate() -> None:
    pipeline = maven_pipeline()
    counts = {"Won": 4238, "Lost": 2473, "Engaging": 1589, "Prospecting": 500}
    stage_names = [name for name, count in counts.items() for _ in range(count)]
    deals = [
        build_deal(pipeline, row, f"M-{row}", name)
        for row, name in enumerate(stage_names, start=4)
    ]

    metrics = compute_metrics(deals, pipeline, AS_OF)

    assert metrics.deals == 8800
    assert metrics.won == 4238
    assert metrics.lost == 2473
    assert metrics.open_deals == 2089
    assert round(metrics.win_rate or 0, 4) == 0.6315


def test_metrics_group_by_owner_once() -> None:
    pipeline = build_pipeline(STAGES, outputs=Outputs(group_by=["owner", "region"]))
    deals = [build_deal(pipeline, 4, "D-4", "Lead", owner="Ana", amount=100)]

    metrics = compute_metrics(deals, pipeline, AS_OF)

    assert [breakdown.field for breakdown in metrics.breakdowns] == ["region"]
    assert metrics.by_owner.groups[0].open_value == 100.0


def test_lost_deal_reached_stage_lost_at() -> None:
    deals = [
        build_deal(PIPELINE, 2, "D-1", "Lost"),
        build_deal(PIPELINE, 3, "D-2", "Lost"),
        build_deal(PIPELINE, 4, "D-3", "Lead"),
    ]

    metrics = compute_metrics(deals, PIPELINE, AS_OF, lost_at={"D-1": "Proposal"})

    reached = {stage.name: stage.reached for stage in metrics.stages}
    assert reached["Lead"] == 3
    assert reached["Proposal"] == 1
    assert reached["Won"] == 0
