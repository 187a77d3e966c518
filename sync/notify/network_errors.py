"""Describe the socket and TLS errors of a digest channel in plain words."""

from __future__ import annotations

import socket
import ssl


def describe_network_error(error: BaseException) -> str | None:
    """Return what went wrong on the network in plain words, or None if unknown.

    Before: ``ConnectionRefusedError(111, 'Connection refused')``. After: "the
    connection was refused, so no server listens at that address and port".
    Timeouts are left to the caller, which has the time limit to name.
    """
    if isinstance(error, ConnectionRefusedError):
        return (
            "the connection was refused, so no server listens at that address and port"
        )
    if isinstance(error, socket.gaierror):
        return f"the host name could not be resolved ({error.strerror})"
    if isinstance(error, ConnectionResetError | BrokenPipeError):
        return "the server closed the connection"
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            "the server's TLS certificate could not be verified "
            f"({error.verify_message})"
        )
    if isinstance(error, ssl.SSLError):
        return f"the TLS handshake failed ({error.reason or error})"
    if isinstance(error, OSError) and error.strerror:
        return f"the connection failed ({error.strerror})"
    return None
