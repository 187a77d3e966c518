"""Credentials of digest channels, read from environment variables at send time."""

from __future__ import annotations

from collections.abc import Mapping

from sync.notify.errors import MissingCredentialError


def read_credential(environ: Mapping[str, str], name: str, channel: str) -> str:
    """Return the value of the environment variable ``name``.

    :raises MissingCredentialError: the variable is not set or is empty.
    """
    value = environ.get(name, "")
    if value:
        return value
    raise MissingCredentialError(
        f"channel {channel!r}: the environment variable {name!r} is not set or "
        "is empty; set it in the environment of the pipesheet service, or remove "
        "it from the channel in the definition"
    )
