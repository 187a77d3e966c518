"""Pausing cyclic garbage collection during a run, and turning it on again."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from sync.collector import paused_cycle_collection


@pytest.fixture(autouse=True)
def collection_restored() -> Iterator[None]:
    """Leave the collector on after each test, whatever the test did."""
    yield
    gc.enable()


def test_collection_off_inside_block() -> None:
    with paused_cycle_collection():
        assert not gc.isenabled()


def test_collection_on_after_block() -> None:
    with paused_cycle_collection():
        pass

    assert gc.isenabled()


def test_collection_on_after_error() -> None:
    with pytest.raises(ValueError), paused_cycle_collection():
        raise ValueError("stop")

    assert gc.isenabled()


def test_inner_block_keeps_collection_off() -> None:
    with paused_cycle_collection():
        with paused_cycle_collection():
            pass

        assert not gc.isenabled()


def test_collection_left_off_when_found_off() -> None:
    gc.disable()

    with paused_cycle_collection():
        pass

    assert not gc.isenabled()


def test_decorated_function_runs_paused() -> None:
    @paused_cycle_collection()
    def collection_enabled() -> bool:
        return gc.isenabled()

    assert collection_enabled() is False
    assert gc.isenabled()
