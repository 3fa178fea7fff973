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
