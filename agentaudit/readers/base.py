"""What a reader is, and the shared SQL that turns staged records into canonical rows.

A reader is data plus a little SQL: how to recognise its format from a file's first record,
and a SELECT that maps one record (`j`, a JSON value) to the columns of its target table.
Validation, rejects, and the identity and credential upserts are the same for every reader
and live here once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from agentaudit.containers import Sample
from agentaudit.db import scalar

# Columns an event reader's SELECT must produce (besides event_time_raw), in table order.
EVENT_COLUMNS = (
    "source_format",
    "platform",
    "event_id",
    "event_type",
    "category",
    "outcome",
    "outcome_detail",
    "actor_key",
    "actor_id",
    "actor_name",
    "actor_display_name",
    "actor_type",
    "session_name",
    "credential_key",
    "credential_id",
    "credential_type",
    "app_id",
    "app_name",
    "user_agent",
    "source_ip",
    "is_interactive",
    "target_id",
    "target_name",
    "target_type",
    "resource",
)


@dataclass(frozen=True)
class Reader:
    """One export format: how to recognise it and how to map its records."""

    name: str
    title: str
    target: str  # events | roster | inventory | alerts | credential_report
    detect: Callable[[Sample], bool]
    select_sql: str  # SELECT ... FROM _records: columns of the target (see EVENT_COLUMNS)
    time_field: str = ""  # named in reject reasons: where the timestamp was expected
    actor_field: str = ""  # named in reject reasons: where the actor was expected
    required_columns: tuple[str, ...] = ()  # CSV formats: header columns that must be present
    containers: tuple[str, ...] = ("ndjson", "json_array", "json_wrapper", "json_document")
    prepare: Callable[[Sample], Sample] | None = None  # e.g. unwrap a JSON-wrapped CSV
    extra_sql: tuple[str, ...] = field(default=())  # more inserts from `_staged` (targets...)


def records_view(con: duckdb.DuckDBPyConnection) -> None:
    """Expose `_raw` as `_records(rec_no, raw, problem, j)`, j NULL when the text is not JSON."""
    con.execute(
        """CREATE OR REPLACE TEMP VIEW _records AS
        SELECT rec_no, raw, problem,
               CASE WHEN problem IS NULL AND json_valid(raw) THEN raw::JSON END AS j
        FROM _raw"""
    )


def _record_problem(reader: Reader) -> str:
    """SQL for why a record cannot load before any field is looked at (NULL when it can)."""
    return """CASE WHEN r.problem IS NOT NULL THEN r.problem
             WHEN r.j IS NULL THEN 'malformed JSON: the record does not parse'
             WHEN json_type(r.j) <> 'OBJECT' THEN 'the record is not a JSON object'
        END"""


def stage_events(con: duckdb.DuckDBPyConnection, reader: Reader, file_id: int) -> None:
    """Map `_records` through the reader's SELECT into `_staged` with a reject reason per row."""
    records_view(con)
    cols = ", ".join(f"m.{c}" for c in EVENT_COLUMNS)
    time_field = reader.time_field.replace("'", "''")
    actor_field = reader.actor_field.replace("'", "''")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _staged AS
        WITH m AS ({reader.select_sql})
        SELECT {file_id} AS file_id, r.rec_no AS record_no, r.raw,
               aa_ts(m.event_time_raw) AS event_time, {cols},
               coalesce({_record_problem(reader)},
                   CASE WHEN m.event_time_raw IS NULL
                            THEN 'missing timestamp: expected {time_field}'
                        WHEN aa_ts(m.event_time_raw) IS NULL
                            THEN 'unparseable timestamp ' || m.event_time_raw
                                 || ' in {time_field}'
                        WHEN m.actor_id IS NULL
                            THEN 'missing actor: expected {actor_field}'
                   END) AS reject_reason
        FROM _records r LEFT JOIN m USING (rec_no)"""
    )


def write_rejects(con: duckdb.DuckDBPyConnection, file_id: int, path: Path) -> int:
    """Copy `_staged` rows with a reject reason into `rejects`; return how many."""
    con.execute(
        """INSERT INTO rejects
        SELECT file_id, ?, record_no, reject_reason, aa_mask_text(left(raw, 20000))
        FROM _staged WHERE reject_reason IS NOT NULL""",
        [str(path)],
    )
    return int(scalar(con, "SELECT count(*) FROM _staged WHERE reject_reason IS NOT NULL"))


def write_events(con: duckdb.DuckDBPyConnection) -> int:
    """Insert the good staged rows into `events` and upsert their actors and credentials."""
    cols = ", ".join(EVENT_COLUMNS)
    con.execute(
        f"""INSERT INTO events (file_id, record_no, event_time, {cols}, raw)
        SELECT file_id, record_no, event_time, {cols}, aa_mask_text(raw)::JSON
        FROM _staged WHERE reject_reason IS NULL"""
    )
    n = int(scalar(con, "SELECT count(*) FROM _staged WHERE reject_reason IS NULL"))
    upsert_identities(
        con,
        """SELECT actor_key AS identity_key, any_value(platform) AS platform,
                  any_value(actor_id) AS native_id, max(actor_name) AS name,
                  max(actor_display_name) AS display_name,
                  max(CASE WHEN actor_name LIKE '%@%' THEN lower(actor_name) END) AS email,
                  mode(actor_type) AS vendor_type,
                  list_distinct(list(actor_name) || list(actor_id)) AS aliases,
                  NULL::TIMESTAMPTZ AS created_at, NULL::BOOLEAN AS has_password,
                  NULL::BOOLEAN AS mfa_active,
                  min(event_time) AS first_seen, max(event_time) AS last_seen,
                  count(*) AS event_count, [any_value(source_format)] AS source_formats,
                  [any_value(file_id)] AS file_ids
           FROM _staged WHERE reject_reason IS NULL GROUP BY actor_key""",
    )
    upsert_credentials(
        con,
        """SELECT credential_key, any_value(platform) AS platform,
                  any_value(credential_id) AS credential_id,
                  mode(credential_type) AS credential_type, mode(actor_key) AS identity_key,
                  NULL AS status, NULL::TIMESTAMPTZ AS created_at,
                  NULL::TIMESTAMPTZ AS last_rotated_at, max(event_time) AS last_used_at,
                  NULL::TIMESTAMPTZ AS revoked_at,
                  min(event_time) AS first_seen, max(event_time) AS last_seen,
                  count(*) AS use_count, [any_value(source_format)] AS source_formats,
                  [any_value(file_id)] AS file_ids
           FROM _staged WHERE reject_reason IS NULL AND credential_key IS NOT NULL
           GROUP BY credential_key""",
    )
    return n


EXTRA_TABLES = """
CREATE OR REPLACE TEMP TABLE _extra_identities (
    identity_key VARCHAR, platform VARCHAR, native_id VARCHAR, name VARCHAR,
    display_name VARCHAR, vendor_type VARCHAR, created_at TIMESTAMPTZ, has_password BOOLEAN,
    mfa_active BOOLEAN, last_seen TIMESTAMPTZ, source_format VARCHAR, file_id INTEGER);
CREATE OR REPLACE TEMP TABLE _extra_credentials (
    credential_key VARCHAR, platform VARCHAR, credential_id VARCHAR, credential_type VARCHAR,
    identity_key VARCHAR, status VARCHAR, created_at TIMESTAMPTZ, revoked_at TIMESTAMPTZ,
    seen_at TIMESTAMPTZ, last_used_at TIMESTAMPTZ, source_format VARCHAR, file_id INTEGER);
"""


def write_extras(con: duckdb.DuckDBPyConnection, reader: Reader) -> None:
    """Run the reader's extra inserts (identities and credentials named outside the actor)."""
    con.execute(EXTRA_TABLES)
    for sql in reader.extra_sql:
        con.execute(sql)
    upsert_identities(
        con,
        """SELECT identity_key, any_value(platform) AS platform, any_value(native_id) AS native_id,
                  max(name) AS name, max(display_name) AS display_name,
                  max(CASE WHEN name LIKE '%@%' THEN lower(name) END) AS email,
                  any_value(vendor_type) AS vendor_type,
                  list_distinct(list(name) || list(native_id)) AS aliases,
                  min(created_at) AS created_at, bool_or(has_password) AS has_password,
                  bool_or(mfa_active) AS mfa_active, NULL::TIMESTAMPTZ AS first_seen,
                  max(last_seen) AS last_seen, 0 AS event_count,
                  list_distinct(list(source_format)) AS source_formats,
                  list_distinct(list(file_id)) AS file_ids
           FROM _extra_identities WHERE identity_key IS NOT NULL GROUP BY identity_key""",
    )
    upsert_credentials(
        con,
        """SELECT credential_key, any_value(platform) AS platform,
                  any_value(credential_id) AS credential_id,
                  any_value(credential_type) AS credential_type,
                  any_value(identity_key) AS identity_key,
                  CASE WHEN max(revoked_at) IS NOT NULL THEN 'revoked'
                       ELSE arg_max(status, coalesce(seen_at, created_at,
                                                    TIMESTAMPTZ '1970-01-01')) END AS status,
                  min(created_at) AS created_at, max(created_at) AS last_rotated_at,
                  max(last_used_at) AS last_used_at, max(revoked_at) AS revoked_at,
                  min(seen_at) AS first_seen, max(seen_at) AS last_seen, 0 AS use_count,
                  list_distinct(list(source_format)) AS source_formats,
                  list_distinct(list(file_id)) AS file_ids
           FROM _extra_credentials WHERE credential_key IS NOT NULL GROUP BY credential_key""",
    )


def upsert_identities(con: duckdb.DuckDBPyConnection, select_sql: str) -> None:
    """Merge identity rows (one per identity_key) into `identities`, keeping every source."""
    con.execute(
        f"""INSERT INTO identities BY NAME ({select_sql})
        ON CONFLICT (identity_key) DO UPDATE SET
            name = coalesce(identities.name, excluded.name),
            display_name = coalesce(identities.display_name, excluded.display_name),
            email = coalesce(identities.email, excluded.email),
            vendor_type = coalesce(identities.vendor_type, excluded.vendor_type),
            aliases = list_distinct(list_concat(identities.aliases, excluded.aliases)),
            created_at = coalesce(identities.created_at, excluded.created_at),
            has_password = coalesce(excluded.has_password, identities.has_password),
            mfa_active = coalesce(excluded.mfa_active, identities.mfa_active),
            first_seen = least(identities.first_seen, excluded.first_seen),
            last_seen = greatest(identities.last_seen, excluded.last_seen),
            event_count = identities.event_count + excluded.event_count,
            source_formats = list_distinct(
                list_concat(identities.source_formats, excluded.source_formats)),
            file_ids = list_distinct(list_concat(identities.file_ids, excluded.file_ids))"""
    )


def upsert_credentials(con: duckdb.DuckDBPyConnection, select_sql: str) -> None:
    """Merge credential rows (one per credential_key) into `credentials`."""
    con.execute(
        f"""INSERT INTO credentials BY NAME ({select_sql})
        ON CONFLICT (credential_key) DO UPDATE SET
            credential_type = coalesce(credentials.credential_type, excluded.credential_type),
            identity_key = coalesce(credentials.identity_key, excluded.identity_key),
            status = CASE WHEN coalesce(credentials.revoked_at, excluded.revoked_at) IS NOT NULL
                          THEN 'revoked' ELSE coalesce(excluded.status, credentials.status) END,
            created_at = coalesce(credentials.created_at, excluded.created_at),
            last_rotated_at = greatest(credentials.last_rotated_at, excluded.last_rotated_at),
            last_used_at = greatest(credentials.last_used_at, excluded.last_used_at),
            revoked_at = coalesce(credentials.revoked_at, excluded.revoked_at),
            first_seen = least(credentials.first_seen, excluded.first_seen),
            last_seen = greatest(credentials.last_seen, excluded.last_seen),
            use_count = credentials.use_count + excluded.use_count,
            source_formats = list_distinct(
                list_concat(credentials.source_formats, excluded.source_formats)),
            file_ids = list_distinct(list_concat(credentials.file_ids, excluded.file_ids))"""
    )


def stage_table(con: duckdb.DuckDBPyConnection, reader: Reader, file_id: int) -> None:
    """Map `_records` of a client CSV through the reader's SELECT into `_staged`.

    The reader's SELECT yields the target table's columns plus `invalid`, a reason or NULL.
    """
    records_view(con)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _staged AS
        WITH m AS ({reader.select_sql})
        SELECT {file_id} AS file_id, r.rec_no AS record_no, r.raw, m.* EXCLUDE (rec_no, invalid),
               coalesce({_record_problem(reader)}, m.invalid) AS reject_reason
        FROM _records r LEFT JOIN m USING (rec_no)"""
    )


def write_table(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Insert the good staged rows of a client CSV into its table; return how many."""
    con.execute(
        f"""INSERT INTO {table} BY NAME
        SELECT * EXCLUDE (raw, reject_reason) FROM _staged WHERE reject_reason IS NULL"""
    )
    return int(scalar(con, "SELECT count(*) FROM _staged WHERE reject_reason IS NULL"))


def has_keys(sample: Sample, *keys: str) -> bool:
    """True when the first record has every key (case-insensitively)."""
    present = sample.lower_keys()
    return all(k.lower() in present for k in keys)


def field_of(*paths: str, src: str = "j") -> str:
    """SQL taking the first non-empty text among JSON paths of `src` (a JSON column)."""
    parts = [f"aa_none({src}->>'{p}')" for p in paths]
    return parts[0] if len(parts) == 1 else "coalesce(" + ", ".join(parts) + ")"
