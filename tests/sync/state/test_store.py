"""Tests of the state store: schema migrations, runs, snapshots, transitions."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import zoneinfo
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from rules.history import DealSnapshot, Transition
from sync.state.errors import RunNotFoundError, StateError, StateNotFoundError
from sync.state.records import RunOutcome, RunRecord
from sync.state.schema import HEAD_REVISION, alembic_config
from sync.state.store import StateStore
from sync.state.tables import metadata

AS_OF = dt.date(2025, 3, 4)
STARTED = dt.datetime(2025, 3, 4, 7, 0, 0, tzinfo=dt.UTC)
FINISHED = dt.datetime(2025, 3, 4, 7, 0, 2, 500_000, tzinfo=dt.UTC)
WORKBOOK = "/srv/sales/pipeline.xlsx"
OTHER_WORKBOOK = "1AbCdEfGhIjK"
TABLES = {
    "runs",
    "run_snapshots",
    "run_transitions",
    "locks",
    "digests_sent",
    "digest_items",
}

FIRST_SNAPSHOT = [
    DealSnapshot("D-1", "Lead", "Ana", 1200.0, 2),
    DealSnapshot("D-2", "Demo", "Bo", None, 3),
]
SECOND_SNAPSHOT = [
    DealSnapshot("D-2", "Proposal", "Bo", 5000.0, 2),
    DealSnapshot("D-3", None, None, None, 3),
]


def schema_revision(store: StateStore) -> list[str]:
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
        return [row[0] for row in rows]


def finished_run(
    store: StateStore, outcome: RunOutcome, workbook: str = WORKBOOK
) -> int:
    run_id = store.start_run(workbook, "Deals", AS_OF, now=STARTED)
    store.finish_run(run_id, outcome, now=FINISHED)
    return run_id


def snapshot_run(
    store: StateStore,
    outcome: RunOutcome | None,
    deals: list[DealSnapshot],
    workbook: str = WORKBOOK,
) -> int:
    run_id = store.start_run(workbook, "Deals", AS_OF, now=STARTED)
    store.save_snapshot(run_id, deals)
    if outcome is not None:
        store.finish_run(run_id, outcome, now=FINISHED)
    return run_id


# Schema and migrations


def test_open_creates_every_table(store: StateStore) -> None:
    tables = set(sa.inspect(store.engine).get_table_names())
    assert TABLES <= tables
    assert "alembic_version" in tables


def test_open_sets_schema_revision(store: StateStore) -> None:
    assert schema_revision(store) == [HEAD_REVISION]


def test_migrated_schema_matches_tables(store: StateStore) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_reopen_keeps_runs_and_revision(state_url: str) -> None:
    with StateStore.open(state_url) as first:
        run_id = finished_run(first, RunOutcome.OK)

    with StateStore.open(state_url) as second:
        assert schema_revision(second) == [HEAD_REVISION]
        assert [record.id for record in second.runs()] == [run_id]


def test_open_upgrades_database_at_base(state_url: str) -> None:
    with StateStore.open(state_url) as first:
        url = first.engine.url.render_as_string(hide_password=False)
        command.downgrade(alembic_config(url), "base")
        assert not TABLES & set(sa.inspect(first.engine).get_table_names())

    with StateStore.open(state_url) as second:
        assert TABLES <= set(sa.inspect(second.engine).get_table_names())
        assert schema_revision(second) == [HEAD_REVISION]


def test_open_sqlite_uses_wal_journal(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    StateStore.open(str(path)).close()
    with sqlite3.connect(path) as connection:
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
    connection.close()
    assert mode == "wal"


def test_open_relative_path_resolves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with StateStore.open("state.sqlite") as store:
        assert store.url == str(tmp_path / "state.sqlite")
    assert (tmp_path / "state.sqlite").is_file()


def test_open_without_create_rejects_missing(tmp_path: Path) -> None:
    path = tmp_path / "missing.sqlite"
    with pytest.raises(StateNotFoundError) as raised:
        StateStore.open(str(path), create=False)
    assert str(raised.value) == (
        f"No state database at {str(path)!r}. Pass --state PATH or set "
        "PIPESHEET_STATE to the database that runs are recorded in."
    )
    assert not path.exists()


def test_open_missing_folder_raises(tmp_path: Path) -> None:
    path = tmp_path / "no-such-folder" / "state.sqlite"
    with pytest.raises(StateError) as raised:
        StateStore.open(str(path))
    assert str(raised.value) == (
        f"State database {str(path)!r} could not be created: No such file or "
        f"directory. The folder {str(path.parent)!r} does not exist. Create it, "
        "or point --state or PIPESHEET_STATE at another path."
    )
    assert not path.parent.exists()


@pytest.mark.parametrize(
    "open_store",
    [StateStore.open, StateStore.open_for_reading],
    ids=["open", "open-for-reading"],
)
def test_open_path_through_file_names_reason(
    tmp_path: Path, open_store: Callable[[str], StateStore]
) -> None:
    (tmp_path / "deals.xlsx").write_bytes(b"")
    path = tmp_path / "deals.xlsx" / "state.sqlite"

    with pytest.raises(StateError) as raised:
        open_store(str(path))

    assert type(raised.value) is StateError
    assert str(raised.value) == (
        f"State database {str(path)!r} could not be opened: Not a directory. "
        "A part of the path before the file name is not a folder. Fix it, or "
        "point --state or PIPESHEET_STATE at another path."
    )


@pytest.mark.parametrize(
    "open_store",
    [StateStore.open, StateStore.open_for_reading],
    ids=["open", "open-for-reading"],
)
def test_open_link_loop_names_reason(
    tmp_path: Path, open_store: Callable[[str], StateStore]
) -> None:
    path = tmp_path / "state.sqlite"
    path.symlink_to(path.name)

    with pytest.raises(StateError) as raised:
        open_store(str(path))

    assert str(raised.value) == (
        f"State database {str(path)!r} could not be opened: Too many levels of "
        "symbolic links. Check the path, or point --state or PIPESHEET_STATE at "
        "another path."
    )


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root enters any folder whatever its mode bits",
)
@pytest.mark.parametrize(
    "open_store",
    [StateStore.open, StateStore.open_for_reading],
    ids=["open", "open-for-reading"],
)
def test_open_in_closed_folder_names_reason(
    tmp_path: Path, open_store: Callable[[str], StateStore]
) -> None:
    folder = tmp_path / "closed"
    folder.mkdir()
    path = folder / "state.sqlite"
    folder.chmod(0)

    try:
        with pytest.raises(StateError) as raised:
            open_store(str(path))
    finally:
        folder.chmod(0o700)

    assert str(raised.value).startswith(
        f"State database {str(path)!r} could not be opened: Permission denied. "
        "Give the user pipesheet runs as ("
    )
    assert str(raised.value).endswith(
        ") access to each folder on the path, or point --state or "
        "PIPESHEET_STATE at another path."
    )


@pytest.mark.parametrize(
    "open_store",
    [StateStore.open, StateStore.open_for_reading],
    ids=["open", "open-for-reading"],
)
def test_open_rejects_fifo(
    tmp_path: Path, open_store: Callable[[str], StateStore]
) -> None:
    path = tmp_path / "state.sqlite"
    os.mkfifo(path)

    with pytest.raises(StateError) as raised:
        open_store(str(path))

    assert str(raised.value) == (
        f"State database {str(path)!r} is a FIFO (named pipe), not a regular "
        "file, so SQLite cannot keep a database in it. Pass --state or set "
        "PIPESHEET_STATE to the path of an SQLite file (a missing one is created)."
    )


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (
            "bad dialect://x",
            "Could not parse SQLAlchemy URL from given URL string",
        ),
        (
            "postgresql://host:port/x",
            "invalid literal for int() with base 10: 'port'",
        ),
    ],
    ids=["space-in-dialect", "port-not-number"],
)
def test_open_rejects_malformed_url(url: str, problem: str) -> None:
    with pytest.raises(StateError) as raised:
        StateStore.open(url)
    assert str(raised.value) == (
        f"State database {url!r} is neither a file path nor a "
        f"valid SQLAlchemy URL: {problem}. Pass a path such as "
        "pipesheet-state.sqlite or a URL such as "
        "postgresql+psycopg://user@host/pipesheet."
    )


def test_open_unknown_dialect_names_driver() -> None:
    with pytest.raises(StateError) as raised:
        StateStore.open("nosuchdialect://x")
    assert str(raised.value) == (
        "State database 'nosuchdialect://x': no driver for 'nosuchdialect' "
        "(Can't load plugin: sqlalchemy.dialects:nosuchdialect). Install the "
        "driver, e.g. 'pip install psycopg[binary]' for postgresql+psycopg://, "
        "or use an SQLite file path."
    )


def test_url_hides_password() -> None:
    engine = sa.create_engine("postgresql+psycopg://ana:secret@db.invalid/pipes")
    store = StateStore(engine)
    assert store.url == "postgresql+psycopg://ana:***@db.invalid/pipes"


# Runs


def test_run_round_trip_keeps_figures(store: StateStore) -> None:
    run_id = store.start_run(WORKBOOK, "Deals", AS_OF, now=STARTED)
    store.finish_run(
        run_id,
        RunOutcome.OK,
        now=FINISHED,
        deals=120,
        errors=3,
        warnings=5,
        infos=1,
        status_cells_written=12,
        tabs_written=["Funnel", "Problems"],
        api_requests=4,
        bytes_written=10_000_000_000,
    )
    assert store.runs() == [
        RunRecord(
            id=run_id,
            workbook_key=WORKBOOK,
            tab="Deals",
            as_of=AS_OF,
            started_at=STARTED,
            finished_at=FINISHED,
            outcome=RunOutcome.OK,
            deals=120,
            errors=3,
            warnings=5,
            infos=1,
            status_cells_written=12,
            tabs_written=["Funnel", "Problems"],
            api_requests=4,
            bytes_written=10_000_000_000,
            error=None,
        )
    ]


def test_unfinished_run_has_no_outcome(store: StateStore) -> None:
    store.start_run(WORKBOOK, "Deals", AS_OF, now=STARTED)
    [record] = store.runs()
    assert record.outcome is None
    assert record.finished_at is None
    assert record.seconds is None


def test_failed_run_keeps_error_text(store: StateStore) -> None:
    run_id = store.start_run(WORKBOOK, "Deals", AS_OF, now=STARTED)
    store.finish_run(run_id, "failed", now=FINISHED, error="Tab 'Deals' not found")
    [record] = store.runs()
    assert record.outcome is RunOutcome.FAILED
    assert record.error == "Tab 'Deals' not found"
    assert record.seconds == 2.5


def test_start_time_stored_as_utc(store: StateStore) -> None:
    berlin = dt.datetime(2025, 3, 4, 8, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    store.start_run(WORKBOOK, "Deals", AS_OF, now=berlin)
    [record] = store.runs()
    assert record.started_at == dt.datetime(2025, 3, 4, 7, 0, tzinfo=dt.UTC)
    assert record.started_at.tzinfo is dt.UTC


def test_start_run_default_time_is_utc(store: StateStore) -> None:
    store.start_run(WORKBOOK, "Deals", AS_OF)
    [record] = store.runs()
    assert record.started_at.tzinfo is dt.UTC


def test_start_run_rejects_naive_time(store: StateStore) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        store.start_run(WORKBOOK, "Deals", AS_OF, now=dt.datetime(2025, 3, 4, 7))


def test_runs_lists_newest_first(store: StateStore) -> None:
    ids = [finished_run(store, RunOutcome.OK) for _ in range(3)]
    assert [record.id for record in store.runs()] == ids[::-1]


def test_runs_limit_keeps_newest(store: StateStore) -> None:
    ids = [finished_run(store, RunOutcome.OK) for _ in range(3)]
    assert [record.id for record in store.runs(limit=2)] == [ids[2], ids[1]]


def test_runs_filters_by_workbook(store: StateStore) -> None:
    mine = finished_run(store, RunOutcome.OK)
    finished_run(store, RunOutcome.OK, workbook=OTHER_WORKBOOK)
    assert [record.id for record in store.runs(WORKBOOK)] == [mine]


def test_workbooks_lists_keys_once(store: StateStore) -> None:
    finished_run(store, RunOutcome.OK)
    finished_run(store, RunOutcome.FAILED)
    finished_run(store, RunOutcome.OK, workbook=OTHER_WORKBOOK)
    assert store.workbooks() == sorted([WORKBOOK, OTHER_WORKBOOK])


def test_finish_unknown_run_raises(store: StateStore) -> None:
    with pytest.raises(RunNotFoundError) as raised:
        store.finish_run(99, RunOutcome.OK)
    assert str(raised.value) == (
        f"State database {store.url!r} has no run 99; pass an id returned by start_run."
    )


def test_finish_rejects_unknown_outcome(store: StateStore) -> None:
    run_id = store.start_run(WORKBOOK, "Deals", AS_OF)
    with pytest.raises(ValueError, match="'done' is not a valid RunOutcome"):
        store.finish_run(run_id, "done")


def test_finish_rejects_unknown_figure(store: StateStore) -> None:
    run_id = store.start_run(WORKBOOK, "Deals", AS_OF)
    with pytest.raises(TypeError, match=r"unknown run figures \['rows'\]"):
        store.finish_run(run_id, RunOutcome.OK, rows=3)  # type: ignore[call-arg]


# Snapshots


def test_snapshot_round_trip_sorts_by_row(store: StateStore) -> None:
    snapshot_run(store, RunOutcome.OK, list(reversed(FIRST_SNAPSHOT)))
    assert store.latest_snapshot(WORKBOOK) == FIRST_SNAPSHOT


def test_latest_snapshot_none_without_runs(store: StateStore) -> None:
    assert store.latest_snapshot(WORKBOOK) is None


def test_latest_snapshot_takes_newest_ok_run(store: StateStore) -> None:
    snapshot_run(store, RunOutcome.OK, FIRST_SNAPSHOT)
    snapshot_run(store, RunOutcome.OK, SECOND_SNAPSHOT)
    assert store.latest_snapshot(WORKBOOK) == SECOND_SNAPSHOT


@pytest.mark.parametrize(
    "outcome",
    [RunOutcome.FAILED, RunOutcome.SKIPPED, RunOutcome.DEFERRED, None],
    ids=["failed", "skipped", "deferred", "unfinished"],
)
def test_latest_snapshot_ignores_runs_not_ok(
    store: StateStore, outcome: RunOutcome | None
) -> None:
    snapshot_run(store, RunOutcome.OK, FIRST_SNAPSHOT)
    snapshot_run(store, outcome, SECOND_SNAPSHOT)
    assert store.latest_snapshot(WORKBOOK) == FIRST_SNAPSHOT


def test_latest_snapshot_ignores_run_without_one(store: StateStore) -> None:
    snapshot_run(store, RunOutcome.OK, FIRST_SNAPSHOT)
    finished_run(store, RunOutcome.OK)
    assert store.latest_snapshot(WORKBOOK) == FIRST_SNAPSHOT


def test_latest_snapshot_of_no_deals_is_empty(store: StateStore) -> None:
    snapshot_run(store, RunOutcome.OK, FIRST_SNAPSHOT)
    snapshot_run(store, RunOutcome.OK, [])
    assert store.latest_snapshot(WORKBOOK) == []


def test_latest_snapshot_ignores_other_workbook(store: StateStore) -> None:
    snapshot_run(store, RunOutcome.OK, FIRST_SNAPSHOT)
    snapshot_run(store, RunOutcome.OK, SECOND_SNAPSHOT, workbook=OTHER_WORKBOOK)
    assert store.latest_snapshot(WORKBOOK) == FIRST_SNAPSHOT


def test_save_snapshot_again_replaces(store: StateStore) -> None:
    run_id = store.start_run(WORKBOOK, "Deals", AS_OF)
    store.save_snapshot(run_id, FIRST_SNAPSHOT)
    store.save_snapshot(run_id, SECOND_SNAPSHOT)
    store.finish_run(run_id, RunOutcome.OK)
    assert store.latest_snapshot(WORKBOOK) == SECOND_SNAPSHOT


def test_save_snapshot_unknown_run_raises(store: StateStore) -> None:
    with pytest.raises(RunNotFoundError):
        store.save_snapshot(99, FIRST_SNAPSHOT)


def test_snapshot_keeps_unicode_stage(store: StateStore) -> None:
    deals = [DealSnapshot("商机-1", "方案报价", "王芳", 88000.5, 2)]
    snapshot_run(store, RunOutcome.OK, deals)
    assert store.latest_snapshot(WORKBOOK) == deals


# Transitions

PATH_OF_D1 = [
    Transition("D-1", None, "Lead", dt.date(2025, 3, 1)),
    Transition("D-1", "Lead", "Demo", dt.date(2025, 3, 5)),
    Transition("D-1", "Demo", None, dt.date(2025, 3, 9)),
]
ARRIVAL_OF_D2 = [Transition("D-2", None, "Demo", dt.date(2025, 3, 5))]


def recorded_run(
    store: StateStore, outcome: RunOutcome | None, found: list[Transition]
) -> int:
    run_id = store.start_run(WORKBOOK, "Deals", AS_OF, now=STARTED)
    store.record_transitions(WORKBOOK, run_id, found)
    if outcome is not None:
        store.finish_run(run_id, outcome, now=FINISHED)
    return run_id


def test_transitions_round_trip_by_day(store: StateStore) -> None:
    recorded_run(store, RunOutcome.OK, [PATH_OF_D1[2]])
    recorded_run(store, RunOutcome.OK, PATH_OF_D1[:2] + ARRIVAL_OF_D2)
    assert store.transitions(WORKBOOK) == [
        PATH_OF_D1[0],
        PATH_OF_D1[1],
        ARRIVAL_OF_D2[0],
        PATH_OF_D1[2],
    ]


def test_transitions_of_one_deal(store: StateStore) -> None:
    recorded_run(store, RunOutcome.OK, PATH_OF_D1 + ARRIVAL_OF_D2)
    assert store.transitions(WORKBOOK, "D-1") == PATH_OF_D1


@pytest.mark.parametrize(
    "outcome",
    [RunOutcome.FAILED, None],
    ids=["failed", "unfinished"],
)
def test_transitions_ignore_runs_not_ok(
    store: StateStore, outcome: RunOutcome | None
) -> None:
    recorded_run(store, RunOutcome.OK, PATH_OF_D1[:1])
    recorded_run(store, outcome, PATH_OF_D1[1:])
    assert store.transitions(WORKBOOK, "D-1") == PATH_OF_D1[:1]


def test_transitions_of_other_workbook_apart(store: StateStore) -> None:
    recorded_run(store, RunOutcome.OK, PATH_OF_D1)
    assert store.transitions(OTHER_WORKBOOK) == []


def test_record_transitions_unknown_run_raises(store: StateStore) -> None:
    with pytest.raises(RunNotFoundError):
        store.record_transitions(WORKBOOK, 99, PATH_OF_D1)


def test_record_transitions_wrong_workbook_raises(store: StateStore) -> None:
    run_id = store.start_run(WORKBOOK, "Deals", AS_OF)
    with pytest.raises(ValueError) as raised:
        store.record_transitions(OTHER_WORKBOOK, run_id, PATH_OF_D1)
    assert str(raised.value) == (
        f"run {run_id} belongs to workbook {WORKBOOK!r}, not {OTHER_WORKBOOK!r}"
    )


# A successful run's snapshot, transitions and outcome in one transaction


def test_finish_ok_run_stores_everything(store: StateStore) -> None:
    run_id = store.start_run(WORKBOOK, "Deals", AS_OF, now=STARTED)

    store.finish_ok_run(
        WORKBOOK, run_id, FIRST_SNAPSHOT, PATH_OF_D1, now=FINISHED, deals=2
    )

    record = store.runs(WORKBOOK)[0]
    assert record.outcome is RunOutcome.OK
    assert record.deals == 2
    assert record.finished_at == FINISHED
    assert store.latest_snapshot(WORKBOOK) == FIRST_SNAPSHOT
    assert store.transitions(WORKBOOK) == PATH_OF_D1


def test_finish_ok_run_without_snapshot(store: StateStore) -> None:
    snapshot_run(store, RunOutcome.OK, FIRST_SNAPSHOT)
    run_id = store.start_run(WORKBOOK, "Deals", AS_OF, now=STARTED)

    store.finish_ok_run(WORKBOOK, run_id, None, [], now=FINISHED)

    assert store.runs(WORKBOOK)[0].outcome is RunOutcome.OK
    assert store.latest_snapshot(WORKBOOK) == FIRST_SNAPSHOT
    assert store.transitions(WORKBOOK) == []


def test_finish_ok_run_unknown_run_raises(store: StateStore) -> None:
    with pytest.raises(RunNotFoundError):
        store.finish_ok_run(WORKBOOK, 99, FIRST_SNAPSHOT, PATH_OF_D1)


def test_finish_ok_run_wrong_workbook_stores_nothing(store: StateStore) -> None:
    run_id = store.start_run(WORKBOOK, "Deals", AS_OF)

    with pytest.raises(ValueError):
        store.finish_ok_run(OTHER_WORKBOOK, run_id, FIRST_SNAPSHOT, PATH_OF_D1)

    assert store.runs(WORKBOOK)[0].outcome is None
    assert store.latest_snapshot(WORKBOOK) is None


def test_finish_ok_run_unknown_figure_raises(store: StateStore) -> None:
    run_id = store.start_run(WORKBOOK, "Deals", AS_OF)

    with pytest.raises(TypeError):
        store.finish_ok_run(WORKBOOK, run_id, None, [], rows=3)  # type: ignore[call-arg]

    assert store.runs(WORKBOOK)[0].outcome is None


def test_new_sqlite_file_private(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"

    StateStore.open(str(path)).close()

    assert path.stat().st_mode & 0o777 == 0o600


def test_existing_sqlite_file_keeps_mode(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    StateStore.open(str(path)).close()
    path.chmod(0o640)

    StateStore.open(str(path)).close()

    assert path.stat().st_mode & 0o777 == 0o640


def test_full_database_advises_free_space(tmp_path: Path) -> None:
    # SQLite reports SQLITE_FULL at max_page_count as on a full disk.
    def limit_pages(connection: sqlite3.Connection, _record: object) -> None:
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages}")

    store = StateStore.open(str(tmp_path / "state.sqlite"))
    store.engine.dispose()
    sa.event.listen(store.engine, "connect", limit_pages)
    run_id = store.start_run("pipeline.xlsx", "Deals", dt.date(2025, 9, 30))

    with pytest.raises(StateError) as raised:
        store.finish_run(run_id, RunOutcome.FAILED, error="x" * 100_000)

    assert str(raised.value) == (
        f"State database {store.url!r} failed: database or disk is full. Free "
        "space on the disk that holds it, then retry."
    )
    store.close()
