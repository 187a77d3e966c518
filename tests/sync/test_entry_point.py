"""The console script's set-up before the command line loads."""

from __future__ import annotations

import os
import subprocess
import sys
import types

import pytest

from sync import entry_point
from tests.python_child import checkout_environment


def test_blas_threads_default_to_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)

    entry_point.use_one_blas_thread()

    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"


def test_blas_threads_user_value_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")

    entry_point.use_one_blas_thread()

    assert os.environ["OPENBLAS_NUM_THREADS"] == "4"


def test_blas_threads_set_before_cli_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # OpenBLAS reads the variable when numpy loads it, which can happen
    # while the command line loads, so main must set it first.
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setattr(entry_point, "install_interrupt_handlers", lambda: None)
    seen: list[str | None] = []

    def run_command_line() -> None:
        raise SystemExit(0)

    class LoadingCli(types.ModuleType):
        def __getattr__(self, name: str) -> object:
            seen.append(os.environ.get("OPENBLAS_NUM_THREADS"))
            return run_command_line

    monkeypatch.setitem(sys.modules, "sync.cli", LoadingCli("sync.cli"))

    with pytest.raises(SystemExit):
        entry_point.main()

    assert seen
    assert set(seen) == {"1"}


# A finalizer that receives a signal while it runs, as ZipFile.__del__ did.
# SIGINT is reset first, because a test run as a background job of a
# non-interactive shell passes it on ignored.
SIGNAL_IN_FINALIZER = """
import signal, time
from sync import entry_point
signal.signal(signal.SIGINT, signal.default_int_handler)
entry_point.install_interrupt_handlers()
class Closing:
    def __del__(self):
        signal.raise_signal(signal.SIGTERM)
"""


def test_second_interrupt_in_finalizer_silent() -> None:
    code = SIGNAL_IN_FINALIZER + (
        "try:\n"
        "    signal.raise_signal(signal.SIGINT)\n"
        "except KeyboardInterrupt as first:\n"
        "    Closing()\n"
        "    time.sleep(0.05)\n"
        "    print('stopped by', first.args)\n"
    )

    finished = run_python(code)

    assert finished.stdout == "stopped by ()\n"
    assert finished.stderr == ""


def test_first_interrupt_in_finalizer_raised_again() -> None:
    code = SIGNAL_IN_FINALIZER + (
        "try:\n"
        "    Closing()\n"
        "    time.sleep(0.5)\n"
        "    print('not stopped')\n"
        "except KeyboardInterrupt as interrupt:\n"
        "    print('stopped by', interrupt.args)\n"
    )

    finished = run_python(code)

    assert finished.stdout == "stopped by ('SIGTERM',)\n"
    assert finished.stderr == ""


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=checkout_environment(),
        check=False,
        timeout=60,
    )
