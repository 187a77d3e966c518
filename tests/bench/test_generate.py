"""Tests of the synthetic pipeline workbook generator used by the benchmarks."""

from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from bench.generate import (
    BAD_DATES,
    HEADER,
    OWNERS,
    STAGES,
    generate_pipeline,
    make_deal,
)
from config.models import Locale
from sync.starter import STARTER_LAYOUTS

REPOSITORY = Path(__file__).resolve().parents[2]


def read_tab(path: Path, tab: str) -> list[list[object]]:
    workbook = CalamineWorkbook.from_path(str(path))
    return workbook.get_sheet_by_name(tab).to_python()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "deals.xlsx"
    generate_pipeline(200, path, seed=7)
    return path


def test_header_matches_english_starter() -> None:
    assert HEADER == STARTER_LAYOUTS[Locale.EN].headers


def test_generated_layout_title_and_header(generated: Path) -> None:
    rows = read_tab(generated, "Deals")
    assert rows[0][0] == "Sales pipeline"
    assert rows[1] == [""] * len(HEADER)
    assert tuple(rows[2]) == HEADER


def test_generated_has_requested_rows(generated: Path) -> None:
    rows = read_tab(generated, "Deals")
    assert len(rows) - 3 == 200


def test_generated_covers_every_stage(generated: Path) -> None:
    stages = Counter(row[3] for row in read_tab(generated, "Deals")[3:])
    assert set(stages) == {stage[0] for stage in STAGES}


def test_generated_lists_tab(generated: Path) -> None:
    rows = read_tab(generated, "Lists")
    assert rows[0] == ["Stage", "Owner", "Product", "Lead Source"]
    assert [row[0] for row in rows[1:8]] == [stage[0] for stage in STAGES]


def test_same_seed_gives_same_file(generated: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.xlsx"
    generate_pipeline(200, again, seed=7)
    assert again.read_bytes() == generated.read_bytes()


def test_other_seed_gives_other_deals(generated: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.xlsx"
    generate_pipeline(200, other, seed=8)
    assert read_tab(other, "Deals") != read_tab(generated, "Deals")


@pytest.fixture(scope="module")
def many_deals() -> list[list[object]]:
    rng = random.Random(7)
    return [make_deal(rng, number) for number in range(20_000)]


@pytest.mark.parametrize(
    ("column", "is_bad"),
    [
        ("Owner", lambda value: value not in OWNERS),
        ("Amount", lambda value: isinstance(value, str)),
        ("Expected Close", lambda value: value in BAD_DATES),
        ("Account", lambda value: value is None),
    ],
    ids=["unknown-owner", "text-amount", "bad-date", "missing-account"],
)
def test_about_one_percent_bad_values(
    many_deals: list[list[object]], column: str, is_bad: object
) -> None:
    assert callable(is_bad)
    index = HEADER.index(column)
    share = sum(bool(is_bad(deal[index])) for deal in many_deals) / len(many_deals)
    assert 0.007 < share < 0.013


def test_command_line_writes_workbook(tmp_path: Path) -> None:
    out = tmp_path / "out" / "deals.xlsx"
    result = subprocess.run(
        [sys.executable, "bench/generate.py", "200", "--out", str(out)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stderr == f"Wrote 200 deals to {out}\n"
    assert len(read_tab(out, "Deals")) == 203


def test_command_line_rejects_negative_rows(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "bench/generate.py", "-5", "--out", str(tmp_path / "x.xlsx")],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.endswith(
        "generate.py: error: ROWS must be 0 or more, got -5\n"
    )
