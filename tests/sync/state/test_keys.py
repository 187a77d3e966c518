"""Tests of the workbook key that names a workbook in the state database."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import DefinitionError
from config.loader import load_pipeline
from config.models import Pipeline, SourceConfig, SourceKind
from config.shipped import shipped_definition
from sync.state.keys import spreadsheet_id, workbook_key

SHEET_ID = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"


@pytest.fixture
def excel_pipeline() -> Pipeline:
    return load_pipeline(shipped_definition("b2b-en"))


def google_pipeline(base: Pipeline, spreadsheet: str | None) -> Pipeline:
    source = SourceConfig(
        kind=SourceKind.GOOGLE_SHEETS, spreadsheet=spreadsheet, tab="Deals"
    )
    return base.model_copy(update={"source": source})


def test_excel_key_is_absolute_path(
    excel_pipeline: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert workbook_key(excel_pipeline, "pipeline.xlsx") == str(
        tmp_path / "pipeline.xlsx"
    )


def test_excel_key_resolves_dot_segments(
    excel_pipeline: Pipeline, tmp_path: Path
) -> None:
    location = str(tmp_path / "sub" / ".." / "pipeline.xlsx")
    assert workbook_key(excel_pipeline, location) == str(tmp_path / "pipeline.xlsx")


def test_excel_key_defaults_to_source_path(
    excel_pipeline: Pipeline, tmp_path: Path
) -> None:
    source = excel_pipeline.source.model_copy(
        update={"path": str(tmp_path / "team.xlsx")}
    )
    pipeline = excel_pipeline.model_copy(update={"source": source})
    assert workbook_key(pipeline) == str(tmp_path / "team.xlsx")


@pytest.mark.parametrize(
    "location",
    [
        SHEET_ID,
        f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit#gid=0",
        f"https://docs.google.com/spreadsheets/d/{SHEET_ID}",
        f"  {SHEET_ID}\n",
        f"https://docs.google.com/spreadsheets/u/1/d/{SHEET_ID}/edit?usp=sharing",
    ],
    ids=["id", "edit-url", "bare-url", "padded-id", "second-account-url"],
)
def test_google_key_is_spreadsheet_id(excel_pipeline: Pipeline, location: str) -> None:
    pipeline = google_pipeline(excel_pipeline, location)
    assert workbook_key(pipeline) == SHEET_ID


def test_google_key_prefers_source_location(excel_pipeline: Pipeline) -> None:
    pipeline = google_pipeline(excel_pipeline, "other-id")
    assert workbook_key(pipeline, SHEET_ID) == SHEET_ID


def test_spreadsheet_id_keeps_plain_id() -> None:
    assert spreadsheet_id(SHEET_ID) == SHEET_ID


def test_missing_location_raises(excel_pipeline: Pipeline) -> None:
    source = excel_pipeline.source.model_copy(update={"path": None})
    pipeline = excel_pipeline.model_copy(update={"source": source})
    with pytest.raises(DefinitionError) as raised:
        workbook_key(pipeline)
    assert str(raised.value) == (
        f"Definition {pipeline.name!r}: source.path is not set. Set it in the "
        "definition or pass --source."
    )
