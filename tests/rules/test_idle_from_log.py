"""The idle check counted from the Stage log's stay where the sheet's date is stale."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from config.loader import load_pipeline
from config.models import Locale, Pipeline
from config.shipped import shipped_definition
from rules.deals import Deal
from rules.findings import Code, Finding, Severity
from rules.messages import render_message
from rules.stage_log import StageLogRow, idle_from_log_starts

AS_OF = dt.date(2021, 1, 20)


@pytest.fixture
def pipeline() -> Pipeline:
    return load_pipeline(shipped_definition("b2b-en"))


def proposal_deal(pipeline: Pipeline, entered: dt.date) -> Deal:
    stage = next(stage for stage in pipeline.stages if stage.name == "Proposal")
    values: dict[str, object] = {"stage_entered_date": entered}
    return Deal(2, "D-1", stage, values=values)  # type: ignore[arg-type]


def idle(days: int) -> Finding:
    params = {"days": str(days), "limit": "14", "stage": "Proposal"}
    return Finding(
        Code.IDLE_IN_STAGE, Severity.WARNING, 2, "Stage Entered", params=params
    )


def stay(entered: dt.date) -> StageLogRow:
    return StageLogRow("D-1", "Proposal", entered, None, (AS_OF - entered).days, True)


def test_stale_date_within_limit_dropped(pipeline: Pipeline) -> None:
    # Runs saw Demo until 01-10; the rep left Stage Entered at 2020-12-01.
    deal = proposal_deal(pipeline, dt.date(2020, 12, 1))

    remaining = idle_from_log_starts(
        [idle(50)], [deal], [stay(dt.date(2021, 1, 11))], {"D-1"}, AS_OF
    )

    assert remaining == []


def test_stale_date_over_limit_counts_log_days(pipeline: Pipeline) -> None:
    deal = proposal_deal(pipeline, dt.date(2020, 11, 1))

    remaining = idle_from_log_starts(
        [idle(80)], [deal], [stay(dt.date(2021, 1, 1))], {"D-1"}, AS_OF
    )

    assert [finding.params["days"] for finding in remaining] == ["19"]
    assert remaining[0].params["since"] == "2021-01-01"


def test_stale_date_message_names_log_start(pipeline: Pipeline) -> None:
    deal = proposal_deal(pipeline, dt.date(2020, 11, 1))
    finding = replace(idle(80), value="2020-11-01")

    remaining = idle_from_log_starts(
        [finding], [deal], [stay(dt.date(2021, 1, 1))], {"D-1"}, AS_OF
    )

    assert render_message(remaining[0], Locale.EN) == (
        "Deal has been in stage 'Proposal' for 19 days, since 2021-01-01, when a "
        "run first found it there; that is more than its limit of 14 days. Stage "
        "Entered (2020-11-01) is not used because a later run still saw the deal "
        "in its previous stage. Move the deal forward, close it, or correct Stage "
        "Entered."
    )
    assert "2021-01-01" in render_message(remaining[0], Locale.ZH_CN)


def test_date_not_stale_left(pipeline: Pipeline) -> None:
    # The log took the row's date, so no deal's date is stale.
    entered = dt.date(2020, 12, 1)
    deal = proposal_deal(pipeline, entered)

    remaining = idle_from_log_starts([idle(50)], [deal], [stay(entered)], set(), AS_OF)

    assert remaining == [idle(50)]
