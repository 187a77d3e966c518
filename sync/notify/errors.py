"""The errors of digest delivery.

    PipesheetError
    └── DeliveryError                     a channel did not take a digest
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


class MissingCredentialError(DeliveryError, LookupError):
    """An environment variable that should contain a credential is not set."""
