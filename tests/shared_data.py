"""Where the read-only shared material lies beside the project checkout.

The checkout and ``shared/`` sit side by side, on a developer's machine and in
CI alike; ``PIPESHEET_SHARED`` overrides the location.
"""

from __future__ import annotations

import os
from pathlib import Path

SHARED_DIR = Path(
    os.environ.get("PIPESHEET_SHARED", Path(__file__).resolve().parents[2] / "shared")
)
MAVEN_FOLDER = SHARED_DIR / "data" / "maven-crm"
XLSX_RESEARCH = SHARED_DIR / "research" / "xlsx"
CONFORMANCE_FOLDER = SHARED_DIR / "conformance" / "gspread-cassettes"
