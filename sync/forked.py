"""One function run in a forked copy of the process, beside the caller's own work.

A run's Python work takes turns on the GIL, so threads would not run it on
the second core, but a forked child does. The child starts with the parent's
memory as it is, copied only where either process writes, so it needs no
arguments sent to it. Its result comes back pickled through a pipe, so the
function should return much less than it reads: the workbook write patches
the pipeline tab's sheet in a child while the parent writes the generated
tabs.

The fork is used only on Linux, and only when no other thread runs: a thread
holding a lock at the fork would leave that lock held for good in the child.
Setting ``PIPESHEET_PARALLEL`` to ``0`` (or any value but ``1``, ``true``,
``yes`` and ``on``) turns it off.

Anything that goes wrong in the child makes :meth:`ForkedCall.result` return
None, and the caller then runs the function itself, which gives the same
result or raises the error the child met, with its usual message.
"""

from __future__ import annotations

import ctypes
import logging
import os
import pickle
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import IO, BinaryIO, Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Unset, empty or one of ON_VALUES lets a run fork; any other value, such as
# 0 or off, runs everything in one process.
PARALLEL_VARIABLE = "PIPESHEET_PARALLEL"
ON_VALUES = frozenset({"", "1", "true", "yes", "on"})

# prctl's option that sends a signal to a process when its parent ends.
PR_SET_PDEATHSIG = 1

# The signals that interrupt a run (Ctrl-C; timeout, systemd or kill; and
# the terminal closing).
INTERRUPTS = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})

# The status a child ends with when its function raised or its result could
# not be sent; the parent then runs the function itself.
FAILED = 70


def can_fork() -> bool:
    """Return True when a child process may run part of the work."""
    if os.environ.get(PARALLEL_VARIABLE, "").strip().lower() not in ON_VALUES:
        return False
    return (
        sys.platform == "linux"
        and hasattr(os, "fork")
        and threading.active_count() == 1
    )


class ForkedCall(Generic[T]):
    """``function()`` running in a forked child until :meth:`result` collects it.

    Use as a context manager: leaving the block kills and reaps a child whose
    result was not collected, so an error in the parent leaves no process
    behind.
    """

    def __init__(self, function: Callable[[], T]) -> None:
        self._pid = 0
        self._reader: BinaryIO | None = None
        try:
            self._start(function)
        except BaseException:
            # A signal handled when the fork's mask is lifted raises here, and
            # the caller's with-block never starts, so nothing else ends the child.
            self.cancel()
            raise

    def _start(self, function: Callable[[], T]) -> None:
        read_end, write_end = os.pipe()
        parent = os.getpid()
        # SIGINT and SIGTERM are held until the fork is done, because a handler
        # that runs during the fork raises in an at-fork hook, where Python
        # prints "Exception ignored" and drops the KeyboardInterrupt.
        with _interrupts_blocked() as mask:
            try:
                pid = os.fork()
            except OSError as error:
                os.close(read_end)
                os.close(write_end)
                logger.debug("Could not fork (%s); the work runs here", error)
                return
            if pid == 0:
                _run_child(function, parent, read_end, write_end, mask)
            os.close(write_end)
            self._pid = pid
            self._reader = os.fdopen(read_end, "rb")

    def __enter__(self) -> ForkedCall[T]:
        return self

    def __exit__(self, *exception: object) -> None:
        self.cancel()

    def result(self) -> T | None:
        """Wait for the child and return its result, or None when it failed."""
        if self._reader is None:
            return None
        try:
            data = self._reader.read()
        finally:
            self._reader.close()
            self._reader = None
        status = self._reap()
        if status != 0 or not data:
            logger.debug(
                "Child process ended with status %s; its work runs here", status
            )
            return None
        result: T = pickle.loads(data)
        return result

    def cancel(self) -> None:
        """Kill the child if it still runs, and reap it."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._pid:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._reap()

    def _reap(self) -> int:
        """Wait for the child to end; return its exit status (negative: signal)."""
        pid, self._pid = self._pid, 0
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)


class ForkedFileCall(Generic[T]):
    """``function(file)`` in a forked child that writes its output to ``file``.

    ``file`` is an unnamed temporary file that both processes share. A child
    that writes megabytes there and returns only their sizes through the pipe
    spares the parent many small reads from the pipe. Use as a context
    manager, as :class:`ForkedCall`: leaving the block ends the child and
    closes the file.

    :raises OSError: if the temporary file cannot be created.
    """

    def __init__(self, function: Callable[[IO[bytes]], T]) -> None:
        self._file: IO[bytes] | None = tempfile.TemporaryFile()
        self._call: ForkedCall[T] | None = None
        try:
            self._call = ForkedCall(partial(function, self._file))
        except BaseException:
            self.cancel()
            raise

    def __enter__(self) -> ForkedFileCall[T]:
        return self

    def __exit__(self, *exception: object) -> None:
        self.cancel()

    def result(self) -> tuple[T, IO[bytes]] | None:
        """Wait for the child and return its result and the file, rewound.

        Returns None when the child failed or was cancelled. The file stays
        open until :meth:`cancel`.
        """
        if self._call is None or self._file is None:
            return None
        returned = self._call.result()
        if returned is None:
            return None
        self._file.seek(0)
        return returned, self._file

    def cancel(self) -> None:
        """End the child, if one runs, and close the file."""
        call, self._call = self._call, None
        if call is not None:
            call.cancel()
        file, self._file = self._file, None
        if file is not None:
            file.close()


@contextmanager
def _interrupts_blocked() -> Iterator[set[int | signal.Signals]]:
    """Block SIGINT and SIGTERM in this thread; yield the previous signal mask."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, INTERRUPTS)
    try:
        yield mask
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _reset_interrupts(mask: set[int | signal.Signals]) -> None:
    """Give the child the default action for SIGINT and SIGTERM, then unblock them.

    The parent's handlers raise KeyboardInterrupt, which in the child would
    only print a traceback. With the default action a signal sent to the
    whole process group ends the child at once, and the parent, interrupted
    too, stops waiting for it. A signal the parent ignores stays ignored, as
    in the child process of ``serve``, which leaves stopping to the service.
    """
    for number in INTERRUPTS:
        if signal.getsignal(number) is not signal.SIG_IGN:
            signal.signal(number, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this child when its parent ends, even by SIGKILL.

    Without it, a parent killed by a timeout leaves the child working until
    its function returns. The child writes only to its pipe, so this saves
    work and nothing else.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError) as error:
        logger.debug("Child not tied to its parent's end: %s", error)
    if os.getppid() != parent:
        os._exit(FAILED)


def _run_child(
    function: Callable[[], object],
    parent: int,
    read_end: int,
    write_end: int,
    mask: set[int | signal.Signals],
) -> None:
    """Run ``function`` in the child, send its result, and end the child.

    Everything runs inside ``try`` with ``os._exit`` in ``finally``, so the
    child never returns into the parent's code. It never runs the parent's
    exit handlers or flushes its output buffers either, which would write the
    parent's pending output a second time.
    """
    status = FAILED
    try:
        _reset_interrupts(mask)
        os.close(read_end)
        _die_with_parent(parent)
        result = function()
        with os.fdopen(write_end, "wb") as out:
            pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
        status = 0
    except BaseException as error:  # noqa: BLE001 - the parent reruns it and reports
        logger.debug("Child process failed: %r", error)
    finally:
        os._exit(status)
