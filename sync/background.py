"""A function running in a background thread, whose result is taken later."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class BackgroundCall(Generic[T]):
    """``function()`` running in a daemon thread; :meth:`result` waits for it.

    An exception ends the call without a result. It is logged at debug level
    only, because each caller then does the work itself, which raises the same
    error with the caller's own message.
    """

    def __init__(self, function: Callable[[], T], name: str) -> None:
        self._function = function
        self._result: T | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def result(self) -> T | None:
        """Wait for the call to end; return its result, or None if it raised."""
        self._thread.join()
        return self._result

    def _run(self) -> None:
        try:
            self._result = self._function()
        except Exception as error:
            logger.debug("%s failed: %s", self._thread.name, error)
