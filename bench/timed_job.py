"""Run a job's main function in this process and record its import and work time.

    python bench/timed_job.py --times t.json --preload sync.job -- sync.cli:cli run ...

imports the ``--preload`` modules and the module of the entry point, then calls
the entry point with the arguments after it, and writes
``{"imports_seconds": 0.81, "job_seconds": 6.2}`` to ``--times``. The import
time covers every module the job would otherwise import on its way, so the job
time is the work alone: reading, checking, writing and recording. Here the work
starts after every import. ``pipesheet run`` reads the workbook while it still
imports, so this job time is an upper bound of its work.

The entry point is ``module:function``. A function without parameters reads
``sys.argv``, so that is set to the arguments. Any other callable, such as
``openpyxl_baseline:main`` or the click group ``sync.cli:cli``, gets them as a
list. The entry point must return or raise
``SystemExit``: ``sync.cli:main`` ends the process before the times are
written, so it cannot be timed here.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def load_entry_point(location: str) -> Callable[..., Any]:
    """Import ``module:function`` and return the function."""
    module_name, _, function_name = location.partition(":")
    entry_point: Callable[..., Any] = getattr(
        importlib.import_module(module_name), function_name
    )
    return entry_point


def call_entry_point(entry_point: Callable[..., Any], arguments: list[str]) -> int:
    """Call the entry point with ``arguments`` and return its exit code."""
    if not inspect.signature(entry_point).parameters:
        sys.argv = [entry_point.__module__, *arguments]
        arguments_given: tuple[list[str], ...] = ()
    else:
        arguments_given = (arguments,)
    try:
        returned = entry_point(*arguments_given)
    except SystemExit as exit_request:
        # The request's traceback references the command's frames and so its
        # result. Keeping it until the time is taken leaves the freeing of
        # that result out of the work, because the real process never frees it.
        _kept_results.append(exit_request)
        return exit_code(exit_request.code)
    _kept_results.append(returned)
    return exit_code(returned)


# The values the timed call returned or raised, kept until the process ends.
# sync.process_exit ends ``pipesheet`` without freeing its objects.
_kept_results: list[object] = []


def exit_code(value: object) -> int:
    """Convert a returned value or a ``SystemExit`` code to a process exit code."""
    if value is None:
        return 0
    return value if isinstance(value, int) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Time the imports and the work of the entry point the command line names."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--times", type=Path, required=True, help="JSON file for the times"
    )
    parser.add_argument(
        "--preload", default="", help="comma-separated modules the job imports"
    )
    parser.add_argument(
        "job", nargs=argparse.REMAINDER, help="after --: module:function arguments"
    )
    arguments = parser.parse_args(argv)
    job = arguments.job[1:] if arguments.job[:1] == ["--"] else arguments.job
    if not job:
        parser.error("give the entry point and its arguments after --")

    started = time.perf_counter()
    for module in filter(None, arguments.preload.split(",")):
        importlib.import_module(module)
    entry_point = load_entry_point(job[0])
    imported = time.perf_counter()
    code = call_entry_point(entry_point, job[1:])
    finished = time.perf_counter()

    times = {
        "imports_seconds": round(imported - started, 4),
        "job_seconds": round(finished - imported, 4),
    }
    arguments.times.write_text(json.dumps(times))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
