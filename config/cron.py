"""Check the cron expression of a definition's ``schedule`` as the service reads it.

``pipesheet serve`` builds its triggers with APScheduler 3, so the check uses
APScheduler's own parser: a hand-written one could accept what the service rejects.
"""

from __future__ import annotations

import datetime as dt

# Weekday numbers of standard cron: 0 (and 7) is Sunday.
CRON_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# Five cron fields repeat with the 400-year Gregorian calendar, so an
# expression that fires at all fires within 400 years of any start. A fixed
# start keeps the check free of the clock.
SEARCH_START = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


# The first four cron fields, as APScheduler names them, with the value that
# messages expect.
CRON_FIELDS = (
    ("minute", "a minute from 0 to 59"),
    ("hour", "an hour from 0 to 23"),
    ("day", "a day from 1 to 31"),
    ("month", "a month from 1 to 12"),
)
# The shorthands of Vixie cron, which APScheduler's from_crontab rejects, with
# the five fields each stands for.
CRON_SHORTHANDS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
CRON_FORMAT = (
    "A cron expression has five fields, minute hour day month weekday, such as "
    '"0 7 * * 1-5" for 07:00 on weekdays'
)


def check_cron(expression: str) -> None:
    """Check that ``expression`` is a five-field cron expression the service can run.

    :raises ValueError: naming the field that is invalid and its range, or
        when no date matches the expression.
    """
    from apscheduler.triggers.cron import CronTrigger

    reason = _cron_problem(expression)
    if reason is not None:
        raise ValueError(f"invalid value {expression!r}; {reason}. {CRON_FORMAT}")
    triggers = [
        CronTrigger.from_crontab(crontab_fields(alternative), timezone="UTC")
        for alternative in day_alternatives(expression)
    ]

    # APScheduler gives no next fire time for a date that does not exist,
    # such as February 31, and the service would wait forever.
    if all(
        trigger.get_next_fire_time(None, SEARCH_START) is None for trigger in triggers
    ):
        raise ValueError(
            f"invalid value {expression!r}; no date matches it, so the schedule "
            "would never run. Correct the day and month fields, such as "
            '"0 7 28 2 *" for 07:00 on February 28'
        )


def day_alternatives(expression: str) -> list[str]:
    """Return the expressions whose fire times together are those of ``expression``.

    In cron, when the day and weekday fields are both restricted (neither
    starts with ``*``), a day matches when either field matches it:
    ``0 7 1,15 * 1`` runs on the 1st, the 15th and every Monday. APScheduler
    matches both, so such an expression becomes two, one per field.

    >>> day_alternatives("0 7 1,15 * 1")
    ['0 7 1,15 * *', '0 7 * * 1']
    >>> day_alternatives("0 7 */2 * 1-5")
    ['0 7 */2 * 1-5']
    """
    fields = expression.split()
    if len(fields) != 5 or fields[2].startswith("*") or fields[4].startswith("*"):
        return [expression]
    minute, hour, day, month, weekday = fields
    return [
        " ".join((minute, hour, day, month, "*")),
        " ".join((minute, hour, "*", month, weekday)),
    ]


def _cron_problem(expression: str) -> str | None:
    """Return why APScheduler rejects a cron expression, or None if it accepts it.

    APScheduler's messages name the value but not its field, such as "the
    last value (60) is higher than the maximum value (59)", so each field is
    tried alone to find the invalid one.
    """
    from apscheduler.triggers.cron import CronTrigger

    fields = expression.split()
    shorthand = CRON_SHORTHANDS.get(expression.strip().casefold())
    if shorthand is not None:
        return f'pipesheet does not read cron shorthands; write "{shorthand}" instead'
    if len(fields) == 1:
        return "it has 1 field"
    if len(fields) != 5:
        return f"it has {len(fields)} fields"
    for (name, expected), field in zip(CRON_FIELDS, fields, strict=False):
        try:
            CronTrigger(**{name: field})
        except ValueError:
            return f"the {name} field {field!r} is invalid; expected {expected}"

    # Only the weekday field is left to be invalid.
    try:
        CronTrigger.from_crontab(crontab_fields(expression), timezone="UTC")
    except ValueError:
        return (
            f"the weekday field {fields[4]!r} is invalid; expected a weekday from "
            "0 to 7 (0 and 7 are Sunday) or from sun to sat"
        )
    return None


def crontab_fields(expression: str) -> str:
    """Return a cron expression with its weekday numbers written as day names.

    APScheduler 3's ``CronTrigger.from_crontab`` reads weekday numbers with 0
    as Monday, unlike cron where 0 is Sunday, so numbers are rewritten first.

    >>> crontab_fields("0 7 * * 1-5")
    '0 7 * * mon,tue,wed,thu,fri'

    :raises ValueError: the weekday field is invalid.
    """
    fields = expression.split()
    if len(fields) == 5:
        fields[4] = weekday_names(fields[4])
    return " ".join(fields)


def weekday_names(field: str) -> str:
    """Rewrite a cron weekday field with numbers as a list of day names.

    >>> weekday_names("1-5")
    'mon,tue,wed,thu,fri'
    >>> weekday_names("0,6")
    'sun,sat'

    :raises ValueError: an item is not a weekday, a range or a step of them.
    """
    if field == "*" or not any(character.isdigit() for character in field):
        return field
    days: set[int] = set()
    for item in field.split(","):
        days |= _weekdays_of(item)
    return ",".join(CRON_WEEKDAYS[day] for day in sorted(days))


def _weekdays_of(item: str) -> set[int]:
    # One item of a weekday list: *, a, a-b, with an optional /step.
    span, slash, step_text = item.partition("/")
    step = int(step_text) if step_text.isdecimal() and int(step_text) > 0 else None
    if slash and step is None:
        raise ValueError(f"invalid weekday step in {item!r}")
    if span == "*":
        first, last = 0, 6
    else:
        start, dash, end = span.partition("-")
        first = _weekday_number(start)
        if dash:
            last = _weekday_number(end)
        elif step:
            last = 7  # "3/2" means from Wednesday to the end of the week.
        else:
            last = first
    if last < first:
        raise ValueError(f"invalid weekday range {item!r}: it runs backwards")
    return {day % 7 for day in range(first, last + 1, step or 1)}


def _weekday_number(text: str) -> int:
    name = text.strip().lower()
    if name in CRON_WEEKDAYS:
        return CRON_WEEKDAYS.index(name)
    if name.isdecimal() and int(name) <= 7:
        return int(name)
    raise ValueError(f"invalid weekday {text!r}; expected 0-7 or sun-sat")
