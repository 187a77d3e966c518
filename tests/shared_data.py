"""Where the read-only shared material lies beside the project checkout.

The checkout and ``shared/`` sit side by side, on a developer's machine and in
CI alike; ``PIPESHEET_SHARED`` overrides the location. A clone without it still
runs the suite: tests that need a shared file skip, saying which one is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DIR = Path(
    os.environ.get("PIPESHEET_SHARED", Path(__file__).resolve().parents[2] / "shared")
)
MAVEN_FOLDER = SHARED_DIR / "data" / "maven-crm"
XLSX_RESEARCH = SHARED_DIR / "research" / "xlsx"
CONFORMANCE_FOLDER = SHARED_DIR / "conformance" / "gspread-cassettes"


def missing_reason(path: Path) -> str:
    """Return the skip reason for a test whose shared file or folder is missing."""
    return (
        f"shared test data {str(path)!r} is missing; set PIPESHEET_SHARED to the "
        "folder that contains data/, research/ and conformance/"
    )


def requires_shared(path: Path) -> pytest.MarkDecorator:
    """Return a mark that skips a test when the shared ``path`` does not exist."""
    return pytest.mark.skipif(not path.exists(), reason=missing_reason(path))


def shared_file(path: Path) -> Path:
    """Return a shared file's path, or skip the calling test when it is missing."""
    if not path.exists():
        pytest.skip(missing_reason(path))
    return path
