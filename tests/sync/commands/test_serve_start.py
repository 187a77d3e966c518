"""Tests of ``pipesheet serve`` stopped by SIGTERM while it starts.

Each test installs the SIGTERM handler of ``pipesheet``'s entry point and raises
the signal at one step of the start, as systemd does when it stops the service
right after starting it.
"""

from __future__ import annotations

import importlib
import logging
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner, Result

import sync.cli
import sync.commands.serve
import sync.entry_point
import sync.service
from sync.cli import cli
from tests.sync.pipeline_files import write_definition

PROJECT_ROOT = Path(__file__).resolve().parents[3]
STOP_LINES = [
    "SIGTERM received while starting: stopping; no run was started",
    "service stopped pid=",
]


@pytest.fixture(autouse=True)
def entry_point_handler() -> Iterator[None]:
    """Handle SIGTERM as ``pipesheet``'s ``main`` does, then restore the handler."""
    previous = signal.signal(signal.SIGTERM, sync.entry_point.interrupt)
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.fixture(autouse=True)
def root_logging() -> Iterator[None]:
    """Restore the root logger's level and formats, which serve sets for itself."""
    root = logging.getLogger()
    level = root.level
    formatters = [(handler, handler.formatter) for handler in root.handlers]
    yield
    root.setLevel(level)
    for handler, formatter in formatters:
        handler.setFormatter(formatter)


def send_sigterm(*_args: Any, **_kwargs: Any) -> Any:
    signal.raise_signal(signal.SIGTERM)
    raise AssertionError("SIGTERM did not interrupt the start")


def run_serve(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Result:
    definition = write_definition(tmp_path)
    state = str(tmp_path / "state.sqlite")
    with caplog.at_level(logging.INFO, logger="sync.service"):
        return CliRunner().invoke(cli, ["serve", str(definition), "--state", state])


def service_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "sync.service"
    ]


def test_sigterm_while_importing_serve_stops(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def import_module(name: str) -> Any:
        if name == "sync.commands.serve":
            send_sigterm()
        return importlib.import_module(name)

    fake_importlib = SimpleNamespace(import_module=import_module)
    monkeypatch.setattr(sync.cli, "importlib", fake_importlib)

    result = run_serve(tmp_path, caplog)

    assert result.exit_code == 0
    assert "Aborted!" not in result.output
    lines = service_lines(caplog)
    assert lines[0] == STOP_LINES[0]
    assert lines[1].startswith(STOP_LINES[1])


def test_sigterm_while_loading_definitions_stops(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync.commands.serve, "load_scheduled", send_sigterm)

    result = run_serve(tmp_path, caplog)

    assert result.exit_code == 0
    assert "Aborted!" not in result.output
    lines = service_lines(caplog)
    assert lines[0] == STOP_LINES[0]
    assert lines[1].startswith(STOP_LINES[1])


def test_sigterm_while_adding_jobs_stops(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_last_ok_then_stop(*_args: Any, **_kwargs: Any) -> None:
        signal.raise_signal(signal.SIGTERM)

    monkeypatch.setattr(sync.service, "latest_ok_start", read_last_ok_then_stop)

    result = run_serve(tmp_path, caplog)

    assert result.exit_code == 0
    lines = service_lines(caplog)
    assert lines[0].startswith("SIGTERM received: stopping;")
    assert "stopped while starting: no run was started" in lines
    assert lines[-1].startswith("service stopped pid=")
    assert not any(line.startswith("service started") for line in lines)


# Runs the console script that pyproject.toml declares. SIGNAL is raised when
# the script imports sync.cli, as when systemd stops the service within the
# first 0.1 s. Only that import is hooked, so the script's handlers decide.
# Python's own SIGINT handler is set, because a child of a background shell
# job inherits SIGINT ignored.
EARLY_SIGNAL_SCRIPT = """
import builtins, signal, sys, tomllib
signal.signal(signal.SIGINT, signal.default_int_handler)
scripts = tomllib.load(open("pyproject.toml", "rb"))["project"]["scripts"]
module, attribute = scripts["pipesheet"].split(":")
early_signal = getattr(signal, sys.argv[1])
real_import = builtins.__import__
def hooked_import(name, *args, **kwargs):
    if name == "sync.cli" and "sync.cli" not in sys.modules:
        signal.raise_signal(early_signal)
    return real_import(name, *args, **kwargs)
builtins.__import__ = hooked_import
sys.argv = ["pipesheet", *sys.argv[2:]]
exec(f"from {module} import {attribute} as entry")
entry()
"""


def run_with_early_signal(
    name: str, *arguments: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", EARLY_SIGNAL_SCRIPT, name, *arguments],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_ROOT,
        timeout=60,
    )


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT"], ids=["sigterm", "sigint"])
def test_signal_while_loading_stops_serve(name: str) -> None:
    result = run_with_early_signal(name, "serve", "pipeline.yaml")

    lines = result.stderr.splitlines()
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    assert len(lines) == 2
    assert lines[0].endswith(
        f"INFO sync.service[{lines[0].split('[')[1].split(']')[0]}]: "
        f"{name} received while starting: stopping; no run was started"
    )
    assert " INFO sync.service[" in lines[1]
    assert "]: service stopped pid=" in lines[1]


def test_signal_while_loading_aborts_run() -> None:
    result = run_with_early_signal("SIGTERM", "-v", "run", "pipeline.yaml")

    assert result.returncode == 1
    assert result.stderr == (
        "Stopped by SIGTERM before the command started; nothing was done.\n"
    )
