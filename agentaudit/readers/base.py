"""What a reader is, and the shared SQL that turns staged records into canonical rows.

A reader is data plus a little SQL: how to recognise its format from a file's first record,
the vendor fields it reads, and SELECT-list expressions that map those fields to the columns
of its target table.
Validation, rejects, and the identity and credential upserts are the same for every reader
and live here once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from agentaudit.containers import Sample
from agentaudit.readers.vocabulary import FACT_COLUMNS, FACT_DEFAULTS

# Columns an event reader's `columns_sql` must produce (besides event_time_raw), in table order.
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
    "agent_id",
    "agent_type",
    "agent_parent_id",
    "on_behalf_of",
    *FACT_COLUMNS,
)
# Readers of platforms without agent markers leave them empty.
NO_AGENT_SQL = """NULL::VARCHAR AS agent_id, NULL::VARCHAR AS agent_type,
    NULL::VARCHAR AS agent_parent_id, NULL::VARCHAR AS on_behalf_of"""


Fields = dict[str, tuple[str, ...]]


def case_map(expr: str, mapping: dict[str, str]) -> str:
    """SQL turning a vendor's values of `expr` into the vocabulary's (NULL for any other)."""

    def lit(v: str) -> str:
        return "'" + v.replace("'", "''") + "'"

    return (
        f"CASE {expr} "
        + " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in mapping.items())
        + " END"
    )


@dataclass(frozen=True)
class ActorKind:
    """What a vendor's actor type is, in the vocabulary (`vocabulary.ACTOR_KINDS`).

    `label` names the account kind in reports. Where the type alone decides the class,
    `decides` is the class and `rule` the reason the classification shows; for a role,
    `rule` names the role in the evidence-based reasons ("AWS role of an EC2 instance
    profile"); `detail` names the apps listed beside a person's session ("permission sets").
    """

    kind: str
    label: str
    decides: str | None = None
    rule: str | None = None
    confidence: str = "high"
    detail: str | None = None


@dataclass(frozen=True)
class Reader:
    """One export format: how to recognise it, which fields it reads, and how to map them.

    `fields` names each vendor field the mapping needs and the JSON paths it may sit at (the
    first non-empty wins); they are extracted in one pass per record, so a reader's
    `columns_sql` reads plain columns of `f(<field>...)` instead of parsing JSON again.
    """

    name: str
    title: str
    target: str  # events | roster | inventory | alerts | extras
    detect: Callable[[Sample], bool]
    fields: Fields
    columns_sql: str  # SELECT-list over f: the target's columns (see EVENT_COLUMNS)
    record_sql: str = "raw"  # the record inside each staged text `raw` (e.g. an escaped string)
    time_field: str = ""  # named in reject reasons: where the timestamp was expected
    actor_field: str = ""  # named in reject reasons: where the actor was expected
    required_columns: tuple[str, ...] = ()  # CSV formats: header columns that must be present
    containers: tuple[str, ...] = ("ndjson", "json_array", "json_wrapper", "json_document")
    prepare: Callable[[Sample], Sample] | None = None  # e.g. unwrap a JSON-wrapped CSV
    extra_sql: tuple[str, ...] = field(default=())  # more inserts from `_staged` (targets...)
    # events: agent_id, agent_type, agent_parent_id, on_behalf_of (the platform's markers)
    agent_sql: str = NO_AGENT_SQL
    # events: the vocabulary's fact columns (vocabulary.facts_sql); NULL where not known
    facts_sql: str = FACT_DEFAULTS
    platform: str = ""  # events: the platform its rows name (events.platform)
    # the platform's actor types (`actor_type`, the identities' vendor_type) in the vocabulary
    actor_kinds: dict[str, ActorKind] = field(default_factory=dict)
    # an account listing (e.g. "credential report"): a file naming every account with its
    # password and MFA state, so an account it lists exists even when it never acts
    account_listing: str = ""
    # people reach the platform through federation: an account created in its log is
    # presumed a workload's unless shown otherwise
    created_accounts_are_workloads: bool = False


def mapped_cte(reader: Reader, file_column: bool = False) -> str:
    """CTEs `_x`, `f` and `m`: every staged record mapped by the reader, in one pass.

    `_x` parses each record once into the list `_l` of its declared fields (NULL when the text
    does not parse); `f(rec_no, <field>...)` is what a reader's `columns_sql` reads; `m` adds
    those columns to the record's number, text and staging problem. No join: each record is
    carried through with its own text, so a file costs one scan of `_raw`.
    """
    paths: list[str] = []
    cols: list[str] = []
    for name, alternatives in reader.fields.items():
        exprs = []
        for path in alternatives:
            paths.append(path)
            exprs.append(f"aa_none(_l[{len(paths)}])")
        expr = exprs[0] if len(exprs) == 1 else "coalesce(" + ", ".join(exprs) + ")"
        cols.append(f"{expr} AS {name}")
    path_list = "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"
    keep = ("file_id, " if file_column else "") + "rec_no, _problem, _text, _j, _l"
    agents = f",\n{reader.agent_sql},\n{reader.facts_sql}" if reader.target == "events" else ""
    # json_valid first rather than try(): TRY re-runs a failing chunk row by row and cost
    # a third more on every file, bad records or not.
    extract = f"CASE WHEN json_valid(_j) THEN json_extract_string(_j, {path_list}) END"
    return f"""_x AS (SELECT {keep.replace(", _l", "")}, {extract} AS _l
               FROM (SELECT {"file_id, " if file_column else ""}rec_no, problem AS _problem,
                            raw AS _text, {reader.record_sql} AS _j FROM _raw)),
    f AS (SELECT {keep}, {", ".join(cols)} FROM _x),
    m AS (SELECT {keep}, {reader.columns_sql}{agents} FROM f)"""


_RECORD_PROBLEM = """CASE WHEN _problem IS NOT NULL THEN _problem
             WHEN _l IS NULL THEN 'malformed JSON: the record does not parse'
             WHEN NOT starts_with(ltrim(_j), '{') THEN 'the record is not a JSON object'
        END"""


def stage_events(con: duckdb.DuckDBPyConnection, reader: Reader, file_id: int | None) -> None:
    """Map `_raw` through the reader's columns into `_staged` with a reject reason per row.

    `file_id` None: `_raw` holds many files' records, each with its own `file_id`."""
    time_field = reader.time_field.replace("'", "''")
    actor_field = reader.actor_field.replace("'", "''")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _staged AS
        WITH {mapped_cte(reader, file_column=file_id is None)},
             t AS (SELECT *, aa_ts(event_time_raw) AS event_time FROM m)
        SELECT {"file_id" if file_id is None else file_id} AS file_id, rec_no AS record_no,
               _text AS raw,
               event_time, {", ".join(EVENT_COLUMNS)},
               coalesce({_RECORD_PROBLEM},
                   CASE WHEN event_time_raw IS NULL
                            THEN 'missing timestamp: expected {time_field}'
                        WHEN event_time IS NULL
                            THEN 'unparseable timestamp ' || event_time_raw
                                 || ' in {time_field}'
                        WHEN actor_id IS NULL
                            THEN 'missing actor: expected {actor_field}'
                   END) AS reject_reason
        FROM t"""
    )


def write_rejects(con: duckdb.DuckDBPyConnection, staged: str, path: Path | str) -> int:
    """Copy the rows of staged table `staged` that carry a reject reason into `rejects`.

    `path` is the file's path, or the name of a table `(file_id, path)` when `staged`
    holds many files."""
    source = (
        f"(SELECT s.*, p.path AS _path FROM {staged} s JOIN {path} p USING (file_id))"
        if isinstance(path, str)
        else f"(SELECT *, ? AS _path FROM {staged})"
    )
    rows = con.execute(
        f"""INSERT INTO rejects
        SELECT file_id, _path, record_no, reject_reason, aa_mask_text(left(raw, 20000))
        FROM {source} WHERE reject_reason IS NOT NULL""",
        [] if isinstance(path, str) else [str(path)],
    ).fetchall()
    return int(rows[0][0])


def write_events(con: duckdb.DuckDBPyConnection, staged: list[str]) -> int:
    """Insert the good rows of the staged tables into `events`, secrets masked, and upsert
    their actors and credentials; return how many events.

    One INSERT for the whole batch: DuckDB then writes full row groups straight to the file,
    where an INSERT per file left a third of the work to the COMMIT. The upserts aggregate
    DISTINCT values: building a list of every event's name per actor cost twice as long.
    """
    cols = ", ".join(EVENT_COLUMNS)
    src = "(" + " UNION ALL BY NAME ".join(f"SELECT * FROM {t}" for t in staged) + ")"
    rows = con.execute(
        f"""INSERT INTO events (file_id, record_no, event_time, {cols}, raw)
        SELECT file_id, record_no, event_time, {cols}, aa_mask_text(raw)
        FROM {src} WHERE reject_reason IS NULL"""
    ).fetchall()
    n = int(rows[0][0])
    upsert_identities(
        con,
        f"""SELECT actor_key AS identity_key, any_value(platform) AS platform,
                  any_value(actor_id) AS native_id, max(actor_name) AS name,
                  max(actor_display_name) AS display_name,
                  max(CASE WHEN actor_name LIKE '%@%' THEN lower(actor_name)
                           WHEN actor_display_name LIKE '%@%' THEN lower(actor_display_name)
                      END) AS email,
                  mode(actor_type) AS vendor_type,
                  list_distinct(list(DISTINCT actor_name) || list(DISTINCT actor_id)) AS aliases,
                  NULL::TIMESTAMPTZ AS created_at, NULL::BOOLEAN AS has_password,
                  NULL::BOOLEAN AS mfa_active,
                  min(event_time) AS first_seen, max(event_time) AS last_seen,
                  count(*) AS event_count,
                  list(DISTINCT source_format) AS source_formats,
                  list(DISTINCT file_id) AS file_ids
           FROM {src} WHERE reject_reason IS NULL GROUP BY actor_key""",
    )
    upsert_credentials(
        con,
        f"""SELECT credential_key, any_value(platform) AS platform,
                  any_value(credential_id) AS credential_id,
                  mode(credential_type) AS credential_type, mode(actor_key) AS identity_key,
                  NULL AS status, NULL::TIMESTAMPTZ AS created_at,
                  NULL::TIMESTAMPTZ AS last_rotated_at, max(event_time) AS last_used_at,
                  NULL::TIMESTAMPTZ AS revoked_at,
                  min(event_time) AS first_seen, max(event_time) AS last_seen,
                  count(*) AS use_count,
                  list(DISTINCT source_format) AS source_formats,
                  list(DISTINCT file_id) AS file_ids
           FROM {src} WHERE reject_reason IS NULL AND credential_key IS NOT NULL
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


def stage_extras(con: duckdb.DuckDBPyConnection, reader: Reader) -> None:
    """Run the reader's extra inserts from `_staged` into the temp tables `_extra_identities`
    and `_extra_credentials` (identities and credentials named outside the actor)."""
    con.execute(EXTRA_TABLES)
    for sql in reader.extra_sql:
        con.execute(sql)


def write_extras(con: duckdb.DuckDBPyConnection, identities: str, credentials: str) -> None:
    """Merge staged extra identities and credentials (see `stage_extras`) into the database."""
    upsert_identities(
        con,
        f"""SELECT identity_key, any_value(platform) AS platform, any_value(native_id) AS native_id,
                  max(name) AS name, max(display_name) AS display_name,
                  max(CASE WHEN name LIKE '%@%' THEN lower(name) END) AS email,
                  any_value(vendor_type) AS vendor_type,
                  list_distinct(list(name) || list(native_id)) AS aliases,
                  min(created_at) AS created_at, bool_or(has_password) AS has_password,
                  bool_or(mfa_active) AS mfa_active, NULL::TIMESTAMPTZ AS first_seen,
                  max(last_seen) AS last_seen, 0 AS event_count,
                  list_distinct(list(source_format)) AS source_formats,
                  list_distinct(list(file_id)) AS file_ids
           FROM {identities} WHERE identity_key IS NOT NULL GROUP BY identity_key""",
    )
    upsert_credentials(
        con,
        f"""SELECT credential_key, any_value(platform) AS platform,
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
           FROM {credentials} WHERE credential_key IS NOT NULL GROUP BY credential_key""",
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
    """Map `_raw` of a client CSV through the reader's columns into `_staged`.

    The reader's columns are the target table's plus `invalid`, a reason or NULL.
    """
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _staged AS
        WITH {mapped_cte(reader)}
        SELECT {file_id} AS file_id, rec_no AS record_no, _text AS raw,
               m.* EXCLUDE (rec_no, _problem, _text, _j, _l, invalid),
               coalesce({_RECORD_PROBLEM}, m.invalid) AS reject_reason
        FROM m"""
    )


def write_table(con: duckdb.DuckDBPyConnection, staged: str, table: str) -> int:
    """Insert the good rows of a client CSV's staged table into its table; return how many."""
    rows = con.execute(
        f"""INSERT INTO {table} BY NAME
        SELECT * EXCLUDE (raw, reject_reason) FROM {staged} WHERE reject_reason IS NULL"""
    ).fetchall()
    return int(rows[0][0])
