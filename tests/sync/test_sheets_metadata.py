"""The developer metadata pipesheet records on generated Google Sheets tabs."""

from __future__ import annotations

import datetime as dt
import json

from rules.cells import CellValue
from sync.plan import GeneratedTab
from sync.sources.sheets_requests import MAX_METADATA_VALUE, generated_tab_value
from sync.sources.sheets_state import (
    GENERATED_TAB_KEY,
    DeveloperMetadata,
    TabInfo,
    read_generated_types,
    read_written_name,
)


def tab_with_value(value: str) -> TabInfo:
    entry = DeveloperMetadata(7, GENERATED_TAB_KEY, value)
    return TabInfo(
        sheet_id=3, title="Funnel", index=1, rows=10, columns=4, metadata=[entry]
    )


def test_value_records_name_and_dates_that_read_back() -> None:
    grid: list[list[CellValue]] = [["Stage", "Since"], ["Lead", dt.date(2025, 9, 1)]]

    tab = tab_with_value(generated_tab_value(GeneratedTab("Funnel", grid)))

    assert read_written_name(tab) == "Funnel"
    assert read_generated_types(tab) == {"date": ["B2"]}


def test_too_many_dates_keep_the_name_only() -> None:
    # Dates in every other row cannot merge into ranges, so the positions
    # outgrow the metadata value.
    grid: list[list[CellValue]] = [
        [dt.date(2025, 9, 1) if row % 2 else "-"] for row in range(20_000)
    ]

    value = generated_tab_value(GeneratedTab("Follow-ups", grid))

    assert len(value) <= MAX_METADATA_VALUE
    assert json.loads(value) == {"name": "Follow-ups"}


def test_value_of_an_earlier_version_has_no_name() -> None:
    tab = tab_with_value('{"date":["B2"]}')

    assert read_written_name(tab) is None
    assert read_generated_types(tab) == {"date": ["B2"]}


def test_non_object_value_gives_nothing() -> None:
    tab = tab_with_value('["name"]')

    assert read_written_name(tab) is None
    assert read_generated_types(tab) == {}
