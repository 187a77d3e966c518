"""Check the ``url`` of a webhook channel before any digest is posted.

The webhook sender gives the URL to ``urllib.request``, which fails only when
the first digest goes out, with a message that names neither the channel's key
nor the part to fix. A URL without a host, with a port outside 1-65535, with
a space in it or with a user name and password before the host fails on
every post, so the definition rejects it. Messages
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
    if _has_credentials(url):
        raise ValueError(
            f"invalid value {shown_url(url)!r}; the URL has a user name or "
            "password before its host ('…@'), which pipesheet does not send. "
            "Delete that part. A bot's token goes in the URL's path or query, "
            "as the chat app gives it, and a feishu or dingtalk signing secret "
            "in the environment variable that 'secret_env' names"
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


def _has_credentials(url: str) -> bool:
    # urllib.request would take "user:password@host" for the host's name.
    authority = _SHOWN_PART.match(url)
    return authority is not None and "@" in authority.group()


def shown_url(url: str) -> str:
    """Return ``url`` up to its host and port, with ``/…`` for the rest.

    A user name and password before the host are left out.

    >>> shown_url("https://hooks.example.com/T1/B2?token=abc")
    'https://hooks.example.com/…'
    >>> shown_url("http://bot:secret@127.0.0.1:8080/hook")
    'http://127.0.0.1:8080/…'
    """
    match = _SHOWN_PART.match(url)
    shown = match.group() if match else ""
    rest = url[len(shown) :]
    scheme, separator, authority = shown.rpartition("://")
    if "@" in authority:
        shown = f"{scheme}{separator}{authority.rpartition('@')[2]}"
        rest = rest or "/"
    return shown if not rest else f"{shown}/…"
