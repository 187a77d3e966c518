from __future__ import annotations

import dataclasses
import pickle

import pytest

from rules.findings import Code, Finding, Severity, sort_findings


def full_finding() -> Finding:
    return Finding(
        Code.UNKNOWN_VALUE,
        Severity.ERROR,
        7,
        "Product",
        "GTXPro",
        "D-7",
        "product",
        {"suggestion": "GTX Pro"},
    )


def test_finding_init_sets_every_field() -> None:
    values = {
        field.name: f"value of {field.name}" for field in dataclasses.fields(Finding)
    }

    finding = Finding(**values)  # type: ignore[arg-type]

    assert dataclasses.asdict(finding) == values


def test_finding_defaults_leave_cell_unset() -> None:
    finding = Finding(Code.MISSING_ID, Severity.ERROR, 4)

    assert (finding.column, finding.value, finding.deal_id, finding.field) == (
        None,
        None,
        None,
        None,
    )
    assert finding.params == {}


def test_finding_default_params_not_shared() -> None:
    first = Finding(Code.MISSING_ID, Severity.ERROR, 4)
    second = Finding(Code.MISSING_ID, Severity.ERROR, 5)

    assert first.params is not second.params


def test_finding_rejects_assignment() -> None:
    finding = full_finding()

    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.row = 8  # type: ignore[misc]


def test_finding_equal_by_fields() -> None:
    assert full_finding() == full_finding()
    assert dataclasses.replace(full_finding(), row=8) != full_finding()


def test_finding_survives_pickle_and_replace() -> None:
    finding = full_finding()

    assert pickle.loads(pickle.dumps(finding)) == finding
    assert dataclasses.replace(finding, row=9).row == 9
    assert dataclasses.replace(finding, row=9).params == finding.params


def test_finding_none_params_become_empty() -> None:
    finding = Finding(Code.MISSING_ID, Severity.ERROR, 4, params=None)

    assert finding.params == {}


def test_finding_repr_names_every_field() -> None:
    finding = Finding(Code.MISSING_ID, Severity.ERROR, 4, deal_id="D-4")

    assert repr(finding) == (
        "Finding(code=<Code.MISSING_ID: 'missing-id'>, "
        "severity=<Severity.ERROR: 'error'>, row=4, column=None, value=None, "
        "deal_id='D-4', field=None, params={})"
    )


def test_sort_findings_row_severity_code() -> None:
    findings = [
        Finding(Code.FOLLOWUP_DUE_SOON, Severity.INFO, 5),
        Finding(Code.IDLE_IN_STAGE, Severity.WARNING, 5),
        Finding(Code.UNKNOWN_VALUE, Severity.ERROR, 5),
        Finding(Code.MISSING_REQUIRED, Severity.ERROR, 5),
        Finding(Code.CLOSE_DATE_PASSED, Severity.WARNING, 5),
        Finding(Code.CONTENT_UNDER_BLANK_HEADER, Severity.WARNING, None),
        Finding(Code.BAD_DATE, Severity.ERROR, 100_000),
        Finding(Code.BAD_DATE, Severity.ERROR, 6),
        Finding(Code.NO_NEXT_STEP, Severity.WARNING, 3),
    ]

    ordered = [(item.row, item.code) for item in sort_findings(findings)]

    assert ordered == [
        (None, Code.CONTENT_UNDER_BLANK_HEADER),
        (3, Code.NO_NEXT_STEP),
        (5, Code.MISSING_REQUIRED),
        (5, Code.UNKNOWN_VALUE),
        (5, Code.CLOSE_DATE_PASSED),
        (5, Code.IDLE_IN_STAGE),
        (5, Code.FOLLOWUP_DUE_SOON),
        (6, Code.BAD_DATE),
        (100_000, Code.BAD_DATE),
    ]
