"""Fixtures shared by the tests of sync."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync import forked
from sync.forked import PARALLEL_VARIABLE
from sync.state.store import StateStore
from tests.sync.test_forked import process_exists


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Count the forked children, and fail if one is left running or unreaped."""
    monkeypatch.delenv(PARALLEL_VARIABLE, raising=False)
    started: list[int] = []
    real_fork = os.fork

    def counting_fork() -> int:
        pid = real_fork()
        if pid:
            started.append(pid)
        return pid

    monkeypatch.setattr(forked.os, "fork", counting_fork)
    yield started
    for pid in started:
        assert not process_exists(pid), f"child {pid} was left behind"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    """Open a new SQLite state database in ``tmp_path`` and close it after the test."""
    opened = StateStore.open(str(tmp_path / "state.sqlite"))
    yield opened
    opened.close()
