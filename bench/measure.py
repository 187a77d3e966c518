"""Run one command and print its wall time, CPU time and peak memory as JSON.

    python bench/measure.py --log job.log -- python -m sync run b2b-en ...

prints ``{"seconds": 7.241, "cpu_seconds": 7.02, "peak_rss_mb": 251.3,
"returncode": 0}`` on stdout. The command's own stdout and stderr go to the
``--log`` file. CPU time is the command's user plus system time. On a shared
machine it varies less than the wall time, because the wall time includes
waiting for a free core.

Why a separate process: on Linux, ``exec`` records the memory high-water mark of
the process image it replaces in the new program's ``ru_maxrss``. A child started
by a harness that has read a 100,000-row workbook would report at least the
harness's own peak. This wrapper is a fresh interpreter that imports only the
standard library, so the floor it passes on is that of a bare interpreter, which
is below any job's own peak. ``os.wait4`` returns the resource usage of exactly
that one child, unlike ``RUSAGE_CHILDREN``, which covers every child reaped so far.

The wall time runs from just before the child starts until it exits, so it
includes the interpreter's start-up and imports: what a user of the command waits.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path


def measure_command(command: Sequence[str], log: Path) -> dict[str, float | int]:
    """Run ``command`` to completion and return its times, peak RSS and exit code.

    :param command: the program and its arguments.
    :param log: the file that receives the command's stdout and stderr.
    """
    with log.open("wb") as log_file:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=log_file, stderr=log_file)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started

    # The child is reaped already; tell Popen so it does not wait for it again.
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "seconds": round(seconds, 4),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 4),
        "peak_rss_mb": round(peak_rss_bytes(usage.ru_maxrss) / 2**20, 1),
        "returncode": process.returncode,
    }


def peak_rss_bytes(ru_maxrss: int) -> int:
    """Return ``ru_maxrss`` in bytes: macOS reports bytes, Linux kibibytes."""
    if sys.platform == "darwin":
        return ru_maxrss
    return ru_maxrss * 1024


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the command the command line names and print the result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--log", type=Path, required=True, help="file for the command's output"
    )
    parser.add_argument(
        "command", nargs=argparse.REMAINDER, help="the command, after --"
    )
    arguments = parser.parse_args(argv)
    command = arguments.command[1:] if arguments.command[:1] == ["--"] else []
    if not command:
        parser.error("give the command to measure after --")

    result = measure_command(command, arguments.log)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
