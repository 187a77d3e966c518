"""Settings every test shares."""

from __future__ import annotations

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
