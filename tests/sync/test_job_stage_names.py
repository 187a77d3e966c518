"""Tests of recorded runs after a stage of the definition is renamed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from config.loader import load_pipeline
from config.models import Pipeline
from rules.history import Transition
from sync.job import RunRequest, record_run
from sync.state.keys import workbook_key
from sync.state.store import StateStore
from tests.sync.pipeline_files import SheetDeal, write_deals, write_definition

SEPTEMBER_29 = dt.date(2025, 9, 29)
OCTOBER_6 = dt.date(2025, 10, 6)


def renamed_definition(folder: Path, stage: str) -> Pipeline:
    """Return the test definition with its Proposal stage written as ``stage``."""
    text = write_definition(folder).read_text(encoding="utf-8")
    text = text.replace("{name: Proposal,", stage)
    path = folder / "renamed.yaml"
    path.write_text(text, encoding="utf-8")
    return load_pipeline(path)


def run_on(pipeline: Pipeline, store: StateStore, as_of: dt.date) -> None:
    now = dt.datetime.combine(as_of, dt.time(5, 0), dt.UTC)
    record_run(RunRequest(pipeline, as_of), store, now=now)


@pytest.mark.parametrize(
    ("stage", "name"),
    [
        ("{name: Quote, aliases: [Proposal],", "Quote"),
        ("{name: PROPOSAL,", "PROPOSAL"),
    ],
    ids=["alias", "case"],
)
def test_renamed_stage_is_no_move(
    tmp_path: Path, store: StateStore, stage: str, name: str
) -> None:
    workbook = tmp_path / "pipeline.xlsx"
    write_deals(workbook, [SheetDeal("P-1", "Ana", "Proposal")])
    run_on(load_pipeline(write_definition(tmp_path)), store, SEPTEMBER_29)
    renamed = renamed_definition(tmp_path, stage)

    run_on(renamed, store, OCTOBER_6)

    key = workbook_key(renamed)
    assert store.transitions(key, tab="Deals") == [
        Transition("P-1", None, "Proposal", SEPTEMBER_29)
    ]
    snapshot = store.latest_snapshot(key, tab="Deals") or []
    assert [deal.stage for deal in snapshot] == [name]
