"""Tests of the digest ledger kept in the state database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from sync.state.digest_ledger import StateDigestLedger
from sync.state.errors import StateError
from sync.state.schema import alembic_config
from sync.state.store import StateStore
from sync.state.tables import digest_items, digests_sent

WORKBOOK = "/srv/sales/pipeline.xlsx"
OTHER_WORKBOOK = "1AbCdEfGhIjK"
MONDAY = dt.date(2025, 9, 1)
TUESDAY = dt.date(2025, 9, 2)
SENT_AT = dt.datetime(2025, 9, 1, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def ledger(store: StateStore) -> StateDigestLedger:
    return StateDigestLedger(store)


def record(
    ledger: StateDigestLedger,
    items: set[str],
    *,
    owner: str = "Ana",
    channel: str = "email",
    day: dt.date = MONDAY,
    workbook: str = WORKBOOK,
) -> None:
    ledger.record_sent(workbook, owner, channel, day, "hash-1", items, SENT_AT)


def count_rows(store: StateStore, table: sa.Table) -> int:
    with store.engine.connect() as connection:
        return int(
            connection.execute(
                sa.select(sa.func.count()).select_from(table)
            ).scalar_one()
        )


def test_ledger_unsent_digest_is_not_sent(ledger: StateDigestLedger) -> None:
    assert not ledger.was_sent(WORKBOOK, "Ana", "email", MONDAY)


def test_ledger_recorded_digest_was_sent(ledger: StateDigestLedger) -> None:
    record(ledger, {"a"})
    assert ledger.was_sent(WORKBOOK, "Ana", "email", MONDAY)


@pytest.mark.parametrize(
    ("workbook", "owner", "channel", "day"),
    [
        (OTHER_WORKBOOK, "Ana", "email", MONDAY),
        (WORKBOOK, "Ben", "email", MONDAY),
        (WORKBOOK, "Ana", "team-chat", MONDAY),
        (WORKBOOK, "Ana", "email", TUESDAY),
    ],
    ids=["other-workbook", "other-owner", "other-channel", "other-day"],
)
def test_ledger_send_is_keyed_exactly(
    ledger: StateDigestLedger, workbook: str, owner: str, channel: str, day: dt.date
) -> None:
    record(ledger, {"a"})
    assert not ledger.was_sent(workbook, owner, channel, day)


def test_ledger_items_of_every_digest(ledger: StateDigestLedger) -> None:
    record(ledger, {"a", "b"})
    record(ledger, {"b", "c"}, day=TUESDAY)
    assert ledger.sent_items(WORKBOOK, "Ana", "email") == {"a", "b", "c"}


def test_ledger_owner_spellings_share_record(ledger: StateDigestLedger) -> None:
    record(ledger, {"a"}, owner="ana lima")
    record(ledger, {"b"}, owner=" Ana  Lima", day=TUESDAY)

    assert ledger.was_sent(WORKBOOK, "ANA LIMA", "email", MONDAY)
    assert ledger.sent_items(WORKBOOK, "Ana Lima", "email") == {"a", "b"}
    with ledger.store.engine.connect() as connection:
        owners = connection.execute(sa.select(digests_sent.c.owner)).scalars()
        assert set(owners) == {"analima"}


def test_ledger_reads_rows_of_cell_spellings(ledger: StateDigestLedger) -> None:
    # Databases written before owner keys were stored contain the cell's text.
    row = {"workbook_key": WORKBOOK, "owner": "Ana Lima", "channel": "email"}
    with ledger.store.engine.begin() as connection:
        connection.execute(
            digests_sent.insert().values(
                **row, digest_date=MONDAY, content_hash="hash-1", sent_at=SENT_AT
            )
        )
        connection.execute(
            digest_items.insert().values(
                workbook_key=WORKBOOK,
                owner="Ana Lima",
                identity="a",
                first_sent_on=MONDAY,
            )
        )

    assert ledger.was_sent(WORKBOOK, "ana lima", "email", MONDAY)
    assert ledger.sent_items(WORKBOOK, "ana lima", "email") == {"a"}
    # Their items were recorded without a channel, so they count for every one.
    assert ledger.sent_items(WORKBOOK, "ana lima", "team-chat") == {"a"}


@pytest.mark.parametrize("owner", ["*", "＊", "(Manager Digest)"], ids=str)
def test_ledger_manager_apart_from_owner(ledger: StateDigestLedger, owner: str) -> None:
    ledger.record_sent(WORKBOOK, owner, "chat", MONDAY, "hash-1", {"a"}, SENT_AT)

    assert not ledger.was_sent(WORKBOOK, None, "chat", MONDAY)
    assert ledger.sent_items(WORKBOOK, None, "chat") == set()

    ledger.record_sent(WORKBOOK, None, "chat", MONDAY, "hash-2", {"b"}, SENT_AT)

    assert ledger.sent_items(WORKBOOK, None, "chat") == {"b"}
    assert ledger.sent_items(WORKBOOK, owner, "chat") == {"a"}
    assert count_rows(ledger.store, digests_sent) == 2


def test_ledger_items_kept_per_owner(ledger: StateDigestLedger) -> None:
    record(ledger, {"a"})
    record(ledger, {"b"}, owner="Ben")
    record(ledger, {"c"}, workbook=OTHER_WORKBOOK)
    assert ledger.sent_items(WORKBOOK, "Ana", "email") == {"a"}


def test_ledger_items_kept_per_channel(ledger: StateDigestLedger) -> None:
    record(ledger, {"a"}, channel="email")
    record(ledger, {"a", "b"}, channel="team-chat")
    assert ledger.sent_items(WORKBOOK, "Ana", "email") == {"a"}
    assert ledger.sent_items(WORKBOOK, "Ana", "team-chat") == {"a", "b"}
    assert ledger.sent_items(WORKBOOK, "Ana", "slack") == set()
    assert count_rows(ledger.store, digest_items) == 3


def test_ledger_second_record_same_day_kept_once(
    ledger: StateDigestLedger,
) -> None:
    record(ledger, {"a"})
    record(ledger, {"a", "b"})
    assert count_rows(ledger.store, digests_sent) == 1
    assert ledger.sent_items(WORKBOOK, "Ana", "email") == {"a", "b"}


def test_ledger_item_keeps_first_send_day(ledger: StateDigestLedger) -> None:
    record(ledger, {"a"})
    record(ledger, {"a"}, day=TUESDAY)
    with ledger.store.engine.connect() as connection:
        days = connection.execute(sa.select(digest_items.c.first_sent_on)).scalars()
        assert list(days) == [MONDAY]


def test_ledger_digest_without_items(ledger: StateDigestLedger) -> None:
    record(ledger, set())
    assert ledger.was_sent(WORKBOOK, "Ana", "email", MONDAY)
    assert ledger.sent_items(WORKBOOK, "Ana", "email") == set()


def test_ledger_rejects_naive_send_time(ledger: StateDigestLedger) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        ledger.record_sent(
            WORKBOOK, "Ana", "email", MONDAY, "hash-1", {"a"}, dt.datetime(2025, 9, 1)
        )
    assert not ledger.was_sent(WORKBOOK, "Ana", "email", MONDAY)


def test_ledger_survives_reopened_database(state_url: str) -> None:
    with StateStore.open(state_url) as first:
        record(StateDigestLedger(first), {"a"})
    with StateStore.open(state_url) as second:
        reopened = StateDigestLedger(second)
        assert reopened.was_sent(WORKBOOK, "Ana", "email", MONDAY)
        assert reopened.sent_items(WORKBOOK, "Ana", "email") == {"a"}


def test_digest_items_migration_downgrades(store: StateStore) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    command.downgrade(alembic_config(url), "0001")
    tables = set(sa.inspect(store.engine).get_table_names())
    assert "digest_items" not in tables
    assert "digests_sent" in tables


def test_channel_migration_keeps_items_for_every_channel(state_url: str) -> None:
    with StateStore.open(state_url) as first:
        url = first.engine.url.render_as_string(hide_password=False)
        command.downgrade(alembic_config(url), "0003")
        with first.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO digest_items (workbook_key, owner, identity, "
                    "first_sent_on) VALUES (:workbook, 'Ana', 'a', :day)"
                ),
                {"workbook": WORKBOOK, "day": MONDAY},
            )
    with StateStore.open(state_url) as second:
        ledger = StateDigestLedger(second)
        record(ledger, {"a", "b"}, channel="team-chat", day=TUESDAY)

        assert ledger.sent_items(WORKBOOK, "Ana", "email") == {"a"}
        assert ledger.sent_items(WORKBOOK, "Ana", "team-chat") == {"a", "b"}


def test_channel_migration_downgrades(store: StateStore) -> None:
    ledger = StateDigestLedger(store)
    record(ledger, {"a"}, channel="email")
    record(ledger, {"a"}, channel="team-chat")
    url = store.engine.url.render_as_string(hide_password=False)

    command.downgrade(alembic_config(url), "0003")

    columns = sa.inspect(store.engine).get_columns("digest_items")
    assert "channel" not in [column["name"] for column in columns]
    assert count_rows(store, digest_items) == 1


def test_digest_items_migration_upgrades_from_first(state_url: str) -> None:
    with StateStore.open(state_url) as first:
        url = first.engine.url.render_as_string(hide_password=False)
        command.downgrade(alembic_config(url), "0001")
    with StateStore.open(state_url) as second:
        assert "digest_items" in sa.inspect(second.engine).get_table_names()
        record(StateDigestLedger(second), {"a"})
        assert StateDigestLedger(second).sent_items(WORKBOOK, "Ana", "email") == {"a"}


def insert_star_rows(store: StateStore) -> None:
    # Revisions before 0006 recorded the manager's digest as the owner "*".
    with store.engine.begin() as connection:
        connection.execute(
            digests_sent.insert().values(
                workbook_key=WORKBOOK,
                owner="*",
                channel="chat",
                digest_date=MONDAY,
                content_hash="hash-1",
                sent_at=SENT_AT,
            )
        )
        connection.execute(
            digest_items.insert().values(
                workbook_key=WORKBOOK,
                owner="*",
                channel="chat",
                identity="a",
                first_sent_on=MONDAY,
            )
        )


def test_manager_key_migration_keeps_sends(state_url: str) -> None:
    with StateStore.open(state_url) as first:
        url = first.engine.url.render_as_string(hide_password=False)
        command.downgrade(alembic_config(url), "0005")
        insert_star_rows(first)
    with StateStore.open(state_url) as second:
        ledger = StateDigestLedger(second)

        assert ledger.was_sent(WORKBOOK, None, "chat", MONDAY)
        assert ledger.sent_items(WORKBOOK, None, "chat") == {"a"}
        assert not ledger.was_sent(WORKBOOK, "*", "chat", MONDAY)
        assert ledger.sent_items(WORKBOOK, "*", "chat") == set()


def test_manager_key_migration_downgrades(store: StateStore) -> None:
    ledger = StateDigestLedger(store)
    ledger.record_sent(WORKBOOK, None, "chat", MONDAY, "hash-1", {"a"}, SENT_AT)
    ledger.record_sent(WORKBOOK, "*", "chat", MONDAY, "hash-2", {"b"}, SENT_AT)
    url = store.engine.url.render_as_string(hide_password=False)

    command.downgrade(alembic_config(url), "0005")

    with store.engine.connect() as connection:
        sends = connection.execute(sa.select(digests_sent.c.owner)).scalars()
        assert list(sends) == ["*"]
        items = connection.execute(sa.select(digest_items.c.identity)).scalars()
        assert list(items) == ["a"]


def test_ledger_failure_asks_for_rerun(tmp_path: Path) -> None:
    database = tmp_path / "state.sqlite"
    StateStore.open(str(database)).close()

    with (
        StateStore.open_for_reading(str(database)) as store,
        pytest.raises(StateError) as raised,
    ):
        record(StateDigestLedger(store), {"D-1"})

    assert str(raised.value).endswith(
        "attempt to write a readonly database. Check that it is reachable and "
        "writable, then run again (a scheduled run retries by itself)."
    )
