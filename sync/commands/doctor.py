"""``pipesheet doctor CONFIG``: check that a definition's workbook is ready to sync.

Prints one line per check, ✓ passed, ✗ failed (with what to fix) or · not
checked, or with ``--json`` the same checks as a JSON object, and exits 1
when any check failed. Nothing is written to the
workbook; for Google Sheets the edit-access check sends an empty
``batchUpdate``, which changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Mapping

import click

from config.errors import PipesheetError
from config.models import Pipeline
from sync.checkup import Check, Outcome, run_checkup
from sync.cli import check_source_given, resolve_definition
from sync.commands.history import state_option
from sync.commands.options import json_option, reject_empty_source
from sync.digest_schedule import digest_schedule_problem
from sync.notify.credentials import list_credential_variables

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
@state_option
@json_option
def doctor(config: str, source: str | None, state: str, as_json: bool) -> None:
    """Check credentials, access, tab, header row and columns, and show fixes.

    CONFIG is a definition file, a shipped definition name or a workbook
    with a Rules tab; a Rules tab is checked with the definition. Each digest
    channel's credential variables must be set in this environment. The state
    database is checked when it exists, and is never changed. Exits 1 when a
    check fails.
    """
    show = _print_checks_json if as_json else _print_checks
    try:
        pipeline = resolve_definition(config, source)
    except PipesheetError as error:
        show([Check("Definition", Outcome.FAILED, str(error))])
        sys.exit(1)
    check_source_given(config, source)

    detail = f"{pipeline.name!r}, source.kind {pipeline.source.kind.value}"
    if pipeline.source.rules_tab is not None:
        detail += f", with tab {pipeline.source.rules_tab!r} laid over it"
    state_checks = _check_state_database(state)
    # A database that the next run upgrades is read from an upgraded copy.
    if state_checks and all(
        check.outcome is not Outcome.FAILED for check in state_checks
    ):
        state_checks += _check_recorded_stages(pipeline, source, state)
    checks = [
        Check("Definition", Outcome.PASSED, detail),
        *_check_digest_schedule(pipeline, config),
        *_check_channel_credentials(pipeline, os.environ),
        *run_checkup(pipeline, source),
        *state_checks,
    ]
    show(checks)
    failed = sum(1 for check in checks if check.outcome is Outcome.FAILED)
    if as_json:
        sys.exit(1 if failed else 0)
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


def _check_state_database(state: str) -> list[Check]:
    """Check that a run can open the state database, and whether it upgrades it.

    A missing SQLite file gets no line, because the first run creates it.
    """
    from sync.state.errors import StateError
    from sync.state.schema import HEAD_REVISION
    from sync.state.store import StateStore
    from sync.state.upgrades import STATE_BACKUPS, describe_revisions

    name = "State database"
    try:
        revisions = StateStore.read_revisions(state)
    except StateError as error:
        return [Check(name, Outcome.FAILED, str(error))]
    if revisions is None:
        return []
    shown = _shown_state(state)
    if not revisions:
        return [
            Check(
                name,
                Outcome.PASSED,
                f"{shown!r} is empty, so no run has been recorded in it yet. The "
                "next run creates pipesheet's tables in it.",
            )
        ]
    if revisions == [HEAD_REVISION]:
        return [
            Check(name, Outcome.PASSED, f"{shown!r}, schema revision {HEAD_REVISION!r}")
        ]
    if "://" in state:
        kept = (
            "Back the database up first, because pipesheet copies no database at a URL."
        )
    else:
        kept = (
            "It first keeps a copy of the file in the folder "
            f"'.pipesheet-backups' beside it, {STATE_BACKUPS} copies at most."
        )
    detail = (
        f"{shown!r} has {describe_revisions(revisions)}, and the next run "
        f"upgrades it to {HEAD_REVISION!r}. pipesheet versions that predate "
        f"revision {HEAD_REVISION!r} cannot open it afterwards. {kept}"
    )
    return [Check(name, Outcome.WARNED, detail)]


def _check_recorded_stages(
    pipeline: Pipeline, source: str | None, state: str
) -> list[Check]:
    """Warn when the last recorded run saw deals in stages the definition lacks.

    It runs only after the state database check passed or found an older
    schema revision. An older SQLite file is read from an upgraded copy, and
    a database at a URL with an older revision gets no line. A tab without
    a recorded run gets no line.
    """
    from rules.stage_history import StageHistory, describe_unknown_recorded_stages
    from sync.state.errors import StateError
    from sync.state.keys import workbook_key
    from sync.state.store import StateStore

    try:
        key = workbook_key(pipeline, source)
        with StateStore.open_for_reading(state) as store:
            previous = store.latest_snapshot(key, tab=pipeline.source.tab)
    except (StateError, PipesheetError):
        return []
    if previous is None:
        return []
    warning = describe_unknown_recorded_stages(StageHistory(previous), pipeline)
    if warning is None:
        return []
    return [Check("Recorded stages", Outcome.WARNED, warning)]


def _shown_state(state: str) -> str:
    from sync.state.engine import state_url

    url = state_url(state)
    if url.get_backend_name() == "sqlite" and url.database:
        return url.database
    return url.render_as_string(hide_password=True)


def _check_channel_credentials(
    pipeline: Pipeline, environ: Mapping[str, str]
) -> list[Check]:
    # The values are secrets, so only the variables' names are printed.
    if pipeline.notifications is None:
        return []
    checks = []
    for channel in pipeline.notifications.channels:
        variables = list_credential_variables(channel)
        if not variables:
            continue
        name = f"Channel {channel.id}"
        unset = [item for item in variables if not environ.get(item[1])]
        if not unset:
            names = ", ".join(f"{field} {variable!r}" for field, variable in variables)
            checks.append(Check(name, Outcome.PASSED, f"{names} set"))
            continue
        checks.append(Check(name, Outcome.FAILED, _describe_unset(unset)))
    return checks


def _describe_unset(unset: list[tuple[str, str]]) -> str:
    named = " and ".join(f"{variable!r} ({field})" for field, variable in unset)
    example = unset[0][1]
    subject = f"the environment variable {named} is"
    pronoun = "it"
    if len(unset) > 1:
        subject = f"the environment variables {named} are"
        pronoun = "them"
    return (
        f"{subject} not set or empty, so every digest on this channel fails. Set "
        f"{pronoun} in the environment that pipesheet runs in, such as "
        f"`export {example}=...` in the shell or `Environment={example}=...` in "
        "the systemd unit, and run doctor in that environment."
    )


def _print_checks_json(checks: list[Check]) -> None:
    """Print the checks as ``{"passed": ..., "checks": [...]}`` for scripts."""
    document = {
        "passed": all(check.outcome is not Outcome.FAILED for check in checks),
        "checks": [
            {"name": check.name, "outcome": check.outcome.value, "detail": check.detail}
            for check in checks
        ],
    }
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


def _print_checks(checks: list[Check]) -> None:
    width = max(len(check.name) for check in checks)
    for check in checks:
        first, *rest = check.detail.splitlines() or [""]
        click.echo(f"{MARKS[check.outcome]} {check.name.ljust(width)}  {first}")
        for line in rest:
            click.echo(f"  {' ' * width}  {line}")
