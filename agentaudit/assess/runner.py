"""Where the assessment's SQL runs: the audit database itself (DuckDB), or another engine.

A runner installs the assessment (policy tables, macros, the metric views), answers DuckDB
SQL with a DuckDB relation of its (small) result, and records risk acceptances. The Python
layer (criteria, findings, the JSON contract, the bundle) only talks to a runner, so it is the
same whichever engine computed the metrics. `agentaudit.spark.SparkRunner` is the other one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from agentaudit.assess import views
from agentaudit.assess.review import Override


class Runner:
    """The interface the assessment runs through (DuckDB SQL in, DuckDB relations out)."""

    def install(
        self, policy: dict[str, Any], *, overrides: Sequence[Override], ai_apps: Any
    ) -> None:
        """Create the policy tables, macros and metric views."""
        raise NotImplementedError

    def sql(self, query: str) -> duckdb.DuckDBPyRelation:
        """The result of a DuckDB-dialect query over the canonical tables and views."""
        raise NotImplementedError

    def accept(self, rows: list[list[Any]]) -> None:
        """Record risk-acceptance rows (table `aa_exceptions`) that the views then read."""
        raise NotImplementedError

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection holding `files` and `assessment_window`, for the bundle."""
        raise NotImplementedError

    def describe(self) -> dict[str, str]:
        """Which engine computed the assessment (the bundle's manifest records it)."""
        return {"name": "duckdb", "version": duckdb.__version__}

    def close(self) -> None:
        """Release what the runner opened."""


class DuckDBRunner(Runner):
    """The embedded default: the views installed in the audit database (stored, or temporary
    for a read-only database)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, *, persist: bool) -> None:
        self.con = con
        self.persist = persist

    def install(
        self,
        policy: dict[str, Any],
        *,
        overrides: Sequence[Override] = (),
        ai_apps: str | Path | None = None,
    ) -> None:
        try:
            views.install(
                self.con, policy, persist=self.persist, overrides=overrides, ai_apps=ai_apps
            )
        except duckdb.Error:
            if not self.persist:
                raise
            # read-only database: temporary views
            views.install(self.con, policy, persist=False, overrides=overrides, ai_apps=ai_apps)

    def sql(self, query: str) -> duckdb.DuckDBPyRelation:
        return self.con.sql(query)

    def accept(self, rows: list[list[Any]]) -> None:
        self.con.executemany("INSERT INTO aa_exceptions VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        return self.con
