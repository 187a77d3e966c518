"""Check the ``smtp_host`` of an e-mail channel before any digest is sent.

The e-mail sender gives ``smtp_host`` and ``smtp_port`` to ``smtplib``, which
passes the host text to the system resolver as it is. A host written with a
port (``mail.example.com:2525``), a scheme or a path would fail only when the
first digest goes out, as a resolver error that does not name the key.
"""

from __future__ import annotations

import ipaddress
import re

# Dot-separated labels of letters (any script), digits, hyphens and underscores.
_HOST_NAME = re.compile(r"[\w-]+(?:\.[\w-]+)*\.?")


def check_smtp_host(host: str) -> str:
    """Check that ``host`` is a host name or IP address with nothing around it.

    :raises ValueError: naming what to move out of the value and where to.
    """
    if _is_ip_address(host) or _HOST_NAME.fullmatch(host):
        return host
    if "@" in host:
        # The value is not repeated: user:password@host would show a password.
        raise ValueError(
            "invalid value: it contains '@', as a user name and password "
            "(user:password@host) or an e-mail address do; expected the SMTP "
            "server's host name or IP address alone, such as 'smtp.example.com'. "
            "Give the user name and password through username_env and "
            "password_env, and an e-mail address in from_address or under owners"
        )

    scheme, separator, rest = host.strip().partition("://")
    if not separator:
        scheme, rest = "", host.strip()
    rest, _, path = rest.partition("/")
    name, port = _split_port(rest)
    extras = [
        "the spaces around it" if host != host.strip() else "",
        f"the scheme {scheme + '://'!r}" if scheme else "",
        f"the port {port}" if port else "",
        f"the path {'/' + path!r}" if path else "",
    ]
    extras = [extra for extra in extras if extra]

    expected = "expected the SMTP server's host name or IP address alone"
    if not extras or not (_is_ip_address(name) or _HOST_NAME.fullmatch(name)):
        raise ValueError(
            f"invalid value {host!r}; {expected}, such as 'smtp.example.com'"
        )
    fix = f"set smtp_host to {name!r}"
    if port.isdecimal():
        fix += f" and smtp_port to {port}"
    raise ValueError(
        f"invalid value {host!r}; {expected}, without {' and '.join(extras)}; {fix}"
    )


def is_host_name(text: str) -> bool:
    """Return True if ``text`` is a host name, in the form of :data:`_HOST_NAME`."""
    return _HOST_NAME.fullmatch(text) is not None


def _split_port(text: str) -> tuple[str, str]:
    # '[::1]:2525' and 'mail.example.com:2525' give the port; a bare IPv6
    # address such as '::1' has colons but no port.
    if text.startswith("["):
        inside, _, after = text[1:].partition("]")
        return inside, after.removeprefix(":")
    if text.count(":") == 1:
        name, _, port = text.partition(":")
        return name, port
    return text, ""


def _is_ip_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
