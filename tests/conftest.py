"""Shared fixtures: fresh databases and the hand-written vendor-shape files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import agentaudit

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    """A fresh in-memory audit database."""
    c = agentaudit.connect()
    yield c
    c.close()


@pytest.fixture(scope="module")
def fixtures_db() -> duckdb.DuckDBPyConnection:
    """An audit database holding every hand-written fixture file (shared: do not write)."""
    c = agentaudit.connect()
    result = agentaudit.ingest([FIXTURES], c)
    assert all(f.status == "loaded" for f in result.files), result.files
    yield c
    c.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.sql(sql, params=params).fetchall()


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple:
    found = rows(con, sql, params)
    assert len(found) == 1, f"expected one row, got {found}"
    return found[0]


def run_notebook_with_nbval(notebook: Path, parameters: dict, workdir: Path) -> str:
    """Execute a notebook with papermill (absolute paths as parameters), then validate the
    executed copy with nbval in lax mode; return nbval's output."""
    import re
    import subprocess
    import sys

    import papermill

    executed = workdir / notebook.name
    papermill.execute_notebook(
        str(notebook),
        str(executed),
        kernel_name="python3",
        parameters=parameters,
        progress_bar=False,
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "--nbval-lax",
            "-p",
            "no:cacheprovider",
            str(executed),
        ],
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert re.search(r"\b\d+ passed", proc.stdout)
    return proc.stdout
