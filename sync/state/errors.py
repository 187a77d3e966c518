"""The errors of the run-state database.

PipesheetError
└── StateError                      the state database cannot be used
    ├── StateNotFoundError (LookupError)   no state database at that path
    └── RunNotFoundError (LookupError)     no run with that id
"""

from __future__ import annotations

from config.errors import PipesheetError


class StateError(PipesheetError):
    """The state database could not be opened, upgraded, read or written."""


class StateNotFoundError(StateError, LookupError):
    """No state database exists at the given path."""


class RunNotFoundError(StateError, LookupError):
    """The state database contains no run with the given id."""
