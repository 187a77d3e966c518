"""The ``pipesheet`` command line: a thin shell over :mod:`sync.run`.

Exit codes: 0 success, 1 the work could not be done (or ``check`` found errors),
2 usage errors. Data goes to stdout, progress and errors to stderr.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import logging
import shlex
import shutil
import sys
import tempfile
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from difflib import get_close_matches
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

import click
from rich.console import Console
from rich.text import Text

from config.errors import PipesheetError, SourceError
from config.loader import (
    build_pipeline,
    is_workbook_file,
    load_pipeline,
    names_rules_tab,
    peek_excel_source,
    read_definition,
)
from config.shipped import shipped_definition, shipped_definitions
from rules.findings import Severity
from sync.atomic import write_atomically
from sync.closed_pipe import tolerate_closed_pipes
from sync.collector import paused_cycle_collection
from sync.commands.history import history, log, state_option
from sync.commands.options import (
    JSON_REQUESTED,
    json_option,
    reject_empty_output,
    reject_empty_source,
    reject_state_with_no_state,
)
from sync.commands.rename_tab import rename_tab
from sync.commands.rename_workbook import rename_workbook
from sync.entry_point import install_interrupt_handlers, stop_service_while_starting
from sync.interrupts import (
    WriteProgress,
    interrupts_deferred_after_commit,
    last_write,
    signal_name,
)
from sync.log_output import RUN_WARNINGS, set_up_command_logging
from sync.process_exit import (
    end_after_command,
    end_after_output_error,
    exit_process,
    ignore_interrupts_until_exit,
    is_output_error,
    keep_objects_until_exit,
)
from sync.sources.excel_read_ahead import start_read_ahead

# Checking and writing need pandas, SQLAlchemy and the rules, about 0.7 s of
# imports, so the commands import them when they run: ``--help`` needs none,
# and ``run`` first starts parsing the workbook, which then overlaps them.
if TYPE_CHECKING:
    from config.models import Pipeline
    from sync.notify.dispatch import DigestReport
    from sync.run import Progress, RunResult
    from sync.state.store import StateStore

logger = logging.getLogger(__name__)

# The days ``--as-of`` accepts. Excel stores no dates before 1900. A year after
# 2199 is surely a typo, and a run's date arithmetic could pass year 9999, where
# Python's dates end.
EARLIEST_AS_OF = dt.date(1900, 1, 1)
LATEST_AS_OF = dt.date(2199, 12, 31)

# The demo's state database, kept in the demo folder beside its workbook.
DEMO_STATE = "pipesheet-state.sqlite"

# Markup is off because workbook, tab and cell texts may contain "[...]", which
# rich would read as style tags (and "[/]" makes it raise). Emoji codes are off
# for the same reason: rich would show a file named ":fire:.xlsx" as "🔥.xlsx".
# Without them rich also skips importing its table of emoji codes, about 2 ms.
stdout = Console(soft_wrap=True, markup=False, emoji=False)
stderr = Console(stderr=True, soft_wrap=True, markup=False, emoji=False)


def main() -> NoReturn:
    """Run the ``pipesheet`` command line and exit with its status (0, 1 or 2).

    The process ends without the interpreter's teardown, see
    :mod:`sync.process_exit`. Tests call :data:`cli` instead, which returns.
    """
    end_after_command()
    tolerate_closed_pipes()
    # Again, for callers that start here rather than at sync.entry_point.
    install_interrupt_handlers()
    try:
        cli()
    except SystemExit as request:
        # The traceback still references click's frames, which hold the
        # command's return value, so a run's result is not freed either.
        exit_process(request.code)
    except OSError as error:
        if not is_output_error(error):
            raise
        end_after_output_error(error)
    exit_process(0)


class WorkFailed(click.ClickException):
    """A :class:`PipesheetError` shown as ``Error: <message>``, with exit code 1."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        stderr.print(Text.assemble(("Error:", "bold red"), " ", self.message))


class LazyCommand:
    """A subcommand imported only when it runs, with its help's first line known."""

    def __init__(self, location: str, first_line: str) -> None:
        self.location = location
        self.first_line = first_line

    def load(self) -> click.Command:
        """Import the command from ``location`` (``"module:attribute"``)."""
        module, attribute = self.location.split(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def short_help(self, limit: int) -> str:
        """Return the help line the command itself shows in a list of commands."""
        return click.Command(None, help=self.first_line).get_short_help_str(limit)


# Subcommands whose modules import the whole run (pandas, the scheduler). A test
# checks each first line against the command's docstring.
LAZY_COMMANDS = {
    "doctor": LazyCommand(
        "sync.commands.doctor:doctor",
        "Check credentials, access, tab, header row and columns, and show fixes.",
    ),
    "serve": LazyCommand(
        "sync.commands.serve:serve",
        "Run each definition on its schedule until stopped with SIGTERM or SIGINT.",
    ),
}


class PipesheetGroup(click.Group):
    """The command group: pipesheet's own errors become exit 1 with a message.

    With ``--json`` the error is also printed to stdout as JSON, so a script
    that parses stdout gets a JSON document on failure too. The commands in
    ``LAZY_COMMANDS`` are imported when they are looked up to run.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        lazy = LAZY_COMMANDS.get(cmd_name)
        if command is None and lazy is not None:
            try:
                command = lazy.load()
            except KeyboardInterrupt as interrupt:
                # Importing serve loads the scheduler and pandas, which takes
                # a while, and systemd may stop the service meanwhile.
                if cmd_name != "serve":
                    raise
                stop_service_while_starting(interrupt)
        return command

    def format_commands(
        self, ctx: click.Context, formatter: click.HelpFormatter
    ) -> None:
        """List the commands with their help lines, importing no lazy one."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names), default=0)
        rows = []
        for name in names:
            command = super().get_command(ctx, name)
            if command is None:
                rows.append((name, LAZY_COMMANDS[name].short_help(limit)))
            elif not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # A usage error stops the command line before the --json option is
        # read, so whether it was given is noted from the raw arguments.
        options = args[: args.index("--")] if "--" in args else args
        ctx.meta[JSON_ON_COMMAND_LINE] = any(map(_is_json_option, options))
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            # An unknown option before the command, such as -q.
            hinted = self._with_command_hint(ctx, error, options)
            if ctx.meta[JSON_ON_COMMAND_LINE]:
                print_error_json(hinted)
            raise hinted from None

    def _with_command_hint(
        self, ctx: click.Context, error: click.UsageError, options: list[str]
    ) -> click.UsageError:
        """Say where an option of a command goes when it was put before the command.

        Click suggests only options of pipesheet itself, such as ``--version``
        for ``--json``, so its suggestion is dropped when the command takes
        the option as typed. When Click has a suggestion and the command has
        no option close to the typed one, the error stays as Click made it.
        """
        commands = set(self.list_commands(ctx))
        name = next((arg for arg in options if arg in commands), None)
        if not isinstance(error, click.NoSuchOption) or name is None:
            return error

        command = self.get_command(ctx, name)
        taken = _option_names(command) if command is not None else set()
        hint = (
            "Options of a command go after its name: "
            f"pipesheet {name} ... {error.option_name}"
        )
        if error.option_name in taken:
            message = f"{error.message} {hint}"
        elif error.possibilities and not get_close_matches(error.option_name, taken):
            return error
        else:
            message = f"{error.format_message()} {hint}"
        return click.NoSuchOption(error.option_name, message, ctx=error.ctx)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PipesheetError as error:
            if ctx.meta.get(JSON_REQUESTED):
                print_error_json(error)
            raise WorkFailed(str(error)) from error
        except click.UsageError as error:
            hinted = _with_verbose_hint(error)
            if ctx.meta.get(JSON_ON_COMMAND_LINE):
                print_error_json(hinted)
            raise hinted from None
        except WorkFailed:
            raise  # The command printed its result, which lists the problem.
        except click.ClickException as error:
            if ctx.meta.get(JSON_REQUESTED):
                print_error_json(error)
            raise
        except KeyboardInterrupt as interrupt:
            # Ctrl-C, SIGTERM or SIGHUP. A run's write past its commit point
            # defers them (sync.interrupts), so one that gets here wrote nothing.
            ignore_interrupts_until_exit()
            stopped = interrupted_error(interrupt, ctx.meta.get(WORKBOOK_TO_WRITE))
            if ctx.meta.get(JSON_REQUESTED):
                print_error_json(stopped)
            raise stopped from None


def interrupted_error(
    interrupt: KeyboardInterrupt, workbook: str | None = None
) -> click.ClickException:
    """Return the error of a command stopped by a signal, naming the signal.

    The message states whether the workbook was written. A signal after a
    write's commit point is held back until the run ends (sync.interrupts), so
    one gets here after a write only if an error followed the write or the
    signal came after the run's block ended.

    :param workbook: the workbook the command writes, or None for a command
        that writes none in place.
    """
    stopped = f"Stopped by {signal_name(interrupt)}"
    if workbook is None:
        return click.ClickException(f"{stopped} before the command finished.")

    write = last_write()
    if write is not None and write.progress is WriteProgress.WRITTEN:
        return click.ClickException(
            f"{stopped} after workbook {write.target!r} was written, so it contains "
            "this run's result, but the command did not finish."
        )
    if write is not None:
        return click.ClickException(
            f"{stopped} while the write to workbook {write.target!r} was being "
            "completed, so it may or may not contain this run's result. Run "
            "again to make sure it does."
        )
    return click.ClickException(
        f"{stopped} before the command finished. Workbook {workbook!r} was left "
        "as it was."
    )


def _with_verbose_hint(error: click.UsageError) -> click.UsageError:
    """Say where -v goes when a command was given it, as only the group takes it."""
    if not isinstance(error, click.NoSuchOption):
        return error
    if error.option_name not in {"-v", "--verbose"} or error.ctx is None:
        return error
    message = (
        f"{error.format_message()} -v and -vv are options of pipesheet itself, "
        f"so put them before the command: pipesheet -v {error.ctx.info_name} ..."
    )
    return click.NoSuchOption(error.option_name, message, ctx=error.ctx)


def _option_names(command: click.Command) -> set[str]:
    """Return every spelling of the command's options, such as ``--json``."""
    names: set[str] = set()
    for param in command.params:
        if isinstance(param, click.Option):
            names.update(param.opts, param.secondary_opts)
    return names


def _is_json_option(arg: str) -> bool:
    """Return True for ``--json`` and for ``--json=VALUE``, a usage error."""
    return arg == "--json" or arg.startswith("--json=")


# Key in click's Context.meta: the command line contains --json.
JSON_ON_COMMAND_LINE = "pipesheet.json_on_command_line"
# The workbook a command writes in place, named if a signal stops the command.
WORKBOOK_TO_WRITE = "pipesheet.workbook_to_write"


def print_error_json(error: PipesheetError | click.ClickException) -> None:
    """Print ``{"error": {"type": ..., "message": ...}}`` to stdout."""
    if isinstance(error, click.UsageError):
        kind, message = "UsageError", error.format_message()
    elif isinstance(error, click.ClickException):
        kind, message = "Error", error.format_message()
    else:
        kind, message = type(error).__name__, str(error)
    document = {"error": {"type": kind, "message": message}}
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
    sys.stdout.write("\n")


def check_as_of(
    ctx: click.Context, param: click.Parameter, text: str | None
) -> dt.date | None:
    """Parse ``--as-of`` while the command line is read, so a bad date exits 2."""
    if text is None:
        return None
    try:
        as_of = dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a date; use YYYY-MM-DD, e.g. 2025-09-30"
        ) from None

    if not EARLIEST_AS_OF <= as_of <= LATEST_AS_OF:
        raise click.BadParameter(
            f"{text!r} is out of range; use a date from {EARLIEST_AS_OF} to "
            f"{LATEST_AS_OF}"
        )
    return as_of


def parse_as_of(
    as_of: dt.date | None, pipeline: Pipeline, now: dt.datetime | None = None
) -> dt.date:
    """Return the run's "today": ``--as-of`` or today in the definition's zone.

    :param now: the moment (aware) whose day is today; default the clock's.
    """
    if as_of is not None:
        return as_of
    moment = now or dt.datetime.now(dt.UTC)
    return moment.astimezone(zoneinfo.ZoneInfo(pipeline.timezone)).date()


def check_recorded_day(as_of: dt.date, pipeline: Pipeline) -> None:
    """Reject a recorded run for a day after today in the definition's zone.

    Recorded runs must go forward in time, so a mistyped future day would
    make every later run for today fail.

    :raises click.UsageError: ``as_of`` is after today.
    """
    today = parse_as_of(None, pipeline)
    if as_of <= today:
        return
    raise click.UsageError(
        f"--as-of {as_of} is after today ({today} in {pipeline.timezone}), and "
        "a recorded run for a later day would make every run before that day "
        "fail. Check the date, or add --dry-run or --no-state to try a future "
        "day without recording it."
    )


def is_shipped_name(name_or_path: str) -> bool:
    """Return True when CONFIG names a shipped definition rather than a file."""
    path = Path(name_or_path)
    return not (path.exists() or path.suffix in {".yaml", ".yml"})


def resolve_definition(name_or_path: str, source: str | None = None) -> Pipeline:
    """Load a definition file, or a shipped one by name (``b2b-en``).

    A workbook with a Rules tab is a definition too, and so is a definition
    with the Rules tab of its workbook laid over it: see :mod:`sync.rules_tab`.
    """
    workbook = workbook_definition(name_or_path)
    if workbook is not None:
        return workbook
    path = definition_file(name_or_path)
    data = read_definition(path)
    return _with_rules_tab(data, path, build_pipeline(data, path), source)


def workbook_definition(name_or_path: str) -> Pipeline | None:
    """Return the definition of a workbook CONFIG's Rules tab, or None for a file.

    :raises click.UsageError: CONFIG is a workbook without a Rules tab, or a
        CSV file.
    :raises SourceError: CONFIG names a workbook file that does not exist.
    """
    path = Path(name_or_path)
    if not is_workbook_file(path):
        return None
    from config.rules_tab import RULES_TAB_SUFFIXES
    from sync.rules_tab import load_workbook_definition

    if path.suffix.lower() in RULES_TAB_SUFFIXES and not path.exists():
        raise SourceError(
            f"{name_or_path}: workbook not found; check the path, or give a "
            "pipeline definition (a YAML file) or a shipped definition's name "
            "as CONFIG"
        )

    pipeline = load_workbook_definition(path)
    if pipeline is None:
        raise click.UsageError(_workbook_as_config_message(name_or_path))
    return pipeline


def _with_rules_tab(
    data: object, path: Path, pipeline: Pipeline, source: str | None
) -> Pipeline:
    # Imported only for a definition that names a Rules tab, so the others
    # import no workbook backend here.
    if pipeline.source.rules_tab is None:
        return pipeline
    from sync.rules_tab import lay_rules_tab_over

    return lay_rules_tab_over(data, path, pipeline, source)


def definition_file(name_or_path: str) -> Path:
    """Return the file of a definition given as a file or a shipped name.

    :raises click.UsageError: CONFIG is a workbook or CSV file.
    """
    if is_workbook_file(Path(name_or_path)):
        raise click.UsageError(_workbook_as_config_message(name_or_path))
    if is_shipped_name(name_or_path):
        return shipped_definition(name_or_path)
    return Path(name_or_path)


# Commands whose hint repeats the command given; others suggest ``check``,
# which reads the workbook and writes nothing.
_COMMANDS_TAKING_SOURCE = ("run", "check", "doctor", "history")


def _workbook_as_config_message(workbook: str) -> str:
    context = click.get_current_context(silent=True)
    command = context.info_name if context is not None else None
    if command not in _COMMANDS_TAKING_SOURCE:
        command = "check"
    suffix = Path(workbook).suffix.lower()
    kind = "a workbook"
    if suffix in {".csv", ".tsv"}:
        kind = f"a {suffix[1:].upper()} file"
    choices = (
        "a pipeline definition (a YAML file) or a shipped definition's name (see "
        "'pipesheet definitions')"
    )
    if kind == "a workbook":
        choices = (
            "a pipeline definition (a YAML file), a shipped definition's name (see "
            "'pipesheet definitions') or a workbook with a 'Rules' tab (see "
            "'pipesheet init --rules-tab')"
        )
    from config.rules_tab import RULES_TAB_SUFFIXES

    if suffix in RULES_TAB_SUFFIXES and Path(workbook).is_file():
        choices += ", and this workbook has no 'Rules' tab"
    hint = f"{STARTER_DEFINITION} --source {shlex.quote(workbook)}"
    from sync.sources.read_only import is_read_only_format

    if is_read_only_format(Path(workbook)):
        # A run would fail to write it, so the hint names a command that works.
        command = "doctor" if command == "doctor" else "check"
        return (
            f"CONFIG {workbook!r} is {kind}, but CONFIG must be {choices}. "
            "pipesheet can check this file but not write it. To check it with the "
            f"shipped English definition, run: pipesheet {command} {hint}"
        )
    return (
        f"CONFIG {workbook!r} is {kind}, but CONFIG must be {choices}. To use the "
        f"shipped English definition on this workbook, run: pipesheet {command} "
        f"{hint}"
    )


def resolve_definition_reading_ahead(name_or_path: str, source: str | None) -> Pipeline:
    """Load a definition as :func:`resolve_definition` does, reading its workbook.

    Parsing the pipeline tab of an Excel workbook starts in the background as
    soon as the YAML is read, so it overlaps validating the definition and
    importing pydantic and the models, about 0.1 s. If the definition turns
    out invalid, the command fails as usual and the parse is never used.
    """
    workbook = workbook_definition(name_or_path)
    if workbook is not None:
        _read_ahead(workbook.source.path, workbook.source.tab, source)
        return workbook

    path = definition_file(name_or_path)
    data = read_definition(path)
    excel = peek_excel_source(data, path)
    # A read ahead started before the Rules tab is read would be taken by
    # that read, so a definition that names the tab starts it afterwards.
    if excel is not None and not names_rules_tab(data):
        _read_ahead(*excel, source)
    pipeline = build_pipeline(data, path)
    if pipeline.source.rules_tab is None:
        return pipeline

    pipeline = _with_rules_tab(data, path, pipeline, source)
    if excel is not None:
        _read_ahead(pipeline.source.path, pipeline.source.tab, source)
    return pipeline


def _read_ahead(definition_workbook: str | None, tab: str, source: str | None) -> None:
    location = source or definition_workbook
    # python-calamine reads every Excel-kind file but CSV and TSV text.
    if location and not location.lower().endswith((".csv", ".tsv")):
        start_read_ahead(Path(location), tab)


def check_source_given(config: str, source: str | None) -> None:
    """Require ``--source`` when CONFIG is the name of a shipped definition.

    A shipped definition's source.path points beside its installed file, where
    no user keeps a workbook.

    :raises click.UsageError: a shipped name without ``--source``.
    """
    if source is None and is_shipped_name(config):
        raise click.UsageError(
            f"CONFIG {config!r} is a shipped definition, which names no workbook "
            "of yours. Pass the workbook with --source PATH (for example the file "
            "that 'pipesheet init' created), or copy the definition, set "
            "source.path in the copy and pass the copy's file as CONFIG."
        )


@click.group(
    name="pipesheet",
    cls=PipesheetGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option("-v", "--verbose", count=True, help="Log INFO (-v) or DEBUG (-vv).")
@click.version_option(package_name="pipesheet", prog_name="pipesheet")
def cli(verbose: int) -> None:
    """pipesheet keeps a team's shared deal sheet honest."""
    set_up_command_logging(verbose)


config_argument = click.argument("config", metavar="CONFIG")
source_option = click.option(
    "--source",
    metavar="PATH_OR_URL",
    callback=reject_empty_source,
    help="Workbook file to use instead of the definition's source.path, or for "
    "a Google Sheets definition a spreadsheet URL or id to use instead of "
    "source.spreadsheet.",
)
as_of_option = click.option(
    "--as-of",
    "as_of_date",
    metavar="DATE",
    callback=check_as_of,
    help="The day to check against (YYYY-MM-DD); default today in the "
    "definition's time zone.",
)
quiet_option = click.option(
    "-q", "--quiet", is_flag=True, help="Print no progress lines on stderr."
)


@cli.command()
@config_argument
@source_option
@as_of_option
@click.option(
    "--dry-run", is_flag=True, help="Show what would be written; write nothing."
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=reject_empty_output,
    help="Write the result to this file and leave the source workbook as it is.",
)
@state_option
@click.option(
    "--no-state",
    is_flag=True,
    help="Keep no run history: no stage log, no snapshot, no workbook lock.",
)
@json_option
@quiet_option
@paused_cycle_collection()
def run(
    config: str,
    source: str | None,
    as_of_date: dt.date | None,
    dry_run: bool,
    output: Path | None,
    state: str,
    no_state: bool,
    as_json: bool,
    quiet: bool,
) -> RunResult:
    """Check the pipeline tab and write the status column and generated tabs.

    CONFIG is a definition file, a shipped definition name (see 'pipesheet
    definitions') or a workbook with a Rules tab. Each run is recorded in the
    state database, which gives the Stage log tab its history.
    """
    reject_state_with_no_state(no_state)
    if dry_run and output is not None:
        raise click.UsageError(
            f"--output {str(output)!r} names a file to write, but --dry-run "
            "writes nothing; leave out one of the two options."
        )
    pipeline = resolve_definition_reading_ahead(config, source)
    check_source_given(config, source)
    check_output_given(pipeline, source, output)
    if output is not None and pipeline.columns["id"].fill is not None:
        # The workbook keeps its blank IDs, so every run would number them anew.
        raise click.UsageError(
            f"--output {str(output)!r} leaves the workbook as it is, but "
            "columns.id.fill writes new IDs into its blank ID cells, and each run "
            "would give those rows new numbers again. Leave out --output to fill "
            "the IDs in place, or delete 'fill' from the definition."
        )
    # The run's digests are those of the day it started on, so the day is
    # taken once, not again after a sync that may end after midnight.
    started_at = dt.datetime.now(dt.UTC)
    as_of = parse_as_of(as_of_date, pipeline, started_at)
    if not (dry_run or no_state):
        check_recorded_day(as_of, pipeline)
    from sync.job import RunRequest, record_run
    from sync.run import run_sync
    from sync.sources.registry import check_source_option, open_source

    check_source_option(pipeline, source)
    click.get_current_context().meta[WORKBOOK_TO_WRITE] = _workbook_name(
        pipeline, source, output
    )

    # Once the workbook is replaced, Ctrl-C and SIGTERM wait until the run is
    # recorded and its result printed.
    with interrupts_deferred_after_commit(recorded=not no_state):
        digests = None
        if no_state:
            warn_of_transitions_without_state(pipeline)
            workbook = open_source(pipeline, source, output, writes=not dry_run)
            result = run_sync(
                pipeline, workbook, as_of, dry_run=dry_run, progress=_progress(quiet)
            )
        else:
            request = RunRequest(pipeline, as_of, source, output, dry_run, started_at)
            with open_state(state, dry_run) as store:
                recorded = record_run(request, store, progress=_progress(quiet))
            result = recorded.result
            digests = recorded.digests

        # Nothing to change means nothing was written, but --output promises
        # a file.
        workbook_path = source or pipeline.source.path
        if output and workbook_path and not dry_run and result.report is None:
            copy_unchanged_workbook(Path(workbook_path), output)
        _print_result(result, pipeline, as_json, digests)
    # Click passes the result up unused; it stays referenced until main() ends
    # the process, so its objects are not freed one by one.
    keep_objects_until_exit()
    _fail_on_blockers(result)
    return result


def _workbook_name(pipeline: Pipeline, source: str | None, output: Path | None) -> str:
    """Return the name of the workbook file or spreadsheet that a run writes."""
    if output is not None:
        return output.name
    location = source or pipeline.source.path or pipeline.source.spreadsheet or ""
    if pipeline.source.spreadsheet is not None or "://" in location:
        return location
    return Path(location).name


def warn_of_transitions_without_state(pipeline: Pipeline) -> None:
    """Warn that ``--no-state`` skips the stage-change checks the definition sets.

    Those checks compare each deal's stage with the one recorded by the last
    run, so without the state database they do not run.
    """
    if "transitions" not in pipeline.model_fields_set:
        return
    logger.warning(
        "transitions: --no-state reads no run history, so the checks of stage "
        "changes that this key sets (allow_skips, allow_moves_back) do not run. "
        "They and the %r tab need the state database; leave out --no-state to "
        "run them.",
        pipeline.outputs.tabs.stage_log,
    )


def check_output_given(
    pipeline: Pipeline, source: str | None, output: Path | None
) -> None:
    """Reject an ``--output`` that the run's source cannot be written to.

    :raises click.UsageError: the source is a Google spreadsheet or a file
        pipesheet only reads, or ``output`` has another extension than the
        workbook. Also when the folder that ``output`` (or a link there)
        writes into is missing, read-only or on a read-only file system.
    """
    from sync.sources.registry import check_output_for_source

    try:
        check_output_for_source(pipeline, source, output)
    except PipesheetError as error:
        raise click.UsageError(str(error)) from None


@contextmanager
def open_state(state: str, dry_run: bool) -> Iterator[StateStore]:
    """Open the state database of a run.

    A dry run records nothing, so it does not create a missing SQLite file: it
    reads an empty database made in a temporary folder instead, whose
    ``stands_in_for`` is the missing file. It opens an existing file
    read-only, so the file may be on a read-only file system.
    """
    from sync.state.engine import state_url
    from sync.state.errors import StateNotFoundError
    from sync.state.store import StateStore

    if not dry_run:
        store = StateStore.open(state)
    else:
        try:
            store = StateStore.open_for_reading(state)
        except StateNotFoundError:
            warn_of_missing_state(state)
            with (
                tempfile.TemporaryDirectory(prefix="pipesheet-") as folder,
                StateStore.open(str(Path(folder) / "state.sqlite")) as empty,
            ):
                empty.stands_in_for = state_url(state).database
                yield empty
            return
    with store:
        yield store


def warn_of_missing_state(state: str) -> None:
    """Warn that the state database a command was given does not exist.

    A mistyped path would otherwise show a run without history, as if none
    were recorded. The default path gets no warning, because it is missing
    until the first recorded run in a folder.
    """
    from sync.state.engine import state_url

    given_by = click.get_current_context().get_parameter_source("state")
    if given_by is click.core.ParameterSource.COMMANDLINE:
        setting = "--state"
    elif given_by is click.core.ParameterSource.ENVIRONMENT:
        setting = "PIPESHEET_STATE"
    else:
        return
    logger.warning(
        "No state database at %r (from %s), so this command read no run "
        "history and shows the deals as a first run would. Check the path for "
        "a typo. Only a run without --dry-run creates the database.",
        state_url(state).database,
        setting,
    )


@cli.command()
@config_argument
@source_option
@as_of_option
@state_option
@click.option(
    "--no-state",
    is_flag=True,
    help="Read no run history: no stage log and no checks of stage changes.",
)
@json_option
@quiet_option
@paused_cycle_collection()
def check(
    config: str,
    source: str | None,
    as_of_date: dt.date | None,
    state: str,
    no_state: bool,
    as_json: bool,
    quiet: bool,
) -> RunResult:
    """Validate the definition and the sheet; write nothing.

    CONFIG is a definition file, a shipped definition name or a workbook with
    a Rules tab. Reads the run history as "run --dry-run" does, so it reports
    the same findings and planned writes. Exits 1 when error-level findings
    exist.
    """
    reject_state_with_no_state(no_state)
    pipeline = resolve_definition_reading_ahead(config, source)
    check_source_given(config, source)
    as_of = parse_as_of(as_of_date, pipeline)
    from sync.digest_schedule import warn_if_digests_never_due
    from sync.job import RunRequest, run_recorded
    from sync.run import run_sync
    from sync.sources.registry import open_source

    warn_if_digests_never_due(pipeline, config)
    if no_state:
        warn_of_transitions_without_state(pipeline)
        workbook = open_source(pipeline, source, writes=False)
        result = run_sync(
            pipeline, workbook, as_of, dry_run=True, progress=_progress(quiet)
        )
    else:
        request = RunRequest(pipeline, as_of, source, None, dry_run=True)
        with open_state(state, dry_run=True) as store:
            result = run_recorded(request, store, progress=_progress(quiet))
    _print_result(result, pipeline, as_json)
    keep_objects_until_exit()  # See the end of run.
    _fail_on_blockers(result)
    errors = sum(1 for f in result.findings if f.severity is Severity.ERROR)
    if errors:
        noun = "finding" if errors == 1 else "findings"
        stderr.print(f"{errors:,} error-level {noun}.", highlight=False)
        sys.exit(1)
    return result


# The shipped definition that the hint of ``definitions`` suggests copying.
STARTER_DEFINITION = "b2b-en"


@cli.command()
def definitions() -> None:
    """List the shipped definitions and their files, to copy one as a start.

    Each line is a name and the path of its YAML file. A hint on stderr shows
    how to start a definition of your own from a copy.
    """
    names = shipped_definitions()
    width = max(map(len, names), default=0)
    for name in names:
        path = shipped_definition(name)
        stdout.print(f"{name:<{width}}  {path}", highlight=False)

    # Quoted, so the command can be pasted into a shell even with spaces in the path.
    starter = shlex.quote(str(shipped_definition(STARTER_DEFINITION)))
    stderr.print(
        f"To start your own: cp {starter} pipeline.yaml, set source.path and the "
        "column aliases in it, then run pipesheet check pipeline.yaml. "
        "docs/definition.md in pipesheet's source describes every key.",
        highlight=False,
    )


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Language of headers, stages and example rows.",
)
@click.option(
    "--as-of",
    "as_of_date",
    metavar="DATE",
    callback=check_as_of,
    help="The day the example deals' dates are set around, so some are due and "
    "some overdue on it (YYYY-MM-DD); default today in the shipped "
    "definition's time zone.",
)
@click.option(
    "--rules-tab",
    is_flag=True,
    help="Add a Rules tab (规则 with --lang zh) that restates the shipped "
    "definition, so the workbook itself can be CONFIG and the team edits the "
    "stages and settings there.",
)
def init(path: Path, lang: str, as_of_date: dt.date | None, rules_tab: bool) -> None:
    """Create a starter workbook with dropdowns, date checks and example deals."""
    from config.models import Locale
    from sync.starter import build_starter_workbook

    locale = Locale.ZH_CN if lang == "zh" else Locale.EN
    definition = "sales-zh" if lang == "zh" else "b2b-en"
    pipeline = load_pipeline(shipped_definition(definition))
    as_of = parse_as_of(as_of_date, pipeline)
    rules = None
    if rules_tab:
        from config.rules_tab import RULES_TAB_NAMES
        from config.rules_tab_rows import rules_tab_rows

        tab_name = RULES_TAB_NAMES[1 if lang == "zh" else 0]
        rules = (tab_name, rules_tab_rows(pipeline, definition, locale))
    build_starter_workbook(path, locale, as_of=as_of, rules=rules)
    stdout.print(f"Created {path}", highlight=False)
    # Quoted, so the hint can be pasted into a shell even with spaces in the path.
    next_command = f"pipesheet run {definition} --source {shlex.quote(str(path))}"
    if rules_tab:
        next_command = f"pipesheet run {shlex.quote(str(path))}"
    if as_of_date is not None:
        # The example deals are dated around that day, not around today.
        next_command += f" --as-of {as_of_date}"
    if as_of_date is not None and as_of_date > parse_as_of(None, pipeline):
        # run rejects a later day without --dry-run or --no-state.
        next_command += " --dry-run"
    stdout.print(f"Next: {next_command}", highlight=False)


@cli.command()
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("pipesheet-demo"),
    show_default=True,
    help="Folder for the demo workbook; created if missing.",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Language of the demo's headers, stages and example rows.",
)
@quiet_option
def demo(folder: Path, lang: str, quiet: bool) -> None:
    """Build a demo workbook and run pipesheet on it, in one command.

    A workbook left by an earlier demo is run on again as it is, never replaced.
    The run is recorded in a state database in the same folder, so the demo has
    a Stage log tab, and runs of later days show the deals' stage changes.
    """
    from config.models import Locale
    from sync.job import RunRequest, run_recorded
    from sync.starter import build_starter_workbook
    from sync.state.store import StateStore

    definition = "sales-zh" if lang == "zh" else "b2b-en"
    pipeline = load_pipeline(shipped_definition(definition))
    as_of = parse_as_of(None, pipeline)
    create_demo_folder(folder)
    path = folder / ("销售管道.xlsx" if lang == "zh" else "pipeline.xlsx")
    if path.exists():
        # Never replaced, because it may hold the user's edits or be their own file.
        stderr.print(
            f"Using the existing workbook {path}; delete it to start a new demo.",
            highlight=False,
        )
    else:
        locale = Locale.ZH_CN if lang == "zh" else Locale.EN
        build_starter_workbook(path, locale, as_of=as_of)
        stderr.print(f"Built demo workbook {path}", highlight=False)

    request = RunRequest(pipeline, as_of, str(path))
    click.get_current_context().meta[WORKBOOK_TO_WRITE] = path.name
    with interrupts_deferred_after_commit(recorded=True):
        with StateStore.open(str(folder / DEMO_STATE)) as store:
            result = run_recorded(request, store, progress=_progress(quiet))
        _print_result(result, pipeline, as_json=False)
    stdout.print(
        f"\nOpen {path} and look at the status column of "
        f"{pipeline.source.tab!r} and the tabs "
        f"{', '.join(repr(n) for n in pipeline.outputs.tabs.every_run())}.",
        highlight=False,
    )


@cli.command("import-maven")
@click.argument(
    "csv_folder", type=click.Path(file_okay=False, exists=True, path_type=Path)
)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def import_maven(csv_folder: Path, path: Path) -> None:
    """Turn the Maven CRM CSV files into a workbook as a team would keep it."""
    from rules.messages import counted
    from sync.maven import build_maven_workbook

    summary = build_maven_workbook(csv_folder, path)
    deals = counted(summary.rows_written, "deal")
    stdout.print(f"Wrote {deals} to {path}", highlight=False)
    stdout.print(
        f"Next: pipesheet run maven-crm --source {shlex.quote(str(path))} "
        "--as-of 2017-12-31",
        highlight=False,
    )


def create_demo_folder(folder: Path) -> None:
    """Create the demo's folder and the folders above it that are missing.

    :raises SourceError: naming the folder, when it cannot be created.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SourceError(
            f"Cannot create the demo folder {str(folder)!r}: "
            f"{error.strerror or error}. Run pipesheet demo in a folder you can "
            "write to, or pass --folder DIR with such a folder."
        ) from error


def copy_unchanged_workbook(workbook: Path, output: Path) -> None:
    """Copy a workbook that needed no changes to ``--output``, byte for byte."""
    if output.exists() and output.resolve() == workbook.resolve():
        return
    try:
        with workbook.open("rb") as original:
            size = write_atomically(
                output, lambda copy: shutil.copyfileobj(original, copy)
            )
    except OSError as error:
        raise SourceError(
            f"Workbook {workbook.name!r} needed no changes, but copying it to "
            f"{str(output)!r} failed: {error.strerror or error}. Check that the "
            "output folder exists and is writable."
        ) from error
    if size is None:
        message = f"Nothing to change; {output} already is a copy of {workbook}."
    else:
        message = f"Nothing to change; copied {workbook} to {output} as it is."
    stderr.print(message, highlight=False)


def _progress(quiet: bool) -> Progress | None:
    if quiet:
        return None
    return lambda message: stderr.print(f"… {message}", highlight=False)


def _fail_on_blockers(result: RunResult) -> None:
    """Exit 1 with the first problem that would stop a real run from writing.

    The result, printed before, lists them all (``blockers`` in ``--json``).
    """
    if result.blockers:
        raise WorkFailed(f"{result.blockers[0]} A run would write nothing.")


def _print_result(
    result: RunResult,
    pipeline: Pipeline,
    as_json: bool,
    digests: DigestReport | None = None,
) -> None:
    """Print the run's result; ``--json`` adds its warnings and digests.

    ``digests`` is null in the JSON when none were tried: on a dry run, with
    ``--no-state`` and without ``notifications`` in the definition.
    """
    from sync.report import result_as_json, show_result, write_json

    if as_json:
        document = result_as_json(result, pipeline)
        document["warnings"] = list(RUN_WARNINGS.messages)
        document["digests"] = _digests_json(digests, pipeline)
        write_json(document, sys.stdout)
        sys.stdout.write("\n")
    else:
        show_result(stdout, result, pipeline)


def _digests_json(
    digests: DigestReport | None, pipeline: Pipeline
) -> dict[str, Any] | None:
    if digests is None or pipeline.notifications is None:
        return None
    from sync.notify.report_json import digests_as_json

    return digests_as_json(digests, pipeline.notifications)


cli.add_command(history)
cli.add_command(log)
cli.add_command(rename_tab)
cli.add_command(rename_workbook)
