"""Packing a run's stage history for the state database while the run goes on.

A 100k-row first run's snapshot and transitions took about 0.13 s of CPU to
pack (2-core AMD EPYC, CPython 3.11). They are known once the run has applied
the stored history to its deals, before it renders the tabs and writes the
workbook. So a child forked then (see :mod:`sync.forked`) packs them on the
second core, and the parent takes the documents when it records the run. When
the child could not start or failed, the parent packs them itself, so the
documents are the same either way.

The child writes the documents to an unnamed temporary file and sends back
only their sizes. Through the pipe, 1.8 MB of documents take about thirty
64 KiB turns between the two processes, which on a busy machine took 40 to
100 ms of the parent's wall time.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import IO

from rules.stage_history import HistoryOutcome, StageHistory
from sync.forked import ForkedFileCall, can_fork
from sync.state.packing import PackedHistory, pack_history

logger = logging.getLogger(__name__)


class HistoryPacking:
    """The packing of one run's history, started early in a child if it can be.

    Use as a context manager: leaving the block ends a child whose documents
    were not taken, as after a failed write.
    """

    def __init__(self) -> None:
        # The history as the state database returned it, which the run sets
        # once it has loaded it.
        self.stored = StageHistory()
        self._logged: HistoryOutcome | None = None
        self._call: ForkedFileCall[DocumentSizes] | None = None

    def __enter__(self) -> HistoryPacking:
        return self

    def __exit__(self, *exception: object) -> None:
        self.cancel()

    def start(self, logged: HistoryOutcome) -> None:
        """Start packing ``logged`` in a child process, if this process may fork."""
        self.cancel()
        self._logged = logged
        if not (can_fork() and _has_much_to_pack(logged, self.stored)):
            return
        pack = partial(_pack_into, logged=logged, stored=self.stored)
        try:
            self._call = ForkedFileCall(pack)
        except OSError as error:
            logger.debug(
                "No temporary file for the packed history (%s), so it is packed here",
                error,
            )

    def result(self, logged: HistoryOutcome | None) -> PackedHistory:
        """Return the documents to store for the run's history ``logged``.

        They come from the child when it packed this same ``logged``, and are
        packed here otherwise.
        """
        if logged is None:
            return PackedHistory(None, None)
        call = self._call
        try:
            if call is not None and logged is self._logged:
                written = call.result()
                packed = None if written is None else _read_documents(*written)
                if packed is not None:
                    return packed
        finally:
            self.cancel()
        return history_to_store(logged, self.stored)

    def cancel(self) -> None:
        """End the child, if one runs, without taking its documents."""
        call, self._call = self._call, None
        if call is not None:
            call.cancel()


def _read_documents(sizes: DocumentSizes, file: IO[bytes]) -> PackedHistory | None:
    """Read the documents the child wrote, or return None if some are short."""
    documents = []
    for size in sizes:
        document = None if size is None else file.read(size)
        if document is not None and len(document) != size:
            return None
        documents.append(document)
    return PackedHistory(*documents)


# The sizes of the snapshot and transitions documents, None where there is none.
DocumentSizes = tuple[int | None, int | None]


def _pack_into(
    file: IO[bytes], logged: HistoryOutcome, stored: StageHistory
) -> DocumentSizes:
    """Write the documents to store one after the other, and return their sizes."""
    packed = history_to_store(logged, stored)
    for document in packed:
        if document is not None:
            file.write(document)
    file.flush()
    snapshot, transitions = packed
    return (
        None if snapshot is None else len(snapshot),
        None if transitions is None else len(transitions),
    )


def history_to_store(logged: HistoryOutcome, stored: StageHistory) -> PackedHistory:
    """Pack the snapshot and transitions that a run with history ``logged`` stores.

    ``stored`` is the history as the state database returned it. A snapshot
    equal to the stored one is not stored again (100k rows took 0.4 s), and
    the next run's latest_snapshot returns the equal one. After a stage
    rename the stored one has the old names, so the run stores one with the
    new names and later runs need not rename. The stay starts are stored
    with the snapshot, so changed starts store it too, or the next run would
    end stays on the older starts.
    """
    snapshot = None
    stay_starts = None
    if logged.snapshots != stored.previous or logged.stay_starts != stored.stay_starts:
        snapshot = logged.snapshots
        stay_starts = logged.stay_starts
    return pack_history(
        snapshot, logged.new_transitions, stay_starts, logged.ended_stay_starts
    )


def _has_much_to_pack(logged: HistoryOutcome, stored: StageHistory) -> bool:
    """Return True when the run has transitions, or a snapshot of a new length.

    Otherwise the snapshot is most likely equal to the stored one, so the run
    stores nothing. Comparing two equal snapshots of 100k deals took 7 ms of
    CPU, and the fork about 10 ms (2-core AMD EPYC, CPython 3.11).

    NOTE: a run that changed only amounts or owners packs its snapshot in
    the parent.
    """
    previous = stored.previous
    if previous is None or len(previous) != len(logged.snapshots):
        return True
    return bool(logged.new_transitions)
