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
