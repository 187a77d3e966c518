"""Tests of recorded runs whose definition changed its stages between runs.

Each run records its stage list, so a move is judged by the list of the run
that recorded it, and a month's review counts the stages of the month's runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.loader import load_pipeline
from config.models import Locale, Pipeline
from config.shipped import shipped_definition
from rules.findings import Finding
from rules.messages import render_message
from sync.job import RunRequest, record_run
from sync.starter import build_starter_workbook
from sync.state.store import StateStore
from tests.sync.pipeline_files import read_tab
from tests.sync.test_job_stage_history import write_rows

# A change to the parsed YAML of a definition.
Edit = Callable[[dict[str, Any]], None]

SKIPPED_DISCOVERY = (
    "Stage moved from 'Qualified' to 'Demo', skipping Discovery; check that the "
    "skipped stages were done."
)
SKIPPED_QUALIFIED = (
    "Stage moved from 'Lead' to 'Demo', skipping Qualified; check that the "
    "skipped stages were done."
)


def day(number: int) -> dt.date:
    """Return 2027-01-``number``."""
    return dt.date(2027, 1, number)


@pytest.fixture
def base(tmp_path: Path) -> dict[str, Any]:
    """Return the shipped English definition, parsed, with its workbook built."""
    build_starter_workbook(tmp_path / "pipeline.xlsx", Locale.EN, as_of=day(1))
    text = shipped_definition("b2b-en").read_text(encoding="utf-8")
    parsed: dict[str, Any] = yaml.safe_load(text)
    parsed["transitions"] = {"allow_skips": False, "allow_moves_back": False}
    return parsed


def definition(folder: Path, base: dict[str, Any], *edits: Edit) -> Pipeline:
    """Write ``base`` with ``edits`` applied beside the workbook and load it."""
    parsed = yaml.safe_load(yaml.safe_dump(base))
    for edit in edits:
        edit(parsed)
    path = folder / f"definition-{len(list(folder.glob('definition-*')))}.yaml"
    path.write_text(yaml.safe_dump(parsed, sort_keys=False), encoding="utf-8")
    return load_pipeline(path)


def insert_discovery(parsed: dict[str, Any]) -> None:
    """Add the open stage Discovery between Qualified and Demo."""
    parsed["stages"].insert(2, {"name": "Discovery", "probability": 0.2})


def swap_qualified_and_demo(parsed: dict[str, Any]) -> None:
    stages = parsed["stages"]
    stages[1], stages[2] = stages[2], stages[1]


def remove_qualified(parsed: dict[str, Any]) -> None:
    parsed["stages"] = [
        stage for stage in parsed["stages"] if stage["name"] != "Qualified"
    ]


def run_on(pipeline: Pipeline, store: StateStore, as_of: dt.date) -> list[Finding]:
    """Record a run as of ``as_of`` and return its findings."""
    now = dt.datetime.combine(as_of, dt.time(6, 0), dt.UTC)
    return record_run(RunRequest(pipeline, as_of), store, now=now).result.findings


def move_findings(findings: list[Finding], deal_id: str) -> list[tuple[str, str]]:
    """Return the deal's stage-skipped and moved-back findings: code and message."""
    codes = ("stage-skipped", "moved-back")
    return [
        (finding.code.value, render_message(finding, Locale.EN))
        for finding in findings
        if finding.deal_id == deal_id and finding.code.value in codes
    ]


def test_added_stage_not_skipped_by_earlier_move(
    tmp_path: Path, base: dict[str, Any], store: StateStore
) -> None:
    old = definition(tmp_path, base)
    write_rows(tmp_path, [("D-1", "Qualified", day(1)), ("D-2", "Qualified", day(1))])
    run_on(old, store, day(1))
    write_rows(tmp_path, [("D-1", "Demo", day(2)), ("D-2", "Qualified", day(1))])
    assert move_findings(run_on(old, store, day(2)), "D-1") == []

    new = definition(tmp_path, base, insert_discovery)
    write_rows(tmp_path, [("D-1", "Demo", day(2)), ("D-2", "Demo", day(3))])
    findings = run_on(new, store, day(3))

    assert move_findings(findings, "D-1") == []
    # D-2 made the same move under the new list, so it skipped Discovery.
    assert move_findings(findings, "D-2") == [
        ("stage-skipped", SKIPPED_DISCOVERY),
    ]
    assert move_findings(run_on(new, store, day(4)), "D-1") == []


def test_reordered_stages_not_moved_back(
    tmp_path: Path, base: dict[str, Any], store: StateStore
) -> None:
    old = definition(tmp_path, base)
    write_rows(tmp_path, [("D-1", "Qualified", day(1)), ("D-2", "Demo", day(1))])
    run_on(old, store, day(1))
    write_rows(tmp_path, [("D-1", "Demo", day(2)), ("D-2", "Demo", day(1))])
    run_on(old, store, day(2))

    new = definition(tmp_path, base, swap_qualified_and_demo)
    write_rows(tmp_path, [("D-1", "Demo", day(2)), ("D-2", "Qualified", day(3))])
    findings = run_on(new, store, day(3))

    assert move_findings(findings, "D-1") == []
    # D-2 moved forward under the new order, and back under the old one.
    assert move_findings(findings, "D-2") == []


def test_earlier_skip_kept_after_stage_removed(
    tmp_path: Path, base: dict[str, Any], store: StateStore
) -> None:
    old = definition(tmp_path, base)
    write_rows(tmp_path, [("D-1", "Lead", day(1))])
    run_on(old, store, day(1))
    write_rows(tmp_path, [("D-1", "Demo", day(2))])
    run_on(old, store, day(2))

    new = definition(tmp_path, base, remove_qualified)
    findings = run_on(new, store, day(3))

    assert move_findings(findings, "D-1") == [
        ("stage-skipped", SKIPPED_QUALIFIED),
    ]


def test_same_day_runs_judge_moves_by_both_lists(
    tmp_path: Path, base: dict[str, Any], store: StateStore
) -> None:
    old = definition(tmp_path, base)
    write_rows(tmp_path, [("D-1", "Qualified", day(1))])
    run_on(old, store, day(1))
    write_rows(tmp_path, [("D-1", "Demo", day(2))])
    run_on(old, store, day(2))

    new = definition(tmp_path, base, insert_discovery)
    # A second run of the same day, after the stage was added.
    assert move_findings(run_on(new, store, day(2)), "D-1") == []


def review_rows(folder: Path, month: str) -> dict[str, list[object]]:
    """Return the funnel rows of the month's review tab, by stage."""
    lines = read_tab(folder / "pipeline.xlsx", f"Review {month}")
    header = next(
        index for index, line in enumerate(lines) if line[:2] == ["Stage", "Outcome"]
    )
    rows: dict[str, list[object]] = {}
    for line in lines[header + 1 :]:
        if not line or line[0] is None:
            break
        rows[str(line[0])] = line[1:8]
    return rows


def test_review_keeps_stage_removed_on_first(
    tmp_path: Path, base: dict[str, Any], store: StateStore
) -> None:
    may = definition(tmp_path, base)
    write_rows(tmp_path, [("D-1", "Lead", dt.date(2027, 5, 28))])
    run_on(may, store, dt.date(2027, 5, 28))
    write_rows(tmp_path, [("D-1", "Qualified", dt.date(2027, 5, 30))])
    run_on(may, store, dt.date(2027, 5, 30))

    june = definition(tmp_path, base, remove_qualified, insert_discovery)
    run_on(june, store, dt.date(2027, 6, 1))

    rows = review_rows(tmp_path, "2027-05")
    assert list(rows) == [
        "Lead",
        "Qualified",
        "Demo",
        "Proposal",
        "Negotiation",
        "Closed Won",
        "Closed Lost",
    ]
    # Outcome, Entered, Moved on, Won, Lost, Left the sheet, Drop-off.
    assert rows["Lead"][:3] == ["open", 0, 1]
    assert rows["Qualified"][:3] == ["open", 1, 0]


def test_review_names_renamed_stage_as_now(
    tmp_path: Path, base: dict[str, Any], store: StateStore
) -> None:
    def rename_demo(parsed: dict[str, Any]) -> None:
        demo = parsed["stages"][2]
        demo["name"] = "Product Demo"
        demo["aliases"] = [*demo.get("aliases", []), "Demo"]

    may = definition(tmp_path, base)
    write_rows(tmp_path, [("D-1", "Qualified", dt.date(2027, 5, 28))])
    run_on(may, store, dt.date(2027, 5, 28))
    write_rows(tmp_path, [("D-1", "Demo", dt.date(2027, 5, 30))])
    run_on(may, store, dt.date(2027, 5, 30))

    june = definition(tmp_path, base, rename_demo)
    run_on(june, store, dt.date(2027, 6, 1))

    rows = review_rows(tmp_path, "2027-05")
    assert "Demo" not in rows
    assert rows["Qualified"][:3] == ["open", 0, 1]
    assert rows["Product Demo"][:3] == ["open", 1, 0]
