"""The jobs of ``pipesheet serve``: one per definition, each with a cron trigger.

A definition's ``schedule`` gives a cron expression (minute hour day month
weekday) and a time zone, by default the definition's own ``timezone``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from config.cron import crontab_fields, day_alternatives
from config.errors import DefinitionError
from config.loader import build_pipeline, is_workbook_file, read_definition
from config.models import Pipeline, SourceKind
from config.shipped import shipped_definition
from sync.state.keys import workbook_key

# Fire times looked at to find a trigger's longest gap between two runs:
# enough to cover a week of a daily or weekday schedule.
INTERVAL_SAMPLE_FIRES = 8
# Fire times looked at to find a trigger's shortest gap. They cover more than
# a day of an hourly schedule and a month of a twice-daily one.
SHORTEST_GAP_SAMPLE_FIRES = 64

SCHEDULE_EXAMPLE = 'schedule:\n  cron: "0 7 * * 1-5"\n  timezone: Europe/Berlin'


class WallClockCronTrigger(CronTrigger):  # type: ignore[misc]
    """A cron trigger that fires at most once per local wall-clock time.

    When clocks go back, a time in the repeated hour happens twice, and
    APScheduler 3.11's :class:`CronTrigger` fires at both (02:30 in
    Europe/Berlin on the last Sunday of October). This trigger skips the
    second, so a daily job runs once on that day too. When
    clocks go forward, a time in the skipped hour fires once, an hour later
    in real time; :class:`CronTrigger` already does that.
    """

    def get_next_fire_time(
        self, previous_fire_time: dt.datetime | None, now: dt.datetime
    ) -> dt.datetime | None:
        """Return the next fire time after ``previous_fire_time``, or None."""
        following: dt.datetime | None = super().get_next_fire_time(
            previous_fire_time, now
        )
        if following is None or previous_fire_time is None:
            return following
        if _wall_clock(following, self.timezone) != _wall_clock(
            previous_fire_time, self.timezone
        ):
            return following

        # Passing the repeated time as both the previous fire time and "now"
        # makes the search start just after it.
        just_after = following.astimezone(dt.UTC) + dt.timedelta(microseconds=1)
        later: dt.datetime | None = super().get_next_fire_time(following, just_after)
        return later


@dataclass(frozen=True)
class ScheduledDefinition:
    """A definition ``pipesheet serve`` runs, with its workbook and schedule.

    ``config`` is the definition file's absolute path, or a shipped name.
    ``tab`` is its pipeline tab: only that tab's runs count as the
    definition's runs when the service catches up and reports health.
    ``cron`` is None for a definition without ``schedule``, which only
    ``--once`` accepts. ``timezone`` is the schedule's time zone.
    """

    config: str
    source: str | None
    name: str
    workbook_key: str
    tab: str
    cron: str | None
    timezone: str

    @property
    def job_id(self) -> str:
        """Return the scheduler's id of this definition's job."""
        return self.config


def load_definition(config: str, source: str | None = None) -> Pipeline:
    """Load a definition file, or a shipped definition by name (``b2b-en``).

    A Rules tab is laid over the definition as :mod:`sync.rules_tab` describes,
    read anew on each call, so each scheduled run uses the tab as it is then.

    :param source: the workbook from ``--source``, whose Rules tab is read.
    :raises DefinitionError: the file is missing or invalid, or no shipped
        definition has that name.
    """
    from sync.rules_tab import lay_rules_tab_over, load_workbook_definition

    path = Path(config)
    if is_workbook_file(path):
        # A workbook without a Rules tab gets the loader's message.
        workbook = load_workbook_definition(path)
        if workbook is not None:
            return workbook
    if not (path.exists() or path.suffix in {".yaml", ".yml"}):
        path = shipped_definition(config)
    data = read_definition(path)
    return lay_rules_tab_over(data, path, build_pipeline(data, path), source)


def load_scheduled(
    configs: Sequence[str], source: str | None, *, require_schedule: bool
) -> list[ScheduledDefinition]:
    """Load every definition ``pipesheet serve`` was given and check them together.

    :param source: the workbook to use instead of the definition's; only
        allowed with one definition.
    :param require_schedule: reject a definition without ``schedule``.
    :raises DefinitionError: a definition is invalid, has no schedule when one
        is required, is given twice, or shares its workbook with another one.
    """
    if source is not None and len(configs) != 1:
        raise DefinitionError(
            f"--source {source!r} names one workbook, but {len(configs)} "
            "definitions were given. Set source.path in each definition instead."
        )
    scheduled = [_load_one(config, source, require_schedule) for config in configs]
    _check_distinct(scheduled)
    return scheduled


def build_trigger(definition: ScheduledDefinition) -> BaseTrigger:
    """Return the cron trigger of a definition's schedule.

    :raises DefinitionError: the definition has no schedule, or its cron
        expression is invalid.
    """
    if definition.cron is None:
        raise _no_schedule_error(definition.config, definition.name)
    time_zone = zoneinfo.ZoneInfo(definition.timezone)
    try:
        return cron_trigger(definition.cron, time_zone)
    except ValueError as error:
        raise DefinitionError(
            f"Definition {definition.config!r}: schedule.cron {definition.cron!r} "
            f"is invalid ({error}). Write five fields, minute hour day month "
            'weekday, such as "0 7 * * 1-5" for 07:00 on weekdays.'
        ) from error


def cron_trigger(expression: str, time_zone: zoneinfo.ZoneInfo) -> BaseTrigger:
    """Return the trigger of a standard five-field cron expression in ``time_zone``.

    APScheduler 3's ``CronTrigger.from_crontab`` reads weekday numbers with 0
    as Monday, unlike cron where 0 is Sunday (agronholm/apscheduler#286, not
    fixable in 3.x). The weekday field is rewritten as day names first, so
    ``1-5`` means Monday to Friday as in a crontab. An expression that
    restricts both the day and the weekday fires when either matches, as in
    cron (see :func:`~config.cron.day_alternatives`).

    :raises ValueError: the expression is invalid.
    """
    triggers: list[WallClockCronTrigger] = [
        WallClockCronTrigger.from_crontab(
            crontab_fields(alternative), timezone=time_zone
        )
        for alternative in day_alternatives(expression)
    ]
    if len(triggers) == 1:
        return triggers[0]
    # OrTrigger fires at the earliest next fire time of its triggers, once
    # when both give the same time.
    either: BaseTrigger = OrTrigger(triggers)
    return either


def longest_interval(trigger: BaseTrigger, now: dt.datetime) -> dt.timedelta:
    """Return the longest gap between the trigger's next fire times after ``now``.

    A weekday schedule gives 3 days (Friday to Monday), a daily one 1 day.
    """
    fires = next_fire_times(trigger, now, INTERVAL_SAMPLE_FIRES)
    return max(_gaps(fires), default=dt.timedelta(days=1))


def shortest_interval(trigger: BaseTrigger, now: dt.datetime) -> dt.timedelta | None:
    """Return the shortest gap between the trigger's next fire times after ``now``.

    A ``*/5`` schedule gives 5 minutes, ``0 7,13 * * 1-5`` 6 hours. A trigger
    with fewer than two fire times left gives None.

    NOTE: only the next :data:`SHORTEST_GAP_SAMPLE_FIRES` fire times are
    looked at, so a shorter gap that first comes after them is not found.
    """
    fires = next_fire_times(trigger, now, SHORTEST_GAP_SAMPLE_FIRES)
    return min(_gaps(fires), default=None)


def _gaps(fires: list[dt.datetime]) -> list[dt.timedelta]:
    """Return the real time between consecutive fire times.

    Python subtracts two datetimes of one time zone as wall-clock times, so
    across a daylight saving change ``*/30`` would give 90 minutes or a
    negative gap. The times are subtracted in UTC.
    """
    instants = [fire.astimezone(dt.UTC) for fire in fires]
    return [later - earlier for earlier, later in itertools.pairwise(instants)]


def last_fire_time(trigger: BaseTrigger, now: dt.datetime) -> dt.datetime | None:
    """Return the trigger's latest fire time at or before ``now``, if any.

    Searches back two of the trigger's longest intervals, which contain at
    least one fire time of a trigger without an end date.
    """
    start = now - 2 * longest_interval(trigger, now)
    latest = None
    for fire in next_fire_times(trigger, start, None, until=now):
        latest = fire
    return latest


def next_fire_times(
    trigger: BaseTrigger,
    now: dt.datetime,
    count: int | None,
    *,
    until: dt.datetime | None = None,
) -> list[dt.datetime]:
    """Return the trigger's fire times after ``now``, as the scheduler takes them.

    Stops after ``count`` times, or at the last time not after ``until``.

    :raises ValueError: both ``count`` and ``until`` are None.
    """
    if count is None and until is None:
        raise ValueError("pass count, until or both; the list would be endless")
    fires: list[dt.datetime] = []
    previous: dt.datetime | None = None
    moment = now
    while count is None or len(fires) < count:
        fire = trigger.get_next_fire_time(previous, moment)
        if fire is None or (until is not None and fire > until):
            break
        fires.append(fire)
        # The scheduler computes the next time just after a run, from its time.
        previous, moment = fire, fire.astimezone(dt.UTC) + dt.timedelta(seconds=1)
    return fires


def _load_one(
    config: str, source: str | None, require_schedule: bool
) -> ScheduledDefinition:
    path = Path(config)
    is_file = path.exists() or path.suffix in {".yaml", ".yml"}
    if not is_file and source is None:
        raise DefinitionError(
            f"CONFIG {config!r} is a shipped definition, which names no workbook "
            "of yours. Pass the workbook with --source PATH, or copy the "
            "definition, set source.path and schedule in the copy and pass it."
        )
    pipeline = load_definition(config, source)
    if require_schedule and pipeline.schedule is None:
        raise _no_schedule_error(config, pipeline.name)

    schedule = pipeline.schedule
    if source is not None and pipeline.source.kind is SourceKind.EXCEL:
        source = str(Path(source).resolve())
    return ScheduledDefinition(
        config=str(path.resolve()) if is_file else config,
        source=source,
        name=pipeline.name,
        workbook_key=workbook_key(pipeline, source),
        tab=pipeline.source.tab,
        cron=schedule.cron if schedule else None,
        timezone=(schedule.timezone if schedule else None) or pipeline.timezone,
    )


def _check_distinct(scheduled: Sequence[ScheduledDefinition]) -> None:
    configs: dict[str, ScheduledDefinition] = {}
    workbooks: dict[str, ScheduledDefinition] = {}
    for definition in scheduled:
        if definition.config in configs:
            raise DefinitionError(
                f"Definition {definition.config!r} is given twice; give each "
                "definition once."
            )
        other = workbooks.get(definition.workbook_key)
        if other is not None:
            raise DefinitionError(
                f"Definitions {other.config!r} and {definition.config!r} both sync "
                f"workbook {definition.workbook_key!r}. pipesheet serve schedules "
                "and reports one definition per workbook, so serve one of them "
                "and run the other with 'pipesheet run'."
            )
        configs[definition.config] = definition
        workbooks[definition.workbook_key] = definition


def _no_schedule_error(config: str, name: str) -> DefinitionError:
    return DefinitionError(
        f"Definition {config!r} ({name!r}) has no schedule, so pipesheet serve "
        f"cannot tell when to run it. Add one, for example:\n{SCHEDULE_EXAMPLE}\n"
        "or run it once with --once."
    )


def _wall_clock(moment: dt.datetime, time_zone: Any) -> dt.datetime:
    return moment.astimezone(time_zone).replace(tzinfo=None)
