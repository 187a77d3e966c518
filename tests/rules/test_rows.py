from __future__ import annotations

import datetime as dt
import math

import pytest

from config.models import ColumnSpec, DateOrder, FieldType, Locale, Pipeline, Stage
from rules.checks import check_deals
from rules.deals import Deal
from rules.findings import Code, Finding, Severity, join_items
from rules.grid import CellValue, SheetGrid
from rules.headers import match_columns
from rules.messages import render_message
from rules.rows import read_deal_rows, read_deals

SEP_9 = dt.date(2025, 9, 9)


def read(
    pipeline: Pipeline, *rows: list[CellValue], tab: str = "Deals"
) -> tuple[list[Deal], list[Finding]]:
    grid = SheetGrid(workbook="Pipeline.xlsx", tab=tab, rows=list(rows))
    return read_deals(grid, match_columns(grid, pipeline), pipeline)


def read_two_leads(
    pipeline: Pipeline, header: str, cells: tuple[CellValue, CellValue]
) -> tuple[list[Deal], list[Finding]]:
    """Read deals D-1 and D-2 in Lead, with ``cells`` under ``header``."""
    return read(
        pipeline,
        ["Deal ID", "Stage", header],
        ["D-1", "Lead", cells[0]],
        ["D-2", "Lead", cells[1]],
    )


def codes_of(findings: list[Finding]) -> list[tuple[int | None, Code]]:
    return [(finding.row, finding.code) for finding in findings]


def with_seats(pipeline: Pipeline) -> Pipeline:
    columns = {
        **pipeline.columns,
        "seats": ColumnSpec(aliases=["Seats"], type=FieldType.NUMBER),
    }
    return pipeline.model_copy(update={"columns": columns})


# shape of the sheet


def test_short_row_is_padded_to_header(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Account", "Stage", "Next Step Date", "pipesheet status", "Notes"],
        ["D-105", "Acme Tools", "Lead", "2025-09-09"],
    )

    assert findings == []
    assert [deal.row for deal in deals] == [2]
    assert deals[0].values == {
        "id": "D-105",
        "account": "Acme Tools",
        "stage": "Lead",
        "next_step_date": SEP_9,
    }


def test_header_only_tab_has_no_deals(english_pipeline: Pipeline) -> None:
    deals, findings = read(english_pipeline, ["Deal ID", "Stage"])

    assert deals == []
    assert findings == []


def test_empty_grid_rows_are_not_deals(english_pipeline: Pipeline) -> None:
    empty_rows: list[list[CellValue]] = [[None, None, None]] * 998
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Stage", "Notes"],
        ["D-1", "Lead", None],
        [None, " ", ""],
        ["D-2", "Demo"],
        *empty_rows,
    )

    assert [deal.row for deal in deals] == [2, 4]
    assert findings == []


def test_rows_without_cells_are_not_deals(english_pipeline: Pipeline) -> None:
    deals, findings = read(english_pipeline, ["Deal ID", "Stage"], [], [])

    assert deals == []
    assert findings == []


def test_status_only_row_is_skipped(english_pipeline: Pipeline) -> None:
    deals, _ = read(
        english_pipeline,
        ["Deal ID", "Stage", "pipesheet status"],
        [None, None, "ERROR: missing Deal ID"],
    )

    assert deals == []


def test_mapped_status_column_adds_no_deals(
    english_pipeline: Pipeline,
) -> None:
    columns = {
        **english_pipeline.columns,
        "remark": ColumnSpec(aliases=["pipesheet status"]),
    }
    pipeline = Pipeline.model_validate(
        {**english_pipeline.model_dump(), "columns": columns}
    )
    grid = SheetGrid(
        "P.xlsx",
        "Deals",
        [
            ["Deal ID", "Stage", "pipesheet status"],
            ["D-1", "Lead", "OK"],
            [None, None, "ERROR: missing Deal ID"],
        ],
    )
    column_map = match_columns(grid, pipeline)

    deals, _ = read_deals(grid, column_map, pipeline)

    assert column_map.status_column == column_map.fields["remark"]
    assert [deal.row for deal in deals] == [2]


def test_row_numbers_follow_banner_rows(english_pipeline: Pipeline) -> None:
    deals, _ = read(
        english_pipeline,
        ["Q3 pipeline — do not sort"],
        ["Deal ID", "Stage", "next step date ", "Status"],
        ["D-201", "Proposal", "2025-09-01"],
    )

    assert deals[0].row == 3
    assert deals[0].deal_id == "D-201"
    assert deals[0].values["next_step_date"] == dt.date(2025, 9, 1)


def test_deal_keeps_raw_cells(english_pipeline: Pipeline) -> None:
    deals, _ = read(
        english_pipeline,
        ["Deal ID", "Stage", "Amount", "Owner"],
        ["D-1", "Lead", "$1,200"],
    )

    assert deals[0].raw == {
        "id": "D-1",
        "stage": "Lead",
        "amount": "$1,200",
        "owner": None,
    }
    assert deals[0].values["amount"] == 1200.0
    assert "owner" not in deals[0].values


def test_short_row_raw_cells_are_none(english_pipeline: Pipeline) -> None:
    deals, _ = read(
        english_pipeline,
        ["Deal ID", "Stage", "Amount", "Owner"],
        ["D-1", "Lead", "$5", "Ann"],
        ["D-2", "Lead"],
    )

    assert deals[1].raw.get("amount") is None
    assert deals[1].raw.get("owner") is None
    assert dict(deals[0].raw) == {
        "id": "D-1",
        "stage": "Lead",
        "amount": "$5",
        "owner": "Ann",
    }


def test_blank_rows_between_deals_skipped(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Stage"],
        ["D-1", "Lead"],
        [None, "  "],
        [],
        ["D-2", "Lead"],
    )

    assert [deal.row for deal in deals] == [2, 5]
    assert [deal.deal_id for deal in deals] == ["D-1", "D-2"]
    assert findings == []


# ids


def test_numeric_ids_read_as_text(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        with_seats(english_pipeline),
        ["Deal ID", "Stage", "Seats"],
        [1001.0, "Lead", 5.0],
        [1002, "Lead"],
        [None, "Lead", None],
        [1004.0, "Lead", 12],
    )

    assert [deal.deal_id for deal in deals] == ["1001", "1002", None, "1004"]
    assert [deal.values.get("seats") for deal in deals] == [5.0, None, None, 12.0]
    assert findings == [
        Finding(
            code=Code.MISSING_ID,
            severity=Severity.ERROR,
            row=4,
            column="Deal ID",
            value=None,
            deal_id=None,
            field="id",
        )
    ]


def test_text_ids_keep_leading_zeros(english_pipeline: Pipeline) -> None:
    deals, _ = read(
        english_pipeline,
        ["Deal ID", "Account", "Stage", "Product", "Phone"],
        ["0042", "00123", "Lead", "3-5", "0912000000"],
    )

    assert deals[0].deal_id == "0042"
    assert deals[0].values["account"] == "00123"
    assert deals[0].values["product"] == "3-5"


def test_whitespace_id_is_missing(english_pipeline: Pipeline) -> None:
    _, findings = read(english_pipeline, ["Deal ID", "Stage"], ["  ", "Lead"])

    assert codes_of(findings) == [(2, Code.MISSING_ID)]


INVISIBLE_ONLY = ["\ufeff", "\u200f", "\u00ad", " \u200b ", "\u2066\u2069"]
INVISIBLE_CASE_NAMES = [
    "byte-order-mark",
    "rtl-mark",
    "soft-hyphen",
    "zero-width",
    "isolate",
]


@pytest.mark.parametrize("cell", INVISIBLE_ONLY, ids=INVISIBLE_CASE_NAMES)
def test_invisible_only_id_is_missing(english_pipeline: Pipeline, cell: str) -> None:
    deals, findings = read(english_pipeline, ["Deal ID", "Stage"], [cell, "Lead"])

    assert deals[0].deal_id is None
    assert codes_of(findings) == [(2, Code.MISSING_ID)]


def test_invisible_only_ids_missing_not_duplicate(english_pipeline: Pipeline) -> None:
    rows = [[cell, "Lead"] for cell in INVISIBLE_ONLY]
    deals, findings = read(english_pipeline, ["Deal ID", "Stage"], *rows)
    columns = match_columns(
        SheetGrid("Pipeline.xlsx", "Deals", [["Deal ID", "Stage"]]), english_pipeline
    )

    checked = check_deals(deals, columns, english_pipeline, {}, SEP_9)

    assert codes_of(findings) == [(row, Code.MISSING_ID) for row in range(2, 7)]
    assert checked == []


@pytest.mark.parametrize("cell", INVISIBLE_ONLY, ids=INVISIBLE_CASE_NAMES)
def test_invisible_only_stage_is_missing(english_pipeline: Pipeline, cell: str) -> None:
    deals, findings = read(english_pipeline, ["Deal ID", "Stage"], ["D-1", cell])

    assert deals[0].stage is None
    assert codes_of(findings) == [(2, Code.MISSING_REQUIRED)]


@pytest.mark.parametrize(
    ("cell", "deal_id", "codes"),
    [
        (0, "0", []),
        (False, "FALSE", [(2, Code.ID_NOT_TEXT)]),
        (" D-7 ", "D-7", []),
    ],
    ids=["zero", "false", "padded-text"],
)
def test_falsy_or_padded_id_is_kept(
    english_pipeline: Pipeline,
    cell: CellValue,
    deal_id: str,
    codes: list[tuple[int, Code]],
) -> None:
    deals, findings = read(english_pipeline, ["Deal ID", "Stage"], [cell, "Lead"])

    assert [deal.deal_id for deal in deals] == [deal_id]
    assert deals[0].values["id"] == deal_id
    assert codes_of(findings) == codes


def test_ids_not_text_flagged(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Stage"],
        [True, "Lead"],
        [0.1 + 0.2, "Lead"],
        [dt.time(10, 30), "Lead"],
        [dt.date(2025, 1, 2), "Lead"],
        [dt.datetime(2025, 1, 2, 13, 45), "Lead"],
        [1001.0, "Lead"],
        [2**53 + 1, "Lead"],
        ["D-8", "Lead"],
    )

    assert [deal.deal_id for deal in deals] == [
        "TRUE",
        "0.3",
        "10:30",
        "2025-01-02",
        "2025-01-02 13:45",
        "1001",
        "9007199254740993",
        "D-8",
    ]
    assert codes_of(findings) == [
        *[(row, Code.ID_NOT_TEXT) for row in range(2, 7)],
        (8, Code.ID_NOT_TEXT),
    ]
    assert findings[0] == Finding(
        code=Code.ID_NOT_TEXT,
        severity=Severity.ERROR,
        row=2,
        column="Deal ID",
        value="TRUE",
        deal_id="TRUE",
        field="id",
        params={"cell_kind": "true-false"},
    )
    assert [finding.params["cell_kind"] for finding in findings] == [
        "true-false",
        "decimal",
        "time",
        "date",
        "date-time",
        "long-number",
    ]


@pytest.mark.parametrize(
    ("cell", "deal_id", "digits"),
    [
        (12345678901234569216, "12345678901234569216", "20"),
        (1.234567890123457e19, "12345678901234569216", "20"),
        (-(2**53) - 1, "-9007199254740993", "16"),
        (1234567890123456, "1234567890123456", "16"),
    ],
    ids=["int-from-float", "float", "negative-int", "sixteen-digits"],
)
def test_long_number_id_lost_digits(
    english_pipeline: Pipeline, cell: CellValue, deal_id: str, digits: str
) -> None:
    deals, findings = read(english_pipeline, ["Deal ID", "Stage"], [cell, "Lead"])

    assert [deal.deal_id for deal in deals] == [deal_id]
    assert codes_of(findings) == [(2, Code.ID_NOT_TEXT)]
    assert findings[0].params == {
        "cell_kind": "long-number",
        "digit_count": digits,
        "significant_digits": "15",
        "full_number": deal_id,
    }


@pytest.mark.parametrize(
    "cell",
    [123456789012345, 1234567890123450000, 1.23456789012345e18, 10**20],
    ids=["fifteen-digits", "trailing-zeros", "float-trailing-zeros", "power-of-ten"],
)
def test_long_number_id_kept_whole(english_pipeline: Pipeline, cell: CellValue) -> None:
    _, findings = read(english_pipeline, ["Deal ID", "Stage"], [cell, "Lead"])

    assert findings == []


def test_id_not_text_midnight_is_date(english_pipeline: Pipeline) -> None:
    _, findings = read(
        english_pipeline, ["Deal ID", "Stage"], [dt.datetime(2025, 1, 2), "Lead"]
    )

    assert codes_of(findings) == [(2, Code.ID_NOT_TEXT)]
    assert findings[0].params == {"cell_kind": "date"}


def test_id_not_text_skips_totals_row(english_pipeline: Pipeline) -> None:
    _, findings = read(
        english_pipeline,
        ["Deal ID", "Stage", "Amount"],
        [True, "Lead", 5],
        ["Total", None, 5],
    )

    assert codes_of(findings) == [(2, Code.ID_NOT_TEXT), (3, Code.TOTALS_ROW)]


# stages


def test_stage_matched_by_alias_and_case(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Stage"],
        ["D-1", " closed\u00a0won "],
        ["D-2", "QUOTE"],
    )

    assert [deal.stage.name if deal.stage else None for deal in deals] == [
        "Closed Won",
        "Proposal",
    ]
    assert findings == []


@pytest.mark.parametrize(
    ("label", "suggestion"),
    [
        ("Demoo", {"suggestion": "Demo"}),
        ("Qualifed", {"suggestion": "Qualified"}),
        ("closedwon", {"suggestion": "Closed Won"}),
        ("Closed Won (signed)", {"suggestion": "Closed Won"}),
        ("Xyzzy", {}),
        ("Closed", {}),
        ("Close", {}),
    ],
    ids=[
        "extra-letter",
        "missing-letter",
        "no-space",
        "extra-words",
        "nothing-close",
        "as-close-to-won-and-lost",
        "prefix-of-won-and-lost",
    ],
)
def test_unknown_stage_lists_stages(
    english_pipeline: Pipeline, label: str, suggestion: dict[str, str]
) -> None:
    deals, findings = read(english_pipeline, ["Deal ID", "Stage"], ["D-1", label])

    assert deals[0].stage is None
    assert findings == [
        Finding(
            code=Code.UNKNOWN_STAGE,
            severity=Severity.ERROR,
            row=2,
            column="Stage",
            value=label,
            deal_id="D-1",
            field="stage",
            params={
                "stages": join_items(
                    [
                        "Lead",
                        "Qualified",
                        "Demo",
                        "Proposal",
                        "Negotiation",
                        "Closed Won",
                        "Closed Lost",
                    ]
                ),
                **suggestion,
            },
        )
    ]


def test_date_in_stage_cell_named_as_date(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        english_pipeline, ["Deal ID", "Stage"], ["D-1", dt.datetime(2026, 1, 2)]
    )

    (finding,) = findings
    assert deals[0].stage is None
    assert finding.code is Code.UNKNOWN_STAGE
    assert finding.params["date_cell"] == "2026-01-02"
    assert "suggestion" not in finding.params
    assert render_message(finding, Locale.EN).endswith(
        "is a date, not a stage: the cell holds the date 2026-01-02, as Excel "
        "makes of a stage typed like 1/2 or Mar 3. Format the column as text, "
        "then type the stage again, one of: Lead, Qualified, Demo, Proposal, "
        "Negotiation, Closed Won, Closed Lost."
    )


def test_blank_stage_is_missing_required(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        english_pipeline, ["Deal ID", "Stage", "Amount"], ["D-1", None, 500]
    )

    assert deals[0].stage is None
    assert findings == [
        Finding(
            code=Code.MISSING_REQUIRED,
            severity=Severity.ERROR,
            row=2,
            column="Stage",
            value=None,
            deal_id="D-1",
            field="stage",
        )
    ]


# bad cells


def test_bad_amount_finding_shows_cell(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        english_pipeline, [" Amount ", "Deal ID", "Stage"], ["1,250,50", "D-1", "Lead"]
    )

    assert "amount" not in deals[0].values
    assert findings == [
        Finding(
            code=Code.BAD_AMOUNT,
            severity=Severity.ERROR,
            row=2,
            column="Amount",
            value="1,250,50",
            deal_id="D-1",
            field="amount",
            params={
                "reason": "ambiguous-separators",
                "detail": "cannot tell which mark separates thousands and which "
                "decimals; type the number like 1234.56 or 1,234.56",
            },
        )
    ]


@pytest.mark.parametrize(
    ("amount", "shown"),
    [(1e300, "1E+300"), (10**16, "1E+16"), (4.2e17, "4.2E+17")],
    ids=["float-1e300", "int-sixteen-digits", "float-eighteen-digits"],
)
def test_huge_amount_shown_in_exponent_form(
    english_pipeline: Pipeline, amount: CellValue, shown: str
) -> None:
    _, findings = read(
        english_pipeline, ["Amount", "Deal ID", "Stage"], [amount, "D-1", "Lead"]
    )

    assert codes_of(findings) == [(2, Code.BAD_AMOUNT)]
    assert findings[0].value == shown
    assert render_message(findings[0], Locale.EN) == (
        f"Amount {shown!r} cannot be read: an amount of 16 digits or more is no "
        "deal value (spreadsheets keep 15); check for a pasted phone or account "
        "number."
    )


@pytest.mark.parametrize(
    "amount",
    ["(500)", "-300", "-1,000", -300],
    ids=["parentheses", "minus", "minus-thousands", "negative-number"],
)
def test_negative_amount_is_bad_amount(
    english_pipeline: Pipeline, amount: CellValue
) -> None:
    deals, findings = read(
        english_pipeline, ["Amount", "Deal ID", "Stage"], [amount, "D-1", "Lead"]
    )

    assert "amount" not in deals[0].values
    assert codes_of(findings) == [(2, Code.BAD_AMOUNT)]
    assert findings[0].severity is Severity.ERROR
    assert findings[0].params["reason"] == "negative-amount"


def test_mixed_currency_flags_other_currencies(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Stage", "Amount"],
        ["US-1", "Won", "$1,000"],
        ["JP-1", "Won", "¥1,000,000"],
        ["EU-1", "Won", "1.000,00 €"],
        ["US-2", "Won", "USD 500"],
        ["XX-1", "Won", 700],
    )

    assert [deal.values.get("amount") for deal in deals] == [
        1000.0,
        None,
        None,
        500.0,
        700.0,
    ]
    assert findings == [
        Finding(
            code=Code.MIXED_CURRENCY,
            severity=Severity.ERROR,
            row=3,
            column="Amount",
            value="¥1,000,000",
            deal_id="JP-1",
            field="amount",
            params={"currency": "¥", "main_currency": "$"},
        ),
        Finding(
            code=Code.MIXED_CURRENCY,
            severity=Severity.ERROR,
            row=4,
            column="Amount",
            value="1.000,00 €",
            deal_id="EU-1",
            field="amount",
            params={"currency": "€", "main_currency": "$"},
        ),
    ]


def read_by_deal(
    pipeline: Pipeline, *rows: list[CellValue]
) -> tuple[dict[str | None, object], dict[str | None, list[tuple[Code, object]]]]:
    """Read deals under Deal ID, Stage and Amount, keyed by ID to compare orders."""
    deals, findings = read(pipeline, ["Deal ID", "Stage", "Amount"], *rows)
    amounts = {deal.deal_id: deal.values.get("amount") for deal in deals}
    by_deal: dict[str | None, list[tuple[Code, object]]] = {}
    for finding in findings:
        entry = (finding.code, sorted(finding.params.items()))
        by_deal.setdefault(finding.deal_id, []).append(entry)
    return amounts, by_deal


TIED_ROWS = [["US-1", "Won", "$100"], ["EU-1", "Lost", "€100"], ["XX-1", "Lead", 50]]


@pytest.mark.parametrize(
    "rows",
    [TIED_ROWS, TIED_ROWS[::-1]],
    ids=["dollar-first", "euro-first"],
)
def test_mixed_currency_tie_flags_every_mark(
    english_pipeline: Pipeline, rows: list[list[CellValue]]
) -> None:
    amounts, by_deal = read_by_deal(english_pipeline, *rows)

    assert amounts == {"US-1": None, "EU-1": None, "XX-1": 50.0}
    tied = [("tied_count", "1"), ("tied_currencies", "$, €")]
    assert by_deal == {
        "US-1": [(Code.MIXED_CURRENCY, [("currency", "$"), *tied])],
        "EU-1": [(Code.MIXED_CURRENCY, [("currency", "€"), *tied])],
    }


def test_word_codes_in_lower_case(english_pipeline: Pipeline) -> None:
    # top, all and gel are ISO 4217 codes only by their letters: they get
    # findings and do not push the one dollar amount out as mixed-currency.
    amounts, by_deal = read_by_deal(
        english_pipeline,
        ["D-1", "Lead", 1000],
        ["D-2", "Lead", "top 50k"],
        ["D-3", "Lead", "all 5000"],
        ["D-4", "Lead", "50k top"],
        ["D-5", "Lead", "gel 5"],
        ["D-6", "Lead", "500 usd"],
    )

    assert amounts == {
        "D-1": 1000.0,
        "D-2": None,
        "D-3": None,
        "D-4": None,
        "D-5": None,
        "D-6": 500.0,
    }
    assert sorted(by_deal) == ["D-2", "D-3", "D-4", "D-5"]
    assert {entry[0][0] for entry in by_deal.values()} == {Code.BAD_AMOUNT}


def test_mixed_currency_same_in_any_row_order(english_pipeline: Pipeline) -> None:
    rows = [
        ["D-1", "Won", "$100"],
        ["D-2", "Lost", "€200"],
        ["D-3", "Won", "£300"],
        ["D-4", "Lead", "USD 400"],
        ["D-5", "Lead", "EUR 500"],
        ["D-6", "Lead", 600],
    ]

    read_as_typed = read_by_deal(english_pipeline, *rows)
    read_sorted = read_by_deal(english_pipeline, *sorted(rows, key=str))
    read_reversed = read_by_deal(english_pipeline, *rows[::-1])

    assert read_as_typed[0] == {
        "D-1": None,
        "D-2": None,
        "D-3": None,
        "D-4": None,
        "D-5": None,
        "D-6": 600.0,
    }
    assert read_sorted == read_as_typed
    assert read_reversed == read_as_typed


@pytest.mark.parametrize(
    "amounts",
    [
        ("$1,000", "USD 2,000", "US$ 5"),
        ("¥1.2万", "3000元", "RMB 500", "CNY 20"),
        ("1,000", 2000.0, "€ 300"),
        ("1,000", 2000.0, 55),
    ],
    ids=["dollar-marks", "yuan-marks", "one-currency-and-none", "no-currency"],
)
def test_one_currency_column_has_no_finding(
    english_pipeline: Pipeline, amounts: tuple[CellValue, ...]
) -> None:
    rows = [[f"D-{index}", "Lead", amount] for index, amount in enumerate(amounts)]

    deals, findings = read(english_pipeline, ["Deal ID", "Stage", "Amount"], *rows)

    assert findings == []
    assert all("amount" in deal.values for deal in deals)


def test_unreadable_amount_keeps_bad_amount(english_pipeline: Pipeline) -> None:
    _, findings = read(
        english_pipeline,
        ["Deal ID", "Stage", "Amount"],
        ["US-1", "Lead", "$1,000"],
        ["US-2", "Lead", "$2,000"],
        ["EU-1", "Lead", "€ lots"],
    )

    assert codes_of(findings) == [(4, Code.BAD_AMOUNT)]


def test_each_type_has_its_finding_code(english_pipeline: Pipeline) -> None:
    _, findings = read(
        with_seats(english_pipeline),
        [
            "Deal ID",
            "Stage",
            "Expected Close",
            "Amount",
            "Seats",
            "Probability",
            "Acknowledged",
        ],
        ["D-1", "Lead", "soon", "lots", "many", 150, "maybe"],
    )

    assert [(finding.field, finding.code) for finding in findings] == [
        ("close_date", Code.BAD_DATE),
        ("amount", Code.BAD_AMOUNT),
        ("seats", Code.BAD_NUMBER),
        ("probability", Code.BAD_PROBABILITY),
        ("acknowledged", Code.BAD_FLAG),
    ]
    assert {finding.severity for finding in findings} == {Severity.ERROR}


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ([1.5, 2, 50], [0.015, 0.02, 0.5]),
        ([0.6, 1, 0.015, "25%"], [0.6, 1.0, 0.015, 0.25]),
    ],
    ids=["percent-points", "fractions"],
)
def test_probability_column_shares_scale(
    english_pipeline: Pipeline, cells: list[CellValue], expected: list[float]
) -> None:
    rows = [["D-1", "Lead", cell] for cell in cells]
    deals, findings = read(english_pipeline, ["Deal ID", "Stage", "Probability"], *rows)

    assert [deal.values["probability"] for deal in deals] == expected
    assert findings == []


def test_points_among_fractions_is_finding(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Stage", "Probability"],
        ["D-1", "Lead", 0.6],
        ["D-2", "Lead", 1],
        ["D-3", "Lead", 1.5],
    )

    assert "probability" not in deals[2].values
    assert codes_of(findings) == [(4, Code.BAD_PROBABILITY)]
    assert findings[0].column == "Probability"
    assert findings[0].value == "1.5"
    assert findings[0].params == {
        "reason": "percent-scale-mismatch",
        "detail": "the column gives probabilities as fractions (0.25 is 25%), so "
        "1.5 reads as 150%, over 100%; if 1.5% is meant, type 0.015 or 1.5%",
        "as_fraction": "150%",
        "as_points": "1.5%",
        "points_fraction": "0.015",
    }


def test_one_among_points_is_finding(english_pipeline: Pipeline) -> None:
    # A cell formatted 0% that shows 100% stores 1, like a typed 1%.
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Stage", "Probability"],
        ["D-1", "Lead", 50],
        ["D-2", "Lead", 40],
        ["D-3", "Lead", 1],
    )

    assert "probability" not in deals[2].values
    assert codes_of(findings) == [(4, Code.BAD_PROBABILITY)]
    assert findings[0].params["reason"] == "one-among-points"


def with_discount(pipeline: Pipeline) -> Pipeline:
    columns = {
        **pipeline.columns,
        "discount": ColumnSpec(aliases=["Discount"], type=FieldType.PERCENT),
    }
    return pipeline.model_copy(update={"columns": columns})


@pytest.mark.parametrize(
    ("cells", "detail"),
    [
        (["lots"], "not a number; type a percentage such as 25% or 0.25"),
        (["150%"], "a percentage must be between 0% and 100%, such as 25% or 0.25"),
        (
            [0.1, 0.2, 1.5],
            (
                "the column gives percentages as fractions (0.25 is 25%), so 1.5 "
                "reads as 150%, over 100%; if 1.5% is meant, type 0.015 or 1.5%"
            ),
        ),
        (
            [10, 20, 1],
            (
                "the column gives percentages as percent points (25 is 25%), so 1 "
                "reads as 1%, but a cell formatted as a percentage that shows 100% "
                "stores 1 too; type 1% if 1% is meant, or 100 for 100%"
            ),
        ),
    ],
    ids=["not-a-number", "over-100", "points-among-fractions", "one-among-points"],
)
def test_custom_percent_problem_names_percentage(
    english_pipeline: Pipeline, cells: list[CellValue], detail: str
) -> None:
    rows = [[f"D-{index}", "Lead", cell] for index, cell in enumerate(cells, 1)]
    pipeline = with_discount(english_pipeline)

    _, findings = read(pipeline, ["Deal ID", "Stage", "Discount"], *rows)

    assert [finding.code for finding in findings] == [Code.BAD_PERCENT]
    assert findings[0].field == "discount"
    assert findings[0].params["detail"] == detail
    assert render_message(findings[0], Locale.EN) == (
        f"Discount {findings[0].value!r} cannot be read: {detail}."
    )


def test_probability_problem_names_probability(english_pipeline: Pipeline) -> None:
    _, findings = read(
        english_pipeline, ["Deal ID", "Stage", "Probability"], ["D-1", "Lead", "lots"]
    )

    assert [finding.code for finding in findings] == [Code.BAD_PROBABILITY]
    assert render_message(findings[0], Locale.EN) == (
        "Probability 'lots' cannot be read: not a number; type a probability "
        "such as 25% or 0.25."
    )


def test_serial_dates_read_and_rejected(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Stage", "Expected Close"],
        ["D-1", "Lead", 1.0],
        ["D-2", "Lead", 60],
        ["D-3", "Lead", 45909],
        ["D-4", "Lead", dt.datetime(1899, 12, 31)],
    )

    assert deals[2].values["close_date"] == SEP_9
    assert [(f.row, f.value, f.params["reason"]) for f in findings] == [
        (2, "1", "serial-not-a-date"),
        (3, "60", "serial-not-a-date"),
        (5, "1899-12-31", "date-out-of-range"),
    ]
    assert findings[0].params["detail"] == (
        "not a real date (number formatted as a date?); "
        "type the date like 2025-09-09 or use a date cell"
    )
    assert findings[2].params["detail"] == (
        "looks like a number formatted as a date "
        "(dates must fall between 1970-01-01 and 2200-12-31); "
        "type the date like 2025-09-09 or use a date cell"
    )


def test_serial_and_formatted_date_agree(english_pipeline: Pipeline) -> None:
    header: list[CellValue] = ["Deal ID", "Stage", "Next Step Date", "Amount"]
    unformatted, _ = read(english_pipeline, header, ["D-101", "Lead", 45909, 45909])
    formatted, _ = read(
        english_pipeline, header, ["D-101", "Lead", "9/9/2025", "45,909"]
    )

    assert unformatted[0].values["next_step_date"] == SEP_9
    assert formatted[0].values["next_step_date"] == SEP_9
    assert unformatted[0].values["amount"] == 45909.0
    assert formatted[0].values["amount"] == 45909.0


def test_date_order_comes_from_pipeline(english_pipeline: Pipeline) -> None:
    american = english_pipeline.model_copy(update={"date_order": DateOrder.MDY})
    header: list[CellValue] = ["Deal ID", "Stage", "Next Step Date"]

    deals, _ = read(american, header, ["D-1", "Lead", "03/04/2025"])

    assert deals[0].values["next_step_date"] == dt.date(2025, 3, 4)


def test_deal_rows_name_fields_with_text_dates(english_pipeline: Pipeline) -> None:
    grid = SheetGrid(
        workbook="Pipeline.xlsx",
        tab="Deals",
        rows=[
            ["Deal ID", "Stage", "Created", "Expected Close", "Next Step Date"],
            ["D-1", "Lead", SEP_9, SEP_9, "12/07/2026"],
            ["D-2", "Lead", SEP_9, "not yet", SEP_9],
        ],
    )

    rows = read_deal_rows(grid, match_columns(grid, english_pipeline), english_pipeline)

    assert rows.text_date_fields == frozenset({"close_date", "next_step_date"})
    assert [deal.row for deal in rows.deals] == [2, 3]
    assert codes_of(rows.findings) == [(3, Code.BAD_DATE)]


# blank headers


def test_blank_header_content_warns_once(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Stage", None, None],
        ["D-103", "Lead", None, None],
        ["D-104", "Closed Won", None, "Q3 target 40k"],
        ["D-105", "Lead", None, "more notes"],
    )

    assert [deal.deal_id for deal in deals] == ["D-103", "D-104", "D-105"]
    assert findings == [
        Finding(
            code=Code.CONTENT_UNDER_BLANK_HEADER,
            severity=Severity.WARNING,
            row=3,
            value="Q3 target 40k",
            params={"column": "D", "cell": "D3"},
        )
    ]


def test_old_statuses_under_blank_header_no_finding(
    english_pipeline: Pipeline,
) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Stage", None, "pipesheet status"],
        ["D-1", "Lead", "OK", "OK"],
        ["D-2", "Lead", "WARN: follow-up 2 days overdue", "OK"],
    )

    assert [deal.deal_id for deal in deals] == ["D-1", "D-2"]
    assert findings == []


def test_row_with_only_old_status_is_not_deal(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Stage", "Status", "pipesheet status"],
        ["D-1", "Lead", "OK", "OK"],
        [None, None, "ERROR: missing Amount", None],
        ["D-3", "Lead", "OK", "OK"],
    )

    assert [deal.deal_id for deal in deals] == ["D-1", "D-3"]
    assert findings == []


def test_note_row_is_not_a_deal(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Stage"],
        ["D-1", "Lead"],
        [None, None, "Total: 1 deal"],
    )

    assert [deal.deal_id for deal in deals] == ["D-1"]
    assert findings == [
        Finding(
            code=Code.CONTENT_UNDER_BLANK_HEADER,
            severity=Severity.WARNING,
            row=3,
            value="Total: 1 deal",
            params={"column": "C", "cell": "C3"},
        )
    ]


def test_note_past_header_width_warns(english_pipeline: Pipeline) -> None:
    grid = SheetGrid(
        workbook="Pipeline.xlsx",
        tab="Deals",
        rows=[["Deal ID", "Stage"], ["D-1", "Lead"], [None, None, None, 42.0]],
    )
    columns = match_columns(grid, english_pipeline)
    narrow = type(columns)(
        header_row=1,
        headers=["Deal ID", "Stage"],
        fields=columns.fields,
        status_column=None,
    )

    deals, findings = read_deals(grid, narrow, english_pipeline)

    assert len(deals) == 1
    assert [(f.row, f.value, f.params["cell"]) for f in findings] == [(3, "42", "D3")]


# Chinese sheet


def test_chinese_amounts_and_dates(chinese_pipeline: Pipeline) -> None:
    deals, findings = read(
        chinese_pipeline,
        ["销售漏斗"],
        [],
        ["商机编号", "客户名称", "阶段", "预计金额", "赢率", "下次跟进日期", "已确认"],
        ["C-001", "华东科技", "方案报价", "¥12,000", "40%", "2025年9月9日", "是"],
        ["C-002", "北方物流", "谈判", "1.2万", 0.8, "2025 年 9 月 9 日", "否"],
        ["C-003", "南方制造", "试用", "8000元", None, "2025年09月09日 14时30分"],
        ["C-004", "西部能源", "线索收集", None, None, "9月9日"],
        tab="商机",
    )

    assert [deal.values.get("amount") for deal in deals] == [
        12000.0,
        12000.0,
        8000.0,
        None,
    ]
    assert [deal.values.get("next_step_date") for deal in deals] == [
        SEP_9,
        SEP_9,
        SEP_9,
        None,
    ]
    assert [deal.stage.name if deal.stage else None for deal in deals] == [
        "方案报价",
        "异议处理与谈判",
        "试用体验",
        "线索收集",
    ]
    assert deals[0].values["acknowledged"] is True
    assert findings == [
        Finding(
            code=Code.BAD_DATE,
            severity=Severity.ERROR,
            row=7,
            column="下次跟进日期",
            value="9月9日",
            deal_id="C-004",
            field="next_step_date",
            params={
                "reason": "year-missing",
                "detail": "the year is missing; type the full date, such as 2025-09-09",
            },
        )
    ]


def test_chinese_unknown_stage_lists_stages(chinese_pipeline: Pipeline) -> None:
    _, findings = read(
        chinese_pipeline, ["商机编号", "阶段"], ["C-1", "验收"], tab="商机"
    )

    assert findings[0].params == {
        "stages": join_items(stage.name for stage in chinese_pipeline.stages)
    }


# repeated cells and the raw cells view


def test_repeated_cells_parse_alike(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Stage", "Amount"],
        ["D-1", "Lead", "$5"],
        ["D-2", "Lead", "$5"],
        ["D-3", "Lead", "lots"],
        ["D-4", "Lead", "lots"],
    )

    assert [deal.values.get("amount") for deal in deals] == [5.0, 5.0, None, None]
    assert codes_of(findings) == [(4, Code.BAD_AMOUNT), (5, Code.BAD_AMOUNT)]


@pytest.mark.parametrize(
    ("cells", "amounts", "flag_row"),
    [
        ((1, True), [1.0, None], 3),
        ((True, 1), [None, 1.0], 2),
        ((0, False), [0.0, None], 3),
    ],
    ids=["one-then-true", "true-then-one", "zero-then-false"],
)
def test_equal_number_and_flag_parse_apart(
    english_pipeline: Pipeline,
    cells: tuple[CellValue, CellValue],
    amounts: list[float | None],
    flag_row: int,
) -> None:
    deals, findings = read_two_leads(english_pipeline, "Amount", cells)

    assert [deal.values.get("amount") for deal in deals] == amounts
    assert codes_of(findings) == [(flag_row, Code.BAD_AMOUNT)]
    assert findings[0].params["reason"] == "true-false"


@pytest.mark.parametrize(
    ("cells", "accounts"),
    [
        ((1, True), ["1", "TRUE"]),
        ((True, 1), ["TRUE", "1"]),
        ((1, "1"), ["1", "1"]),
    ],
    ids=["one-then-true", "true-then-one", "number-then-text"],
)
def test_equal_text_cells_of_two_types(
    english_pipeline: Pipeline,
    cells: tuple[CellValue, CellValue],
    accounts: list[str],
) -> None:
    deals, findings = read_two_leads(english_pipeline, "Account", cells)

    assert [deal.values["account"] for deal in deals] == accounts
    assert findings == []


def test_raw_cells_read_like_dict(english_pipeline: Pipeline) -> None:
    deals, _ = read(
        english_pipeline, ["Deal ID", "Stage", "Amount"], ["D-1", "Lead", None]
    )

    raw = deals[0].raw
    assert raw.get("amount") is None
    assert raw.get("owner", "none") == "none"
    assert "amount" in raw
    assert "owner" not in raw
    assert raw == {"id": "D-1", "stage": "Lead", "amount": None}


# cells computed by formulas


def test_formula_errors_are_their_own_findings(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Stage", "Owner", "Amount"],
        ["#N/A", "Lead", "Ann", 100],
        ["D-2", "#REF!", " #ERROR! ", "#DIV/0!"],
        ["D-3", "Lead", "#N/A", 200],
        ["D-4", "Lead", "Err:502", "Err:502"],
    )

    assert codes_of(findings) == [
        (2, Code.FORMULA_ERROR),
        (3, Code.FORMULA_ERROR),
        (3, Code.FORMULA_ERROR),
        (3, Code.FORMULA_ERROR),
        (4, Code.FORMULA_ERROR),
        (5, Code.FORMULA_ERROR),
        (5, Code.FORMULA_ERROR),
    ]
    assert [(f.column, f.value) for f in findings] == [
        ("Deal ID", "#N/A"),
        ("Stage", "#REF!"),
        ("Owner", " #ERROR! "),
        ("Amount", "#DIV/0!"),
        ("Owner", "#N/A"),
        ("Owner", "Err:502"),
        ("Amount", "Err:502"),
    ]
    assert [deal.deal_id for deal in deals] == [None, "D-2", "D-3", "D-4"]
    assert "owner" not in deals[2].values
    assert deals[1].stage is None


def test_numbered_error_in_id_column(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Stage"],
        ["D-1", "Lead"],
        ["Err:502", "Lead"],
    )

    assert codes_of(findings) == [(3, Code.FORMULA_ERROR)]
    assert (findings[0].column, findings[0].value) == ("Deal ID", "Err:502")
    assert [deal.deal_id for deal in deals] == ["D-1", None]


def test_error_like_text_kept(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Stage", "Owner"],
        ["D-1", "Lead", "#N/A team"],
        ["Err:5021", "Lead", "Err:50"],
    )

    assert findings == []
    assert deals[0].values["owner"] == "#N/A team"
    assert (deals[1].deal_id, deals[1].values["owner"]) == ("Err:5021", "Err:50")


def read_with_row_formulas(
    pipeline: Pipeline, blocks: list[tuple[int, int, int, int]]
) -> list[Finding]:
    rows: list[list[CellValue]] = [
        ["Pipeline"],
        ["Deal ID", "Stage"],
        ["D-3", "Lead"],
        ["D-4", "Lead"],
    ]
    grid = SheetGrid("Pipeline.xlsx", "Deals", rows, row_formulas=blocks)
    return read_deals(grid, match_columns(grid, pipeline), pipeline)[1]


def test_row_number_id_blank_value(english_pipeline: Pipeline) -> None:
    rows: list[list[CellValue]] = [["Deal ID", "Stage"], [None, "Lead"]]
    grid = SheetGrid("Pipeline.xlsx", "Deals", rows, row_formulas=[(2, 0, 2, 0)])

    findings = read_deals(
        grid, match_columns(grid, english_pipeline), english_pipeline
    )[1]

    row_number = [f for f in findings if f.code is Code.ID_FROM_ROW_NUMBER]
    assert [(f.row, f.value) for f in row_number] == [(2, None)]


def test_ids_from_row_number_each_deal(english_pipeline: Pipeline) -> None:
    # A block reaching past the last deal and a block inside another give
    # each deal one finding.
    findings = read_with_row_formulas(english_pipeline, [(1, 0, 9, 0), (4, 0, 4, 0)])

    assert codes_of(findings) == [
        (3, Code.ID_FROM_ROW_NUMBER),
        (4, Code.ID_FROM_ROW_NUMBER),
    ]
    assert [(f.column, f.value, f.deal_id) for f in findings] == [
        ("Deal ID", "D-3", "D-3"),
        ("Deal ID", "D-4", "D-4"),
    ]


def test_id_from_row_number_one_row(english_pipeline: Pipeline) -> None:
    findings = read_with_row_formulas(english_pipeline, [(4, 0, 4, 0)])

    assert codes_of(findings) == [(4, Code.ID_FROM_ROW_NUMBER)]


@pytest.mark.parametrize(
    "blocks",
    [[], [(3, 1, 4, 1)], [(1, 0, 2, 0)]],
    ids=["none", "other-column", "above-data"],
)
def test_row_formulas_elsewhere_not_flagged(
    english_pipeline: Pipeline, blocks: list[tuple[int, int, int, int]]
) -> None:
    assert read_with_row_formulas(english_pipeline, blocks) == []


@pytest.mark.parametrize(
    ("id_cell", "account", "stage"),
    [
        (None, "Total", None),
        (None, " grand TOTAL: ", None),
        (None, "合计", None),
        (None, "合 计", None),
        (None, "Ann 汇总", None),
        (None, "Ana Lima Count", None),
        (None, "Grand Average", None),
        ("Total", None, None),
        ("Grand Total:", "3 deals", None),
        ("Ann Total", None, None),
        (None, None, "Lead Total"),
        ("Grand Total", None, "Grand Total"),
    ],
)
def test_totals_row_is_no_deal(
    english_pipeline: Pipeline,
    id_cell: str | None,
    account: str | None,
    stage: str | None,
) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Account", "Stage", "Amount"],
        ["D-1", "Acme", "Lead", 100],
        ["D-2", "Birch", "Lead", 200],
        [id_cell, account, stage, 300],
    )

    assert [deal.deal_id for deal in deals] == ["D-1", "D-2"]
    assert codes_of(findings) == [(4, Code.TOTALS_ROW)]
    assert findings[0].severity is Severity.INFO
    assert findings[0].value == (id_cell or account or stage)


@pytest.mark.parametrize(
    "row",
    [
        ["D-3", "Total", None, 300],
        [None, "Total", "Lead", 300],
        ["Total", None, "Lead", 300],
        [None, "Totality", None, 1],
        [None, "Globex", None, 12000, "Confirm order total"],
        ["D-4", None, "Lead Total", 1],
    ],
    ids=[
        "with-id",
        "with-stage",
        "total-id-with-stage",
        "other-word",
        "label-not-first",
        "id-with-label-stage",
    ],
)
def test_non_totals_row_stays_deal(
    english_pipeline: Pipeline, row: list[CellValue]
) -> None:
    deals, findings = read(
        english_pipeline, ["Deal ID", "Account", "Stage", "Amount", "Notes"], row
    )

    assert len(deals) == 1
    assert Code.TOTALS_ROW not in [finding.code for finding in findings]


def test_repeated_header_not_a_deal(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Account", "Stage", "Amount"],
        ["D-1", "Acme", "Lead", 100],
        [],
        [" deal id", "Account", "STAGE ", "Amount"],
        ["D-9", "Old Co", "Won", 50],
    )

    assert [deal.deal_id for deal in deals] == ["D-1", "D-9"]
    assert codes_of(findings) == [(4, Code.REPEATED_HEADER)]
    assert findings[0].severity is Severity.INFO
    assert findings[0].value == " deal id"


def test_header_aliases_below_header_not_a_deal(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        english_pipeline,
        ["ID", "Stage", "Rep", "Deal Value"],
        ["Deal ID", "Deal Stage", "Owner", "Amount"],
        ["D-1", "Lead", "Ana", 100],
        ["D-2", "Won", "Ben", 200],
    )

    assert [deal.deal_id for deal in deals] == ["D-1", "D-2"]
    assert codes_of(findings) == [(2, Code.REPEATED_HEADER)]
    assert findings[0].value == "Deal ID"


@pytest.mark.parametrize(
    ("rules_tab", "locale", "place"),
    [
        (None, Locale.EN, "set source.header_row to 2 in the definition;"),
        (
            "Rules",
            Locale.EN,
            "set source.header_row to 2 in the Setting table of tab 'Rules';",
        ),
        (
            "规则",
            Locale.ZH_CN,
            "请在工作表“规则”的设置表中把 source.header_row 设为 2；",
        ),
    ],
    ids=["definition", "rules-tab", "rules-tab-zh"],
)
def test_repeated_header_fix_names_setting_place(
    english_pipeline: Pipeline, rules_tab: str | None, locale: Locale, place: str
) -> None:
    source = english_pipeline.source.model_copy(update={"rules_tab": rules_tab})
    pipeline = english_pipeline.model_copy(update={"source": source})

    _deals, findings = read(
        pipeline,
        ["ID", "Stage", "Rep", "Deal Value"],
        ["Deal ID", "Deal Stage", "Owner", "Amount"],
        ["D-1", "Lead", "Ana", 100],
    )

    assert codes_of(findings) == [(2, Code.REPEATED_HEADER)]
    assert place in render_message(findings[0], locale)


@pytest.mark.parametrize(
    ("row", "label"),
    [
        (
            ["Opportunity ID", "deal  stage", "Sales Rep", "Deal Value"],
            "Opportunity ID",
        ),
        (["ID", "Stage", None, None], "ID"),
        ([None, "Stage", "Owner", "Amount"], "Stage"),
        (["Deal ID", "Stage", "Owner", "Amount (EUR)"], "Deal ID"),
    ],
    ids=["other-aliases", "id-and-stage-only", "blank-id", "one-header-unknown"],
)
def test_header_row_after_deals_not_a_deal(
    english_pipeline: Pipeline, row: list[CellValue], label: str
) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Stage", "Owner", "Amount"],
        ["D-1", "Lead", "Ana", 100],
        row,
        ["D-9", "Won", "Ben", 50],
    )

    assert [deal.deal_id for deal in deals] == ["D-1", "D-9"]
    assert codes_of(findings) == [(3, Code.REPEATED_HEADER)]
    assert findings[0].value == label


def with_stage_named_like_column(pipeline: Pipeline) -> Pipeline:
    """Add the stage column alias ``Pipeline`` and a stage of that name."""
    columns = {
        **pipeline.columns,
        "stage": ColumnSpec(aliases=["Stage", "Pipeline"]),
    }
    stages = [Stage(name="Pipeline", probability=0.1), *pipeline.stages]
    return pipeline.model_copy(update={"columns": columns, "stages": stages})


@pytest.mark.parametrize(
    "row",
    [
        ["D-7", "Acme", "Pipeline", "Ana"],
        ["D-7", None, "Pipeline", None],
        ["D-7", "Company", "Pipeline", None],
        ["D-7", "Company", "Pipeline", "Ana"],
        ["D-7", "Company", "Pipeline", "Owner"],
        ["Deal ID", "Acme", "Stage", "Ana"],
        [None, None, "Stage", None],
    ],
    ids=[
        "stage-named-like-column",
        "one-of-two",
        "two-of-three",
        "two-of-four",
        "real-id-three-of-four",
        "id-and-stage-with-data",
        "stage-only",
    ],
)
def test_deal_with_header_texts_stays_deal(
    english_pipeline: Pipeline, row: list[CellValue]
) -> None:
    deals, findings = read(
        with_stage_named_like_column(english_pipeline),
        ["Deal ID", "Account", "Stage", "Owner"],
        row,
    )

    assert len(deals) == 1
    assert Code.REPEATED_HEADER not in [finding.code for finding in findings]


def test_header_text_as_id_only_is_deal(english_pipeline: Pipeline) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Account", "Stage", "Amount"],
        ["Deal ID", "Acme", "Lead", 100],
    )

    assert [deal.deal_id for deal in deals] == ["Deal ID"]
    assert Code.REPEATED_HEADER not in [finding.code for finding in findings]


# merged cells


def read_merged(
    pipeline: Pipeline, merged: list[tuple[int, int, int, int]], *rows: list[CellValue]
) -> tuple[list[Deal], list[Finding]]:
    grid = SheetGrid("Pipeline.xlsx", "Deals", list(rows), merged=merged)
    return read_deals(grid, match_columns(grid, pipeline), pipeline)


def test_merged_cells_count_for_each_row(english_pipeline: Pipeline) -> None:
    deals, findings = read_merged(
        english_pipeline,
        [(2, 1, 4, 1), (2, 2, 4, 2)],
        ["Deal ID", "Account", "Stage", "Amount"],
        ["D-1", "Globex", "Proposal", 1000],
        ["D-2", None, None, 1000],
        ["D-3", None, None, 1000],
    )

    assert findings == []
    assert [deal.values["account"] for deal in deals] == ["Globex"] * 3
    assert [deal.stage.name for deal in deals if deal.stage] == ["Proposal"] * 3
    assert deals[2].raw.get("account") == "Globex"


def test_merged_only_row_is_no_deal(english_pipeline: Pipeline) -> None:
    deals, findings = read_merged(
        english_pipeline,
        [(2, 1, 5, 1)],
        ["Deal ID", "Account", "Stage"],
        ["D-1", "Globex", "Lead"],
        ["D-2", None, "Demo"],
        [None, None, None],
        [],
    )

    assert [deal.row for deal in deals] == [2, 3]
    assert deals[1].values["account"] == "Globex"
    assert findings == []


@pytest.mark.parametrize(
    "merged",
    [
        [(1, 0, 2, 0), (1, 1, 2, 1), (1, 2, 2, 2), (1, 3, 1, 4)],
        [(1, 3, 1, 4)],
    ],
    ids=["merged-down-and-across", "across-only"],
)
def test_second_header_row_is_no_deal(
    english_pipeline: Pipeline, merged: list[tuple[int, int, int, int]]
) -> None:
    # Amount merged across D1:E1 with the currencies below it, and maybe
    # Deal ID, Account and Stage merged down over row 2.
    deals, findings = read_merged(
        english_pipeline,
        merged,
        ["Deal ID", "Account", "Stage", "Amount", None],
        [None, None, None, "USD", "EUR"],
        ["D-1", "Globex", "Lead", 1000],
        ["D-2", "Initech", "Lead", None, 2000],
    )

    assert [deal.row for deal in deals] == [3, 4]
    assert [finding.code for finding in findings] == [Code.CONTENT_UNDER_BLANK_HEADER]
    assert findings[0].params["cell"] == "E4"


def test_text_row_beside_header_merge_is_deal(english_pipeline: Pipeline) -> None:
    # Account is not under the merged Amount cell, so row 2 is an
    # unfinished deal, not part of the header.
    deals, _ = read_merged(
        english_pipeline,
        [(1, 3, 1, 4)],
        ["Deal ID", "Account", "Stage", "Amount", None],
        [None, "Globex", None, "USD", "EUR"],
    )

    assert [deal.row for deal in deals] == [2]


def test_row_with_id_under_header_merge_is_deal(english_pipeline: Pipeline) -> None:
    # A header cell merged far down does not hide the deals it covers.
    deals, _ = read_merged(
        english_pipeline,
        [(1, 1, 3, 1)],
        ["Deal ID", "Account", "Stage"],
        ["D-1", None, "Lead"],
        ["D-2", None, "Demo"],
    )

    assert [deal.row for deal in deals] == [2, 3]


def test_deal_over_two_rows_is_one_deal(english_pipeline: Pipeline) -> None:
    # Deal ID, Stage and Amount merged down over rows 2:3 and 4:5, with a
    # second line of Next Step on each second row.
    deals, findings = read_merged(
        english_pipeline,
        [(2, 0, 3, 0), (2, 1, 3, 1), (2, 2, 3, 2), (4, 0, 5, 0), (4, 1, 5, 1)],
        ["Deal ID", "Stage", "Amount", "Next Step", "Next Step Date"],
        ["P-1", "Demo", 1000, "Call the buyer", dt.datetime(2026, 12, 3)],
        [None, None, None, "then send the contract"],
        ["P-2", "Proposal", 2000, "Send the quote"],
        [None, None, None, None, dt.datetime(2026, 12, 9)],
    )

    assert [deal.row for deal in deals] == [2, 4]
    assert [deal.values["amount"] for deal in deals] == [1000.0, 2000.0]
    assert deals[0].values["next_step"] == "Call the buyer\nthen send the contract"
    assert deals[1].values["next_step_date"] == dt.date(2026, 12, 9)
    assert findings == []


def test_blank_merged_id_joins_rows(english_pipeline: Pipeline) -> None:
    # Deal ID merged down over A2:A3 with no ID typed in yet. Row 3 contains
    # only a second line of Next Step, and is no section heading.
    deals, findings = read_merged(
        english_pipeline,
        [(2, 0, 3, 0)],
        ["Deal ID", "Stage", "Amount", "Next Step"],
        [None, "Demo", 1000, "Call the buyer"],
        [None, None, None, "then send the contract"],
        ["P-2", "Lead", 500, "Mail"],
    )

    assert [deal.row for deal in deals] == [2, 4]
    assert deals[0].deal_id is None
    assert deals[0].values["next_step"] == "Call the buyer\nthen send the contract"
    assert codes_of(findings) == [(2, Code.MISSING_ID)]


def test_continuation_row_keeps_first_date(english_pipeline: Pipeline) -> None:
    # A date, unlike a text, is not joined, so the deal's first date counts.
    deals, findings = read_merged(
        english_pipeline,
        [(2, 0, 3, 0)],
        ["Deal ID", "Stage", "Next Step Date"],
        ["P-1", "Demo", dt.datetime(2026, 12, 3)],
        [None, None, dt.datetime(2026, 12, 9)],
    )

    assert [deal.row for deal in deals] == [2]
    assert deals[0].values["next_step_date"] == dt.date(2026, 12, 3)
    assert codes_of(findings) == [(2, Code.CONTINUATION_VALUE)]
    assert findings[0].params == {"cell": "C3"}
    assert findings[0].column == "Next Step Date"
    assert findings[0].field == "next_step_date"


def test_continuation_row_keeps_first_stage(english_pipeline: Pipeline) -> None:
    # Joined, the two stages would read as the unknown stage "Demo\nProposal".
    deals, findings = read_merged(
        english_pipeline,
        [(2, 0, 3, 0)],
        ["Deal ID", "Stage", "Owner", "Next Step"],
        ["P-1", "Demo", "Ana", "Call"],
        [None, "Proposal", "Ben", "then quote"],
    )

    assert [deal.row for deal in deals] == [2]
    assert deals[0].values["stage"] == "Demo"
    assert deals[0].values["owner"] == "Ana"
    assert deals[0].values["next_step"] == "Call\nthen quote"
    assert codes_of(findings) == [
        (2, Code.CONTINUATION_VALUE),
        (2, Code.CONTINUATION_VALUE),
    ]
    assert [finding.params for finding in findings] == [{"cell": "B3"}, {"cell": "C3"}]


def test_merged_amount_counts_once(english_pipeline: Pipeline) -> None:
    # One contract amount merged down over three line-item deals.
    deals, findings = read_merged(
        english_pipeline,
        [(2, 2, 4, 2)],
        ["Deal ID", "Stage", "Amount", "Owner"],
        ["C-1", "Proposal", 9000, "Ana"],
        ["C-2", "Proposal", None, "Ana"],
        ["C-3", "Proposal", None, "Ana"],
    )

    assert [deal.values.get("amount") for deal in deals] == [9000.0, None, None]
    assert codes_of(findings) == [
        (2, Code.MERGED_AMOUNT),
        (3, Code.MERGED_AMOUNT),
        (4, Code.MERGED_AMOUNT),
    ]
    assert findings[1].value == "9000"
    assert findings[1].params == {"cells": "C2:C4", "count": "3", "first_row": "2"}
    message = render_message(findings[1], Locale.EN)
    assert "Unmerge C2:C4 and give each deal its own amount" in message


def test_merged_amount_adds_no_missing_required(english_pipeline: Pipeline) -> None:
    stages = [
        stage.model_copy(update={"required": ["amount"]})
        for stage in english_pipeline.stages
    ]
    pipeline = english_pipeline.model_copy(update={"stages": stages})
    grid = SheetGrid(
        "Pipeline.xlsx",
        "Deals",
        [
            ["Deal ID", "Stage", "Amount"],
            ["C-1", "Proposal", 9000],
            ["C-2", "Proposal"],
        ],
        merged=[(2, 2, 3, 2)],
    )
    columns = match_columns(grid, pipeline)
    deals, findings = read_deals(grid, columns, pipeline)

    checked = check_deals(deals, columns, pipeline, {}, SEP_9)

    assert Code.MISSING_REQUIRED not in [finding.code for finding in checked]
    assert codes_of(findings) == [(2, Code.MERGED_AMOUNT), (3, Code.MERGED_AMOUNT)]


def test_merged_owner_still_fills_down(english_pipeline: Pipeline) -> None:
    deals, findings = read_merged(
        english_pipeline,
        [(2, 3, 3, 3)],
        ["Deal ID", "Stage", "Amount", "Owner"],
        ["C-1", "Proposal", 100, "Ana"],
        ["C-2", "Proposal", 200, None],
    )

    assert [deal.values["owner"] for deal in deals] == ["Ana", "Ana"]
    assert findings == []


# section headings


@pytest.mark.parametrize(
    "merged", [[(2, 0, 2, 3), (5, 0, 5, 3)], []], ids=["merged-across", "plain"]
)
def test_section_label_row_is_no_deal(
    english_pipeline: Pipeline, merged: list[tuple[int, int, int, int]]
) -> None:
    deals, findings = read_merged(
        english_pipeline,
        merged,
        ["Deal ID", "Account", "Stage", "Amount"],
        ["EMEA"],
        ["D-1", "Acme", "Lead", 100],
        ["D-2", "Beta", "Lead", 200],
        ["APAC"],
        ["D-3", "Gamma", "Lead", 300],
    )

    assert [deal.deal_id for deal in deals] == ["D-1", "D-2", "D-3"]
    assert codes_of(findings) == [(2, Code.SECTION_HEADING), (5, Code.SECTION_HEADING)]
    assert findings[0].value == "EMEA"


def test_section_label_in_account_column(english_pipeline: Pipeline) -> None:
    deals, findings = read_merged(
        english_pipeline,
        [],
        ["Deal ID", "Account", "Stage"],
        [None, "Partners"],
        ["D-1", "Acme", "Lead"],
    )

    assert [deal.deal_id for deal in deals] == ["D-1"]
    assert codes_of(findings) == [(2, Code.SECTION_HEADING)]


def test_nested_section_labels(english_pipeline: Pipeline) -> None:
    deals, findings = read_merged(
        english_pipeline,
        [(2, 0, 2, 2)],
        ["Deal ID", "Account", "Stage"],
        ["EMEA"],
        ["Germany"],
        ["D-1", "Acme", "Lead"],
    )

    assert [deal.deal_id for deal in deals] == ["D-1"]
    assert codes_of(findings) == [(2, Code.SECTION_HEADING), (3, Code.SECTION_HEADING)]


@pytest.mark.parametrize(
    "rows",
    [
        # A deal with only its ID typed, above another deal.
        [["D-7"], ["D-8", "Acme", "Lead"]],
        # A label like an ID of a sheet whose IDs have no digits.
        [["EMEA"], ["ACME", "Acme", "Lead"]],
        # A label with nothing below it.
        [["D-1", "Acme", "Lead"], ["EMEA"]],
        # A label above a row without a stage.
        [[None, "Partners"], ["D-1", "Acme"]],
    ],
    ids=["id-only", "ids-without-digits", "last-row", "no-stage-below"],
)
def test_label_row_stays_deal(
    english_pipeline: Pipeline, rows: list[list[CellValue]]
) -> None:
    deals, findings = read_merged(
        english_pipeline, [], ["Deal ID", "Account", "Stage"], *rows
    )

    assert len(deals) == 2
    assert Code.SECTION_HEADING not in [finding.code for finding in findings]
    assert Code.MISSING_REQUIRED in [finding.code for finding in findings]


# rows of formulas only


def read_with_formulas(
    pipeline: Pipeline, formulas: set[str], *rows: list[CellValue]
) -> tuple[list[Deal], list[Finding]]:
    grid = SheetGrid(
        workbook="Pipeline.xlsx",
        tab="Deals",
        rows=list(rows),
        formula_cells=frozenset(formula.encode() for formula in formulas),
    )
    return read_deals(grid, match_columns(grid, pipeline), pipeline)


FORMULA_HEADER: list[CellValue] = ["Deal ID", "Stage", "Amount", "Weighted", "Notes"]


@pytest.mark.parametrize(
    ("row", "formulas"),
    [
        ([None, None, None, 0], {"D3"}),
        ([None, None, None, "#N/A"], {"D3"}),
        ([None, None, 0, 0], {"C3", "D3"}),
        (["#N/A", "#REF!", None, 0], {"A3", "B3", "D3"}),
    ],
    ids=["zero-result", "error-result", "mapped-amount", "id-and-stage-errors"],
)
def test_formula_only_row_is_no_deal(
    english_pipeline: Pipeline, row: list[CellValue], formulas: set[str]
) -> None:
    deals, findings = read_with_formulas(
        english_pipeline,
        {"D2", *formulas},
        FORMULA_HEADER,
        ["D-1", "Lead", 100, 5],
        row,
    )

    assert [deal.deal_id for deal in deals] == ["D-1"]
    assert findings == []


@pytest.mark.parametrize(
    ("row", "formulas"),
    [
        ([None, None, None, 0, "call back"], {"D3"}),
        ([None, None, 7, 0], {"D3"}),
        (["D-2", None, None, 0], {"A3", "D3"}),
        ([None, "Lead", None, 0], {"B3", "D3"}),
    ],
    ids=["typed-note", "typed-amount", "id-from-formula", "stage-from-formula"],
)
def test_typed_or_identified_row_stays_deal(
    english_pipeline: Pipeline, row: list[CellValue], formulas: set[str]
) -> None:
    deals, _findings = read_with_formulas(
        english_pipeline,
        {"D2", *formulas},
        FORMULA_HEADER,
        ["D-1", "Lead", 100, 5],
        row,
    )

    assert len(deals) == 2
    assert deals[1].row == 3


def test_formula_error_is_no_section_heading(english_pipeline: Pipeline) -> None:
    # A source that does not tell which cells hold formulas, such as .ods.
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Stage", "Weighted"],
        [None, None, "#N/A"],
        ["D-1", "Lead", 5],
    )

    assert len(deals) == 2
    assert Code.SECTION_HEADING not in [finding.code for finding in findings]


# SUBTOTAL rows


def read_with_subtotals(
    pipeline: Pipeline, blocks: list[tuple[int, int, int, int]], *rows: list[CellValue]
) -> tuple[list[Deal], list[Finding]]:
    grid = SheetGrid("Pipeline.xlsx", "Deals", list(rows), subtotal_formulas=blocks)
    return read_deals(grid, match_columns(grid, pipeline), pipeline)


@pytest.mark.parametrize(
    ("blocks", "sums_row"),
    [([(2, 3, 2, 3)], 2), ([(4, 2, 4, 3)], 4)],
    ids=["under-header", "at-end"],
)
def test_subtotal_row_is_no_deal(
    english_pipeline: Pipeline, blocks: list[tuple[int, int, int, int]], sums_row: int
) -> None:
    sums: list[CellValue] = [None, None, None, 300]
    if sums_row == 4:
        sums = [None, None, 2, 300]
    deal_rows: list[list[CellValue]] = [
        ["D-1", "Acme", "Lead", 100],
        ["D-2", "Birch", "Lead", 200],
    ]
    rows = [*deal_rows, sums] if sums_row == 4 else [sums, *deal_rows]

    deals, findings = read_with_subtotals(
        english_pipeline, blocks, ["Deal ID", "Account", "Stage", "Amount"], *rows
    )

    assert [deal.deal_id for deal in deals] == ["D-1", "D-2"]
    assert codes_of(findings) == [(sums_row, Code.TOTALS_ROW)]
    assert findings[0].value == str(sums[2] or sums[3])


@pytest.mark.parametrize(
    "row",
    [[None, "Filtered", None, 300], ["D-3", None, None, 300]],
    ids=["with-label", "with-id"],
)
def test_subtotal_with_other_cells_is_deal(
    english_pipeline: Pipeline, row: list[CellValue]
) -> None:
    deals, findings = read_with_subtotals(
        english_pipeline,
        [(2, 3, 2, 3)],
        ["Deal ID", "Account", "Stage", "Amount"],
        row,
    )

    assert [deal.row for deal in deals] == [2]
    assert Code.TOTALS_ROW not in [finding.code for finding in findings]


def test_amounts_with_fractions_and_zeros(english_pipeline: Pipeline) -> None:
    cells: list[CellValue] = [0, -0.0, 0.25, 0.25]
    rows = [[f"D-{index}", "Lead", cell] for index, cell in enumerate(cells)]
    deals, findings = read(english_pipeline, ["Deal ID", "Stage", "Amount"], *rows)
    amounts = [deal.values["amount"] for deal in deals]

    assert amounts == [0.0, 0.0, 0.25, 0.25]
    assert findings == []
    # -0.0 equals the 0 above it, but it is parsed as a cell of its own.
    assert math.copysign(1.0, amounts[0]) == 1.0
    assert math.copysign(1.0, amounts[1]) == -1.0


@pytest.mark.parametrize(
    "rows",
    [
        [["D-1", "Lead", None, None], ["D-2", "Lead", 5, None]],
        [["D-1", "Lead"], ["D-2", "Lead", 5]],
    ],
    ids=["rows-of-one-length", "short-rows"],
)
def test_row_lengths_read_alike(
    english_pipeline: Pipeline, rows: list[list[CellValue]]
) -> None:
    deals, findings = read(
        english_pipeline, ["Deal ID", "Stage", "Amount", "Lead Source"], *rows
    )

    assert [(deal.row, deal.deal_id) for deal in deals] == [(2, "D-1"), (3, "D-2")]
    assert [dict(deal.values) for deal in deals] == [
        {"id": "D-1", "stage": "Lead"},
        {"id": "D-2", "stage": "Lead", "amount": 5.0},
    ]
    assert [deal.raw.get("source") for deal in deals] == [None, None]
    assert findings == []


@pytest.mark.parametrize(
    "stage", ["Lead", True, 1.5], ids=["text-stages", "true-stage", "number-stage"]
)
def test_totals_row_below_stage_kinds(
    english_pipeline: Pipeline, stage: CellValue
) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Stage", "Amount"],
        ["D-1", "Lead", 5],
        ["D-2", stage, 5],
        ["Total", None, 10],
    )

    assert [deal.deal_id for deal in deals] == ["D-1", "D-2"]
    assert (4, Code.TOTALS_ROW) in codes_of(findings)
    assert [finding.value for finding in findings if finding.row == 4] == ["Total"]


# Totals labels by their words


@pytest.mark.parametrize(
    "label",
    ["Total (USD)", "Total EMEA", "Σ", "Gesamt", "Summe", "Totaal", "Somme", "合计"],
)
@pytest.mark.parametrize("column", [0, 1], ids=["in-id", "in-account"])
def test_totals_word_label_is_no_deal(
    english_pipeline: Pipeline, label: str, column: int
) -> None:
    totals: list[CellValue] = [None, None, None, 300]
    totals[column] = label

    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Account", "Stage", "Amount"],
        ["D-1", "Acme", "Lead", 100],
        ["D-2", "Birch", "Lead", 200],
        totals,
    )

    assert [deal.deal_id for deal in deals] == ["D-1", "D-2"]
    assert codes_of(findings) == [(4, Code.TOTALS_ROW)]
    assert findings[0].value == label


# The labels Excel's Data > Subtotal writes in other languages, pasted as
# values with the group's sum: the function name after the group, or the
# grand total.
SUBTOTAL_LABELS = [
    "Ann 集計",
    "総計",
    "Ann 平均",
    "Ann 個数",
    "全体の平均",
    "Ann Итог",
    "Общий итог",
    "Ann Количество",
    "Ann 计数",
    "Ann 平均值",
    "Ann 最大值",
    "Ann 求和",
    "Ann Anzahl",
    "Ann Mittelwert",
    "Ann Moyenne",
    "Ann Nombre",
    "Ann Promedio",
    "Ann Cuenta",
    "Ann Máx",
    "요약",
    "Ann 평균",
    "Toplam",
    "Genel Toplam",
    "Totalsumma",
    "Ann Antal",
    "Ann Result",
]


@pytest.mark.parametrize("label", SUBTOTAL_LABELS)
def test_subtotal_label_in_other_language(
    english_pipeline: Pipeline, label: str
) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Account", "Owner", "Stage", "Amount"],
        ["D-1", "Acme", "Ann", "Lead", 100],
        [None, None, label, None, 100],
    )

    assert [deal.deal_id for deal in deals] == ["D-1"]
    assert codes_of(findings) == [(3, Code.TOTALS_ROW)]


@pytest.mark.parametrize("label", SUBTOTAL_LABELS)
def test_subtotal_label_without_number(english_pipeline: Pipeline, label: str) -> None:
    # A count or average of a text column may leave no number in the row.
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Account", "Owner", "Stage", "Amount"],
        ["D-1", "Acme", "Ann", "Lead", 100],
        [None, None, label, None, None],
    )

    assert [deal.deal_id for deal in deals] == ["D-1"]
    assert codes_of(findings) == [(3, Code.TOTALS_ROW)]


@pytest.mark.parametrize(
    "row",
    [
        ["TG-1", "Total Gym Supplies", None, 300],
        [None, "Total Gym Supplies", None, None],
        ["SUM-2024-001", "Acme", None, 300],
        [None, "Total Gym Supplies", "Lead", 300],
        [None, "Cuenta Bancaria SA", "Lead", 300],
        [None, "Cuenta Bancaria SA", None, 300],
        [None, "Acme Media", None, 300],
        [None, "平均", None, 300],
    ],
    ids=[
        "with-id",
        "without-number",
        "id-with-word",
        "with-stage",
        "function-word-first-with-stage",
        "function-word-first",
        "italian-average-word",
        "function-word-alone",
    ],
)
def test_company_named_total_stays_deal(
    english_pipeline: Pipeline, row: list[CellValue]
) -> None:
    deals, findings = read(
        english_pipeline, ["Deal ID", "Account", "Stage", "Amount"], row
    )

    assert len(deals) == 1
    assert Code.TOTALS_ROW not in [finding.code for finding in findings]


def test_stage_with_totals_word_stays_deal(english_pipeline: Pipeline) -> None:
    stages = [*english_pipeline.stages, Stage(name="Sum up", probability=0.9)]
    pipeline = english_pipeline.model_copy(update={"stages": stages})

    deals, findings = read(
        pipeline, ["Deal ID", "Stage", "Amount"], [None, "Sum up", 300]
    )

    assert [deal.stage.name if deal.stage else None for deal in deals] == ["Sum up"]
    assert Code.TOTALS_ROW not in [finding.code for finding in findings]


# Data > Subtotal rows with SUBTOTAL or AGGREGATE formulas


def read_with_aggregates(
    pipeline: Pipeline, blocks: list[tuple[int, int, int, int]], *rows: list[CellValue]
) -> tuple[list[Deal], list[Finding]]:
    grid = SheetGrid(
        "Pipeline.xlsx",
        "Deals",
        list(rows),
        subtotal_formulas=blocks,
        aggregate_formulas=blocks,
    )
    return read_deals(grid, match_columns(grid, pipeline), pipeline)


@pytest.mark.parametrize(
    "function", ["Count", "Total", "Average", "Max", "Min", "CountA", "Zählen"]
)
@pytest.mark.parametrize("ids", [["S-1", "S-2"], [1, 2]], ids=["text-ids", "numbers"])
def test_subtotal_counting_ids_is_no_deal(
    english_pipeline: Pipeline, function: str, ids: list[CellValue]
) -> None:
    # The SUBTOTAL in A4 counts the two IDs, and A7 all four: 2 and 4 are
    # numeric IDs of real deals too.
    deals, findings = read_with_aggregates(
        english_pipeline,
        [(4, 0, 4, 0), (7, 0, 7, 0)],
        ["Deal ID", "Account", "Stage", "Amount"],
        [ids[0], "Acme", "Lead", 100],
        [ids[1], "Birch", "Lead", 200],
        [2, None, f"Lead {function}", None],
        [3, "Cobalt", "Demo", 300],
        [4, "Dune", "Demo", 400],
        [4, None, f"Grand {function}", None],
    )

    assert [deal.row for deal in deals] == [2, 3, 5, 6]
    assert codes_of(findings) == [(4, Code.TOTALS_ROW), (7, Code.TOTALS_ROW)]
    assert [finding.value for finding in findings] == [
        f"Lead {function}",
        f"Grand {function}",
    ]


def test_visible_row_numbers_keep_deals(english_pipeline: Pipeline) -> None:
    deals, findings = read_with_aggregates(
        english_pipeline,
        [(2, 3, 4, 3)],
        ["Deal ID", "Account", "Stage", "Row"],
        ["D-1", "Acme", "Lead", 1],
        ["D-2", "Birch", "Lead", 2],
        ["D-3", "Cobalt", "Demo", 3],
    )

    assert [deal.deal_id for deal in deals] == ["D-1", "D-2", "D-3"]
    assert findings == []


@pytest.mark.parametrize(
    ("row", "is_deal"),
    [
        ([2, None, "Lead Count", None], False),
        ([2, None, "Lead Count", 300], False),
        ([2, "Acme", "Lead Count", 300], True),
        (["S-2", None, "Lead Count", None], True),
        ([2, None, "Total EMEA", 300], True),
    ],
    ids=["count", "count-and-sum", "with-account", "text-id", "label-not-last"],
)
def test_counted_ids_without_formulas(
    english_pipeline: Pipeline, row: list[CellValue], is_deal: bool
) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Account", "Stage", "Amount"],
        [1, "Acme", "Lead", 100],
        row,
    )

    assert len(deals) == (2 if is_deal else 1)
    assert ((3, Code.TOTALS_ROW) in codes_of(findings)) is not is_deal


@pytest.mark.parametrize("locale", [Locale.EN, Locale.ZH_CN])
def test_totals_label_stage_not_aliased(
    english_pipeline: Pipeline, locale: Locale
) -> None:
    deals, findings = read(
        english_pipeline,
        ["Deal ID", "Account", "Stage", "Amount"],
        ["S-2", None, "Closed Won Count", 2],
    )

    assert len(deals) == 1
    [finding] = findings
    assert finding.code is Code.UNKNOWN_STAGE
    message = render_message(finding, locale)
    assert "Closed Won Count" in message
    assert "alias" not in message
    if locale is Locale.EN:
        assert message == (
            "Stage 'Closed Won Count' is not a stage of this pipeline but the "
            "label of a totals or subtotal row, and such a row has no deal ID "
            "of its own. If this row is one, clear its deal ID cell; if it is "
            "a deal, type its stage, one of: Lead, Qualified, Demo, Proposal, "
            "Negotiation, Closed Won, Closed Lost."
        )
