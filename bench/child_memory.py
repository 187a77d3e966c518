"""Measure the memory of a run's forked children beside that of the run.

    python bench/child_memory.py --rows 100000

On Linux a run patches the pipeline tab, renders the generated tabs and runs
the checks in forked child processes (see ``sync/forked.py``). A child starts
sharing every page with the run, so its resident size shows little of its
cost. What it adds is its private memory: the pages it allocated or wrote.
``ru_maxrss``, which ``bench/run.py`` reports, counts each process on its
own. So this script samples ``/proc/PID/smaps_rollup`` of the run and of
each child every few milliseconds and prints the peaks, in MB: the run's
resident size and private memory, the largest of each child figure
(resident size, private memory and proportional share, PSS), and the
largest sum of the run's resident size and its children's private memory in
one sample, which is about what the machine uses at the peak. The run is a
first run on a fresh copy of the ``bench/generate.py`` workbook, as in
``bench/run.py``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from bench.run import DEFAULT_SEED, cached_workbook, pipesheet_command  # noqa: E402

FIELDS = ("Rss", "Pss", "Private_Clean", "Private_Dirty")
SAMPLE_SECONDS = 0.003


def read_rollup(pid: int) -> dict[str, int]:
    """Return the kB figures of ``/proc/PID/smaps_rollup``; {} once it ended."""
    figures: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                name, _, rest = line.partition(":")
                value = rest.split()
                if name in FIELDS and value:
                    figures[name] = int(value[0])
    except OSError:
        return {}
    return figures


def children_of(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as listing:
            return [int(child) for child in listing.read().split()]
    except OSError:
        return []


def keep_peaks(peaks: dict[str, int], figures: dict[str, int]) -> None:
    for name, value in figures.items():
        peaks[name] = max(peaks.get(name, 0), value)
    private = figures.get("Private_Clean", 0) + figures.get("Private_Dirty", 0)
    peaks["Private"] = max(peaks.get("Private", 0), private)


def measure(rows: int, out: Path) -> tuple[dict[str, int], dict[str, int], int, int]:
    """Make one first run and return its memory peaks.

    They are the run's and the children's peaks, the count of children, and
    the largest sum of the run's resident size and its children's private
    memory in one sample.
    """
    source = cached_workbook(out, rows, DEFAULT_SEED)
    with tempfile.TemporaryDirectory(dir=out) as folder:
        workbook = Path(shutil.copy(source, Path(folder) / "deals.xlsx"))
        environment = {
            **os.environ,
            "PYTHONPATH": str(REPOSITORY),
            "PIPESHEET_STATE": str(Path(folder) / "state.sqlite"),
        }
        command = pipesheet_command(workbook)
        run_peaks: dict[str, int] = {}
        child_peaks: dict[str, int] = {}
        seen: set[int] = set()
        together = 0
        process = subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL, cwd=folder
        )
        while process.poll() is None:
            figures = read_rollup(process.pid)
            keep_peaks(run_peaks, figures)
            total = figures.get("Rss", 0)
            for child in children_of(process.pid):
                seen.add(child)
                child_figures = read_rollup(child)
                keep_peaks(child_peaks, child_figures)
                total += child_figures.get("Private_Clean", 0)
                total += child_figures.get("Private_Dirty", 0)
            together = max(together, total)
            time.sleep(SAMPLE_SECONDS)
        if process.returncode != 0:
            raise SystemExit(f"the run failed with exit code {process.returncode}")
    return run_peaks, child_peaks, len(seen), together


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=REPOSITORY / "bench" / "out")
    arguments = parser.parse_args()
    if not Path("/proc/self/smaps_rollup").exists():
        parser.error("this needs Linux's /proc/PID/smaps_rollup")
    arguments.out.mkdir(parents=True, exist_ok=True)

    run, child, children, together = measure(arguments.rows, arguments.out)
    megabytes = {name: round(value / 1024, 1) for name, value in run.items()}
    print(f"run: resident {megabytes.get('Rss')} MB, private {megabytes['Private']} MB")
    if not children:
        print("no child process was seen (it may have ended between samples)")
        return 0
    child_mb = {name: round(value / 1024, 1) for name, value in child.items()}
    print(
        f"largest child: resident {child_mb.get('Rss')} MB, private "
        f"{child_mb['Private']} MB, PSS {child_mb.get('Pss')} MB "
        f"({children} children seen)"
    )
    print(
        f"run and children together: {round(together / 1024, 1)} MB at the peak "
        "(the run's resident size plus each child's private memory, one sample)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
