"""Settings every test shares."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep each test's run history in its own database, never in the checkout."""
    path = tmp_path / "pipesheet-state.sqlite"
    monkeypatch.setenv("PIPESHEET_STATE", str(path))
    return path


@pytest.fixture(autouse=True)
def no_stop_request() -> None:
    """Start each test without a stop request left by a service an earlier test stopped.

    A stopped :class:`sync.service.Service` leaves the process's run control
    stopping, as a real service process that then exits would, so a later
    run in the same test process would be skipped.
    """
    from sync.run_process import RUN_CONTROL

    RUN_CONTROL.reset()


@pytest.fixture(autouse=True)
def root_log_level_kept() -> Iterator[None]:
    """Put back the root logger's level that a command of the test changed.

    ``serve`` lowers it to INFO for its log, as a service process does for
    the rest of its life. Left so, a later test that collects the warnings of
    a run would collect its INFO lines too.
    """
    root = logging.getLogger()
    level = root.level
    yield
    root.setLevel(level)
