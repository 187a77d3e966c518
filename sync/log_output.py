"""Log output for people on stderr, and the warnings that ``--json`` lists.

Without ``-v`` a command shows only warnings and errors, which are meant for
the person who ran it, so they read ``Warning: ...`` without the module that
logged them. With ``-v`` or ``-vv`` each line keeps its level and logger name
for debugging. ``serve`` sets its own format with times and process ids.

A command's warnings also go into its ``--json`` document, so a scheduled job
that reads only stdout gets them too: :data:`RUN_WARNINGS` keeps the messages of
the warnings logged since the command started.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections import deque

# The format of ``serve``'s log lines and its runs': time, level, logger, process id.
SERVICE_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s"

# The words people read before a message, by level.
_LEVEL_WORDS = {
    logging.WARNING: "Warning",
    logging.ERROR: "Error",
    logging.CRITICAL: "Error",
}


class PeopleFormatter(logging.Formatter):
    """Format a record as ``Warning: message``, the way messages for people read."""

    def format(self, record: logging.LogRecord) -> str:
        word = _LEVEL_WORDS.get(record.levelno, record.levelname.capitalize())
        text = f"{word}: {record.getMessage()}"
        if record.exc_info:
            text = f"{text}\n{self.formatException(record.exc_info)}"
        return text


class ServiceFormatter(logging.Formatter):
    """Format a record as :data:`SERVICE_LOG_FORMAT`, its time with the UTC offset.

    The service's schedules name their own time zones, so a local time without
    its offset could not be compared with a run's next fire time.
    """

    def __init__(self) -> None:
        super().__init__(SERVICE_LOG_FORMAT)

    def formatTime(  # noqa: N802 (logging.Formatter's name)
        self, record: logging.LogRecord, datefmt: str | None = None
    ) -> str:
        local = dt.datetime.fromtimestamp(record.created).astimezone()
        return local.isoformat(sep=" ", timespec="milliseconds")


class DebugFormatter(logging.Formatter):
    """Format a record with its level and logger name, for ``-v`` and ``-vv``."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")


def is_not_interrupt(record: logging.LogRecord) -> bool:
    """Return False for a record of a caught Ctrl-C or SIGTERM, which is not logged.

    A library that logs an exception it re-raises, such as SQLAlchemy's pool
    when closing a connection, would print a traceback for a second signal
    during a stopped command's clean-up. The interrupt goes on, and the
    command names it in its own message.
    """
    return not (record.exc_info and isinstance(record.exc_info[1], KeyboardInterrupt))


# The maximum number of messages kept: ``serve`` logs warnings for days.
MAX_MESSAGES = 1000


class WarningCollector(logging.Handler):
    """The messages of the warnings and errors logged since :meth:`install`."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: deque[str] = deque(maxlen=MAX_MESSAGES)
        self.addFilter(is_not_interrupt)

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def install(self) -> None:
        """Start collecting anew, attached to the root logger once."""
        self.messages.clear()
        root = logging.getLogger()
        if self not in root.handlers:
            root.addHandler(self)


RUN_WARNINGS = WarningCollector()


def set_up_command_logging(verbose: int) -> None:
    """Log to stderr at WARNING, or INFO (``-v``) or DEBUG (``-vv``), and collect.

    A process whose root logger already has handlers (a test runner's) keeps
    them and their level, as :func:`logging.basicConfig` would.
    """
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(PeopleFormatter() if verbose == 0 else DebugFormatter())
        handler.addFilter(is_not_interrupt)
        root.addHandler(handler)
        root.setLevel(logging.WARNING - 10 * min(verbose, 2))
    RUN_WARNINGS.install()


def set_up_service_logging() -> int:
    """Log to stderr at INFO at least, with times and process ids; return the level.

    ``pipesheet -v`` or ``-vv`` set up logging before this runs; a service logs
    INFO lines (one per run) even without them.
    """
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(stream=sys.stderr)
    for handler in root.handlers:
        # Only the handler the command line set up; others (a test runner's)
        # keep their format.
        if type(handler) is logging.StreamHandler and handler.stream is sys.stderr:
            handler.setFormatter(ServiceFormatter())
            handler.addFilter(is_not_interrupt)
    root.setLevel(min(root.level, logging.INFO))
    return root.level


def shorten_message(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters at a word boundary and mark the cut.

    A text within the limit is returned as it is. The marker gives the number
    of characters left out, so a reader knows the message goes on:
    ``shorten_message("stages: missing; this key is required", 20)`` returns
    ``"stages: missing; … (21 more characters)"``.
    """
    if len(text) <= limit:
        return text
    shortened = text[:limit]
    if not text[limit].isspace():
        # The limit falls inside a word, which goes unless it is the only one.
        words = shortened.rsplit(maxsplit=1)
        if len(words) == 2:
            shortened = words[0]
    shortened = shortened.rstrip()
    return f"{shortened} … ({len(text) - len(shortened)} more characters)"
