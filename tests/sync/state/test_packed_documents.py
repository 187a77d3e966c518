"""Snapshots and transitions stored as one document per run, and their migration."""

from __future__ import annotations

import datetime as dt
import json
import math
import zlib
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from rules.history import DealSnapshot, StayEnd, Transition
from sync.state.packing import (
    PackedHistory,
    pack_history,
    pack_snapshot,
    pack_transitions,
    unpack_snapshot,
    unpack_snapshot_with_starts,
    unpack_transitions,
    unpack_transitions_with_starts,
)
from sync.state.records import RunOutcome
from sync.state.schema import HEAD_REVISION, alembic_config, schema_revisions
from sync.state.store import StateStore

WORKBOOK = "/data/pipeline.xlsx"
SEPT_1 = dt.date(2025, 9, 1)
SEPT_2 = dt.date(2025, 9, 2)
STARTED = dt.datetime(2025, 9, 1, 8, tzinfo=dt.UTC)

DEALS = [
    DealSnapshot("D-1", "Lead", "Ana", 1200.5, 2),
    DealSnapshot("D-2", "Negotiaton", None, None, 3),
    DealSnapshot("D-3", None, "Ben", 0.1, 4),
]
MOVES = [
    Transition("D-1", None, "Lead", SEPT_1),
    Transition("D-2", None, "Proposal", SEPT_1),
    Transition("D-2", "Proposal", None, SEPT_2),
]

# The tables of revision 0002 that revision 0003 replaces.
old_runs = sa.table(
    "runs",
    sa.column("id", sa.Integer),
    sa.column("workbook_key", sa.String),
    sa.column("tab", sa.String),
    sa.column("as_of", sa.Date),
    sa.column("started_at", sa.DateTime),
    sa.column("outcome", sa.String),
    sa.column("has_snapshot", sa.Boolean),
)
old_snapshots = sa.table(
    "snapshots",
    sa.column("run_id", sa.Integer),
    *(sa.column(name) for name in DealSnapshot._fields),
)
old_transitions = sa.table(
    "transitions",
    sa.column("workbook_key", sa.String),
    sa.column("deal_id", sa.String),
    sa.column("from_stage", sa.String),
    sa.column("to_stage", sa.String),
    sa.column("seen_on", sa.Date),
    sa.column("run_id", sa.Integer),
)


@pytest.mark.parametrize("deals", [DEALS, []], ids=["three deals", "no deals"])
def test_snapshot_document_round_trip(deals: list[DealSnapshot]) -> None:
    assert unpack_snapshot(pack_snapshot(deals)) == deals


@pytest.mark.parametrize("moves", [MOVES, []], ids=["three moves", "no moves"])
def test_transitions_document_round_trip(moves: list[Transition]) -> None:
    assert unpack_transitions(pack_transitions(moves)) == moves


AUGUST_20 = dt.date(2025, 8, 20)
STAY_STARTS = {"D-1": AUGUST_20, "D-2": SEPT_1, "D-3": AUGUST_20}


def test_snapshot_document_keeps_stay_starts() -> None:
    packed = pack_snapshot(DEALS, STAY_STARTS)

    assert unpack_snapshot_with_starts(packed) == (DEALS, STAY_STARTS)
    assert unpack_snapshot(packed) == DEALS


def test_transitions_document_keeps_ended_stay_starts() -> None:
    moves = [
        Transition("D-1", "Lead", "Proposal", SEPT_2),
        Transition("D-2", "Proposal", None, SEPT_2),
        Transition("D-3", None, "Lead", SEPT_2),
    ]
    # D-3's move ends no stay, so its start has no key.
    packed = pack_transitions(moves, STAY_STARTS)

    assert unpack_transitions_with_starts(packed) == (
        moves,
        {
            StayEnd("D-1", "Lead", SEPT_2): AUGUST_20,
            StayEnd("D-2", "Proposal", SEPT_2): SEPT_1,
        },
    )
    assert unpack_transitions(packed) == moves


def test_documents_without_starts_read() -> None:
    # Documents as the versions before stay starts wrote them.
    snapshot = zlib.compress(json_document(DEALS, DealSnapshot._fields))
    dated = [move._replace(seen_on=move.seen_on.isoformat()) for move in MOVES]
    moves = zlib.compress(json_document(dated, Transition._fields))

    assert unpack_snapshot_with_starts(snapshot) == (DEALS, {})
    assert unpack_transitions_with_starts(moves) == (MOVES, {})


def test_store_returns_stay_starts(store: StateStore) -> None:
    first = store.start_run(WORKBOOK, "Pipeline", SEPT_1, now=STARTED)
    store.finish_ok_run(WORKBOOK, first, DEALS, MOVES[:2], stay_starts=STAY_STARTS)
    second = store.start_run(WORKBOOK, "Pipeline", SEPT_2, now=STARTED)
    store.finish_ok_run(
        WORKBOOK, second, None, MOVES[2:], ended_stay_starts={"D-2": SEPT_1}
    )

    assert store.latest_snapshot_with_starts(WORKBOOK) == (DEALS, STAY_STARTS)
    assert store.transitions_with_starts(WORKBOOK) == (
        MOVES,
        {StayEnd("D-2", "Proposal", SEPT_2): SEPT_1},
    )


def test_history_read_shares_equal_texts(store: StateStore) -> None:
    # Each unpacked value is a new object unless shared, and a 100k-row
    # sheet's history keeps every deal ID three times.
    first = store.start_run(WORKBOOK, "Pipeline", SEPT_1, now=STARTED)
    store.finish_ok_run(WORKBOOK, first, DEALS, MOVES[:2], stay_starts=STAY_STARTS)
    second = store.start_run(WORKBOOK, "Pipeline", SEPT_2, now=STARTED)
    store.finish_ok_run(
        WORKBOOK, second, DEALS, MOVES[2:], ended_stay_starts={"D-2": SEPT_1}
    )
    texts: dict[str, str] = {}

    deals, starts = store.latest_snapshot_with_starts(WORKBOOK, texts=texts)
    moves, ended = store.transitions_with_starts(WORKBOOK, texts=texts)

    assert deals is not None
    assert (deals, moves) == (DEALS, MOVES)
    by_id = {deal.deal_id: deal for deal in deals}
    for deal_id in starts:
        assert deal_id is by_id[deal_id].deal_id
    for move in moves:
        assert move.deal_id is by_id[move.deal_id].deal_id
    first_move, second_move = (move for move in moves if move.deal_id == "D-2")
    assert second_move.from_stage is first_move.to_stage
    assert [stay_end.deal_id for stay_end in ended] == ["D-2"]
    assert next(iter(ended)).deal_id is by_id["D-2"].deal_id


def test_renamed_tab_keeps_stay_starts(store: StateStore) -> None:
    first = store.start_run(WORKBOOK, "Deals", SEPT_1, now=STARTED)
    store.finish_ok_run(WORKBOOK, first, DEALS, MOVES[:2], stay_starts=STAY_STARTS)
    second = store.start_run(WORKBOOK, "Deals", SEPT_2, now=STARTED)
    store.finish_ok_run(
        WORKBOOK, second, None, MOVES[2:], ended_stay_starts={"D-2": SEPT_1}
    )

    store.rename_tab(WORKBOOK, "Deals", "Pipeline")

    assert store.latest_snapshot_with_starts(WORKBOOK, tab="Pipeline") == (
        DEALS,
        STAY_STARTS,
    )
    assert store.transitions_with_starts(WORKBOOK, tab="Pipeline")[1] == {
        StayEnd("D-2", "Proposal", SEPT_2): SEPT_1
    }


def json_document(rows: list[Any], fields: tuple[str, ...]) -> bytes:
    """Return the document text as json.dumps writes it, the stored format."""
    columns = [list(column) for column in zip(*rows, strict=True)]
    if not rows:
        columns = [[] for _ in fields]
    document = {"fields": list(fields), "columns": columns}
    return json.dumps(document, separators=(",", ":")).encode()


# Amounts whose JSON texts differ though the values are equal, or that JSON
# has no number for.
AMOUNTS = {
    "plain floats": [1200.5, 99.0, 1e22],
    "zero and minus zero": [0.0, -0.0, 5.0],
    "int equal to float": [1.0, 1, 2.5],
    "blank and special floats": [None, math.nan, math.inf, -math.inf],
}


@pytest.mark.parametrize("amounts", AMOUNTS.values(), ids=AMOUNTS.keys())
def test_snapshot_document_text_exact(amounts: list[Any]) -> None:
    deals = [
        DealSnapshot(f"D-{row}", stage, owner, amount, row)
        for row, (stage, owner, amount) in enumerate(
            [
                (stage, owner, amount)
                for amount in amounts
                for stage in ("Lead", 'Won "big"', None, "成交")
                for owner in ("Ana", None)
            ],
            start=2,
        )
    ]

    packed = pack_snapshot(deals)

    assert zlib.decompress(packed) == json_document(deals, DealSnapshot._fields)


@pytest.mark.parametrize(
    "moves",
    [MOVES, [Transition(f"D-{n}", None, "Lead", SEPT_1) for n in range(12)], []],
    ids=["mixed", "repeated", "none"],
)
def test_transitions_document_text_exact(moves: list[Transition]) -> None:
    dated = [move._replace(seen_on=move.seen_on.isoformat()) for move in moves]

    packed = pack_transitions(moves)

    assert zlib.decompress(packed) == json_document(dated, Transition._fields)


def test_empty_snapshot_kept_as_empty(store: StateStore) -> None:
    run_id = store.start_run(WORKBOOK, "Pipeline", SEPT_1, now=STARTED)
    store.save_snapshot(run_id, [])
    store.finish_run(run_id, RunOutcome.OK, now=STARTED)

    assert store.latest_snapshot(WORKBOOK) == []


@pytest.mark.parametrize("older", ["0001", "0002"], ids=["from 0001", "from 0002"])
def test_upgrade_packs_stored_rows(store: StateStore, older: str) -> None:
    downgrade_to(store, older)
    insert_old_rows(store)

    reopened = StateStore.open(store_url(store))
    with reopened.engine.connect() as connection:
        assert schema_revisions(connection) == [HEAD_REVISION]
    assert reopened.latest_snapshot(WORKBOOK) == sorted(DEALS, key=lambda d: d.row)
    assert reopened.transitions(WORKBOOK) == MOVES
    assert reopened.transitions(WORKBOOK, "D-2") == MOVES[1:]
    reopened.close()


def test_downgrade_unpacks_documents(store: StateStore) -> None:
    run_id = store.start_run(WORKBOOK, "Pipeline", SEPT_1, now=STARTED)
    store.save_snapshot(run_id, DEALS)
    store.record_transitions(WORKBOOK, run_id, MOVES)
    store.finish_run(run_id, RunOutcome.OK, now=STARTED)

    downgrade_to(store, "0002")

    with store.engine.connect() as connection:
        deals = connection.execute(
            sa.select(*(old_snapshots.c[name] for name in DealSnapshot._fields))
        ).all()
        moves = connection.execute(
            sa.select(old_transitions.c.deal_id, old_transitions.c.to_stage)
        ).all()
    assert sorted(tuple(deal) for deal in deals) == [tuple(deal) for deal in DEALS]
    assert [tuple(move) for move in moves] == [
        (move.deal_id, move.to_stage) for move in MOVES
    ]


def store_url(store: StateStore) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def downgrade_to(store: StateStore, revision: str) -> None:
    command.downgrade(alembic_config(store_url(store)), revision)


def insert_old_rows(store: StateStore) -> None:
    """Store, in the 0002 layout, an empty snapshot, then one of three deals.

    A failed run's transition is stored too, and the upgraded store must skip
    it as the old one did. The deals are inserted out of row order.
    """
    runs = [
        (1, RunOutcome.OK.value, True),
        (2, RunOutcome.OK.value, True),
        (3, RunOutcome.FAILED.value, False),
    ]
    failed_move = Transition("D-1", "Lead", "Won", SEPT_2)
    with store.engine.begin() as connection:
        for run_id, outcome, has_snapshot in runs:
            connection.execute(
                sa.insert(old_runs).values(
                    id=run_id,
                    workbook_key=WORKBOOK,
                    tab="Pipeline",
                    as_of=SEPT_1,
                    started_at=STARTED.replace(tzinfo=None),
                    outcome=outcome,
                    has_snapshot=has_snapshot,
                )
            )
        for deal in reversed(DEALS):
            connection.execute(
                sa.insert(old_snapshots).values(run_id=2, **deal._asdict())
            )
        for run_id, move in [(1, MOVES[0]), (1, MOVES[1]), (3, failed_move)]:
            connection.execute(
                sa.insert(old_transitions).values(
                    run_id=run_id, workbook_key=WORKBOOK, **move._asdict()
                )
            )
        connection.execute(
            sa.insert(old_transitions).values(
                run_id=2, workbook_key=WORKBOOK, **MOVES[2]._asdict()
            )
        )


def test_snapshot_document_text_exact_with_starts() -> None:
    deals = [DealSnapshot(f"D-{row}", "Lead", "Ana", 10.0, row) for row in range(2, 30)]
    starts = {deal.deal_id: (AUGUST_20, SEPT_1)[deal.row % 2] for deal in deals}
    document = json.loads(json_document(deals, DealSnapshot._fields))
    document["stay_starts"] = [
        list(starts),
        [day.isoformat() for day in starts.values()],
    ]

    packed = pack_snapshot(deals, starts)

    assert (
        zlib.decompress(packed) == json.dumps(document, separators=(",", ":")).encode()
    )


# An int among equal floats after the first thousand amounts, past the sample
# that decides whether a column's values repeat.
LATE_INT = [*([1.0] * 1500), 1, *([1.0] * 10)]


@pytest.mark.parametrize(
    "amounts",
    [LATE_INT, [*([None] * 1200), *map(float, range(1200))]],
    ids=["late int", "late distinct"],
)
def test_long_snapshot_document_text_exact(amounts: list[Any]) -> None:
    deals = [
        DealSnapshot(f"D-{row}", "Lead", None, amount, row)
        for row, amount in enumerate(amounts, start=2)
    ]

    packed = pack_snapshot(deals)

    assert zlib.decompress(packed) == json_document(deals, DealSnapshot._fields)


def test_store_takes_packed_history(store: StateStore) -> None:
    run_id = store.start_run(WORKBOOK, "Pipeline", SEPT_1, now=STARTED)
    packed = pack_history(DEALS, MOVES[:2], STAY_STARTS)

    store.finish_packed_ok_run(WORKBOOK, run_id, packed, deals=3, now=STARTED)

    [run] = store.runs(WORKBOOK)
    assert run.outcome is RunOutcome.OK
    assert run.deals == 3
    assert store.latest_snapshot_with_starts(WORKBOOK) == (DEALS, STAY_STARTS)
    assert store.transitions(WORKBOOK) == MOVES[:2]


def test_packed_history_without_snapshot() -> None:
    assert pack_history(None, []) == PackedHistory(None, None)
