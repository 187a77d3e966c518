"""Fixtures: state databases on SQLite, and on PostgreSQL when it is installed.

The PostgreSQL fixture starts a throwaway cluster in a temporary folder,
listening on 127.0.0.1 only, and removes it after the session. Tests that use
it are skipped when initdb/pg_ctl or the psycopg driver are missing.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from sync.state.store import StateStore

BACKENDS = ["sqlite", "postgresql"]
database_numbers = itertools.count(1)


def find_postgres_tool(name: str) -> str | None:
    """Return the path of a PostgreSQL server tool, on PATH or in Debian's folder."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(candidates[-1]) if candidates else None


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def server_user_prefix(folder: Path) -> list[str]:
    """Return the command prefix that runs the server as a non-root user.

    PostgreSQL refuses to run as root, so under root the cluster belongs to
    the ``postgres`` system user.
    """
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no 'postgres' user")
    shutil.chown(folder, "postgres")
    return ["runuser", "-u", "postgres", "--"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Start a throwaway PostgreSQL cluster; yield its URL without a database."""
    initdb = find_postgres_tool("initdb")
    pg_ctl = find_postgres_tool("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    pytest.importorskip("psycopg")

    folder = Path(tempfile.mkdtemp(prefix="pipesheet-pg-"))
    data = folder / "data"
    prefix = server_user_prefix(folder)
    port = free_loopback_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "postgres"]
        + ["-E", "UTF8", "--no-sync"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [*prefix, pg_ctl, "-D", str(data), "-l", str(folder / "server.log")]
        + ["-o", options, "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


def new_postgres_database(server_url: str) -> str:
    """Create an empty database on the test cluster and return its URL."""
    name = f"pipesheet_test_{next(database_numbers)}"
    engine = sa.create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(
            f"CREATE DATABASE {name} TEMPLATE template0 STRATEGY FILE_COPY"
        )
    engine.dispose()
    return f"{server_url}/{name}"


@pytest.fixture(params=BACKENDS, ids=BACKENDS)
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Return the location of a new, empty state database on each backend."""
    if request.param == "sqlite":
        return str(tmp_path / "state.sqlite")
    return new_postgres_database(request.getfixturevalue("postgres_server"))


@pytest.fixture
def store(state_url: str) -> Iterator[StateStore]:
    """Open a new state database and close it after the test."""
    opened = StateStore.open(state_url)
    yield opened
    opened.close()
