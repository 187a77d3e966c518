"""Check the ``url`` of a webhook channel before any digest is posted.

The webhook sender gives the URL to ``urllib.request``, which fails only when
the first digest goes out, with a message that names neither the channel's key
nor the part to fix. A URL without a host, with a port outside 1-65535 or with
a space in it fails on every post, so the definition rejects it. Messages
show the URL up to its host only, because its path or query often contains
the bot's token.
"""

from __future__ import annotations

import re
import urllib.parse

# The scheme, if any, and the host and port: what a message may show of a URL.
_SHOWN_PART = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*://)?[^/?#\s]*")

_EXAMPLE = "'https://hooks.example.com/T1/B2'"


def check_webhook_url(url: str) -> str:
    """Check that ``url`` is an http or https URL with a host and a valid port.

    :raises ValueError: naming the part that is missing or invalid.
    """
    if not url.startswith(("https://", "http://")):
        raise ValueError(
            f"invalid value {shown_url(url)!r}; expected an http:// or https:// URL, "
            "as the chat app shows it when you add the bot"
        )
    problem = _url_problem(url)
    if problem is not None:
        raise ValueError(
            f"invalid value {shown_url(url)!r}; {problem}. Copy the whole URL "
            f"again from the chat app, such as {_EXAMPLE}"
        )
    return url


def _url_problem(url: str) -> str | None:
    if any(character.isspace() for character in url):
        return "the URL contains a space or line break, which a URL cannot contain"

    parts = urllib.parse.urlsplit(url)
    if not parts.hostname:
        return "the host is missing after the scheme"
    try:
        port = parts.port
    except ValueError:
        # urlsplit raises for a port that is not a number from 0 to 65535.
        port = 0
    if port == 0:
        return "the port after the host is not a number from 1 to 65535"
    return None


def shown_url(url: str) -> str:
    """Return ``url`` up to its host and port, with ``/…`` for the rest.

    >>> shown_url("https://hooks.example.com/T1/B2?token=abc")
    'https://hooks.example.com/…'
    """
    match = _SHOWN_PART.match(url)
    shown = match.group() if match else ""
    return shown if len(shown) == len(url) else f"{shown}/…"
