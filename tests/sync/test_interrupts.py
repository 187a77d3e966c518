"""Interrupts held back after a write's commit point, until the run is recorded."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sync.atomic import TEMPORARY_SUFFIX
from sync.cli import cli
from sync.interrupts import (
    interrupts_deferred_after_commit,
    interrupts_held_back,
    reached_commit_point,
)
from tests.sync.test_cli import AS_OF, FLAWED_DEALS, write_tiny

WARNING = "SIGTERM arrived after a.xlsx was written, so the run finished{}."


class Interrupted(Exception):
    """Raised by the test's handler where the CLI's raises KeyboardInterrupt."""


def interrupt(number: int, frame: object) -> None:
    raise Interrupted(signal.Signals(number).name)


@pytest.fixture
def handlers() -> Iterator[None]:
    """Make SIGINT, SIGTERM and SIGHUP raise Interrupted during the test."""
    numbers = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    before = {n: signal.getsignal(n) for n in numbers}
    for number in numbers:
        signal.signal(number, interrupt)
    yield
    for number, handler in before.items():
        signal.signal(number, handler)


@pytest.mark.usefixtures("handlers")
def test_interrupt_before_commit_raises() -> None:
    with (
        pytest.raises(Interrupted, match="SIGINT"),
        interrupts_deferred_after_commit(recorded=True),
    ):
        signal.raise_signal(signal.SIGINT)


@pytest.mark.usefixtures("handlers")
@pytest.mark.parametrize(
    ("recorded", "ending"),
    [(True, " and was recorded"), (False, "")],
    ids=["recorded", "not-recorded"],
)
def test_interrupt_after_commit_warns(
    caplog: pytest.LogCaptureFixture, recorded: bool, ending: str
) -> None:
    finished = False

    with interrupts_deferred_after_commit(recorded=recorded):
        reached_commit_point("a.xlsx")
        signal.raise_signal(signal.SIGTERM)
        finished = True

    assert finished
    assert caplog.messages == [WARNING.format(ending)]
    assert signal.getsignal(signal.SIGTERM) is interrupt
    assert signal.getsignal(signal.SIGINT) is interrupt


@pytest.mark.usefixtures("handlers")
def test_hangup_after_commit_held_back(caplog: pytest.LogCaptureFixture) -> None:
    # The terminal closing sends SIGHUP, which the command line handles as SIGTERM.
    with interrupts_deferred_after_commit(recorded=True):
        reached_commit_point("a.xlsx")
        signal.raise_signal(signal.SIGHUP)

    assert caplog.messages == [
        "SIGHUP arrived after a.xlsx was written, so the run finished and was recorded."
    ]


@pytest.mark.usefixtures("handlers")
def test_failed_block_delivers_interrupt() -> None:
    with (
        pytest.raises(Interrupted, match="SIGTERM") as raised,
        interrupts_deferred_after_commit(recorded=True),
    ):
        reached_commit_point("a.xlsx")
        signal.raise_signal(signal.SIGTERM)
        raise OSError("disk full")

    assert isinstance(raised.value.__context__, OSError)


def test_ignored_signal_stays_ignored(handlers: None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

    with interrupts_deferred_after_commit(recorded=True):
        reached_commit_point("a.xlsx")
        during = signal.getsignal(signal.SIGTERM)

    assert during is signal.SIG_IGN
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN


@pytest.mark.usefixtures("handlers")
def test_other_thread_changes_nothing() -> None:
    seen: list[Any] = []

    def write() -> None:
        with interrupts_deferred_after_commit(recorded=True):
            reached_commit_point("a.xlsx")
            seen.append(signal.getsignal(signal.SIGTERM))

    thread = threading.Thread(target=write)
    thread.start()
    thread.join()

    assert seen == [interrupt]


def test_no_block_no_change(handlers: None) -> None:
    reached_commit_point("a.xlsx")

    assert signal.getsignal(signal.SIGTERM) is interrupt


def invoke_run() -> Result:
    return CliRunner().invoke(
        cli,
        ["run", "tiny.yaml", "--source", "a.xlsx", "--as-of", AS_OF, "-q"],
        catch_exceptions=False,
    )


def write_a_xlsx() -> bytes:
    write_tiny(FLAWED_DEALS)
    Path("tiny.xlsx").rename("a.xlsx")
    return Path("a.xlsx").read_bytes()


def interrupt_after(function: Callable[..., Any]) -> Callable[..., Any]:
    """Return ``function`` sending SIGTERM to this process once it has returned."""

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        signal.raise_signal(signal.SIGTERM)
        return result

    return interrupted


@pytest.mark.usefixtures("handlers")
def test_run_interrupted_after_rename_finishes(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.chdir(tmp_path)
    before = write_a_xlsx()
    monkeypatch.setattr(os, "replace", interrupt_after(os.replace))

    result = invoke_run()
    monkeypatch.undo()
    history = CliRunner().invoke(
        cli, ["history", "--state", str(tmp_path / "pipesheet-state.sqlite")]
    )

    assert result.exit_code == 0
    assert "│ Written" in result.stdout
    assert (tmp_path / "a.xlsx").read_bytes() != before
    assert WARNING.format(" and was recorded") in caplog.messages
    assert " ok " in history.stdout


@pytest.mark.usefixtures("handlers")
def test_run_interrupted_before_rename_aborts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    before = write_a_xlsx()
    monkeypatch.setattr(os, "fsync", interrupt_after(os.fsync))

    with pytest.raises(Interrupted):
        invoke_run()

    assert Path("a.xlsx").read_bytes() == before
    assert [p for p in tmp_path.iterdir() if p.name.endswith(TEMPORARY_SUFFIX)] == []
    assert not (tmp_path / ".pipesheet-backups").exists()


@pytest.mark.usefixtures("handlers")
def test_held_back_signal_raised_after_block() -> None:
    steps: list[str] = []

    with pytest.raises(Interrupted, match="SIGTERM"), interrupts_held_back():
        signal.raise_signal(signal.SIGTERM)
        steps.append("cleaned up")

    assert steps == ["cleaned up"]
    assert signal.getsignal(signal.SIGTERM) is interrupt


@pytest.mark.usefixtures("handlers")
def test_held_back_signal_dropped_while_stopping() -> None:
    # A second Ctrl-C during the clean-up of the first must not cut it short.
    steps: list[str] = []

    with pytest.raises(KeyboardInterrupt, match="first"):
        try:
            raise KeyboardInterrupt("first")
        except KeyboardInterrupt:
            with interrupts_held_back():
                signal.raise_signal(signal.SIGINT)
                steps.append("cleaned up")
            raise

    assert steps == ["cleaned up"]
    assert signal.getsignal(signal.SIGINT) is interrupt
