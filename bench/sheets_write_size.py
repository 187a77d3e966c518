"""Measure the first Google Sheets write of the Maven CRM sample, by tab.

The run is a first run with a state database, as ``pipesheet run`` makes it,
so the Stage log is written. It goes to the fake Sheets API of the tests,
served in-process through ``responses``, so nothing leaves the machine. It
prints the batchUpdate body as the fake received it, and the compact JSON
bytes of the requests for each tab, largest first::

    python bench/sheets_write_size.py [MAVEN_CSV_FOLDER]
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

# Installing pipesheet installs config, rules and sync but not tests, which
# contains the fake Sheets API. "python bench/<script>.py" puts only bench/ on
# sys.path, so the checkout is added.
REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from config.loader import load_pipeline  # noqa: E402
from config.models import SourceKind  # noqa: E402
from rules.stage_history import StageHistory  # noqa: E402
from sync.maven import build_maven_workbook  # noqa: E402
from sync.run import run_sync  # noqa: E402
from sync.sources.excel import ExcelWorkbook  # noqa: E402
from sync.sources.sheets_write import sizes_by_tab  # noqa: E402
from tests.fake_sheets import FakeSheets  # noqa: E402
from tests.shared_data import MAVEN_FOLDER  # noqa: E402
from tests.sync.fake_spreadsheets import open_spreadsheet, upload_workbook  # noqa: E402

AS_OF = dt.date(2017, 12, 31)
DEFINITION = Path(__file__).resolve().parents[1] / "config/examples/maven-crm.yaml"


def main() -> None:
    """Run the sample once against the fake and print the write's size by tab."""
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else MAVEN_FOLDER
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "maven-crm.xlsx"
        build_maven_workbook(folder, path)
        workbook = ExcelWorkbook(path)
        tabs = {name: workbook.read_tab(name).rows for name in workbook.tab_names()}

    fake = FakeSheets()
    spreadsheet_id = upload_workbook(fake, "Maven CRM", tabs)
    pipeline = load_pipeline(DEFINITION)
    source = pipeline.source.model_copy(
        update={"kind": SourceKind.GOOGLE_SHEETS, "spreadsheet": spreadsheet_id}
    )
    google = pipeline.model_copy(update={"source": source})
    with fake.responses():
        # An empty history is a first run with a state database, as
        # `pipesheet run` makes it, so the Stage log is written too.
        spreadsheet = open_spreadsheet(spreadsheet_id, pipeline=google)
        run_sync(google, spreadsheet, AS_OF, history=StageHistory())

    [write] = [q for q in fake.requests if q.operation == "spreadsheets.batchUpdate"]
    names = {tab.sheet_id: tab.title for tab in fake.spreadsheet(spreadsheet_id).sheets}
    print(f"batchUpdate body: {len(write.body):,} bytes")
    sizes = sizes_by_tab(write.json()["requests"], names)
    for name, size in sorted(sizes.items(), key=lambda item: item[1], reverse=True):
        print(f"  {name or 'other requests':<16} {size:>10,}")


if __name__ == "__main__":
    main()
