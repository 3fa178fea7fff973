"""Ad-hoc SQL on an audit database: one query, formatted, or an interactive prompt; and the
list of tables and views with what each holds."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import duckdb

from agentaudit.assess.views import catalogue
from agentaudit.db import connect

TABLES = {
    "meta": "schema version",
    "files": "one row per file an ingest looked at: format, status, rows read/loaded/rejected",
    "rejects": "every record (or file) that did not load, with its line or record and reason",
    "events": "one row per log event: time, actor, credential, client, target, outcome, raw",
    "identities": "one row per identity seen in any export, with every id and name it used",
    "credentials": "one row per credential named in any export: type, holder, dates, status",
    "roster": "hr_roster.csv: the client's employees",
    "inventory": "agent_inventory.csv: the client's register of agents and other NHIs",
    "alerts": "alerts.csv: detections about identities and what was done",
    "aa_policy": "the thresholds of the last assessment",
    "aa_agent_signatures": "user agents, calls and names that mark an AI agent",
}


def schema(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(name, kind, description) of every table and view in the database."""
    views = {d.name: d.measures for d in catalogue()}
    rows = con.sql("""SELECT table_name, CASE WHEN table_type = 'VIEW' THEN 'view'
                                             ELSE 'table' END
                      FROM information_schema.tables
                      WHERE table_schema = 'main'
                      ORDER BY table_type DESC, table_name""").fetchall()
    return [(n, k, TABLES.get(n) or views.get(n) or "") for n, k in rows]


def run(con: duckdb.DuckDBPyConnection, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of a query (DuckDB's own errors are raised as they are)."""
    rel = con.sql(query)
    if rel is None:  # a statement with no result set
        return [], []
    return list(rel.columns), rel.fetchall()


def render(columns: list[str], rows: list[tuple[Any, ...]], fmt: str) -> str:
    """Rows as csv, json or markdown text (the table format is printed by the CLI)."""
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        w.writerows(rows)
        return buf.getvalue()
    if fmt == "json":
        return json.dumps([dict(zip(columns, r, strict=True)) for r in rows], default=str, indent=1)
    if fmt == "markdown":

        def cell(v: Any) -> str:
            return "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")

        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
        return "\n".join(lines) + "\n"
    raise ValueError(f"unknown format {fmt}")


def open_db(path: str | Path, write: bool) -> duckdb.DuckDBPyConnection:
    """The database, read-only unless writing was asked for."""
    return connect(path, read_only=not write)
