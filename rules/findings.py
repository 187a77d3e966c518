"""Findings: what the checks report about rows, as data."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Code(StrEnum):
    """Stable finding codes. They are part of the public output: never rename one."""

    MISSING_REQUIRED = "missing-required"
    MISSING_ID = "missing-id"
    DUPLICATE_ID = "duplicate-id"
    UNKNOWN_STAGE = "unknown-stage"
    UNKNOWN_VALUE = "unknown-value"
    BAD_DATE = "bad-date"
    BAD_AMOUNT = "bad-amount"
    BAD_NUMBER = "bad-number"
    BAD_PROBABILITY = "bad-probability"
    BAD_FLAG = "bad-flag"
    CLOSE_DATE_PASSED = "close-date-passed"
    FOLLOWUP_OVERDUE = "followup-overdue"
    FOLLOWUP_DUE_SOON = "followup-due-soon"
    NO_NEXT_STEP = "no-next-step"
    IDLE_IN_STAGE = "idle-in-stage"
    STAGE_SKIPPED = "stage-skipped"
    MOVED_BACK = "moved-back"
    CONTENT_UNDER_BLANK_HEADER = "content-under-blank-header"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem (or notice) on one row of the pipeline tab.

    ``row`` is the row number as the user sees it in the sheet; ``column`` is the
    header text as written in the sheet; ``value`` is the cell as displayed text.
    ``params`` fill the message template of ``code``. Findings with equal params
    may share one dict, so code must not modify ``params``.
    """

    code: Code
    severity: Severity
    row: int | None
    column: str | None = None
    value: str | None = None
    deal_id: str | None = None
    field: str | None = None
    params: dict[str, str] = dataclasses.field(default_factory=dict)
