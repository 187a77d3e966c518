from __future__ import annotations

import datetime as dt

import pytest

from config.models import Locale
from rules import messages
from rules.cell_numbers import DATE_NOT_NUMBER_TEXT
from rules.cell_problem import Reason
from rules.checks import check_deals
from rules.findings import Code, Finding, Severity, join_items
from rules.messages import (
    MESSAGES,
    REASONS,
    SHORT_MESSAGES,
    counted,
    render_message,
    render_messages,
    render_short,
    render_shorts,
)
from tests.rules.builders import AS_OF, build_columns, build_deal, build_pipeline

PIPELINE = build_pipeline()
COLUMNS = build_columns(PIPELINE)
PRODUCTS = ["GTX Basic", "GTX Pro", "MG Special"]
LOCALES = list(Locale)
LOCALE_IDS = [locale.value for locale in LOCALES]


def findings_from_checks() -> dict[Code, Finding]:
    """Return one finding of each code the row checks produce, made by the checks."""
    deals = [
        build_deal(PIPELINE, 4, "D-4", "Qualified", product="GTXPro"),
        build_deal(PIPELINE, 5, "D-4", "Lead", next_step_date=dt.date(2025, 9, 4)),
        build_deal(PIPELINE, 6, "D-6", "Lead", next_step_date=dt.date(2025, 9, 11)),
        build_deal(
            PIPELINE,
            7,
            "D-7",
            "Lead",
            created_date=dt.date(2025, 9, 5),
            close_date=dt.date(2025, 9, 1),
            stage_entered_date=dt.date(2025, 8, 1),
            next_step_date=dt.date(2025, 9, 30),
        ),
        build_deal(
            PIPELINE,
            8,
            "D-8",
            "Closed Won",
            amount=100,
            created_date=dt.date(2025, 9, 1),
            close_date=dt.date(2025, 9, 20),
        ),
        build_deal(PIPELINE, 9, "d-6", "Lead", next_step_date=dt.date(2025, 9, 11)),
    ]
    findings = check_deals(deals, COLUMNS, PIPELINE, {"product": PRODUCTS}, AS_OF)
    first_of_code: dict[Code, Finding] = {}
    for finding in findings:
        first_of_code.setdefault(finding.code, finding)
    return first_of_code


CHECK_FINDINGS = findings_from_checks()


def parse_finding(
    code: Code, header: str | None, value: str | None, **params: str
) -> Finding:
    return Finding(code, Severity.ERROR, 9, header, value, "D-9", "field", params)


PARSE_FINDINGS = {
    Code.MISSING_ID: parse_finding(Code.MISSING_ID, "Deal ID", None),
    Code.UNKNOWN_STAGE: parse_finding(
        Code.UNKNOWN_STAGE, "Stage", "Pilot", stages="Lead, Qualified, Proposal"
    ),
    Code.BAD_DATE: parse_finding(
        Code.BAD_DATE,
        "Expected Close",
        "soon",
        reason="not-a-date",
        detail="not a date; use a date cell or type the date like 2025-09-09",
    ),
    Code.BAD_AMOUNT: parse_finding(
        Code.BAD_AMOUNT,
        "Amount",
        "1.234,5,6",
        reason="ambiguous-separators",
        detail="?",
    ),
    Code.BAD_NUMBER: parse_finding(
        Code.BAD_NUMBER, "Seats", "many", reason="not-a-number", detail="not a number"
    ),
    Code.BAD_PROBABILITY: parse_finding(
        Code.BAD_PROBABILITY,
        "Probability",
        "150%",
        reason="percent-out-of-range",
        detail="a probability must be between 0% and 100%, such as 25% or 0.25",
    ),
    Code.BAD_PERCENT: parse_finding(
        Code.BAD_PERCENT,
        "Discount",
        "lots",
        reason="not-a-number",
        detail="not a number; type a percentage such as 25% or 0.25",
    ),
    Code.BAD_FLAG: parse_finding(
        Code.BAD_FLAG, "Acknowledged", "maybe", reason="not-a-flag", detail="no"
    ),
    Code.CONTENT_UNDER_BLANK_HEADER: parse_finding(
        Code.CONTENT_UNDER_BLANK_HEADER, None, "Q3 target 40k", column="D", cell="D7"
    ),
    Code.STAGE_SKIPPED: parse_finding(
        Code.STAGE_SKIPPED,
        "Stage",
        "Proposal",
        skipped="Qualified",
        to="Proposal",
        **{"from": "Lead"},
    ),
    Code.MOVED_BACK: parse_finding(
        Code.MOVED_BACK, "Stage", "Lead", to="Lead", **{"from": "Proposal"}
    ),
    Code.RETYPED_ID: parse_finding(
        Code.RETYPED_ID, "Deal ID", "d-9", old_id="D-9", date="2025-09-09"
    ),
    Code.FORMULA_ERROR: parse_finding(Code.FORMULA_ERROR, "Owner", "#N/A"),
    Code.ID_FROM_ROW_NUMBER: parse_finding(Code.ID_FROM_ROW_NUMBER, "Deal ID", "D-9"),
    Code.TOTALS_ROW: parse_finding(Code.TOTALS_ROW, None, "Total"),
    Code.REPEATED_HEADER: parse_finding(Code.REPEATED_HEADER, None, "Deal ID"),
    Code.SECTION_HEADING: parse_finding(Code.SECTION_HEADING, None, "EMEA"),
    Code.MERGED_AMOUNT: parse_finding(
        Code.MERGED_AMOUNT, "Amount", "9000", cells="E2:E4", count="3", first_row="2"
    ),
    Code.CONTINUATION_VALUE: parse_finding(
        Code.CONTINUATION_VALUE, "Next Step Date", "2026-12-09", cell="E3"
    ),
    Code.ID_NOT_TEXT: parse_finding(Code.ID_NOT_TEXT, "Deal ID", "TRUE"),
    Code.OLD_STATUS_COLUMN: parse_finding(
        Code.OLD_STATUS_COLUMN,
        "pipesheet status",
        None,
        letter="C",
        status_header="Check",
        status_letter="D",
    ),
    Code.MIXED_CURRENCY: parse_finding(
        Code.MIXED_CURRENCY, "Amount", "¥1,000,000", currency="¥", main_currency="$"
    ),
    Code.OLD_GENERATED_TAB: Finding(
        Code.OLD_GENERATED_TAB,
        Severity.INFO,
        None,
        params={"tab": "Funnel", "source_tab": "Deals"},
    ),
}

SAMPLE_FINDINGS = {**CHECK_FINDINGS, **PARSE_FINDINGS}


def test_checks_produce_every_sample_code() -> None:
    assert sorted(CHECK_FINDINGS) == sorted(
        [
            Code.DUPLICATE_ID,
            Code.LOOKALIKE_ID,
            Code.MISSING_REQUIRED,
            Code.UNKNOWN_VALUE,
            Code.CLOSE_DATE_PASSED,
            Code.CLOSE_BEFORE_CREATED,
            Code.FOLLOWUP_OVERDUE,
            Code.FOLLOWUP_DUE_SOON,
            Code.IDLE_IN_STAGE,
            Code.NO_NEXT_STEP,
            Code.DATE_IN_FUTURE,
        ]
    )


def test_samples_cover_every_code() -> None:
    assert sorted(SAMPLE_FINDINGS) == sorted(Code)


@pytest.mark.parametrize("locale", LOCALES, ids=LOCALE_IDS)
@pytest.mark.parametrize("code", list(Code), ids=[code.value for code in Code])
def test_every_code_has_templates(code: Code, locale: Locale) -> None:
    assert MESSAGES[code][locale]
    assert SHORT_MESSAGES[code][locale]


@pytest.mark.parametrize("locale", LOCALES, ids=LOCALE_IDS)
@pytest.mark.parametrize("code", list(Code), ids=[code.value for code in Code])
def test_rendering_sample_fills_every_field(code: Code, locale: Locale) -> None:
    finding = SAMPLE_FINDINGS[code]

    message = render_message(finding, locale)
    short = render_short(finding, locale)

    assert "{" not in message
    assert "'?'" not in message
    assert "“?”" not in message
    assert "{" not in short
    assert "'?'" not in short
    assert "“?”" not in short


@pytest.mark.parametrize("locale", LOCALES, ids=LOCALE_IDS)
@pytest.mark.parametrize("code", list(Code), ids=[code.value for code in Code])
def test_rendering_without_params_never_raises(code: Code, locale: Locale) -> None:
    finding = Finding(code, Severity.ERROR, None)

    message = render_message(finding, locale)
    short = render_short(finding, locale)

    assert message
    assert short


@pytest.mark.parametrize("locale", LOCALES, ids=LOCALE_IDS)
@pytest.mark.parametrize(
    "reason", list(Reason), ids=[reason.value for reason in Reason]
)
def test_every_cell_reason_translated(reason: Reason, locale: Locale) -> None:
    assert REASONS[locale][reason]


@pytest.mark.parametrize(
    ("code", "locale", "expected"),
    [
        (
            Code.UNKNOWN_VALUE,
            Locale.EN,
            "Product 'GTXPro' is not in the allowed list; did you mean 'GTX Pro'?",
        ),
        (
            Code.UNKNOWN_VALUE,
            Locale.ZH_CN,
            "Product“GTXPro”不在允许列表中，您是否想填“GTX Pro”？",
        ),
        (
            Code.MISSING_REQUIRED,
            Locale.EN,
            "Account is required in stage 'Qualified'; fill it in.",
        ),
        (
            Code.MISSING_REQUIRED,
            Locale.ZH_CN,
            "阶段“Qualified”要求填写Account，请补上。",
        ),
        (
            Code.DUPLICATE_ID,
            Locale.EN,
            "Deal ID 'D-4' is also used on row 5; give each deal its own ID.",
        ),
        (
            Code.FOLLOWUP_OVERDUE,
            Locale.EN,
            (
                "Follow-up is 5 days overdue (due 2025-09-04); follow up, then set the "
                "next date in Next Step Date, or snooze the deal."
            ),
        ),
        (Code.FOLLOWUP_DUE_SOON, Locale.EN, "Follow-up is due in 2 days (2025-09-11)."),
        (Code.FOLLOWUP_DUE_SOON, Locale.ZH_CN, "跟进将于 2 天后到期（2025-09-11）。"),
        (
            Code.CLOSE_DATE_PASSED,
            Locale.EN,
            (
                "Expected Close 2025-09-01 passed 8 days ago but the deal is still "
                "open; update the date or close the deal."
            ),
        ),
        (
            Code.CLOSE_BEFORE_CREATED,
            Locale.EN,
            (
                "Expected Close 2025-09-01 is before Created 2025-09-05, but a deal "
                "cannot close before it was created; correct one of the two dates. "
                "Until then the deal is left out of the average cycle."
            ),
        ),
        (
            Code.CLOSE_BEFORE_CREATED,
            Locale.ZH_CN,
            (
                "Expected Close 2025-09-01 早于Created 2025-09-05，商机不可能在创建前"
                "关闭，请更正其中一个日期。更正前该商机不计入平均成交周期。"
            ),
        ),
        (
            Code.DATE_IN_FUTURE,
            Locale.EN,
            (
                "Expected Close 2025-09-20 is after today (2025-09-09), but the deal "
                "is already in the closed stage 'Closed Won'; correct the date. Until "
                "then the deal is left out of the average cycle."
            ),
        ),
        (
            Code.DATE_IN_FUTURE,
            Locale.ZH_CN,
            (
                "Expected Close 2025-09-20 晚于今天（2025-09-09），但该商机已处于关闭"
                "阶段“Closed Won”，请更正日期。更正前该商机不计入平均成交周期。"
            ),
        ),
        (
            Code.IDLE_IN_STAGE,
            Locale.EN,
            (
                "Deal has been in stage 'Lead' for 39 days, more than its limit of 14 "
                "days; move it forward, close it, or correct Stage Entered."
            ),
        ),
        (
            Code.NO_NEXT_STEP,
            Locale.EN,
            (
                "Open deal in stage 'Qualified' has no Next Step Date; set the date of "
                "the next step."
            ),
        ),
    ],
    ids=[
        "unknown-value-en",
        "unknown-value-zh",
        "missing-required-en",
        "missing-required-zh",
        "duplicate-id-en",
        "followup-overdue-en",
        "due-soon-en",
        "due-soon-zh",
        "close-date-passed-en",
        "close-before-created-en",
        "close-before-created-zh",
        "date-in-future-closed-en",
        "date-in-future-closed-zh",
        "idle-in-stage-en",
        "no-next-step-en",
    ],
)
def test_check_message_text(code: Code, locale: Locale, expected: str) -> None:
    assert render_message(CHECK_FINDINGS[code], locale) == expected


@pytest.mark.parametrize(
    ("code", "locale", "expected"),
    [
        (
            Code.UNKNOWN_STAGE,
            Locale.EN,
            (
                "Stage 'Pilot' is not a stage of this pipeline; use one of: Lead, "
                "Qualified, Proposal, or add 'Pilot' to a stage's aliases in the "
                "definition."
            ),
        ),
        (
            Code.BAD_DATE,
            Locale.EN,
            (
                "Expected Close 'soon' cannot be read: not a date; use a date cell or "
                "type the date like 2025-09-09."
            ),
        ),
        (
            Code.BAD_DATE,
            Locale.ZH_CN,
            (
                "Expected Close“soon”无法识别：不是日期；请使用日期单元格，或按 "
                "2025-09-09 的格式填写。"
            ),
        ),
        (
            Code.MOVED_BACK,
            Locale.EN,
            (
                "Stage moved back from 'Proposal' to 'Lead'; if that was a mistake, "
                "set it back to 'Proposal'."
            ),
        ),
        (
            Code.STAGE_SKIPPED,
            Locale.EN,
            (
                "Stage moved from 'Lead' to 'Proposal', skipping Qualified; check that "
                "the skipped stages were done."
            ),
        ),
        (
            Code.CONTENT_UNDER_BLANK_HEADER,
            Locale.EN,
            (
                "Cell D7 contains 'Q3 target 40k' but its column has no header, so "
                "pipesheet ignores it; add a header or move the value."
            ),
        ),
        (
            Code.MISSING_ID,
            Locale.EN,
            (
                "Row 9 has no Deal ID; give the deal a unique ID so that pipesheet can "
                "find the row again."
            ),
        ),
        (
            Code.FORMULA_ERROR,
            Locale.EN,
            (
                "Owner shows the formula error #N/A; correct the formula, or type the "
                "value instead."
            ),
        ),
        (
            Code.OLD_STATUS_COLUMN,
            Locale.EN,
            (
                "Column C 'pipesheet status' contains mostly statuses pipesheet "
                "wrote, but its header is not the status header 'Check' "
                "(outputs.status_header), so these statuses are no longer updated. "
                "If the header cell was retyped, or renamed by Excel in a table, "
                "type 'Check' into C9 again and delete column D if it has that "
                "header. If outputs.status_header changed, delete column C."
            ),
        ),
        (
            Code.OLD_STATUS_COLUMN,
            Locale.ZH_CN,
            (
                "第 C 列“pipesheet status”中大多是 pipesheet 写入的状态，但其表头不是"
                "状态表头“Check”（outputs.status_header），这些状态不会再更新。"
                "如果表头单元格被改写，或在表格中被 Excel 重命名，请在 C9 中重新输入"
                "“Check”，并在第 D 列带有该表头时删除该列。如果 "
                "outputs.status_header 改过，请删除第 C 列。"
            ),
        ),
        (
            Code.OLD_GENERATED_TAB,
            Locale.EN,
            (
                "Tab 'Funnel' was generated by pipesheet from tab 'Deals', but it "
                "is no longer one of the definition's generated tabs "
                "(outputs.tabs), so it is no longer updated; delete tab 'Funnel'."
            ),
        ),
        (
            Code.OLD_GENERATED_TAB,
            Locale.ZH_CN,
            (
                "工作表“Funnel”是 pipesheet 根据「Deals」生成的，但已不是定义中的"
                "生成表（outputs.tabs），不会再更新；请删除工作表“Funnel”。"
            ),
        ),
        (
            Code.MIXED_CURRENCY,
            Locale.EN,
            (
                "Amount '¥1,000,000' is in ¥, but $ is this column's most common "
                "currency; convert the amount to $ or keep each currency in its own "
                "column. Until then it is left out of the totals."
            ),
        ),
        (
            Code.MIXED_CURRENCY,
            Locale.ZH_CN,
            (
                "Amount“¥1,000,000”的币种是 ¥，而本列最常见的币种是 $；请换算成 $，"
                "或把不同币种分列填写。更正前该金额不计入合计。"
            ),
        ),
    ],
    ids=[
        "unknown-stage-en",
        "bad-date-en",
        "bad-date-zh",
        "moved-back-en",
        "stage-skipped-en",
        "blank-header-en",
        "missing-id-en",
        "formula-error-en",
        "old-status-column-en",
        "old-status-column-zh",
        "old-generated-tab-en",
        "old-generated-tab-zh",
        "mixed-currency-en",
        "mixed-currency-zh",
    ],
)
def test_parse_message_text(code: Code, locale: Locale, expected: str) -> None:
    assert render_message(PARSE_FINDINGS[code], locale) == expected


@pytest.mark.parametrize(
    ("tied", "count", "locale", "message", "short"),
    [
        (
            "$, €",
            "1",
            Locale.EN,
            (
                "Amount '£5' is in £, but this column has no most common currency, "
                "because $ and € are equally common (1 amount each). Convert the "
                "amounts to one currency or keep each currency in its own column. "
                "Until then every amount with a currency mark in this column is "
                "left out of the totals."
            ),
            "Amount in £, no most common currency",
        ),
        (
            "$, €, ¥",
            "3",
            Locale.EN,
            (
                "Amount '£5' is in £, but this column has no most common currency, "
                "because $, € and ¥ are equally common (3 amounts each). Convert "
                "the amounts to one currency or keep each currency in its own "
                "column. Until then every amount with a currency mark in this "
                "column is left out of the totals."
            ),
            "Amount in £, no most common currency",
        ),
        (
            "$, €",
            "2",
            Locale.ZH_CN,
            (
                "Amount“£5”的币种是 £，而本列没有最常见的币种，因为 $、€ 各有 2 个"
                "金额；请把金额换算成同一币种，或把不同币种分列填写。更正前本列带"
                "币种标记的金额都不计入合计。"
            ),
            "Amount币种 £，本列没有最常见的币种",
        ),
    ],
    ids=["two-en", "three-en", "two-zh"],
)
def test_mixed_currency_tie_text(
    tied: str, count: str, locale: Locale, message: str, short: str
) -> None:
    finding = parse_finding(
        Code.MIXED_CURRENCY,
        "Amount",
        "£5",
        currency="£",
        tied_currencies=tied,
        tied_count=count,
    )

    assert render_message(finding, locale) == message
    assert render_short(finding, locale) == short


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            Locale.EN,
            (
                "Amount '1913-09-08' cannot be read: a date or time, not a number; "
                "if you typed a number, the cell is formatted as a date: format it "
                "as a number."
            ),
        ),
        (
            Locale.ZH_CN,
            (
                "Amount“1913-09-08”无法识别：是日期或时间，不是数字；"
                "如果输入的是数字，说明单元格设成了日期格式，请改为数字格式。"
            ),
        ),
    ],
    ids=["en", "zh"],
)
def test_date_in_number_cell_message_names_the_format(
    locale: Locale, expected: str
) -> None:
    finding = parse_finding(
        Code.BAD_AMOUNT,
        "Amount",
        "1913-09-08",
        reason="date-not-number",
        detail=DATE_NOT_NUMBER_TEXT,
    )

    assert render_message(finding, locale) == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            Locale.EN,
            (
                "Amount '(500)' cannot be read: a deal amount cannot be negative; "
                "enter the amount as a positive number."
            ),
        ),
        (Locale.ZH_CN, "Amount“(500)”无法识别：成交金额不能为负数；请按正数填写金额。"),
    ],
    ids=["en", "zh"],
)
def test_negative_amount_message_text(locale: Locale, expected: str) -> None:
    finding = parse_finding(
        Code.BAD_AMOUNT,
        "Amount",
        "(500)",
        reason="negative-amount",
        detail="a deal amount cannot be negative; enter the amount as a positive "
        "number",
    )

    assert render_message(finding, locale) == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            Locale.EN,
            (
                "Probability '1.5' cannot be read: the column gives probabilities "
                "as fractions (0.25 is 25%), so 1.5 reads as 150%, over 100%; if "
                "1.5% is meant, type 0.015 or 1.5%."
            ),
        ),
        (
            Locale.ZH_CN,
            (
                "Probability“1.5”无法识别：本列的赢率按小数填写（0.25 即 25%），"
                "此值即 150%，超过 100%；如果指 1.5%，请填写 0.015 或 1.5%。"
            ),
        ),
    ],
    ids=["en", "zh"],
)
def test_percent_scale_message_text(locale: Locale, expected: str) -> None:
    finding = parse_finding(
        Code.BAD_PROBABILITY,
        "Probability",
        "1.5",
        reason="percent-scale-mismatch",
        detail="the column gives probabilities as fractions (0.25 is 25%), so 1.5 "
        "reads as 150%, over 100%; if 1.5% is meant, type 0.015 or 1.5%",
        as_fraction="150%",
        as_points="1.5%",
        points_fraction="0.015",
    )

    assert render_message(finding, locale) == expected


@pytest.mark.parametrize(
    ("code", "header", "reason", "expected"),
    [
        (
            Code.BAD_PROBABILITY,
            "赢率",
            "not-a-number",
            "赢率“abc”无法识别：不是数字；请按 25% 或 0.25 的格式填写赢率。",
        ),
        (
            Code.BAD_PROBABILITY,
            "赢率",
            "ambiguous-separators",
            (
                "赢率“abc”无法识别：无法判断分隔符是小数点还是千位分隔符；"
                "请按 25% 或 0.25 的格式填写赢率。"
            ),
        ),
        (
            Code.BAD_NUMBER,
            "席位",
            "not-a-number",
            "席位“abc”无法识别：不是数字；请填写数字，例如 12 或 12.5。",
        ),
        (
            Code.BAD_AMOUNT,
            "金额",
            "not-a-number",
            "金额“abc”无法识别：不是数字；请填写数字，例如 12000 或 12,000.50。",
        ),
        (
            Code.BAD_PERCENT,
            "折扣",
            "not-a-number",
            "折扣“abc”无法识别：不是数字；请按 25% 或 0.25 的格式填写百分比。",
        ),
        (
            Code.BAD_PERCENT,
            "折扣",
            "percent-out-of-range",
            "折扣“abc”无法识别：百分比必须在 0% 到 100% 之间，例如 25% 或 0.25。",
        ),
    ],
    ids=[
        "probability",
        "probability-separators",
        "number",
        "amount",
        "percent",
        "percent-range",
    ],
)
def test_chinese_advice_fits_field(
    code: Code, header: str, reason: str, expected: str
) -> None:
    finding = parse_finding(code, header, "abc", reason=reason, detail="English")

    assert render_message(finding, Locale.ZH_CN) == expected


def test_unknown_value_without_suggestion_lists_choices() -> None:
    finding = parse_finding(
        Code.UNKNOWN_VALUE, "Owner", "Zhang Wei", choices="Ana, Ben", choice_count="2"
    )

    message = render_message(finding, Locale.EN)

    assert message == (
        "Owner 'Zhang Wei' is not in the allowed list; use one of: Ana, Ben."
    )


def test_unknown_value_names_list_tab() -> None:
    finding = parse_finding(
        Code.UNKNOWN_VALUE,
        "Owner",
        "Zhang Wei",
        choices="Ana, Ben",
        choice_count="2",
        list_tab="Lists",
        list_column="Owner",
    )

    message = render_message(finding, Locale.EN)

    assert message == (
        "Owner 'Zhang Wei' is not in the allowed list (column 'Owner' of tab "
        "'Lists'); use one of: Ana, Ben, or add it to that list."
    )


LIST_TAB = {"list_tab": "Lists", "list_column": "Account"}
LIST_KEY = {"list_key": "allowed.account.values"}


@pytest.mark.parametrize(
    ("params", "locale", "expected"),
    [
        (
            {**LIST_TAB, "suggestion": "Acme, Inc."},
            Locale.EN,
            (
                "Account 'Acme Inc' is not in the allowed list (column 'Account' of "
                "tab 'Lists'); did you mean 'Acme, Inc.'? If not, add it to that list."
            ),
        ),
        (
            {**LIST_TAB, "suggestion": "Acme, Inc."},
            Locale.ZH_CN,
            (
                "Account“Acme Inc”不在允许列表中（“Lists”表的“Account”列），"
                "您是否想填“Acme, Inc.”？如果不是，请将其加入该列表。"
            ),
        ),
        (
            {**LIST_KEY, "suggestion": "Acme, Inc."},
            Locale.EN,
            (
                "Account 'Acme Inc' is not in the allowed list "
                "(allowed.account.values in the pipeline definition); did you mean "
                "'Acme, Inc.'? If not, add it to that list."
            ),
        ),
        (
            {**LIST_KEY, "suggestion": "Acme, Inc."},
            Locale.ZH_CN,
            (
                "Account“Acme Inc”不在允许列表中（定义中的 allowed.account.values），"
                "您是否想填“Acme, Inc.”？如果不是，请将其加入该列表。"
            ),
        ),
        (
            LIST_KEY,
            Locale.EN,
            (
                "Account 'Acme Inc' is not in the allowed list "
                "(allowed.account.values in the pipeline definition); use one of: "
                "Acme, Inc., Beta, or add it to that list."
            ),
        ),
        (
            LIST_KEY,
            Locale.ZH_CN,
            (
                "Account“Acme Inc”不在允许列表中（定义中的 allowed.account.values），"
                "请改为以下之一：Acme, Inc.、Beta，或将其加入该列表。"
            ),
        ),
    ],
    ids=[
        "tab-suggestion-en",
        "tab-suggestion-zh",
        "definition-suggestion-en",
        "definition-suggestion-zh",
        "definition-choices-en",
        "definition-choices-zh",
    ],
)
def test_unknown_value_names_list_and_offers_adding(
    params: dict[str, str], locale: Locale, expected: str
) -> None:
    finding = parse_finding(
        Code.UNKNOWN_VALUE,
        "Account",
        "Acme Inc",
        choices=join_items(["Acme, Inc.", "Beta"]),
        choice_count="2",
        **params,
    )

    assert render_message(finding, locale) == expected


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ("0", "follow-up due today"),
        ("1", "follow-up due tomorrow"),
        ("3", "follow-up due in 3 days"),
    ],
    ids=["today", "tomorrow", "later"],
)
def test_short_due_soon_wording(days: str, expected: str) -> None:
    finding = parse_finding(Code.FOLLOWUP_DUE_SOON, "Next Step Date", None, days=days)

    assert render_short(finding, Locale.EN) == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            Locale.ZH_CN,
            (
                "负责人“赵六”不在允许列表中（定义中的 allowed.owner.values），"
                "请改为以下之一：张伟、李娜、Acme, Inc.、…，或将其加入该列表。"
            ),
        ),
        (
            Locale.EN,
            (
                "Owner '赵六' is not in the allowed list (allowed.owner.values in "
                "the pipeline definition); use one of: 张伟, 李娜, Acme, Inc., …, or "
                "add it to that list."
            ),
        ),
    ],
    ids=["chinese", "english"],
)
def test_choices_listed_in_locale(locale: Locale, expected: str) -> None:
    header = "负责人" if locale is Locale.ZH_CN else "Owner"
    finding = parse_finding(
        Code.UNKNOWN_VALUE,
        header,
        "赵六",
        choices=join_items(["张伟", "李娜", "Acme, Inc.", "…"]),
        choice_count="9",
        list_key="allowed.owner.values",
    )

    assert render_message(finding, locale) == expected


def test_chinese_stages_listed_with_ideographic_comma() -> None:
    finding = parse_finding(
        Code.UNKNOWN_STAGE, "阶段", "验收", stages=join_items(["线索收集", "丢单"])
    )

    assert "请改为以下之一：线索收集、丢单，" in render_message(finding, Locale.ZH_CN)


@pytest.mark.parametrize(
    ("days", "message", "short"),
    [
        ("0", "跟进将于今天到期（2025-09-11）。", "今天需跟进"),
        ("1", "跟进将于明天到期（2025-09-11）。", "明天需跟进"),
        ("3", "跟进将于 3 天后到期（2025-09-11）。", "3 天后需跟进"),
    ],
    ids=["today", "tomorrow", "later"],
)
def test_chinese_due_soon_wording(days: str, message: str, short: str) -> None:
    finding = parse_finding(
        Code.FOLLOWUP_DUE_SOON, "下次跟进日期", None, days=days, date="2025-09-11"
    )

    assert render_message(finding, Locale.ZH_CN) == message
    assert render_short(finding, Locale.ZH_CN) == short


@pytest.mark.parametrize(
    ("days", "expected"),
    [("1", "follow-up 1 day overdue"), ("5", "follow-up 5 days overdue")],
    ids=["one-day", "several-days"],
)
def test_short_overdue_wording(days: str, expected: str) -> None:
    finding = parse_finding(Code.FOLLOWUP_OVERDUE, "Next Step Date", None, days=days)

    assert render_short(finding, Locale.EN) == expected


@pytest.mark.parametrize(
    ("code", "locale", "expected"),
    [
        (Code.MISSING_REQUIRED, Locale.EN, "missing Account"),
        (Code.MISSING_REQUIRED, Locale.ZH_CN, "缺少Account"),
        (Code.DUPLICATE_ID, Locale.EN, "ID also on row 5"),
        (Code.DUPLICATE_ID, Locale.ZH_CN, "编号与第 5 行重复"),
        (Code.LOOKALIKE_ID, Locale.EN, "ID looks like 'd-6' on row 9"),
        (Code.LOOKALIKE_ID, Locale.ZH_CN, "编号与第 9 行的'd-6'相似"),
        (
            Code.UNKNOWN_VALUE,
            Locale.EN,
            "Product 'GTXPro' not allowed (did you mean 'GTX Pro'?)",
        ),
        (Code.FOLLOWUP_OVERDUE, Locale.ZH_CN, "跟进逾期 5 天"),
        (Code.IDLE_IN_STAGE, Locale.EN, "39 days in 'Lead' (limit 14)"),
        (Code.CLOSE_DATE_PASSED, Locale.EN, "close date passed 8 days ago"),
        (Code.CLOSE_BEFORE_CREATED, Locale.EN, "Expected Close before Created"),
        (Code.CLOSE_BEFORE_CREATED, Locale.ZH_CN, "Expected Close早于Created"),
        (Code.NO_NEXT_STEP, Locale.EN, "no next-step date"),
        (Code.DATE_IN_FUTURE, Locale.EN, "Expected Close after today"),
        (Code.DATE_IN_FUTURE, Locale.ZH_CN, "Expected Close晚于今天"),
    ],
    ids=[
        "missing-en",
        "missing-zh",
        "duplicate-en",
        "duplicate-zh",
        "lookalike-en",
        "lookalike-zh",
        "unknown-value-en",
        "overdue-zh",
        "idle-en",
        "close-date-en",
        "close-before-created-en",
        "close-before-created-zh",
        "no-next-step-en",
        "date-in-future-en",
        "date-in-future-zh",
    ],
)
def test_short_message_text(code: Code, locale: Locale, expected: str) -> None:
    assert render_short(CHECK_FINDINGS[code], locale) == expected


def test_duplicate_id_names_several_rows() -> None:
    finding = parse_finding(Code.DUPLICATE_ID, "Deal ID", "D-1", rows="6, 7", count="3")

    assert render_short(finding, Locale.EN) == "ID also on rows 6, 7"
    assert render_short(finding, Locale.ZH_CN) == "编号与第 6、7 行重复"


def test_missing_param_renders_question_mark() -> None:
    finding = parse_finding(Code.STAGE_SKIPPED, "Stage", "Proposal", to="Proposal")

    assert render_message(finding, Locale.EN) == (
        "Stage moved from '?' to 'Proposal', skipping stages in between; check "
        "that the skipped stages were done."
    )


def test_missing_id_message_names_each_row() -> None:
    findings = [
        Finding(Code.MISSING_ID, Severity.ERROR, row, "Deal ID", field="id")
        for row in (4, 5)
    ]

    messages = [render_message(finding, Locale.EN) for finding in findings]

    assert messages[0].startswith("Row 4 has no Deal ID;")
    assert messages[1].startswith("Row 5 has no Deal ID;")


def test_shared_params_keep_each_row() -> None:
    params: dict[str, str] = {}
    findings = [
        Finding(
            Code.MISSING_ID, Severity.ERROR, row, "Deal ID", None, None, "id", params
        )
        for row in (4, 5)
    ]

    texts = [render_message(finding, Locale.EN) for finding in findings]

    assert texts[0].startswith("Row 4 has no Deal ID;")
    assert texts[1].startswith("Row 5 has no Deal ID;")


def test_shared_params_keep_each_value() -> None:
    params = {"stages": "Lead, Qualified"}
    first = Finding(
        Code.UNKNOWN_STAGE, Severity.ERROR, 4, "Stage", "Pilot", None, "stage", params
    )
    second = Finding(
        Code.UNKNOWN_STAGE, Severity.ERROR, 5, "Stage", "Demo", None, "stage", params
    )

    assert render_short(first, Locale.EN) == "unknown stage 'Pilot'"
    assert render_short(second, Locale.EN) == "unknown stage 'Demo'"


def test_render_messages_keeps_each_row() -> None:
    params: dict[str, str] = {}
    findings = [
        Finding(
            Code.MISSING_ID, Severity.ERROR, row, "Deal ID", None, None, "id", params
        )
        for row in (4, 5)
    ]

    texts = render_messages(findings, Locale.EN)

    assert texts[0].startswith("Row 4 has no Deal ID;")
    assert texts[1].startswith("Row 5 has no Deal ID;")


def unknown_stages(*values: str) -> list[Finding]:
    """Return unknown-stage findings from row 4 on, sharing one params dict."""
    params = {"stages": "Lead, Qualified"}
    return [
        Finding(
            Code.UNKNOWN_STAGE,
            Severity.ERROR,
            row,
            "Stage",
            value,
            None,
            "stage",
            params,
        )
        for row, value in enumerate(values, start=4)
    ]


def test_render_messages_as_one_by_one() -> None:
    findings = unknown_stages("Pilot", "Pilot", "Demo")

    texts = render_messages(findings, Locale.EN)

    assert texts == [render_message(finding, Locale.EN) for finding in findings]
    assert texts[0] == texts[1]
    assert texts[2] != texts[0]


def test_render_shorts_as_one_by_one() -> None:
    findings = unknown_stages("Pilot", "Demo", "Pilot")

    texts = render_shorts(findings, Locale.EN)

    assert texts == ["unknown stage 'Pilot'", "unknown stage 'Demo'", texts[0]]
    assert texts == [render_short(finding, Locale.EN) for finding in findings]


def test_render_cache_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(messages, "RENDER_CACHE_SIZE", 2)
    monkeypatch.setattr(messages, "_rendered", {})
    findings = [
        parse_finding(Code.UNKNOWN_STAGE, "Stage", value, stages="Lead")
        for value in ("A", "B", "C")
    ]

    texts = [render_short(finding, Locale.EN) for finding in findings]

    assert texts == ["unknown stage 'A'", "unknown stage 'B'", "unknown stage 'C'"]
    assert len(messages._rendered) == 1


@pytest.mark.parametrize(
    ("number", "expected"),
    [(0, "0 status cells"), (1, "1 status cell"), (12345, "12,345 status cells")],
    ids=["zero", "one", "many"],
)
def test_counted_plural_unless_one(number: int, expected: str) -> None:
    assert counted(number, "status cell") == expected


@pytest.mark.parametrize(
    ("locale", "message", "short"),
    [
        (
            Locale.EN,
            (
                "Stage 'Qualifed' is not a stage of this pipeline; did you mean "
                "'Qualified'? If the team writes the stage this way, add 'Qualifed' "
                "to that stage's aliases in the definition."
            ),
            "unknown stage 'Qualifed' (did you mean 'Qualified'?)",
        ),
        (
            Locale.ZH_CN,
            (
                "Stage“Qualifed”不是本漏斗的阶段，您是否想填“Qualified”？"
                "如果团队习惯这样写，请在定义中把“Qualifed”加入该阶段的 aliases。"
            ),
            "未知阶段“Qualifed”（是否为“Qualified”？）",
        ),
    ],
    ids=LOCALE_IDS,
)
def test_unknown_stage_suggestion_shown(
    locale: Locale, message: str, short: str
) -> None:
    finding = parse_finding(
        Code.UNKNOWN_STAGE, "Stage", "Qualifed", stages="Lead", suggestion="Qualified"
    )

    assert render_message(finding, locale) == message
    assert render_short(finding, locale) == short


DATE_REASONS = [
    Reason.NOT_A_DATE,
    Reason.YEAR_MISSING,
    Reason.TWO_DIGIT_YEAR,
    Reason.WEEKDAY_MISMATCH,
    Reason.IMPOSSIBLE_DATE,
    Reason.DATE_ORDER_MISMATCH,
    Reason.SERIAL_NOT_A_DATE,
    Reason.DATE_OUT_OF_RANGE,
    Reason.TEXT_DATE_OUT_OF_RANGE,
    Reason.TIME_ONLY,
    Reason.TRUE_FALSE,
]
DATE_FIXES = {
    Locale.EN: (
        "type it",
        "type the",
        "use a date cell",
        "check the year",
        "correct the",
    ),
    Locale.ZH_CN: ("请使用日期单元格", "请填写", "请检查", "请更正"),
}


@pytest.mark.parametrize("locale", [Locale.EN, Locale.ZH_CN], ids=["en", "zh"])
@pytest.mark.parametrize("reason", DATE_REASONS, ids=[r.value for r in DATE_REASONS])
def test_unreadable_date_message_says_fix(reason: Reason, locale: Locale) -> None:
    # No detail from the parser, as for findings kept from an earlier run.
    finding = parse_finding(Code.BAD_DATE, "Created", "-5", reason=reason.value)

    message = render_message(finding, locale)

    assert any(fix in message for fix in DATE_FIXES[locale]), message


@pytest.mark.parametrize(
    ("reason", "params", "expected"),
    [
        (
            Reason.TWO_DIGIT_YEAR,
            {"full_date": "31/12/2026"},
            (
                "预计成交日期“31/12/26”无法识别：年份需要四位数字；如果指的是 "
                "31/12/2026，请填写 31/12/2026，或使用日期单元格。"
            ),
        ),
        (
            Reason.WEEKDAY_MISMATCH,
            {"date": "2026-12-31"},
            (
                "预计成交日期“31/12/26”无法识别：2026-12-31 与填写的星期几不符；"
                "请更正日期或星期几。"
            ),
        ),
        (
            Reason.TEXT_DATE_OUT_OF_RANGE,
            {"date": "1900-01-01", "earliest": "1970-01-01", "latest": "2200-12-31"},
            (
                "预计成交日期“31/12/26”无法识别：1900-01-01 超出可读取的日期范围"
                "（1970-01-01 至 2200-12-31）；请更正年份，日期未知时请留空。"
            ),
        ),
    ],
    ids=["two-digit-year", "weekday-mismatch", "text-date-out-of-range"],
)
def test_date_reason_shows_params_in_chinese(
    reason: Reason, params: dict[str, str], expected: str
) -> None:
    finding = parse_finding(
        Code.BAD_DATE, "预计成交日期", "31/12/26", reason=reason.value, **params
    )

    assert render_message(finding, Locale.ZH_CN) == expected


@pytest.mark.parametrize(
    ("locale", "header", "expected"),
    [
        (
            Locale.ZH_CN,
            "下次跟进日期",
            "下次跟进日期“2026年12月5日（星期五）”的星期几与 2026-12-05 不符",
        ),
        (
            Locale.EN,
            "Next Step Date",
            (
                "Next Step Date '2026年12月5日（星期五）': the weekday does not match "
                "2026-12-05"
            ),
        ),
    ],
    ids=["chinese", "english"],
)
def test_weekday_mismatch_short_text(
    locale: Locale, header: str, expected: str
) -> None:
    finding = parse_finding(
        Code.BAD_DATE,
        header,
        "2026年12月5日（星期五）",
        reason=Reason.WEEKDAY_MISMATCH.value,
        date="2026-12-05",
    )

    assert render_short(finding, locale) == expected


@pytest.mark.parametrize(
    ("code", "header", "expected"),
    [
        (
            Code.BAD_AMOUNT,
            "预计金额",
            "预计金额“TRUE”无法识别：是 TRUE/FALSE，不是金额；请填写金额，例如 12000。",
        ),
        (
            Code.BAD_NUMBER,
            "数量",
            (
                "数量“TRUE”无法识别：是 TRUE/FALSE，不是数字；"
                "请填写数字，例如 12 或 12.5。"
            ),
        ),
        (
            Code.BAD_PROBABILITY,
            "赢率",
            (
                "赢率“TRUE”无法识别：是 TRUE/FALSE，不是赢率；"
                "请按 25% 或 0.25 的格式填写赢率。"
            ),
        ),
    ],
    ids=["amount", "number", "probability"],
)
def test_true_in_number_cell_says_fix(code: Code, header: str, expected: str) -> None:
    finding = parse_finding(
        code,
        header,
        "TRUE",
        reason=Reason.TRUE_FALSE.value,
        detail="TRUE/FALSE is not a number; type the number in its place",
    )

    assert render_message(finding, Locale.ZH_CN) == expected


DATE_ORDER_PARAMS = {
    "reason": Reason.DATE_ORDER_MISMATCH.value,
    "date": "2026-12-31",
    "date_order": "dmy",
    "suggested_date_order": "mdy",
}


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            Locale.EN,
            (
                "Expected Close '12/31/2026' cannot be read: not a valid date when "
                "read as day/month/year (the definition's date_order is 'dmy'), but "
                "it is 2026-12-31 when read as month/day/year. If the sheet's dates "
                "are written that way, set date_order: mdy in the definition, or "
                "else type 2026-12-31 or use a date cell."
            ),
        ),
        (
            Locale.ZH_CN,
            (
                "Expected Close“12/31/2026”无法识别：按日/月/年读取不是有效日期"
                "（定义的 date_order 为 dmy），按月/日/年读取则为 2026-12-31。"
                "如果表中的日期按月/日/年填写，请在定义中设置 date_order: mdy，"
                "否则请填写 2026-12-31 或使用日期单元格。"
            ),
        ),
    ],
    ids=LOCALE_IDS,
)
def test_date_order_mismatch_names_setting(locale: Locale, expected: str) -> None:
    # No detail from the parser, so the English text is the translation too.
    finding = parse_finding(
        Code.BAD_DATE, "Expected Close", "12/31/2026", **DATE_ORDER_PARAMS
    )

    assert render_message(finding, locale) == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (Locale.EN, "Expected Close '12/31/2026' is not day/month/year"),
        (Locale.ZH_CN, "Expected Close“12/31/2026”不是日/月/年格式"),
    ],
    ids=LOCALE_IDS,
)
def test_date_order_mismatch_status_names_order(locale: Locale, expected: str) -> None:
    finding = parse_finding(
        Code.BAD_DATE, "Expected Close", "12/31/2026", **DATE_ORDER_PARAMS
    )

    assert render_short(finding, locale) == expected


@pytest.mark.parametrize(
    ("kind", "en", "zh"),
    [
        ("true-false", "a TRUE/FALSE cell", "布尔值（TRUE/FALSE）单元格"),
        ("date", "a date cell", "日期单元格"),
        ("date-time", "a date-and-time cell", "日期时间单元格"),
        ("time", "a time cell", "时间单元格"),
        ("decimal", "a decimal number", "小数"),
        ("long-number", "a number of more than 15 digits", "超过 15 位的数字"),
    ],
    ids=["true-false", "date", "date-time", "time", "decimal", "long-number"],
)
def test_id_not_text_names_cell_kind(kind: str, en: str, zh: str) -> None:
    finding = parse_finding(Code.ID_NOT_TEXT, "Deal ID", "X", cell_kind=kind)

    assert render_message(finding, Locale.EN) == (
        f"Deal ID 'X' is {en}, which programs show in different ways, so the ID "
        "is not reliable; type it as text or a whole number, for example with the "
        "column formatted as Text."
    )
    assert render_message(finding, Locale.ZH_CN) == (
        f"Deal ID“X”是{zh}，不同程序显示不同，编号因此不可靠；请以文本或整数填写，"
        "例如先把该列设为文本格式。"
    )


def test_id_lost_digits_message() -> None:
    finding = parse_finding(
        Code.ID_NOT_TEXT,
        "Deal ID",
        "1.23456789012346E+19",
        cell_kind="long-number",
        digit_count="20",
        significant_digits="15",
        full_number="12345678901234569216",
    )

    assert render_message(finding, Locale.EN) == (
        "Deal ID '1.23456789012346E+19' is a number of 20 digits, more than the 15 "
        "significant digits that spreadsheets keep, so digits of the ID are lost, "
        "and the cell reads as 12345678901234569216; type the full ID as text, for "
        "example with the column formatted as Text."
    )
    assert render_message(finding, Locale.ZH_CN) == (
        "Deal ID“1.23456789012346E+19”是 20 位数字，超过电子表格保留的 15 位有效"
        "数字，编号的部分数字已丢失，单元格读作 12345678901234569216；请以文本填写"
        "完整编号，例如先把该列设为文本格式。"
    )
    assert render_short(finding, Locale.EN) == (
        "Deal ID '1.23456789012346E+19' is not text"
    )


def test_id_not_text_without_kind_lists_kinds() -> None:
    finding = parse_finding(Code.ID_NOT_TEXT, "Deal ID", "TRUE")

    assert render_message(finding, Locale.EN).startswith(
        "Deal ID 'TRUE' is a TRUE/FALSE, date, time or decimal cell, "
    )


def test_duplicate_long_number_message_names_digit_limit() -> None:
    finding = parse_finding(
        Code.DUPLICATE_ID,
        "Deal ID",
        "1.23456789012346E+17",
        rows="5",
        count="2",
        significant_digits="15",
    )

    assert render_message(finding, Locale.EN) == (
        "Deal ID '1.23456789012346E+17' is also used on row 5. Excel keeps only 15 "
        "significant digits of a number, so longer numeric IDs can become equal; "
        "type such IDs as text, with a leading apostrophe (') or in a column "
        "formatted as Text, and give each deal its own ID."
    )
    assert render_message(finding, Locale.ZH_CN) == (
        "Deal ID“1.23456789012346E+17”与第 5 行重复。Excel 只保留数字的 15 位有效"
        "数字，较长的数字编号可能变成相同的值；请以文本填写这类编号（开头加英文"
        "单引号 '，或先把该列设为文本格式），并为每个商机使用不同的编号。"
    )
    assert render_short(finding, Locale.EN) == "ID also on row 5"


def test_duplicate_long_number_message_gives_all_digits() -> None:
    finding = parse_finding(
        Code.DUPLICATE_ID,
        "Deal ID",
        "1.23456789012346E+19",
        rows="3",
        count="2",
        significant_digits="15",
        full_number="12345678901234569216",
    )

    assert render_message(finding, Locale.EN) == (
        "Deal ID '1.23456789012346E+19' (the number 12345678901234569216) is also "
        "used on row 3. Excel keeps only 15 significant digits of a number, so "
        "longer numeric IDs can become equal; type such IDs as text, with a "
        "leading apostrophe (') or in a column formatted as Text, and give each "
        "deal its own ID."
    )
    assert render_message(finding, Locale.ZH_CN) == (
        "Deal ID“1.23456789012346E+19”（数字 12345678901234569216）与第 3 行重复。"
        "Excel 只保留数字的 15 位有效数字，较长的数字编号可能变成相同的值；请以"
        "文本填写这类编号（开头加英文单引号 '，或先把该列设为文本格式），并为每个"
        "商机使用不同的编号。"
    )
