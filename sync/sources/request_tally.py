"""The API requests this process sent, over every spreadsheet, retries included.

A source counts its own requests, but a run that fails loses its source with
the exception, and a run killed at its deadline cannot report anything. Runs
read this tally before and after instead, and a scheduled run's child process
also adds to a counter shared with the service, which reads it after killing
the child. Only :class:`sync.sources.sheets_retry.SheetsCaller` adds to it.

NOTE: runs in threads of one process would count each other's requests. The
service runs each in a process of its own, and the command line runs one.
"""

from __future__ import annotations

import threading
from typing import Protocol


class SharedCounter(Protocol):
    """An integer in memory shared between processes, as ``multiprocessing.Value``."""

    value: int


class RequestTally:
    """A running count of requests sent, safe to add to from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = 0
        self._shared: SharedCounter | None = None

    @property
    def total(self) -> int:
        """Return the requests counted since the process started."""
        with self._lock:
            return self._total

    def add_request(self) -> None:
        """Count one request, in the shared counter too when there is one."""
        with self._lock:
            self._total += 1
            if self._shared is not None:
                self._shared.value = self._total

    def share_with(self, counter: SharedCounter) -> None:
        """Copy the count into ``counter`` from now on, for another process to read.

        Only this process may write ``counter``, so it needs no lock of its own.
        """
        with self._lock:
            self._shared = counter
            counter.value = self._total


# One per process, because requests are sent deep inside a run.
REQUESTS_SENT = RequestTally()
