"""Measure pipesheet's speed and memory beside an openpyxl load-and-save baseline.

    python bench/run.py --rows 10000 100000 --reps 3 --out bench/out --json raw.json

For each size the workbook comes from ``bench/generate.py``, generated once and
kept in ``--out`` under its row count and seed. Then each repetition runs these
jobs, every one in a fresh process started through ``bench/measure.py``:

1. pipesheet first run on a fresh copy with an empty state database: the
   status column is empty, so every status cell is written and the generated
   tabs (Funnel, Follow-ups, Problems, Definitions, maybe Stage log) are added;
2. pipesheet re-run on the output of (1), with the state database of (1) and
   nothing changed. It must write nothing to the workbook. The size,
   modification time and SHA-256 of every file in the workbook's folder are
   compared before and after;
3. pipesheet ``run --dry-run`` on the output of (1), with a copy of the state
   database of (1): the same reading and checking as (2) without any write,
   which (2) must not cost much more than;
4. pipesheet run on the output of (1) with its state database, one day later
   (``--as-of`` :data:`NEXT_DAY`), as a daily schedule runs it: day counts
   and dates move, so every status cell and generated tab with them is
   rewritten. The next day is the first of a month, so the run also writes
   the previous month's review tab, which other days do not;
5. the same again one more day later (:data:`DAY_AFTER`), a day like most:
   no review is due;
6. pipesheet ``run --dry-run`` on a fresh copy with an empty state database:
   reading and checking only, the floor under any write;
7. the baseline: openpyxl load, one status cell set on every deal row, full save
   (``bench/openpyxl_baseline.py``) on a fresh copy.

Wall time is the job process's whole life, start-up and imports included
(from cached bytecode, as an installed package imports: see
:func:`keep_compiled_modules`), and peak memory is its ``ru_maxrss``. Both
come from the command as a user runs it: ``python -m sync run ...`` and
``python bench/openpyxl_baseline.py ...``.
``pipesheet run`` parses the workbook in a background thread while it imports
the modules that check and write, so its wall time is less than its imports
plus its work.

The "imports s" and "work s" columns come from a twin of each job, run just
before it on the same files under ``bench/timed_job.py``, which first imports
what the job would import on its way and then times the work alone. The work
time is the sync itself, without the interpreter's start-up and the imports.
After the twin, the job's folder and state database are put back as they
were, so the measured job starts from the same files. The output is one
table per size with the median, the range and the peak of the repetitions and
the ratios to the baseline, then the log-log growth exponents of pipesheet's
first run between consecutive sizes.
pipesheet runs from the checkout (on ``PYTHONPATH``), so the harness measures
whichever Excel writer the checkout has. Every job runs in the size's work
folder under ``--out``, and pipesheet's state database is set through
``PIPESHEET_STATE``, so no run leaves files elsewhere or sees the history of
another repetition.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.metadata
import itertools
import json
import logging
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from config.errors import PipesheetError
from config.loader import load_pipeline
from config.models import Pipeline
from config.shipped import shipped_definition

logger = logging.getLogger(__name__)

REPOSITORY = Path(__file__).resolve().parents[1]
BENCH = REPOSITORY / "bench"

DEFINITION = "b2b-en"
# bench/generate.py's layout, and the day its deal dates are relative to.
AS_OF = "2025-09-30"
DEALS_TAB = "Deals"
HEADER_ROW = 3
DEFAULT_SEED = 7

FIRST_RUN = "pipesheet first run"
RERUN = "pipesheet re-run, no changes"
READ_CHECK = "pipesheet read+check (--dry-run)"
RERUN_CHECK = "pipesheet read+check of (1)'s output (--dry-run)"
NEXT_DAY_RUN = "pipesheet run of (1)'s output, next day"
DAY_AFTER_RUN = "pipesheet run of (4)'s output, next day"
BASELINE = "openpyxl load + set status + save"
OPERATIONS = (
    FIRST_RUN,
    RERUN,
    RERUN_CHECK,
    NEXT_DAY_RUN,
    DAY_AFTER_RUN,
    READ_CHECK,
    BASELINE,
)
# The as-of days of the next-day runs: the first and second days after AS_OF.
NEXT_DAY = "2025-10-01"
DAY_AFTER = "2025-10-02"
STARTUP = "pipesheet start-up (--help)"
# Modules ``pipesheet run`` imports on its way, imported before its work is timed.
RUN_MODULES = (
    "sync.job",
    "sync.run",
    "sync.report",
    "sync.sources.registry",
    "sync.sources.excel",
    "sync.state.store",
    "rules.metrics",
)
TIMES_FILE = "job-times.json"
# The files SQLite may keep beside a database: the write-ahead log and its index.
STATE_JOURNALS = ("-wal", "-shm")

REPORTED_PACKAGES = (
    "openpyxl",
    "python-calamine",
    "pandas",
    "isal",
    "lxml",
    "xlsxwriter",
)


class BenchmarkError(PipesheetError):
    """A benchmark job failed or the workbook for it could not be made."""


@dataclass(frozen=True)
class JobRun:
    """One measured job process, with the import and work times of its twin."""

    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    returncode: int
    imports_seconds: float = 0.0
    job_seconds: float = 0.0


@dataclass(frozen=True)
class FirstRunCheck:
    """Status cells and new tabs found after the first run, read with calamine."""

    status_cells: int
    tabs_added: tuple[str, ...]
    passed: bool


@dataclass
class SizeResult:
    """The runs and checks of every operation at one workbook size."""

    rows: int
    workbook: str
    workbook_bytes: int
    load_average: list[float] = field(default_factory=list)
    runs: dict[str, list[JobRun]] = field(default_factory=dict)
    first_run_checks: list[FirstRunCheck] = field(default_factory=list)
    rerun_wrote_nothing: list[bool] = field(default_factory=list)
    read_check_wrote_nothing: list[bool] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether every check of every repetition passed."""
        return (
            all(check.passed for check in self.first_run_checks)
            and all(self.rerun_wrote_nothing)
            and all(self.read_check_wrote_nothing)
        )


def cached_workbook(out: Path, rows: int, seed: int) -> Path:
    """Return the generated workbook for ``rows`` and ``seed``, generating it once.

    The file is written under a temporary name and renamed, so an interrupted
    generation never leaves a partial workbook in the cache.

    :raises BenchmarkError: ``bench/generate.py`` failed.
    """
    path = out / f"deals-{rows}-seed{seed}.xlsx"
    if path.exists():
        return path

    partial = out / f"deals-{rows}-seed{seed}.partial.xlsx"
    command = [sys.executable, str(BENCH / "generate.py"), str(rows)]
    command += ["--out", str(partial), "--seed", str(seed)]
    logger.info("Generating %s", path)
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise BenchmarkError(
            f"Generating {path} failed with exit code {finished.returncode}: "
            f"{finished.stderr.strip()}"
        )
    os.replace(partial, path)
    return path


def pipesheet_command(workbook: Path, *options: str, as_of: str = AS_OF) -> list[str]:
    """Return the command line of one quiet ``pipesheet run`` on ``workbook``."""
    command = [sys.executable, "-m", "sync"]
    return command + pipesheet_arguments(workbook, *options, as_of=as_of)


def timed_pipesheet_command(
    workbook: Path, *options: str, as_of: str = AS_OF
) -> list[str]:
    """Return :func:`pipesheet_command` as a job of ``bench/timed_job.py``.

    The entry point is the click group, which returns to timed_job.py, and not
    ``sync.cli:main``, which ends the process without returning.
    """
    command = timed_job_command(RUN_MODULES, "sync.cli:cli")
    return command + pipesheet_arguments(workbook, *options, as_of=as_of)


def pipesheet_arguments(workbook: Path, *options: str, as_of: str = AS_OF) -> list[str]:
    """Return the arguments of one quiet ``pipesheet run`` on ``workbook``."""
    arguments = ["run", DEFINITION, "--source", str(workbook), "--as-of", as_of]
    return arguments + ["-q", *options]


def baseline_command(workbook: Path) -> list[str]:
    """Return the command line of the openpyxl baseline on ``workbook``."""
    command = [sys.executable, str(BENCH / "openpyxl_baseline.py")]
    return command + baseline_arguments(workbook)


def timed_baseline_command(workbook: Path) -> list[str]:
    """Return :func:`baseline_command` as a job of ``bench/timed_job.py``."""
    command = timed_job_command(("openpyxl",), "openpyxl_baseline:main")
    return command + baseline_arguments(workbook)


def baseline_arguments(workbook: Path) -> list[str]:
    """Return the arguments of the openpyxl baseline on ``workbook``."""
    return [str(workbook), "--tab", DEALS_TAB, "--header-row", str(HEADER_ROW)]


def timed_job_command(preload: Sequence[str], entry_point: str) -> list[str]:
    """Return the start of a command that runs ``entry_point`` under timed_job.py.

    The job writes its import and work times to ``TIMES_FILE`` in its folder.
    """
    command = [sys.executable, str(BENCH / "timed_job.py"), "--times", TIMES_FILE]
    return command + ["--preload", ",".join(preload), "--", entry_point]


@dataclass(frozen=True)
class Job:
    """One benchmark job: its command, its timed twin and the files it changes.

    ``folder`` contains the workbook the job reads and writes, and ``state`` is
    pipesheet's state database (None for the baseline).
    """

    command: list[str]
    timed_command: list[str]
    folder: Path
    log: Path
    state: Path | None = None


def measure_with_twin(job: Job) -> JobRun:
    """Time the job's twin, put its files back, then measure the job itself.

    :raises BenchmarkError: either process failed.
    """
    saved = save_job_files(job)
    twin_log = job.log.with_name(f"{job.log.stem}-timed{job.log.suffix}")
    try:
        twin = measure_job(job.timed_command, twin_log, job.state)
    finally:
        restore_job_files(job, saved)
    if not (twin_log.parent / TIMES_FILE).exists():
        raise BenchmarkError(
            f"Job {' '.join(job.timed_command)!r} wrote no {TIMES_FILE}; its "
            "entry point must return to bench/timed_job.py instead of ending "
            "the process."
        )
    run = measure_job(job.command, job.log, job.state)
    return replace(
        run, imports_seconds=twin.imports_seconds, job_seconds=twin.job_seconds
    )


def save_job_files(job: Job) -> Path:
    """Copy the job's folder and state database aside and return the copy's folder.

    Copies keep modification times, so the files put back look unchanged.
    """
    saved = job.folder.with_name(f"{job.folder.name}.saved")
    shutil.rmtree(saved, ignore_errors=True)
    shutil.copytree(job.folder, saved / "folder")
    if job.state is not None and job.state.exists():
        shutil.copy2(job.state, saved / "state")
    return saved


def restore_job_files(job: Job, saved: Path) -> None:
    """Put back the folder and state database that :func:`save_job_files` copied."""
    shutil.rmtree(job.folder)
    (saved / "folder").rename(job.folder)
    if job.state is not None:
        for leftover in state_files(job.state):
            leftover.unlink(missing_ok=True)
        if (saved / "state").exists():
            (saved / "state").rename(job.state)
    shutil.rmtree(saved)


def state_files(state: Path) -> list[Path]:
    """Return the SQLite database file and its journal files."""
    return [state, *(state.with_name(state.name + end) for end in STATE_JOURNALS)]


def measure_job(command: list[str], log: Path, state: Path | None = None) -> JobRun:
    """Run ``command`` under ``bench/measure.py`` and return its measurement.

    The job runs in the folder of ``log``, which receives its output.

    :param state: pipesheet's state database for the job, if it needs one.
    :raises BenchmarkError: the command could not start or exited with a
        non-zero code.
    """
    wrapper = [sys.executable, str(BENCH / "measure.py"), "--log", str(log), "--"]
    times_file = log.parent / TIMES_FILE
    times_file.unlink(missing_ok=True)
    finished = subprocess.run(
        wrapper + command,
        cwd=log.parent,
        env=job_environment(state),
        check=False,
        capture_output=True,
        text=True,
    )
    if finished.returncode != 0:
        raise BenchmarkError(
            f"bench/measure.py could not run {' '.join(command)!r}: "
            f"{finished.stderr.strip()}"
        )
    times = json.loads(times_file.read_text()) if times_file.exists() else {}
    run = JobRun(**json.loads(finished.stdout), **times)

    if run.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise BenchmarkError(
            f"Job {' '.join(command)!r} exited with code {run.returncode}. Its "
            f"output is in {log}; the end of it:\n{tail}"
        )
    return run


def job_environment(state: Path | None) -> dict[str, str]:
    """Return this process's environment with the checkout and state database set."""
    environment = dict(os.environ)
    paths = [str(REPOSITORY), environment.get("PYTHONPATH", "")]
    environment["PYTHONPATH"] = os.pathsep.join(path for path in paths if path)
    if state is not None:
        environment["PIPESHEET_STATE"] = str(state)
    return environment


def fresh_copy(source: Path, folder: Path) -> Path:
    """Copy ``source`` into an emptied ``folder`` and return the copy."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    copy = folder / source.name
    shutil.copyfile(source, copy)
    return copy


def fingerprint_folder(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Return size, modification time (ns) and SHA-256 of every file in ``folder``.

    Backups and temporary files in subfolders count too, so a run that writes
    anything at all changes the result.
    """
    fingerprint = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            fingerprint[str(path.relative_to(folder))] = (
                stat.st_size,
                stat.st_mtime_ns,
                digest,
            )
    return fingerprint


def check_first_run(
    output: Path, source: Path, rows: int, pipeline: Pipeline
) -> FirstRunCheck:
    """Count the status cells and new tabs the first run left in ``output``."""
    before = CalamineWorkbook.from_path(str(source)).sheet_names
    workbook = CalamineWorkbook.from_path(str(output))
    tabs_added = tuple(name for name in workbook.sheet_names if name not in before)

    grid = workbook.get_sheet_by_name(DEALS_TAB).to_python()
    header = list(grid[HEADER_ROW - 1]) if len(grid) >= HEADER_ROW else []
    status_cells = 0
    if pipeline.outputs.status_header in header:
        column = header.index(pipeline.outputs.status_header)
        status_cells = sum(1 for row in grid[HEADER_ROW:] if row[column] != "")

    tabs = pipeline.outputs.tabs
    required = {tabs.funnel, tabs.followups, tabs.problems, tabs.definitions}
    allowed = required | {tabs.stage_log}
    passed = status_cells == rows and required <= set(tabs_added) <= allowed
    return FirstRunCheck(status_cells, tabs_added, passed)


def run_repetition(
    result: SizeResult, source: Path, work: Path, pipeline: Pipeline
) -> None:
    """Run the seven operations once on ``source`` and add them to ``result``."""
    states = work / "state"
    shutil.rmtree(states, ignore_errors=True)
    states.mkdir(parents=True)

    first = fresh_copy(source, work / "first-run")
    state = states / "first-run.sqlite"
    job = Job(
        pipesheet_command(first),
        timed_pipesheet_command(first),
        first.parent,
        work / "first-run.log",
        state,
    )
    record(result, FIRST_RUN, measure_with_twin(job))
    check = check_first_run(first, source, result.rows, pipeline)
    result.first_run_checks.append(check)

    job = replace(job, log=work / "re-run.log")
    before = fingerprint_folder(first.parent)
    record(result, RERUN, measure_with_twin(job))
    result.rerun_wrote_nothing.append(fingerprint_folder(first.parent) == before)

    history = shutil.copyfile(state, states / "re-run-check.sqlite")
    job = Job(
        pipesheet_command(first, "--dry-run"),
        timed_pipesheet_command(first, "--dry-run"),
        first.parent,
        work / "re-run-check.log",
        history,
    )
    record(result, RERUN_CHECK, measure_with_twin(job))

    # The last jobs on (1)'s files, since they change both.
    for operation, day, log in (
        (NEXT_DAY_RUN, NEXT_DAY, "next-day.log"),
        (DAY_AFTER_RUN, DAY_AFTER, "day-after.log"),
    ):
        job = Job(
            pipesheet_command(first, as_of=day),
            timed_pipesheet_command(first, as_of=day),
            first.parent,
            work / log,
            state,
        )
        record(result, operation, measure_with_twin(job))

    dry = fresh_copy(source, work / "read-check")
    before = fingerprint_folder(dry.parent)
    job = Job(
        pipesheet_command(dry, "--dry-run"),
        timed_pipesheet_command(dry, "--dry-run"),
        dry.parent,
        work / "read-check.log",
        states / "read-check.sqlite",
    )
    record(result, READ_CHECK, measure_with_twin(job))
    result.read_check_wrote_nothing.append(fingerprint_folder(dry.parent) == before)

    baseline = fresh_copy(source, work / "openpyxl")
    job = Job(
        baseline_command(baseline),
        timed_baseline_command(baseline),
        baseline.parent,
        work / "openpyxl.log",
    )
    record(result, BASELINE, measure_with_twin(job))


def record(result: SizeResult, operation: str, run: JobRun) -> None:
    """Add one measured run of ``operation`` to ``result`` and log it."""
    result.runs.setdefault(operation, []).append(run)
    logger.info(
        "%s rows: %s %.2f s, %.0f MB",
        f"{result.rows:,}",
        operation,
        run.seconds,
        run.peak_rss_mb,
    )


def measure_size(
    rows: int, reps: int, out: Path, seed: int, pipeline: Pipeline
) -> SizeResult:
    """Generate (or reuse) the workbook of ``rows`` deals and run every operation."""
    source = cached_workbook(out, rows, seed)
    result = SizeResult(rows, source.name, source.stat().st_size)
    work = out / "work" / str(rows)

    result.load_average.append(os.getloadavg()[0])
    for repetition in range(1, reps + 1):
        logger.info("%s rows: repetition %d of %d", f"{rows:,}", repetition, reps)
        run_repetition(result, source, work, pipeline)
    result.load_average.append(os.getloadavg()[0])
    return result


def measure_startup(reps: int, out: Path) -> list[JobRun]:
    """Measure ``python -m sync --help``: interpreter start-up plus imports."""
    command = [sys.executable, "-m", "sync", "--help"]
    log = out / "work" / "startup.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    return [measure_job(command, log) for _ in range(reps)]


def median_seconds(runs: list[JobRun]) -> float:
    return statistics.median(run.seconds for run in runs)


def median_cpu_seconds(runs: list[JobRun]) -> float:
    return statistics.median(run.cpu_seconds for run in runs)


def median_imports_seconds(runs: list[JobRun]) -> float:
    return statistics.median(run.imports_seconds for run in runs)


def median_job_seconds(runs: list[JobRun]) -> float:
    return statistics.median(run.job_seconds for run in runs)


def peak_mb(runs: list[JobRun]) -> float:
    return max(run.peak_rss_mb for run in runs)


def growth_exponent(rows: tuple[int, int], values: tuple[float, float]) -> str:
    """Return the log-log slope between two sizes: 1.00 is linear, 2.00 quadratic.

    A value that is not positive has no logarithm, so the slope is ``n/a``.

    >>> growth_exponent((10_000, 100_000), (3.0, 30.0))
    '1.00'
    """
    if min(values) <= 0:
        return "n/a"
    slope = math.log(values[1] / values[0]) / math.log(rows[1] / rows[0])
    return f"{slope:.2f}"


def format_table(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """Return rows as text columns: the first left-aligned, the others right."""
    lines = [list(header), *map(list, body)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def format_line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        others = (
            cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)
        )
        return "  ".join([first, *others]).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([format_line(lines[0]), rule, *map(format_line, lines[1:])])


def format_size(result: SizeResult, reps: int) -> str:
    """Return the table and the check lines of one workbook size."""
    baseline = result.runs[BASELINE]
    body = []
    for operation in OPERATIONS:
        runs = result.runs[operation]
        seconds = [run.seconds for run in runs]
        body.append(
            [
                operation,
                f"{median_seconds(runs):.2f}",
                f"{min(seconds):.2f}–{max(seconds):.2f}",
                f"{median_cpu_seconds(runs):.2f}",
                f"{median_imports_seconds(runs):.2f}",
                f"{median_job_seconds(runs):.2f}",
                f"{peak_mb(runs):.0f}",
                f"{median_seconds(runs) / median_seconds(baseline):.2f}×",
                f"{median_job_seconds(runs) / median_job_seconds(baseline):.2f}×",
                f"{peak_mb(runs) / peak_mb(baseline):.2f}×",
            ]
        )

    megabytes = result.workbook_bytes / 2**20
    start, end = result.load_average
    title = (
        f"{result.rows:,} rows · {result.workbook} ({megabytes:.2f} MB) · "
        f"{reps} rep{'s' if reps != 1 else ''}, each in a fresh process · "
        f"load average {start:.1f} at start, {end:.1f} at end"
    )
    header = ["operation", "median s", "range s", "CPU s", "imports s", "work s"]
    header += ["peak MB", "time vs openpyxl", "work vs openpyxl", "RSS vs openpyxl"]
    table = format_table(header, body)
    return "\n".join([title, table, "", *format_checks(result)])


def format_checks(result: SizeResult) -> list[str]:
    """Return one line per check: first run's writes, re-run and dry run writes."""
    reps = len(result.first_run_checks)
    lines = []
    # Repetitions that found the same are reported on one line.
    for check in dict.fromkeys(result.first_run_checks):
        verdict = "ok" if check.passed else "FAILED"
        count = result.first_run_checks.count(check)
        lines.append(
            f"first run: {check.status_cells:,} of {result.rows:,} status cells "
            f"filled, tabs added: {', '.join(check.tabs_added) or 'none'} "
            f"({verdict}, {count} of {reps} runs)"
        )

    for name, outcomes in (
        ("re-run", result.rerun_wrote_nothing),
        ("read+check", result.read_check_wrote_nothing),
    ):
        verdict = "yes" if all(outcomes) else "NO"
        lines.append(
            f"{name} wrote 0 bytes: {verdict} ({sum(outcomes)} of {reps} runs left "
            "size, mtime and SHA-256 of every file in the folder unchanged)"
        )
    return lines


def format_growth(results: list[SizeResult], startup: list[JobRun]) -> list[str]:
    """Return the growth exponents of pipesheet's first run between sizes."""
    if len(results) < 2:
        return ["Growth exponent: needs two or more sizes (--rows A B)."]

    base = peak_mb(startup)
    lines = []
    for small, large in itertools.pairwise(results):
        first_small, first_large = small.runs[FIRST_RUN], large.runs[FIRST_RUN]
        rows = (small.rows, large.rows)
        time = growth_exponent(
            rows, (median_seconds(first_small), median_seconds(first_large))
        )
        work = growth_exponent(
            rows, (median_job_seconds(first_small), median_job_seconds(first_large))
        )
        memory = growth_exponent(rows, (peak_mb(first_small), peak_mb(first_large)))
        above = growth_exponent(
            rows, (peak_mb(first_small) - base, peak_mb(first_large) - base)
        )
        lines.append(
            f"Growth of {FIRST_RUN}, {small.rows:,} → {large.rows:,} rows "
            f"(log-log slope, 1.00 is linear): time {time}, work time {work}, peak RSS "
            f"{memory}, peak RSS above start-up {above}"
        )
    return lines


def describe_machine() -> dict[str, str]:
    """Return the cores, CPU, memory, Python and package versions of this machine."""
    machine = {
        "cores": str(os.cpu_count()),
        "cpu": read_proc_field("/proc/cpuinfo", "model name"),
        "memory": describe_memory(read_proc_field("/proc/meminfo", "MemTotal")),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "pipesheet commit": describe_commit(),
    }
    for package in REPORTED_PACKAGES:
        machine[package] = package_version(package)
    return machine


def read_proc_field(path: str, name: str) -> str:
    """Return the first ``name: value`` of a /proc file, or ``unknown``."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return "unknown"
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return "unknown"


def describe_memory(mem_total: str) -> str:
    """Return /proc/meminfo's ``MemTotal`` (``24683784 kB``) in GiB."""
    number, _, unit = mem_total.partition(" ")
    if not number.isdigit() or unit != "kB":
        return mem_total
    return f"{int(number) / 2**20:.1f} GiB"


def package_version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def describe_commit() -> str:
    """Return the checkout's commit, with ``-dirty`` when files are changed."""
    command = ["git", "describe", "--always", "--dirty"]
    try:
        finished = subprocess.run(
            command, cwd=REPOSITORY, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return finished.stdout.strip()


def format_machine(machine: dict[str, str], startup: list[JobRun]) -> str:
    """Return the machine, versions and start-up lines printed above the tables."""
    hardware = (
        f"Machine: {machine['cores']} cores, {machine['cpu']}, "
        f"{machine['memory']} RAM, {machine['platform']}"
    )
    packages = ", ".join(f"{name} {machine[name]}" for name in REPORTED_PACKAGES)
    startup_line = (
        f"{STARTUP}: median {median_seconds(startup):.2f} s, "
        f"peak {peak_mb(startup):.0f} MB"
    )
    method = (
        "Times are whole job processes as a user runs them (start-up and imports "
        "included): wall time, and CPU s as user plus system time. Peak MB is "
        "the job's ru_maxrss, the maximum over the repetitions. Imports s and "
        "work s come from a twin process of each job under bench/timed_job.py, "
        "which imports everything before it starts the work."
    )
    return "\n".join(
        [
            hardware,
            f"Python {machine['python']}; {packages}",
            f"pipesheet commit {machine['pipesheet commit']}",
            startup_line,
            method,
        ]
    )


def raw_numbers(
    arguments: argparse.Namespace,
    machine: dict[str, str],
    startup: list[JobRun],
    results: list[SizeResult],
) -> dict[str, Any]:
    """Return every measurement and check as a JSON-ready document."""
    return {
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "arguments": {"rows": arguments.rows, "reps": arguments.reps},
        "seed": arguments.seed,
        "machine": machine,
        "startup": [asdict(run) for run in startup],
        "sizes": [
            {
                "rows": result.rows,
                "workbook": result.workbook,
                "workbook_bytes": result.workbook_bytes,
                "load_average_start_end": result.load_average,
                "runs": {
                    operation: [asdict(run) for run in runs]
                    for operation, runs in result.runs.items()
                },
                "first_run_checks": [asdict(c) for c in result.first_run_checks],
                "rerun_wrote_nothing": result.rerun_wrote_nothing,
                "read_check_wrote_nothing": result.read_check_wrote_nothing,
            }
            for result in results
        ],
    }


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--rows",
        type=int,
        nargs="+",
        default=[10_000, 100_000],
        metavar="ROWS",
        help="workbook sizes in deals (default: 10000 100000)",
    )
    parser.add_argument(
        "--reps", type=int, default=3, help="repetitions per operation (default: 3)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=BENCH / "out",
        help="folder for the cached workbooks and the job files (default: bench/out)",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="generator seed (default: 7)"
    )
    parser.add_argument(
        "--json", type=Path, metavar="PATH", help="also write the raw numbers here"
    )
    arguments = parser.parse_args(argv)
    if min(arguments.rows) < 1:
        parser.error(f"--rows must be 1 or more, got {min(arguments.rows)}")
    if arguments.reps < 1:
        parser.error(f"--reps must be 1 or more, got {arguments.reps}")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the tables and return 1 if a check failed."""
    arguments = parse_arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    out = arguments.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    keep_compiled_modules(out / "pycache")
    pipeline = load_pipeline(shipped_definition(DEFINITION))

    try:
        results = run_benchmark(arguments, out, pipeline)
    except BenchmarkError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    return 0 if all(result.passed for result in results) else 1


def keep_compiled_modules(folder: Path) -> None:
    """Let the jobs keep the bytecode of the modules they import in ``folder``.

    An installed package keeps its modules compiled, but the checkout that the
    jobs import has no bytecode, and with PYTHONDONTWRITEBYTECODE set (as on
    the machines this project runs on) every job compiled pipesheet's modules
    again: a 10k-row first run took 0.84 s instead of 0.72 s (3 runs each,
    2-core VM). With the prefix set Python reads and writes all bytecode,
    the libraries' too, under ``folder``; the twin run before each measured
    job fills it. The jobs inherit both settings.
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(folder)


def run_benchmark(
    arguments: argparse.Namespace, out: Path, pipeline: Pipeline
) -> list[SizeResult]:
    """Measure every size, printing each table as soon as it is complete.

    :raises BenchmarkError: a job failed.
    """
    machine = describe_machine()
    startup = measure_startup(arguments.reps, out)
    print(format_machine(machine, startup), end="\n\n", flush=True)

    results = []
    for rows in sorted(set(arguments.rows)):
        result = measure_size(rows, arguments.reps, out, arguments.seed, pipeline)
        results.append(result)
        print(format_size(result, arguments.reps), end="\n\n", flush=True)
    print("\n".join(format_growth(results, startup)))

    if arguments.json is not None:
        document = raw_numbers(arguments, machine, startup, results)
        arguments.json.write_text(json.dumps(document, indent=2) + "\n")
    return results


if __name__ == "__main__":
    raise SystemExit(main())
