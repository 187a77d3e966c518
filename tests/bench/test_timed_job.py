"""Tests of bench/timed_job.py: what the timed call leaves alive."""

from __future__ import annotations

import gc
import weakref
from typing import NoReturn

from bench.timed_job import call_entry_point


class _Result:
    """A stand-in for a command's large result, freed only when unreferenced."""


def _result_alive_after(entry_point: object) -> bool:
    gc.collect()
    probe: list[weakref.ref[_Result]] = []

    def run(arguments: list[str]) -> object:
        return entry_point(arguments, probe)  # type: ignore[operator]

    call_entry_point(run, [])
    gc.collect()
    return probe[0]() is not None


def _exits(arguments: list[str], probe: list[weakref.ref[_Result]]) -> NoReturn:
    result = _Result()
    probe.append(weakref.ref(result))
    raise SystemExit(0)


def _returns(arguments: list[str], probe: list[weakref.ref[_Result]]) -> _Result:
    result = _Result()
    probe.append(weakref.ref(result))
    return result


def test_exiting_command_result_kept() -> None:
    # pipesheet ends without freeing its result, so its timed twin must not
    # free it inside the timed call either.
    assert _result_alive_after(_exits)


def test_returned_result_kept() -> None:
    assert _result_alive_after(_returns)
