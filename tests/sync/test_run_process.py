"""The service's clean-up after it killed a run's process at its deadline."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
from pathlib import Path

from sync.run_process import _free_lock_of
from sync.state.records import RunOutcome
from sync.state.store import StateStore

AS_OF = dt.date(2025, 9, 30)


def ended_process_id() -> int:
    """Return the id of a process that has ended, as a killed run's has."""
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(finished.stdout)


def test_killed_run_temporaries_removed(tmp_path: Path) -> None:
    workbook = tmp_path / "pipeline.xlsx"
    state = str(tmp_path / "state.sqlite")
    pid = ended_process_id()
    killed = tmp_path / f".pipeline.xlsx.{pid}.k1l2m3n4.pipesheet-tmp"
    killed.write_bytes(b"")
    other = tmp_path / f".pipeline.xlsx.{pid + 1}.a1b2c3d4.pipesheet-tmp"
    other.write_bytes(b"")
    key = str(workbook)
    with StateStore.open(state) as store:
        holder = f"{socket.gethostname()}:{pid}:0123"
        assert store.acquire_lock(
            key, holder, dt.timedelta(minutes=30), dt.datetime.now(dt.UTC)
        )
        store.start_run(key, "Deals", AS_OF)

    _free_lock_of(pid, state, key, "timed out", 0)

    assert not killed.exists()
    assert other.exists()
    with StateStore.open(state) as store:
        assert store.lock(key) is None
        assert [run.outcome for run in store.runs(key, 5)] == [RunOutcome.FAILED]
