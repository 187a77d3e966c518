"""Tests of the columns a run needs because a stage requires their field."""

from __future__ import annotations

import pytest

from config.errors import SheetLayoutError
from config.models import Pipeline, Stage
from rules.headers import match_columns, required_fields
from tests.rules.test_headers import deals_tab


def with_stage_required(pipeline: Pipeline, required: dict[str, list[str]]) -> Pipeline:
    stages = [
        stage.model_copy(update={"required": required.get(stage.name, [])})
        for stage in pipeline.stages
    ]
    return pipeline.model_copy(update={"stages": stages})


def test_stage_required_column_missing(english_pipeline: Pipeline) -> None:
    pipeline = with_stage_required(english_pipeline, {"Proposal": ["close_date"]})
    grid = deals_tab(["Deal ID", "Stage", "Expected Closing"], ["D-1", "Lead", None])

    with pytest.raises(SheetLayoutError) as error:
        match_columns(grid, pipeline)

    assert str(error.value) == (
        "Workbook 'Pipeline.xlsx', tab 'Deals': required columns are missing in "
        "header row 1. No column for 'close_date' (looked for 'Expected Close', "
        "'Close Date'), which stage 'Proposal' requires; the nearest header is "
        "'Expected Closing' in column C. Headers found: A 'Deal ID', B 'Stage', "
        "C 'Expected Closing'. Rename the header in the sheet, or add the sheet's "
        "header text to the field's aliases in the definition. If the sheet does "
        "not keep that column, add it, or take the field out of the stage's "
        "required list in the definition."
    )


def test_column_of_two_stages_missing(english_pipeline: Pipeline) -> None:
    required = {"Proposal": ["amount"], "Closed Won": ["amount", "owner"]}
    pipeline = with_stage_required(english_pipeline, required)
    grid = deals_tab(["Deal ID", "Stage", "Owner"], ["D-1", "Lead", "Ana"])

    with pytest.raises(SheetLayoutError) as error:
        match_columns(grid, pipeline)

    assert "No column for 'owner'" not in str(error.value)
    assert (
        "No column for 'amount' (looked for 'Amount', 'Deal Value'), which the "
        "stages 'Proposal', 'Closed Won' require. Headers found: "
    ) in str(error.value)


def test_stage_required_column_found(english_pipeline: Pipeline) -> None:
    pipeline = with_stage_required(english_pipeline, {"Proposal": ["close_date"]})
    grid = deals_tab(["Deal ID", "Stage", "Close Date"], ["D-1", "Lead", None])

    columns = match_columns(grid, pipeline)

    assert columns.fields == {"id": 0, "stage": 1, "close_date": 2}


def test_required_fields_name_their_stages(english_pipeline: Pipeline) -> None:
    required = {"Proposal": ["close_date", "amount"], "Closed Won": ["amount"]}
    pipeline = with_stage_required(english_pipeline, required)

    assert required_fields(pipeline) == {
        "id": [],
        "stage": [],
        "amount": ["Proposal", "Closed Won"],
        "close_date": ["Proposal"],
    }


def test_required_fields_without_stage_needs() -> None:
    pipeline = Pipeline.model_validate(
        {
            "name": "Minimal",
            "source": {"tab": "Deals"},
            "columns": {
                "id": {"aliases": ["Deal ID"]},
                "owner": {"aliases": ["Owner"], "required": True},
                "stage": {"aliases": ["Stage"]},
            },
            "stages": [Stage(name="Lead"), Stage(name="Won", outcome="won")],
        }
    )

    assert required_fields(pipeline) == {"id": [], "owner": [], "stage": []}


def test_nearest_header_prefers_containing_header(english_pipeline: Pipeline) -> None:
    pipeline = with_stage_required(english_pipeline, {"Proposal": ["close_date"]})
    columns = dict(pipeline.columns)
    columns["close_date"] = columns["close_date"].model_copy(
        update={"aliases": ["Grund"]}
    )
    pipeline = pipeline.model_copy(update={"columns": columns})
    grid = deals_tab(["Deal ID", "Stage", "Kunde", "Verlustgrund"])

    with pytest.raises(SheetLayoutError) as error:
        match_columns(grid, pipeline)

    assert "the nearest header is 'Verlustgrund' in column D." in str(error.value)
