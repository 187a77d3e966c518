"""``pipesheet serve``: run definitions on their schedules, or each once.

Logs go to stderr: one line when the service starts, one per job with its
next run, and one ``key=value`` line per run.

Exit codes: 0 after a stop by SIGTERM or SIGINT, or when ``--once`` finished
without a failed run or an unsent digest. 1 when a ``--once`` run failed, a
digest of a ``--once`` run was not sent, or a definition is unusable. 2 for
usage errors. A cron job has no ``/healthz`` to watch, so its exit code also
reports digests that reached no one.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from config.errors import PipesheetError
from sync.cli import check_source_given, workbook_definition
from sync.commands.history import state_option
from sync.commands.options import reject_empty_source
from sync.digest_schedule import warn_if_digests_never_due
from sync.entry_point import stop_service_while_starting
from sync.job import LOCK_TTL
from sync.log_output import set_up_service_logging
from sync.run_process import quiet_library_loggers
from sync.schedules import load_definition, load_scheduled
from sync.service import Service, ServiceOptions
from sync.state.engine import state_url
from sync.state.records import RunOutcome

DEFAULT_RUN_TIMEOUT = 900.0
DEFAULT_STOP_TIMEOUT = 60.0


@click.command("serve")
@click.argument("configs", metavar="CONFIG...", nargs=-1, required=True)
@click.option(
    "--source",
    metavar="PATH",
    callback=reject_empty_source,
    help="Workbook to use instead of the definition's source.path; only with "
    "one CONFIG.",
)
@state_option
@click.option(
    "--once",
    is_flag=True,
    help="Run every definition once now and exit: 1 if a run failed or a "
    "digest was not sent, else 0.",
)
@click.option(
    "--health-port",
    type=click.IntRange(0, 65535),
    metavar="N",
    help="Serve /healthz and /metrics on this TCP port (0: a free port, "
    "logged at start). Default: no endpoint.",
)
@click.option(
    "--health-host",
    default="127.0.0.1",
    show_default=True,
    help="Address the health endpoint listens on, IPv4 or IPv6 (such as ::1).",
)
@click.option(
    "--run-timeout",
    type=click.FloatRange(min=1, max=LOCK_TTL.total_seconds(), max_open=True),
    default=DEFAULT_RUN_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="Stop a run that takes longer and record it as failed; its workbook is "
    "left as it was or fully written. A run that is replacing its workbook "
    "then gets as long again (at most 60 s) to finish. Must be below the "
    "workbook lock's "
    f"lifetime of {LOCK_TTL.total_seconds():g} s.",
)
@click.option(
    "--stop-timeout",
    type=click.FloatRange(min=0),
    default=DEFAULT_STOP_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="On SIGTERM or SIGINT, how long running runs may go on before they "
    "are stopped.",
)
def serve(
    configs: tuple[str, ...],
    source: str | None,
    state: str,
    once: bool,
    health_port: int | None,
    health_host: str,
    run_timeout: float,
    stop_timeout: float,
) -> None:
    """Run each definition on its schedule until stopped with SIGTERM or SIGINT.

    CONFIG is a definition file with a 'schedule:' (cron and time zone); a
    shipped definition name needs --source. Each run is recorded in the state
    database, whose workbook lock keeps two services from running one
    workbook at once.
    """
    if once and health_port is not None:
        raise click.UsageError("--health-port serves a running service, not --once.")
    _check_configs(configs, source)
    log_level = _set_up_logging()
    options = ServiceOptions(
        state=_absolute_state(state),
        run_timeout=run_timeout,
        stop_timeout=stop_timeout,
        health_host=health_host,
        health_port=health_port,
        log_level=log_level,
    )
    try:
        try:
            definitions = load_scheduled(configs, source, require_schedule=not once)
            for definition in definitions:
                pipeline = load_definition(definition.config, definition.source)
                warn_if_digests_never_due(pipeline, definition.config)
            service = Service(definitions, options)
        except KeyboardInterrupt as interrupt:
            stop_service_while_starting(interrupt)
        if not once:
            service.serve_forever()
            return
        summaries = service.run_once()
    except (PipesheetError, OSError) as error:
        raise click.ClickException(str(error)) from error

    unsent = sum(summary.digests_failed for summary in summaries)
    if unsent:
        digests = "1 digest was" if unsent == 1 else f"{unsent} digests were"
        click.echo(
            f"{digests} not sent. The warnings above name each digest's entry, "
            "channel and error. Fix the channel in notifications.channels or the "
            "key an error names. A later run of the same day sends them again. "
            "From the next day, that day's digests list the items still open.",
            err=True,
        )
    if unsent or any(summary.outcome is RunOutcome.FAILED for summary in summaries):
        sys.exit(1)


def _check_configs(configs: tuple[str, ...], source: str | None) -> None:
    """Reject CONFIG arguments that are usage errors, before the service starts.

    They are a CONFIG given twice, --source with more than one CONFIG, a
    shipped definition name without --source, and a workbook without a Rules
    tab or a CSV file.

    :raises click.UsageError: any of them.
    """
    if source is not None and len(configs) > 1:
        raise click.UsageError(
            f"--source {source!r} names one workbook, but {len(configs)} CONFIG "
            "arguments were given; give one CONFIG with --source, or set "
            "source.path in each definition and leave out --source."
        )
    # By resolved path, so 'a.yaml' and './a.yaml' count as one file.
    seen: dict[Path, str] = {}
    for config in configs:
        check_source_given(config, source)
        # A workbook without a Rules tab, or a CSV file, is no definition.
        # A missing file is left to the loader, which names it.
        if Path(config).exists():
            workbook_definition(config)
        path = Path(config).resolve()
        earlier = seen.get(path)
        if earlier is None:
            seen[path] = config
            continue
        also = "" if earlier == config else f" (also as {earlier!r})"
        raise click.UsageError(
            f"CONFIG {config!r} is given twice{also}; give each definition once."
        )


def _set_up_logging() -> int:
    level = set_up_service_logging()
    quiet_library_loggers(level)
    return level


def _absolute_state(state: str) -> str:
    # The runs' processes may start in another folder than the service.
    if "://" in state:
        return state
    database = state_url(state).database
    return database or state
