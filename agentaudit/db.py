"""Open the audit database, apply the canonical schema and register the SQL helpers readers use."""

from __future__ import annotations

import contextlib
import functools
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb

from agentaudit import siem
from agentaudit.errors import DatabaseError, DatabaseLockedError, InputError

SCHEMA_VERSION = "1"

# Values vendors use for "no value" (AWS credential report, Panther exports, CSV exports).
_NO_VALUE = "('', 'N/A', 'n/a', 'not_supported', 'no_information', 'null', 'NULL', 'None')"

# Keys whose string values are secrets: their values are masked wherever raw text is stored.
_SECRET_KEYS = (
    "secretaccesskey|sessiontoken|clientsecret|client_secret|password|secret|secretstring|"
    "accesstoken|access_token|refreshtoken|refresh_token|privatekey|private_key|apikey|api_key|"
    "token|bearer|authorization|credential"
)
# Well-known secret value shapes (GitHub, Slack, OpenAI/Anthropic style keys, JWTs).
_SECRET_VALUES = (
    r"(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|"
    r"sk-[A-Za-z0-9_-]{20,}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})"
)

MACROS = rf"""
CREATE OR REPLACE TEMP MACRO aa_none(s) AS
    CASE WHEN s IS NULL OR s::VARCHAR IN {_NO_VALUE} THEN NULL ELSE s::VARCHAR END;

CREATE OR REPLACE TEMP MACRO aa_ts_text(t) AS
    CASE
        WHEN t IS NULL THEN NULL
        WHEN regexp_full_match(t, '\d{{12,14}}(\.\d*)?')
            THEN make_timestamptz((t::DOUBLE * 1000)::BIGINT)
        WHEN regexp_full_match(t, '\d{{9,11}}(\.\d+)?') THEN to_timestamp(t::DOUBLE)
        ELSE coalesce(
            try_cast(t AS TIMESTAMPTZ),
            try_cast(regexp_replace(t, '(\.\d{{6}})\d+', '\1') AS TIMESTAMPTZ),
            try_strptime(t, '%b %d, %Y %I:%M:%S %p')::TIMESTAMPTZ)
    END;

CREATE OR REPLACE TEMP MACRO aa_ts(s) AS aa_ts_text(aa_none(s));

CREATE OR REPLACE TEMP MACRO aa_bool(s) AS
    CASE lower(aa_none(s)) WHEN 'true' THEN true WHEN 'yes' THEN true WHEN '1' THEN true
                           WHEN 'false' THEN false WHEN 'no' THEN false WHEN '0' THEN false END;

CREATE OR REPLACE TEMP MACRO aa_mask_text(s) AS
    CASE WHEN regexp_matches(s::VARCHAR, '"(?i:{_SECRET_KEYS})"\s*:|{_SECRET_VALUES}')
         THEN regexp_replace(
                  regexp_replace(s::VARCHAR,
                      '("(?i:{_SECRET_KEYS})"\s*:\s*")[^"]*?([^"\\]{{4}})"', '\1****\2"', 'g'),
                  '{_SECRET_VALUES}', '****', 'g')
         ELSE s::VARCHAR END;

CREATE OR REPLACE TEMP MACRO aa_list(s) AS
    list_filter(list_transform(string_split(coalesce(aa_none(s), ''), ';'), lambda x: trim(x)),
                lambda x: x <> '');
"""


# A DuckDB database file holds its magic bytes at offset 8 (after the header's checksum).
_DUCKDB_MAGIC = b"DUCK"


def check_database_path(path: str | Path) -> None:
    """Refuse a path that names something other than a DuckDB database or a new file.

    DuckDB opens an existing CSV, JSON or Parquet file given as a database as an in-memory
    database over it: writes would vanish and reads find no tables. The file's magic bytes
    decide, not its extension. An empty file is refused too (DuckDB will not write into it)."""
    p = Path(path)
    if not p.exists():
        if p.is_symlink():
            raise InputError(str(p), "is a broken symbolic link, not a DuckDB database")
        return
    if p.is_dir():
        raise InputError(str(p), "is a folder: --db takes a DuckDB database file (or a new path)")
    if not p.is_file():
        raise InputError(str(p), "is not a regular file: --db takes a DuckDB database file")
    try:
        with open(p, "rb") as fh:
            head = fh.read(12)
    except OSError as exc:
        raise DatabaseError(f"cannot read database {p}: {exc.strerror or exc}") from exc
    if not head:
        raise InputError(
            str(p), "is an empty file, not a DuckDB database: remove it, or give a new path"
        )
    if head[8:12] != _DUCKDB_MAGIC:
        raise InputError(
            str(p),
            "is not a DuckDB database (its first bytes are not DuckDB's): give a new path "
            "for a new database, or a database agentaudit wrote; the file was left as it is",
        )


def connect(
    path: str | Path | None = None, *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open (and create if needed) an audit database; `None` opens an in-memory one.

    A path naming an existing file that is not a DuckDB database is refused (InputError)."""
    target = ":memory:" if path is None else str(path)
    if path is not None and target != ":memory:":
        check_database_path(path)
    try:
        con = duckdb.connect(target, read_only=read_only)
    except duckdb.Error as exc:  # locked, unreadable, not a DuckDB file
        raise database_error(target, exc) from exc
    con.execute("SET TimeZone = 'UTC'")
    # A cap on DuckDB's memory (it spills to disk beyond it), e.g. for a batch on a small box.
    if limit := os.environ.get("AGENTAUDIT_MEMORY_LIMIT"):
        try:
            con.execute(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
        except duckdb.Error as exc:
            raise DatabaseError(f"AGENTAUDIT_MEMORY_LIMIT={limit}: {exc}") from exc
    # agentaudit never deletes rows from its tables, so a checkpoint's vacuum would only merge
    # the partial row groups that parallel inserts leave, rewriting a third of a freshly loaded
    # `events` table (19 s after 10M events); scans barely notice them (10M events: 91 row
    # groups instead of 85, assess 36-39 s against 34-38 s once merged).
    con.execute("SET max_vacuum_tasks = 0")
    # Inside Jupyter DuckDB refuses the setting without ipywidgets (and shows no bar there).
    with contextlib.suppress(duckdb.Error):
        con.execute("SET enable_progress_bar = false")
    if not read_only:
        apply_schema(con)
    else:
        _read_older(con)
    con.execute(MACROS)
    # Log Analytics / Sentinel rows back to the vendor's shape (see agentaudit.siem)
    text = duckdb.sqltype("VARCHAR")
    for name, function, arity in (
        ("aa_siem", siem.normalise_text, 2),  # SIEM rows back to the vendor's record
        ("aa_entra_portal", siem.portal_text, 1),  # Entra admin-center CSV downloads
        ("aa_cloudtrail_lake", siem.lake_text, 1),  # CloudTrail Lake query result rows
    ):
        # a second connection to the same file shares DuckDB's instance, and its functions
        with contextlib.suppress(duckdb.CatalogException):
            con.create_function(name, function, [text] * arity, text, side_effects=False)
    return con


def remove_database(path: str | Path) -> None:
    """Delete an audit database (and its write-ahead log) to start afresh, unless another
    program holds it open: on POSIX the file would vanish under that program."""
    path = Path(path)
    if path.exists():
        connect(path, read_only=True).close()  # raises DatabaseLockedError when held
    path.unlink(missing_ok=True)
    Path(str(path) + ".wal").unlink(missing_ok=True)


def database_error(target: str, exc: Exception) -> DatabaseError:
    """DuckDB's error on opening a database, said in one line naming the file."""
    text = " ".join(str(exc).split())
    if "lock" in text.lower():
        holder = re.search(r"\(PID (\d+)\)", text)
        by = f" (process {holder.group(1)})" if holder else ""
        return DatabaseLockedError(
            f"{target} is open in another program{by}: close it (a DuckDB shell, a notebook, "
            "another agentaudit) and try again"
        )
    return DatabaseError(f"cannot open database {target}: {text}")


@functools.cache
def _schema_columns() -> tuple[tuple[str, str, str], ...]:
    """(table, column, type) of every canonical table, as schema.sql defines them (read once
    per process: every read-only connection compares against it)."""
    sql = resources.files("agentaudit").joinpath("schema.sql").read_text(encoding="utf-8")
    scratch = duckdb.connect()
    try:
        scratch.execute(sql)
        return tuple(
            scratch.sql(
                """SELECT table_name, column_name, data_type FROM duckdb_columns()
                   WHERE schema_name = 'main' ORDER BY table_name, column_index"""
            ).fetchall()
        )
    finally:
        scratch.close()


def _read_older(con: duckdb.DuckDBPyConnection) -> None:
    """A database written by an earlier agentaudit, opened read-only (so its schema cannot be
    brought up to date): temporary stand-ins for what it lacks, an `events` view with the
    missing columns empty and empty tables, so the assessment reads it as it reads a new one."""
    found = {
        (t, c)
        for t, c in con.sql(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main'"
        ).fetchall()
    }
    if ("events", "event_id") not in found:
        return  # not an audit database (or an empty one): nothing to stand in for
    wanted = _schema_columns()
    tables = {t for t, _ in found}
    for table in dict.fromkeys(t for t, _, _ in wanted):
        cols = [(c, ty) for t, c, ty in wanted if t == table]
        if table not in tables:
            defs = ", ".join(f"{c} {ty}" for c, ty in cols)
            con.execute(f"CREATE TEMP TABLE {table} ({defs})")
        elif missing := [(c, ty) for c, ty in cols if (table, c) not in found]:
            extra = ", ".join(f"NULL::{ty} AS {c}" for c, ty in missing)
            catalog = con.sql("SELECT current_database()").fetchall()[0][0].replace('"', '""')
            con.execute(
                f'CREATE TEMP VIEW {table} AS SELECT *, {extra} FROM "{catalog}".main.{table}'
            )


def apply_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the canonical tables if they are missing (idempotent)."""
    sql = resources.files("agentaudit").joinpath("schema.sql").read_text(encoding="utf-8")
    con.execute(sql)
    # Databases written before unreadable files were recorded require every file's digest.
    if scalar(
        con,
        """SELECT NOT is_nullable FROM duckdb_columns()
           WHERE schema_name = 'main' AND table_name = 'files' AND column_name = 'sha256'""",
    ):
        con.execute("ALTER TABLE files ALTER COLUMN sha256 DROP NOT NULL")
    con.execute(
        "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO NOTHING",
        [SCHEMA_VERSION],
    )


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run a block in one transaction: all of it lands, or none of it."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextmanager
def setting(con: duckdb.DuckDBPyConnection, name: str, value: str) -> Iterator[None]:
    """Run a block with one DuckDB setting changed, then put the old value back."""
    before = scalar(con, f"SELECT current_setting('{name}')")
    con.execute(f"SET {name} = '{value}'")
    try:
        yield
    finally:
        con.execute(f"SET {name} = '{before}'")


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> object:
    """The first column of the first row of a query (None when it returns no row)."""
    rows = con.sql(sql, params=params).fetchall()
    return rows[0][0] if rows else None


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[list]) -> None:
    """Insert many rows in one statement (`executemany` runs one statement per row)."""
    if not rows:
        return
    width = len(rows[0])
    one = "(" + ", ".join(["?"] * width) + ")"
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        con.execute(
            f"INSERT INTO {table} VALUES " + ", ".join([one] * len(chunk)),
            [v for row in chunk for v in row],
        )
