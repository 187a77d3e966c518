"""Running a few lines of Python in a fresh interpreter that imports this checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]


def checkout_environment() -> dict[str, str]:
    """Return this process's environment with this checkout first on the path.

    Without it, a child process of a test run from another worktree would
    import the checkout that pipesheet is installed from.
    """
    return {**os.environ, "PYTHONPATH": str(REPOSITORY)}


def python_output(code: str) -> str:
    """Run ``code`` in a new interpreter and return what it printed to stdout.

    :raises subprocess.CalledProcessError: if the code exits with an error.
    """
    environment = checkout_environment()
    finished = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    return finished.stdout
