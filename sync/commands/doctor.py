"""``pipesheet doctor CONFIG``: check that a definition's workbook is ready to sync.

Prints one line per check, ✓ passed, ✗ failed (with what to fix) or · not
checked, and exits 1 when any check failed. Nothing is written to the
workbook; for Google Sheets the edit-access check sends an empty
``batchUpdate``, which changes nothing.
"""

from __future__ import annotations

import datetime as dt
import sys

import click

from config.errors import PipesheetError
from config.loader import load_pipeline
from config.models import Pipeline
from sync.checkup import Check, Outcome, run_checkup
from sync.cli import check_source_given, definition_file
from sync.commands.options import reject_empty_source
from sync.digest_schedule import digest_schedule_problem

MARKS = {
    Outcome.PASSED: "✓",
    Outcome.FAILED: "✗",
    Outcome.SKIPPED: "·",
    Outcome.WARNED: "!",
}


@click.command("doctor")
@click.argument("config", metavar="CONFIG")
@click.option(
    "--source",
    metavar="PATH_OR_URL",
    callback=reject_empty_source,
    help="Workbook file or spreadsheet URL to check instead of the definition's.",
)
def doctor(config: str, source: str | None) -> None:
    """Check credentials, access, tab, header row and columns, and show fixes.

    CONFIG is a definition file or a shipped definition name. Exits 1 when a
    check fails.
    """
    try:
        pipeline = _load_definition(config)
    except PipesheetError as error:
        _print_checks([Check("Definition", Outcome.FAILED, str(error))])
        sys.exit(1)
    check_source_given(config, source)

    detail = f"{pipeline.name!r}, {pipeline.source.kind.value} source"
    checks = [
        Check("Definition", Outcome.PASSED, detail),
        *_check_digest_schedule(pipeline, config),
        *run_checkup(pipeline, source),
    ]
    _print_checks(checks)
    failed = sum(1 for check in checks if check.outcome is Outcome.FAILED)
    if failed:
        summary = f"{failed} checks failed; fix them"
        if failed == 1:
            summary = "1 check failed; fix it"
        click.echo(f"\n{summary} and run pipesheet doctor again.")
        sys.exit(1)
    warned = sum(1 for check in checks if check.outcome is Outcome.WARNED)
    if warned:
        click.echo(f"\nAll checks passed, but {warned} marked ! need a look.")
        return
    click.echo("\nAll checks passed.")


def _check_digest_schedule(pipeline: Pipeline, config: str) -> list[Check]:
    if pipeline.schedule is None or pipeline.notifications is None:
        return []
    problem = digest_schedule_problem(pipeline, config, dt.datetime.now(dt.UTC))
    if problem is not None:
        return [Check("Digest schedule", Outcome.WARNED, problem)]
    hour = pipeline.notifications.digest_hour
    if hour is None:
        detail = "digests go out with the day's first run"
    else:
        detail = (
            f"schedule.cron {pipeline.schedule.cron!r} runs at or after {hour:02d}:00"
        )
    return [Check("Digest schedule", Outcome.PASSED, detail)]


def _load_definition(config: str) -> Pipeline:
    return load_pipeline(definition_file(config))


def _print_checks(checks: list[Check]) -> None:
    width = max(len(check.name) for check in checks)
    for check in checks:
        first, *rest = check.detail.splitlines() or [""]
        click.echo(f"{MARKS[check.outcome]} {check.name.ljust(width)}  {first}")
        for line in rest:
            click.echo(f"  {' ' * width}  {line}")
