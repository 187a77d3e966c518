"""Find a schedule whose runs all come before the digest hour, so they send no digest.

With ``notifications.digest_hour`` set, digests go out only from a run at or
after that hour in the definition's time zone. A schedule that runs only at
07:00 with a digest hour of 8 sends none on its own, and nothing fails, so
``check``, ``doctor`` and ``serve`` warn instead. A run at another time (the
catch-up run of ``serve`` at start, a manual run) still sends them. Without
a digest hour, the day's first run sends them.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo

from apscheduler.triggers.base import BaseTrigger

from config.models import Pipeline
from sync.schedules import cron_trigger

logger = logging.getLogger(__name__)

# Starting points of the fire times looked at, a quarter of a year apart, so a
# schedule in another time zone is seen on both sides of a clock change.
SAMPLE_STARTS = 4
SAMPLE_SPACING = dt.timedelta(days=91)
# Each sample covers a week, so a weekday schedule shows all its days.
SAMPLE_LENGTH = dt.timedelta(days=8)


def digest_schedule_problem(
    pipeline: Pipeline, config: str, now: dt.datetime
) -> str | None:
    """Return why the schedule never sends a digest, or None when it does sometimes.

    None also for a definition without a schedule or without notifications.

    :param config: the definition file or name, as the message shows it.
    :param now: the time (aware) from which fire times are looked at.
    """
    schedule, notifications = pipeline.schedule, pipeline.notifications
    if schedule is None or notifications is None:
        return None
    hour = notifications.digest_hour
    if hour is None:
        return None

    schedule_zone = schedule.timezone or pipeline.timezone
    trigger = cron_trigger(schedule.cron, zoneinfo.ZoneInfo(schedule_zone))
    local_zone = zoneinfo.ZoneInfo(pipeline.timezone)
    latest_hour = latest_local_hour(trigger, local_zone, now)
    if latest_hour is None or latest_hour >= hour:
        return None

    in_zone = "" if schedule_zone == pipeline.timezone else f" in {schedule_zone}"
    return (
        f"Definition {config!r}: schedule.cron {schedule.cron!r}{in_zone} runs "
        f"only before {hour:02d}:00 {pipeline.timezone}, the "
        f"notifications.digest_hour ({hour}), so its scheduled runs send no "
        "digest. Only a run started at or after that hour does, such as the "
        "catch-up run of 'pipesheet serve' at start or a 'pipesheet run'. Move "
        f"the schedule to {hour:02d}:00 or later, or set notifications.digest_hour "
        f"to {latest_hour} or lower."
    )


def warn_if_digests_never_due(
    pipeline: Pipeline, config: str, now: dt.datetime | None = None
) -> None:
    """Log a warning when the definition's schedule never sends a digest.

    :param config: the definition file or name, as the message shows it.
    :param now: the time (aware) from which fire times are looked at; default
        the current time.
    """
    moment = now or dt.datetime.now(dt.UTC)
    problem = digest_schedule_problem(pipeline, config, moment)
    if problem is not None:
        logger.warning("%s", problem)


def latest_local_hour(
    trigger: BaseTrigger, local_zone: zoneinfo.ZoneInfo, now: dt.datetime
) -> int | None:
    """Return the latest hour of the day, in ``local_zone``, at which the trigger fires.

    Looks at a week of fire times from ``now`` and from three later quarters of
    a year. None when the trigger does not fire in them.

    NOTE: a schedule that fires on none of those days, such as once a year,
    gets None, so no warning.
    """
    hours: set[int] = set()
    for sample in range(SAMPLE_STARTS):
        start = now + sample * SAMPLE_SPACING
        hours |= _local_hours(trigger, local_zone, start, start + SAMPLE_LENGTH)
    return max(hours, default=None)


def _local_hours(
    trigger: BaseTrigger,
    local_zone: zoneinfo.ZoneInfo,
    start: dt.datetime,
    end: dt.datetime,
) -> set[int]:
    hours: set[int] = set()
    moment = start
    while True:
        fire = trigger.get_next_fire_time(None, moment)
        if fire is None or fire > end:
            return hours
        local = fire.astimezone(local_zone)
        hours.add(local.hour)
        # Every later fire in this local hour has the same hour, so a schedule
        # that fires each minute costs one step per hour, not sixty.
        next_hour = local.replace(minute=0, second=0, microsecond=0)
        moment = next_hour.astimezone(dt.UTC) + dt.timedelta(hours=1)
