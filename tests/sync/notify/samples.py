"""A small team pipeline, its sheet and sync results for the notify tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from config.models import Locale, Pipeline
from rules.digest import OwnerDigest, build_digests
from rules.followups import Followup, FollowupState
from rules.grid import CellValue, SheetGrid
from sync.plan import WritePlan
from sync.run import RunResult, run_sync
from sync.sources.base import WriteReport

AS_OF = dt.date(2025, 9, 30)
HEADERS = {
    "id": "Deal ID",
    "account": "Account",
    "owner": "Owner",
    "stage": "Stage",
    "next_step": "Next Step",
    "next_step_date": "Next Step Date",
    "snooze_until": "Snooze Until",
    "acknowledged": "Acknowledged",
}
# Deals of Ana Lima (one overdue, one missing its account) and Bo Chen (one due
# tomorrow), as rows under HEADERS.
SHEET_ROWS: list[list[CellValue]] = [
    list(HEADERS.values()),
    ["D-1", "Acme Tools", "Ana Lima", "Lead", "Send pricing", dt.date(2025, 9, 25)],
    ["D-2", None, "Ana Lima", "Qualified", "Demo", dt.date(2025, 10, 20)],
    ["D-3", "Zenith", "Bo Chen", "Lead", "Call back", dt.date(2025, 10, 1)],
]


def build_team_pipeline(
    notifications: dict[str, Any] | None = None, timezone: str = "Europe/Berlin"
) -> Pipeline:
    """Return a pipeline over HEADERS with the given notifications section."""
    data: dict[str, Any] = {
        "name": "Team pipeline",
        "source": {"tab": "Deals"},
        "timezone": timezone,
        "columns": {field: {"aliases": [header]} for field, header in HEADERS.items()},
        "stages": [
            {"name": "Lead"},
            {"name": "Qualified", "required": ["account"]},
            {"name": "Won", "outcome": "won"},
        ],
    }
    if notifications is not None:
        data["notifications"] = notifications
    return Pipeline.model_validate(data)


class MemoryWorkbook:
    """A workbook source over rows in memory; writes are accepted and dropped."""

    name = "Team.xlsx"
    target_name = "Team.xlsx"
    requests_made = 0

    def __init__(self, rows: list[list[CellValue]]) -> None:
        self.rows = rows

    def tab_names(self) -> list[str]:
        return ["Deals"]

    def read_tab(self, tab: str) -> SheetGrid:
        return SheetGrid(self.name, tab, [list(row) for row in self.rows])

    def apply(self, plan: WritePlan) -> WriteReport:
        return WriteReport(len(plan.status_cells), [], 0, 0, [], self.name)


def sync_result(
    pipeline: Pipeline,
    rows: list[list[CellValue]] | None = None,
    as_of: dt.date = AS_OF,
    dry_run: bool = False,
) -> RunResult:
    """Return the result of a real sync run over ``rows`` (SHEET_ROWS by default)."""
    source = MemoryWorkbook(SHEET_ROWS if rows is None else rows)
    return run_sync(pipeline, source, as_of, dry_run=dry_run)


def ana_digest(pipeline: Pipeline | None = None) -> OwnerDigest:
    """Return Ana Lima's digest with one follow-up five days overdue."""
    followup = Followup(
        owner="Ana Lima",
        deal_id="D-1",
        row=2,
        account="Acme Tools",
        stage="Lead",
        next_step="Send pricing",
        due=dt.date(2025, 9, 25),
        days_overdue=5,
        state=FollowupState.OVERDUE,
    )
    (digest,) = build_digests(
        [followup], [], [], pipeline or build_team_pipeline(), AS_OF, {}
    )
    return digest


# A next step of 104 Chinese characters, as a sales team writes one.
LONG_CHINESE_STEP = (
    "与客户采购部和信息部负责人一起确认报价单中的实施范围、付款节点以及售后服务条款，"
    "并约定下次会议时间；同时请法务审核合同模板中的违约责任条款，财务确认开票信息与回款计划，"
    "并在周五前把会议纪要发给客户项目经理确认"
)


def long_chinese_digest(count: int, account: str) -> OwnerDigest:
    """Return 陈刚's digest in zh-CN with ``count`` overdue follow-ups of long steps."""
    team = build_team_pipeline()
    tabs = team.outputs.tabs.model_copy(
        update={"followups": "待跟进", "problems": "问题清单"}
    )
    outputs = team.outputs.model_copy(update={"locale": Locale.ZH_CN, "tabs": tabs})
    pipeline = team.model_copy(update={"outputs": outputs})
    followups = [
        Followup(
            owner="陈刚",
            deal_id=f"SJ-{row:04d}",
            row=row,
            account=account,
            stage="Lead",
            next_step=LONG_CHINESE_STEP,
            due=dt.date(2025, 9, 25),
            days_overdue=5,
            state=FollowupState.OVERDUE,
        )
        for row in range(2, 2 + count)
    ]
    (digest,) = build_digests(followups, [], [], pipeline, AS_OF, {})
    return digest
