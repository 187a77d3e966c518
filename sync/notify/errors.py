"""The errors of digest delivery.

    PipesheetError
    └── DeliveryError                     a channel did not take a digest
        ├── ChannelUnreachableError       the channel's server could not be
        │                                 reached or timed out
        └── MissingCredentialError (LookupError)
                                          an environment variable named in the
                                          definition is not set

:func:`sync.notify.dispatch.send_due_digests` logs these and tries the channel
again on the next run, so they never stop a sync.
"""

from __future__ import annotations

from config.errors import PipesheetError


class DeliveryError(PipesheetError):
    """A digest could not be delivered through one channel."""


class ChannelUnreachableError(DeliveryError):
    """The channel's server could not be reached, dropped the connection or timed out.

    Every other digest on that channel would wait and fail the same way, so the
    dispatcher does not try the channel again in the same run.
    """


class MissingCredentialError(DeliveryError, LookupError):
    """An environment variable that should contain a credential is not set."""
