"""The errors of the run-state database.

PipesheetError
└── StateError                      the state database cannot be used
    ├── StateNotFoundError (LookupError)   no state database at that path
    ├── EmptyStateError                    an empty file, with no run to read
    ├── RunNotFoundError (LookupError)     no run with that id, or no run at all
    └── DealNotFoundError (LookupError)    no stage change recorded for that deal
"""

from __future__ import annotations

from config.errors import PipesheetError


class StateError(PipesheetError):
    """The state database could not be opened, upgraded, read or written."""


class StateNotFoundError(StateError, LookupError):
    """No state database exists at the given path."""


class EmptyStateError(StateError):
    """The SQLite file given as the state database is empty, so no run is in it."""


class RunNotFoundError(StateError, LookupError):
    """The state database contains no run with the given id, or no run at all."""


class DealNotFoundError(StateError, LookupError):
    """The state database contains no stage change of the given deal."""
