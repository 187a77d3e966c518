"""Ending the ``pipesheet`` process without the interpreter's teardown.

At exit CPython frees every object one by one and collects the garbage of
every loaded module (pandas, SQLAlchemy, the rules). Measured after a 3.8 s
run of the 100,000-row benchmark workbook (2-core AMD EPYC, CPython 3.11):
freeing the run's result took 0.1 s of CPU time, the collection that followed
0.05 s, and the teardown about 0.15 s more. The operating system frees the
memory at once, so :func:`exit_process` flushes the output, runs the
``atexit`` callbacks (logging's flush, ``weakref.finalize`` clean-ups) and
ends the process with ``os._exit``. Files and databases are closed by the
commands themselves, in ``with`` blocks, before this point.
"""

from __future__ import annotations

import atexit
import errno
import gc
import os
import signal
import sys
import threading
from typing import NoReturn

# The type of ``SystemExit.code``, as typeshed declares it.
ExitCode = str | int | None

# Error numbers of a write that failed for want of space or a device fault.
# Windows has no EDQUOT.
_FAILED_WRITE_ERRNOS = frozenset(
    {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG, errno.EIO}
)

# Whether the process ends when its command returns; see end_after_command.
_ending_after_command = False


def end_after_command() -> None:
    """Note that the process ends when its one command returns (``main`` calls it)."""
    global _ending_after_command
    _ending_after_command = True


def keep_objects_until_exit() -> None:
    """Exclude the objects alive now from every later garbage collection.

    A command calls this when it is done and returns its large result, which
    then stays referenced until :func:`exit_process`. Without it, the
    collection that runs when a command resumes collecting (see
    :mod:`sync.collector`) would walk the million objects of a 100k-row run.
    Does nothing unless :func:`end_after_command` was called, so tests that
    invoke commands in their own process keep collecting as usual.
    """
    if _ending_after_command:
        gc.freeze()


def ignore_interrupts_until_exit() -> None:
    """Ignore SIGINT, SIGTERM and SIGHUP from now on, once a command was stopped.

    The command has cleaned up and only reports the stop, which a second
    Ctrl-C must not turn into a traceback. Does nothing unless
    :func:`end_after_command` was called, so a test process keeps its
    handlers.
    """
    if not _ending_after_command:
        return
    if threading.current_thread() is not threading.main_thread():
        return
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_IGN)


def exit_process(code: ExitCode) -> NoReturn:
    """End the process with the status ``code`` as ``sys.exit(code)`` would.

    Falls back to ``sys.exit``, so Python handles the case as it always does,
    when ``code`` is not a number or None (Python prints it). It does the same
    when a thread that Python would wait for still runs, and when flushing
    stdout or stderr fails (a closed pipe).
    """
    status = exit_status(code)
    if status is None or threads_to_wait_for():
        sys.exit(code)

    # Private, but declared in typeshed and present since Python 3.0: it runs
    # the callbacks that Python's own exit would run, last registered first,
    # and then clears them, so a fallback below does not run them twice.
    atexit._run_exitfuncs()
    if not flush_output():
        sys.exit(code)
    os._exit(status)


def exit_status(code: ExitCode) -> int | None:
    """Return the process status for a ``SystemExit`` code, or None.

    None means the code is a message, or a number that only Python's own exit
    handles the same way on every system (below 0 or above 255).
    """
    if code is None:
        return 0
    if isinstance(code, int) and 0 <= code <= 255:
        return int(code)
    return None


def threads_to_wait_for() -> list[threading.Thread]:
    """Return the running threads, other than this one, that are not daemons."""
    current = threading.current_thread()
    return [
        thread
        for thread in threading.enumerate()
        if thread is not current and not thread.daemon and thread.is_alive()
    ]


def flush_output() -> bool:
    """Flush stdout and stderr; return False when either fails."""
    for stream in (sys.stdout, sys.stderr):
        if stream is None:
            continue
        try:
            stream.flush()
        except (OSError, ValueError):
            return False
    return True


def is_output_error(error: OSError) -> bool:
    """Return True when ``error`` is a failed write to stdout or stderr.

    Such a write fails with no file name, where pipesheet's writes to files
    either name the file or are reported as pipesheet's own errors.
    """
    return error.filename is None and error.errno in _FAILED_WRITE_ERRNOS


def end_after_output_error(error: OSError) -> NoReturn:
    """Print why writing the output failed, without a traceback, and exit 1."""
    # Python flushes stdout again at exit and would fail a second time, so the
    # rest goes to os.devnull instead.
    if sys.stdout is not None:
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass  # Not a real file (a test's stream); nothing is flushed at exit.
    try:
        sys.stderr.write(
            f"Error: writing the output failed: {error.strerror}. Send stdout to "
            "a file or device with free space, then run the command again.\n"
        )
    except OSError:
        pass  # stderr failed too; the exit status still reports the failure.
    exit_process(1)
