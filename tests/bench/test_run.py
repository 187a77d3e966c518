"""Tests of the benchmark harness: it runs, prints its table and checks writes.

The harness runs for real on a 200-row workbook with one repetition. Nothing
here asserts on a time or a memory figure, only on what is printed and checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bench import generate
from bench.run import (
    AS_OF,
    BASELINE,
    DAY_AFTER_RUN,
    DEALS_TAB,
    DEFAULT_SEED,
    FIRST_RUN,
    HEADER_ROW,
    NEXT_DAY_RUN,
    OPERATIONS,
    READ_CHECK,
    RERUN,
    RERUN_CHECK,
    TIMES_FILE,
    BenchmarkError,
    Job,
    baseline_command,
    cached_workbook,
    fingerprint_folder,
    format_table,
    growth_exponent,
    measure_with_twin,
    pipesheet_command,
    timed_baseline_command,
    timed_pipesheet_command,
)

REPOSITORY = Path(__file__).resolve().parents[2]


class HarnessRun:
    """The output of one ``bench/run.py`` process."""

    def __init__(self, out: Path) -> None:
        raw = out / "raw.json"
        command = [sys.executable, "bench/run.py", "--rows", "200", "--reps", "1"]
        command += ["--out", str(out), "--json", str(raw)]
        finished = subprocess.run(
            command, cwd=REPOSITORY, capture_output=True, text=True, check=False
        )
        self.returncode = finished.returncode
        self.stdout = finished.stdout
        self.stderr = finished.stderr
        self.raw: dict[str, Any] = json.loads(raw.read_text()) if raw.exists() else {}


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> HarnessRun:
    return HarnessRun(tmp_path_factory.mktemp("bench-run"))


def table_row(stdout: str, operation: str) -> list[str]:
    """Return the cells of the table line that starts with ``operation``."""
    for line in stdout.splitlines():
        if line.startswith(operation + "  "):
            return line[len(operation) :].split()
    return []


def test_harness_exits_zero(harness: HarnessRun) -> None:
    assert harness.returncode == 0, harness.stderr


def test_table_title_names_size(harness: HarnessRun) -> None:
    assert "200 rows · deals-200-seed7.xlsx" in harness.stdout


def test_table_header_lists_columns(harness: HarnessRun) -> None:
    header = (
        "operation  median s  range s  CPU s  imports s  work s  peak MB  "
        "time vs openpyxl  work vs openpyxl  RSS vs openpyxl"
    )
    squeezed = [" ".join(line.split()) for line in harness.stdout.splitlines()]
    assert " ".join(header.split()) in squeezed


@pytest.mark.parametrize(
    "operation",
    [FIRST_RUN, RERUN, RERUN_CHECK, NEXT_DAY_RUN, DAY_AFTER_RUN, READ_CHECK, BASELINE],
    ids=[
        "first-run",
        "re-run",
        "re-run-check",
        "next-day",
        "day-after",
        "read-check",
        "openpyxl-baseline",
    ],
)
def test_table_has_operation_row(harness: HarnessRun, operation: str) -> None:
    assert len(table_row(harness.stdout, operation)) == 9


@pytest.mark.parametrize(
    "operation",
    [FIRST_RUN, BASELINE],
    ids=["first-run", "openpyxl-baseline"],
)
def test_work_time_is_measured(harness: HarnessRun, operation: str) -> None:
    imports, work = table_row(harness.stdout, operation)[3:5]
    assert float(imports) > 0
    assert float(work) > 0


def test_operation_names_are_expected() -> None:
    assert OPERATIONS == (
        "pipesheet first run",
        "pipesheet re-run, no changes",
        "pipesheet read+check of (1)'s output (--dry-run)",
        "pipesheet run of (1)'s output, next day",
        "pipesheet run of (4)'s output, next day",
        "pipesheet read+check (--dry-run)",
        "openpyxl load + set status + save",
    )


def test_baseline_ratio_is_one(harness: HarnessRun) -> None:
    cells = table_row(harness.stdout, BASELINE)
    assert cells[-3:] == ["1.00×", "1.00×", "1.00×"]


def test_rerun_wrote_zero_bytes(harness: HarnessRun) -> None:
    assert "re-run wrote 0 bytes: yes (1 of 1 runs" in harness.stdout


def test_read_check_wrote_zero_bytes(harness: HarnessRun) -> None:
    assert "read+check wrote 0 bytes: yes (1 of 1 runs" in harness.stdout


def first_run_line(stdout: str) -> str:
    lines = [line for line in stdout.splitlines() if line.startswith("first run:")]
    return lines[0] if len(lines) == 1 else ""


def test_first_run_filled_every_status(harness: HarnessRun) -> None:
    line = first_run_line(harness.stdout)
    assert line.startswith("first run: 200 of 200 status cells filled, ")


def test_first_run_added_tabs(harness: HarnessRun) -> None:
    # Stage log is added too when the run keeps a state database.
    line = first_run_line(harness.stdout)
    assert "tabs added: Funnel, Follow-ups, Problems, Definitions" in line


def test_first_run_check_passed(harness: HarnessRun) -> None:
    assert first_run_line(harness.stdout).endswith("(ok, 1 of 1 runs)")


def test_machine_lines_name_packages(harness: HarnessRun) -> None:
    for package in ("openpyxl", "python-calamine", "pandas", "isal"):
        assert f"{package} " in harness.stdout


def test_one_size_has_no_growth(harness: HarnessRun) -> None:
    assert "Growth exponent: needs two or more sizes" in harness.stdout


def test_raw_json_rerun_check(harness: HarnessRun) -> None:
    assert harness.raw["sizes"][0]["rerun_wrote_nothing"] == [True]


def test_raw_json_has_every_operation(harness: HarnessRun) -> None:
    runs = harness.raw["sizes"][0]["runs"]
    assert list(runs) == list(OPERATIONS)


def test_raw_json_runs_exit_zero(harness: HarnessRun) -> None:
    runs = harness.raw["sizes"][0]["runs"]
    assert {run["returncode"] for op in runs.values() for run in op} == {0}


def test_cached_workbook_is_reused(tmp_path: Path) -> None:
    first = cached_workbook(tmp_path, 20, DEFAULT_SEED)
    modified = first.stat().st_mtime_ns
    again = cached_workbook(tmp_path, 20, DEFAULT_SEED)
    assert again == first
    assert again.stat().st_mtime_ns == modified


def test_cache_name_has_rows_and_seed(tmp_path: Path) -> None:
    assert cached_workbook(tmp_path, 20, 3).name == "deals-20-seed3.xlsx"


def test_fingerprint_sees_rewrite_same_bytes(tmp_path: Path) -> None:
    workbook = tmp_path / "deals.xlsx"
    workbook.write_bytes(b"PK")
    before = fingerprint_folder(tmp_path)
    os.utime(workbook, ns=(0, workbook.stat().st_mtime_ns + 1_000_000))
    assert fingerprint_folder(tmp_path) != before


def test_fingerprint_sees_new_backup(tmp_path: Path) -> None:
    (tmp_path / "deals.xlsx").write_bytes(b"PK")
    before = fingerprint_folder(tmp_path)
    (tmp_path / ".pipesheet-backups").mkdir()
    (tmp_path / ".pipesheet-backups" / "deals.1.xlsx").write_bytes(b"PK")
    assert fingerprint_folder(tmp_path) != before


def test_layout_matches_generator() -> None:
    assert AS_OF == generate.AS_OF.isoformat()
    assert HEADER_ROW == generate.HEADER_ROW
    assert DEFAULT_SEED == generate.DEFAULT_SEED
    assert DEALS_TAB == "Deals"


@pytest.mark.parametrize(
    ("values", "expected"),
    [((3.0, 30.0), "1.00"), ((3.0, 300.0), "2.00"), ((3.0, 3.0), "0.00")],
    ids=["linear", "quadratic", "flat"],
)
def test_growth_exponent_slopes(values: tuple[float, float], expected: str) -> None:
    assert growth_exponent((10_000, 100_000), values) == expected


def test_growth_exponent_without_logarithm() -> None:
    assert growth_exponent((10_000, 100_000), (0.0, 5.0)) == "n/a"


def test_format_table_aligns_columns() -> None:
    text = format_table(["operation", "s"], [["a", "1.00"], ["longer", "12.50"]])
    assert text.splitlines() == [
        "operation      s",
        "---------  -----",
        "a           1.00",
        "longer     12.50",
    ]


def test_pipesheet_command_is_plain_run() -> None:
    command = pipesheet_command(Path("deals.xlsx"), "--dry-run")

    assert command == [
        sys.executable,
        "-m",
        "sync",
        "run",
        "b2b-en",
        "--source",
        "deals.xlsx",
        "--as-of",
        AS_OF,
        "-q",
        "--dry-run",
    ]


def test_baseline_command_is_plain_script() -> None:
    command = baseline_command(Path("deals.xlsx"))

    assert command[1].endswith("openpyxl_baseline.py")
    assert command[2:] == ["deals.xlsx", "--tab", "Deals", "--header-row", "3"]


def test_timed_pipesheet_twin_same_arguments() -> None:
    timed = timed_pipesheet_command(Path("deals.xlsx"), "--dry-run")

    assert timed[1].endswith("timed_job.py")
    # sync.cli:main would end the process before timed_job.py writes times.
    assert timed[timed.index("--") + 1] == "sync.cli:cli"
    assert timed[-8:] == pipesheet_command(Path("deals.xlsx"), "--dry-run")[-8:]


def test_timed_baseline_twin_same_arguments() -> None:
    timed = timed_baseline_command(Path("deals.xlsx"))

    assert timed[timed.index("--") + 1] == "openpyxl_baseline:main"
    assert timed[-5:] == baseline_command(Path("deals.xlsx"))[-5:]


def python_command(code: str) -> list[str]:
    return [sys.executable, "-c", code]


# A twin that changes the workbook and the state database, then writes times.
CHANGING_TWIN = (
    "import json, pathlib\n"
    "pathlib.Path('job/deals.xlsx').write_text('changed by the twin')\n"
    "pathlib.Path('job/new.tmp').write_text('left by the twin')\n"
    "pathlib.Path('state.sqlite').write_text('changed by the twin')\n"
    f"times = {{'imports_seconds': 0.5, 'job_seconds': 1.5}}\n"
    f"pathlib.Path('{TIMES_FILE}').write_text(json.dumps(times))\n"
)
# A job that records the workbook and state database it found.
RECORDING_JOB = (
    "import pathlib\n"
    "found = [pathlib.Path(name).read_text() for name in ('job/deals.xlsx', "
    "'state.sqlite')]\n"
    "pathlib.Path('found.txt').write_text(' | '.join(found))\n"
)


def twin_job(folder: Path, twin: str) -> Job:
    """Return a job in ``folder/job`` whose twin runs ``twin``."""
    (folder / "job").mkdir()
    (folder / "job" / "deals.xlsx").write_text("original workbook")
    (folder / "state.sqlite").write_text("original state")
    return Job(
        python_command(RECORDING_JOB),
        python_command(twin),
        folder / "job",
        folder / "job.log",
        folder / "state.sqlite",
    )


def test_job_runs_on_files_before_twin(tmp_path: Path) -> None:
    job = twin_job(tmp_path, CHANGING_TWIN)
    before = fingerprint_folder(job.folder)

    measure_with_twin(job)

    assert (tmp_path / "found.txt").read_text() == "original workbook | original state"
    assert fingerprint_folder(job.folder) == before
    assert not (tmp_path / "job.saved").exists()


def test_job_run_has_twin_times(tmp_path: Path) -> None:
    run = measure_with_twin(twin_job(tmp_path, CHANGING_TWIN))

    assert run.imports_seconds == 0.5
    assert run.job_seconds == 1.5
    assert run.returncode == 0


def test_twin_without_times_rejected(tmp_path: Path) -> None:
    job = twin_job(tmp_path, "pass")

    with pytest.raises(BenchmarkError) as raised:
        measure_with_twin(job)

    assert f"wrote no {TIMES_FILE}" in str(raised.value)
    assert not (tmp_path / "found.txt").exists()


def test_twin_state_removed_when_none_before(tmp_path: Path) -> None:
    job = twin_job(tmp_path, CHANGING_TWIN + "open('state.sqlite-wal', 'w')\n")
    assert job.state is not None
    job.state.unlink()

    measure_with_twin(replace(job, command=python_command("pass")))

    assert not job.state.exists()
    assert not job.state.with_name("state.sqlite-wal").exists()
