"""A run's stage history packed in a forked child while the run goes on."""

from __future__ import annotations

import datetime as dt
import errno
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import pytest

from config.loader import load_pipeline
from config.models import Pipeline
from rules.history import DealSnapshot, Transition
from rules.stage_history import HistoryOutcome, StageHistory
from sync import forked, history_packing
from sync.history_packing import DocumentSizes, HistoryPacking, history_to_store
from sync.job import RunRequest, record_run
from sync.sources.excel import ExcelWorkbook
from sync.state.keys import workbook_key
from sync.state.packing import PackedHistory, unpack_snapshot, unpack_transitions
from sync.state.records import RunOutcome
from sync.state.store import StateStore
from tests.sync.pipeline_files import SheetDeal, write_deals, write_definition

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="pipesheet forks only on Linux"
)

SEPTEMBER_30 = dt.date(2025, 9, 30)
DEALS = [DealSnapshot(f"D-{n}", "Lead", "Ana", 100.0 * n, n + 1) for n in range(40)]
ARRIVALS = [Transition(deal.deal_id, None, "Lead", SEPTEMBER_30) for deal in DEALS]
FIRST_RUN = StageHistory()


def outcome(
    snapshots: list[DealSnapshot], moves: Sequence[Transition] = ()
) -> HistoryOutcome:
    return HistoryOutcome(
        snapshots=snapshots,
        new_transitions=list(moves),
        findings=[],
        log_rows=[],
        funnel=[],
    )


def packed_in_parent(logged: HistoryOutcome, stored: StageHistory) -> PackedHistory:
    raise AssertionError("the parent packed the history")


def test_child_packs_same_documents(
    forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    logged = outcome(DEALS, ARRIVALS)
    expected = history_to_store(logged, FIRST_RUN)

    with HistoryPacking() as packing:
        packing.start(logged)
        monkeypatch.setattr(history_packing, "history_to_store", packed_in_parent)
        packed = packing.result(logged)

    assert len(forks) == 1
    assert packed == expected
    assert packed.snapshot is not None
    assert unpack_snapshot(packed.snapshot) == DEALS
    assert packed.transitions is not None
    assert unpack_transitions(packed.transitions) == ARRIVALS


def test_failed_child_packed_in_parent(
    forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    logged = outcome(DEALS, ARRIVALS)
    expected = history_to_store(logged, FIRST_RUN)
    parent = os.getpid()
    real_pack = history_packing.pack_history

    def pack_failing_in_child(*arguments: Any) -> PackedHistory:
        if os.getpid() != parent:
            raise MemoryError
        return real_pack(*arguments)

    monkeypatch.setattr(history_packing, "pack_history", pack_failing_in_child)

    with HistoryPacking() as packing:
        packing.start(logged)
        packed = packing.result(logged)

    assert len(forks) == 1
    assert packed == expected


def test_short_documents_packed_in_parent(
    forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    logged = outcome(DEALS, ARRIVALS)

    def write_too_little(
        file: IO[bytes], logged: HistoryOutcome, stored: StageHistory
    ) -> DocumentSizes:
        file.write(b"x")
        return (2, None)

    monkeypatch.setattr(history_packing, "_pack_into", write_too_little)

    with HistoryPacking() as packing:
        packing.start(logged)
        packed = packing.result(logged)

    assert len(forks) == 1
    assert packed == history_to_store(logged, FIRST_RUN)


def test_no_temporary_file_packed_without_fork(
    forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    logged = outcome(DEALS, ARRIVALS)

    def no_space() -> IO[bytes]:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(forked.tempfile, "TemporaryFile", no_space)

    with HistoryPacking() as packing:
        packing.start(logged)
        packed = packing.result(logged)

    assert forks == []
    assert packed == history_to_store(logged, FIRST_RUN)


def test_unchanged_snapshot_packed_without_fork(forks: list[int]) -> None:
    logged = outcome(list(DEALS))

    with HistoryPacking() as packing:
        packing.stored = StageHistory(previous=DEALS)
        packing.start(logged)
        packed = packing.result(logged)

    assert forks == []
    assert packed == PackedHistory(None, None)


def test_untaken_documents_end_child(forks: list[int]) -> None:
    with HistoryPacking() as packing:
        packing.start(outcome(DEALS, ARRIVALS))

    assert len(forks) == 1


def test_other_outcome_packed_in_parent(forks: list[int]) -> None:
    started = outcome(DEALS, ARRIVALS)
    changed = outcome(DEALS[:3], ARRIVALS[:3])

    with HistoryPacking() as packing:
        packing.start(started)
        packed = packing.result(changed)

    assert len(forks) == 1
    assert packed == history_to_store(changed, FIRST_RUN)


def test_no_history_packs_nothing(forks: list[int]) -> None:
    with HistoryPacking() as packing:
        packed = packing.result(None)

    assert forks == []
    assert packed == PackedHistory(None, None)


# A run that packs its history in a child and then fails to write


@pytest.fixture
def pipeline(tmp_path: Path) -> Pipeline:
    write_deals(tmp_path / "pipeline.xlsx", [SheetDeal("D-1", "Ana", "Lead")])
    return load_pipeline(write_definition(tmp_path))


@pytest.mark.parametrize(
    "error",
    [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt("SIGTERM")],
    ids=["disk full", "interrupted"],
)
def test_failed_write_stores_no_history(
    pipeline: Pipeline,
    store: StateStore,
    forks: list[int],
    monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
) -> None:
    def failing_apply(_source: ExcelWorkbook, _plan: object) -> None:
        raise error

    monkeypatch.setattr(ExcelWorkbook, "apply", failing_apply)
    request = RunRequest(pipeline, SEPTEMBER_30)

    with pytest.raises(type(error)):
        record_run(request, store, now=dt.datetime(2025, 9, 30, 5, tzinfo=dt.UTC))

    key = workbook_key(pipeline)
    assert [run.outcome for run in store.runs(key)] == [RunOutcome.FAILED]
    assert store.latest_snapshot(key) is None
    assert store.transitions(key) == []
    assert len(forks) == 1
