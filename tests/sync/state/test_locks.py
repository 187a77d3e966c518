"""Tests of workbook locks: one holder at a time, across stores and processes."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import re
import threading
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

import pytest

from sync.state.locks import WorkbookLock, new_lock_holder
from sync.state.schema import HEAD_REVISION
from sync.state.store import StateStore

WORKBOOK = "/srv/sales/pipeline.xlsx"
NOW = dt.datetime(2025, 3, 4, 7, 0, tzinfo=dt.UTC)
TTL = dt.timedelta(minutes=15)
CONTENDERS = 4
# Bounds a hung child so the test fails instead of blocking; not an assertion.
WAIT_SECONDS = 60


def acquire_in_process(
    url: str, holder: str, barrier: Barrier, results: Queue[tuple[str, bool]]
) -> None:
    """Open the store, wait for every contender, then try to take the lock."""
    with StateStore.open(url) as store:
        barrier.wait(WAIT_SECONDS)
        results.put((holder, store.acquire_lock(WORKBOOK, holder, TTL, NOW)))


def open_in_process(url: str, barrier: Barrier, results: Queue[int]) -> None:
    """Wait for every contender, then open (and migrate) the same database."""
    barrier.wait(WAIT_SECONDS)
    with StateStore.open(url) as store:
        results.put(len(store.runs()))


def test_first_acquire_takes_lock(store: StateStore) -> None:
    assert store.acquire_lock(WORKBOOK, "a", TTL, NOW) is True
    assert store.lock(WORKBOOK) == WorkbookLock(WORKBOOK, "a", NOW, NOW + TTL)


def test_second_store_cannot_take_lock(state_url: str) -> None:
    with StateStore.open(state_url) as first, StateStore.open(state_url) as second:
        assert first.acquire_lock(WORKBOOK, "a", TTL, NOW) is True
        assert second.acquire_lock(WORKBOOK, "b", TTL, NOW) is False
        assert second.lock(WORKBOOK) == WorkbookLock(WORKBOOK, "a", NOW, NOW + TTL)


def test_holder_cannot_acquire_twice(store: StateStore) -> None:
    store.acquire_lock(WORKBOOK, "a", TTL, NOW)
    assert store.acquire_lock(WORKBOOK, "a", TTL, NOW) is False


def test_locks_of_other_workbooks_independent(store: StateStore) -> None:
    store.acquire_lock(WORKBOOK, "a", TTL, NOW)
    assert store.acquire_lock("1AbCdEfGhIjK", "b", TTL, NOW) is True


@pytest.mark.parametrize(
    ("later", "taken"),
    [
        (TTL - dt.timedelta(seconds=1), False),
        (TTL, False),
        (TTL + dt.timedelta(seconds=1), True),
    ],
    ids=["before-expiry", "at-expiry", "after-expiry"],
)
def test_expired_lock_taken_over(
    store: StateStore, later: dt.timedelta, taken: bool
) -> None:
    store.acquire_lock(WORKBOOK, "a", TTL, NOW)
    assert store.acquire_lock(WORKBOOK, "b", TTL, NOW + later) is taken


def test_takeover_records_new_holder(store: StateStore) -> None:
    store.acquire_lock(WORKBOOK, "a", TTL, NOW)
    later = NOW + TTL + dt.timedelta(minutes=1)
    store.acquire_lock(WORKBOOK, "b", TTL, later)
    assert store.lock(WORKBOOK) == WorkbookLock(WORKBOOK, "b", later, later + TTL)


def test_release_by_non_holder_does_nothing(store: StateStore) -> None:
    store.acquire_lock(WORKBOOK, "a", TTL, NOW)
    assert store.release_lock(WORKBOOK, "b") is False
    assert store.lock(WORKBOOK) == WorkbookLock(WORKBOOK, "a", NOW, NOW + TTL)


def test_release_frees_lock(store: StateStore) -> None:
    store.acquire_lock(WORKBOOK, "a", TTL, NOW)
    assert store.release_lock(WORKBOOK, "a") is True
    assert store.acquire_lock(WORKBOOK, "b", TTL, NOW) is True


def test_release_without_lock_returns_false(store: StateStore) -> None:
    assert store.release_lock(WORKBOOK, "a") is False


def test_renew_extends_expiry(store: StateStore) -> None:
    store.acquire_lock(WORKBOOK, "a", TTL, NOW)
    later = NOW + dt.timedelta(minutes=10)
    assert store.renew_lock(WORKBOOK, "a", TTL, later) is True
    assert store.lock(WORKBOOK) == WorkbookLock(WORKBOOK, "a", NOW, later + TTL)


def test_renewed_lock_not_taken_at_old_expiry(store: StateStore) -> None:
    store.acquire_lock(WORKBOOK, "a", TTL, NOW)
    store.renew_lock(WORKBOOK, "a", TTL, NOW + dt.timedelta(minutes=10))
    after_old_expiry = NOW + TTL + dt.timedelta(seconds=1)
    assert store.acquire_lock(WORKBOOK, "b", TTL, after_old_expiry) is False


def test_renew_after_takeover_fails(store: StateStore) -> None:
    store.acquire_lock(WORKBOOK, "a", TTL, NOW)
    later = NOW + TTL + dt.timedelta(minutes=1)
    store.acquire_lock(WORKBOOK, "b", TTL, later)
    assert store.renew_lock(WORKBOOK, "a", TTL, later) is False
    assert store.lock(WORKBOOK) == WorkbookLock(WORKBOOK, "b", later, later + TTL)


def test_lock_times_are_utc(store: StateStore) -> None:
    tokyo = NOW.astimezone(dt.timezone(dt.timedelta(hours=9)))
    store.acquire_lock(WORKBOOK, "a", TTL, tokyo)
    lock = store.lock(WORKBOOK)
    assert lock is not None
    assert lock.acquired_at.tzinfo is dt.UTC
    assert lock.acquired_at == NOW


@pytest.mark.parametrize(
    ("ttl", "now", "message"),
    [
        (dt.timedelta(0), NOW, "lock ttl datetime.timedelta(0) is not positive"),
        (TTL, dt.datetime(2025, 3, 4, 7), "naive datetime"),
    ],
    ids=["zero-ttl", "naive-now"],
)
def test_acquire_rejects_bad_times(
    store: StateStore, ttl: dt.timedelta, now: dt.datetime, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        store.acquire_lock(WORKBOOK, "a", ttl, now)


def test_new_lock_holder_names_host_and_pid() -> None:
    host, pid, token = new_lock_holder().split(":")
    assert host
    assert pid.isdecimal()
    assert re.fullmatch("[0-9a-f]{32}", token)


def test_new_lock_holders_differ() -> None:
    assert new_lock_holder() != new_lock_holder()


def test_threads_race_one_acquires(state_url: str) -> None:
    barrier = threading.Barrier(CONTENDERS)
    results: dict[str, bool] = {}

    def contend(holder: str) -> None:
        with StateStore.open(state_url) as store:
            barrier.wait(WAIT_SECONDS)
            results[holder] = store.acquire_lock(WORKBOOK, holder, TTL, NOW)

    StateStore.open(state_url).close()
    threads = [
        threading.Thread(target=contend, args=(f"t{n}",)) for n in range(CONTENDERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    assert sorted(results.values()) == [False] * (CONTENDERS - 1) + [True]


def test_processes_race_one_acquires(state_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(CONTENDERS)
    results: Queue[tuple[str, bool]] = context.Queue()
    StateStore.open(state_url).close()

    processes = [
        context.Process(
            target=acquire_in_process, args=(state_url, f"p{n}", barrier, results)
        )
        for n in range(CONTENDERS)
    ]
    for process in processes:
        process.start()
    outcomes = dict(results.get(timeout=WAIT_SECONDS) for _ in processes)
    for process in processes:
        process.join(WAIT_SECONDS)

    assert sorted(outcomes.values()) == [False] * (CONTENDERS - 1) + [True]
    with StateStore.open(state_url) as store:
        lock = store.lock(WORKBOOK)
    winner = next(holder for holder, won in outcomes.items() if won)
    assert lock is not None
    assert lock.holder == winner


def test_processes_open_new_database_at_once(state_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(CONTENDERS)
    results: Queue[int] = context.Queue()

    processes = [
        context.Process(target=open_in_process, args=(state_url, barrier, results))
        for _ in range(CONTENDERS)
    ]
    for process in processes:
        process.start()
    run_counts = [results.get(timeout=WAIT_SECONDS) for _ in processes]
    for process in processes:
        process.join(WAIT_SECONDS)

    assert run_counts == [0] * CONTENDERS
    assert [process.exitcode for process in processes] == [0] * CONTENDERS
    with StateStore.open(state_url) as store, store.engine.connect() as connection:
        versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
        assert [row[0] for row in versions] == [HEAD_REVISION]
