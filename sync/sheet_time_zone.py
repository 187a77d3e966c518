"""The warning when a workbook's own time zone and the definition's differ.

Google Sheets computes ``TODAY()`` and ``NOW()`` in the spreadsheet's time
zone setting. A run counts its day in the definition's ``timezone``, which is
``UTC`` when the definition sets none. A team that left it unset gets
follow-ups marked overdue a day late, or a day early, for part of each day.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from config.models import Pipeline
from config.time_zones import is_time_zone
from sync.sources.base import TimeZoneSource, WorkbookSource


def describe_time_zone_mismatch(
    source: WorkbookSource, pipeline: Pipeline, as_of: dt.date
) -> str | None:
    """Return a warning when the definition sets no zone and the workbook's differs.

    The zones differ when their UTC offsets differ at noon UTC on ``as_of``.
    A definition that sets ``timezone`` or ``schedule.timezone`` gets no
    warning, whatever the workbook's zone is.
    """
    if "timezone" in pipeline.model_fields_set:
        return None
    if not isinstance(source, TimeZoneSource):
        return None
    workbook_zone = source.time_zone()
    if not is_time_zone(workbook_zone):
        return None

    noon = dt.datetime.combine(as_of, dt.time(12), tzinfo=dt.UTC)
    gap = _utc_offset(noon, workbook_zone) - _utc_offset(noon, pipeline.timezone)
    if not gap:
        return None

    hours = abs(gap.total_seconds()) / 3600
    hours_text = "1 hour" if hours == 1 else f"{hours:g} hours"
    return (
        f"Spreadsheet {source.name!r} is set to the time zone {workbook_zone}, but the "
        f"definition sets no timezone, so runs count days in {pipeline.timezone}. "
        f"For {hours_text} of each day a run checks a different day than the "
        f"spreadsheet's today. Add 'timezone: {workbook_zone}' to the "
        f"definition, or 'timezone: {pipeline.timezone}' to keep "
        f"{pipeline.timezone} without this warning."
    )


def _utc_offset(moment: dt.datetime, zone: str) -> dt.timedelta:
    offset = moment.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset()
    return offset if offset is not None else dt.timedelta()
