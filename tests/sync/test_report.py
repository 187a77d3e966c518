"""The --json document: written exactly as json.dumps with an indent of 2."""

from __future__ import annotations

import datetime as dt
import enum
import io
import json
from dataclasses import dataclass
from typing import Any

import pytest

from rules.findings import Code, Finding, Severity
from sync.report import (
    _code_counts,
    _percent_text,
    _plain,
    _severity_totals,
    _whole_text,
    write_json,
)

FINDING = {
    "code": "bad-date",
    "severity": "error",
    "row": 4,
    "column": "Close Date",
    "value": 'next "Friday"\n',
    "deal_id": None,
    "field": "close_date",
    "message": "Close Date « 31/02 » is not a date; type a real date.",
}


@pytest.mark.parametrize(
    "document",
    [
        {},
        {"findings": [FINDING, {**FINDING, "row": None, "value": "\x07 ☎ 😀"}]},
        {"findings": [], "followups": [{}], "metrics": {"stages": [{"a": 1}]}},
        {"written": None, "seconds": 0.25, "dry_run": True, "tabs": ["Funnel"]},
        {"findings": [{"row": 4, "share": 0.5}], "other": [[1, 2], "text"]},
        {"followups": [{"ok": True}], "counts": {"error": 3, "warning": 0}},
        {"nested": [{"inner": {"deep": [1]}}], "empty": {}},
        {"numbers": [{"big": 10**20, "negative": -7}]},
    ],
    ids=[
        "empty",
        "findings",
        "empty-entries",
        "scalars",
        "float-entry",
        "bool-entry",
        "nested",
        "large-numbers",
    ],
)
def test_written_as_json_dumps(document: dict[str, Any]) -> None:
    out = io.StringIO()

    write_json(document, out)

    assert out.getvalue() == json.dumps(document, indent=2)


class Light(enum.StrEnum):
    RED = "red"


@dataclass(frozen=True)
class Item:
    name: str
    due: dt.date
    light: Light
    tags: tuple[str, ...]
    nested: dict[str, dt.date]


def test_plain_turns_dataclass_into_json_values() -> None:
    item = Item(
        "D-1", dt.date(2025, 9, 30), Light.RED, ("a",), {"x": dt.date(2025, 1, 2)}
    )

    assert _plain(item) == {
        "name": "D-1",
        "due": "2025-09-30",
        "light": "red",
        "tags": ["a"],
        "nested": {"x": "2025-01-02"},
    }


def test_plain_enum_value_is_plain_text() -> None:
    assert type(_plain(Light.RED)) is str


@dataclass(frozen=True)
class Pair:
    first: int
    second: Item | None


def test_plain_dataclasses_of_two_types() -> None:
    item = Item("D-1", dt.date(2025, 9, 30), Light.RED, (), {})
    _plain(item)

    assert _plain(Pair(1, None)) == {"first": 1, "second": None}
    assert _plain(Pair(2, item))["second"]["name"] == "D-1"


def test_plain_leaves_dataclass_class_alone() -> None:
    assert _plain(Item) is Item


OLD_TAB = (Code.OLD_GENERATED_TAB.value, Severity.INFO.value)
MISSING = (Code.MISSING_REQUIRED.value, Severity.ERROR.value)


def old_tab(row: int | None) -> Finding:
    return Finding(Code.OLD_GENERATED_TAB, Severity.INFO, row)


def missing(row: int) -> Finding:
    return Finding(Code.MISSING_REQUIRED, Severity.ERROR, row)


@pytest.mark.parametrize(
    ("findings", "expected_rows"),
    [
        ([old_tab(None), old_tab(None), old_tab(4), missing(4)], {OLD_TAB: 1}),
        ([old_tab(None), missing(4), missing(4), missing(5)], {MISSING: 2}),
        ([old_tab(None)], {OLD_TAB: 0}),
    ],
    ids=["rowless-on-unique-rows", "rowless-beside-repeated-row", "only-rowless"],
)
def test_code_counts_leave_out_rowless(
    findings: list[Finding], expected_rows: dict[tuple[str, str], int]
) -> None:
    counts, rows = _code_counts(findings)

    assert sum(counts.values()) == len(findings)
    for key, expected in expected_rows.items():
        assert rows[key] == expected


def test_code_counts_count_findings_per_code() -> None:
    findings = [missing(4), missing(4), old_tab(None), missing(7)]

    counts, _rows = _code_counts(findings)

    assert counts == {MISSING: 3, OLD_TAB: 1}


def test_severity_totals_sum_code_counts() -> None:
    findings = [missing(4), missing(4), old_tab(None), missing(7)]
    counts, _rows = _code_counts(findings)

    totals = _severity_totals(counts)

    assert totals == {"error": 3, "warning": 0, "info": 1}
    assert list(totals) == [severity.value for severity in Severity]


def test_terminal_rounds_as_funnel_tab() -> None:
    # 23 of 160 is 0.14375, and 1234.5 has a half: the Funnel tab shows
    # 14.38 and Excel's ROUND(1234.5, 0) is 1235.
    assert _percent_text(23 / 160) == "14.38%"
    assert _whole_text(1234.5) == "1,235"
    assert _whole_text(2.5) == "3"
