"""Tests of formula references moved by inserted and deleted rows and columns."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fake_sheets.conftest import Client
from tests.fake_sheets.fake import FakeSheets
from tests.fake_sheets.formula_shift import shift_formula


def insert_at_b(index: int) -> int:
    return index + 1 if index >= 1 else index


def delete_b(index: int) -> int | None:
    if index < 1:
        return index
    return None if index == 1 else index - 1


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("=LEFT($G2,7)", "=LEFT($H2,7)"),
        ("=A1+B2", "=A1+C2"),
        ("=SUM(A1:C3)", "=SUM(A1:D3)"),
        ("=COUNTA($B:$B)", "=COUNTA($C:$C)"),
        ("=SUM(2:3)", "=SUM(2:3)"),
        ('=B2&"B2"', '=C2&"B2"'),
        ("='Deals'!B2+Other!B2", "='Deals'!C2+Other!B2"),
        ("=LOG10(B2)", "=LOG10(C2)"),
    ],
    ids=[
        "absolute",
        "left-of-insert",
        "range-grows",
        "column-range",
        "row-range",
        "string-kept",
        "other-tab-kept",
        "function-name-kept",
    ],
)
def test_column_insert_moves_references(formula: str, expected: str) -> None:
    assert shift_formula(formula, "Deals", "Deals", "COLUMNS", insert_at_b) == expected


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("=B2*2", "=#REF!*2"),
        ("=SUM(A1:C3)", "=SUM(A1:B3)"),
        ("=SUM(B1:B3)", "=SUM(#REF!)"),
        ("=D4", "=C4"),
    ],
    ids=["deleted-cell", "range-shrinks", "range-deleted", "right-of-delete"],
)
def test_column_delete_moves_references(formula: str, expected: str) -> None:
    assert shift_formula(formula, "Deals", "Deals", "COLUMNS", delete_b) == expected


def test_other_tab_formula_follows_moved_tab() -> None:
    moved = shift_formula("=Deals!B2+B2", "Deals", "Funnel", "COLUMNS", insert_at_b)

    assert moved == "=Deals!C2+B2"


def _insert_columns(start: int, count: int) -> dict[str, Any]:
    dimension_range = {
        "sheetId": 0,
        "dimension": "COLUMNS",
        "startIndex": start,
        "endIndex": start + count,
    }
    return {"insertDimension": {"range": dimension_range}}


def test_insert_moves_cell_and_rule_formulas(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.write(spreadsheet_id, "Deals!A1", [[2, 3, "=A1*B1"]])
    rule = {
        "ranges": [{"sheetId": 0, "startRowIndex": 1, "startColumnIndex": 0}],
        "booleanRule": {
            "condition": {
                "type": "CUSTOM_FORMULA",
                "values": [{"userEnteredValue": '=LEFT($C2,4)="WARN"'}],
            },
            "format": {"textFormat": {"bold": True}},
        },
    }
    fake.batch_update(
        spreadsheet_id, [{"addConditionalFormatRule": {"rule": rule, "index": 0}}]
    )

    fake.batch_update(spreadsheet_id, [_insert_columns(0, 1)])

    assert fake.read(spreadsheet_id, "Deals!D1", value_render="FORMULA") == [["=B1*C1"]]
    assert fake.read(spreadsheet_id, "Deals!D1") == [["6"]]
    condition = fake.spreadsheet(spreadsheet_id).sheets[0].conditional_formats[0]
    values = condition["booleanRule"]["condition"]["values"]
    assert values == [{"userEnteredValue": '=LEFT($D2,4)="WARN"'}]
