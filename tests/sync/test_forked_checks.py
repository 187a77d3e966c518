"""The row checks run in a forked child while the run goes on."""

from __future__ import annotations

import datetime as dt
import errno
import os
import sys
from functools import partial
from pathlib import Path
from typing import IO

import openpyxl
import pytest

from config.loader import load_pipeline
from config.models import AllowedValues, Locale, Outputs
from config.shipped import shipped_definition
from rules.checks import check_deals
from rules.deals import Deal
from rules.findings import Code, Finding, Severity
from rules.spellings import spell_grouped_values
from sync import forked, forked_checks
from sync.forked import PARALLEL_VARIABLE
from sync.forked_checks import ForkedChecks, pack_findings, unpack_findings
from sync.run import RunResult, run_sync
from sync.sources.excel import ExcelWorkbook
from sync.starter import build_starter_workbook
from tests.rules.builders import AS_OF, build_columns, build_deal, build_pipeline

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="pipesheet forks only on Linux"
)

OWNERS = ["Ana Lima", "Ben Ortiz"]
PIPELINE = build_pipeline(
    outputs=Outputs(group_by=["region"]),
    allowed={"owner": AllowedValues(values=OWNERS)},
)
COLUMNS = build_columns(PIPELINE)
OVERDUE = AS_OF - dt.timedelta(days=3)
SOON = AS_OF + dt.timedelta(days=1)
LONG_AGO = AS_OF - dt.timedelta(days=60)
PASSED = AS_OF - dt.timedelta(days=5)


def build_deals() -> list[Deal]:
    """Return deals with findings of several codes, some on one row."""
    deals = []
    for row in range(4, 64):
        cells: dict[str, object] = {
            "owner": ["ana lima", "Ben Ortiz", "Cid", " ANA  LIMA"][row % 4],
            "region": ["EMEA", "emea", "APAC"][row % 3],
            "next_step_date": [OVERDUE, SOON, None, AS_OF][row % 4],
            "stage_entered_date": [LONG_AGO, AS_OF][row % 2],
        }
        stage = ["Lead", "Proposal", "Closed Lost"][row % 3]
        if stage == "Proposal":
            cells |= {"account": "Acme", "amount": 10.0, "close_date": PASSED}
        deal_id = "D-7" if row in (10, 40) else f"D-{row}"
        deals.append(build_deal(PIPELINE, row, deal_id, stage, **cells))
    return deals


def checks_of(deals: list[Deal]) -> partial[list[Finding]]:
    allowed = {"owner": OWNERS}
    return partial(check_deals, deals, COLUMNS, PIPELINE, allowed, AS_OF)


def in_child_only(checks: partial[list[Finding]]) -> partial[list[Finding]]:
    """Return ``checks`` wrapped to run only in the child. In the parent they raise."""
    parent = os.getpid()

    def child_checks() -> list[Finding]:
        if os.getpid() == parent:
            raise AssertionError("the parent checked the deals")
        return checks()

    return partial(child_checks)


def failing_in_child(checks: partial[list[Finding]]) -> partial[list[Finding]]:
    """Return ``checks`` that raise in the child and run in the parent."""
    parent = os.getpid()

    def parent_checks() -> list[Finding]:
        if os.getpid() != parent:
            raise MemoryError
        return checks()

    return partial(parent_checks)


@pytest.fixture
def few_deals_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forked_checks, "MIN_FORKED_DEALS", 1)


def test_expected_findings_are_varied() -> None:
    findings = checks_of(build_deals())()

    codes = {finding.code for finding in findings}
    rows = [finding.row for finding in findings]
    assert len(codes) >= 6
    assert len(rows) > len(set(rows))


@pytest.mark.usefixtures("few_deals_fork")
def test_child_finds_same_findings_in_order(forks: list[int]) -> None:
    deals = build_deals()
    expected = checks_of(build_deals())()

    with ForkedChecks(in_child_only(checks_of(deals)), len(deals)) as checks:
        spelled = spell_grouped_values(deals, PIPELINE, {"owner": OWNERS})
        findings = checks.findings(spelled)

    assert len(forks) == 1
    assert findings == expected


@pytest.mark.usefixtures("few_deals_fork")
def test_failed_child_checked_in_parent(forks: list[int]) -> None:
    deals = build_deals()
    expected = checks_of(build_deals())()

    with ForkedChecks(failing_in_child(checks_of(deals)), len(deals)) as checks:
        spelled = spell_grouped_values(deals, PIPELINE, {"owner": OWNERS})
        findings = checks.findings(spelled)

    assert len(forks) == 1
    assert findings == expected


@pytest.mark.usefixtures("few_deals_fork")
def test_parent_checks_typed_values(forks: list[int]) -> None:
    deals = build_deals()
    seen: list[object] = []

    def record_owners() -> list[Finding]:
        seen.extend(deal.values["owner"] for deal in deals)
        return []

    with ForkedChecks(failing_in_child(partial(record_owners)), len(deals)) as checks:
        spelled = spell_grouped_values(deals, PIPELINE, {"owner": OWNERS})
        checks.findings(spelled)

    assert len(forks) == 1
    assert seen[:4] == ["ana lima", "Ben Ortiz", "Cid", " ANA  LIMA"]
    assert [deal.values["owner"] for deal in deals[:4]] == [
        "Ana Lima",
        "Ben Ortiz",
        "Cid",
        "Ana Lima",
    ]


@pytest.mark.usefixtures("few_deals_fork")
def test_short_findings_checked_in_parent(
    forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    deals = build_deals()
    expected = checks_of(deals)()

    def write_too_little(file: IO[bytes], checks: object) -> int:
        file.write(b"x")
        return 2

    monkeypatch.setattr(forked_checks, "_check_into", write_too_little)

    with ForkedChecks(checks_of(deals), len(deals)) as checks:
        findings = checks.findings([])

    assert len(forks) == 1
    assert findings == expected


def test_few_deals_checked_without_fork(forks: list[int]) -> None:
    deals = build_deals()
    calls: list[int] = []

    def counted_checks() -> list[Finding]:
        calls.append(len(deals))
        return checks_of(deals)()

    with ForkedChecks(partial(counted_checks), len(deals)) as checks:
        checked_at_start = list(calls)
        findings = checks.findings([])

    assert forks == []
    assert checked_at_start == [len(deals)]
    assert findings == checks_of(deals)()


@pytest.mark.usefixtures("few_deals_fork")
def test_parallel_off_checks_without_fork(
    forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PARALLEL_VARIABLE, "0")
    deals = build_deals()

    with ForkedChecks(checks_of(deals), len(deals)) as checks:
        findings = checks.findings([])

    assert forks == []
    assert findings == checks_of(deals)()


@pytest.mark.usefixtures("few_deals_fork")
def test_no_temporary_file_checks_without_fork(
    forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space() -> IO[bytes]:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(forked.tempfile, "TemporaryFile", no_space)
    deals = build_deals()

    with ForkedChecks(checks_of(deals), len(deals)) as checks:
        findings = checks.findings([])

    assert forks == []
    assert findings == checks_of(deals)()


@pytest.mark.usefixtures("few_deals_fork")
def test_untaken_findings_end_child(forks: list[int]) -> None:
    deals = build_deals()

    with ForkedChecks(checks_of(deals), len(deals)):
        pass

    assert len(forks) == 1


@pytest.mark.usefixtures("few_deals_fork")
def test_cancelled_child_checked_in_parent(forks: list[int]) -> None:
    deals = build_deals()

    with ForkedChecks(checks_of(deals), len(deals)) as checks:
        checks.cancel()
        findings = checks.findings([])

    assert len(forks) == 1
    assert findings == checks_of(deals)()


# Packing


def test_unpacked_findings_equal_packed() -> None:
    findings = checks_of(build_deals())()

    assert unpack_findings(pack_findings(findings)) == findings


def test_unpacked_findings_share_params_alike() -> None:
    shared = {"days": "3"}
    findings = [
        Finding(
            Code.IDLE_IN_STAGE, Severity.WARNING, 4, "Stage", "x", "D-4", "s", shared
        ),
        Finding(
            Code.IDLE_IN_STAGE, Severity.WARNING, 5, "Stage", "x", "D-5", "s", shared
        ),
        Finding(
            Code.IDLE_IN_STAGE,
            Severity.WARNING,
            6,
            "Stage",
            "x",
            "D-6",
            "s",
            {"days": "3"},
        ),
        Finding(Code.OLD_GENERATED_TAB, Severity.INFO, None),
    ]

    unpacked = unpack_findings(pack_findings(findings))

    assert unpacked == findings
    assert unpacked[0].params is unpacked[1].params
    assert unpacked[2].params is not unpacked[0].params
    assert unpacked[3].row is None


def test_packed_findings_one_kind_per_cell_text() -> None:
    findings = checks_of(build_deals())()

    packed = pack_findings(findings)

    assert len(packed.kinds) < len(findings)
    assert len(packed.kind_indexes) == len(findings)


# A whole run


def run_starter(folder: Path) -> RunResult:
    folder.mkdir()
    path = build_starter_workbook(folder / "pipeline.xlsx", Locale.EN, as_of=AS_OF)
    workbook = openpyxl.load_workbook(path)
    workbook["Deals"]["C5"] = " BEN  ORTIZ"
    workbook["Deals"]["C6"] = "chloe park"
    workbook.save(path)
    pipeline = load_pipeline(shipped_definition("b2b-en"))
    return run_sync(pipeline, ExcelWorkbook(path), AS_OF, dry_run=True)


@pytest.mark.usefixtures("few_deals_fork")
def test_run_findings_same_with_child(
    tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    forked = run_starter(tmp_path / "forked")
    monkeypatch.setenv(PARALLEL_VARIABLE, "0")
    alone = run_starter(tmp_path / "alone")

    assert len(forks) == 1
    assert forked.findings == alone.findings
    assert forked.followups == alone.followups
    assert forked.metrics == alone.metrics
    assert forked.plan == alone.plan
