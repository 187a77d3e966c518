"""The ``pipesheet`` console script: install signal handlers, then load the CLI.

Importing the command line (click, rich, the definition loader) took 0.13 s
in ``python -X importtime -c "import sync.cli"`` on a 2-core machine. Without
handlers, a SIGTERM in that time ends the process with status
143 and no log line, and a Ctrl-C prints a traceback. So this module imports
nothing slow and installs the handlers first. A signal while the command line
loads stops ``serve`` as a signal while it starts does: a log line and exit
status 0. Other commands stop with a sentence naming the signal and exit
status 1, as they do for a signal later on.

NOTE: a signal before this module runs, while Python itself starts (a few
milliseconds), still gets Python's default handling.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import NoReturn


def main() -> NoReturn:
    """Run the ``pipesheet`` command line with signal handlers installed first."""
    install_interrupt_handlers()
    use_one_blas_thread()
    try:
        from sync.cli import main as run_command_line
    except KeyboardInterrupt as interrupt:
        stop_while_loading(interrupt, sys.argv[1:])
    run_command_line()


def use_one_blas_thread() -> None:
    """Set ``OPENBLAS_NUM_THREADS`` to 1 unless the user has set it.

    OpenBLAS, which numpy loads, starts one thread per core by default, and
    pipesheet does no linear algebra. With one thread, ``import pandas`` used
    0.05 s less CPU on a 2-core machine (mean of 15 runs each).
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


# The interrupts raised in this process by the handlers below.
_interrupts_raised = 0
# The first interrupt, when a finalizer swallowed it; see report_unraisable.
_swallowed_interrupt: KeyboardInterrupt | None = None
REDELIVERY_DELAY_SECONDS = 0.001


def install_interrupt_handlers() -> None:
    """Make SIGTERM and SIGHUP raise ``KeyboardInterrupt``, as Ctrl-C does.

    Also keep an interrupt raised inside a finalizer from being printed as a
    traceback, see :func:`report_unraisable`.
    """
    sys.unraisablehook = report_unraisable
    # Python ignores SIGINT in a background job of a non-interactive shell,
    # and then keeps it ignored.
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, interrupt)
    # SIGTERM (sent by timeout, systemd and cron) is handled like Ctrl-C, so
    # the cleanup of a write in progress runs. Its temporary file is removed
    # and the workbook is left as it was. serve installs its own handler.
    signal.signal(signal.SIGTERM, interrupt)
    # So is SIGHUP, sent when the terminal closes, unless nohup ignores it.
    if signal.getsignal(signal.SIGHUP) is signal.SIG_DFL:
        signal.signal(signal.SIGHUP, interrupt)


def interrupt(signal_number: int, frame: FrameType | None) -> NoReturn:
    """Raise ``KeyboardInterrupt`` with the signal's name, so a stop can log it.

    Ctrl-C raises it without a name, as Python's own handler does.
    """
    global _interrupts_raised
    _interrupts_raised += 1
    if signal_number == signal.SIGINT:
        raise KeyboardInterrupt
    raise KeyboardInterrupt(signal.Signals(signal_number).name)


def report_unraisable(unraisable: sys.UnraisableHookArgs) -> None:
    """Drop an interrupt that a finalizer swallowed; report other errors as usual.

    Python cannot raise an exception out of a finalizer such as
    ``ZipFile.__del__``, so an interrupt that comes while one runs is lost.
    Finalizers run mostly while an earlier interrupt unwinds the command,
    which then reports that one. An interrupt that was the first is raised
    again a millisecond later (by SIGALRM), so the command still stops: a
    handler that ran inside this hook would only be swallowed again.
    """
    if not isinstance(unraisable.exc_value, KeyboardInterrupt):
        sys.__unraisablehook__(unraisable)
        return
    if _interrupts_raised > 1:
        return
    global _swallowed_interrupt
    _swallowed_interrupt = unraisable.exc_value
    signal.signal(signal.SIGALRM, raise_swallowed_interrupt)
    signal.setitimer(signal.ITIMER_REAL, REDELIVERY_DELAY_SECONDS)
    # Python resets the handler as it exits, so a late alarm would end it.
    atexit.register(signal.setitimer, signal.ITIMER_REAL, 0)


def raise_swallowed_interrupt(signal_number: int, frame: FrameType | None) -> None:
    """Raise the interrupt that a finalizer swallowed, see report_unraisable."""
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    if _swallowed_interrupt is not None:
        raise KeyboardInterrupt(*_swallowed_interrupt.args)


def stop_while_loading(
    interrupt: KeyboardInterrupt, arguments: Sequence[str]
) -> NoReturn:
    """Stop after a signal that came while the command line was imported."""
    if requested_command(arguments) == "serve":
        stop_service_while_starting(interrupt)
    from sync.interrupts import signal_name

    print(
        f"Stopped by {signal_name(interrupt)} before the command started; "
        "nothing was done.",
        file=sys.stderr,
    )
    raise SystemExit(1)


def requested_command(arguments: Sequence[str]) -> str | None:
    """Return the subcommand's name: the first argument that is not an option.

    The group's own options (``-v``, ``--help``, ``--version``) take no value,
    so no option's value can be mistaken for the command.
    """
    return next(
        (argument for argument in arguments if not argument.startswith("-")), None
    )


def stop_service_while_starting(interrupt: KeyboardInterrupt) -> NoReturn:
    """Log a stop of ``serve`` before it handles signals itself, and exit 0.

    Until then SIGTERM and SIGINT raise ``KeyboardInterrupt`` as in any
    command. No run has started yet, so the stop is as clean as a later one and
    ends with the same exit status. Further signals are ignored meanwhile, so
    a second SIGTERM cannot cut the log lines short.
    """
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_IGN)
    from sync.log_output import set_up_service_logging

    set_up_service_logging()
    # Ctrl-C raises KeyboardInterrupt without a name.
    name = interrupt.args[0] if interrupt.args else signal.SIGINT.name
    logger = logging.getLogger("sync.service")
    logger.info("%s received while starting: stopping; no run was started", name)
    logger.info("service stopped pid=%d", os.getpid())
    raise SystemExit(0)
