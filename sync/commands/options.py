"""Command-line options that several ``pipesheet`` commands share."""

from __future__ import annotations

from pathlib import Path

import click
from click.core import ParameterSource

# Key in click's ``Context.meta``, a dict that a command's context shares with
# its group's, so the group can still tell after a failure.
JSON_REQUESTED = "pipesheet.json_requested"


def _remember_json_request(
    ctx: click.Context, param: click.Parameter, value: bool
) -> bool:
    ctx.meta[JSON_REQUESTED] = value
    return value


json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    callback=_remember_json_request,
    help="Print JSON; on failure, an object with the error's type and message.",
)


def reject_state_with_no_state(no_state: bool) -> None:
    """Reject ``--state`` typed on the command line together with ``--no-state``.

    The ``PIPESHEET_STATE`` variable is set for every command of a shell, so
    it does not conflict with ``--no-state``.

    :raises click.UsageError: both options were given.
    """
    ctx = click.get_current_context()
    typed = ctx.get_parameter_source("state") is ParameterSource.COMMANDLINE
    if no_state and typed:
        raise click.UsageError(
            f"--no-state uses no state database, so --state {ctx.params['state']!r} "
            "would be ignored; give one of the two options."
        )


def reject_empty_source(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    """Reject an empty ``--source``, as an unset shell variable passes it.

    Without this check, an empty value would count as no ``--source`` in some
    places and as a workbook path in others.
    """
    if value is not None and not value.strip():
        raise click.BadParameter(
            "the value is empty; pass the workbook's path (check the shell "
            "variable that should contain it), or leave --source out to use "
            "the definition's source."
        )
    return value


def reject_empty_output(
    ctx: click.Context, param: click.Parameter, value: Path | None
) -> Path | None:
    """Reject an empty ``--output``, which click reads as the current folder."""
    if value is not None and not value.name:
        raise click.BadParameter(
            "the value is empty or names a folder; pass the path of the file to "
            "write, such as result.xlsx (check the shell variable that should "
            "contain it)."
        )
    return value
