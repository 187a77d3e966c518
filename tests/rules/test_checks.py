from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping

import pytest

from config.models import (
    AllowedFromTab,
    AllowedValues,
    FollowupPolicy,
    Locale,
    MetricsSettings,
    Outcome,
    Pipeline,
    Stage,
)
from rules.checks import CheckContext, check_deals, columns_of, group_by_stage
from rules.deals import ColumnMap, Deal
from rules.findings import Code, Finding, Severity, join_items
from rules.grid import CellValue
from rules.messages import render_message
from tests.rules.builders import AS_OF, build_columns, build_deal, build_pipeline

PIPELINE = build_pipeline()
COLUMNS = build_columns(PIPELINE)
NEXT_WEEK = AS_OF + dt.timedelta(days=7)
PRODUCTS = ["GTX Basic", "GTX Plus", "GTX Pro", "MG Advanced"]


def run_checks(
    deals: list[Deal],
    pipeline: Pipeline = PIPELINE,
    columns: ColumnMap = COLUMNS,
    allowed: Mapping[str, Collection[str]] | None = None,
) -> list[Finding]:
    return check_deals(deals, columns, pipeline, allowed or {}, AS_OF)


def codes_of(findings: list[Finding]) -> list[tuple[int | None, Code]]:
    return [(finding.row, finding.code) for finding in findings]


def lead(row: int, deal_id: str | None = None, **cells: CellValue) -> Deal:
    """Return a Lead deal with a next step next week, plus ``cells``."""
    filled: dict[str, CellValue] = {"next_step_date": NEXT_WEEK, **cells}
    return build_deal(PIPELINE, row, deal_id or f"D-{row}", "Lead", **filled)


# duplicate-id


def test_duplicate_id_flags_every_sharing_row() -> None:
    deals = [lead(4, "D-1"), lead(5, "D-2"), lead(6, " D-1 "), lead(7, "D-1")]

    findings = run_checks(deals)

    assert codes_of(findings) == [
        (4, Code.DUPLICATE_ID),
        (6, Code.DUPLICATE_ID),
        (7, Code.DUPLICATE_ID),
    ]
    assert findings[0].params == {"rows": "6, 7", "count": "3"}
    assert findings[1].params == {"rows": "4, 7", "count": "3"}
    assert findings[0].severity is Severity.ERROR


@pytest.mark.parametrize(
    "copy",
    ["D-1\u200f", "\u200eD-1", "D-1\u2069", "\ufeffD-1", "D-1\u200b"],
    ids=["rtl-mark", "ltr-mark", "isolate", "byte-order-mark", "zero-width-space"],
)
def test_duplicate_id_ignores_invisible_marks(copy: str) -> None:
    findings = run_checks([lead(4, "D-1"), lead(5, copy)])

    assert codes_of(findings) == [(4, Code.DUPLICATE_ID), (5, Code.DUPLICATE_ID)]
    assert findings[1].value == copy


def long_number_id(row: int, cell: CellValue, deal_id: str) -> Deal:
    """Return a Lead deal whose ID cell is ``cell``, read as ``deal_id``."""
    return build_deal(
        PIPELINE, row, deal_id, "Lead", raw={"id": cell}, next_step_date=NEXT_WEEK
    )


def test_duplicate_long_number_names_digit_limit() -> None:
    # Two 18-digit IDs, 123456789012345678 and ...680, read as one float.
    deals = [
        long_number_id(row, 1.2345678901234568e17, "123456789012345696")
        for row in (4, 5)
    ]

    findings = run_checks(deals)

    assert codes_of(findings) == [(4, Code.DUPLICATE_ID), (5, Code.DUPLICATE_ID)]
    assert findings[0].params == {
        "rows": "5",
        "count": "2",
        "significant_digits": "15",
        "full_number": "123456789012345696",
    }
    assert findings[0].value == "1.23456789012346E+17"
    assert findings[0].deal_id == "123456789012345696"
    assert findings[1].params["significant_digits"] == "15"


def test_duplicate_text_id_has_no_full_number() -> None:
    # The text cell shows the same digits as its ID, and only the number cell
    # shows in exponent form.
    deals = [
        long_number_id(4, "123456789012345696", "123456789012345696"),
        long_number_id(5, 1.2345678901234568e17, "123456789012345696"),
    ]

    findings = run_checks(deals)

    assert codes_of(findings) == [(4, Code.DUPLICATE_ID), (5, Code.DUPLICATE_ID)]
    assert "full_number" not in findings[0].params
    assert findings[1].params["full_number"] == "123456789012345696"


@pytest.mark.parametrize(
    ("cell", "deal_id"),
    [
        ("123456789012345678", "123456789012345678"),
        (100000000000001, "100000000000001"),
        (999999999999999.0, "999999999999999"),
    ],
    ids=["eighteen-digit-text", "fifteen-digit-int", "fifteen-digit-float"],
)
def test_duplicate_id_digit_limit_only_long_numbers(
    cell: CellValue, deal_id: str
) -> None:
    deals = [long_number_id(row, cell, deal_id) for row in (4, 5)]

    findings = run_checks(deals)

    assert codes_of(findings) == [(4, Code.DUPLICATE_ID), (5, Code.DUPLICATE_ID)]
    assert "significant_digits" not in findings[0].params


def test_ids_differing_in_case_are_lookalikes_not_duplicates() -> None:
    findings = run_checks([lead(4, "D-1"), lead(5, "d-1"), lead(6, "D-2")])

    assert codes_of(findings) == [(4, Code.LOOKALIKE_ID), (5, Code.LOOKALIKE_ID)]
    assert findings[0].severity is Severity.WARNING
    assert render_message(findings[0], Locale.EN) == (
        "Deal ID 'D-1' looks like 'd-1' on row 5: they differ only in case, "
        "character width or the kind of dash, so pipesheet counts them as "
        "separate deals, each with its own stage history. If they are one deal, "
        "type its ID the same way; if not, give them IDs that differ more."
    )


@pytest.mark.parametrize(
    "lookalike",
    ["\uff24-1", "D\u20101", "D\u2013 1", "d - 1"],
    ids=["full-width", "unicode-hyphen", "en-dash-space", "spaces"],
)
def test_lookalike_ids_beyond_case(lookalike: str) -> None:
    findings = run_checks([lead(4, "D-1"), lead(5, lookalike), lead(6, "D-1")])

    lookalikes = [f for f in findings if f.code is Code.LOOKALIKE_ID]
    assert [f.row for f in lookalikes] == [4, 5, 6]
    assert lookalikes[1].params == {"rows": "4, 6", "others": "'D-1'"}


@pytest.mark.parametrize(
    "ids",
    [["D-1", "D-2", "D-10"], ["d-1", "d-2"], ["A 1", "A 2"], ["Ａ-1", "Ａ-2"]],
    ids=["upper", "lower", "spaces", "full-width"],
)
def test_distinct_ids_are_no_lookalikes(ids: list[str]) -> None:
    deals = [lead(row, deal_id) for row, deal_id in enumerate(ids, start=4)]

    assert run_checks(deals) == []


def test_duplicate_id_ignores_blank_ids() -> None:
    deals = [lead(4, "D-4"), lead(5, "  "), lead(6, "D-6")]

    findings = run_checks(deals)

    assert findings == []


# missing-required


@pytest.mark.parametrize(
    "blank",
    [None, "", "   ", "\u200f", " \ufeff ", "\u00ad\u2066\u2069"],
    ids=["none", "empty", "spaces", "rtl-mark", "byte-order-mark", "soft-hyphen"],
)
def test_missing_required_flags_blank_field(blank: str | None) -> None:
    deal = build_deal(
        PIPELINE, 8, "D-8", "Qualified", account=blank, next_step_date=NEXT_WEEK
    )

    findings = run_checks([deal])

    assert findings == [
        Finding(
            code=Code.MISSING_REQUIRED,
            severity=Severity.ERROR,
            row=8,
            column="Account",
            value=None,
            deal_id="D-8",
            field="account",
            params={"stage": "Qualified"},
        )
    ]


def test_missing_required_lists_each_blank_field() -> None:
    deal = build_deal(PIPELINE, 9, "D-9", "Proposal", next_step_date=NEXT_WEEK)

    findings = run_checks([deal])

    assert [finding.field for finding in findings] == [
        "account",
        "amount",
        "close_date",
    ]


def test_missing_required_skips_unreadable_cell() -> None:
    deal = build_deal(
        PIPELINE,
        9,
        "D-9",
        "Closed Won",
        raw={"amount": "about 5k"},
        close_date=dt.date(2025, 9, 1),
    )

    findings = run_checks([deal])

    assert findings == []


def test_missing_required_skips_column_absent_from_sheet() -> None:
    columns = build_columns(PIPELINE, missing=("account",))
    deal = build_deal(PIPELINE, 8, "D-8", "Qualified", next_step_date=NEXT_WEEK)

    findings = run_checks([deal], columns=columns)

    assert findings == []


def test_missing_required_skips_unknown_stage() -> None:
    deal = build_deal(PIPELINE, 8, "D-8", None, raw={"stage": "Pilot"})

    findings = run_checks([deal])

    assert findings == []


# unknown-value


def test_unknown_value_suggests_nearest_allowed() -> None:
    deal = lead(10, product="GTXPro")

    findings = run_checks([deal], allowed={"product": PRODUCTS})

    assert findings == [
        Finding(
            code=Code.UNKNOWN_VALUE,
            severity=Severity.ERROR,
            row=10,
            column="Product",
            value="GTXPro",
            deal_id="D-10",
            field="product",
            params={
                "choices": join_items(PRODUCTS),
                "choice_count": "4",
                "suggestion": "GTX Pro",
            },
        )
    ]


@pytest.mark.parametrize(
    "typed",
    [
        "GTX Pro",
        "gtx pro",
        " GTX\u00a0 Pro ",
        "GTX\tPro",
        "ＧＴＸ Ｐｒｏ",
        "GTX\u200b Pro",
        "GTX Pro\u200f",
        "\u2067GTX Pro\u2069",
    ],
    ids=[
        "exact",
        "other-case",
        "nbsp-and-spaces",
        "tab",
        "full-width",
        "zero-width",
        "rtl-mark",
        "rtl-isolate",
    ],
)
def test_unknown_value_accepts_normalised_match(typed: str) -> None:
    findings = run_checks([lead(10, product=typed)], allowed={"product": PRODUCTS})

    assert findings == []


@pytest.mark.parametrize(
    ("typed", "ignore_case"),
    [
        ("王\u3000芳", True),
        ("王 芳", True),
        ("王\u3000芳", False),
        ("Ana  Lima", True),
        ("ANALIMA", True),
        ("Ana\u3000Lima", False),
    ],
    ids=[
        "ideographic-space",
        "ascii-space",
        "case-sensitive-list",
        "double-space",
        "no-space",
        "case-sensitive-ideographic",
    ],
)
def test_unknown_owner_ignores_every_space(typed: str, ignore_case: bool) -> None:
    owners = ["王芳", "Ana Lima"]
    pipeline = build_pipeline(
        allowed={"owner": AllowedValues(values=owners, ignore_case=ignore_case)}
    )
    deal = build_deal(
        pipeline, 10, "D-10", "Lead", owner=typed, next_step_date=NEXT_WEEK
    )

    findings = run_checks([deal], pipeline=pipeline, allowed={"owner": owners})

    assert findings == []


def test_unknown_value_keeps_spaces_in_other_fields() -> None:
    allowed = ["线上 广告", "展会"]

    findings = run_checks([lead(10, product="线上广告")], allowed={"product": allowed})

    assert codes_of(findings) == [(10, Code.UNKNOWN_VALUE)]


def test_unknown_value_quotes_list_without_marks() -> None:
    allowed = ["GTX Pro\u200f", "\u200eMG Advanced", "\u200f"]

    findings = run_checks([lead(10, product="GTXPro")], allowed={"product": allowed})

    assert codes_of(findings) == [(10, Code.UNKNOWN_VALUE)]
    assert findings[0].params == {
        "choices": join_items(["GTX Pro", "MG Advanced"]),
        "choice_count": "2",
        "suggestion": "GTX Pro",
    }


@pytest.mark.parametrize(
    ("typed", "allowed", "suggestion"),
    [
        ("GTXPro", PRODUCTS, "GTX Pro"),
        ("gtx-pro", PRODUCTS, "GTX Pro"),
        ("G.T.X. Pro", PRODUCTS, "GTX Pro"),
        ("Acme Inc", ["Acme, Inc.", "Beta"], "Acme, Inc."),
        ("MG Advancd", PRODUCTS, "MG Advanced"),
        ("MG Advnaced", PRODUCTS, "MG Advanced"),
        ("Northwind Trader", ["Northwind Traders", "Beta"], "Northwind Traders"),
    ],
    ids=[
        "space-dropped",
        "hyphen",
        "points",
        "comma-and-point",
        "long-letter-dropped",
        "long-letters-swapped",
        "long-letter-added",
    ],
)
def test_unknown_value_suggests_spelling_variant(
    typed: str, allowed: list[str], suggestion: str
) -> None:
    findings = run_checks([lead(10, product=typed)], allowed={"product": allowed})

    assert codes_of(findings) == [(10, Code.UNKNOWN_VALUE)]
    assert findings[0].params.get("suggestion") == suggestion


@pytest.mark.parametrize(
    ("typed", "allowed"),
    [
        ("Delta", ["Acme", "Beta"]),
        ("Bela", ["Acme", "Beta"]),
        ("Dan", ["Dana", "Ben"]),
        ("Model 5 Plus", ["Model 3 Plus"]),
        ("Jon Smith", ["Jan Smith", "Jon Smyth"]),
        ("--", ["-", "Acme"]),
    ],
    ids=[
        "two-edits-short",
        "one-edit-short",
        "one-letter-added-short",
        "digit-differs",
        "two-equally-close",
        "no-letters",
    ],
)
def test_unknown_value_suggests_no_other_name(typed: str, allowed: list[str]) -> None:
    findings = run_checks([lead(10, product=typed)], allowed={"product": allowed})

    assert codes_of(findings) == [(10, Code.UNKNOWN_VALUE)]
    assert "suggestion" not in findings[0].params


def test_unknown_value_respects_case_when_asked() -> None:
    pipeline = build_pipeline(
        allowed={"product": AllowedValues(values=PRODUCTS, ignore_case=False)}
    )
    deal = build_deal(
        pipeline, 10, "D-10", "Lead", product="gtx pro", next_step_date=NEXT_WEEK
    )

    findings = run_checks([deal], pipeline=pipeline, allowed={"product": PRODUCTS})

    assert codes_of(findings) == [(10, Code.UNKNOWN_VALUE)]
    assert findings[0].params["suggestion"] == "GTX Pro"


def test_unknown_value_without_close_match_lists_choices() -> None:
    owners = [f"Rep {number}" for number in range(1, 11)]

    findings = run_checks([lead(10, owner="Zhang Wei")], allowed={"owner": owners})

    assert findings[0].params == {
        "choices": join_items([*owners[:8], "…"]),
        "choice_count": "10",
    }


def test_unknown_value_names_list_tab() -> None:
    source = AllowedFromTab(tab="Lists", column="Product")
    pipeline = build_pipeline(allowed={"product": AllowedValues(from_tab=source)})
    deal = build_deal(
        pipeline, 10, "D-10", "Lead", product="GTXPro", next_step_date=NEXT_WEEK
    )

    findings = run_checks([deal], pipeline=pipeline, allowed={"product": PRODUCTS})

    assert findings[0].params["list_tab"] == "Lists"
    assert findings[0].params["list_column"] == "Product"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (
            "Delta",
            (
                "Account 'Delta' is not in the allowed list (column 'Account' of tab "
                "'Lists'); use one of: Acme, Beta, or add it to that list."
            ),
        ),
        (
            "BETA",
            (
                "Account 'BETA' is not in the allowed list (column 'Account' of tab "
                "'Lists'); did you mean 'Beta'? If not, add it to that list."
            ),
        ),
    ],
    ids=["other-name", "other-case"],
)
def test_unknown_value_from_tab_message(typed: str, expected: str) -> None:
    source = AllowedFromTab(tab="Lists", column="Account")
    spec = AllowedValues(from_tab=source, ignore_case=False)
    pipeline = build_pipeline(allowed={"account": spec})
    deal = build_deal(
        pipeline, 10, "D-10", "Lead", account=typed, next_step_date=NEXT_WEEK
    )

    findings = run_checks(
        [deal], pipeline=pipeline, allowed={"account": ["Acme", "Beta"]}
    )

    assert codes_of(findings) == [(10, Code.UNKNOWN_VALUE)]
    assert render_message(findings[0], Locale.EN) == expected


# The loader rejects 'values: []' but accepts a definition's list whose items
# are all blank, which is empty once the checks drop blank and invisible text.
@pytest.mark.parametrize(
    ("spec", "listed", "source"),
    [
        (
            AllowedValues(from_tab=AllowedFromTab(tab="Lists", column="Product")),
            [],
            (
                "(column 'Product' of tab 'Lists'), which is empty; add the value to "
                "that column."
            ),
        ),
        (
            AllowedValues(values=["  ", "\u200b"]),
            ["  ", "\u200b"],
            (
                "(allowed.product.values in the pipeline definition), which is "
                "empty; add the value to that list."
            ),
        ),
    ],
    ids=["tab-column", "blank-definition-values"],
)
def test_empty_allowed_list_named(
    spec: AllowedValues, listed: list[str], source: str
) -> None:
    pipeline = build_pipeline(allowed={"product": spec})
    deal = build_deal(
        pipeline, 10, "D-10", "Lead", product="GTX Pro", next_step_date=NEXT_WEEK
    )

    findings = run_checks([deal], pipeline=pipeline, allowed={"product": listed})

    assert codes_of(findings) == [(10, Code.UNKNOWN_VALUE)]
    assert render_message(findings[0], Locale.EN) == (
        f"Product 'GTX Pro' is not in the allowed list {source}"
    )


@pytest.mark.parametrize("product", [None, "  "], ids=["none", "spaces"])
def test_unknown_value_skips_blank_cell(product: str | None) -> None:
    findings = run_checks([lead(10, product=product)], allowed={"product": PRODUCTS})

    assert findings == []


def test_unknown_value_checks_unknown_stage_deals() -> None:
    deal = build_deal(PIPELINE, 10, "D-10", None, product="GTXPro")

    findings = run_checks([deal], allowed={"product": PRODUCTS})

    assert codes_of(findings) == [(10, Code.UNKNOWN_VALUE)]


def test_unknown_value_skips_stage_field() -> None:
    findings = run_checks([lead(10)], allowed={"stage": ["Qualified"]})

    assert findings == []


# close-before-created


@pytest.mark.parametrize(
    ("stage", "created", "close_date", "expected"),
    [
        ("Closed Won", dt.date(2025, 9, 5), dt.date(2025, 9, 1), [40]),
        ("Lead", dt.date(2025, 9, 5), dt.date(2025, 9, 4), [40]),
        (None, dt.date(2025, 9, 5), dt.date(2025, 9, 4), [40]),
        ("Closed Won", dt.date(2025, 9, 5), dt.date(2025, 9, 5), []),
        ("Closed Won", dt.date(2025, 9, 5), None, []),
        ("Closed Won", None, dt.date(2025, 9, 1), []),
    ],
    ids=["won", "open", "unknown-stage", "same-day", "no-close", "no-created"],
)
def test_close_before_created_flagged(
    stage: str | None,
    created: dt.date | None,
    close_date: dt.date | None,
    expected: list[int],
) -> None:
    deal = build_deal(
        PIPELINE, 40, "D-40", stage, created_date=created, close_date=close_date
    )

    findings = run_checks([deal])

    rows = [f.row for f in findings if f.code is Code.CLOSE_BEFORE_CREATED]
    assert rows == expected


def test_close_before_created_names_both_cells() -> None:
    deal = build_deal(
        PIPELINE,
        40,
        "D-40",
        "Closed Won",
        amount=100,
        created_date=dt.date(2025, 9, 5),
        close_date=dt.date(2025, 9, 1),
    )

    findings = run_checks([deal])

    assert findings == [
        Finding(
            code=Code.CLOSE_BEFORE_CREATED,
            severity=Severity.ERROR,
            row=40,
            column="Expected Close",
            value="2025-09-01",
            deal_id="D-40",
            field="close_date",
            params={"created_column": "Created", "created": "2025-09-05"},
        )
    ]


def test_close_before_created_needs_both_columns() -> None:
    columns = build_columns(PIPELINE, missing=("created_date",))
    deal = build_deal(
        PIPELINE,
        40,
        "D-40",
        "Closed Lost",
        lost_reason="Price",
        created_date=dt.date(2025, 9, 30),
        close_date=dt.date(2025, 9, 1),
    )

    findings = run_checks([deal], columns=columns)

    assert findings == []


# date-in-future


def test_future_created_and_entered_dates_warn() -> None:
    deal = lead(
        8,
        created_date=dt.date(2025, 9, 10),
        stage_entered_date=dt.date(2025, 10, 1),
    )

    findings = run_checks([deal])

    assert findings == [
        Finding(
            code=Code.DATE_IN_FUTURE,
            severity=Severity.WARNING,
            row=8,
            column="Created",
            value="2025-09-10",
            deal_id="D-8",
            field="created_date",
            params={"today": "2025-09-09"},
        ),
        Finding(
            code=Code.DATE_IN_FUTURE,
            severity=Severity.WARNING,
            row=8,
            column="Stage Entered",
            value="2025-10-01",
            deal_id="D-8",
            field="stage_entered_date",
            params={"today": "2025-09-09"},
        ),
    ]
    assert render_message(findings[0], Locale.EN) == (
        "Created 2025-09-10 is after today (2025-09-09), so it cannot have happened "
        "yet; correct the date."
    )


@pytest.mark.parametrize("stage", ["Closed Won", "Closed Lost"], ids=["won", "lost"])
def test_future_close_of_closed_deal_warns(stage: str) -> None:
    deal = build_deal(
        PIPELINE,
        9,
        "D-9",
        stage,
        amount=100,
        lost_reason="Price",
        close_date=dt.date(2025, 9, 10),
    )

    findings = run_checks([deal])

    assert codes_of(findings) == [(9, Code.DATE_IN_FUTURE)]
    assert findings[0].field == "close_date"
    assert findings[0].params == {"today": "2025-09-09", "stage": stage}


def test_future_close_names_win_rate_period() -> None:
    pipeline = PIPELINE.model_copy(
        update={"metrics": MetricsSettings(win_rate_days=30)}
    )
    deal = build_deal(
        pipeline,
        9,
        "D-9",
        "Closed Lost",
        lost_reason="Price",
        close_date=dt.date(2025, 9, 10),
    )

    findings = run_checks([deal], pipeline)

    assert codes_of(findings) == [(9, Code.DATE_IN_FUTURE)]
    assert render_message(findings[0], Locale.EN) == (
        "Expected Close 2025-09-10 is after today (2025-09-09), but the deal is "
        "already in the closed stage 'Closed Lost'; correct the date. Until then "
        "the deal is left out of the average cycle and of the win rates of the "
        "last 30 days."
    )
    assert render_message(findings[0], Locale.ZH_CN) == (
        "Expected Close 2025-09-10 晚于今天（2025-09-09），但该商机已处于关闭阶段"
        "“Closed Lost”，请更正日期。更正前该商机不计入平均成交周期和最近 30 天的赢率。"
    )


def test_future_expected_close_of_open_deal_is_normal() -> None:
    deal = lead(10, close_date=dt.date(2025, 12, 1))

    assert run_checks([deal]) == []


def test_dates_on_today_are_not_future() -> None:
    closed = build_deal(
        PIPELINE, 11, "D-11", "Closed Won", amount=100, close_date=AS_OF
    )
    opened = lead(12, created_date=AS_OF, stage_entered_date=AS_OF)

    assert run_checks([closed, opened]) == []


# close-date-passed


@pytest.mark.parametrize(
    ("close_date", "expected"),
    [
        (AS_OF - dt.timedelta(days=3), [(11, Code.CLOSE_DATE_PASSED)]),
        (AS_OF, []),
        (AS_OF + dt.timedelta(days=1), []),
    ],
    ids=["past", "today", "future"],
)
def test_close_date_passed_on_open_deal(
    close_date: dt.date, expected: list[tuple[int, Code]]
) -> None:
    findings = run_checks([lead(11, close_date=close_date)])

    assert codes_of(findings) == expected


def test_close_date_passed_params_and_severity() -> None:
    findings = run_checks([lead(11, close_date=dt.date(2025, 9, 6))])

    assert findings[0].severity is Severity.WARNING
    assert findings[0].params == {"days": "3", "date": "2025-09-06"}
    assert findings[0].value == "2025-09-06"
    assert findings[0].column == "Expected Close"


def test_close_date_passed_skips_closed_deal() -> None:
    deal = build_deal(
        PIPELINE,
        11,
        "D-11",
        "Closed Won",
        close_date=dt.date(2025, 8, 1),
        amount=5000,
    )

    findings = run_checks([deal])

    assert findings == []


# values of findings on dates typed as text


def overdue_lead(typed: CellValue) -> Deal:
    """Return a Lead deal whose next-step cell ``typed`` was read as 2026-07-12."""
    return build_deal(
        PIPELINE,
        12,
        "D-12",
        "Lead",
        next_step_date=dt.date(2026, 7, 12),
        raw={"next_step_date": typed},
    )


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12/07/2026", "12/07/2026 → 2026-07-12"),
        (" 12/07/2026 ", "12/07/2026 → 2026-07-12"),
        ("2026-07-12", "2026-07-12"),
        ("12.7.2026 10:30", "12.7.2026 10:30 → 2026-07-12"),
        ("Jul 12, 2026", "2026-07-12"),
        (dt.datetime(2026, 7, 12, 9, 30), "2026-07-12"),
    ],
    ids=[
        "day-month-text",
        "spaces-around",
        "iso-text",
        "dotted-with-time",
        "month-name",
        "date-cell",
    ],
)
def test_date_finding_shows_typed_text(typed: CellValue, expected: str) -> None:
    findings = check_deals(
        [overdue_lead(typed)], COLUMNS, PIPELINE, {}, dt.date(2026, 12, 5)
    )

    assert codes_of(findings) == [(12, Code.FOLLOWUP_OVERDUE)]
    assert findings[0].value == expected
    assert findings[0].params["date"] == "2026-07-12"


def test_date_finding_skips_cells_of_fields_without_text() -> None:
    findings = check_deals(
        [overdue_lead("12/07/2026")],
        COLUMNS,
        PIPELINE,
        {},
        dt.date(2026, 12, 5),
        text_date_fields=frozenset({"close_date"}),
    )

    assert findings[0].value == "2026-07-12"


def test_close_before_created_shows_typed_close_date() -> None:
    deal = build_deal(
        PIPELINE,
        12,
        "D-12",
        "Closed Won",
        amount=5000,
        created_date=dt.date(2025, 8, 1),
        close_date=dt.date(2025, 7, 3),
        raw={"close_date": "03/07/2025"},
    )

    findings = run_checks([deal])

    assert codes_of(findings) == [(12, Code.CLOSE_BEFORE_CREATED)]
    assert findings[0].value == "03/07/2025 → 2025-07-03"


# follow-ups


def test_followup_overdue_counts_days() -> None:
    findings = run_checks([lead(12, next_step_date=dt.date(2025, 9, 4))])

    assert codes_of(findings) == [(12, Code.FOLLOWUP_OVERDUE)]
    assert findings[0].severity is Severity.WARNING
    assert findings[0].params == {"date": "2025-09-04", "days": "5"}
    assert findings[0].column == "Next Step Date"


@pytest.mark.parametrize(
    ("days_ahead", "expected"),
    [
        (0, [(12, Code.FOLLOWUP_DUE_SOON)]),
        (3, [(12, Code.FOLLOWUP_DUE_SOON)]),
        (4, []),
    ],
    ids=["today", "last-due-soon-day", "beyond-window"],
)
def test_followup_due_soon_window(
    days_ahead: int, expected: list[tuple[int, Code]]
) -> None:
    due = AS_OF + dt.timedelta(days=days_ahead)

    findings = run_checks([lead(12, next_step_date=due)])

    assert codes_of(findings) == expected


def test_followup_due_soon_params_and_severity() -> None:
    findings = run_checks([lead(12, next_step_date=dt.date(2025, 9, 11))])

    assert findings[0].severity is Severity.INFO
    assert findings[0].params == {"date": "2025-09-11", "days": "2"}


def test_no_next_step_on_open_deal() -> None:
    findings = run_checks([lead(13, next_step_date=None)])

    assert codes_of(findings) == [(13, Code.NO_NEXT_STEP)]
    assert findings[0].severity is Severity.WARNING
    assert findings[0].params == {"stage": "Lead"}


@pytest.mark.parametrize(
    ("stage_rule", "policy", "expected"),
    [
        (None, True, [(13, Code.NO_NEXT_STEP)]),
        (None, False, []),
        (True, False, [(13, Code.NO_NEXT_STEP)]),
        (False, True, []),
    ],
    ids=["policy-on", "policy-off", "stage-overrides-off", "stage-overrides-on"],
)
def test_no_next_step_follows_stage_then_policy(
    stage_rule: bool | None, policy: bool, expected: list[tuple[int, Code]]
) -> None:
    stages = [
        Stage(name="Lead", next_step_required=stage_rule),
        Stage(name="Won", outcome=Outcome.WON),
    ]
    pipeline = build_pipeline(
        stages, followups=FollowupPolicy(require_next_step_date=policy)
    )
    deal = build_deal(pipeline, 13, "D-13", "Lead")

    findings = run_checks([deal], pipeline=pipeline, columns=build_columns(pipeline))

    assert codes_of(findings) == expected


def test_no_next_step_skips_unreadable_date() -> None:
    deal = build_deal(PIPELINE, 13, "D-13", "Lead", raw={"next_step_date": "soon"})

    findings = run_checks([deal])

    assert findings == []


def test_no_next_step_skips_closed_deal() -> None:
    deal = build_deal(PIPELINE, 13, "D-13", "Closed Lost", lost_reason="Budget cut")

    findings = run_checks([deal])

    assert findings == []


@pytest.mark.parametrize(
    "next_step_date",
    [dt.date(2025, 9, 1), dt.date(2025, 9, 10), None],
    ids=["overdue", "due-soon", "missing"],
)
def test_followup_unchecked_without_date_column(
    next_step_date: dt.date | None,
) -> None:
    columns = build_columns(PIPELINE, missing=("next_step_date",))

    findings = run_checks([lead(14, next_step_date=next_step_date)], columns=columns)

    assert findings == []


@pytest.mark.parametrize(
    "next_step_date",
    [dt.date(2025, 9, 1), dt.date(2025, 9, 10), None],
    ids=["overdue", "due-soon", "missing"],
)
@pytest.mark.parametrize(
    "suppression",
    [
        {"snooze_until": AS_OF},
        {"snooze_until": dt.date(2025, 10, 1)},
        {"acknowledged": True},
    ],
    ids=["snoozed-until-today", "snoozed-later", "acknowledged"],
)
def test_followup_silenced_by_snooze_or_acknowledge(
    next_step_date: dt.date | None, suppression: dict[str, CellValue]
) -> None:
    deal = lead(15, next_step_date=next_step_date, **suppression)

    findings = run_checks([deal])

    assert findings == []


@pytest.mark.parametrize(
    "suppression",
    [{"snooze_until": dt.date(2025, 9, 8)}, {"acknowledged": False}],
    ids=["snooze-ended", "not-acknowledged"],
)
def test_followup_reported_after_snooze_ends(suppression: dict[str, CellValue]) -> None:
    deal = lead(15, next_step_date=dt.date(2025, 9, 1), **suppression)

    findings = run_checks([deal])

    assert codes_of(findings) == [(15, Code.FOLLOWUP_OVERDUE)]


# idle-in-stage


@pytest.mark.parametrize(
    ("days_in_stage", "expected"),
    [(15, [(16, Code.IDLE_IN_STAGE)]), (14, [])],
    ids=["over-limit", "at-limit"],
)
def test_idle_in_stage_after_limit(
    days_in_stage: int, expected: list[tuple[int, Code]]
) -> None:
    entered = AS_OF - dt.timedelta(days=days_in_stage)

    findings = run_checks([lead(16, stage_entered_date=entered)])

    assert codes_of(findings) == expected


def test_idle_in_stage_params_and_severity() -> None:
    findings = run_checks([lead(16, stage_entered_date=dt.date(2025, 8, 1))])

    assert findings[0].severity is Severity.WARNING
    assert findings[0].params == {"days": "39", "limit": "14", "stage": "Lead"}
    assert findings[0].column == "Stage Entered"


def test_idle_in_stage_needs_stage_limit() -> None:
    deal = build_deal(
        PIPELINE,
        16,
        "D-16",
        "Qualified",
        account="Acme",
        next_step_date=NEXT_WEEK,
        stage_entered_date=dt.date(2024, 1, 1),
    )

    findings = run_checks([deal])

    assert findings == []


def test_idle_in_stage_needs_mapped_column() -> None:
    columns = build_columns(PIPELINE, missing=("stage_entered_date",))
    deal = lead(16, stage_entered_date=dt.date(2025, 1, 1))

    findings = run_checks([deal], columns=columns)

    assert findings == []


# whole run


def test_findings_come_in_row_order() -> None:
    deals = [
        lead(30, next_step_date=dt.date(2025, 9, 1)),
        build_deal(PIPELINE, 20, "D-20", "Qualified", next_step_date=NEXT_WEEK),
        lead(25, "D-30"),
    ]

    findings = run_checks(deals)

    assert codes_of(findings) == [
        (20, Code.MISSING_REQUIRED),
        (25, Code.DUPLICATE_ID),
        (30, Code.DUPLICATE_ID),
        (30, Code.FOLLOWUP_OVERDUE),
    ]


def test_clean_deal_has_no_findings() -> None:
    deal = build_deal(
        PIPELINE,
        4,
        "D-4",
        "Proposal",
        account="Acme Tools",
        owner="Ana Lima",
        amount=12000,
        product="GTX Pro",
        close_date=dt.date(2025, 10, 1),
        next_step_date=NEXT_WEEK,
        stage_entered_date=dt.date(2025, 9, 1),
    )

    findings = run_checks([deal], allowed={"product": PRODUCTS})

    assert findings == []


def test_row_findings_keep_check_order() -> None:
    proposal = build_deal(
        PIPELINE,
        40,
        "D-40",
        "Proposal",
        owner="Ana Lima",
        amount=12000,
        product="GTXPro",
        source="Fax",
        close_date=dt.date(2025, 9, 1),
        next_step_date=dt.date(2025, 9, 2),
        stage_entered_date=dt.date(2025, 6, 1),
    )
    deals = [lead(41, product="Widget"), proposal, lead(39)]

    findings = run_checks(
        deals, allowed={"product": PRODUCTS, "source": ["Website", "Referral"]}
    )

    assert [(finding.row, finding.code, finding.field) for finding in findings] == [
        (40, Code.MISSING_REQUIRED, "account"),
        (40, Code.UNKNOWN_VALUE, "product"),
        (40, Code.UNKNOWN_VALUE, "source"),
        (40, Code.CLOSE_DATE_PASSED, "close_date"),
        (40, Code.FOLLOWUP_OVERDUE, "next_step_date"),
        (40, Code.IDLE_IN_STAGE, "stage_entered_date"),
        (41, Code.UNKNOWN_VALUE, "product"),
    ]


def test_findings_of_repeated_dates_share_params() -> None:
    due = dt.date(2025, 9, 1)
    deals = [lead(row, next_step_date=due) for row in (50, 51)]

    findings = run_checks(deals)

    assert findings[0].params == {"date": "2025-09-01", "days": "8"}
    assert findings[0].params is findings[1].params


# grouping by stage


def test_group_by_stage_reads_checked_fields() -> None:
    entered = dt.date(2025, 9, 1)
    deals = [lead(60, stage_entered_date=entered), lead(61, amount=5000), lead(62)]
    context = CheckContext(COLUMNS, PIPELINE, {}, AS_OF)

    (leads,) = group_by_stage(deals, context)

    assert leads.deals == deals
    assert leads.values["stage_entered_date"] == [entered, None, None]
    assert leads.values["next_step_date"] == [NEXT_WEEK, NEXT_WEEK, NEXT_WEEK]
    assert "amount" not in leads.values


def test_group_by_stage_keeps_sheet_order() -> None:
    deals = [lead(70), build_deal(PIPELINE, 71, "D-71", "Qualified"), lead(72)]
    context = CheckContext(COLUMNS, PIPELINE, {}, AS_OF)

    groups = group_by_stage(deals, context)

    assert [[deal.row for deal in group.deals] for group in groups] == [
        [70, 72],
        [71],
    ]


def test_columns_of_no_rows() -> None:
    context = CheckContext(COLUMNS, PIPELINE, {}, AS_OF)
    rules = context.rules_of(PIPELINE.stages[0])

    columns = columns_of([], rules)

    assert columns == {name: [] for name in rules.fields}
