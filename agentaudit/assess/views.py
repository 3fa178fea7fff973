"""Install the assessment's SQL views in an audit database, in file order.

Each file under `metrics/` holds one metric: views with a header comment naming each view,
what it measures, its unit and what it feeds. The policy and the agent-signature table are
stored in the database too (`aa_policy`, `aa_agent_signatures`), so that the views work from
any DuckDB client with no agentaudit installed.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from agentaudit.assess.review import Override
from agentaudit.readers import actor_kind_rows, reader_rows

# The tables `install` writes beside the views: the policy and the consultant's decisions.
SETTINGS_TABLES = (
    "aa_policy",
    "aa_exceptions",
    "aa_agent_signatures",
    "aa_vendor_apps",
    "aa_ai_apps",
    "aa_overrides",
    "aa_actor_kinds",
    "aa_readers",
)

_HEADER = re.compile(r"^-- (name|measures|unit|feeds|materialized): ?(.*)$")
_STATEMENT = re.compile(r"^CREATE OR REPLACE VIEW (\w+) AS", re.MULTILINE)


@dataclass(frozen=True)
class ViewDoc:
    """What a view is, from its header comment."""

    name: str
    measures: str
    unit: str
    feeds: str
    file: str
    materialized: bool = False


def sql_files() -> list[tuple[str, str]]:
    """(file name, SQL text) of every metric file, in the order they must run."""
    folder = resources.files("agentaudit.assess").joinpath("metrics")
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(n, folder.joinpath(n).read_text(encoding="utf-8")) for n in names]


def catalogue() -> list[ViewDoc]:
    """Every documented view, from the metric files' headers."""
    docs: list[ViewDoc] = []
    for file, text in sql_files():
        current: dict[str, str] = {}
        last = ""
        for line in text.splitlines():
            m = _HEADER.match(line)
            if m:
                last = m.group(1)
                if last == "name" and current.get("name"):
                    docs.append(ViewDoc(file=file, **_complete(current)))
                    current = {}
                current[last] = m.group(2).strip()
            elif line.startswith("--  ") and last:
                current[last] += " " + line[2:].strip()
            elif not line.startswith("--"):
                last = ""
        if current.get("name"):
            docs.append(ViewDoc(file=file, **_complete(current)))
    return docs


def _complete(d: dict[str, str]) -> dict[str, object]:
    out: dict[str, object] = {k: d.get(k, "") for k in ("name", "measures", "unit", "feeds")}
    out["materialized"] = d.get("materialized", "").strip() == "table"
    return out


def statements(text: str) -> list[tuple[str, str]]:
    """(view name, statement) for each CREATE OR REPLACE VIEW in a metric file."""
    starts = [m.start() for m in _STATEMENT.finditer(text)]
    out = []
    for a, b in zip(starts, starts[1:] + [len(text)], strict=True):
        stmt = text[a:b].strip()
        out.append((_STATEMENT.match(stmt).group(1), stmt))  # type: ignore[union-attr]
    return out


def body(statement: str) -> str:
    """The query of a `CREATE OR REPLACE VIEW name AS query` statement."""
    return statement[_STATEMENT.match(statement).end() :]  # type: ignore[union-attr]


def install(
    con: duckdb.DuckDBPyConnection,
    policy: dict[str, Any],
    *,
    persist: bool,
    overrides: Sequence[Override] = (),
    ai_apps: str | Path | None = None,
) -> None:
    """Create the policy, signature, vendor-app and override tables, the shared macros
    (macros.sql) and every view (TEMP ones when not persisting)."""
    temp = "" if persist else "TEMP "
    con.execute(f"CREATE OR REPLACE {temp}TABLE aa_policy (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.executemany(
        "INSERT INTO aa_policy VALUES (?, ?)",
        [
            [k, None if v is None else json.dumps(v) if isinstance(v, list) else str(v)]
            for k, v in sorted(policy.items())
        ],
    )
    con.execute(f"""CREATE OR REPLACE {temp}TABLE aa_exceptions
                    (check_id VARCHAR, identity_key VARCHAR, credential_key VARCHAR,
                     owner VARCHAR, expires DATE, justification VARCHAR, active BOOLEAN)""")
    signatures = (
        resources.files("agentaudit.assess")
        .joinpath("agent_signatures.csv")
        .read_text(encoding="utf-8")
    )
    rows = list(csv.DictReader(signatures.splitlines()))
    con.execute(f"""CREATE OR REPLACE {temp}TABLE aa_agent_signatures
                    (field VARCHAR, pattern VARCHAR, framework VARCHAR, note VARCHAR)""")
    con.executemany(
        "INSERT INTO aa_agent_signatures VALUES (?, ?, ?, ?)",
        [[r["field"], r["pattern"], r["framework"], r["note"]] for r in rows],
    )
    con.execute(f"""CREATE OR REPLACE {temp}TABLE aa_vendor_apps
                    (platform VARCHAR, app_id VARCHAR, name VARCHAR, vendor VARCHAR)""")
    vendor_apps = resources.files("agentaudit.assess").joinpath("vendor_apps.csv")
    with resources.as_file(vendor_apps) as path:
        con.execute(
            "INSERT INTO aa_vendor_apps SELECT platform, lower(app_id), name, vendor "
            "FROM read_csv(?, header = true, all_varchar = true)",
            [str(path)],
        )
    con.execute(f"""CREATE OR REPLACE {temp}TABLE aa_ai_apps
                    (platform VARCHAR, match VARCHAR, pattern VARCHAR, app VARCHAR,
                     vendor VARCHAR, category VARCHAR, source VARCHAR)""")
    with resources.as_file(ai_apps_file(ai_apps)) as path:
        con.execute(
            """INSERT INTO aa_ai_apps
               SELECT platform, match, CASE match WHEN 'app_id' THEN lower(pattern)
                                                  ELSE pattern END,
                      app, vendor, category, source
               FROM read_csv(?, header = true, all_varchar = true)""",
            [str(path)],
        )
    con.execute(f"""CREATE OR REPLACE {temp}TABLE aa_overrides
                    (identity_key VARCHAR PRIMARY KEY, decision VARCHAR, reason VARCHAR,
                     reviewer VARCHAR)""")
    if overrides:
        con.executemany(
            "INSERT INTO aa_overrides VALUES (?, ?, ?, ?)",
            [[o.identity_key, o.decision, o.reason, o.reviewer] for o in overrides],
        )
    # what the readers declare of their platforms (agentaudit/readers): the vocabulary's
    # actor kinds and the formats that list accounts
    kinds = actor_kind_rows()
    con.execute(f"""CREATE OR REPLACE {temp}TABLE aa_actor_kinds
                    (platform VARCHAR, vendor_type VARCHAR, actor_kind VARCHAR, label VARCHAR,
                     decides VARCHAR, rule VARCHAR, confidence VARCHAR, detail VARCHAR)""")
    con.executemany("INSERT INTO aa_actor_kinds VALUES (?, ?, ?, ?, ?, ?, ?, ?)", kinds)
    formats = reader_rows()
    con.execute(f"""CREATE OR REPLACE {temp}TABLE aa_readers
                    (format VARCHAR, platform VARCHAR, account_listing VARCHAR,
                     created_accounts_are_workloads BOOLEAN)""")
    con.executemany("INSERT INTO aa_readers VALUES (?, ?, ?, ?)", formats)
    signatures += json.dumps([kinds, formats])
    macros = macro_sql(con)
    con.execute(macros.replace("CREATE OR REPLACE MACRO", f"CREATE OR REPLACE {temp}MACRO"))
    tables = {d.name for d in catalogue() if d.materialized}
    metric_sql = [("macros.sql", macros), *sql_files()]
    reviewed = json.dumps([[o.identity_key, o.decision, o.reason, o.reviewer] for o in overrides])
    inputs = _inputs_digest(con, policy, signatures + reviewed, metric_sql)
    # Stored tables computed from these same inputs are kept (none depends on the risk
    # acceptances, which only views read): a report after `assess` does not recompute them.
    reuse = _stored_tables_match(con, tables, inputs)
    for _, text in metric_sql[1:]:
        for name, stmt in statements(text):
            kind = "TABLE" if name in tables else "VIEW"
            if reuse and kind == "TABLE":
                _drop(con, name, temporary=True)  # a temporary copy would hide the stored one
                continue  # the stored table, computed from the same inputs, shows through
            _drop(con, name, temporary=not persist)
            con.execute(
                stmt.replace("CREATE OR REPLACE VIEW", f"CREATE OR REPLACE {temp}{kind}", 1)
            )
    if persist:
        con.execute("INSERT OR REPLACE INTO meta VALUES ('assessment_inputs', ?)", [inputs])


def macro_sql(con: duckdb.DuckDBPyConnection) -> str:
    """The shared macros: macros.sql and `aa_ai_app_name`, generated from the AI app catalogue
    in `aa_ai_apps` (installed first)."""
    macros = resources.files("agentaudit.assess").joinpath("macros.sql").read_text("utf-8")
    return macros + "\n" + _ai_app_name_macro(con)


def ai_apps_file(path: str | Path | None = None) -> Any:
    """The AI app catalogue: the consultant's CSV (same columns as assess/ai_apps.csv), or the
    one shipped with agentaudit."""
    if path is not None:
        return Path(path)
    return resources.files("agentaudit.assess").joinpath("ai_apps.csv")


def _ai_app_name_macro(con: duckdb.DuckDBPyConnection) -> str:
    """`aa_ai_app_name(platform, name)`: the AI app catalogue's name patterns (not its generic
    row) as one CASE of constant patterns, the first that matches naming the app. A regular
    expression read from a column is compiled for every row; a constant one once."""
    rows = con.execute(
        """SELECT platform, pattern, app FROM aa_ai_apps
           WHERE match = 'name' AND coalesce(category, '') <> 'generic'"""
    ).fetchall()

    def lit(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    cases = " ".join(
        f"WHEN {'' if plat == 'any' else f'p = {lit(plat)} AND '}"
        f"regexp_matches(n, {lit(pattern)}, 'i') THEN {lit(app)}"
        for plat, pattern, app in rows
    )
    body = f"CASE {cases} END" if cases else "NULL::VARCHAR"
    return (
        "-- the AI app catalogue's name patterns (generated from assess/ai_apps.csv)\n"
        f"CREATE OR REPLACE MACRO aa_ai_app_name(p, n) AS {body};\n"
    )


def _inputs_digest(
    con: duckdb.DuckDBPyConnection,
    policy: dict[str, Any],
    signatures: str,
    metric_sql: list[tuple[str, str]],
) -> str:
    """A digest of what the materialized tables are computed from: the loaded files, the
    policy, the agent signatures, the vendor and AI app catalogues and the metric SQL. A
    report reuses stored tables only when it matches."""
    files = con.sql(
        """SELECT string_agg(file_id || ':' || coalesce(sha256, '') || ':' || status, ','
                             ORDER BY file_id)
           FROM files"""
    ).fetchall()[0][0]
    # every row of the AI app catalogue: its name rows reach the macros, its app-id rows only
    # this table, and both decide which identities are AI agents
    ai_apps = json.dumps(con.sql("SELECT * FROM aa_ai_apps ORDER BY ALL").fetchall())
    digest = hashlib.sha256()
    vendor_apps = resources.files("agentaudit.assess").joinpath("vendor_apps.csv").read_text()
    parts = [
        files or "",
        json.dumps(policy, sort_keys=True, default=str),
        signatures,
        vendor_apps,
        ai_apps,
    ]
    for part in parts + [text for _, text in metric_sql]:
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


def _stored_tables_match(con: duckdb.DuckDBPyConnection, tables: set[str], inputs: str) -> bool:
    """True when `agentaudit assess` stored every materialized table from these inputs."""
    stored = con.sql("SELECT value FROM meta WHERE key = 'assessment_inputs'").fetchall()
    present = con.sql(
        """SELECT count(*) FROM duckdb_tables() WHERE NOT temporary AND schema_name = 'main'
           AND table_name IN (SELECT unnest($t))""",
        params={"t": sorted(tables)},
    ).fetchall()[0][0]
    return bool(stored) and stored[0][0] == inputs and present == len(tables)


def _drop(con: duckdb.DuckDBPyConnection, name: str, *, temporary: bool) -> None:
    """Drop a view or table of that name (of the same persistence), whichever it is."""
    kinds = con.sql(
        """SELECT 'VIEW' FROM duckdb_views() WHERE view_name = $n AND temporary = $t
                                             AND NOT internal
           UNION ALL
           SELECT 'TABLE' FROM duckdb_tables() WHERE table_name = $n AND temporary = $t""",
        params={"n": name, "t": temporary},
    ).fetchall()
    for (kind,) in kinds:
        con.execute(f"DROP {kind} {'temp.' if temporary else ''}{name}")
