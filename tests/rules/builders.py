"""Builders of pipelines, column maps and deals for the rules tests.

Deals are built the way parsing leaves them: ``raw`` contains every given cell and
``values`` only the filled ones, parsed (numbers as floats).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from config.models import ColumnSpec, Outcome, Pipeline, SourceConfig, Stage
from rules.deals import ColumnMap, Deal, ParsedValue
from rules.grid import CellValue, is_blank

AS_OF = dt.date(2025, 9, 9)

HEADERS = {
    "id": "Deal ID",
    "account": "Account",
    "owner": "Owner",
    "stage": "Stage",
    "amount": "Amount",
    "probability": "Probability",
    "product": "Product",
    "source": "Lead Source",
    "created_date": "Created",
    "close_date": "Expected Close",
    "next_step": "Next Step",
    "next_step_date": "Next Step Date",
    "stage_entered_date": "Stage Entered",
    "snooze_until": "Snooze Until",
    "acknowledged": "Acknowledged",
    "lost_reason": "Lost Reason",
    "region": "Region",
    "proposal_date": "Proposal Sent",
}

STAGES = [
    Stage(name="Lead", probability=0.1, idle_days=14),
    Stage(name="Qualified", probability=0.25, required=["account"]),
    Stage(
        name="Proposal",
        probability=0.5,
        required=["account", "amount", "close_date"],
        idle_days=30,
    ),
    Stage(
        name="Closed Won",
        probability=1.0,
        outcome=Outcome.WON,
        required=["close_date", "amount"],
    ),
    Stage(
        name="Closed Lost",
        probability=0.0,
        outcome=Outcome.LOST,
        required=["lost_reason"],
    ),
]


def build_pipeline(
    stages: list[Stage] | None = None,
    fields: list[str] | None = None,
    **changes: Any,
) -> Pipeline:
    """Return a pipeline over ``fields`` (every field in HEADERS by default)."""
    mapped = fields if fields is not None else list(HEADERS)
    return Pipeline(
        name="Test pipeline",
        source=SourceConfig(tab="Deals"),
        columns={name: ColumnSpec(aliases=[HEADERS[name]]) for name in mapped},
        stages=stages if stages is not None else STAGES,
        **changes,
    )


def build_columns(
    pipeline: Pipeline, missing: tuple[str, ...] = (), header_row: int = 3
) -> ColumnMap:
    """Return the column map of a sheet holding every mapped field but ``missing``."""
    present = [name for name in pipeline.columns if name not in missing]
    return ColumnMap(
        header_row=header_row,
        headers=[HEADERS[name] for name in present],
        fields={name: index for index, name in enumerate(present)},
        status_column=None,
    )


def build_deal(
    pipeline: Pipeline,
    row: int,
    deal_id: str | None,
    stage: str | None,
    *,
    raw: dict[str, CellValue] | None = None,
    **cells: CellValue,
) -> Deal:
    """Return a deal in the named stage (None for an unknown one).

    ``cells`` are filled or blank cells. ``raw`` are cells left unparsed, as when
    parsing rejected them.
    """
    known = {item.name: item for item in pipeline.stages}
    all_raw: dict[str, CellValue] = {"id": deal_id, "stage": stage, **cells}
    values = {
        name: _parsed(value) for name, value in all_raw.items() if not is_blank(value)
    }
    return Deal(
        row=row,
        deal_id=deal_id,
        stage=known[stage] if stage is not None else None,
        raw={**all_raw, **(raw or {})},
        values=values,
    )


def _parsed(value: CellValue) -> ParsedValue:
    if isinstance(value, bool | str | dt.date):
        return value
    if isinstance(value, int | float):
        return float(value)
    raise TypeError(f"no parsed form for {value!r} in tests")
