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
