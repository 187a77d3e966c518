"""Credentials of digest channels, read from environment variables at send time."""

from __future__ import annotations

from collections.abc import Mapping

from config.models import Channel, EmailChannel
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


def list_credential_variables(channel: Channel) -> list[tuple[str, str]]:
    """Return the channel's credential fields with the variable each one names.

    For example ``[("username_env", "SMTP_USER"), ("password_env", "SMTP_PASS")]``.
    """
    if isinstance(channel, EmailChannel):
        fields = {"username_env": channel.username_env}
        fields["password_env"] = channel.password_env
    else:
        fields = {"secret_env": channel.secret_env}
    return [(field, name) for field, name in fields.items() if name is not None]
