"""Every command meets a locked, missing or wrong input with one line naming the file and a
non-zero exit code, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import agentaudit
from agentaudit.cli import main
from agentaudit.errors import DatabaseLockedError

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture()
def locked(tmp_path):
    """An audit database another process holds open for writing (as a DuckDB shell would)."""
    db = tmp_path / "audit.duckdb"
    agentaudit.ingest([FIXTURES], db)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
            "print('held', flush=True); time.sleep(120)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    yield db
    holder.kill()
    holder.wait()


COMMANDS = {
    "sql": ["sql", "--db", "{db}", "SELECT 1"],
    "schema": ["schema", "--db", "{db}"],
    "assess": ["assess", "--db", "{db}"],
    "report": ["report", "--db", "{db}", "--client", "A", "--out", "{tmp}/r"],
    "export": ["export", "--db", "{db}", "--out", "{tmp}/x"],
    "ingest": ["ingest", str(FIXTURES), "--db", "{db}", "--quiet"],
    "lab": ["lab", "--db", "{db}", "--workdir", "{tmp}/lab", "--dry-run"],
    "demo": ["demo", "--out", "{tmp}/demo"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_locked_database_is_one_line_and_a_non_zero_exit(command, locked, tmp_path):
    if command == "demo":  # the demo's own database, held by another program
        (tmp_path / "demo").mkdir()
        locked.rename(tmp_path / "demo" / "demo.duckdb")
        locked = tmp_path / "demo" / "demo.duckdb"
    args = [a.format(db=locked, tmp=tmp_path) for a in COMMANDS[command]]
    res = CliRunner().invoke(main, args)
    out = res.output
    if command == "demo" and res.exit_code == 0:
        pytest.fail("the demo wrote over a database another program holds")
    assert res.exit_code != 0 and res.exception is None or isinstance(res.exception, SystemExit)
    assert "Traceback" not in out
    assert str(locked.name) in out and "another program" in " ".join(out.split()), out


def test_the_lock_error_names_the_file_and_the_holding_process():
    from agentaudit.db import database_error

    err = database_error(
        "/x/audit.duckdb",
        RuntimeError(
            'IO Error: Could not set lock on file "/x/audit.duckdb": Conflicting lock is '
            "held in /usr/bin/python3.11 (PID 4242) by user root."
        ),
    )
    assert isinstance(err, DatabaseLockedError) and err.exit_code == 3
    assert "/x/audit.duckdb" in str(err) and "process 4242" in str(err)


def test_diff_of_a_file_that_is_no_assessment_names_it(tmp_path):
    bad = tmp_path / "audit.duckdb"
    bad.write_bytes(b"\x00DUCK")
    good = tmp_path / "ok.json"
    good.write_text('{"criteria": {}}')
    res = CliRunner().invoke(main, ["diff", str(bad), str(good)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "audit.duckdb" in res.output and "not an assessment" in res.output
