"""A workbook with several hard links: runs and doctor warn that a write splits them."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from config.models import Locale
from sync.atomic import BACKUP_FOLDER
from sync.cli import cli
from sync.hard_links import count_other_names
from sync.starter import build_starter_workbook

pytestmark = pytest.mark.skipif(not hasattr(os, "link"), reason="hard links")

AS_OF = "2025-09-30"
TWO_LINKS_WARNING = (
    "Workbook 'mine.xlsx' has 2 hard links (names of one file). pipesheet "
    "writes a new file and renames it over 'mine.xlsx', so the other name keeps "
    "the old content. Run pipesheet on the name your team opens, or replace the "
    "other names with symbolic links to it (ln -sf), which pipesheet follows."
)


@pytest.fixture
def team(tmp_path: Path) -> Path:
    return build_starter_workbook(
        tmp_path / "team.xlsx", Locale.EN, as_of=dt.date(2025, 9, 30)
    )


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def run_in_place(workbook: Path) -> Result:
    state = workbook.parent / "state.sqlite"
    return invoke(
        "run", "b2b-en", "--source", str(workbook), "--state", str(state),
        "--as-of", AS_OF, "--json",
    )  # fmt: skip


def test_run_through_hard_link_warns(team: Path) -> None:
    mine = team.with_name("mine.xlsx")
    os.link(team, mine)
    before = team.read_bytes()

    result = run_in_place(mine)

    assert result.exit_code == 0
    assert json.loads(result.stdout)["warnings"] == [TWO_LINKS_WARNING]
    assert team.read_bytes() == before
    assert mine.read_bytes() != before


def test_three_names_counted(team: Path) -> None:
    mine = team.with_name("mine.xlsx")
    os.link(team, mine)
    os.link(team, team.with_name("copy.xlsx"))

    result = run_in_place(mine)

    [warning] = json.loads(result.stdout)["warnings"]
    assert warning.startswith("Workbook 'mine.xlsx' has 3 hard links ")
    assert "so the other names keep the old content." in warning


def test_single_name_not_warned(team: Path) -> None:
    result = run_in_place(team)

    assert result.exit_code == 0
    assert json.loads(result.stdout)["warnings"] == []


def test_names_apart_after_write(team: Path) -> None:
    mine = team.with_name("mine.xlsx")
    os.link(team, mine)

    run_in_place(mine)

    # The write gave mine.xlsx a file of its own. The backup of the version
    # it replaced, named after mine.xlsx, links to team.xlsx's file.
    assert count_other_names(mine) == 0
    assert count_other_names(team) == 0


def test_backup_link_not_counted(team: Path) -> None:
    # A write stopped between keeping its backup and the rename leaves the
    # backup linked to the workbook's file.
    backups = team.parent / BACKUP_FOLDER
    backups.mkdir()
    os.link(team, backups / "team.20250930T070000000000Z.xlsx")

    assert count_other_names(team) == 0


def test_doctor_warns_of_hard_link(team: Path) -> None:
    mine = team.with_name("mine.xlsx")
    os.link(team, mine)

    result = invoke("doctor", "b2b-en", "--source", str(mine), "--json")

    checks = json.loads(result.stdout)["checks"]
    assert result.exit_code == 0
    assert {
        "name": "Hard links",
        "outcome": "warned",
        "detail": TWO_LINKS_WARNING,
    } in checks


def test_doctor_skips_unwritten_csv(tmp_path: Path) -> None:
    # pipesheet never writes a CSV file, so its hard links stay together.
    deals = tmp_path / "deals.csv"
    deals.write_text("Deal ID,Stage\nD-1,Lead\n", encoding="utf-8")
    os.link(deals, tmp_path / "copy.csv")

    result = invoke("doctor", "b2b-en", "--source", str(deals), "--json")

    names = [check["name"] for check in json.loads(result.stdout)["checks"]]
    assert "Hard links" not in names
