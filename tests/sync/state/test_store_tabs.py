"""Tests of the state store's history per pipeline tab of one workbook."""

from __future__ import annotations

import datetime as dt

from rules.history import DealSnapshot, Transition
from sync.state.ok_runs import latest_ok_day, latest_ok_finishes, latest_ok_start
from sync.state.records import RunOutcome
from sync.state.store import StateStore

WORKBOOK = "/srv/sales/pipeline.xlsx"
DECEMBER_1 = dt.date(2026, 12, 1)
DECEMBER_4 = dt.date(2026, 12, 4)
EU_DEALS = [DealSnapshot("E-1", "Lead", None, None, 2)]
US_DEALS = [DealSnapshot("U-1", "Lead", None, None, 2)]
EU_ARRIVAL = [Transition("E-1", None, "Lead", DECEMBER_1)]
US_ARRIVAL = [Transition("U-1", None, "Lead", DECEMBER_4)]


def ok_run(
    store: StateStore,
    tab: str,
    as_of: dt.date,
    deals: list[DealSnapshot],
    found: list[Transition],
) -> int:
    run_id = store.start_run(WORKBOOK, tab, as_of)
    store.finish_ok_run(WORKBOOK, run_id, deals, found)
    return run_id


def test_snapshot_kept_per_tab(store: StateStore) -> None:
    ok_run(store, "EU", DECEMBER_1, EU_DEALS, EU_ARRIVAL)
    ok_run(store, "US", DECEMBER_4, US_DEALS, US_ARRIVAL)

    assert store.latest_snapshot(WORKBOOK, tab="EU") == EU_DEALS
    assert store.latest_snapshot(WORKBOOK, tab="US") == US_DEALS
    assert store.latest_snapshot(WORKBOOK, tab="APAC") is None


def test_transitions_kept_per_tab(store: StateStore) -> None:
    ok_run(store, "EU", DECEMBER_1, EU_DEALS, EU_ARRIVAL)
    ok_run(store, "US", DECEMBER_4, US_DEALS, US_ARRIVAL)

    assert store.transitions(WORKBOOK, tab="EU") == EU_ARRIVAL
    assert store.transitions(WORKBOOK, "U-1", tab="US") == US_ARRIVAL
    assert store.transitions(WORKBOOK, "U-1", tab="EU") == []


def test_run_days_kept_per_tab(store: StateStore) -> None:
    ok_run(store, "EU", DECEMBER_1, EU_DEALS, EU_ARRIVAL)
    ok_run(store, "US", DECEMBER_4, US_DEALS, US_ARRIVAL)

    assert store.latest_as_of(WORKBOOK, tab="EU") == DECEMBER_1
    assert store.log_started_on(WORKBOOK, tab="US") == DECEMBER_4
    assert latest_ok_day(store, WORKBOOK, tab="EU") == DECEMBER_1
    assert store.latest_as_of(WORKBOOK) == DECEMBER_4


def test_tab_matched_ignoring_case(store: StateStore) -> None:
    # Runs recorded before histories were kept per tab carry the tab as the
    # definition then spelled it, and keep counting for that tab.
    ok_run(store, "Deals", DECEMBER_1, EU_DEALS, EU_ARRIVAL)
    ok_run(store, "DEALS", DECEMBER_4, US_DEALS, US_ARRIVAL)

    assert store.latest_snapshot(WORKBOOK, tab="deals") == US_DEALS
    assert store.transitions(WORKBOOK, tab="Deals") == EU_ARRIVAL + US_ARRIVAL
    assert store.log_started_on(WORKBOOK, tab="dEALS") == DECEMBER_1


def test_tab_matched_ignoring_case_beyond_ascii(store: StateStore) -> None:
    ok_run(store, "ÜBERSICHT", DECEMBER_1, EU_DEALS, EU_ARRIVAL)
    assert store.latest_snapshot(WORKBOOK, tab="übersicht") == EU_DEALS


def test_runs_of_one_tab(store: StateStore) -> None:
    eu = ok_run(store, "EU", DECEMBER_1, EU_DEALS, EU_ARRIVAL)
    us = ok_run(store, "US", DECEMBER_4, US_DEALS, US_ARRIVAL)

    assert [run.id for run in store.runs(WORKBOOK, tab="eu")] == [eu]
    assert [run.id for run in store.runs(WORKBOOK)] == [us, eu]


def test_tabs_listed_once_as_last_spelled(store: StateStore) -> None:
    ok_run(store, "us", DECEMBER_1, US_DEALS, [])
    ok_run(store, "EU", DECEMBER_1, EU_DEALS, [])
    ok_run(store, "US", DECEMBER_4, US_DEALS, [])
    run_id = store.start_run("1AbCdEfGhIjK", "APAC", DECEMBER_4)
    store.finish_run(run_id, RunOutcome.OK)

    assert store.tabs(WORKBOOK) == ["EU", "US"]


def test_ok_start_and_finish_kept_per_tab(store: StateStore) -> None:
    eu_run = ok_run(store, "EU", DECEMBER_1, EU_DEALS, EU_ARRIVAL)
    ok_run(store, "US", DECEMBER_4, US_DEALS, US_ARRIVAL)
    (eu,) = [record for record in store.runs(WORKBOOK) if record.id == eu_run]

    assert latest_ok_start(store, WORKBOOK, tab="eu") == eu.started_at
    assert latest_ok_start(store, WORKBOOK, tab="APAC") is None
    assert latest_ok_finishes(store, {WORKBOOK: "EU"}) == {WORKBOOK: eu.finished_at}
    assert latest_ok_finishes(store, {WORKBOOK: "APAC"}) == {}


def test_rename_tab_moves_history(store: StateStore) -> None:
    ok_run(store, "EU", DECEMBER_1, EU_DEALS, EU_ARRIVAL)
    ok_run(store, "US", DECEMBER_4, US_DEALS, US_ARRIVAL)

    assert store.rename_tab(WORKBOOK, "eu", "Europe") == 1
    assert store.tabs(WORKBOOK) == ["Europe", "US"]
    assert store.transitions(WORKBOOK, tab="Europe") == EU_ARRIVAL
    assert store.latest_snapshot(WORKBOOK, tab="Europe") == EU_DEALS
