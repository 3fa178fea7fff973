"""The assessment's one SQL source, written for Spark by SQLGlot: every metric and check
transpiles, and the constructs whose meaning differs between the engines are rewritten."""

from __future__ import annotations

import pytest

pytest.importorskip("sqlglot", reason="sqlglot is in the dev and spark extras")

from agentaudit import db as audit_db  # noqa: E402
from agentaudit import transpile  # noqa: E402
from agentaudit.assess import _with_status, views  # noqa: E402
from agentaudit.assess.checks import all_checks  # noqa: E402
from agentaudit.assess.policy import load_policy  # noqa: E402


@pytest.fixture(scope="module")
def macros() -> dict[str, transpile.Macro]:
    con = audit_db.connect(None)
    views.install(con, load_policy(None), persist=False)
    return transpile.parse_macros(views.macro_sql(con))


def statements() -> list[tuple[str, str]]:
    out = [
        (f"{file}: {name}", views.body(stmt))
        for file, text in views.sql_files()
        for name, stmt in views.statements(text)
    ]
    out += [(f"check {c.id}", _with_status(c)) for c in all_checks()]
    return out


def test_every_metric_and_check_transpiles_to_spark(macros):
    """A construct SQLGlot cannot write for Spark, or a function it knows only by name,
    fails here rather than in a client's run on a cluster."""
    done = []
    for what, sql in statements():
        spark_sql = transpile.to_spark(sql, macros, what=what)
        assert "aa_policy" not in spark_sql or "FROM aa_policy" in spark_sql, what
        for macro in macros:
            assert f"{macro.upper()}(" not in spark_sql.upper(), (what, macro)
        done.append(what)
    assert len(done) > 60  # every view of every metric file, and every check


def test_no_stored_table_reads_the_risk_acceptances():
    """Spark computes the stored (materialized) tables once, before acceptances are known;
    only views may read them, as on DuckDB, where a stored table outlives one assessment."""
    tables = {d.name for d in views.catalogue() if d.materialized}
    for _, text in views.sql_files():
        for name, stmt in views.statements(text):
            if name in tables:
                assert "aa_accepted" not in stmt and "aa_exceptions" not in stmt, name


def test_a_function_sqlglot_does_not_know_is_refused_by_name():
    with pytest.raises(transpile.TranspileError, match="my_udf"):
        transpile.to_spark("SELECT my_udf(x) FROM t", what="x")


@pytest.mark.parametrize(
    ("duckdb_sql", "spark_sql"),
    [
        # day boundaries, not whole days elapsed
        ("SELECT date_diff('day', a, b)", "SELECT DATEDIFF(CAST(b AS DATE), CAST(a AS DATE))"),
        ("SELECT date_diff('second', a, b)", "SELECT (UNIX_SECONDS(b) - UNIX_SECONDS(a))"),
        ("SELECT x - to_days(3)", "SELECT x - INTERVAL '1' DAY * (3)"),
        # DuckDB divides as DOUBLE; Spark by a decimal literal as DECIMAL
        ("SELECT n / 3600.0", "SELECT n / CAST(3600.0 AS DOUBLE)"),
        # Spark's RLIKE takes no flags: case-insensitivity moves into the pattern
        ("SELECT regexp_matches(x, 'ab', 'i')", "SELECT x RLIKE '(?i)ab'"),
        ("SELECT regexp_matches(x, p, 'i')", "SELECT x RLIKE ('(?i)' || p)"),
        # collect_list has no order: sorted after; over no rows it is empty, DuckDB's NULL
        (
            "SELECT list(x ORDER BY x) FROM t",
            "SELECT IF(SIZE(ARRAY_SORT(COLLECT_LIST(x))) > 0, ARRAY_SORT(COLLECT_LIST(x)), NULL)"
            " FROM t",
        ),
        (
            "SELECT list(x ORDER BY k) FROM t",
            "SELECT IF(SIZE(TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(k AS k0, x AS v))), s -> s.v))"
            " > 0, TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(k AS k0, x AS v))), s -> s.v), NULL)"
            " FROM t",
        ),
        # what a rewrite carries is rewritten too
        (
            "SELECT string_agg(date_diff('day', a, b)::VARCHAR, ',' ORDER BY k) FROM t",
            "SELECT NULLIF(ARRAY_JOIN(TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(k AS k0, "
            "CAST(DATEDIFF(CAST(b AS DATE), CAST(a AS DATE)) AS STRING) AS v))), s -> s.v), ','),"
            " '') FROM t",
        ),
        (
            "SELECT string_agg(DISTINCT x, ', ' ORDER BY x) FROM t",
            "SELECT NULLIF(ARRAY_JOIN(ARRAY_SORT(COLLECT_LIST(DISTINCT x)), ', '), '') FROM t",
        ),
        # JSON is text in Spark
        ("SELECT raw::JSON ->> 'id'", "SELECT GET_JSON_OBJECT(raw, '$.id')"),
        (
            "SELECT CAST(json_extract(j, '$.t') AS JSON[])",
            "SELECT FROM_JSON(GET_JSON_OBJECT(j, '$.t'), 'array<string>')",
        ),
        ("SELECT CAST(json(v) AS VARCHAR[])", "SELECT FROM_JSON(v, 'array<string>')"),
        ("SELECT regexp_split_to_array(s, ',')", "SELECT SPLIT(s, ',')"),
    ],
)
def test_constructs_that_differ_are_written_as_spark_means_them(duckdb_sql, spark_sql):
    assert transpile.to_spark(duckdb_sql) == spark_sql


@pytest.mark.parametrize(
    "duckdb_sql",
    [
        "SELECT list(x ORDER BY x DESC) FROM t",
        "SELECT list(x ORDER BY x NULLS FIRST) FROM t",  # array_sort puts NULLs last
        "SELECT regexp_replace(x, 'a', 'b')",  # first match only in DuckDB, every one in Spark
        "SELECT date_diff('month', a, b)",
        "SELECT regexp_matches(x, 'a', 's')",
    ],
)
def test_constructs_without_a_faithful_spark_form_are_refused(duckdb_sql):
    with pytest.raises(transpile.TranspileError):
        transpile.to_spark(duckdb_sql)


def test_macros_expand_with_their_arguments_bound(macros):
    sql = transpile.to_spark(
        "SELECT aa_accepted('NHI-SHADOW', n.identity_key, NULL) FROM nhis n", macros
    )
    assert "x.check_id = 'NHI-SHADOW'" in sql
    assert "x.identity_key = n.identity_key" in sql
    assert "AA_ACCEPTED" not in sql.upper()
