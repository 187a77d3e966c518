"""Tests of the columns.id.fill setting: accepted values and error messages."""

from __future__ import annotations

import pytest

from config.loader import parse_pipeline
from config.models import IdFill
from tests.config.test_models import definition, problems


def with_id(**id_spec: object) -> dict[str, object]:
    data = definition()
    columns = dict(data["columns"])  # type: ignore[call-overload]
    columns["id"] = {"aliases": ["Deal ID"], **id_spec}
    data["columns"] = columns
    return data


def test_fill_read_with_default_digits() -> None:
    pipeline = parse_pipeline(with_id(fill={"prefix": "D-"}), origin="team.yaml")

    assert pipeline.columns["id"].fill == IdFill(prefix="D-", digits=4)


def test_fill_unset_by_default() -> None:
    pipeline = parse_pipeline(definition(), origin="team.yaml")

    assert pipeline.columns["id"].fill is None


@pytest.mark.parametrize(
    ("fill", "line"),
    [
        (
            {"prefix": "D1"},
            (
                "columns.id.fill.prefix: invalid value 'D1'; the prefix of filled IDs "
                "cannot be used because it ends with a digit, which would run into the "
                "number. Use letters and a separator, such as 'D-'"
            ),
        ),
        (
            {"prefix": "D- "},
            (
                "columns.id.fill.prefix: invalid value 'D- '; the prefix of filled IDs "
                "cannot be used because it starts or ends with a space, which a deal "
                "ID loses. Use letters and a separator, such as 'D-'"
            ),
        ),
        (
            {"prefix": " "},
            (
                "columns.id.fill.prefix: invalid value ' '; the prefix of filled IDs "
                "cannot be used because it is blank. Use letters and a separator, "
                "such as 'D-'"
            ),
        ),
        (
            {"prefix": "=D"},
            (
                "columns.id.fill.prefix: invalid value '=D'; the prefix of filled IDs "
                "cannot be used because it starts with '=', so a spreadsheet would "
                "read a formula. Use letters and a separator, such as 'D-'"
            ),
        ),
        (
            {"prefix": "D" * 21 + "-"},
            (
                f"columns.id.fill.prefix: invalid value {'D' * 21 + '-'!r}; the prefix "
                "of filled IDs cannot be used because it is longer than 20 characters. "
                "Use letters and a separator, such as 'D-'"
            ),
        ),
        (
            {"prefix": "D-", "digits": 0},
            (
                "columns.id.fill.digits: invalid value 0; expected a whole number "
                "from 1 to 12"
            ),
        ),
        (
            {"prefix": "D-", "digits": True},
            (
                "columns.id.fill.digits: invalid value true; expected a whole number "
                "from 1 to 12"
            ),
        ),
        (
            {"digits": 4},
            "columns.id.fill.prefix: missing; this key is required",
        ),
        (
            {"prefix": "D-", "width": 4},
            (
                "columns.id.fill.width: unknown key 'width'. Valid keys here: prefix, "
                "digits"
            ),
        ),
    ],
    ids=[
        "ends-in-digit",
        "trailing-space",
        "blank",
        "formula",
        "too-long",
        "no-digits",
        "digits-true",
        "no-prefix",
        "unknown-key",
    ],
)
def test_bad_fill_rejected(fill: dict[str, object], line: str) -> None:
    assert problems(with_id(fill=fill)) == [line]


def test_fill_on_other_column_rejected() -> None:
    data = definition()
    columns = dict(data["columns"])  # type: ignore[call-overload]
    columns["owner"] = {"aliases": ["Owner"], "fill": {"prefix": "O-"}}
    data["columns"] = columns

    assert problems(data) == [
        (
            "columns.owner.fill: only the 'id' column can be filled; move 'fill' "
            "under columns.id or delete it"
        )
    ]


def test_fill_on_google_sheets_rejected() -> None:
    data = with_id(fill={"prefix": "D-"})
    data["source"] = {"kind": "google_sheets", "spreadsheet": "abc", "tab": "Deals"}

    assert problems(data) == [
        (
            "columns.id.fill: filling blank IDs works only for Excel workbooks "
            "(source.kind: excel) for now, and this definition reads Google Sheets; "
            "delete 'fill' and type the missing IDs in the sheet"
        )
    ]
