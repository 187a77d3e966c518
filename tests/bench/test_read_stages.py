"""Tests of the script that times the read stages of a run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.generate import generate_pipeline
from bench.read_stages import main


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "deals.xlsx"
    generate_pipeline(50, path, seed=7)
    return path


def test_prints_both_stages_as_json(
    workbook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(workbook), "--repeats", "2"]) == 0

    result = json.loads(capsys.readouterr().out)
    assert sorted(result) == ["read_deals", "read_rows", "repeats"]
    assert result["repeats"] == 2
    assert result["read_rows"] >= 0
    assert result["read_deals"] >= 0


def test_zero_repeats_is_usage_error(
    workbook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([str(workbook), "--repeats", "0"])

    assert exit_info.value.code == 2
    assert "--repeats must be 1 or more" in capsys.readouterr().err
