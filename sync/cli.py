"""The ``pipesheet`` command line: a thin shell over :mod:`sync.run`.

Exit codes: 0 success, 1 the work could not be done (or ``check`` found errors),
2 usage errors. Data goes to stdout, progress and errors to stderr.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import zoneinfo
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console

from config.errors import PipesheetError
from config.loader import load_pipeline
from config.models import Locale, Pipeline
from config.shipped import shipped_definition, shipped_definitions
from rules.findings import Severity
from sync.report import result_as_json, show_result
from sync.run import Progress, RunResult, run_sync
from sync.sources.registry import open_source

logger = logging.getLogger(__name__)

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)


def main() -> None:
    """Run the CLI and turn pipesheet's own errors into exit code 1."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        stderr.print("Aborted.")
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except PipesheetError as error:
        fail(str(error))


def fail(message: str) -> NoReturn:
    stderr.print(f"[bold red]Error:[/] {message}", highlight=False, markup=True)
    sys.exit(1)


def parse_as_of(text: str | None, pipeline: Pipeline) -> dt.date:
    """Return the run's "today": ``--as-of`` or today in the definition's zone."""
    if text is None:
        return dt.datetime.now(zoneinfo.ZoneInfo(pipeline.timezone)).date()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a date; use YYYY-MM-DD, e.g. 2025-09-30",
            param_hint="--as-of",
        ) from None


def resolve_definition(name_or_path: str) -> Pipeline:
    """Load a definition file, or a shipped one by name (``b2b-en``)."""
    path = Path(name_or_path)
    if path.exists() or path.suffix in {".yaml", ".yml"}:
        return load_pipeline(path)
    return load_pipeline(shipped_definition(name_or_path))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="Log INFO (-v) or DEBUG (-vv).")
def cli(verbose: int) -> None:
    """pipesheet keeps a team's shared deal sheet honest."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )


config_argument = click.argument("config", metavar="CONFIG")
source_option = click.option(
    "--source",
    metavar="PATH",
    help="Workbook to use instead of the definition's source.path.",
)
as_of_option = click.option(
    "--as-of",
    "as_of_text",
    metavar="DATE",
    help="The day to check against (YYYY-MM-DD); default today in the "
    "definition's time zone.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
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
    help="Write the result to this file and leave the source workbook as it is.",
)
@json_option
@quiet_option
def run(
    config: str,
    source: str | None,
    as_of_text: str | None,
    dry_run: bool,
    output: Path | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Check the pipeline tab and write the status column and generated tabs.

    CONFIG is a definition file or a shipped definition name (see
    ``pipesheet definitions``).
    """
    pipeline = resolve_definition(config)
    as_of = parse_as_of(as_of_text, pipeline)
    workbook = open_source(pipeline, source, output)
    result = run_sync(
        pipeline, workbook, as_of, dry_run=dry_run, progress=_progress(quiet)
    )
    _print_result(result, pipeline, as_json)


@cli.command()
@config_argument
@source_option
@as_of_option
@json_option
@quiet_option
def check(
    config: str,
    source: str | None,
    as_of_text: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Validate the definition and the sheet; write nothing.

    Exits 1 when error-level findings exist.
    """
    pipeline = resolve_definition(config)
    as_of = parse_as_of(as_of_text, pipeline)
    workbook = open_source(pipeline, source)
    result = run_sync(
        pipeline, workbook, as_of, dry_run=True, progress=_progress(quiet)
    )
    _print_result(result, pipeline, as_json)
    errors = sum(1 for f in result.findings if f.severity is Severity.ERROR)
    if errors:
        stderr.print(f"{errors:,} error-level findings.")
        sys.exit(1)


@cli.command()
def definitions() -> None:
    """List the definitions shipped with pipesheet."""
    for name in shipped_definitions():
        stdout.print(name, highlight=False)


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Language of headers, stages and example rows.",
)
@as_of_option
def init(path: Path, lang: str, as_of_text: str | None) -> None:
    """Create a starter workbook with dropdowns, date checks and example deals."""
    from sync.starter import build_starter_workbook

    locale = Locale.ZH_CN if lang == "zh" else Locale.EN
    definition = "sales-zh" if lang == "zh" else "b2b-en"
    pipeline = load_pipeline(shipped_definition(definition))
    as_of = parse_as_of(as_of_text, pipeline)
    build_starter_workbook(path, locale, as_of=as_of)
    stdout.print(f"Created {path}", highlight=False)
    stdout.print(f"Next: pipesheet run {definition} --source {path}", highlight=False)


@cli.command()
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("pipesheet-demo"),
    show_default=True,
    help="Folder for the demo workbook; created if missing.",
)
@click.option(
    "--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True
)
@quiet_option
def demo(folder: Path, lang: str, quiet: bool) -> None:
    """Build a demo workbook and run pipesheet on it, in one command."""
    from sync.starter import build_starter_workbook

    definition = "sales-zh" if lang == "zh" else "b2b-en"
    pipeline = load_pipeline(shipped_definition(definition))
    as_of = parse_as_of(None, pipeline)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ("销售管道.xlsx" if lang == "zh" else "pipeline.xlsx")
    if path.exists():
        path.unlink()
    locale = Locale.ZH_CN if lang == "zh" else Locale.EN
    build_starter_workbook(path, locale, as_of=as_of)
    stderr.print(f"Built demo workbook {path}", highlight=False)

    workbook = open_source(pipeline, str(path))
    result = run_sync(pipeline, workbook, as_of, progress=_progress(quiet))
    _print_result(result, pipeline, as_json=False)
    stdout.print(
        f"\nOpen {path} and look at the status column of "
        f"{pipeline.source.tab!r} and the tabs "
        f"{', '.join(repr(n) for n in _tab_names(pipeline))}.",
        highlight=False,
    )


@cli.command("import-maven")
@click.argument(
    "csv_folder", type=click.Path(file_okay=False, exists=True, path_type=Path)
)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def import_maven(csv_folder: Path, path: Path) -> None:
    """Turn the Maven CRM CSV files into a workbook as a team would keep it."""
    from sync.maven import build_maven_workbook

    summary = build_maven_workbook(csv_folder, path)
    stdout.print(f"Wrote {summary.rows_written:,} deals to {path}", highlight=False)
    stdout.print(
        f"Next: pipesheet run maven-crm --source {path} --as-of 2017-12-31",
        highlight=False,
    )


def _tab_names(pipeline: Pipeline) -> list[str]:
    tabs = pipeline.outputs.tabs
    return [tabs.funnel, tabs.followups, tabs.problems, tabs.definitions]


def _progress(quiet: bool) -> Progress | None:
    if quiet:
        return None
    return lambda message: stderr.print(f"… {message}", highlight=False)


def _print_result(result: RunResult, pipeline: Pipeline, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(result_as_json(result, pipeline), indent=2))
        sys.stdout.write("\n")
    else:
        show_result(stdout, result, pipeline)
