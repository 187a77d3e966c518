"""Running a function in a forked copy of the process (Linux only)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sync.forked import PARALLEL_VARIABLE, ForkedCall, can_fork
from tests.python_child import python_output

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="pipesheet forks only on Linux"
)

REPOSITORY = Path(__file__).resolve().parents[2]


def process_exists(pid: int) -> bool:
    """Return True while ``pid`` runs or waits to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_result_comes_back() -> None:
    with ForkedCall(lambda: {"pid": os.getpid(), "data": bytearray(3 << 20)}) as call:
        result = call.result()

    assert result is not None
    assert result["pid"] != os.getpid()
    assert len(result["data"]) == 3 << 20


def failing() -> int:
    raise ValueError("no")


@pytest.mark.parametrize(
    "function",
    [failing, lambda: lambda: None, lambda: os._exit(0)],
    ids=["raises", "unpicklable", "no-result"],
)
def test_failed_call_gives_none(function: Callable[[], object]) -> None:
    with ForkedCall(function) as call:
        assert call.result() is None


def test_cancel_kills_and_reaps_child() -> None:
    call = ForkedCall(lambda: time.sleep(60))
    pid = call._pid
    started = time.monotonic()

    call.cancel()

    assert time.monotonic() - started < 30
    assert not process_exists(pid)
    assert call.result() is None


def test_no_fork_when_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PARALLEL_VARIABLE, raising=False)
    assert can_fork()

    monkeypatch.setenv(PARALLEL_VARIABLE, "0")
    assert not can_fork()


def test_no_fork_while_another_thread_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PARALLEL_VARIABLE, raising=False)
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert not can_fork()
    finally:
        release.set()
        thread.join()
    assert can_fork()


def test_child_never_writes_parents_pending_output() -> None:
    code = (
        "import sys\n"
        "from sync.forked import ForkedCall\n"
        "sys.stdout.write('pending\\n')\n"
        "with ForkedCall(lambda: 5) as call:\n"
        "    print(call.result())\n"
        "with ForkedCall(lambda: 1 / 0) as call:\n"
        "    print(call.result())\n"
    )
    assert python_output(code) == "pending\n5\nNone\n"


@pytest.mark.parametrize("value", ["0", "false", " OFF ", "no", "disabled", "0.0"])
def test_no_fork_for_each_off_value(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(PARALLEL_VARIABLE, value)

    assert not can_fork()


def test_child_dies_with_killed_parent(tmp_path: Path) -> None:
    code = (
        "import os, time\n"
        "from sync.forked import ForkedCall\n"
        "call = ForkedCall(lambda: time.sleep(60))\n"
        "print(call._pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=environment
    ) as parent:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        parent.kill()
    deadline = time.monotonic() + 10
    while process_exists(child) and time.monotonic() < deadline:
        time.sleep(0.05)

    assert not process_exists(child)


@pytest.mark.parametrize("value", ["", "1", " TRUE ", "on"])
def test_fork_for_each_on_value(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(PARALLEL_VARIABLE, value)

    assert can_fork()


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment
    )


# A signal that arrives while os.fork runs is simulated by an at-fork hook that
# sends it, because the hooks run inside os.fork.
INTERRUPT_PARENT_DURING_FORK = (
    "import os, signal, time\n"
    "from sync.forked import ForkedCall\n"
    "os.register_at_fork(after_in_parent=lambda: os.kill(os.getpid(), {signal}))\n"
    "try:\n"
    "    call = ForkedCall(lambda: time.sleep(60))\n"
    "    print('not interrupted')\n"
    "except KeyboardInterrupt:\n"
    "    print('interrupted')\n"
    "try:\n"
    "    os.waitpid(-1, os.WNOHANG)\n"
    "    print('child left')\n"
    "except ChildProcessError:\n"
    "    print('no child')\n"
)


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"], ids=["sigint", "sigterm"])
def test_interrupt_during_fork_not_lost(name: str) -> None:
    # Python leaves SIGINT ignored when it starts ignored, as in a job that
    # a non-interactive shell put in the background, so the child sets both.
    code = (
        "import signal\n"
        "def interrupt(number, frame):\n"
        "    raise KeyboardInterrupt\n"
        "signal.signal(signal.SIGTERM, interrupt)\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    ) + INTERRUPT_PARENT_DURING_FORK.format(signal=f"signal.{name}")

    finished = run_python(code)

    assert finished.stdout == "interrupted\nno child\n"
    assert finished.stderr == ""


@pytest.mark.parametrize(
    ("parent_handler", "expected"),
    [("interrupt", "None\n"), ("signal.SIG_IGN", "5\n")],
    ids=["handled-child-ends", "ignored-child-goes-on"],
)
def test_interrupt_in_child_during_fork(parent_handler: str, expected: str) -> None:
    code = (
        "import os, signal\n"
        "from sync.forked import ForkedCall\n"
        "def interrupt(number, frame):\n"
        "    raise KeyboardInterrupt\n"
        f"signal.signal(signal.SIGTERM, {parent_handler})\n"
        "os.register_at_fork(\n"
        "    after_in_child=lambda: os.kill(os.getpid(), signal.SIGTERM)\n"
        ")\n"
        "with ForkedCall(lambda: 5) as call:\n"
        "    print(call.result())\n"
    )

    finished = run_python(code)

    assert finished.stdout == expected
    assert finished.stderr == ""
