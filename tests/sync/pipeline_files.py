"""A small pipeline workbook and definition file that tests edit day by day.

The workbook has a title in row 1, headers in row 3 and one deal per row from
row 4 on its ``Deals`` tab, as a team would keep it. The definition maps the
columns below, schedules a daily run at 07:00 in Europe/Berlin, lets a deal
sit 2 days in Lead, and can post digests to a webhook.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from python_calamine import CalamineWorkbook

from rules.grid import CellValue

HEADERS = (
    "Deal ID",
    "Account",
    "Owner",
    "Stage",
    "Next Step Date",
    "Snooze Until",
    "Lost Reason",
)
FIRST_DEAL_ROW = 4
TIME_ZONE = "Europe/Berlin"

DEFINITION = """\
name: Test pipeline
source:
  kind: excel
  path: {workbook}
  tab: Deals
  header_row: 3
timezone: {time_zone}
schedule:
  cron: "0 7 * * *"
columns:
  id: {{aliases: [Deal ID], required: true}}
  account: {{aliases: [Account]}}
  owner: {{aliases: [Owner]}}
  stage: {{aliases: [Stage], required: true}}
  next_step_date: {{aliases: [Next Step Date]}}
  snooze_until: {{aliases: [Snooze Until]}}
  lost_reason: {{aliases: [Lost Reason]}}
stages:
  - {{name: Lead, probability: 0.1, idle_days: 2}}
  - {{name: Qualified, probability: 0.3}}
  - {{name: Proposal, probability: 0.6}}
  - {{name: Won, probability: 1.0, outcome: won}}
  - {{name: Lost, probability: 0.0, outcome: lost}}
followups:
  due_soon_days: 1
  require_next_step_date: false
"""

NOTIFICATIONS = """\
notifications:
  digest_hour: 7
  owners:
    Ana: {{webhooks: [chat]}}
    Ben: {{webhooks: [chat]}}
  channels:
    - {{kind: webhook, id: chat, url: "{url}", format: generic}}
"""


@dataclass(frozen=True)
class SheetDeal:
    """One row of the Deals tab."""

    deal_id: str
    owner: str
    stage: str
    next_step: dt.date | None = None
    snooze_until: dt.date | None = None
    lost_reason: str | None = None

    def cells(self) -> list[CellValue]:
        account = f"Account of {self.deal_id}"
        return [
            self.deal_id,
            account,
            self.owner,
            self.stage,
            self.next_step,
            self.snooze_until,
            self.lost_reason,
        ]


def write_definition(
    folder: Path,
    workbook: str = "pipeline.xlsx",
    *,
    webhook_url: str | None = None,
    time_zone: str = TIME_ZONE,
) -> Path:
    """Write ``pipeline.yaml`` into ``folder``, with digests when given a URL."""
    text = DEFINITION.format(workbook=workbook, time_zone=time_zone)
    if webhook_url is not None:
        text += NOTIFICATIONS.format(url=webhook_url)
    path = folder / "pipeline.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def write_deals(path: Path, deals: Sequence[SheetDeal]) -> None:
    """Create the workbook, or replace every deal row of its Deals tab.

    Rows are replaced whole, status column included, as when a rep pastes
    the day's table over yesterday's.
    """
    if path.exists():
        workbook = openpyxl.load_workbook(path)
        sheet = workbook["Deals"]
        sheet.delete_rows(FIRST_DEAL_ROW, max(sheet.max_row, FIRST_DEAL_ROW))
    else:
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = "Deals"
        sheet["A1"] = "Sales pipeline"
        for column, header in enumerate(HEADERS, start=1):
            sheet.cell(row=3, column=column, value=header)

    for offset, deal in enumerate(deals):
        for column, value in enumerate(deal.cells(), start=1):
            cell = sheet.cell(row=FIRST_DEAL_ROW + offset, column=column, value=value)
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    workbook.save(path)


def read_tab(path: Path, tab: str) -> list[list[object]]:
    """Return a tab's rows as python-calamine reads them, trailing blanks removed."""
    workbook = CalamineWorkbook.from_path(str(path))
    try:
        rows = workbook.get_sheet_by_name(tab).to_python(skip_empty_area=False)
    finally:
        workbook.close()
    return [_trimmed(row) for row in rows]


def tab_names(path: Path) -> list[str]:
    """Return the workbook's tab names as python-calamine reads them."""
    workbook = CalamineWorkbook.from_path(str(path))
    try:
        return list(workbook.sheet_names)
    finally:
        workbook.close()


def _trimmed(row: Sequence[object]) -> list[object]:
    cells = [None if cell == "" else cell for cell in row]
    while cells and cells[-1] is None:
        cells.pop()
    return cells
