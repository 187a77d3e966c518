"""Command-line options that several ``pipesheet`` commands share."""

from __future__ import annotations

import click

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
