from __future__ import annotations

import pytest

from config.models import Locale
from rules.findings import Code, Finding, Severity
from rules.status import (
    MAX_STATUS_LENGTH,
    OK_TEXT,
    STATUS_PREFIXES,
    row_statuses,
    status_text,
)


def missing(column: str) -> Finding:
    return Finding(
        Code.MISSING_REQUIRED, Severity.ERROR, 5, column, None, "D-5", "account"
    )


def overdue(days: str) -> Finding:
    return Finding(
        Code.FOLLOWUP_OVERDUE,
        Severity.WARNING,
        5,
        "Next Step Date",
        "2025-09-04",
        "D-5",
        "next_step_date",
        {"days": days, "date": "2025-09-04"},
    )


DUE_SOON = Finding(
    Code.FOLLOWUP_DUE_SOON,
    Severity.INFO,
    5,
    "Next Step Date",
    "2025-09-11",
    "D-5",
    "next_step_date",
    {"days": "2", "date": "2025-09-11"},
)


@pytest.mark.parametrize(
    ("findings", "locale", "expected"),
    [
        ([], Locale.EN, "OK"),
        ([], Locale.ZH_CN, "正常"),
        ([DUE_SOON], Locale.EN, "OK"),
        ([missing("Account")], Locale.EN, "ERROR: missing Account"),
        ([missing("Account")], Locale.ZH_CN, "错误：缺少Account"),
        ([overdue("5")], Locale.EN, "WARN: follow-up 5 days overdue"),
        ([overdue("5")], Locale.ZH_CN, "提醒：跟进逾期 5 天"),
        (
            [overdue("5"), missing("Account"), missing("Amount"), DUE_SOON],
            Locale.EN,
            "ERROR: missing Account (+2 more problems)",
        ),
        (
            [overdue("5"), missing("Account"), missing("Amount")],
            Locale.ZH_CN,
            "错误：缺少Account（另有 2 项）",
        ),
        (
            [overdue("5"), overdue("1")],
            Locale.EN,
            "WARN: follow-up 5 days overdue (+1 more problem)",
        ),
    ],
    ids=[
        "no-findings-en",
        "no-findings-zh",
        "info-only",
        "one-error-en",
        "one-error-zh",
        "one-warning-en",
        "one-warning-zh",
        "error-before-warning",
        "more-zh",
        "two-warnings",
    ],
)
def test_status_text(findings: list[Finding], locale: Locale, expected: str) -> None:
    assert status_text(findings, locale) == expected


@pytest.mark.parametrize(
    "locale", list(Locale), ids=[locale.value for locale in Locale]
)
def test_status_text_shortened_to_limit(locale: Locale) -> None:
    findings = [missing("A very long column header " * 8), overdue("3")]

    text = status_text(findings, locale)

    assert len(text) == MAX_STATUS_LENGTH
    assert text.startswith(STATUS_PREFIXES[locale][Severity.ERROR])
    assert "…" in text
    assert text.endswith(
        " (+1 more problem)" if locale is Locale.EN else "（另有 1 项）"
    )


@pytest.mark.parametrize(
    "locale", list(Locale), ids=[locale.value for locale in Locale]
)
def test_status_prefixes_cover_error_and_warning(locale: Locale) -> None:
    assert set(STATUS_PREFIXES[locale]) == {Severity.ERROR, Severity.WARNING}
    assert OK_TEXT[locale]


def test_status_prefixes_differ_from_ok() -> None:
    prefixes = [
        prefix
        for by_severity in STATUS_PREFIXES.values()
        for prefix in by_severity.values()
    ]

    assert all(
        not text.startswith(prefix) for text in OK_TEXT.values() for prefix in prefixes
    )


def on_row(finding: Finding, row: int | None) -> Finding:
    return Finding(
        finding.code,
        finding.severity,
        row,
        finding.column,
        finding.value,
        finding.deal_id,
        finding.field,
        finding.params,
    )


def test_row_statuses_group_findings_by_row() -> None:
    findings = [
        overdue("5"),
        on_row(overdue("3"), 7),
        missing("Account"),
        on_row(DUE_SOON, 6),
        missing("Amount"),
        on_row(missing("Stage"), None),
    ]

    statuses = row_statuses(findings, Locale.EN)

    assert statuses == {
        5: "ERROR: missing Account (+2 more problems)",
        7: "WARN: follow-up 3 days overdue",
    }


@pytest.mark.parametrize(
    "locale", list(Locale), ids=[locale.value for locale in Locale]
)
def test_row_statuses_equal_status_text(locale: Locale) -> None:
    findings = [overdue("5"), missing("A very long column header " * 8), DUE_SOON]

    statuses = row_statuses(findings, locale)

    assert statuses == {5: status_text(findings, locale)}


def test_row_statuses_pick_worst_problem() -> None:
    findings = [
        on_row(overdue("4"), 7),
        overdue("5"),
        on_row(missing("Amount"), 7),
        overdue("6"),
        on_row(missing("Owner"), 7),
        on_row(overdue("2"), 9),
        on_row(overdue("1"), 9),
    ]

    statuses = row_statuses(findings, Locale.EN)

    assert statuses[5] == "WARN: follow-up 5 days overdue (+1 more problem)"
    assert statuses[7] == "ERROR: missing Amount (+2 more problems)"
    assert statuses[9] == "WARN: follow-up 2 days overdue (+1 more problem)"


def blank_header_content(row: int) -> Finding:
    return Finding(
        Code.CONTENT_UNDER_BLANK_HEADER,
        Severity.WARNING,
        row,
        value="EMEA",
        params={"column": "A", "cell": f"A{row}"},
    )


def test_layout_finding_left_out_of_status() -> None:
    findings = [blank_header_content(5), overdue("30")]

    assert status_text(findings, Locale.EN) == "WARN: follow-up 30 days overdue"
    assert status_text([blank_header_content(5)], Locale.EN) == "OK"


def test_row_statuses_leave_out_layout_findings() -> None:
    findings = [blank_header_content(5), overdue("30"), blank_header_content(8)]

    statuses = row_statuses(findings, Locale.EN)

    assert statuses == {5: "WARN: follow-up 30 days overdue"}


def test_row_statuses_keep_first_row_order() -> None:
    findings = [on_row(overdue("1"), 9), missing("Account"), on_row(overdue("2"), 7)]

    statuses = row_statuses(findings, Locale.EN)

    assert list(statuses) == [9, 5, 7]
