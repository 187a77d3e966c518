"""Runs as the state database records them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import TypedDict


class RunOutcome(StrEnum):
    """The end state of a run."""

    OK = "ok"
    FAILED = "failed"
    # Not run on purpose, e.g. another process held the workbook's lock.
    SKIPPED = "skipped"
    # Put off to a later time, e.g. the workbook was open in Excel.
    DEFERRED = "deferred"


class RunFigures(TypedDict, total=False):
    """The counts a finished run reports; a run that stopped early has fewer.

    ``errors``, ``warnings`` and ``infos`` count findings by severity.
    ``reviewed_through`` is the first day of the last month whose review the
    run wrote or found written. ``stages`` are the definition's stages that
    the run used, in order, as ``[name, outcome]`` pairs.
    """

    deals: int
    errors: int
    warnings: int
    infos: int
    status_cells_written: int
    tabs_written: list[str]
    api_requests: int
    bytes_written: int
    error: str
    reviewed_through: dt.date
    stages: list[list[str]]


@dataclass(frozen=True)
class RunRecord:
    """One row of the runs table.

    ``outcome`` and ``finished_at`` are None while the run is in progress and
    stay None when its process died. Counts are None when the run never got
    that far.
    """

    id: int
    workbook_key: str
    tab: str
    as_of: dt.date
    started_at: dt.datetime
    finished_at: dt.datetime | None
    outcome: RunOutcome | None
    deals: int | None
    errors: int | None
    warnings: int | None
    infos: int | None
    status_cells_written: int | None
    tabs_written: list[str] | None
    api_requests: int | None
    bytes_written: int | None
    error: str | None

    @property
    def seconds(self) -> float | None:
        """Return the run's duration in seconds, or None if it has not finished."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()
