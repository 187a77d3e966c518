"""FIFOs for tests of code that must not open them."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Seconds after which a reader blocked on the FIFO gets end of file.
RELEASE_AFTER_SECONDS = 5.0


@contextmanager
def released_fifo(path: Path) -> Iterator[Path]:
    """Create a FIFO at ``path`` that no reader stays blocked on for long.

    Opening a FIFO for reading blocks until a writer opens it. So a thread
    opens it for writing every few seconds and closes it at once, and code
    that opens the FIFO by mistake reads an empty file: its test fails instead
    of hanging.
    """
    os.mkfifo(path)
    stop = threading.Event()

    def release_readers() -> None:
        while not stop.wait(RELEASE_AFTER_SECONDS):
            try:
                # Fails with ENXIO while no reader has the FIFO open.
                descriptor = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                continue
            os.close(descriptor)

    thread = threading.Thread(target=release_readers, daemon=True)
    thread.start()
    try:
        yield path
    finally:
        stop.set()
        thread.join()
