"""Helpers for exploring an audit database from a notebook (`notebooks/explore.ipynb`) and
for launching JupyterLab on it (`agentaudit lab`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd

from agentaudit.assess import assess
from agentaudit.db import connect as open_database
from agentaudit.sqlshell import schema

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "explore.ipynb"


def connect(db_path: str | Path) -> duckdb.DuckDBPyConnection:
    """The database opened read-only, with the assessment views computed for this session."""
    con = open_database(db_path, read_only=True)
    assess(con, persist=False)
    return con


def schema_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every table and view with what it holds, as a DataFrame."""
    return pd.DataFrame(schema(con), columns=["name", "kind", "what it holds"])


def prepare_lab(db_path: str | Path, workdir: str | Path) -> Path:
    """Write explore.ipynb into `workdir` with the database path filled in."""
    import papermill  # noqa: PLC0415

    out = Path(workdir) / "explore.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        prepare_only=True,
        parameters={"db_path": str(Path(db_path).resolve())},
    )
    return out


def lab_command(notebook: Path, port: int | None = None) -> list[str]:
    """The command that opens JupyterLab on the notebook."""
    cmd = [sys.executable, "-m", "jupyterlab", str(notebook)]
    if port:
        cmd.append(f"--port={port}")
    return cmd


def launch_lab(notebook: Path, port: int | None = None) -> int:
    return subprocess.call(lab_command(notebook, port), cwd=notebook.parent)
