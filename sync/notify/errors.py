"""The errors of digest delivery.

    PipesheetError
    └── DeliveryError                     a channel did not take a digest
        ├── ChannelFailedError            every later digest on the channel
        │   │                             would fail the same way in this run
        │   └── ChannelUnreachableError   the channel's server could not be
        │                                 reached or timed out
        ├── DigestRejectedError           the server rejected this digest for
        │                                 good; sent again unchanged, it fails
        │                                 again
        └── MissingCredentialError (LookupError)
                                          an environment variable named in the
                                          definition is not set

:func:`sync.notify.dispatch.send_due_digests` logs these, and a later run of
the same day tries the channel again, so they never stop a sync.
"""

from __future__ import annotations

from config.errors import PipesheetError


class DeliveryError(PipesheetError):
    """A digest could not be delivered through one channel."""


class ChannelFailedError(DeliveryError):
    """The channel failed in a way that every later digest on it would repeat.

    Examples are a server that rejects the login or the STARTTLS upgrade. The
    dispatcher does not try the channel again in the same run, because each try
    would cost another round trip, and repeated failed logins can get the
    account locked.
    """


class ChannelUnreachableError(ChannelFailedError):
    """The channel's server could not be reached, dropped the connection or timed out.

    Every other digest on that channel would wait and fail the same way, so the
    dispatcher does not try the channel again in the same run.
    """


class DigestRejectedError(DeliveryError):
    """The server rejected this digest with a permanent reply (an SMTP 5xx code).

    Examples are a refused recipient address and a message over the server's
    size limit. Later runs send the digest again, and it fails the same way
    until the definition or the server changes.
    """


class MissingCredentialError(DeliveryError, LookupError):
    """An environment variable that should contain a credential is not set."""
