"""Ending the process after a command: statuses, output, clean-ups and fallbacks.

Each case that ends a process runs in a child interpreter, so a missing
fallback ends that child, never the test run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.models import Locale
from sync.process_exit import exit_status, flush_output
from sync.starter import build_starter_workbook
from tests.sync.pipeline_files import SheetDeal, write_deals, write_definition

REPOSITORY = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2025, 9, 30)


def run_python(
    code: str, *arguments: str, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a child interpreter with this checkout importable."""
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    return subprocess.run(
        [sys.executable, "-c", code, *arguments],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=environment,
    )


def run_main(
    *arguments: str, cwd: Path, before: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run ``pipesheet ARGUMENTS`` through ``sync.cli.main`` after ``before``."""
    code = f"{before}\nfrom sync.cli import main\nmain()\n"
    return run_python(code, *arguments, cwd=cwd)


@pytest.mark.parametrize(
    ("code", "status"),
    [(None, 0), (0, 0), (2, 2), (255, 255), (True, 1)],
    ids=["none", "zero", "usage", "largest", "true"],
)
def test_exit_status_of_number(code: int | None, status: int) -> None:
    assert exit_status(code) == status


@pytest.mark.parametrize(
    "code", ["failed", 256, -1], ids=["message", "above-255", "negative"]
)
def test_exit_status_left_to_python(code: str | int) -> None:
    assert exit_status(code) is None


def test_flush_output_reports_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    class BrokenStream:
        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", BrokenStream())

    assert flush_output() is False


def test_run_prints_whole_json_and_closes_state(tmp_path: Path) -> None:
    workbook = build_starter_workbook(
        tmp_path / "pipeline.xlsx", Locale.EN, as_of=AS_OF
    )
    state = tmp_path / "state.sqlite"
    arguments = ["run", "b2b-en", "--source", str(workbook), "--state", str(state)]
    arguments += ["--as-of", AS_OF.isoformat(), "--json", "-q"]

    finished = run_main(*arguments, cwd=tmp_path)

    assert finished.returncode == 0, finished.stderr
    assert json.loads(finished.stdout)["deals"] > 0
    # SQLite removes the write-ahead log when the last connection closes.
    assert not state.with_name("state.sqlite-wal").exists()
    assert state.exists()


def test_failure_keeps_exit_1_and_message(tmp_path: Path) -> None:
    arguments = ["run", "b2b-en", "--source", "missing.xlsx", "--no-state", "-q"]

    finished = run_main(*arguments, cwd=tmp_path)

    assert finished.returncode == 1
    assert finished.stderr.startswith("Error: ")


def test_usage_error_keeps_exit_2(tmp_path: Path) -> None:
    finished = run_main("run", cwd=tmp_path)

    assert finished.returncode == 2
    assert "Missing argument 'CONFIG'" in finished.stderr


def test_atexit_callbacks_run(tmp_path: Path) -> None:
    before = (
        "import atexit, pathlib\n"
        "atexit.register(pathlib.Path('atexit-ran').write_text, 'yes')"
    )

    finished = run_main("definitions", cwd=tmp_path, before=before)

    assert finished.returncode == 0, finished.stderr
    assert (tmp_path / "atexit-ran").read_text() == "yes"


def test_waits_for_running_thread(tmp_path: Path) -> None:
    # The thread writes its file once the main thread has finished, which a
    # process ended by os._exit never lets it do.
    before = (
        "import pathlib, threading\n"
        "def write_when_main_ends():\n"
        "    threading.main_thread().join()\n"
        "    pathlib.Path('thread-ran').write_text('yes')\n"
        "threading.Thread(target=write_when_main_ends).start()"
    )

    finished = run_main("definitions", cwd=tmp_path, before=before)

    assert finished.returncode == 0, finished.stderr
    assert (tmp_path / "thread-ran").read_text() == "yes"


def test_message_code_printed_by_python(tmp_path: Path) -> None:
    code = (
        "from sync.process_exit import exit_process\n"
        "exit_process('stopped: no workbook')\n"
    )

    finished = run_python(code, cwd=tmp_path)

    assert finished.returncode == 1
    assert finished.stderr == "stopped: no workbook\n"


def test_broken_stdout_left_to_python(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from sync.process_exit import exit_process\n"
        "class BrokenStream:\n"
        "    def flush(self):\n"
        "        raise BrokenPipeError(32, 'Broken pipe')\n"
        "    def write(self, text):\n"
        "        return len(text)\n"
        "sys.stdout = BrokenStream()\n"
        "try:\n"
        "    exit_process(0)\n"
        "except SystemExit as request:\n"
        "    sys.stderr.write(f'sys.exit({request.code})')\n"
        "    sys.stdout = sys.__stdout__\n"
    )

    finished = run_python(code, cwd=tmp_path)

    assert finished.stderr == "sys.exit(0)"


def test_objects_kept_only_when_ending(tmp_path: Path) -> None:
    code = (
        "import gc\n"
        "from sync import process_exit\n"
        "process_exit.keep_objects_until_exit()\n"
        "print(gc.get_freeze_count() == 0)\n"
        "process_exit.end_after_command()\n"
        "process_exit.keep_objects_until_exit()\n"
        "print(gc.get_freeze_count() > 0)\n"
    )

    finished = run_python(code, cwd=tmp_path)

    assert finished.stdout.split() == ["True", "True"]


def test_sigterm_during_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    workbook = build_starter_workbook(
        tmp_path / "pipeline.xlsx", Locale.EN, as_of=AS_OF
    )
    before = workbook.read_bytes()
    # Send SIGTERM to the process itself once the new workbook is half written.
    patch = (
        "import os, signal\n"
        "import sync.sources.excel as excel\n"
        "patch_into = excel._patch_into\n"
        "def terminated_patch(source, out, *rest):\n"
        "    out.write(b'partial')\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    patch_into(source, out, *rest)\n"
        "excel._patch_into = terminated_patch\n"
    )

    result = run_main(
        "run",
        "b2b-en",
        "--source",
        workbook.name,
        "--as-of",
        AS_OF.isoformat(),
        "--no-state",
        "--quiet",
        cwd=tmp_path,
        before=patch,
    )

    assert result.returncode == 1
    assert result.stderr.endswith(
        "Error: Stopped by SIGTERM before the command finished. Workbook "
        "'pipeline.xlsx' was left as it was.\n"
    )
    assert workbook.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pipeline.xlsx"]


def run_main_reader_gone(*arguments: str, cwd: Path) -> tuple[int, str]:
    """Run ``pipesheet ARGUMENTS`` with a stdout pipe whose reader closed it first.

    Returns the exit status and stderr. Every write to stdout meets a closed
    pipe, as after ``| head -1`` has read its line.
    """
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    code = "from sync.cli import main\nmain()\n"
    child = subprocess.Popen(
        [sys.executable, "-c", code, *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=environment,
    )
    with child:
        assert child.stdout is not None and child.stderr is not None
        child.stdout.close()
        errors = child.stderr.read()
    return child.returncode, errors


def test_closed_stdout_keeps_run_exit_0(tmp_path: Path) -> None:
    workbook = build_starter_workbook(
        tmp_path / "pipeline.xlsx", Locale.EN, as_of=AS_OF
    )
    state = tmp_path / "state.sqlite"
    arguments = ["run", "b2b-en", "--source", workbook.name, "--state", str(state)]

    status, errors = run_main_reader_gone(
        *arguments, "--as-of", AS_OF.isoformat(), cwd=tmp_path
    )

    assert status == 0, errors
    assert "Traceback" not in errors
    assert "Writing " in errors


def test_closed_stdout_keeps_clean_check_exit_0(tmp_path: Path) -> None:
    definition = write_definition(tmp_path)
    write_deals(tmp_path / "pipeline.xlsx", [SheetDeal("D-1", "Ana", "Qualified")])
    arguments = ["check", definition.name, "--no-state", "-q"]

    status, errors = run_main_reader_gone(
        *arguments, "--as-of", AS_OF.isoformat(), cwd=tmp_path
    )

    assert errors == ""
    assert status == 0


def test_closed_stdout_keeps_check_exit_1(tmp_path: Path) -> None:
    workbook = build_starter_workbook(
        tmp_path / "pipeline.xlsx", Locale.EN, as_of=AS_OF
    )
    arguments = ["check", "b2b-en", "--source", workbook.name, "--no-state", "-q"]

    status, errors = run_main_reader_gone(
        *arguments, "--as-of", "2026-12-31", cwd=tmp_path
    )

    assert errors.endswith("error-level findings.\n")
    assert status == 1


def test_closed_stdout_keeps_json_run_exit_0(tmp_path: Path) -> None:
    workbook = build_starter_workbook(
        tmp_path / "pipeline.xlsx", Locale.EN, as_of=AS_OF
    )
    state = tmp_path / "state.sqlite"
    arguments = ["run", "b2b-en", "--source", workbook.name, "--state", str(state)]

    status, errors = run_main_reader_gone(
        *arguments, "--as-of", AS_OF.isoformat(), "--json", cwd=tmp_path
    )

    assert status == 0, errors
    assert "Traceback" not in errors


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_full_stdout_ends_with_message(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "sys.stdout = open('/dev/full', 'w')\n"
        "from sync.cli import main\n"
        "main()\n"
    )

    finished = run_python(code, "definitions", cwd=tmp_path)

    assert finished.returncode == 1
    assert finished.stderr == (
        "Error: writing the output failed: No space left on device. Send stdout "
        "to a file or device with free space, then run the command again.\n"
    )
