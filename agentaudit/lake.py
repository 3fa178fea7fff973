"""The canonical Parquet lake: an audit database's tables as Parquet files that another engine
can read, and that several machines can write side by side.

`write(db, out)` writes one *shard*: `out/<shard>/` holds `_lake.json` (the schema version,
the tables and their row counts, the input files), `events/source_format=…/month=…/*.parquet`
and one Parquet file per other table. Shards written from different file sets merge by being
in the same folder: `connect(lake)` reads every shard below it, renumbers their files, and
recomputes the identities and credentials from the shards' rows (the same merge an ingest
does), so the order of the shards does not matter. The result is a DuckDB connection holding
the canonical tables, which `assess` runs on as on an audit database.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from agentaudit import db as audit_db
from agentaudit.errors import AgentAuditError
from agentaudit.readers import base

LAKE_VERSION = 1
MARKER = "_lake.json"
# Tables carried row for row (file_id renumbered per shard); identities and credentials are
# merged; `meta` is the reading database's own.
ROW_TABLES = ("files", "rejects", "events", "roster", "inventory", "alerts", "agent_registry")
MERGED_TABLES = ("identities", "credentials")


class LakeError(AgentAuditError):
    """A lake folder that cannot be read or written."""

    exit_code = 2


def _q(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def write(db: str | Path | duckdb.DuckDBPyConnection, out: str | Path) -> Path:
    """Write the database's canonical tables as a lake shard under `out`; return its folder.

    The shard is named after the input files it holds (their SHA-256), so writing the same
    database twice replaces its shard rather than doubling it."""
    own = not isinstance(db, duckdb.DuckDBPyConnection)
    con = audit_db.connect(db, read_only=True) if own else db
    try:
        files = con.sql("SELECT path, sha256 FROM files ORDER BY file_id").fetchall()
        digest = hashlib.sha256("\n".join(sha or "" for _, sha in files).encode()).hexdigest()[:16]
        shard = Path(out) / f"shard-{digest}"
        tmp = shard.with_name(shard.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)  # a crashed earlier write
        tmp.mkdir(parents=True)
        counts = {}
        for table in ROW_TABLES + MERGED_TABLES:
            counts[table] = int(con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0])
            if table == "events":
                con.execute(
                    f"""COPY (SELECT *, strftime(event_time, '%Y-%m') AS month FROM events)
                        TO {_q(tmp / "events")}
                        (FORMAT parquet, PARTITION_BY (source_format, month),
                         COMPRESSION zstd)"""
                )
            else:
                con.execute(
                    f"COPY {table} TO {_q(tmp / (table + '.parquet'))} "
                    "(FORMAT parquet, COMPRESSION zstd)"
                )
        marker = {
            "lake_version": LAKE_VERSION,
            "schema_version": audit_db.SCHEMA_VERSION,
            "written_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tables": counts,
            "inputs": [{"path": p, "sha256": s} for p, s in files],
        }
        (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        shutil.rmtree(shard, ignore_errors=True)
        tmp.rename(shard)  # a crash leaves a `.partial` folder, never a half shard
        return shard
    finally:
        if own:
            con.close()


def shards(lake: str | Path) -> list[Path]:
    """The shard folders below `lake` (each holds a `_lake.json`), in name order."""
    root = Path(lake)
    if not root.is_dir():
        raise LakeError(f"{root}: not a folder (expected a lake written by `agentaudit lake`)")
    found = sorted(p.parent for p in root.rglob(MARKER) if not p.parent.name.endswith(".partial"))
    if not found:
        raise LakeError(f"{root}: no {MARKER} below it: not a lake written by `agentaudit lake`")
    for shard in found:
        marker = json.loads((shard / MARKER).read_text(encoding="utf-8"))
        if marker.get("schema_version") != audit_db.SCHEMA_VERSION:
            raise LakeError(
                f"{shard / MARKER}: schema version {marker.get('schema_version')!r}, "
                f"expected {audit_db.SCHEMA_VERSION!r}: rewrite it with this agentaudit"
            )
    return found


def layout(lake: str | Path) -> list[tuple[Path, int]]:
    """Every shard below `lake` with the offset its file ids take in the merged lake (each
    shard numbers its files from 1). A file loaded in two shards would count its rows twice:
    refused, naming the file and the shards."""
    found = shards(lake)
    out, offset = [], 0
    with duckdb.connect() as con:
        for shard in found:
            out.append((shard, offset))
            top = con.sql(f"SELECT coalesce(max(file_id), 0) FROM {_q(shard / 'files.parquet')}")
            offset += int(top.fetchall()[0][0])
        loaded = " UNION ALL ".join(
            f"SELECT {_q(shard)} AS shard, path, sha256 FROM {_q(shard / 'files.parquet')} "
            "WHERE rows_loaded > 0"
            for shard in found
        )
        twice = con.sql(
            f"""SELECT any_value(path), list(DISTINCT shard ORDER BY shard) FROM ({loaded})
                GROUP BY sha256 HAVING count(DISTINCT shard) > 1 ORDER BY 1 LIMIT 1"""
        ).fetchall()
    if twice:
        path, where = twice[0]
        raise LakeError(
            f"{path}: loaded in {len(where)} shards ({', '.join(where)}): its rows would be "
            "counted twice; remove all but one of those shards or ingest the file once"
        )
    return out


def has_events(shard: Path) -> bool:
    """Whether a shard holds events (one of only rosters or inventories has no events files)."""
    marker = json.loads((shard / MARKER).read_text(encoding="utf-8"))
    return int(marker.get("tables", {}).get("events", 0)) > 0


def connect(
    lake: str | Path, placed: list[tuple[Path, int]] | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory audit database over a lake: every shard's rows (events read in place from
    Parquet), files renumbered shard by shard, identities and credentials merged. `placed` is
    the lake's `layout`, when the caller has it already."""
    placed = placed if placed is not None else layout(lake)
    found = [shard for shard, _ in placed]
    offsets = [offset for _, offset in placed]
    con = audit_db.connect(None)

    def union(source: str, shards: list[Path] = found) -> str:
        parts = [
            f"SELECT * REPLACE (file_id + {off} AS file_id) FROM {source.format(shard=shard)}"
            for shard, off in zip(found, offsets, strict=True)
            if shard in shards
        ]
        return " UNION ALL BY NAME ".join(parts)

    for table in ROW_TABLES:
        columns = [r[0] for r in con.sql(f"DESCRIBE {table}").fetchall()]
        if table == "events":
            source = "read_parquet('{shard}/events/**/*.parquet', hive_partitioning = true)"
            with_events = [shard for shard in found if has_events(shard)]
            if not with_events:  # every shard holds only rosters, inventories and the like
                continue
            select = f"SELECT {', '.join(columns)} FROM ({union(source, with_events)})"
        else:
            source = "read_parquet('{shard}/" + table + ".parquet')"
            select = f"SELECT {', '.join(columns)} FROM ({union(source)})"
        con.execute(f"DROP TABLE {table}")
        kind = "VIEW" if table == "events" else "TABLE"  # events stay in the Parquet files
        con.execute(f"CREATE {kind} {table} AS {select}")
    # Identities and credentials: each shard's rows merged in as an ingest merges a file's
    # (agentaudit.readers.base), their file lists renumbered like the files.
    for shard, off in zip(found, offsets, strict=True):
        for table, upsert in (
            ("identities", base.upsert_identities),
            ("credentials", base.upsert_credentials),
        ):
            upsert(
                con,
                f"""SELECT * REPLACE (list_transform(file_ids, lambda f: f + {off}) AS file_ids)
                    FROM read_parquet({_q(shard / (table + ".parquet"))})""",
            )
    return con
