"""Helpers for exploring an audit database from a notebook (`notebooks/explore.ipynb`) and
for launching JupyterLab on it (`agentaudit lab`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl

from agentaudit import resources
from agentaudit.assess import assess
from agentaudit.db import connect as open_database
from agentaudit.errors import InputError
from agentaudit.sqlshell import schema


def connect(db_path: str | Path) -> duckdb.DuckDBPyConnection:
    """The database opened read-only, with the assessment views computed for this session."""
    con = open_database(db_path, read_only=True)
    assess(con, persist=False, frames="polars")
    return con


def schema_frame(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every table and view with what it holds, as a polars DataFrame."""
    frame = pl.DataFrame(schema(con), schema=["name", "kind", "what it holds"], orient="row")
    return frame.unique("name", keep="first", maintain_order=True)  # a session view shadows


def events_parquet(con: duckdb.DuckDBPyConnection, path: str | Path) -> Path:
    """Export the events (without their raw text) to one Parquet file, for lazy polars
    queries or any other engine; returns its path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        "COPY (SELECT * EXCLUDE (raw) FROM events ORDER BY actor_key, event_time) "
        "TO ? (FORMAT parquet, COMPRESSION zstd)",
        [str(out)],
    )
    return out


def session_gaps(events: str | Path | pl.LazyFrame, gap: str = "30m") -> pl.LazyFrame:
    """Per identity: its sessions (runs of events no more than `gap` apart), the longest
    silence between two of its events, and its events per session, as a lazy polars query
    over the events Parquet (`events_parquet`). A question SQL answers with nested window
    functions; polars says it as a sorted diff over each identity."""
    lf = events if isinstance(events, pl.LazyFrame) else pl.scan_parquet(events)
    limit = pl.duration(**_duration(gap))
    return (
        lf.select("actor_key", "platform", "event_time")
        .sort("actor_key", "event_time")
        .with_columns(silence=pl.col("event_time").diff().over("actor_key"))
        .with_columns(new_session=pl.col("silence").is_null() | (pl.col("silence") > limit))
        .group_by("actor_key", "platform")
        .agg(
            events=pl.len(),
            sessions=pl.col("new_session").sum(),
            longest_silence=pl.col("silence").max(),
            first=pl.col("event_time").min(),
            last=pl.col("event_time").max(),
        )
        .with_columns(events_per_session=pl.col("events") / pl.col("sessions"))
        .sort("longest_silence", descending=True, nulls_last=True)
    )


def _duration(text: str) -> dict[str, int]:
    """`30m`, `2h`, `1d` as keyword arguments of `pl.duration`."""
    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise ValueError(f"gap must look like 30m, 2h or 1d, not {text!r}")
    return {units[text[-1]]: int(text[:-1])}


def check_database(db_path: str | Path) -> None:
    """Open the database as the notebook will (read-only) and close it: a locked, missing or
    foreign file is refused in one line before JupyterLab starts, not in every cell after."""
    if not Path(db_path).is_file():
        raise InputError(str(db_path), "no such database file")
    con = open_database(db_path, read_only=True)
    try:
        tables = {r[0] for r in con.sql("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()
    if "events" not in tables:
        raise InputError(
            str(db_path),
            "is a DuckDB database but not an audit database (no events table): "
            "load exports into it first with agentaudit ingest",
        )


def prepare_lab(db_path: str | Path, workdir: str | Path) -> Path:
    """Write explore.ipynb into `workdir` with the database path filled in, once the
    database is known to open (`check_database`)."""
    import papermill  # noqa: PLC0415

    check_database(db_path)

    out = Path(workdir) / "explore.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(
        str(resources.notebook("explore.ipynb")),
        str(out),
        prepare_only=True,
        parameters={"db_path": str(Path(db_path).resolve())},
    )
    return out


def lab_command(notebook: Path, port: int | None = None) -> list[str]:
    """The command that opens JupyterLab on the notebook: served from the notebook's folder
    (the server's root), opening it by its name there. As root, Jupyter refuses to start
    without `--allow-root`: it is passed then, and only then (the caller warns)."""
    notebook = Path(notebook).resolve()
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={notebook.parent}",
        notebook.name,
    ]
    if port:
        cmd.append(f"--port={port}")
    if running_as_root():
        cmd.append("--allow-root")
    return cmd


def running_as_root() -> bool:
    """True for the root user (containers, CI), where Jupyter needs --allow-root."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def launch_lab(notebook: Path, port: int | None = None) -> int:
    return subprocess.call(lab_command(notebook, port), cwd=Path(notebook).resolve().parent)
