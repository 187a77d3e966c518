"""Standard streams that keep working after the reader of their pipe has gone.

``pipesheet run CONFIG | head -1`` closes the pipe after one line. Python
ignores SIGPIPE, so the next write raises ``BrokenPipeError``, and click turns
that into exit status 1 in the middle of the command: a completed sync would
report failure, and ``check`` would exit before counting its findings. The
streams made here drop their output once the pipe is closed, so the command
ends with the status its own work gives.
"""

from __future__ import annotations

import io
import os
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer


class DiscardingWhenClosed(io.RawIOBase):
    """A file descriptor's writer that drops the bytes once its pipe is closed."""

    def __init__(self, descriptor: int, owner: object = None) -> None:
        super().__init__()
        self.descriptor = descriptor
        self.pipe_closed = False
        # The stream replaced, kept so that collecting it cannot close the
        # descriptor when it was the descriptor's only owner.
        self.owner = owner

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.descriptor

    def isatty(self) -> bool:
        return os.isatty(self.descriptor)

    def write(self, data: ReadableBuffer, /) -> int:
        size = memoryview(data).nbytes
        if self.pipe_closed:
            return size
        try:
            return os.write(self.descriptor, data)
        except BrokenPipeError:
            self.pipe_closed = True
            return size


def tolerate_closed_pipes() -> None:
    """Replace ``sys.stdout`` and ``sys.stderr`` by streams that survive a closed pipe.

    Each new stream writes to the same file descriptor with the same encoding,
    error handler and line buffering. What the old one held is flushed first.
    A stream without a file descriptor (a test's capture) is left as it is.
    """
    sys.stdout = _tolerant_copy(sys.stdout)
    sys.stderr = _tolerant_copy(sys.stderr)


def _tolerant_copy(stream: TextIO) -> TextIO:
    try:
        descriptor = stream.fileno()
        stream.flush()
    except (OSError, ValueError):
        return stream

    writer = io.BufferedWriter(DiscardingWhenClosed(descriptor, stream))
    return io.TextIOWrapper(
        writer,
        encoding=stream.encoding,
        errors=stream.errors,
        line_buffering=bool(stream.line_buffering),
    )
