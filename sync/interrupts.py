"""Ctrl-C and SIGTERM held back once a run's write has reached its commit point.

Before the commit point an interrupt aborts the run and the workbook stays as
it was. After it (the rename over the workbook file, or the batchUpdate
request sent to Google) the workbook already contains the run's result, so
aborting would only leave the run unrecorded and its result unprinted. From
there until the end of :func:`interrupts_deferred_after_commit`'s block,
SIGINT and SIGTERM are noted instead of raised. The block then ends normally
and logs a warning that the interrupt came too late to stop the run. When the
block raises, the first signal noted is delivered again instead.

Handlers can be changed only in the main thread, so elsewhere this does
nothing. A signal whose handler is SIG_IGN, as in the child process of
``serve``, stays ignored.
"""

from __future__ import annotations

import enum
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

logger = logging.getLogger(__name__)

INTERRUPTS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def signal_name(interrupt: KeyboardInterrupt) -> str:
    """Name the signal that raised ``interrupt``: Ctrl-C raises it without one."""
    if interrupt.args:
        return str(interrupt.args[0])
    return "Ctrl-C (SIGINT)"


@dataclass
class _Deferral:
    """One armed block: the handlers it replaced and the signals it held back."""

    recorded: bool
    target: str | None = None
    replaced: dict[signal.Signals, Any] = field(default_factory=dict)
    received: list[signal.Signals] = field(default_factory=list)

    def note(self, number: int, frame: FrameType | None) -> None:
        self.received.append(signal.Signals(number))


_armed: _Deferral | None = None


@contextmanager
def interrupts_deferred_after_commit(*, recorded: bool) -> Iterator[None]:
    """Hold back SIGINT and SIGTERM from the write's commit point to the block's end.

    Nothing changes until :func:`reached_commit_point` is called in the block.

    :param recorded: whether the block records the run in the state database;
        the warning states it.
    """
    global _armed, _last_write
    _last_write = None
    if threading.current_thread() is not threading.main_thread() or _armed:
        yield
        return

    deferral = _armed = _Deferral(recorded)
    try:
        yield
    except BaseException:
        _restore(deferral)
        if deferral.received:
            signal.raise_signal(deferral.received[0])
        raise
    _restore(deferral)
    if deferral.received:
        logger.warning(
            "%s arrived after %s was written, so the run finished%s.",
            deferral.received[0].name,
            deferral.target,
            " and was recorded" if recorded else "",
        )


@contextmanager
def interrupts_held_back() -> Iterator[None]:
    """Hold back SIGINT, SIGTERM and SIGHUP while the block cleans up after a stop.

    A clean-up such as removing a temporary file or recording a stopped run
    must finish, or it leaves the file or an unfinished run behind. A signal
    noted meanwhile is sent again after the block, unless the block is
    cleaning up after an interrupt already, which stops the command anyway.
    Outside the main thread this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    # The exception that the caller handles while the block runs.
    stopping = isinstance(sys.exc_info()[1], KeyboardInterrupt)
    noted = _Deferral(recorded=False)
    for number in INTERRUPTS:
        handler = signal.getsignal(number)
        if handler is not signal.SIG_IGN:
            noted.replaced[number] = signal.signal(number, noted.note)
    try:
        yield
    finally:
        for number, handler in noted.replaced.items():
            signal.signal(number, handler)
        if noted.received and not stopping:
            signal.raise_signal(noted.received[0])


class WriteProgress(enum.IntEnum):
    """How far a process's write has come, as :func:`follow_writes` reports it."""

    NOT_FINAL = 0
    COMMITTING = 1
    WRITTEN = 2


# Callbacks that follow the write of this process; see follow_writes.
_followers: list[Callable[[WriteProgress], None]] = []


@dataclass(frozen=True)
class LastWrite:
    """The workbook whose write last reached its commit point, and how far it got."""

    target: str
    progress: WriteProgress


_last_write: LastWrite | None = None


def last_write() -> LastWrite | None:
    """Return the write that reached its commit point in the latest armed block.

    :func:`interrupts_deferred_after_commit` clears it when a block starts.
    """
    return _last_write


def follow_writes(callback: Callable[[WriteProgress], None]) -> None:
    """Call ``callback`` at the commit point of every write and once it is done.

    The child process of ``serve`` reports this to the service, which then
    lets a run that passed its deadline while it wrote finish and record.
    """
    _followers.append(callback)


def _report(progress: WriteProgress) -> None:
    for callback in _followers:
        callback(progress)


def finished_write() -> None:
    """Report that the step after the commit point made the write final."""
    global _last_write
    if _last_write is not None:
        _last_write = LastWrite(_last_write.target, WriteProgress.WRITTEN)
    _report(WriteProgress.WRITTEN)


def reached_commit_point(target: str) -> None:
    """Start holding back SIGINT and SIGTERM, if an armed block is running.

    Call it just before the step that makes the write final, from the thread
    that armed the block, and :func:`finished_write` after that step.

    :param target: the workbook file or spreadsheet written, for the warning.
    """
    global _last_write
    _last_write = LastWrite(target, WriteProgress.COMMITTING)
    _report(WriteProgress.COMMITTING)
    deferral = _armed
    if deferral is None or deferral.replaced:
        return
    if threading.current_thread() is not threading.main_thread():
        return

    deferral.target = target
    for number in INTERRUPTS:
        handler = signal.getsignal(number)
        if handler is not signal.SIG_IGN:
            deferral.replaced[number] = signal.signal(number, deferral.note)


def _restore(deferral: _Deferral) -> None:
    global _armed
    _armed = None
    for number, handler in deferral.replaced.items():
        signal.signal(number, handler)
