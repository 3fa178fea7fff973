"""Shared fixtures: fresh databases and the hand-written vendor-shape files."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest

import agentaudit

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Tests leave nothing in the system temp folder. The run's temporary files (pytest's own,
# agentaudit's, and those of the processes the tests start, which inherit TMPDIR) go to one
# folder, removed at the end; whatever else is left in it fails the run, named.
_RUN_TMP: Path | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _RUN_TMP
    if _RUN_TMP is None and not hasattr(config, "workerinput"):
        _RUN_TMP = Path(tempfile.mkdtemp(prefix="agentaudit-tests-"))
        os.environ["TMPDIR"] = str(_RUN_TMP)
        tempfile.tempdir = str(_RUN_TMP)


def left_in_temp() -> list[str]:
    """What the run has left in its temp folder, besides pytest's own `tmp_path` folders
    (removed with it)."""
    if _RUN_TMP is None or not _RUN_TMP.exists():
        return []
    return sorted(p.name for p in _RUN_TMP.iterdir() if not p.name.startswith("pytest-of-"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    left = left_in_temp()
    if left:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            inside = {n: sorted(p.name for p in (_RUN_TMP / n).glob("*"))[:5] for n in left[:20]}
            reporter.write_line(
                f"FAILED: the tests left {len(left)} item(s) in the temp folder: {inside}",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if _RUN_TMP is not None:
        shutil.rmtree(_RUN_TMP, ignore_errors=True)


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
